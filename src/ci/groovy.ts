/**
 * Just enough Groovy lexing to read a Jenkinsfile's structure: where string literals stand and what is
 * code. Jenkinsfiles are Groovy programs; no YAML-like parser exists for them, so structure is found with
 * regexes over a view of the text in which every string's content and every comment is blanked out
 * (same length, newlines kept), so that braces and keywords inside strings never count.
 */
export interface GroovyString {
  /** Offset of the opening quote. */
  open: number;
  /** The content's range, quotes excluded. */
  start: number;
  end: number;
  /** Offset just after the closing quote. */
  close: number;
  /** `'`, `"`, `'''` or `"""`. Double quotes interpolate `${...}` (GStrings). */
  quote: string;
}

/** A string literal's content. */
export function contentOf(g: GroovyText, s: GroovyString): string {
  return g.text.slice(s.start, s.end);
}

export interface GroovyText {
  text: string;
  /** The text with string contents and comments replaced by spaces. */
  code: string;
  /** String literals in order, by their opening quote. */
  strings: Map<number, GroovyString>;
}

export function lexGroovy(text: string): GroovyText {
  const code = text.split('');
  const strings = new Map<number, GroovyString>();
  const blank = (from: number, to: number): void => {
    for (let k = from; k < to; k++) if (code[k] !== '\n') code[k] = ' ';
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '/' && text[i + 1] === '/') {
      const end = text.indexOf('\n', i);
      const stop = end === -1 ? text.length : end;
      blank(i, stop);
      i = stop;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end === -1 ? text.length : end + 2;
      blank(i, stop);
      i = stop;
    } else if (c === "'" || c === '"') {
      const quote = text.startsWith(c.repeat(3), i) ? c.repeat(3) : c;
      const start = i + quote.length;
      const end = closingQuote(text, start, quote);
      strings.set(i, { open: i, start, end, close: Math.min(text.length, end + quote.length), quote });
      blank(start, end);
      i = end + quote.length;
    } else i++;
  }
  return { text, code: code.join(''), strings };
}

/** Where a string's content ends: the next unescaped closing quote (a single-quoted one ends at the line). */
function closingQuote(text: string, from: number, quote: string): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (quote === '"' || quote === '"""') {
      // `${ ... }` in a GString may hold braces and quotes of its own.
      if (c === '$' && text[i + 1] === '{') {
        depth++;
        i++;
      } else if (c === '}' && depth > 0) depth--;
      else if (depth === 0 && text.startsWith(quote, i)) return i;
    } else if (text.startsWith(quote, i)) return i;
    if (c === '\n' && quote.length === 1 && depth === 0) return i;
  }
  return text.length;
}

/** The offset of the bracket closing the one at `open` (`{`, `(` or `[`), in the code view; or the end. */
export function matching(code: string, open: number): number {
  const o = code[open]!;
  const c = o === '{' ? '}' : o === '(' ? ')' : ']';
  let depth = 0;
  for (let i = open; i < code.length; i++) {
    if (code[i] === o) depth++;
    else if (code[i] === c && --depth === 0) return i;
  }
  return code.length;
}

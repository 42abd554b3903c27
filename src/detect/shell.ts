/**
 * Just enough shell lexing to tell, in a CI step's script, which command prints what: commands split at
 * `;`, `&&`, `||`, `|`, `&` and newlines outside quotes and `$( )`, the single-quoted ranges where the
 * shell expands nothing, and the variable references each command holds. Scripts are read in their source
 * text (offsets point into the CI file); YAML quoting around a whole scalar is already excluded.
 */
export interface ShellCommand {
  /** Offsets into the text, from 0, end exclusive. */
  start: number;
  end: number;
  /** Ranges of single-quoted content, where `$X` is not expanded. */
  singleQuoted: Array<[number, number]>;
  /** Ranges inside `$( )` and backticks: their output is captured, not printed. */
  substituted: Array<[number, number]>;
  /** The operator after it: `|`, `;`, `&&`, `||`, `&`, or `` at the end of a line. */
  next: string;
}

export function shellCommands(text: string, start: number, end: number): ShellCommand[] {
  const out: ShellCommand[] = [];
  let cur: ShellCommand = { start, end: start, singleQuoted: [], substituted: [], next: '' };
  let quote: string | null = null;
  let quoteStart = 0;
  const subs: number[] = [];
  const finish = (at: number, next: string, resume: number): void => {
    cur.end = at;
    cur.next = next;
    if (text.slice(cur.start, at).trim()) out.push(cur);
    cur = { start: resume, end: resume, singleQuoted: [], substituted: [], next: '' };
  };
  for (let i = start; i < end; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") {
        cur.singleQuoted.push([quoteStart, i]);
        quote = null;
      }
    } else if (c === '\\') i++;
    else if (quote === '"' && c === '"') quote = null;
    else if (quote === '`' && c === '`') {
      cur.substituted.push([quoteStart, i]);
      quote = null;
    } else if (c === '$' && text[i + 1] === '(') {
      subs.push(i);
      i++;
    } else if (c === ')' && subs.length > 0) {
      const from = subs.pop()!;
      if (subs.length === 0) cur.substituted.push([from, i + 1]);
    } else if (quote === null && (c === "'" || c === '"' || c === '`')) {
      quote = c;
      quoteStart = i + 1;
    } else if (quote === null && subs.length === 0) {
      if (c === '#' && (i === cur.start || /\s/.test(text[i - 1]!))) {
        const nl = text.indexOf('\n', i);
        finish(i, '', nl === -1 || nl > end ? end : nl);
        i = cur.start;
        continue;
      }
      const two = text.slice(i, i + 2);
      if (c === '\n') finish(i, '', i + 1);
      else if (two === '&&' || two === '||') {
        finish(i, two, i + 2);
        i++;
      } else if (c === ';' || (c === '|' && text[i - 1] !== '>') || (c === '&' && text[i - 1] !== '>' && text[i + 1] !== '>')) finish(i, c, i + 1);
    } else if (quote === null && c === '\n' && text[i - 1] !== '\\') {
      // An unclosed `$(` at the end of a line: give up on it rather than swallow the script.
      subs.length = 0;
      finish(i, '', i + 1);
    }
  }
  finish(end, '', end);
  return out;
}

/** Prefixes that do not change which command runs: keywords, `sudo`, leading `VAR=value` assignments. */
const PREFIX = /^(?:(?:then|do|else|elif|if|while|until|time|sudo|command|builtin|exec|nohup|!|\{|\()(?:\s+|$)|[A-Za-z_][A-Za-z0-9_]*=(?:"[^"]*"|'[^']*'|\S*)\s+)/;

/** The command's name (lowercased) and where its arguments start; '' for a bare assignment or a blank. */
export function commandWord(text: string, cmd: ShellCommand): { word: string; args: number } {
  let at = cmd.start;
  let rest = text.slice(at, cmd.end);
  for (;;) {
    const lead = /^\s*/.exec(rest)![0].length;
    at += lead;
    rest = rest.slice(lead);
    const m = PREFIX.exec(rest);
    if (!m) break;
    at += m[0].length;
    rest = rest.slice(m[0].length);
  }
  const w = /^[A-Za-z][\w.-]*/.exec(rest);
  if (!w || rest[w[0].length] === '=') return { word: '', args: at };
  return { word: w[0].toLowerCase(), args: at + w[0].length };
}

/** A variable reference in a script. */
export interface Reference {
  start: number;
  end: number;
  /** `${{ secrets.X }}` → `secrets.X`; `$X`, `${X}`, `$env:X`, `%X%`, `${env.X}` → `X`; `$(System.AccessToken)` → `System.AccessToken`. */
  name: string;
  /** `expression` (GitHub `${{ }}`, Azure `$( )` macros: replaced before the shell runs, quotes or not), or `shell`. */
  kind: 'expression' | 'shell';
}

const GITHUB_EXPRESSION = /\$\{\{\s*([^}]*?)\s*\}\}/g;
const AZURE_MACRO = /\$\(([A-Za-z_][\w.]*)\)/g;
/** `${env.X}` (Groovy), `${X...}`, `$X`, `$env:X` (PowerShell), `%X%` (cmd). `${#X}` is a length. */
const SHELL_VAR = /\$\{env\.([A-Za-z_]\w*)\}|\$\{([A-Za-z_]\w*)([^}]*)\}|\$env:([A-Za-z_]\w*)|\$([A-Za-z_]\w*)|%([A-Za-z_]\w*)%/g;

/** References in [from, to), in order. Shell variables inside single quotes are not expanded. */
export function referencesIn(text: string, from: number, to: number, cmd: ShellCommand, azure: boolean): Reference[] {
  const src = text.slice(from, to);
  const out: Reference[] = [];
  const taken: Array<[number, number]> = [];
  const add = (re: RegExp, kind: Reference['kind'], pick: (m: RegExpMatchArray) => string | undefined): void => {
    for (const m of src.matchAll(re)) {
      const start = from + m.index!;
      const end = start + m[0].length;
      const name = pick(m);
      if (!name || taken.some(([a, b]) => start < b && a < end)) continue;
      if (kind === 'shell' && cmd.singleQuoted.some(([a, b]) => start >= a && start < b)) continue;
      taken.push([start, end]);
      out.push({ start, end, name, kind });
    }
  };
  add(GITHUB_EXPRESSION, 'expression', (m) => m[1]);
  if (azure) add(AZURE_MACRO, 'expression', (m) => m[1]);
  // `${X:+set}` and `${X:?message}` print a word or a message, never the value.
  add(SHELL_VAR, 'shell', (m) => (m[2] !== undefined && /^:?[+?]/.test(m[3]!) ? undefined : m[1] ?? m[2] ?? m[4] ?? m[5] ?? m[6]));
  return out.sort((a, b) => a.start - b.start);
}

/** Where a printing command's output goes, from its redirections and the operator after it. */
export function printsToLog(text: string, cmd: ShellCommand, nextCommand: string | undefined): boolean {
  if (cmd.next === '|') return nextCommand === 'tee' || nextCommand === 'tee-object';
  // Redirections outside quotes: `> file`, `>> "$GITHUB_ENV"`, `&>file` capture stdout; `>&2`,
  // `>/dev/stderr` and the job summary (`$GITHUB_STEP_SUMMARY`, shown on the run's page) do not.
  const masked = maskQuoted(text, cmd);
  for (const m of masked.matchAll(/(?:^|[^\d&>])([\d&]?)>>?[ \t]*/g)) {
    if (m[1] !== '' && m[1] !== '1' && m[1] !== '&') continue;
    const at = cmd.start + m.index! + m[0].length;
    const target = /^(?:"[^"]*"|'[^']*'|[^\s;&|]*)/.exec(text.slice(at, cmd.end))![0];
    if (!/^(?:&[12]|\/dev\/(?:stderr|stdout|tty))$|GITHUB_STEP_SUMMARY/.test(target)) return false;
  }
  return true;
}

function maskQuoted(text: string, cmd: ShellCommand): string {
  const chars = text.slice(cmd.start, cmd.end).split('');
  let quote: string | null = null;
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else chars[i] = ' ';
    } else if (c === '\\') i++;
    else if (c === '"' || c === "'") quote = c;
  }
  return chars.join('');
}

import RE2 from 're2';
import type { Rule } from '../core/types.js';
import { CHECKSUMS } from '../detect/checksums.js';
import type { RuleProblem } from './schema.js';

/** A rule ready to run: its full pattern compiled once, with byte indices for the capture groups. */
export interface CompiledRule {
  rule: Rule;
  /** Global, with indices (`d`): run over windows of a Buffer, giving byte offsets. */
  regex: RE2;
  /** The rule's `secretPattern`, tested on each candidate secret (undefined: none). */
  secretRegex: RE2 | undefined;
}

/**
 * The compiled rule set. `locator` is one RE2 alternation of every distinct keyword: one pass over a chunk
 * says both which keywords occur and where, so candidate rules run their full patterns only in small
 * windows around their keywords (see ../shared/PERFORMANCE.md: full patterns in one automaton make its DFA
 * explode; literals keep it on the DFA).
 *
 * Why not an `RE2.Set` first: a Set answers only "which", so every chunk with a hit (nearly all real code
 * holds `token`, `secret` or `://`) needed a second pass to find "where". Measured on the bench corpus and
 * on real trees, Set + per-chunk locator took ~1.5× the time of this single locator pass.
 */
export interface RuleSet {
  rules: CompiledRule[];
  /** Distinct keywords, lowercased. */
  keywords: string[];
  /** Global, case-insensitive alternation of every keyword, longest first; driven with `test()`. */
  locator: RE2;
  /** Lowercased keywords as bytes, to tell which one a locator hit is. */
  keywordBytes: Buffer[];
  /** Bytes of the longest keyword. */
  maxKeywordLength: number;
  /** (second-to-last byte << 8 | last byte), lowercased → keyword indices ending so, longest first. */
  keywordsBySuffix: Map<number, number[]>;
  /** keyword index → indices of rules that list it or a keyword it contains. */
  rulesByKeyword: number[][];
  /** keyword index → whether it is a context word after which encoded blobs stand (opens a decode window). */
  decodeContext: boolean[];
  /** Rules with a structural detector instead of a pattern (rules/ci-pipeline.yaml): run on CI configs. */
  structural: Rule[];
  /** Every rule of the set, pattern and structural. */
  byId: Map<string, Rule>;
}

export function escapeRegex(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

/** Capturing groups in an RE2 pattern: `(` not followed by `?`, plus named `(?P<` / `(?<`, outside classes. */
export function countGroups(pattern: string): number {
  let n = 0;
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') {
      inClass = true;
      if (pattern[i + 1] === ']') i++;
    } else if (c === '(' && (pattern[i + 1] !== '?' || /^\(\?P?<[A-Za-z]/.test(pattern.slice(i, i + 5)))) n++;
  }
  return n;
}

/**
 * A rule whose RE2 is built on first use. Scans compile only the rules whose keywords occur, which keeps
 * start-up short for pre-commit hooks; built-in rules are validated by the test suite instead.
 */
export function lazyRule(rule: Rule): CompiledRule {
  let regex: RE2 | undefined;
  let secretRegex: RE2 | undefined;
  return {
    rule,
    get regex() {
      return (regex ??= new RE2(rule.pattern, 'gd'));
    },
    get secretRegex() {
      return rule.secretPattern === undefined ? undefined : (secretRegex ??= new RE2(rule.secretPattern, ''));
    },
  };
}

/** Compiles one rule's pattern with RE2. RE2 refuses lookaround and backreferences: say so, with the rule. */
export function compileRule(rule: Rule): { compiled?: CompiledRule; problem?: RuleProblem } {
  try {
    const regex = new RE2(rule.pattern, 'gd');
    let secretRegex: RE2 | undefined;
    try {
      secretRegex = rule.secretPattern === undefined ? undefined : new RE2(rule.secretPattern, '');
    } catch (e) {
      throw new Error(`secretPattern: ${(e as Error).message}`);
    }
    const group = rule.secretGroup;
    if (typeof group === 'number' && group > 0) {
      const groups = countGroups(rule.pattern);
      if (group > groups) throw new Error(`secretGroup ${group} but the pattern has ${groups} groups`);
    }
    if (typeof group === 'string' && !rule.pattern.includes(`(?P<${group}>`) && !rule.pattern.includes(`(?<${group}>`)) {
      throw new Error(`secretGroup '${group}' names no group in the pattern`);
    }
    if (rule.checksum && !CHECKSUMS[rule.checksum]) {
      throw new Error(`unknown checksum '${rule.checksum}' (known: ${Object.keys(CHECKSUMS).join(', ')})`);
    }
    return { compiled: { rule, regex, secretRegex } };
  } catch (e) {
    const msg = (e as Error).message;
    const hint = /invalid perl operator|backreference|\(\?[=!<]/.test(msg + rule.pattern)
      ? ' (RE2 has no lookaround or backreferences: every sprawl rule must run in linear time)'
      : '';
    return { problem: { file: rule.file, ruleId: rule.id, message: `pattern does not compile: ${msg}${hint}` } };
  }
}

/** Words after which encoded blobs stand: docker `"auth"`, `*_B64=`, `Basic `. */
const DECODE_CONTEXT = ['b64', '"auth"', '_auth', 'auth:', 'basic ', 'encoded', 'dockerconfigjson'];

export function compileRuleSet(rules: Rule[], lazy: (rule: Rule) => boolean = () => false): { ruleSet: RuleSet; problems: RuleProblem[] } {
  const compiled: CompiledRule[] = [];
  const problems: RuleProblem[] = [];
  for (const rule of rules) {
    if (rule.detector) continue;
    if (lazy(rule)) {
      compiled.push(lazyRule(rule));
      continue;
    }
    const { compiled: c, problem } = compileRule(rule);
    if (c) compiled.push(c);
    if (problem) problems.push(problem);
  }
  return { ruleSet: buildRuleSet(compiled, rules.filter((r) => r.detector)), problems };
}

/**
 * The keywords as one alternation shaped like a trie: `to(?:ken(?:_secret|)|tp)` rather than
 * `token_secret|token|totp`. RE2 builds its DFA lazily, one state per set of live alternatives; with a
 * flat list of 473 keywords every state carries all 473 first letters, and the first pass over a small
 * input (a pre-commit hook's 40 KiB) spent ~13 ms building states. As a trie, the same pass takes ~3.5
 * ms, and throughput afterwards is unchanged (measured: 41 KiB of generated source, node-re2 1.24).
 *
 * Matches are the same: RE2 takes, at the leftmost position, the first alternative that matches, and a
 * keyword's extensions come before its end (`(?:_secret|)`), so the longest keyword there wins, as it did
 * with the list sorted longest first; rulesByKeyword stands a long keyword for those it contains.
 */
export function trieAlternation(words: string[]): string {
  // Each word ends in a mark that sorts above every character: words that share a prefix are adjacent,
  // and a word comes after its extensions. (The default sort is native; a comparator cost ~3 ms cold.)
  const END = '\uffff';
  const sorted = [...new Set(words)].map((w) => w + END).sort();
  // The alternatives for sorted[lo, hi), which all share their first `depth` characters.
  const emit = (lo: number, hi: number, depth: number): string => {
    const parts: string[] = [];
    for (let i = lo; i < hi; ) {
      const first = sorted[i]!;
      let j = i + 1;
      while (j < hi && sorted[j]![depth] === first[depth]) j++;
      if (j - i === 1) parts.push(escapeRegex(first.slice(depth, -1)));
      else {
        // In a sorted range, the prefix the first and last share is shared by all.
        const last = sorted[j - 1]!;
        let common = depth + 1;
        while (first[common] === last[common]) common++;
        parts.push(escapeRegex(first.slice(depth, common)) + emit(i, j, common));
      }
      i = j;
    }
    return parts.length === 1 ? parts[0]! : `(?:${parts.join('|')})`;
  };
  return emit(0, sorted.length, 0);
}

export function buildRuleSet(compiled: CompiledRule[], structural: Rule[] = []): RuleSet {
  const keywordIndex = new Map<string, number>();
  const direct: number[][] = [];
  compiled.forEach((c, ruleIdx) => {
    for (const kw of c.rule.keywords) {
      const k = kw.toLowerCase();
      let i = keywordIndex.get(k);
      if (i === undefined) {
        i = keywordIndex.size;
        keywordIndex.set(k, i);
        direct.push([]);
      }
      if (!direct[i]!.includes(ruleIdx)) direct[i]!.push(ruleIdx);
    }
  });
  // Decode triggers: words after which encoded blobs stand. They select no rule; their hits only open
  // windows where encoded segments are decoded.
  for (const t of DECODE_CONTEXT) {
    if (!keywordIndex.has(t)) {
      keywordIndex.set(t, keywordIndex.size);
      direct.push([]);
    }
  }
  const keywords = [...keywordIndex.keys()];
  // The locator reports the leftmost, longest keyword and goes on after it, so a hit on `_password` must
  // also stand for `password`: fold in the rules of every keyword a keyword contains. Keywords are looked
  // up by their first three characters at each position (slicing every substring cost ~4 ms a start).
  const byTrigram = new Map<string, number[]>();
  const short: number[] = [];
  keywords.forEach((k, j) => {
    if (k.length < 3) return void short.push(j);
    const key = k.slice(0, 3);
    const list = byTrigram.get(key);
    if (list) list.push(j);
    else byTrigram.set(key, [j]);
  });
  const rulesByKeyword = keywords.map((k, i) => {
    const all = new Set(direct[i]);
    const fold = (j: number): void => {
      if (j !== i) for (const r of direct[j]!) all.add(r);
    };
    for (let a = 0; a + 3 <= k.length; a++) {
      for (const j of byTrigram.get(k.slice(a, a + 3)) ?? []) if (k.startsWith(keywords[j]!, a)) fold(j);
    }
    for (const j of short) if (k.includes(keywords[j]!)) fold(j);
    return [...all].sort((x, y) => x - y);
  });
  const locator = new RE2(keywords.length > 0 ? trieAlternation(keywords) : '\\x00NEVER\\x00', 'gi');
  // Longest first, so that the keyword found ending at a hit is the longest one, the one RE2 matched.
  const order = keywords.map((_, i) => i).sort((a, b) => keywords[b]!.length - keywords[a]!.length);
  const keywordsBySuffix = new Map<number, number[]>();
  for (const i of order) {
    const k = keywords[i]!;
    const key = (k.charCodeAt(k.length - 2) << 8) | k.charCodeAt(k.length - 1);
    const list = keywordsBySuffix.get(key);
    if (list) list.push(i);
    else keywordsBySuffix.set(key, [i]);
  }
  const byId = new Map([...compiled.map((c) => c.rule), ...structural].map((r) => [r.id, r]));
  const decodeContext = keywords.map((k) => DECODE_CONTEXT.includes(k));
  const keywordBytes = keywords.map((k) => Buffer.from(k, 'latin1'));
  const maxKeywordLength = keywordBytes.reduce((m, k) => Math.max(m, k.length), 0);
  return { rules: compiled, keywords, keywordBytes, maxKeywordLength, keywordsBySuffix, locator, rulesByKeyword, decodeContext, structural, byId };
}

import RE2 from 're2';
import type { Rule } from '../core/types.js';
import { CHECKSUMS } from '../detect/checksums.js';
import type { RuleProblem } from './schema.js';

/** A rule ready to run: its full pattern compiled once, with byte indices for the capture groups. */
export interface CompiledRule {
  rule: Rule;
  /** Global, with indices (`d`): run over windows of a Buffer, giving byte offsets. */
  regex: RE2;
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
  return {
    rule,
    get regex() {
      return (regex ??= new RE2(rule.pattern, 'gd'));
    },
  };
}

/** Compiles one rule's pattern with RE2. RE2 refuses lookaround and backreferences: say so, with the rule. */
export function compileRule(rule: Rule): { compiled?: CompiledRule; problem?: RuleProblem } {
  try {
    const regex = new RE2(rule.pattern, 'gd');
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
    return { compiled: { rule, regex } };
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
  // also stand for `password`: fold in the rules of every keyword a keyword contains.
  const rulesByKeyword = keywords.map((k, i) => {
    const all = new Set(direct[i]);
    for (let a = 0; a < k.length; a++) {
      for (let b = a + 3; b <= Math.min(k.length, a + 24); b++) {
        const j = keywordIndex.get(k.slice(a, b));
        if (j !== undefined && j !== i) for (const r of direct[j]!) all.add(r);
      }
    }
    return [...all].sort((x, y) => x - y);
  });
  // Longest first: RE2 picks the first alternative that matches at the leftmost position, so a hit on
  // `_password` is reported as `_password`, and rulesByKeyword already stands it for `password` too.
  const order = keywords.map((_, i) => i).sort((a, b) => keywords[b]!.length - keywords[a]!.length);
  const locator = new RE2(keywords.length > 0 ? order.map((i) => escapeRegex(keywords[i]!)).join('|') : '\\x00NEVER\\x00', 'gi');
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
  return { rules: compiled, keywords, keywordBytes, keywordsBySuffix, locator, rulesByKeyword, decodeContext, structural, byId };
}

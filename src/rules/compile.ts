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
 * The compiled rule set. `prefilter` is one RE2.Set over the distinct keywords: it answers "which keywords
 * occur in this chunk" in one pass. A locator of just those keywords finds where, only in chunks where the Set hit, so
 * full patterns run in small windows rather than over the whole chunk (see ../shared/PERFORMANCE.md: full
 * patterns in a Set make its DFA explode; literals keep it at ~600 MiB/s).
 */
export interface RuleSet {
  rules: CompiledRule[];
  /** Distinct keywords, lowercased; index = pattern index in `prefilter`. */
  keywords: string[];
  prefilter: { match(data: Buffer | string): number[] };
  /** Lowercased keywords as bytes, to tell which one a locator hit is. */
  keywordBytes: Buffer[];
  /** For the keywords a chunk holds (indices, ascending): a regex finding them, and those indices longest
   * first. See `locatorFor`. */
  locator(hits: number[]): { regex: RE2; longestFirst: number[] };
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

/**
 * Locators are built from the keywords the Set found in a chunk, not from all of them: an alternation of
 * hundreds of case-insensitive literals outgrows RE2's DFA budget, while the handful a chunk holds stays
 * on the DFA. Chunks repeat the same few combinations, so compiled locators are cached by combination.
 */
function locatorFor(escaped: string[], keywords: string[]): RuleSet['locator'] {
  const cache = new Map<string, { regex: RE2; longestFirst: number[] }>();
  return (hits) => {
    const key = hits.join(',');
    let loc = cache.get(key);
    if (!loc) {
      const longestFirst = [...hits].sort((a, b) => keywords[b]!.length - keywords[a]!.length);
      loc = { regex: new RE2(longestFirst.map((i) => escaped[i]!).join('|'), 'gi'), longestFirst };
      if (cache.size >= 4096) cache.clear();
      cache.set(key, loc);
    }
    return loc;
  };
}

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
  const escaped = keywords.map(escapeRegex);
  const prefilter = new RE2.Set(escaped.length > 0 ? escaped : ['\\x00NEVER\\x00'], 'i');
  const byId = new Map([...compiled.map((c) => c.rule), ...structural].map((r) => [r.id, r]));
  const decodeContext = keywords.map((k) => DECODE_CONTEXT.includes(k));
  const keywordBytes = keywords.map((k) => Buffer.from(k, 'latin1'));
  return { rules: compiled, keywords, keywordBytes, prefilter, locator: locatorFor(escaped, keywords), rulesByKeyword, decodeContext, structural, byId };
}

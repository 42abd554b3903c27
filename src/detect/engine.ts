import type { CiPipeline } from '../ci/model.js';
import { parseCiConfig } from '../ci/parse.js';
import { ciSystemOf, type CiSystem } from '../core/paths.js';
import type { Match, Rule } from '../core/types.js';
import type { CompiledRule, RuleSet } from '../rules/compile.js';
import { CHECKSUMS } from './checksums.js';
import { pipelineMatches } from './ci-pipeline.js';
import { findEncodedSegments } from './decode.js';
import { shannonEntropy } from './entropy.js';
import { exampleContext, genericValueReason, identifierReason, isDocPath, isLockfile, isTestPath, isVendoredPath, lineHasAllowMarker, placeholderReason } from './filters.js';
import { appendAll } from '../core/arrays.js';

/** Options of one detection call. */
export interface DetectOptions {
  /** How many times decoded content is decoded and scanned again. Default 2; 0 turns decoding off. */
  maxDecodeDepth?: number;
  /** Decoded bytes one chunk may produce in all, across depths. Default 1 MiB. */
  maxDecodeBytes?: number;
  /** Path of the content: lockfiles get no generic rules. */
  path?: string;
  /** Honour `sprawl:allow` on the line. Default true. */
  inlineAllow?: boolean;
  /** Called for every candidate a post-filter drops, with the reason. For `rules check` and debugging. */
  onReject?: (ruleId: string, reason: string) => void;
  /** The chunk's CI configuration, parsed (null: none, or it could not be parsed). Undefined: parsed here
   * when `ciSystem`, or else `path`, names a CI system. The pipeline rules run on it. */
  ci?: CiPipeline | null;
  /** The CI system of a file whose path does not say (a file `.gitlab-ci.yml` includes). */
  ciSystem?: CiSystem | null;
}

/** Bytes before a keyword hit where a match may start: a variable name, a URL scheme, `Server=...;`. */
const WINDOW_BEFORE = 160;

/**
 * Chunk bytes → matches. One locator pass over the keywords says which occur and where; each
 * candidate rule's full pattern runs only in windows around its keywords. Then post-filters, then
 * decoding of encoded segments (scanned again, recursively), then overlap resolution.
 */
export function detect(data: Buffer, ruleSet: RuleSet, options: DetectOptions = {}): Match[] {
  return detectScoped(data, ruleSet, options, null);
}

/** Rules whose windows reach further than this past their keyword have their keyword hits reported by `detectScoped`. */
export const REACH = 512;

/** Where a scoped detection looked, and what it must hand to the next version's. */
export interface Scope {
  /** Flat [from, to) byte ranges, sorted and disjoint: keywords are looked for only inside them (each
   * keyword wholly inside). The windows around a keyword still reach outside. */
  ranges: number[];
  /** Filled with [keyword start, window end, rule index] of every keyword hit in the ranges looked at whose
   * rule's window reaches more than REACH bytes past it (private key blocks, JWTs). */
  reaching: number[];
}

/**
 * `detect`, with keywords looked for only in `scope.ranges` (null: everywhere). For a new version of a
 * file whose unchanged stretches were matched before (see revisions.ts). Decoded content is always
 * scanned whole: it is not the file's bytes.
 */
export function detectScoped(data: Buffer, ruleSet: RuleSet, options: DetectOptions, scope: Scope | null): Match[] {
  const budget = { bytes: options.maxDecodeBytes ?? 1024 * 1024 };
  const found = detectAt(data, ruleSet, options, options.maxDecodeDepth ?? 2, budget, scope);
  const resolved = resolveOverlaps(screen(found, data, ruleSet, options), (id) => ruleSet.byId.get(id));
  const ci = ciOf(data, options);
  if (!ci) return resolved;
  // Pipeline rules see every match of the file: a value a rule found in an `env:` block is marked (or, for
  // a generic rule, renamed) rather than reported twice. Their own matches pass the same screen.
  return screen(pipelineMatches(data, data.toString('utf8'), ci, resolved, ruleSet), data, ruleSet, options);
}

/** The inline allowlist (`sprawl:allow` on the line), and low confidence for generic rules in test and
 * vendored code. */
function screen(matches: Match[], data: Buffer, ruleSet: RuleSet, options: DetectOptions): Match[] {
  const kept = options.inlineAllow === false ? matches : matches.filter((m) => !lineHasAllowMarker(data, m.matchStart));
  if (options.path !== undefined && (isTestPath(options.path) || isVendoredPath(options.path))) {
    for (const m of kept) if (ruleSet.byId.get(m.ruleId)?.generic) m.confidence = 'low';
  }
  return kept;
}

function ciOf(data: Buffer, options: DetectOptions): CiPipeline | null {
  if (options.ci !== undefined) return options.ci;
  const system = options.ciSystem ?? (options.path !== undefined ? ciSystemOf(options.path) : null);
  return system ? parseCiConfig(system, data.toString('utf8')).pipeline : null;
}

function detectAt(data: Buffer, rs: RuleSet, options: DetectOptions, depth: number, budget: { bytes: number }, scope: Scope | null = null): Match[] {
  const out: Match[] = [];
  const { byRule, decode } = candidateWindows(data, rs, options, scope);
  for (const [ruleIdx, spans] of byRule) {
    runRule(rs.rules[ruleIdx]!, data, spans, options, out);
  }
  // Inside decoded content every part may be encoded again: the whole buffer is a decode window.
  // Outside that, the values generic rules captured (`token: <base64>`, `password=<hex>`) and the text after
  // context words (`_b64`, `"auth"`): an encoded secret is a value, so decoding costs nothing elsewhere.
  // A generic value is decoded with its key in front (`password: <decoded>`): a Kubernetes Secret's
  // `data:` holds base64 of plain passwords, which only the key marks as secret.
  const keyOf = new Map<number, Buffer>();
  if (depth < (options.maxDecodeDepth ?? 2)) decode.splice(0, decode.length, 0, data.length);
  else {
    for (const m of out) {
      if (!rs.byId.get(m.ruleId)?.generic) continue;
      decode.push(m.start, m.end);
      keyOf.set(m.start, data.subarray(Math.max(m.matchStart, m.start - 80), m.start));
    }
  }
  const decodeWindows = mergeSpans(decode);
  if (depth > 0 && decodeWindows.length > 0) {
    for (const seg of findEncodedSegments(data, budget, decodeWindows)) {
      const key = keyOf.get(seg.start);
      const inner = key ? Buffer.concat([key, seg.decoded, NEWLINE]) : seg.decoded;
      for (const innerMatch of detectAt(inner, rs, options, depth - 1, budget)) {
        out.push({
          ...innerMatch,
          start: seg.start,
          end: seg.end,
          matchStart: seg.start,
          matchEnd: seg.end,
          decodedFrom: [seg.kind, ...innerMatch.decodedFrom],
        });
      }
    }
  }
  return out;
}

const NEWLINE = Buffer.from('\n');

/** Bytes around a context word's hit (`_b64`, `"auth"`) where encoded segments are looked for. */
const DECODE_BEFORE = 64;
const DECODE_AFTER = 512;

/** Sorts [start, end) pairs (flat) by start and merges overlapping ones. */
function mergeSpans(flat: number[]): number[] {
  if (flat.length <= 2) return flat;
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i]!, flat[i + 1]!]);
  pairs.sort((a, b) => a[0] - b[0]);
  const out: number[] = [pairs[0]![0], pairs[0]![1]];
  for (let i = 1; i < pairs.length; i++) {
    const [ws, we] = pairs[i]!;
    if (ws <= out[out.length - 1]!) out[out.length - 1] = Math.max(out[out.length - 1]!, we);
    else out.push(ws, we);
  }
  return out;
}

/** ASCII-lowercase comparison of `kw` (lowercase) with the bytes of `data` ending at `end`. */
function endsWithKeyword(data: Buffer, end: number, kw: Buffer): boolean {
  const start = end - kw.length;
  if (start < 0) return false;
  for (let j = 0; j < kw.length; j++) if (lower(data[start + j]!) !== kw[j]) return false;
  return true;
}

function lower(c: number): number {
  return c >= 65 && c <= 90 ? c | 0x20 : c;
}

/** The keyword a locator hit ending at `end` is: the longest one ending there, as RE2 chose. */
function keywordEndingAt(data: Buffer, end: number, rs: RuleSet): number | undefined {
  if (end < 2) return undefined;
  const candidates = rs.keywordsBySuffix.get((lower(data[end - 2]!) << 8) | lower(data[end - 1]!));
  return candidates?.find((k) => endsWithKeyword(data, end, rs.keywordBytes[k]!));
}

/**
 * Whether every literal occurs in data[from, to). Hits arrive in increasing order, so the next occurrence of
 * each literal at or after a hit is remembered and looked for again only once a hit passes it: the scans
 * for one literal add up to one pass over the chunk, however many `://` hits ask.
 */
function requiresChecker(data: Buffer): (literals: string[], from: number, to: number) => boolean {
  const next = new Map<string, number>();
  return (literals, from, to) => {
    for (const lit of literals) {
      let at = next.get(lit);
      if (at === undefined || (at !== -1 && at < from)) {
        at = data.indexOf(lit, from, 'latin1');
        next.set(lit, at);
      }
      if (at === -1 || at + lit.length > to) return false;
    }
    return true;
  };
}

/**
 * Rule index → merged [start, end) byte windows where its pattern may match, and the windows where
 * encoded segments may hide a secret.
 *
 * The locator is driven with `test()`, which only moves `lastIndex`: building exec()'s match array cost
 * ~5 µs a hit, and URLs (`://`) or `token` hit tens of thousands of times in ordinary code. The keyword is
 * then told from the bytes that end at `lastIndex`.
 */
function candidateWindows(data: Buffer, rs: RuleSet, options: DetectOptions, scope: Scope | null): { byRule: Map<number, number[]>; decode: number[] } {
  const windows = new Map<number, number[]>();
  const decode: number[] = [];
  if (data.length === 0) return { byRule: windows, decode };
  const skipGeneric = options.path !== undefined && (isLockfile(options.path) || isDocPath(options.path));
  const n = data.length;
  const regex = rs.locator;
  const hasAll = requiresChecker(data);
  const ranges = scope ? scope.ranges : [0, n];
  for (let r = 0; r < ranges.length; r += 2) {
    const from = ranges[r]!;
    // A view, not lastIndex on the whole: past a range's end the locator would run on to the next hit.
    const view = from === 0 && ranges[r + 1] === n ? data : data.subarray(from, ranges[r + 1]);
    regex.lastIndex = 0;
    while (regex.test(view as unknown as string)) {
      const end = from + regex.lastIndex;
      const kw = keywordEndingAt(data, end, rs);
      if (kw === undefined) continue;
      const at = end - rs.keywordBytes[kw]!.length;
      if (rs.decodeContext[kw]) decode.push(Math.max(0, at - DECODE_BEFORE), Math.min(n, end + DECODE_AFTER));
      for (const ruleIdx of rs.rulesByKeyword[kw]!) {
        const rule = rs.rules[ruleIdx]!.rule;
        if (skipGeneric && rule.generic) continue;
        const we = Math.min(n, end + rule.maxLength);
        if (scope && rule.maxLength > REACH) scope.reaching.push(at, we, ruleIdx);
        if (rule.requires.length > 0 && !hasAll(rule.requires, at, we)) continue;
        let spans = windows.get(ruleIdx);
        if (!spans) windows.set(ruleIdx, (spans = []));
        spans.push(Math.max(0, at - WINDOW_BEFORE), we);
      }
    }
  }
  for (const [ruleIdx, spans] of windows) windows.set(ruleIdx, mergeSpans(spans));
  return { byRule: windows, decode };
}

function runRule(c: CompiledRule, data: Buffer, spans: number[], options: DetectOptions, out: Match[]): void {
  const { rule, regex, secretRegex } = c;
  let lastEnd = -1;
  for (let i = 0; i < spans.length; i += 2) {
    const base = spans[i]!;
    let end = spans[i + 1]!;
    let window = data.subarray(base, end);
    let extended = false;
    regex.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = regex.exec(window as unknown as string)) !== null) {
      const indices = (m as unknown as { indices: Array<[number, number] | undefined> & { groups?: Record<string, [number, number] | undefined> } }).indices;
      const whole = indices[0]!;
      if (whole[1] === whole[0]) {
        regex.lastIndex = whole[1] + 1;
        continue;
      }
      if (base + whole[1] === end && end < data.length) {
        // The match ran into its window's end, where \b and $ match though the value may go on: a value
        // was cut in two when the keyword that would have widened the window lay outside the bytes a new
        // version of a file is looked at in (revisions.ts). Looked at again with the window reaching one
        // rule's length further; a value that still runs to the end is longer than the rule allows.
        if (extended) break;
        extended = true;
        end = Math.min(data.length, end + rule.maxLength);
        window = data.subarray(base, end);
        regex.lastIndex = whole[0];
        continue;
      }
      const span = typeof rule.secretGroup === 'string' ? indices.groups?.[rule.secretGroup] : indices[rule.secretGroup];
      if (!span || base + whole[0] < lastEnd) continue;
      const secret = data.toString('utf8', base + span[0], base + span[1]);
      if (secretRegex && !secretRegex.test(secret)) {
        // As if the pattern had required it: a later start may still match, overlapping this candidate.
        regex.lastIndex = whole[0] + 1;
        options.onReject?.(rule.id, 'secret does not match secretPattern');
        continue;
      }
      lastEnd = base + whole[1];
      const judged = judge(rule, secret);
      if (typeof judged === 'object') {
        options.onReject?.(rule.id, judged.reject);
        continue;
      }
      const example = rule.generic ? exampleContext(data, base + whole[0], options.path) : null;
      if (example) {
        options.onReject?.(rule.id, example);
        continue;
      }
      const verdict = rule.publicAfter && precededBy(data, base + span[0], rule.publicAfter) ? 'low' : judged;
      out.push({
        ruleId: rule.id,
        secret,
        start: base + span[0],
        end: base + span[1],
        matchStart: base + whole[0],
        matchEnd: base + whole[1],
        confidence: verdict,
        decodedFrom: [],
      });
    }
  }
}

/** Whether one of `literals` (ASCII, any case) ends right at `at`. */
function precededBy(data: Buffer, at: number, literals: string[]): boolean {
  return literals.some((lit) => at >= lit.length && data.toString('latin1', at - lit.length, at).toLowerCase() === lit.toLowerCase());
}

/** Post-filters for one candidate: the confidence to report it with, or why it is dropped. */
export function judge(rule: Rule, secret: string): Match['confidence'] | { reject: string } {
  const placeholder = placeholderReason(secret);
  if (placeholder) return { reject: placeholder };
  if (rule.generic) {
    const g = genericValueReason(secret) ?? (typedByPeople(rule) ? null : identifierReason(secret));
    if (g) return { reject: g };
  }
  if (rule.minEntropy > 0) {
    const h = shannonEntropy(secret);
    if (h < rule.minEntropy) return { reject: `entropy ${h.toFixed(2)} below ${rule.minEntropy}` };
  }
  if (rule.checksum && !CHECKSUMS[rule.checksum]!(secret)) return 'low';
  return rule.confidence;
}

/** Passwords (the rule's keywords say so) are chosen by people, who make them of words. Asked once a rule,
 * not for every candidate it yields. */
const PASSWORD_RULES = new WeakMap<Rule, boolean>();

function typedByPeople(rule: Rule): boolean {
  let typed = PASSWORD_RULES.get(rule);
  if (typed === undefined) PASSWORD_RULES.set(rule, (typed = rule.keywords.some((k) => /pass|pwd/.test(k))));
  return typed;
}

const CONFIDENCE_RANK = { high: 3, medium: 2, low: 1 } as const;

/**
 * Where matches overlap, keep the most specific: a provider rule over a generic one, then higher
 * confidence, then a rule whose checksum vouched for the value (`npm_` over `.npmrc`'s `_authToken`),
 * then the longer secret, then the longer match. The same value found by two rules is one occurrence, not two.
 */
export function resolveOverlaps(matches: Match[], ruleOf: (ruleId: string) => Rule | undefined): Match[] {
  if (matches.length < 2) return matches;
  // Only overlapping matches can clash, so each run of overlapping matches is settled on its own: a file
  // dense with secrets (a fixture of 5,000 tokens) took ~0.3 s compared all against all.
  const byStart = [...matches].sort((a, b) => a.start - b.start || a.end - b.end);
  const out: Match[] = [];
  let from = 0;
  let reach = byStart[0]!.end;
  for (let i = 1; i <= byStart.length; i++) {
    const m = byStart[i];
    if (m && m.start < reach) {
      reach = Math.max(reach, m.end);
      continue;
    }
    if (i - from === 1) out.push(byStart[from]!);
    else appendAll(out, settle(byStart.slice(from, i), ruleOf));
    from = i;
    if (m) reach = m.end;
  }
  return out;
}

/** `resolveOverlaps` for matches that overlap one another, in start order. */
function settle(matches: Match[], ruleOf: (ruleId: string) => Rule | undefined): Match[] {
  const score = (m: Match): number => {
    const rule = ruleOf(m.ruleId);
    // Between a generic value and what it decodes to, the decoded text is the credential a user would
    // rotate (and matches the same value written in plain text elsewhere).
    return (rule?.generic ? 0 : 100) + CONFIDENCE_RANK[m.confidence] * 10 + (rule?.checksum && m.confidence !== 'low' ? 5 : 0) + (m.decodedFrom.length > 0 ? 1 : 0);
  };
  // Ties go to the longer secret, then to the longer match (the rule that read more context: a service
  // account file over the PEM key inside it), then by rule id: an order that does not depend on the order
  // the matches were found in, which differs when a file's unchanged stretches carry matches over.
  const sorted = [...matches].sort(
    (a, b) =>
      score(b) - score(a) ||
      b.end - b.start - (a.end - a.start) ||
      b.matchEnd - b.matchStart - (a.matchEnd - a.matchStart) ||
      (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0),
  );
  const kept: Match[] = [];
  for (const m of sorted) {
    const clash = kept.some(
      (k) => m.start < k.end && k.start < m.end && (k.ruleId !== m.ruleId || (k.start === m.start && k.end === m.end)),
    );
    if (!clash) kept.push(m);
  }
  return kept.sort((a, b) => a.start - b.start || a.end - b.end);
}


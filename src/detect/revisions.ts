/**
 * A history holds each file many times over, a little changed each time: on three.js's releases, half
 * of the history's bytes stand unchanged in the previous version of the same path. Each version
 * is still a blob of its own and gets findings of its own, but the keyword pass (the engine's main cost)
 * runs only around what changed since the last version seen at that path; matches in the stretches both
 * share are carried over from that version, moved to their new offsets. gitleaks gets the same saving
 * by reading `git log -p`, at the price of re-parsing every patch and seeing only added lines.
 *
 * Why carrying over is exact: a keyword's matches depend only on the bytes of its windows (WINDOW_BEFORE
 * before it, its rules' maxLength after). Keywords within SCOPE_MARGIN of a change are looked for again, so
 * every match within CARRY_MARGIN of a change is found afresh; a match further away lies, with every
 * window that could have produced it, inside bytes both versions share. Rules that reach further than
 * REACH (private key blocks, JWTs) are the exception, handled by remembering where their keywords stand.
 */
import type { Match } from '../core/types.js';
import type { RuleSet } from '../rules/compile.js';
import { detect, detectScoped, REACH, resolveOverlaps, type DetectOptions } from './engine.js';
import { exampleContext, lineHasAllowMarker } from './filters.js';
import { sharedStretches } from './stretches.js';
import { copyBytes } from '../core/bytes.js';

/** Versions smaller than this are matched whole: comparing would save less than it costs. */
export const REVISION_MIN_BYTES = 8 * 1024;
/** Bytes of remembered versions, at most, per memory (one per thread that matches). */
const MEMORY_BYTES = 48 * 1024 * 1024;
/** Old matches beyond which a version is matched whole: finding the ones that do not carry over is
 * linear in matches times shared stretches (at most a few thousand). */
const MAX_CARRIED = 2000;
/** Matches this close to a change are found again rather than carried: REACH, plus the window before a
 * keyword and the longest keyword. */
const CARRY_MARGIN = REACH + 256;
/** Keywords this close to a change are looked for again: any keyword that could produce a match within
 * CARRY_MARGIN of it. */
const SCOPE_MARGIN = CARRY_MARGIN + REACH + 256;

interface Version {
  /** The version's bytes: a view of `store`. */
  data: Buffer;
  store: Buffer;
  matches: Match[];
  /** [keyword start, window end, rule index] of its far-reaching keyword hits (see Scope.reaching). */
  reaching: number[];
}

/** The last version matched at each path, and how much of what came through was looked at. */
export interface RevisionMemory {
  /** Least recently used first. */
  versions: Map<string, Version>;
  bytes: number;
  /** Bytes of versions compared with an earlier one, and of those, bytes the keyword pass still covered. */
  compared: number;
  scanned: number;
}

export function revisionMemory(): RevisionMemory {
  return { versions: new Map(), bytes: 0, compared: 0, scanned: 0 };
}

/**
 * `detect` for one version of the file at `options.path`, reusing the last version matched at that path
 * in this memory. Same results as `detect` (the tests hold it to that on edited files full of secrets).
 * For plain files only: a CI configuration's pipeline rules read the whole file.
 */
export function detectRevision(memory: RevisionMemory, data: Buffer, rs: RuleSet, options: DetectOptions): Match[] {
  const path = options.path;
  if (path === undefined || data.length < REVISION_MIN_BYTES) return detect(data, rs, options);
  const prev = memory.versions.get(path);
  const reaching: number[] = [];
  let matches: Match[];
  if (!prev) {
    // Kept from the first version on. Copying a version costs ~1/20 of matching it, and a path's second
    // version matched whole (as when only the second was kept, so that files that never change again were
    // not copied) put 15-20% more bytes through the keyword pass on release histories of few versions.
    matches = detectScoped(data, rs, options, { ranges: [0, data.length], reaching });
  } else if (prev.matches.length > MAX_CARRIED) {
    // A file of thousands of secrets (a dump, a fixture): carrying them over costs more than matching whole.
    matches = detectScoped(data, rs, options, { ranges: [0, data.length], reaching });
  } else {
    const stretches = sharedStretches(prev.data, data);
    const changed = changedSpans(stretches, prev.data.length, data.length);
    const near = widen(changed, CARRY_MARGIN, data.length);
    // Where an old match is not carried whole, what stood there is looked at again too: a window that
    // reached it may have made the match, with RE2 reading merged windows from their start, and another
    // keyword's match in the same place may now stand.
    const lost = lostSpans(prev.matches, stretches, near);
    const ranges = widen([...changed, ...lost], SCOPE_MARGIN, data.length);
    const moved = mapReaching(prev.reaching, stretches);
    const maxKeyword = rs.maxKeywordLength;
    // A far-reaching keyword in a shared stretch whose window reaches a change is looked at again. Its old
    // matches are still carried when they lie away from the change (another keyword may have made them);
    // one it makes again at the same place is the same match.
    for (let i = 0; i < moved.length; i += 3) {
      const at = moved[i]!;
      const we = moved[i + 1]!;
      if (intersects(near, at - 256, we) || intersects(lost, at - 256, we)) ranges.push(at, Math.min(data.length, at + maxKeyword));
      // Found again, and so remembered again, only if the keyword pass reads it whole.
      else if (!within(ranges, at, Math.min(data.length, at + maxKeyword))) reaching.push(at, we, moved[i + 2]!);
    }
    const scope = { ranges: merge(ranges), reaching };
    const fresh = detectScoped(data, rs, options, scope);
    const carried = carry(prev.matches, stretches, near, data, rs, options);
    matches = carried.length === 0 ? fresh : resolveOverlaps(leftmostPerRule([...fresh, ...carried]), (id) => rs.byId.get(id));
    memory.compared += data.length;
    memory.scanned += covered(scope.ranges);
  }
  remember(memory, path, { data, matches, reaching: distinctHits(reaching) });
  return matches;
}

/** The spans of `next` outside every shared stretch, and the zero-length seams where two stretches meet
 * that were not adjacent in the old version: flat [start, end) pairs in order. */
function changedSpans(stretches: number[], prevLength: number, length: number): number[] {
  const out: number[] = [];
  let pos = 0;
  let prevEnd = 0;
  for (let i = 0; i < stretches.length; i += 3) {
    const ns = stretches[i]!;
    const ps = stretches[i + 2]!;
    if (ns > pos || ps !== prevEnd) out.push(pos, ns);
    pos = stretches[i + 1]!;
    prevEnd = ps + (pos - ns);
  }
  if (pos < length || prevEnd !== prevLength) out.push(pos, length);
  return out;
}

function widen(spans: number[], margin: number, length: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < spans.length; i += 2) out.push(Math.max(0, spans[i]! - margin), Math.min(length, spans[i + 1]! + margin));
  return merge(out);
}

/** Sorts flat [start, end) pairs and merges those that overlap or touch. */
function merge(spans: number[]): number[] {
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < spans.length; i += 2) pairs.push([spans[i]!, spans[i + 1]!]);
  pairs.sort((a, b) => a[0] - b[0]);
  const out: number[] = [];
  for (const [s, e] of pairs) {
    if (out.length > 0 && s <= out[out.length - 1]!) out[out.length - 1] = Math.max(out[out.length - 1]!, e);
    else out.push(s, e);
  }
  return out;
}

/** Whether [s, e) meets one of the sorted, disjoint spans. */
function intersects(spans: number[], s: number, e: number): boolean {
  let lo = 0;
  let hi = spans.length / 2;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (spans[mid * 2 + 1]! <= s) lo = mid + 1;
    else hi = mid;
  }
  return lo < spans.length / 2 && spans[lo * 2]! < e;
}

/** Hits found afresh may also have been carried: each (keyword start, rule) once. */
function distinctHits(hits: number[]): number[] {
  const seen = new Set<string>();
  const out: number[] = [];
  for (let i = 0; i < hits.length; i += 3) {
    const key = `${hits[i]}:${hits[i + 2]}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(hits[i]!, hits[i + 1]!, hits[i + 2]!);
  }
  return out;
}

/** Whether one of the sorted, disjoint spans holds [s, e) whole. */
function within(spans: number[], s: number, e: number): boolean {
  for (let i = 0; i < spans.length; i += 2) if (spans[i]! <= s && e <= spans[i + 1]!) return true;
  return false;
}

function covered(spans: number[]): number {
  let n = 0;
  for (let i = 0; i < spans.length; i += 2) n += spans[i + 1]! - spans[i]!;
  return n;
}

/**
 * Calls `fn(item, shift)` for every item whose old span [startOf, endOf) one stretch holds whole, once per
 * such stretch: a stretch the new version repeats (a pasted block, a line that was there twice) holds its
 * matches in each copy. `items` must be sorted by startOf.
 */
function eachMapped<T>(items: T[], startOf: (t: T) => number, endOf: (t: T) => number, stretches: number[], fn: (t: T, shift: number) => void): void {
  if (items.length === 0) return;
  for (let i = 0; i < stretches.length; i += 3) {
    const ps = stretches[i + 2]!;
    const pe = ps + (stretches[i + 1]! - stretches[i]!);
    let lo = 0;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (startOf(items[mid]!) < ps) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo; k < items.length && startOf(items[k]!) < pe; k++) {
      if (endOf(items[k]!) <= pe) fn(items[k]!, stretches[i]! - ps);
    }
  }
}

function mapReaching(reaching: number[], stretches: number[]): number[] {
  const hits: Array<[number, number, number]> = [];
  for (let i = 0; i < reaching.length; i += 3) hits.push([reaching[i]!, reaching[i + 1]!, reaching[i + 2]!]);
  hits.sort((a, b) => a[0] - b[0]);
  const out: number[] = [];
  eachMapped(hits, (h) => h[0], (h) => h[0] + 1, stretches, (h, d) => out.push(h[0] + d, h[1] + d, h[2]));
  return out;
}

/**
 * The old version's matches that lie in a shared stretch away from every change, at their new offsets.
 * Checks that read around the match are asked again: a `sprawl:allow` added at the end of a long line,
 * or a <pre> opened 2 KiB above in an HTML page, is a change far from the secret.
 */
function carry(old: Match[], stretches: number[], near: number[], data: Buffer, rs: RuleSet, options: DetectOptions): Match[] {
  const out: Match[] = [];
  const sorted = [...old].sort((a, b) => a.matchStart - b.matchStart);
  eachMapped(sorted, (m) => m.matchStart, (m) => m.matchEnd, stretches, (m, d) => {
    const s = m.matchStart + d;
    const e = m.matchEnd + d;
    if (intersects(near, s, e)) return;
    const rule = rs.byId.get(m.ruleId);
    if (options.inlineAllow !== false && lineHasAllowMarker(data, s)) return;
    if (rule?.generic && exampleContext(data, s, options.path)) return;
    out.push({ ...m, start: m.start + d, end: m.end + d, matchStart: s, matchEnd: e });
  });
  return out;
}

/** Of a rule's matches that overlap, the one that starts first, as one pass of its pattern over the
 * whole file keeps: a window read again may find, inside a match carried over, a shorter one. */
function leftmostPerRule(matches: Match[]): Match[] {
  const sorted = [...matches].sort((a, b) => a.matchStart - b.matchStart || b.matchEnd - a.matchEnd);
  const lastEnd = new Map<string, number>();
  return sorted.filter((m) => {
    if (m.decodedFrom.length > 0) return true;
    if (m.matchStart < (lastEnd.get(m.ruleId) ?? -1)) return false;
    lastEnd.set(m.ruleId, m.matchEnd);
    return true;
  });
}

/** In the new version's offsets, the parts of old matches that stretches hold but that are not carried
 * whole (the match straddles a change, or lies near one), sorted and merged. */
function lostSpans(old: Match[], stretches: number[], near: number[]): number[] {
  const out: number[] = [];
  for (const m of old) {
    for (let i = 0; i < stretches.length; i += 3) {
      const ps = stretches[i + 2]!;
      const pe = ps + (stretches[i + 1]! - stretches[i]!);
      const s = Math.max(m.matchStart, ps);
      const e = Math.min(m.matchEnd, pe);
      if (s >= e) continue;
      const d = stretches[i]! - ps;
      const whole = s === m.matchStart && e === m.matchEnd;
      if (!whole || intersects(near, s + d, e + d)) out.push(s + d, e + d);
    }
  }
  return merge(out);
}

function remember(memory: RevisionMemory, path: string, version: Omit<Version, 'store'>): void {
  const old = memory.versions.get(path);
  let store: Buffer | null = null;
  if (old) {
    memory.versions.delete(path);
    memory.bytes -= old.store.length;
    if (old.store.length >= version.data.length) store = old.store;
  }
  // The version is copied into a buffer of its own, the previous version's when it fits: the caller's
  // buffer is a worker's batch (shared memory, filled again), or a blob cat-file's reader lends. Reusing the path's
  // buffer keeps the copies from being fresh external memory the GC must answer for. A quarter more room:
  // a file's next version is often a little larger.
  store ??= Buffer.allocUnsafeSlow(Math.ceil(version.data.length * 1.25));
  copyBytes(version.data, store);
  memory.versions.set(path, { ...version, data: store.subarray(0, version.data.length), store });
  memory.bytes += store.length;
  for (const [p, v] of memory.versions) {
    if (memory.bytes <= MEMORY_BYTES) break;
    memory.versions.delete(p);
    memory.bytes -= v.store.length;
  }
}

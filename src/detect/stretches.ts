/**
 * Stretches two versions of a file share, found with memcmp alone: no byte is hashed or looped over in
 * JavaScript, so finding them costs a small fraction of matching the bytes they save.
 *
 * The common prefix and suffix are found first (most commits change one place in a file); what is left
 * in the middle is split at a sample of the new version found again in the old one, and each side is
 * aligned in turn. A release's bundle, changed in hundreds of places, splits into its unchanged stretches
 * this way in a few hundred steps.
 */

/** Shared stretches shorter than this are not looked for: the margins around changes would cover them. */
export const MIN_STRETCH = 4096;
/** Bytes of the new version looked for in the old one to split a changed middle. */
const SAMPLE = 64;
/** Bytes either side of a sample's expected place in the old version that it is looked for in. */
const SEARCH_SLACK = 64 * 1024;
/** Alignment steps per pair of versions: a bound on the work, whatever the input. */
const MAX_STEPS = 2048;

/**
 * Stretches of `next` byte-identical to stretches of `prev`, as flat [nextStart, nextEnd, prevStart]
 * triples sorted by nextStart, disjoint in `next`. Every stretch is verified with memcmp; stretches may map
 * to `prev` out of order (a moved block).
 */
export function sharedStretches(prev: Buffer, next: Buffer): number[] {
  const out: number[] = [];
  let steps = 0;
  const push = (ns: number, ne: number, ps: number): void => {
    if (ne - ns > 0) out.push(ns, ne, ps);
  };
  const align = (ps: number, pe: number, ns: number, ne: number): void => {
    if (++steps > MAX_STEPS || pe - ps < MIN_STRETCH || ne - ns < MIN_STRETCH) return;
    const p = commonPrefix(prev, ps, pe, next, ns, ne);
    const s = commonSuffix(prev, ps + p, pe, next, ns + p, ne);
    push(ns, ns + p, ps);
    splitMiddle(ps + p, pe - s, ns + p, ne - s);
    push(ne - s, ne, pe - s);
  };
  const splitMiddle = (ps: number, pe: number, ns: number, ne: number): void => {
    if (pe - ps < MIN_STRETCH || ne - ns < MIN_STRETCH) return;
    // The middle first; a sample may fall on a changed line or repeat elsewhere, so two more are tried.
    // Each is looked for where it would stand had the change been spread evenly, give or take the
    // difference in length and SEARCH_SLACK: a sample from a changed line is then not looked for
    // through the whole old version.
    const slack = Math.abs(pe - ps - (ne - ns)) + SEARCH_SLACK;
    for (const f of [0.5, 0.25, 0.75]) {
      const at = ns + Math.floor((ne - ns - SAMPLE) * f);
      const expected = ps + Math.floor((pe - ps - SAMPLE) * f);
      const q = findNear(prev, next.subarray(at, at + SAMPLE), expected, slack, ps, pe);
      if (q < 0) continue;
      const back = commonSuffix(prev, ps, q, next, ns, at);
      const fwd = commonPrefix(prev, q, pe, next, at, ne);
      if (back + fwd < MIN_STRETCH) continue;
      align(ps, q - back, ns, at - back);
      push(at - back, at + fwd, q - back);
      align(q + fwd, pe, at + fwd, ne);
      return;
    }
  };
  align(0, prev.length, 0, next.length);
  return out;
}

/** Reaches tried in turn around a sample's expected place, before the whole slack. */
const NEAR = [1024, 8 * 1024] as const;

/**
 * Where `sample` occurs in prev[ps, pe) within `slack` of `expected`, looked for close to `expected` first:
 * most samples stand within a few hundred bytes of where an even spread of the changes puts them, and
 * searching the whole slack for each (128 KiB) read ~700 MB for three.js's 4,539 pairs of versions.
 */
function findNear(prev: Buffer, sample: Buffer, expected: number, slack: number, ps: number, pe: number): number {
  const within = (reach: number): number => {
    const from = Math.max(ps, expected - reach);
    const found = prev.subarray(from, Math.min(pe, expected + reach + sample.length)).indexOf(sample);
    return found < 0 ? -1 : from + found;
  };
  for (const reach of NEAR) {
    if (reach >= slack) break;
    const q = within(reach);
    if (q >= 0) return q;
  }
  return within(slack);
}

/** Bytes below which a mismatch is found by a byte loop rather than by halving. */
const NARROW = 16;

/** Length of the longest common prefix of a[as, ae) and b[bs, be): galloping memcmp, then halving. */
export function commonPrefix(a: Buffer, as: number, ae: number, b: Buffer, bs: number, be: number): number {
  const max = Math.min(ae - as, be - bs);
  let n = 0;
  let step = 64;
  while (n < max) {
    const k = Math.min(step, max - n);
    if (a.compare(b, bs + n, bs + n + k, as + n, as + n + k) !== 0) {
      let lo = n;
      let hi = n + k;
      while (hi - lo > NARROW) {
        const mid = (lo + hi) >>> 1;
        if (a.compare(b, bs + lo, bs + mid, as + lo, as + mid) === 0) lo = mid;
        else hi = mid;
      }
      while (lo < hi && a[as + lo] === b[bs + lo]) lo++;
      return lo;
    }
    n += k;
    step = Math.min(step * 2, 1 << 20);
  }
  return max;
}

/** Length of the longest common suffix of a[as, ae) and b[bs, be). */
export function commonSuffix(a: Buffer, as: number, ae: number, b: Buffer, bs: number, be: number): number {
  const max = Math.min(ae - as, be - bs);
  let n = 0;
  let step = 64;
  while (n < max) {
    const k = Math.min(step, max - n);
    if (a.compare(b, be - n - k, be - n, ae - n - k, ae - n) !== 0) {
      // Equal for the last `lo` bytes; unequal somewhere within the last `hi`.
      let lo = n;
      let hi = n + k;
      while (hi - lo > NARROW) {
        const mid = (lo + hi) >>> 1;
        if (a.compare(b, be - mid, be - lo, ae - mid, ae - lo) === 0) lo = mid;
        else hi = mid;
      }
      while (lo < hi && a[ae - lo - 1] === b[be - lo - 1]) lo++;
      return lo;
    }
    n += k;
    step = Math.min(step * 2, 1 << 20);
  }
  return max;
}

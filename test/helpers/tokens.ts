import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { base62 } from '../../src/detect/checksums.js';

const ALPHA = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Deterministic random base62 of length n for a seed: fake secrets that look random. */
export function randomBase62(n: number, seed: string): string {
  let out = '';
  let i = 0;
  while (out.length < n) {
    for (const b of createHash('sha256').update(`${seed}:${i++}`).digest()) {
      if (b < 248) out += ALPHA[b % 62];
      if (out.length === n) break;
    }
  }
  return out;
}

/** A fake GitHub/npm-style token (ghp, gho, npm, ...) with a valid CRC32 checksum. Never live. */
export function fakeChecksummedToken(prefix: 'ghp' | 'gho' | 'ghu' | 'ghs' | 'npm', seed: string): string {
  const body = randomBase62(30, seed);
  return `${prefix}_${body}${base62(crc32(body), 6)}`;
}

/** Same shape, wrong checksum. */
export function badChecksumToken(prefix: 'ghp' | 'npm', seed: string): string {
  const good = fakeChecksummedToken(prefix, seed);
  const last = good.at(-1) === 'A' ? 'B' : 'A';
  return good.slice(0, -1) + last;
}

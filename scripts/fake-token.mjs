#!/usr/bin/env node
// Prints fake tokens in real provider formats, checksums included, for rule examples and fixtures.
// Usage: node scripts/fake-token.mjs <kind> [count] [seed]
//   kinds: ghp gho ghu ghs ghr npm glsa   (anything else: random base62 of that length, e.g. 40)
// Seeded, so the same call prints the same tokens. None of these is a live credential.
import { crc32 } from 'node:zlib';
import { createHash } from 'node:crypto';

const ALPHA = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const seed = process.argv[4] ?? '1';
let counter = 0;
const rand = () => createHash('sha256').update(`${seed}:${counter++}`).digest().readUInt32BE(0) / 2 ** 32;
const pick = (alpha, n) => Array.from({ length: n }, () => alpha[Math.floor(rand() * alpha.length)]).join('');
const b62 = (n, w) => { let s = ''; while (n > 0) { s = ALPHA[n % 62] + s; n = Math.floor(n / 62); } return s.padStart(w, '0'); };

function make(kind) {
  if (/^(ghp|gho|ghu|ghs|ghr|npm)$/.test(kind)) {
    const body = pick(ALPHA, 30);
    return `${kind}_${body}${b62(crc32(body), 6)}`;
  }
  if (kind === 'glsa') {
    const head = `glsa_${pick(ALPHA, 32)}`;
    return `${head}_${crc32(head).toString(16).padStart(8, '0')}`;
  }
  const n = Number(kind);
  if (n > 0) return pick(ALPHA, n);
  throw new Error(`unknown kind ${kind}`);
}

const count = Number(process.argv[3] ?? 1);
for (let i = 0; i < count; i++) console.log(make(process.argv[2] ?? 'ghp'));

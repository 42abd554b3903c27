/**
 * Text that is not UTF-8 but is still text: UTF-16, which Windows tools write by default (PowerShell 5's
 * `Out-File` and `>`, regedit's .reg exports, many .ps1 and .txt files). Every other byte of its ASCII is a
 * NUL, so the binary check would skip it; gitleaks does, and a password in a UTF-16 script went unseen.
 */

/** Bytes looked at for a NUL to call content binary: git's heuristic. */
export const BINARY_PROBE = 8000;

type Order = 'utf-16le' | 'utf-16be';

/** The bytes to match: `data` itself; UTF-16 text as UTF-8; null for binary content. */
export function asText(data: Buffer): Buffer | null {
  const order = byteOrderMark(data) ?? (data.subarray(0, BINARY_PROBE).includes(0) ? nulOrder(data) ?? 'binary' : null);
  if (order === null) return data;
  if (order === 'binary') return null;
  return Buffer.from(new TextDecoder(order).decode(data), 'utf8');
}

/** Whether the first bytes of a file (a probe) are UTF-16 text: its whole content is then worth reading. */
export function isUtf16(head: Buffer): boolean {
  return (byteOrderMark(head) ?? nulOrder(head)) !== null;
}

function byteOrderMark(data: Buffer): Order | null {
  if (data.length >= 2 && data[0] === 0xff && data[1] === 0xfe) return 'utf-16le';
  if (data.length >= 2 && data[0] === 0xfe && data[1] === 0xff) return 'utf-16be';
  return null;
}

/**
 * UTF-16 without a mark, told by where its NULs stand: ASCII-range text has a NUL in nearly every high
 * byte and almost none in the low ones, where a binary format has NULs on both sides. Asked only of content
 * that holds a NUL.
 */
function nulOrder(data: Buffer): Order | null {
  const n = Math.min(data.length, BINARY_PROBE) & ~1;
  if (n < 16) return null;
  let zeroEven = 0;
  let zeroOdd = 0;
  for (let i = 0; i < n; i += 2) {
    if (data[i] === 0) zeroEven++;
    if (data[i + 1] === 0) zeroOdd++;
  }
  const pairs = n / 2;
  if (zeroOdd >= 0.9 * pairs && zeroEven <= 0.02 * pairs) return 'utf-16le';
  if (zeroEven >= 0.9 * pairs && zeroOdd <= 0.02 * pairs) return 'utf-16be';
  return null;
}

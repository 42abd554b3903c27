import RE2 from 're2';

/**
 * Encoded segments long enough to hold a secret: base64 (standard and url-safe), hex, and percent-encoding.
 * A segment is worth rescanning only when it decodes to mostly printable text; binary (hashes, images,
 * compressed data, public keys in DER) is left alone.
 */
export interface EncodedSegment {
  /** Byte span of the encoded text in the data it was found in. */
  start: number;
  end: number;
  kind: 'base64' | 'hex' | 'percent';
  decoded: Buffer;
}

/** 24 base64 characters hold 18 bytes: the shortest token worth finding (a 16-byte key plus a prefix). */
const MIN_RUN = 24;
const PERCENT = new RE2('[A-Za-z0-9._~+/=:@-]*(?:%[0-9A-Fa-f]{2}[A-Za-z0-9._~+/=:@-]*){2,}', 'g');
const MAX_SEGMENT = 64 * 1024;

// Character classes of the base64/hex alphabet, as bits, so one pass over the bytes can find runs and
// tell what they are made of without a regex match object per run (RE2's per-match cost dominated here).
const UPPER = 1;
const LOWER = 2;
const DIGIT = 4;
const STD = 8; // + and /
const URL = 16; // - and _
const NON_HEX = 32; // letters past f/F
const CLASS = new Uint8Array(256);
for (let c = 65; c <= 90; c++) CLASS[c] = UPPER | (c > 70 ? NON_HEX : 0);
for (let c = 97; c <= 122; c++) CLASS[c] = LOWER | (c > 102 ? NON_HEX : 0);
for (let c = 48; c <= 57; c++) CLASS[c] = DIGIT;
CLASS[43] = CLASS[47] = STD;
CLASS[45] = CLASS[95] = URL;

export function printableRatio(buf: Buffer): number {
  if (buf.length === 0) return 0;
  let ok = 0;
  for (const b of buf) if ((b >= 32 && b < 127) || b === 9 || b === 10 || b === 13 || b >= 0xc2) ok++;
  return ok / buf.length;
}

/** Which decoding a run of the base64 alphabet calls for, from the classes it holds; null = none. */
function kindOfRun(mask: number, length: number): 'hex' | 'base64' | 'base64url' | null {
  if ((mask & (NON_HEX | STD | URL)) === 0 && length % 2 === 0 && length >= 32) return 'hex';
  // Identifiers, paths and words match the alphabet too; base64 of text mixes cases and digits.
  if ((mask & (UPPER | LOWER | DIGIT)) !== (UPPER | LOWER | DIGIT)) return null;
  if ((mask & STD) !== 0 && (mask & URL) !== 0) return null;
  return (mask & URL) !== 0 ? 'base64url' : 'base64';
}

function decodeRun(data: Buffer, start: number, end: number, kind: 'hex' | 'base64' | 'base64url'): Buffer | null {
  const text = data.toString('latin1', start, end);
  if (kind === 'hex') {
    // Most hex runs are hashes: reject on the first bytes before decoding the rest.
    if (printableRatio(Buffer.from(text.slice(0, 16), 'hex')) < 0.9) return null;
    return Buffer.from(text, 'hex');
  }
  if (printableRatio(Buffer.from(text.slice(0, 16), kind)) < 0.9) return null;
  return Buffer.from(text, kind);
}

/**
 * Finds decodable segments that touch the given [start, end) windows (a run that starts before or ends
 * after a window is followed to its ends), spending at most `budget.bytes` decoded bytes in all.
 */
export function findEncodedSegments(data: Buffer, budget: { bytes: number }, windows: number[]): EncodedSegment[] {
  const out: EncodedSegment[] = [];
  const keep = (start: number, end: number, kind: EncodedSegment['kind'], decoded: Buffer | null): void => {
    if (!decoded || decoded.length < 12 || printableRatio(decoded) < 0.9) return;
    budget.bytes -= decoded.length;
    out.push({ start, end, kind, decoded });
  };
  const n = data.length;
  let scannedTo = 0;
  for (let w = 0; w < windows.length && budget.bytes > 0; w += 2) {
    let i = Math.max(windows[w]!, scannedTo);
    const stop = windows[w + 1]!;
    // Back up to the start of a run the window opens inside.
    while (i > scannedTo && CLASS[data[i - 1]!]! !== 0) i--;
    let runStart = -1;
    let mask = 0;
    for (; i <= n && budget.bytes > 0; i++) {
      const cls = i < n ? CLASS[data[i]!]! : 0;
      if (cls !== 0) {
        if (runStart < 0) {
          if (i >= stop) break;
          runStart = i;
          mask = 0;
        }
        mask |= cls;
        continue;
      }
      if (runStart >= 0) {
        const len = i - runStart;
        if (len >= MIN_RUN && len <= MAX_SEGMENT) {
          const kind = kindOfRun(mask, len);
          if (kind) {
            let end = i;
            while (end < n && end - i < 2 && data[end] === 61) end++; // '=' padding
            keep(runStart, end, kind === 'hex' ? 'hex' : 'base64', decodeRun(data, runStart, end, kind));
          }
        }
        runStart = -1;
      }
      if (i >= stop) break;
    }
    scannedTo = i;
  }
  for (let w = 0; w < windows.length && budget.bytes > 0; w += 2) {
    const base = windows[w]!;
    const window = data.subarray(base, windows[w + 1]!);
    if (window.indexOf(37) === -1) continue;
    PERCENT.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = PERCENT.exec(window as unknown as string)) !== null && budget.bytes > 0) {
      const start = base + m.index;
      const end = start + (m[0] as unknown as Buffer).length;
      if (end - start > MAX_SEGMENT) continue;
      let decoded: Buffer | null = null;
      try {
        decoded = Buffer.from(decodeURIComponent(data.toString('latin1', start, end).replace(/\+/g, ' ')), 'utf8');
      } catch {
        // Not valid percent-encoding: leave it.
      }
      keep(start, end, 'percent', decoded);
    }
  }
  return out;
}

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
const BASE64_OR_HEX = new RE2('[A-Za-z0-9+/_-]{24,}={0,2}', 'g');
const PERCENT = new RE2('[A-Za-z0-9._~+/=:@-]*(?:%[0-9A-Fa-f]{2}[A-Za-z0-9._~+/=:@-]*){2,}', 'g');
const HEX_ONLY = /^(?:[0-9a-fA-F]{2})+$/;
const MAX_SEGMENT = 64 * 1024;

export function printableRatio(buf: Buffer): number {
  if (buf.length === 0) return 0;
  let ok = 0;
  for (const b of buf) if ((b >= 32 && b < 127) || b === 9 || b === 10 || b === 13 || b >= 0xc2) ok++;
  return ok / buf.length;
}

function decodeCandidate(text: string): { kind: EncodedSegment['kind']; decoded: Buffer } | null {
  if (HEX_ONLY.test(text)) return text.length >= 32 ? { kind: 'hex', decoded: Buffer.from(text, 'hex') } : null;
  // Identifiers and paths match the base64 class too; real base64 of text mixes cases and digits.
  if (!/[A-Z]/.test(text) || !/[a-z]/.test(text) || !/[0-9]/.test(text)) return null;
  const urlSafe = /[-_]/.test(text);
  if (urlSafe && /[+/]/.test(text)) return null;
  return { kind: 'base64', decoded: Buffer.from(text, urlSafe ? 'base64url' : 'base64') };
}

/** Finds decodable segments, spending at most `budget.bytes` decoded bytes (shared across recursion). */
export function findEncodedSegments(data: Buffer, budget: { bytes: number }): EncodedSegment[] {
  const out: EncodedSegment[] = [];
  const consider = (start: number, end: number, kind: EncodedSegment['kind'] | null): void => {
    if (budget.bytes <= 0 || end - start > MAX_SEGMENT) return;
    const text = data.toString('latin1', start, end);
    let d: { kind: EncodedSegment['kind']; decoded: Buffer } | null;
    if (kind === 'percent') {
      try {
        d = { kind, decoded: Buffer.from(decodeURIComponent(text.replace(/\+/g, ' ')), 'utf8') };
      } catch {
        d = null;
      }
    } else {
      d = decodeCandidate(text);
    }
    if (!d || d.decoded.length < 12 || printableRatio(d.decoded) < 0.9) return;
    budget.bytes -= d.decoded.length;
    out.push({ start, end, kind: d.kind, decoded: d.decoded });
  };
  for (const [re, kind] of [[BASE64_OR_HEX, null], [PERCENT, 'percent']] as const) {
    if (kind === 'percent' && data.indexOf(37) === -1) continue;
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(data as unknown as string)) !== null) {
      const start = m.index;
      const end = start + (m[0] as unknown as Buffer).length;
      consider(start, end, kind);
    }
  }
  return out;
}

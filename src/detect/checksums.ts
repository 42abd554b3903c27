import { zlib } from '../core/builtins.js';

/**
 * Offline checksums that providers build into their tokens. A rule names one with `checksum:`; a token
 * that fails it is downgraded to low confidence (a typo, a truncated copy, or a made-up string).
 */

/** pybase62's default alphabet, the one GitHub and npm use for token checksums. */
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function base62(n: number, width: number): string {
  let s = '';
  let v = n;
  while (v > 0) {
    s = BASE62[v % 62] + s;
    v = Math.floor(v / 62);
  }
  return s.padStart(width, '0');
}

/**
 * GitHub `gh?_` tokens and npm `npm_` tokens: a 4-character prefix, 30 random base62 characters, then the
 * CRC32 of those 30 characters in base62, left-padded to 6.
 * https://github.blog/2021-04-05-behind-githubs-new-authentication-token-formats/
 * https://github.blog/2021-09-23-announcing-npms-new-access-token-format/
 */
function base62Crc32Suffix(token: string): boolean {
  if (token.length !== 40) return false;
  const body = token.slice(4, 34);
  return base62(zlib().crc32(body), 6) === token.slice(34);
}

/**
 * Grafana service-account tokens: `glsa_` + 32 alphanumerics + `_` + 8 hex digits of the CRC32 of everything
 * before the last underscore.
 * https://grafana.com/docs/grafana/latest/administration/service-accounts/ (format), grafana/pkg/components/satokengen
 */
function grafanaServiceAccount(token: string): boolean {
  const cut = token.lastIndexOf('_');
  if (cut < 0) return false;
  const sum = zlib().crc32(token.slice(0, cut)).toString(16).padStart(8, '0');
  return sum === token.slice(cut + 1).toLowerCase();
}

/** JWTs: the header must be base64url JSON naming an algorithm, the payload base64url JSON. RFC 7519. */
function jwtStructure(token: string): boolean {
  const [h, p] = token.split('.');
  if (!h || !p) return false;
  try {
    const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Record<string, unknown>;
    JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    return typeof header === 'object' && header !== null && ('alg' in header || 'typ' in header);
  } catch {
    return false;
  }
}

export const CHECKSUMS: Record<string, (secret: string) => boolean> = {
  'github-crc32': base62Crc32Suffix,
  'npm-crc32': base62Crc32Suffix,
  'grafana-crc32': grafanaServiceAccount,
  'jwt-structure': jwtStructure,
};

import { crypto } from './builtins.js';

/**
 * Identities are hashes with a documented recipe.
 *
 * secretId = "s1:" + hex(HMAC-SHA256(key, value)), first 32 hex digits. The key comes from the
 * environment variable SPRAWL_ID_KEY; without it, DEFAULT_ID_KEY. A keyed hash means a short token cannot be
 * brute-forced from a report by someone who lacks the key, while the same key gives the same id across
 * repositories and runs (so baselines and inventories work). Teams that share reports outside the
 * organisation should set their own key.
 */
export const DEFAULT_ID_KEY = 'sprawl-default-id-key-v1';

export function idKey(env: NodeJS.ProcessEnv = process.env): string {
  return env.SPRAWL_ID_KEY && env.SPRAWL_ID_KEY.length > 0 ? env.SPRAWL_ID_KEY : DEFAULT_ID_KEY;
}

export function secretId(value: string, key: string): string {
  return 's1:' + crypto().createHmac('sha256', key).update(value, 'utf8').digest('hex').slice(0, 32);
}

/** Occurrence id = sha256 of (rule, provenance, span): stable for the same occurrence across runs. */
export function occurrenceId(parts: Array<string | number | undefined | null>): string {
  const h = crypto().createHash('sha256');
  for (const p of parts) h.update(String(p ?? '')).update('\0');
  return h.digest('hex').slice(0, 24);
}

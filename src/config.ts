import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createRequire } from 'node:module';

// Loaded on first use only: most scans have no sprawl.yaml (see rules/load.ts).
const requireLazy = createRequire(import.meta.url);

/**
 * `sprawl.yaml`. Every field optional:
 * ```yaml
 * rules: [./my-rules]          # extra rule folders, relative to this file
 * disabledRules: [generic.password-assignment]
 * allowlist:
 *   paths: ["test/fixtures/**", "*.snap"]   # gitignore syntax, relative to the scan target
 *   regexes: ["^AKIA.*TESTKEY$"]            # RE2, matched against the secret value
 *   secretIds: ["s1:0123..."]               # secrets to ignore by id
 * maxFileSize: 10MiB
 * maxDecodeDepth: 2
 * ```
 */
export interface SprawlConfig {
  rules: string[];
  disabledRules: string[];
  allowlist: { paths: string[]; regexes: string[]; secretIds: string[] };
  maxFileSize?: number;
  maxDecodeDepth?: number;
}

/** A configuration or usage problem: the CLI exits 2 with its message. */
export class ConfigError extends Error {}

export const CONFIG_NAMES = ['sprawl.yaml', '.sprawl.yaml', 'sprawl.yml', '.sprawl.yml'];

export function emptyConfig(): SprawlConfig {
  return { rules: [], disabledRules: [], allowlist: { paths: [], regexes: [], secretIds: [] } };
}

export function parseSize(v: unknown, where: string): number {
  if (typeof v === 'number' && v > 0) return v;
  const m = typeof v === 'string' ? /^(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)?$/i.exec(v.trim()) : null;
  if (!m) throw new ConfigError(`${where}: size must be a number of bytes or like '10MiB', got ${JSON.stringify(v)}`);
  const unit = (m[2] ?? 'b').toLowerCase();
  const mult = unit.startsWith('k') ? 1024 : unit.startsWith('m') ? 1024 ** 2 : unit.startsWith('g') ? 1024 ** 3 : 1;
  return Math.round(Number(m[1]) * mult);
}

function list(v: unknown, where: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new ConfigError(`${where} must be a list of strings`);
  return v as string[];
}

export function loadConfig(path: string): SprawlConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`${path}: cannot read config: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseConfig(text, path, dirname(resolve(path)));
}

/** A configuration's text; `where` names it in errors, and `rules` folders are taken relative to `base`. */
export function parseConfig(text: string, where: string, base: string): SprawlConfig {
  let raw: unknown;
  try {
    raw = (requireLazy('yaml') as typeof import('yaml')).parse(text);
  } catch (e) {
    throw new ConfigError(`${where}: invalid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (raw === null || raw === undefined) return emptyConfig();
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`${where}: expected a mapping at the top level`);
  const r = raw as Record<string, unknown>;
  const known = ['rules', 'disabledRules', 'allowlist', 'maxFileSize', 'maxDecodeDepth'];
  for (const k of Object.keys(r)) if (!known.includes(k)) throw new ConfigError(`${where}: unknown key '${k}' (known: ${known.join(', ')})`);
  const allow = (r.allowlist ?? {}) as Record<string, unknown>;
  const config: SprawlConfig = {
    rules: list(r.rules, `${where}: rules`).map((d) => resolve(base, d)),
    disabledRules: list(r.disabledRules, `${where}: disabledRules`),
    allowlist: {
      paths: list(allow.paths, `${where}: allowlist.paths`),
      regexes: list(allow.regexes, `${where}: allowlist.regexes`),
      secretIds: list(allow.secretIds, `${where}: allowlist.secretIds`),
    },
  };
  if (r.maxFileSize !== undefined) config.maxFileSize = parseSize(r.maxFileSize, `${where}: maxFileSize`);
  if (r.maxDecodeDepth !== undefined) {
    if (typeof r.maxDecodeDepth !== 'number' || r.maxDecodeDepth < 0 || r.maxDecodeDepth > 5) {
      throw new ConfigError(`${where}: maxDecodeDepth must be a number from 0 to 5`);
    }
    config.maxDecodeDepth = r.maxDecodeDepth;
  }
  return config;
}

/** A baseline is a previous JSON report (or a list of secretIds): its secrets are not reported again. */
export function loadBaseline(path: string): Set<string> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`${path}: cannot read baseline: ${(e as Error).message}`);
  }
  const ids = new Set<string>();
  const add = (v: unknown): void => {
    if (typeof v === 'string') ids.add(v);
  };
  if (Array.isArray(raw)) raw.forEach((x) => add(typeof x === 'object' && x ? (x as { secretId?: unknown }).secretId : x));
  else if (raw && typeof raw === 'object' && ('secrets' in raw || 'findings' in raw)) {
    const r = raw as { secrets?: Array<{ secretId?: unknown }>; findings?: Array<{ secretId?: unknown }> };
    for (const s of r.secrets ?? []) add(s.secretId);
    for (const f of r.findings ?? []) add(f.secretId);
  }
  else throw new ConfigError(`${path}: not a baseline: expected a sprawl JSON report or a list of secretIds`);
  return ids;
}

import { readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../config.js';

/** One repository of an org scan. */
export interface RepoTarget {
  /**
   * The repository's name in reports, and what `--shard` hashes: `owner/name` from GitHub, the path of a
   * URL without `.git` (`group/sub/name` on GitLab), or a local folder's name without `.git`.
   */
  name: string;
  /** What git mirrors: a URL, or an absolute local path. */
  url: string;
  /** Send `GITHUB_TOKEN` when mirroring it: HTTPS on the GitHub host (github.com or `--api-url`'s). */
  auth: boolean;
}

/** URL schemes git clones from, and the scp-like `user@host:path` form. */
const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;
const SCP_LIKE = /^[^/\s@]+@[^/\s:]+:(?!\/\/)/;

/** A URL (or a message quoting URLs) with any `user:password@` masked, for messages and reports. */
export function displayUrl(url: string): string {
  return url.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, '$1***@');
}

/** The name a URL or path stands for in reports (see RepoTarget.name). */
export function repoNameOf(url: string): string {
  const strip = (p: string): string => p.replace(/[?#].*$/, '').replace(/\/+$/, '').replace(/\.git$/, '').replace(/^\/+/, '');
  if (URL_LIKE.test(url) && !/^file:/i.test(url)) {
    const u = new URL(url);
    return strip(decodeURIComponent(u.pathname)) || u.host;
  }
  if (SCP_LIKE.test(url)) return strip(url.slice(url.indexOf(':') + 1)) || url;
  const path = /^file:/i.test(url) ? new URL(url).pathname : url;
  return basename(strip(path)) || path;
}

/** The host GitHub serves git from, for a REST API root: api.github.com → github.com; GHE serves both. */
export function githubWebHost(apiUrl: string): string {
  const host = new URL(apiUrl).host;
  return host === 'api.github.com' ? 'github.com' : host;
}

/**
 * The repository list of `--repos FILE`: one URL or local path a line; blank lines and lines starting
 * with `#` are ignored. Relative paths are relative to the list file, as paths in sprawl.yaml are.
 * The same URL twice is listed once; two URLs with the same name are refused, since reports could not
 * tell them apart.
 */
export function parseRepoList(text: string, file: string, githubHost = 'github.com'): RepoTarget[] {
  const byName = new Map<string, RepoTarget>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const remote = URL_LIKE.test(line) || SCP_LIKE.test(line);
    if (URL_LIKE.test(line)) {
      try {
        new URL(line);
      } catch {
        throw new ConfigError(`${file}:${i + 1}: not a valid URL: ${displayUrl(line)}`);
      }
    }
    const url = remote ? line : isAbsolute(line) ? line : resolve(dirname(resolve(file)), line);
    const name = repoNameOf(line);
    const auth = /^https:\/\//i.test(url) && new URL(url).host === githubHost;
    const seen = byName.get(name);
    if (seen && seen.url !== url) throw new ConfigError(`${file}:${i + 1}: ${displayUrl(line)} and ${displayUrl(seen.url)} are both named '${name}': list one of them`);
    if (!seen) byName.set(name, { name, url, auth });
  });
  return [...byName.values()];
}

/** Reads `--repos FILE`. An unreadable or empty list is a usage error. */
export function readRepoList(file: string, githubHost?: string): RepoTarget[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`${file}: cannot read the repository list: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const targets = parseRepoList(text, file, githubHost);
  if (targets.length === 0) throw new ConfigError(`${file}: lists no repository (one URL or path a line; # starts a comment)`);
  return targets;
}

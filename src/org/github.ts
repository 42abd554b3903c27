import { ConfigError } from '../config.js';
import { VERSION } from '../version.js';
import { githubWebHost, type RepoTarget } from './targets.js';

/** Options of the GitHub organisation listing. */
export interface GithubListOptions {
  org: string;
  /** REST API root. Default `https://api.github.com`; GitHub Enterprise Server: `https://HOST/api/v3`. */
  apiUrl?: string;
  /** `GITHUB_TOKEN`: optional for a public organisation, needed for private repositories. */
  token?: string;
  /** List forks too. Default false. */
  includeForks?: boolean;
  /** List archived repositories too. Default false. */
  includeArchived?: boolean;
  /** The fetch to use. Default the global one. */
  fetch?: typeof fetch;
}

/** The organisation's repositories to scan, and how many were left out. */
export interface GithubListing {
  targets: RepoTarget[];
  skipped: { archived: number; forks: number };
}

/** The fields of `GET /orgs/{org}/repos` that the scan reads. */
interface ApiRepo {
  full_name: string;
  clone_url: string;
  archived?: boolean;
  fork?: boolean;
}

export const DEFAULT_API_URL = 'https://api.github.com';

/** At 100 a page, 100,000 repositories: far past any organisation, short of a server that loops. */
const MAX_PAGES = 1000;

/**
 * Lists an organisation's repositories: `GET /orgs/{org}/repos?per_page=100&type=all`, following the
 * `Link: <...>; rel="next"` header, skipping archived repositories and forks unless asked.
 * https://docs.github.com/en/rest/repos/repos#list-organization-repositories
 * Every failure is a ConfigError with a message a user can act on (exit 2): a bad token, a rate limit
 * with its reset time, an unknown organisation, an unreachable server.
 */
export async function listOrgRepos(options: GithubListOptions): Promise<GithubListing> {
  const apiUrl = (options.apiUrl ?? DEFAULT_API_URL).replace(/\/+$/, '');
  let origin: string;
  try {
    origin = new URL(apiUrl).origin;
  } catch {
    throw new ConfigError(`--api-url: not a URL: ${apiUrl}`);
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(options.org)) throw new ConfigError(`--github-org: not an organisation name: '${options.org}'`);
  const host = githubWebHost(apiUrl);
  const listing: GithubListing = { targets: [], skipped: { archived: 0, forks: 0 } };
  let next: string | null = `${apiUrl}/orgs/${encodeURIComponent(options.org)}/repos?per_page=100&type=all`;
  for (let page = 0; next && page < MAX_PAGES; page++) {
    // The token goes to the API's own origin only: a `next` link elsewhere is not followed.
    if (new URL(next).origin !== origin) throw new ConfigError(`GitHub API: the next page is on another host (${new URL(next).origin}); not following it`);
    const res = await request(next, options);
    const body = (await res.json().catch(() => null)) as unknown;
    if (!Array.isArray(body)) throw new ConfigError(`GitHub API: ${next}: expected a list of repositories`);
    for (const r of body as ApiRepo[]) {
      if (typeof r.full_name !== 'string' || typeof r.clone_url !== 'string') continue;
      if (r.archived && !options.includeArchived) listing.skipped.archived++;
      else if (r.fork && !options.includeForks) listing.skipped.forks++;
      else listing.targets.push({ name: r.full_name, url: r.clone_url, auth: isOnHost(r.clone_url, host) });
    }
    next = nextLink(res.headers.get('link'));
  }
  return listing;
}

function isOnHost(url: string, host: string): boolean {
  try {
    const u = new URL(url);
    return u.host === host && /^https?:$/.test(u.protocol);
  } catch {
    return false;
  }
}

async function request(url: string, options: GithubListOptions): Promise<Response> {
  const headers: Record<string, string> = {
    accept: 'application/vnd.github+json',
    'x-github-api-version': '2022-11-28',
    'user-agent': `sprawl/${VERSION}`,
  };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let res: Response;
  try {
    res = await (options.fetch ?? fetch)(url, { headers });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new ConfigError(`GitHub API: cannot reach ${new URL(url).origin}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
  }
  if (res.ok) return res;
  throw new ConfigError(await failure(res, options));
}

/** A message for a failed API call; GitHub's own message is quoted, the token never is. */
async function failure(res: Response, options: GithubListOptions): Promise<string> {
  const text = await res.text().catch(() => '');
  let message = '';
  try {
    message = String((JSON.parse(text) as { message?: unknown }).message ?? '');
  } catch {
    message = text.slice(0, 200);
  }
  const said = message ? ` (GitHub says: ${message})` : '';
  if (res.status === 401) {
    return options.token
      ? `GitHub API: 401 Unauthorized: GITHUB_TOKEN is invalid or expired${said}`
      : `GitHub API: 401 Unauthorized: set GITHUB_TOKEN to a token that can read the organisation${said}`;
  }
  const remaining = res.headers.get('x-ratelimit-remaining');
  const retryAfter = res.headers.get('retry-after');
  if ((res.status === 403 || res.status === 429) && (remaining === '0' || retryAfter !== null || /rate limit/i.test(message))) {
    const reset = Number(res.headers.get('x-ratelimit-reset'));
    const when = retryAfter !== null ? `retry after ${retryAfter} s` : Number.isFinite(reset) && reset > 0 ? `it resets at ${new Date(reset * 1000).toISOString()}` : 'retry later';
    return `GitHub API: rate limit exceeded (${res.status}); ${when}${options.token ? '' : '. Set GITHUB_TOKEN for a higher limit'}${said}`;
  }
  if (res.status === 404) return `GitHub API: organisation '${options.org}' not found${options.token ? ', or the token cannot see it' : ' (set GITHUB_TOKEN for a private organisation)'}${said}`;
  return `GitHub API: ${res.status} ${res.statusText}${said}`;
}

/** The `rel="next"` URL of a Link header (RFC 8288), or null on the last page. */
export function nextLink(header: string | null): string | null {
  for (const part of (header ?? '').split(',')) {
    const m = /<([^>]+)>\s*;(.*)$/.exec(part.trim());
    const rel = m ? /\brel="?([^";]+)"?/.exec(m[2]!) : null;
    if (rel && rel[1]!.trim().split(/\s+/).includes('next')) return m![1]!;
  }
  return null;
}

import { createWriteStream, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Downloads GitHub Actions run logs through the REST API, for `sprawl logs --github`:
 * https://docs.github.com/rest/actions/workflow-runs. Global fetch, no client library: four endpoints.
 */

/** Options of one download. */
export interface GithubLogsOptions {
  /** `owner/repo`. */
  repo: string;
  /** How many of the latest completed runs. */
  runs: number;
  /** Only this workflow's runs: its file name (`ci.yml`), id, or name (`CI`). Default: every workflow. */
  workflow?: string;
  /** REST API root, without a trailing slash: `https://api.github.com`, or `https://HOST/api/v3` for GitHub
   * Enterprise Server. */
  apiUrl: string;
  /** Sent as a bearer token; never printed. Without one, only public data may be readable. */
  token?: string;
  /** Folder the archives are written to: `<workflow file stem>/run-<id>.zip`. */
  dir: string;
  /** Problems that do not stop the download (expired logs), naming the run. */
  warn(message: string): void;
  /** Per request. Default 120 s. */
  timeoutMs?: number;
}

/** A run whose logs were saved. */
export interface DownloadedRun {
  id: number;
  /** The workflow's name (`CI`) and file (`.github/workflows/ci.yml`), as the API gives them. */
  name: string;
  path: string;
  runNumber: number;
  /** The saved archive, relative to `dir`. */
  file: string;
}

/** A failure that stops the command: a bad token, no such repository, an exhausted rate limit. The CLI
 * prints `message` and exits 2. */
export class GithubApiError extends Error {
  constructor(
    message: string,
    /** HTTP status, 0 when the API was not reached. */
    readonly status: number,
    /** The rate limit stopped the request: what was downloaded before it may still be scanned. */
    readonly rateLimited = false,
  ) {
    super(message);
    this.name = 'GithubApiError';
  }
}

interface WorkflowRun {
  id: number;
  name?: string | null;
  path?: string;
  run_number?: number;
}

const API_VERSION = '2022-11-28';

function headers(o: GithubLogsOptions): Record<string, string> {
  return {
    Accept: 'application/vnd.github+json',
    'X-GitHub-Api-Version': API_VERSION,
    'User-Agent': 'sprawl',
    ...(o.token ? { Authorization: `Bearer ${o.token}` } : {}),
  };
}

async function request(url: string, o: GithubLogsOptions, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(url, { ...init, headers: { ...headers(o), ...(init.headers as Record<string, string> | undefined) }, signal: AbortSignal.timeout(o.timeoutMs ?? 120_000) });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new GithubApiError(`cannot reach ${new URL(url).origin}: ${cause?.code ?? cause?.message ?? (e as Error).message}`, 0);
  }
}

/** The API's own explanation (`{"message": ...}`), when the body has one. */
async function apiMessage(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { message?: unknown };
    return typeof body.message === 'string' ? body.message : res.statusText;
  } catch {
    return res.statusText;
  }
}

/**
 * A failed response as a clear error. Rate limits: a primary limit answers 403 or 429 with
 * `x-ratelimit-remaining: 0` and the reset time; a secondary limit with `retry-after` seconds
 * (https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api).
 */
async function failure(res: Response, what: string, o: GithubLogsOptions): Promise<GithubApiError> {
  const message = await apiMessage(res);
  const remaining = res.headers.get('x-ratelimit-remaining');
  const retryAfter = res.headers.get('retry-after');
  if ((res.status === 403 || res.status === 429) && (remaining === '0' || retryAfter !== null)) {
    const reset = Number(res.headers.get('x-ratelimit-reset'));
    const when = retryAfter !== null ? `retry after ${retryAfter} s` : Number.isFinite(reset) && reset > 0 ? `it resets at ${new Date(reset * 1000).toISOString()}` : 'try again later';
    const hint = o.token ? '' : '; set GITHUB_TOKEN for a higher limit';
    return new GithubApiError(`GitHub API rate limit reached while ${what} (HTTP ${res.status}: ${message}); ${when}${hint}`, res.status, true);
  }
  if (res.status === 401) {
    return new GithubApiError(`GitHub rejected the token (HTTP 401: ${message}) while ${what}: ${o.token ? 'check GITHUB_TOKEN' : 'set GITHUB_TOKEN to a token that can read Actions'}`, 401);
  }
  if (res.status === 403) return new GithubApiError(`GitHub refused access while ${what} (HTTP 403: ${message}): the token needs read access to Actions (repo scope for a private repository)`, 403);
  if (res.status === 404) return new GithubApiError(`not found while ${what} (HTTP 404: ${message}): check the repository name, and that the token can see it`, 404);
  return new GithubApiError(`GitHub API error while ${what}: HTTP ${res.status}: ${message}`, res.status);
}

/** The `rel="next"` URL of a Link header (https://docs.github.com/rest/using-the-rest-api/using-pagination-in-the-rest-api). */
export function nextLink(link: string | null): string | null {
  for (const part of (link ?? '').split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (m) return m[1]!;
  }
  return null;
}

/** Every item of a paginated list, following Link headers, until `enough` items are in. */
async function paginate<T>(first: string, key: string, what: string, o: GithubLogsOptions, enough = Infinity): Promise<T[]> {
  const out: T[] = [];
  for (let url: string | null = first; url && out.length < enough; ) {
    const res = await request(url, o);
    if (!res.ok) throw await failure(res, what, o);
    const body = (await res.json()) as Record<string, unknown>;
    const items = body[key];
    if (!Array.isArray(items)) throw new GithubApiError(`unexpected answer while ${what}: no ${key} list`, res.status);
    out.push(...(items as T[]));
    url = nextLink(res.headers.get('link'));
  }
  return out.slice(0, enough);
}

/** The workflow id or file name to list runs of: a file name or id as given, a name looked up. */
async function workflowKey(o: GithubLogsOptions): Promise<string> {
  const w = o.workflow!;
  if (/^\d+$/.test(w) || /\.ya?ml$/.test(w)) return w;
  const all = await paginate<{ id: number; name: string; path: string }>(`${o.apiUrl}/repos/${o.repo}/actions/workflows?per_page=100`, 'workflows', `listing the workflows of ${o.repo}`, o);
  const found = all.find((x) => x.name === w || x.path.split('/').pop() === w);
  if (!found) throw new GithubApiError(`${o.repo} has no workflow named '${w}' (known: ${all.map((x) => `${x.name} (${x.path.split('/').pop()})`).join(', ') || 'none'})`, 404);
  return String(found.id);
}

/** The latest completed runs, newest first, as many as asked. */
export async function listRuns(o: GithubLogsOptions): Promise<WorkflowRun[]> {
  const base = o.workflow ? `${o.apiUrl}/repos/${o.repo}/actions/workflows/${encodeURIComponent(await workflowKey(o))}/runs` : `${o.apiUrl}/repos/${o.repo}/actions/runs`;
  return paginate<WorkflowRun>(`${base}?status=completed&per_page=${Math.min(o.runs, 100)}`, 'workflow_runs', `listing the runs of ${o.repo}`, o, o.runs);
}

function label(run: WorkflowRun): string {
  return `run ${run.id}${run.name ? ` (${run.name}${run.run_number ? ` #${run.run_number}` : ''})` : ''}`;
}

/**
 * Saves one run's log archive. The endpoint answers 302 with a short-lived pre-signed URL on another host:
 * the redirect is followed by hand so that the token is not sent there. 410 (expired) or 404 → warned
 * about, false.
 */
async function downloadRun(run: WorkflowRun, file: string, o: GithubLogsOptions): Promise<boolean> {
  const what = `downloading the logs of ${label(run)}`;
  let res = await request(`${o.apiUrl}/repos/${o.repo}/actions/runs/${run.id}/logs`, o, { redirect: 'manual' });
  if (res.status >= 300 && res.status < 400) {
    const location = res.headers.get('location');
    if (!location) throw new GithubApiError(`${what}: redirect without a location`, res.status);
    res = await fetch(new URL(location, `${o.apiUrl}/`), { signal: AbortSignal.timeout(o.timeoutMs ?? 120_000) }).catch((e: Error) => {
      throw new GithubApiError(`${what}: cannot reach the archive: ${e.message}`, 0);
    });
  }
  if (res.status === 410 || res.status === 404) {
    o.warn(`${label(run)}: logs expired or deleted (HTTP ${res.status}); skipped`);
    return false;
  }
  if (!res.ok || !res.body) throw await failure(res, what, o);
  await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), createWriteStream(join(o.dir, file)));
  return true;
}

/**
 * Lists the latest runs and saves each one's log archive under `dir`. Expired logs are warned about and
 * skipped; a rate limit met while downloading stops the downloads with a warning, keeping what was saved.
 * A bad token, an unknown repository or a rate limit met while listing throw GithubApiError.
 */
export async function downloadRunLogs(o: GithubLogsOptions): Promise<DownloadedRun[]> {
  const runs = await listRuns(o);
  const saved: DownloadedRun[] = [];
  for (const [i, run] of runs.entries()) {
    const stem = (run.path ?? '').split('/').pop()?.replace(/\.ya?ml$/, '').replace(/[^\w.-]+/g, '_') || 'workflow';
    const file = `${stem}/run-${run.id}.zip`;
    await fs.mkdir(join(o.dir, stem), { recursive: true });
    try {
      if (!(await downloadRun(run, file, o))) continue;
    } catch (e) {
      if (!(e instanceof GithubApiError) || !e.rateLimited) throw e;
      o.warn(`${e.message}; ${runs.length - i} run(s) not downloaded`);
      break;
    }
    saved.push({ id: run.id, name: run.name ?? '', path: run.path ?? '', runNumber: run.run_number ?? 0, file });
  }
  return saved;
}

import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A workflow run the fake API lists, with the zip its logs endpoint serves (null: logs expired, 410). */
export interface FakeRun {
  id: number;
  workflowId: number;
  name: string;
  path: string;
  zip: Buffer | null;
}

export interface FakeGithub {
  url: string;
  /** Every request: method, path with query, and headers. */
  requests: Array<{ url: string; headers: IncomingHttpHeaders }>;
  close(): Promise<void>;
}

/** The one token the fake API accepts. Not a credential: a fixed string for tests. */
export const FAKE_TOKEN = 'sprawl-test-token';
/** A token the fake API answers with an exhausted primary rate limit. */
export const RATE_LIMITED_TOKEN = 'sprawl-test-rate-limited';
/** A token that may list runs, but meets a secondary rate limit (retry-after) after one logs download. */
export const SECONDARY_LIMIT_TOKEN = 'sprawl-test-secondary-limit';
const PAGE = 2;

/**
 * A fake GitHub REST API on 127.0.0.1 (port chosen by the OS): runs listed newest first, two per page
 * whatever per_page says (so that pagination is exercised), with Link headers as GitHub writes them; the
 * logs endpoint answers 302 to a blob URL on another path, as GitHub redirects to its storage.
 */
export async function fakeGithub(repo: string, workflows: Array<{ id: number; name: string; path: string }>, runs: FakeRun[]): Promise<FakeGithub> {
  const requests: FakeGithub['requests'] = [];
  let logsServed = 0;
  const server = createServer((req, res) => {
    requests.push({ url: req.url!, headers: req.headers });
    const url = new URL(req.url!, 'http://localhost');
    const json = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    const blob = /^\/blobs\/(\d+)\.zip$/.exec(url.pathname);
    if (blob) {
      const run = runs.find((r) => r.id === Number(blob[1]));
      res.writeHead(200, { 'content-type': 'application/zip' });
      res.end(run?.zip);
      return;
    }
    const auth = req.headers.authorization;
    if (auth === `Bearer ${RATE_LIMITED_TOKEN}`) {
      json(403, { message: 'API rate limit exceeded for user ID 1.' }, { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1704164645' });
      return;
    }
    if (auth !== `Bearer ${FAKE_TOKEN}` && auth !== `Bearer ${SECONDARY_LIMIT_TOKEN}`) {
      json(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
      return;
    }
    const base = `/repos/${repo}/actions`;
    const page = Number(url.searchParams.get('page') ?? '1');
    const paged = (key: string, items: unknown[]): void => {
      const last = Math.max(1, Math.ceil(items.length / PAGE));
      const link = (p: number): string => {
        const u = new URL(url.href);
        u.searchParams.set('page', String(p));
        return `<http://${req.headers.host}${u.pathname}${u.search}>`;
      };
      const links: Record<string, string> = page < last ? { link: `${link(page + 1)}; rel="next", ${link(last)}; rel="last"` } : {};
      json(200, { total_count: items.length, [key]: items.slice((page - 1) * PAGE, page * PAGE) }, links);
    };
    const listed = (list: FakeRun[]) => list.map((r) => ({ id: r.id, name: r.name, path: r.path, run_number: r.id - 100, status: 'completed' }));
    const byWorkflow = new RegExp(`^${base}/workflows/([^/]+)/runs$`).exec(url.pathname);
    const logs = new RegExp(`^${base}/runs/(\\d+)/logs$`).exec(url.pathname);
    if (url.pathname === `${base}/runs`) paged('workflow_runs', listed(runs));
    else if (url.pathname === `${base}/workflows`) paged('workflows', workflows);
    else if (byWorkflow) {
      const w = workflows.find((x) => String(x.id) === byWorkflow[1] || x.path.endsWith(`/${byWorkflow[1]}`));
      if (!w) json(404, { message: 'Not Found' });
      else paged('workflow_runs', listed(runs.filter((r) => r.workflowId === w.id)));
    } else if (logs) {
      const run = runs.find((r) => r.id === Number(logs[1]));
      if (auth === `Bearer ${SECONDARY_LIMIT_TOKEN}` && logsServed++ > 0) json(403, { message: 'You have exceeded a secondary rate limit.' }, { 'retry-after': '60' });
      else if (!run) json(404, { message: 'Not Found' });
      else if (!run.zip) json(410, { message: 'Gone' });
      else {
        res.writeHead(302, { location: `http://${req.headers.host}/blobs/${run.id}.zip?sig=signed` });
        res.end();
      }
    } else json(404, { message: 'Not Found' });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((done) => server.close(() => done())) };
}

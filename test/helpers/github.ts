import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';

/** A repository as `GET /orgs/{org}/repos` returns it (the fields sprawl reads). */
export interface FakeRepo {
  full_name: string;
  clone_url: string;
  archived?: boolean;
  fork?: boolean;
}

export interface FakeGithubOptions {
  /** The organisation's repositories, served `pageSize` a page with `Link: rel="next"`. */
  repos?: FakeRepo[];
  pageSize?: number;
  /** When set, the API answers 401 unless `Authorization: Bearer <token>`, and git files 401 unless
   * `Authorization: Basic base64(x-access-token:<token>)`. */
  token?: string;
  /** Answer every API call with GitHub's rate-limit 403. */
  rateLimited?: boolean;
  /** `owner/name` → bare repository folder, served over git's dumb HTTP protocol at `/owner/name.git/`. */
  gitRepos?: Record<string, string>;
}

export interface FakeGithub {
  /** `http://127.0.0.1:PORT`: the git host. */
  url: string;
  /** The REST API root, GitHub Enterprise style: `${url}/api/v3`. */
  apiUrl: string;
  /** Every request: method, path and headers. */
  requests: Array<{ path: string; headers: IncomingHttpHeaders }>;
  close(): Promise<void>;
}

/** A fake GitHub on 127.0.0.1 (an ephemeral port): the org repository listing and static git hosting. */
export async function fakeGithub(options: FakeGithubOptions): Promise<FakeGithub> {
  const requests: FakeGithub['requests'] = [];
  const basic = options.token ? `Basic ${Buffer.from(`x-access-token:${options.token}`).toString('base64')}` : null;
  let base = '';
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', base);
    requests.push({ path: url.pathname + url.search, headers: req.headers });
    const json = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    const list = /^\/api\/v3\/orgs\/([^/]+)\/repos$/.exec(url.pathname);
    if (list) {
      if (options.rateLimited) return json(403, { message: 'API rate limit exceeded for 127.0.0.1.' }, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1767225600' });
      if (options.token && req.headers.authorization !== `Bearer ${options.token}`) return json(401, { message: 'Bad credentials' });
      if (list[1] !== 'acme') return json(404, { message: 'Not Found' });
      const size = options.pageSize ?? 100;
      const page = Number(url.searchParams.get('page') ?? '1');
      const all = options.repos ?? [];
      const last = Math.max(1, Math.ceil(all.length / size));
      const link = page < last ? { link: `<${base}${url.pathname}?per_page=100&type=all&page=${page + 1}>; rel="next", <${base}${url.pathname}?per_page=100&type=all&page=${last}>; rel="last"` } : {};
      return json(200, all.slice((page - 1) * size, page * size), link);
    }
    const git = /^\/([^/]+\/[^/]+)\.git\/(.+)$/.exec(url.pathname);
    const root = git ? options.gitRepos?.[git[1]!] : undefined;
    if (git && root) {
      if (basic && req.headers.authorization !== basic) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="GitHub"' });
        return res.end();
      }
      const file = join(root, normalize(git[2]!).replace(/^(\.\.[/\\])+/, ''));
      if (!existsSync(file) || !statSync(file).isFile()) {
        res.writeHead(404);
        return res.end();
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      return void createReadStream(file).pipe(res);
    }
    json(404, { message: 'Not Found' });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    apiUrl: `${base}/api/v3`,
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

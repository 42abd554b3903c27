import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config.js';
import { listOrgRepos, nextLink } from '../src/org/github.js';
import { gitEnv, mirrorDir } from '../src/org/mirror.js';
import { scanOrg } from '../src/org/scan-org.js';
import { parseRepoList, repoNameOf } from '../src/org/targets.js';
import { FORMATS } from '../src/report/index.js';
import { sprawl, sprawlAsync } from './helpers/cli.js';
import { bareCopy, makeRepo } from './helpers/git.js';
import { fakeGithub, type FakeGithub, type FakeRepo } from './helpers/github.js';
import { makeOrg } from './helpers/org.js';
import { fakeChecksummedToken } from './helpers/tokens.js';

const NOW = () => new Date('2025-01-01T00:00:00Z');
// Not a real credential: the fake server's token.
const API_TOKEN = 'fake-github-token-for-tests-0123456789';

let server: FakeGithub | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const repo = (name: string, extra: Partial<FakeRepo> = {}): FakeRepo => ({ full_name: `acme/${name}`, clone_url: `https://github.com/acme/${name}.git`, ...extra });

describe('GitHub organisation listing', () => {
  const repos = [repo('api'), repo('legacy', { archived: true }), repo('web'), repo('api-fork', { fork: true }), repo('tools')];

  it('follows Link pagination and leaves out archived repositories and forks', async () => {
    server = await fakeGithub({ repos, pageSize: 2, token: API_TOKEN });
    const listing = await listOrgRepos({ org: 'acme', apiUrl: server.apiUrl, token: API_TOKEN });
    expect(listing.targets.map((t) => t.name)).toEqual(['acme/api', 'acme/web', 'acme/tools']);
    expect(listing.skipped).toEqual({ archived: 1, forks: 1 });
    const calls = server.requests.filter((r) => r.path.startsWith('/api/v3/orgs/acme/repos'));
    expect(calls.map((r) => r.path)).toEqual([
      '/api/v3/orgs/acme/repos?per_page=100&type=all',
      '/api/v3/orgs/acme/repos?per_page=100&type=all&page=2',
      '/api/v3/orgs/acme/repos?per_page=100&type=all&page=3',
    ]);
    expect(calls.every((r) => r.headers.authorization === `Bearer ${API_TOKEN}`)).toBe(true);
    expect(calls[0]!.headers.accept).toBe('application/vnd.github+json');
    // github.com clone URLs are not on the fake's host: the token is not offered to them.
    expect(listing.targets.every((t) => t.url.startsWith('https://github.com/') && !t.auth)).toBe(true);
  });

  it('includes archived repositories and forks when asked', async () => {
    server = await fakeGithub({ repos, pageSize: 2 });
    const listing = await listOrgRepos({ org: 'acme', apiUrl: server.apiUrl, includeArchived: true, includeForks: true });
    expect(listing.targets).toHaveLength(5);
    // No token: no Authorization header at all.
    expect(server.requests.every((r) => r.headers.authorization === undefined)).toBe(true);
  });

  it('explains a 401, a rate limit and an unknown organisation', async () => {
    server = await fakeGithub({ repos, token: API_TOKEN });
    await expect(listOrgRepos({ org: 'acme', apiUrl: server.apiUrl, token: 'wrong' })).rejects.toThrow(/401 Unauthorized: GITHUB_TOKEN is invalid or expired.*Bad credentials/);
    await expect(listOrgRepos({ org: 'acme', apiUrl: server.apiUrl })).rejects.toThrow(/401 Unauthorized: set GITHUB_TOKEN/);
    await expect(listOrgRepos({ org: 'nobody', apiUrl: server.apiUrl, token: API_TOKEN })).rejects.toThrow(/organisation 'nobody' not found/);
    await expect(listOrgRepos({ org: 'acme', apiUrl: server.apiUrl, token: 'wrong' })).rejects.toBeInstanceOf(ConfigError);
    await server.close();
    server = await fakeGithub({ repos, rateLimited: true });
    await expect(listOrgRepos({ org: 'acme', apiUrl: server.apiUrl })).rejects.toThrow(/rate limit exceeded \(403\); it resets at 2026-01-01T00:00:00.000Z. Set GITHUB_TOKEN/);
  });

  it('exits 2 on a bad token, with the message and no stack trace, never printing the token', async () => {
    server = await fakeGithub({ repos, token: API_TOKEN });
    const r = await sprawlAsync(['org', '--github-org', 'acme', '--api-url', server.apiUrl, '--cache', mkdtempSync(join(tmpdir(), 'sprawl-cache-'))], { env: { GITHUB_TOKEN: 'wrong-token-value' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/GitHub API: 401 Unauthorized/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout + r.stderr).not.toContain('wrong-token-value');
  });

  it('reads the next page from the Link header only', () => {
    expect(nextLink('<https://api.github.com/x?page=2>; rel="next", <https://api.github.com/x?page=5>; rel="last"')).toBe('https://api.github.com/x?page=2');
    expect(nextLink('<https://api.github.com/x?page=1>; rel="prev", <https://api.github.com/x?page=1>; rel="first"')).toBeNull();
    expect(nextLink(null)).toBeNull();
  });
});

describe('repository lists', () => {
  it('reads one URL or path a line, skipping comments and blank lines, and names each by its org name', () => {
    const text = ['# comment', 'https://github.com/acme/api.git', '', 'git@gitlab.com:group/sub/web.git', '  ./local/tools.git  ', 'https://ghe.example/acme/ops/'].join('\n');
    const list = parseRepoList(text, '/lists/repos.txt');
    expect(list.map((t) => t.name)).toEqual(['acme/api', 'group/sub/web', 'tools', 'acme/ops']);
    expect(list[2]!.url).toBe('/lists/local/tools.git');
    expect(list.map((t) => t.auth)).toEqual([true, false, false, false]);
    expect(parseRepoList('https://ghe.example/acme/ops', 'f', 'ghe.example')[0]!.auth).toBe(true);
    expect(repoNameOf('https://user:pw@github.com/acme/api')).toBe('acme/api');
  });

  it('refuses two sources with one name, and lists one source once', () => {
    expect(() => parseRepoList('/a/api.git\n/b/api.git\n', 'repos.txt')).toThrow(/repos.txt:2: .*both named 'api'/);
    expect(parseRepoList('/a/api.git\n/a/api.git\n', 'repos.txt')).toHaveLength(1);
  });
});

describe('org scan', () => {
  it('scans three bare repositories into one report: a value in two repos is one secret; a failed clone is reported and the rest go on', async () => {
    const org = makeOrg();
    const repos = parseRepoList(readFileSync(org.listFile, 'utf8'), org.listFile);
    const report = await scanOrg({ repos, cacheDir: org.cache, concurrency: 2, scan: { now: NOW } });

    expect(report.scan.targets).toEqual(['api', 'web', 'tools', 'missing']);
    expect(report.scan.stats.skipped['repository-failed']).toBe(1);
    expect(report.scan.warnings.filter((w) => w.startsWith('missing: could not clone'))).toHaveLength(1);

    expect(report.secrets).toHaveLength(2);
    const shared = report.secrets.find((s) => s.repos.length === 2)!;
    expect(shared.repos).toEqual(['api', 'web']);
    expect(shared.paths).toEqual(['config/.env', 'deploy/ci.sh']);
    // Each repo: the blob in history and the same value in HEAD's tree.
    expect(shared.occurrences).toBe(4);
    expect(shared.status).toBe('exposed');
    expect(shared.firstSeen).toMatchObject({ date: '2024-01-10T00:00:00+00:00', author: 'Alice Admin <alice.admin@example.test>' });
    expect(shared.duplication).toEqual({ files: 2, repos: 2, sources: ['file', 'git'] });
    const owners = shared.owners as Array<{ name: string; source: string }>;
    expect(owners.filter((o) => o.source === 'codeowners').map((o) => o.name)).toEqual(['@acme/api-team', '@acme/web-team']);

    const own = report.secrets.find((s) => s.repos.length === 1)!;
    expect(own).toMatchObject({ repos: ['web'], status: 'removed-not-rotated', inWorkingTree: false });
    expect(own.lastSeen?.date).toBe('2024-04-01T00:00:00+00:00');

    // Findings name the repository, never the cache folder.
    expect(new Set(report.findings.map((f) => f.repo))).toEqual(new Set(['api', 'web']));
    expect(JSON.stringify(report)).not.toContain(org.cache);
    expect(FORMATS.json(report, { color: false })).not.toContain(org.shared);
  });

  it("applies each repository's own sprawl.yaml only when asked (--repo-config), and warns about a broken one", async () => {
    const web = makeRepo();
    const own = fakeChecksummedToken('ghp', 'repo-config-own');
    const kept = fakeChecksummedToken('ghp', 'repo-config-kept');
    web.commit('init', { 'fixtures/sample.env': `TOKEN=${own}\n`, 'deploy/ci.sh': `export GH_TOKEN=${kept}\n`, 'sprawl.yaml': 'allowlist:\n  paths: ["fixtures/**"]\n' }, '2024-01-01T00:00:00Z');
    const tools = makeRepo();
    tools.commit('init', { 'app.env': `TOKEN=${fakeChecksummedToken('ghp', 'repo-config-tools')}\n`, 'sprawl.yaml': 'allowlst:\n  paths: ["**"]\n' }, '2024-01-01T00:00:00Z');
    const repos = parseRepoList([bareCopy(web, 'web'), bareCopy(tools, 'tools')].join('\n'), 'list');
    const cacheDir = mkdtempSync(join(tmpdir(), 'sprawl-org-repo-config-'));
    const paths = (r: Awaited<ReturnType<typeof scanOrg>>) => [...new Set(r.findings.map((f) => `${f.repo}:${f.path}`))].sort();

    const orgOnly = await scanOrg({ repos, cacheDir, scan: { now: NOW } });
    expect(paths(orgOnly)).toEqual(['tools:app.env', 'web:deploy/ci.sh', 'web:fixtures/sample.env']);

    const withRepos = await scanOrg({ repos, cacheDir, repoConfig: true, scan: { now: NOW } });
    expect(paths(withRepos)).toEqual(['tools:app.env', 'web:deploy/ci.sh']);
    expect(withRepos.scan.warnings).toContainEqual(expect.stringMatching(/^tools: sprawl\.yaml: unknown key 'allowlst'.*org's configuration only/));
  });

  it('scans only each HEAD tree with --no-history', async () => {
    const org = makeOrg();
    const repos = parseRepoList(readFileSync(org.listFile, 'utf8'), org.listFile).filter((r) => r.name !== 'missing');
    const report = await scanOrg({ repos, cacheDir: org.cache, scan: { now: NOW, history: false } });
    expect(report.findings.map((f) => [f.repo, f.source, f.path, f.commit])).toEqual([
      ['api', 'file', 'config/.env', null],
      ['web', 'file', 'deploy/ci.sh', null],
    ]);
    expect(report.secrets).toHaveLength(1);
    expect(report.scan.stats.commitsWalked).toBe(0);
  });

  it('keeps bare mirrors in the cache and fetches only what changed on the next run', async () => {
    const r = makeRepo();
    r.commit('init', { 'README.md': '# x\n' }, '2024-01-01T00:00:00Z');
    const source = bareCopy(r, 'svc');
    const cache = mkdtempSync(join(tmpdir(), 'sprawl-cache-'));
    const repos = parseRepoList(source, 'list');
    const first = await scanOrg({ repos, cacheDir: cache, scan: { now: NOW } });
    expect(first.findings).toHaveLength(0);
    const mirror = mirrorDir(cache, repos[0]!);
    expect(execFileSync('git', ['-C', mirror, 'rev-parse', '--is-bare-repository'], { encoding: 'utf8' }).trim()).toBe('true');

    r.commit('leak', { 'svc.env': `TOKEN=${fakeChecksummedToken('ghp', 'later')}\n` }, '2024-02-01T00:00:00Z');
    execFileSync('git', ['-C', r.dir, 'push', '-q', source, 'main']);
    const second = await scanOrg({ repos, cacheDir: cache, scan: { now: NOW } });
    expect(second.secrets).toHaveLength(1);
    expect(second.secrets[0]!.repos).toEqual(['svc']);
    expect(readdirSync(cache)).toEqual([mirror.split('/').pop()]);
  });

  it('clones with GITHUB_TOKEN as a header scoped to the host, never writing it anywhere', async () => {
    const r = makeRepo();
    r.commit('init', { 'app.env': `TOKEN=${fakeChecksummedToken('ghp', 'private')}\n` }, '2024-01-01T00:00:00Z');
    const bare = bareCopy(r, 'private');
    server = await startWithRepo(bare);
    const cache = mkdtempSync(join(tmpdir(), 'sprawl-cache-'));
    const out = join(mkdtempSync(join(tmpdir(), 'sprawl-out-')), 'report.json');
    const res = await sprawlAsync(['org', '--github-org', 'acme', '--api-url', server.apiUrl, '--cache', cache, '-f', 'json', '-o', out], { env: { GITHUB_TOKEN: API_TOKEN } });
    expect(res.stderr).not.toContain(API_TOKEN);
    expect(res.code).toBe(1);
    const report = JSON.parse(readFileSync(out, 'utf8'));
    expect(report.secrets[0].repos).toEqual(['acme/private']);
    const gitCalls = server.requests.filter((q) => q.path.startsWith('/acme/private.git/'));
    expect(gitCalls.length).toBeGreaterThan(0);
    expect(gitCalls.every((q) => q.headers.authorization === `Basic ${Buffer.from(`x-access-token:${API_TOKEN}`).toString('base64')}`)).toBe(true);
    const mirror = join(cache, readdirSync(cache)[0]!);
    expect(readFileSync(join(mirror, 'config'), 'utf8')).not.toMatch(/extraheader|authorization|x-access-token/i);
    expect(readFileSync(out, 'utf8')).not.toContain(API_TOKEN);
  });

  it('sets the header for its own origin only, after any the user set', () => {
    const env = gitEnv({ name: 'acme/api', url: 'https://ghe.example/acme/api.git', auth: true }, { token: 't0k', env: { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'core.x', GIT_CONFIG_VALUE_0: 'y' } });
    expect(env).toMatchObject({ GIT_CONFIG_COUNT: '2', GIT_CONFIG_KEY_1: 'http.https://ghe.example/.extraHeader', GIT_TERMINAL_PROMPT: '0' });
    expect(env.GIT_CONFIG_VALUE_1).toBe(`Authorization: Basic ${Buffer.from('x-access-token:t0k').toString('base64')}`);
    expect(gitEnv({ name: 'x', url: 'https://elsewhere.example/x.git', auth: false }, { token: 't0k', env: {} }).GIT_CONFIG_COUNT).toBeUndefined();
  });
});

/** A fake GitHub listing one private repository whose clone_url is on the fake itself. */
async function startWithRepo(bare: string): Promise<FakeGithub> {
  const repos: FakeRepo[] = [];
  const s = await fakeGithub({ token: API_TOKEN, gitRepos: { 'acme/private': bare }, repos });
  repos.push({ full_name: 'acme/private', clone_url: `${s.url}/acme/private.git` });
  return s;
}

describe('sprawl org (CLI)', () => {
  it('writes one report with per-repository and per-owner roll-ups, and exits 2 when a repository failed', () => {
    const org = makeOrg();
    const dir = mkdtempSync(join(tmpdir(), 'sprawl-org-cli-'));
    const md = join(dir, 'org.md');
    // A relative cache folder is relative to where sprawl runs, not to where git runs.
    const r = sprawl(['org', '--repos', org.listFile, '--cache', 'mirrors', '--concurrency', '3', '-o', md], { cwd: dir });
    expect(readdirSync(join(dir, 'mirrors')).sort()).toEqual([expect.stringMatching(/^api-\w+\.git$/), expect.stringMatching(/^tools-\w+\.git$/), expect.stringMatching(/^web-\w+\.git$/)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing: could not clone/);
    expect(r.stderr).toMatch(/1 repository\(ies\) could not be scanned/);
    const text = readFileSync(md, 'utf8');
    expect(text).toContain('## Repositories');
    expect(text).toMatch(/\| web \| 2 \| 1 \| 1 \| 3 \|/);
    expect(text).toMatch(/\| api \| 1 \| 1 \| 1 \| 2 \|/);
    expect(text).toContain('| Secrets in several repositories | 1 |');
    expect(text).toMatch(/\| @acme\/api-team \| codeowners \| 1 \| 2 \|/);
    expect(text).toContain('`api:config/.env:1`');
    writeFileSync(org.listFile, [org.bare.api, org.bare.tools].join('\n'));
    const ok = sprawl(['org', '--repos', org.listFile, '--cache', org.cache, '-f', 'json']);
    expect(ok.code).toBe(1);
    expect(JSON.parse(ok.stdout).scan.targets).toEqual(['api', 'tools']);
  });

  it('gives up a clone from a server that stops answering, after --stall-timeout, and scans the rest', async () => {
    // A git host that accepts connections and never says a word.
    const { createServer } = await import('node:net');
    const held: Array<import('node:net').Socket> = [];
    const silent = createServer((socket) => void held.push(socket));
    await new Promise<void>((done) => silent.listen(0, '127.0.0.1', done));
    const port = (silent.address() as import('node:net').AddressInfo).port;
    try {
      const org = makeOrg();
      writeFileSync(org.listFile, [org.bare.api, `http://127.0.0.1:${port}/acme/hung.git`].join('\n'));
      const started = Date.now();
      const r = await sprawlAsync(['org', '--repos', org.listFile, '--cache', org.cache, '--stall-timeout', '2', '-f', 'json']);
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/acme\/hung: could not clone/);
      expect(JSON.parse(r.stdout).scan.targets).toEqual(['api', 'acme/hung']);
    } finally {
      for (const socket of held) socket.destroy();
      silent.close();
    }
  }, 60_000);

  it('records the org scan in an inventory; a repository that failed to clone resolves nothing', () => {
    const org = makeOrg();
    const db = join(mkdtempSync(join(tmpdir(), 'sprawl-org-inv-')), 'inventory.db');
    const first = sprawl(['org', '--repos', org.listFile, '--cache', org.cache, '-f', 'json', '--inventory', db, '--fail-on-new']);
    // `missing` could not be cloned: exit 2 wins over --fail-on-new, and the report is still recorded.
    expect(first.code).toBe(2);
    expect(first.stderr).toMatch(/inventory .*: scan #1: 2 new/);
    // The next run covers api and tools only: the secret found only in web keeps its status (new), the
    // one api shares with web is seen again (open), and nothing is new.
    writeFileSync(org.listFile, [org.bare.api, org.bare.tools].join('\n'));
    const second = sprawl(['org', '--repos', org.listFile, '--cache', org.cache, '-f', 'json', '--inventory', db, '--fail-on-new']);
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/scan #2: 0 new, 0 reopened, 1 open, 0 resolved/);
    const list = JSON.parse(sprawl(['inventory', 'list', '--inventory', db, '--format', 'json']).stdout) as { secrets: Array<{ status: string }> };
    expect(list.secrets.map((s) => s.status).sort()).toEqual(['new', 'open']);
  });

  it('refuses bad usage with exit 2', () => {
    expect(sprawl(['org']).stderr).toMatch(/give one of --repos FILE or --github-org NAME/);
    expect(sprawl(['org', '--repos', '/nonexistent/repos.txt']).stderr).toMatch(/\/nonexistent\/repos.txt: cannot read/);
    const r = sprawl(['org', '--repos', '/nonexistent/repos.txt', '--shard', '4/4']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--shard: the index counts from 0/);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../src/core/types.js';
import { nextLink } from '../src/sources/github-logs.js';
import { githubRunLog, ghLine } from './helpers/ci-logs.js';
import { sprawlAsync } from './helpers/cli.js';
import { FAKE_TOKEN, fakeGithub, RATE_LIMITED_TOKEN, SECONDARY_LIMIT_TOKEN, type FakeGithub, type FakeRun } from './helpers/fake-github.js';
import { tempTree } from './helpers/tmp.js';
import { fakeChecksummedToken } from './helpers/tokens.js';
import { makeZip } from './helpers/zip.js';

const tokenOf = (run: number) => fakeChecksummedToken('ghp', `run-${run}`);
const WORKFLOWS = [
  { id: 7, name: 'Deploy', path: '.github/workflows/deploy.yml' },
  { id: 8, name: 'CI', path: '.github/workflows/ci.yml' },
];
/** CI runs print only masked values; Deploy runs leak their token. Run 103's logs have expired. */
function run(id: number, workflowId: number, expired = false): FakeRun {
  const w = WORKFLOWS.find((x) => x.id === workflowId)!;
  const zip = workflowId === 7 ? githubRunLog(tokenOf(id)).zip : makeZip({ '0_test.txt': [ghLine(1, '##[group]Run npm test'), ghLine(1, 'env:'), ghLine(1, '  NPM_TOKEN: ***'), ghLine(2, 'ok')].join('\n') });
  return { id, workflowId, name: w.name, path: w.path, zip: expired ? null : zip };
}
const RUNS = [run(105, 7), run(104, 8), run(103, 7, true), run(102, 8), run(101, 7)];

let api: FakeGithub;
beforeAll(async () => {
  api = await fakeGithub('acme/shop', WORKFLOWS, RUNS);
});
afterAll(() => api.close());

const logs = (args: string[], token: string | undefined = FAKE_TOKEN) =>
  sprawlAsync(['logs', '--github', 'acme/shop', '--api-url', api.url, ...args], { env: { GITHUB_TOKEN: token ?? '', GITHUB_API_URL: '' } });

describe('sprawl logs --github', () => {
  it('pages through the runs, follows the redirect to each archive, warns about expired logs and scans the rest', async () => {
    api.requests.length = 0;
    const r = await logs(['--runs', '5', '--format', 'json']);
    expect(r.stderr).toContain('run 103 (Deploy #3): logs expired or deleted (HTTP 410); skipped');
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.findings.map((f) => [f.path, f.source, f.ci?.job, f.ci?.step])).toEqual([
      ['deploy/run-101.zip!deploy/2_Deploy.txt', 'log', 'deploy', 'Deploy'],
      ['deploy/run-105.zip!deploy/2_Deploy.txt', 'log', 'deploy', 'Deploy'],
    ]);
    expect(report.scan.stats.skipped['masked-in-log']).toBe(4);
    expect(report.scan.warnings[0]).toMatch(/run 103/);
    expect(report.scan.targets).toEqual(['github:acme/shop (logs of 4 run(s))']);
    const listing = api.requests.filter((q) => q.url.startsWith('/repos/acme/shop/actions/runs?'));
    expect(listing.map((q) => new URL(q.url, api.url).searchParams.get('page'))).toEqual([null, '2', '3']);
    for (const q of api.requests.filter((x) => x.url.startsWith('/repos/'))) {
      expect(q.headers.accept).toBe('application/vnd.github+json');
      expect(q.headers['x-github-api-version']).toBe('2022-11-28');
      expect(q.headers.authorization).toBe(`Bearer ${FAKE_TOKEN}`);
    }
    // The pre-signed archive URL gets no token.
    const blobs = api.requests.filter((q) => q.url.startsWith('/blobs/'));
    expect(blobs).toHaveLength(4);
    expect(blobs.every((q) => q.headers.authorization === undefined)).toBe(true);
  });

  it('stops at --runs, and finds a workflow by name', async () => {
    const two = await logs(['--runs', '2', '--format', 'json']);
    expect((JSON.parse(two.stdout) as Report).findings.map((f) => f.path)).toEqual(['deploy/run-105.zip!deploy/2_Deploy.txt']);
    const deploy = await logs(['--workflow', 'Deploy', '--runs', '2', '--format', 'json']);
    expect(deploy.stderr).toContain('run 103');
    expect((JSON.parse(deploy.stdout) as Report).findings.map((f) => f.path)).toEqual(['deploy/run-105.zip!deploy/2_Deploy.txt']);
    const unknown = await logs(['--workflow', 'Nightly']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("acme/shop has no workflow named 'Nightly' (known: Deploy (deploy.yml), CI (ci.yml))");
  });

  it('links the logs to the jobs of a checkout given beside them, in the text report', async () => {
    const repo = tempTree({ '.github/workflows/deploy.yml': 'on: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps: [{run: ./deploy.sh}]\n' });
    const r = await logs(['--runs', '1', repo]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('deploy/run-105.zip!deploy/2_Deploy.txt:7:');
    expect(r.stdout).toContain('printed by: github-actions job deploy, step Deploy');
    expect(r.stdout).toContain('workload: github-actions-job deploy (.github/workflows/deploy.yml, log)');
    expect(r.stdout).not.toContain(tokenOf(105));
  });

  it('exits 2 with a clear message and no stack trace on a bad token', async () => {
    const r = await logs([], 'not-the-token');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('sprawl: GitHub rejected the token (HTTP 401: Bad credentials) while listing the runs of acme/shop: check GITHUB_TOKEN');
    expect(r.stderr).not.toMatch(/\n\s+at |Error:/);
    expect(r.stderr).not.toContain('not-the-token');
  });

  it('exits 2 naming the reset time when the rate limit is exhausted', async () => {
    const r = await logs([], RATE_LIMITED_TOKEN);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('GitHub API rate limit reached while listing the runs of acme/shop (HTTP 403: API rate limit exceeded for user ID 1.); it resets at 2024-01-02T03:04:05.000Z');
  });

  it('scans what was saved when a secondary rate limit stops the downloads', async () => {
    const r = await logs(['--runs', '3', '--format', 'json'], SECONDARY_LIMIT_TOKEN);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('GitHub API rate limit reached while downloading the logs of run 104 (CI #4) (HTTP 403: You have exceeded a secondary rate limit.); retry after 60 s; 2 run(s) not downloaded');
    const report = JSON.parse(r.stdout) as Report;
    expect(report.findings.map((f) => f.path)).toEqual(['deploy/run-105.zip!deploy/2_Deploy.txt']);
    expect(report.scan.warnings[0]).toContain('secondary rate limit');
  });

  it('rejects bad arguments with exit 2', async () => {
    expect((await sprawlAsync(['logs'])).stderr).toContain('--github owner/repo');
    expect((await logs(['--runs', '0'])).code).toBe(2);
    const bad = await sprawlAsync(['logs', '--github', 'not a repo']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--github must be owner/repo, not 'not a repo'");
  });
});

describe('Link header', () => {
  it('finds rel="next" among the relations', () => {
    expect(nextLink('<https://api.github.com/x?page=2>; rel="next", <https://api.github.com/x?page=5>; rel="last"')).toBe('https://api.github.com/x?page=2');
    expect(nextLink('<https://api.github.com/x?page=1>; rel="prev", <https://api.github.com/x?page=1>; rel="first"')).toBeNull();
    expect(nextLink(null)).toBeNull();
  });
});

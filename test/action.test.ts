import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { planFor } from '../src/action/main.js';
import { makeRepo } from './helpers/git.js';
import { fakeChecksummedToken } from './helpers/tokens.js';

const ENTRY = resolve(__dirname, '../dist/action/main.js');
const tok = (seed: string) => fakeChecksummedToken('ghp', seed);

/** Runs the action's entry point as the runner would: event payload file, summary and output files. */
function runAction(workspace: string, eventName: string, payload: object, inputs: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'sprawl-runner-'));
  const eventPath = join(dir, 'event.json');
  const summary = join(dir, 'summary.md');
  const output = join(dir, 'output.txt');
  writeFileSync(eventPath, JSON.stringify(payload));
  writeFileSync(summary, '');
  writeFileSync(output, '');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GITHUB_WORKSPACE: workspace,
    GITHUB_EVENT_NAME: eventName,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_STEP_SUMMARY: summary,
    GITHUB_OUTPUT: output,
    'INPUT_SARIF-FILE': join(dir, 'out.sarif'),
  };
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
  const r = spawnSync(process.execPath, [ENTRY], { env, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, summary: readFileSync(summary, 'utf8'), output: readFileSync(output, 'utf8'), sarif: join(dir, 'out.sarif') };
}

function repoWithHistory() {
  const r = makeRepo();
  const c1 = r.commit('one', { 'README.md': '# app\n', 'old.env': `T=${tok('a-old')}\n` }, '2024-01-01T00:00:00Z');
  const c2 = r.commit('two', { 'deploy/.env': `GH_TOKEN=${tok('a-new')}\n` }, '2024-02-01T00:00:00Z');
  return { r, c1, c2 };
}

describe('GitHub Action', () => {
  it('plans the range from the event', () => {
    expect(planFor('pull_request', { pull_request: { base: { sha: 'a'.repeat(40) }, head: { sha: 'b'.repeat(40) } } }, 'auto')).toMatchObject({ mode: 'range', range: `${'a'.repeat(40)}..${'b'.repeat(40)}` });
    expect(planFor('push', { before: '0'.repeat(40), after: 'c'.repeat(40) }, 'auto').reason).toMatch(/new branch/);
    expect(planFor('push', { before: 'a'.repeat(40), after: 'c'.repeat(40), forced: true }, 'auto').reason).toMatch(/force push/);
    expect(planFor('schedule', {}, 'auto')).toMatchObject({ mode: 'full' });
    expect(planFor('workflow_dispatch', {}, 'auto')).toMatchObject({ mode: 'full' });
    expect(() => planFor('schedule', {}, 'diff')).toThrow(/needs a push or pull_request/);
  });

  it('on push scans before..after: annotations, outputs, summary and SARIF', () => {
    const { r, c1, c2 } = repoWithHistory();
    const out = runAction(r.dir, 'push', { before: c1, after: c2 });
    expect(out.code).toBe(1);
    expect(out.stdout).toContain(`push: ${c1.slice(0, 7)}..${c2.slice(0, 7)}`);
    expect(out.stdout).toMatch(/^::error file=deploy\/\.env,line=1,col=10,title=sprawl%3A github\.pat-classic::GitHub personal access token/m);
    expect(out.stdout).not.toContain('old.env');
    expect(out.stdout).not.toContain(tok('a-new'));
    expect(out.output).toMatch(/^findings=1$/m);
    expect(out.output).toMatch(/^secrets=1$/m);
    expect(out.output).toContain(`sarif=${out.sarif}`);
    expect(out.summary).toContain('# sprawl report');
    expect(JSON.parse(readFileSync(out.sarif, 'utf8')).runs[0].results).toHaveLength(1);
  });

  it('on a new branch, a pull request and a schedule scans what each should, and says so', () => {
    const { r, c1, c2 } = repoWithHistory();
    const fresh = runAction(r.dir, 'push', { before: '0'.repeat(40), after: c2 });
    expect(fresh.stdout).toMatch(/new branch/);
    expect(fresh.output).toMatch(/^secrets=2$/m);
    const pr = runAction(r.dir, 'pull_request', { pull_request: { base: { sha: c1 }, head: { sha: c2 } } });
    expect(pr.output).toMatch(/^secrets=1$/m);
    const nightly = runAction(r.dir, 'schedule', {}, { 'fail-on': 'never' });
    expect(nightly.code).toBe(0);
    expect(nightly.stdout).toMatch(/the whole history/);
    expect(nightly.output).toMatch(/^secrets=2$/m);
  });

  it('when before equals after, scans the changes of that commit rather than nothing, and says so', () => {
    const { r, c2 } = repoWithHistory();
    const same = runAction(r.dir, 'push', { before: c2, after: c2 });
    expect(same.stdout).toMatch(/::warning::range .*same commit/);
    expect(same.output).toMatch(/^findings=1$/m);
    expect(same.code).toBe(1);
  });
});

describe('GitHub Action with an inventory', () => {
  it('records each run; with fail-on-new, a secret already known does not fail the next run, a new one does', () => {
    const { r, c2 } = repoWithHistory();
    const inventory = join(mkdtempSync(join(tmpdir(), 'sprawl-inv-')), 'sprawl.db');
    const first = runAction(r.dir, 'schedule', {}, { inventory, 'fail-on-new': 'true' });
    expect(first.code).toBe(1);
    expect(first.output).toMatch(/^new=2$/m);
    const again = runAction(r.dir, 'schedule', {}, { inventory, 'fail-on-new': 'true' });
    expect(again.code).toBe(0);
    expect(again.output).toMatch(/^new=0$/m);
    const c3 = r.commit('three', { 'ci/token.txt': `${tok('a-third')}\n` }, '2024-03-01T00:00:00Z');
    const third = runAction(r.dir, 'push', { before: c2, after: c3 }, { inventory, 'fail-on-new': 'true' });
    expect(third.output).toMatch(/^new=1$/m);
    expect(third.code).toBe(1);
    expect(readFileSync(inventory).includes(Buffer.from(tok('a-third')))).toBe(false);
  });

  it('refuses fail-on-new without an inventory', () => {
    const { r } = repoWithHistory();
    const out = runAction(r.dir, 'schedule', {}, { 'fail-on-new': 'true' });
    expect(out.code).toBe(2);
    expect(out.stdout).toMatch(/::error::sprawl: fail-on-new needs an inventory/);
  });
});

describe('action.yml', () => {
  const action = parse(readFileSync(resolve(__dirname, '../action.yml'), 'utf8'));
  const text = readFileSync(resolve(__dirname, '../action.yml'), 'utf8');
  const entry = readFileSync(resolve(__dirname, '../src/action/main.ts'), 'utf8');

  it('has the required fields and runs as a composite action with npm ci', () => {
    for (const k of ['name', 'description', 'runs']) expect(action[k], k).toBeTruthy();
    expect(action.runs.using).toBe('composite');
    expect(text).toContain('npm ci');
  });

  it('declares every input it uses, and the entry point reads only declared inputs', () => {
    const declared = new Set(Object.keys(action.inputs));
    const used = [...text.matchAll(/inputs\.([\w-]+)/g)].map((m) => m[1]!);
    expect(used.filter((u) => !declared.has(u))).toEqual([]);
    const read = [...entry.matchAll(/input\('([\w-]+)'/g)].map((m) => m[1]!);
    expect(read.filter((u) => !declared.has(u))).toEqual([]);
    for (const name of declared) expect(text, name).toContain(`INPUT_${name.toUpperCase()}: \${{ inputs.${name} }}`);
  });
});

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stagedScanTarget } from '../src/cli/staged-argv.js';
import { CLI, sprawl } from './helpers/cli.js';
import { tempTree } from './helpers/tmp.js';
import { fakeChecksummedToken } from './helpers/tokens.js';

const ghp = fakeChecksummedToken('ghp', 'cli-1');
const leaky = () => tempTree({ 'config/.env': `APP_ENV=production\nGITHUB_TOKEN=${ghp}\n`, 'src/index.js': 'console.log(process.env.GITHUB_TOKEN)\n' });
const clean = () => tempTree({ 'src/index.js': 'export const token = process.env.GITHUB_TOKEN;\n', 'README.md': '# app\n' });

describe('sprawl CLI', () => {
  it('is built', () => {
    expect(existsSync(CLI)).toBe(true);
  });

  it('exits 0 with no findings and 1 with findings', () => {
    expect(sprawl(['scan', clean()]).code).toBe(0);
    const r = sprawl(['scan', leaky()]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('config/.env:2:14');
    expect(r.stdout).toContain('github.pat-classic');
  });

  it('prints no parser warnings for Helm templates (maps with template keys), and still reports their findings', () => {
    const dir = tempTree({
      'chart/templates/deployment.yaml': [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata:',
        '  name: {{ include "orders.fullname" . }}',
        'spec:',
        '  template:',
        '    spec:',
        '      containers:',
        '        - name: api',
        '          env:',
        '            - name: DB_PASSWORD',
        '              valueFrom: {secretKeyRef: {name: db, key: password}}',
        `            - name: GITHUB_TOKEN`,
        `              value: ${fakeChecksummedToken('ghp', 'helm')}`,
        '',
      ].join('\n'),
    });
    const r = sprawl(['scan', dir, '-f', 'json']);
    expect(r.stderr).not.toMatch(/Warning/);
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as { findings: Array<{ ruleId: string }> }).findings.map((f) => f.ruleId)).toEqual(['github.pat-classic']);
  });

  it('uses --exit-code for findings', () => {
    expect(sprawl(['scan', leaky(), '--exit-code', '0']).code).toBe(0);
    expect(sprawl(['scan', leaky(), '--exit-code', '42']).code).toBe(42);
  });

  it('exits 2 on usage, config and input errors, with a message and no stack trace', () => {
    const missing = sprawl(['scan', '/nonexistent/path/xyz']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('/nonexistent/path/xyz');
    expect(sprawl(['scan', '.', '--format', 'yaml']).code).toBe(2);
    expect(sprawl(['scan', '--no-such-flag']).code).toBe(2);
    const dir = tempTree({ 'sprawl.yaml': 'allowlist: [unclosed\n' });
    const bad = sprawl(['scan', dir, '--config', join(dir, 'sprawl.yaml')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/sprawl\.yaml: invalid YAML/);
    expect(bad.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it('scans standard input with -', () => {
    const r = sprawl(['scan', '-', '--format', 'json'], { input: `echo ${ghp}\n` });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.findings[0]).toMatchObject({ source: 'stdin', path: '-', line: 1, column: 6, ruleId: 'github.pat-classic' });
  });

  it('infers the format from --output', () => {
    const dir = leaky();
    const out = join(dir, 'report.sarif');
    expect(sprawl(['scan', join(dir, 'config'), '-o', out]).code).toBe(1);
    expect(JSON.parse(readFileSync(out, 'utf8')).version).toBe('2.1.0');
  });

  it('writes the documented JSON schema', () => {
    const report = JSON.parse(sprawl(['scan', leaky(), '-f', 'json']).stdout);
    expect(Object.keys(report).sort()).toEqual(['findings', 'scan', 'schemaVersion', 'secrets', 'tool']);
    expect(report.schemaVersion).toBe(1);
    expect(Object.keys(report.scan.stats).sort()).toEqual(['blobsScanned', 'bytesScanned', 'commitsWalked', 'durationMs', 'filesScanned', 'skipped']);
    for (const k of ['id', 'secretId', 'ruleId', 'provider', 'confidence', 'source', 'repo', 'path', 'line', 'column', 'commit', 'author', 'date', 'secret', 'match']) {
      expect(report.findings[0], k).toHaveProperty(k);
    }
    for (const k of ['secretId', 'ruleId', 'provider', 'secret', 'occurrences', 'paths', 'repos', 'firstSeen', 'lastSeen', 'ageDays', 'inWorkingTree', 'owners', 'workloads', 'revocation']) {
      expect(report.secrets[0], k).toHaveProperty(k);
    }
    expect(report.secrets[0].revocation.steps.length).toBeGreaterThan(0);
  });

  it('gives one secret entry for a value found in several files, with a keyed secretId', () => {
    const dir = tempTree({ 'a/.env': `T=${ghp}\n`, 'b/deploy.sh': `curl -H "Authorization: token ${ghp}"\n` });
    const report = JSON.parse(sprawl(['scan', dir, '-f', 'json']).stdout);
    expect(report.findings).toHaveLength(2);
    expect(report.secrets).toHaveLength(1);
    expect(report.secrets[0]).toMatchObject({ occurrences: 2, paths: ['a/.env', 'b/deploy.sh'] });
    const other = JSON.parse(sprawl(['scan', dir, '-f', 'json'], { env: { SPRAWL_ID_KEY: 'another-key' } }).stdout);
    expect(other.secrets[0].secretId).not.toBe(report.secrets[0].secretId);
  });

  it('suppresses secrets listed in a baseline report, by secretId rather than line', () => {
    const dir = leaky();
    const baseline = join(dir, 'baseline.json');
    sprawl(['scan', join(dir, 'config'), '-o', baseline]);
    // Move the secret to another line: a line-keyed baseline would report it again.
    const moved = tempTree({ 'config/.env': `# moved\n\n\nGITHUB_TOKEN=${ghp}\n` });
    expect(sprawl(['scan', moved, '--baseline', baseline]).code).toBe(0);
  });

  it('applies sprawl.yaml allowlists and disabled rules', () => {
    const dir = tempTree({ 'test/fixture.env': `T=${ghp}\n`, 'sprawl.yaml': 'allowlist:\n  paths: ["test/"]\n' });
    const r = JSON.parse(sprawl(['scan', dir, '-f', 'json']).stdout);
    expect(r.findings).toHaveLength(0);
    expect(r.scan.stats.skipped['ignored-by-allowlist']).toBe(1);
    const off = tempTree({ '.env': `T=${ghp}\n`, 'sprawl.yaml': 'disabledRules: [github.pat-classic]\n' });
    expect(sprawl(['scan', off]).code).toBe(0);
  });

  it('lists and checks rules', () => {
    expect(sprawl(['rules', 'list']).stdout).toContain('github.pat-classic');
    const r = sprawl(['rules', 'check']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('rules check names the rule and file of a pattern RE2 refuses', () => {
    const dir = tempTree({
      'bad.yaml': [
        'rules:',
        '  - id: acme.key',
        '    name: Acme key',
        '    provider: acme',
        "    pattern: 'acme_(?=x)[a-z]{10}'",
        '    keywords: [acme_]',
        '    confidence: high',
        "    examples: [{input: 'acme_xqwertyuio', secret: 'acme_xqwertyuio'}]",
        '    negativeExamples: []',
        '    references: [https://acme.test]',
        '    revocation: {summary: s, url: https://acme.test, steps: [revoke]}',
      ].join('\n'),
    });
    const r = sprawl(['rules', 'check', '--rules', join(dir, 'bad.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml: acme\.key: pattern does not compile/);
  });

  it('ends quietly when the reader of its output goes away (sprawl scan | head)', () => {
    // Enough output to outgrow the pipe's buffer, so that a write is still pending when head leaves.
    const lines = Array.from({ length: 1500 }, (_, i) => `GITHUB_TOKEN_${i}=${fakeChecksummedToken('ghp', `pipe-${i}`)}`);
    const dir = tempTree({ 'cfg/many.env': lines.join('\n') + '\n' });
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${CLI}" scan "${dir}" --no-history | head -2 >/dev/null`], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled|at /);
  });
});

describe('the launcher', () => {
  it('recognises a pre-commit command line and its folder, and leaves anything it cannot be sure of alone', () => {
    expect(stagedScanTarget(['scan', '--staged'])).toBe('.');
    expect(stagedScanTarget(['scan', '--staged', 'repo', '-f', 'sarif', '-o', 'out.sarif'])).toBe('repo');
    expect(stagedScanTarget(['scan', '-c', 'sprawl.yaml', '--staged', '--exit-code=3', 'repo'])).toBe('repo');
    expect(stagedScanTarget(['scan', 'repo'])).toBeNull();
    expect(stagedScanTarget(['org', '--staged'])).toBeNull();
    expect(stagedScanTarget(['scan', '--staged', 'a', 'b'])).toBeNull();
    expect(stagedScanTarget(['scan', '--staged', '--rules', 'x', 'y'])).toBeNull();
  });
});

describe('the sprawl command (dist/cli/sprawl.cjs)', () => {
  it('runs from a compile cache in the user cache folder, and shrugs off a corrupt or missing one', () => {
    const cacheHome = mkdtempSync(join(tmpdir(), 'sprawl-cache-'));
    const target = leaky();
    const run = (env: NodeJS.ProcessEnv = {}) => sprawl(['scan', target, '-f', 'json'], { env: { XDG_CACHE_HOME: cacheHome, ...env } });
    const strip = (out: string) => JSON.stringify({ ...JSON.parse(out), scan: undefined });
    const first = run();
    expect(first.code).toBe(1);
    const files = readdirSync(join(cacheHome, 'sprawl'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^scan-v\d+/);
    const file = join(cacheHome, 'sprawl', files[0]!);
    const written = statSync(file);
    const second = run();
    expect(strip(second.stdout)).toBe(strip(first.stdout));
    // Accepted, so not written again: a cache V8 refused would be replaced after every run.
    expect(statSync(file)).toMatchObject({ ino: written.ino, mtimeMs: written.mtimeMs });
    // V8 refuses a damaged cache; the run compiles as usual and writes a good one again.
    writeFileSync(file, Buffer.alloc(4096, 7));
    const third = run();
    expect(third.stderr).toBe('');
    expect(strip(third.stdout)).toBe(strip(first.stdout));
    expect(readFileSync(file).equals(Buffer.alloc(4096, 7))).toBe(false);
    // Caches of earlier builds are pruned when a new one is written: the newest four of a command stay.
    const dir = join(cacheHome, 'sprawl');
    for (let i = 0; i < 6; i++) {
      writeFileSync(join(dir, `scan-v20.0.0-x64-1-${i}.v8cache`), 'old');
      utimesSync(join(dir, `scan-v20.0.0-x64-1-${i}.v8cache`), 1_600_000_000 + i, 1_600_000_000 + i);
    }
    writeFileSync(join(dir, 'org-v20.0.0-x64-1-0.v8cache'), 'other command');
    writeFileSync(file, Buffer.alloc(4096, 7));
    run();
    expect(readdirSync(dir).sort()).toEqual([files[0]!, 'org-v20.0.0-x64-1-0.v8cache', 'scan-v20.0.0-x64-1-3.v8cache', 'scan-v20.0.0-x64-1-4.v8cache', 'scan-v20.0.0-x64-1-5.v8cache'].sort());
    const off = mkdtempSync(join(tmpdir(), 'sprawl-nocache-'));
    expect(sprawl(['--version'], { env: { XDG_CACHE_HOME: off, SPRAWL_NO_COMPILE_CACHE: '1' } }).code).toBe(0);
    expect(existsSync(join(off, 'sprawl'))).toBe(false);
  });
});


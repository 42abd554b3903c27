import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scan } from '../src/scan.js';
import { CLI, sprawl } from './helpers/cli.js';
import { makeRepo } from './helpers/git.js';
import { fakeChecksummedToken } from './helpers/tokens.js';

const tok = (seed: string) => fakeChecksummedToken('ghp', seed);

describe('git history', () => {
  it('finds a secret that was added then deleted, only in history, at its introducing commit', async () => {
    const r = makeRepo();
    const added = r.commit('add config', { '.env': `GH_TOKEN=${tok('del')}\n`, 'README.md': '# app\n' }, '2024-01-02T10:00:00Z', 'Bob Builder');
    r.commit('remove secret', { '.env': null }, '2024-02-01T10:00:00Z');
    const report = await scan({ targets: [r.dir] });
    expect(report.findings).toHaveLength(1);
    expect(report.findings[0]).toMatchObject({ source: 'git', path: '.env', line: 1, column: 10, commit: added, author: 'Bob Builder <bob.builder@example.test>', date: '2024-01-02T10:00:00+00:00' });
    expect(report.scan.stats.commitsWalked).toBe(2);
  });

  it('opens archives in history: one deleted from the tree is found at its introducing commit, one still there in both places', async () => {
    const r = makeRepo();
    const zipOf = (name: string, text: string): Buffer => {
      const code = `import sys,zipfile,io\nb=io.BytesIO()\nz=zipfile.ZipFile(b,'w',zipfile.ZIP_DEFLATED)\nz.writestr(sys.argv[1], sys.stdin.read())\nz.close()\nsys.stdout.buffer.write(b.getvalue())`;
      return execFileSync('python3', ['-c', code, name], { input: text });
    };
    const added = r.commit('add builds', { 'dist/old.zip': zipOf('conf/.env', `T=${tok('zip-old')}\n`), 'lib/app.jar': zipOf('app.properties', `github.token=${tok('jar')}\n`) }, '2024-01-02T10:00:00Z', 'Bob Builder');
    r.commit('drop the old build', { 'dist/old.zip': null }, '2024-02-01T10:00:00Z');
    const report = await scan({ targets: [r.dir] });
    const places = report.findings.map((f) => [f.source, f.path, f.commit ?? null]).sort((a, b) => String(a).localeCompare(String(b)));
    expect(places).toEqual([
      ['archive', 'dist/old.zip!conf/.env', added],
      ['archive', 'lib/app.jar!app.properties', null],
      ['archive', 'lib/app.jar!app.properties', added],
    ]);
    expect(report.secrets).toHaveLength(2);
    expect(report.findings.find((f) => f.path.startsWith('dist/'))).toMatchObject({ author: 'Bob Builder <bob.builder@example.test>' });
  });

  it('reads a UTF-16 script in history as text, at its introducing commit', async () => {
    const r = makeRepo();
    const added = r.commit('add script', { 'ops/deploy.ps1': Buffer.from(`\ufeff$token = "${tok('utf16')}"\r\n`, 'utf16le') }, '2024-01-02T10:00:00Z');
    r.commit('remove script', { 'ops/deploy.ps1': null }, '2024-02-01T10:00:00Z');
    const report = await scan({ targets: [r.dir] });
    expect(report.findings.map((f) => [f.source, f.path, f.line, f.commit])).toEqual([['git', 'ops/deploy.ps1', 1, added]]);
  });

  it('counts the commits of a history without findings, where no provenance is read', async () => {
    const r = makeRepo();
    r.commit('one', { 'src/a.ts': 'export const a = 1;\n' }, '2024-01-01T00:00:00Z');
    r.commit('two', { 'src/a.ts': 'export const a = 2;\n' }, '2024-01-02T00:00:00Z');
    r.git('checkout', '-q', '-b', 'side');
    r.commit('three', { 'src/b.ts': 'export const b = 3;\n' }, '2024-01-03T00:00:00Z');
    r.git('checkout', '-q', 'main');
    const report = await scan({ targets: [r.dir] });
    expect(report.findings).toEqual([]);
    expect(report.scan.stats.commitsWalked).toBe(3);
  });

  it('reads a log committed to the repository as a log: colour codes cleaned, masks counted, the job named', async () => {
    const r = makeRepo();
    // A GitLab trace saved as <job>.log: the token sits right after a colour code, where no word boundary is.
    const trace = [
      'section_start:1700000002:step_script\r\x1b[0K\x1b[0K\x1b[36;1mExecuting "step_script" stage of the job script\x1b[0;m',
      '\x1b[32;1m$ env | sort\x1b[0;m',
      `GH_TOKEN=\x1b[1m${tok('committed-log')}\x1b[0m`,
      'REGISTRY_PASSWORD=[MASKED]',
      'section_end:1700000009:step_script\r\x1b[0K',
    ].join('\n');
    const added = r.commit('save the failing trace', { 'ci-logs/deploy-prod.log': trace + '\n' }, '2024-03-01T00:00:00Z');
    r.commit('drop the trace', { 'ci-logs/deploy-prod.log': null }, '2024-03-02T00:00:00Z');
    const report = await scan({ targets: [r.dir] });
    expect(report.findings).toHaveLength(1);
    expect(report.findings[0]).toMatchObject({ source: 'git', path: 'ci-logs/deploy-prod.log', line: 3, commit: added, ci: { system: 'gitlab-ci', job: 'deploy-prod' } });
    expect(report.scan.stats.skipped['masked-in-log']).toBe(1);
  });

  it("applies sprawl.yaml's allowlist.paths to history too, not only to the working tree", async () => {
    const r = makeRepo();
    r.commit('fixtures', { 'sprawl.yaml': 'allowlist:\n  paths: ["test/fixtures/**"]\n', 'test/fixtures/old.env': `TOKEN=${tok('allow-hist')}\n` }, '2024-01-01T00:00:00Z');
    r.commit('rm', { 'test/fixtures/old.env': null }, '2024-01-02T00:00:00Z');
    r.commit('leak', { 'app.env': `TOKEN=${tok('allow-real')}\n` }, '2024-01-03T00:00:00Z');
    const report = await scan({ targets: [r.dir] });
    expect([...new Set(report.findings.map((f) => f.path))]).toEqual(['app.env']);
  });

  it('finds both values of a rotated secret, each with its own introducing commit', async () => {
    const r = makeRepo();
    const c1 = r.commit('v1', { 'deploy/config.yml': `token: ${tok('rot-1')}\n` }, '2024-01-01T00:00:00Z');
    const c2 = r.commit('rotate', { 'deploy/config.yml': `token: ${tok('rot-2')}\n` }, '2024-06-01T00:00:00Z');
    const report = await scan({ targets: [r.dir] });
    expect(report.secrets).toHaveLength(2);
    const git = report.findings.filter((f) => f.source === 'git');
    expect(git.map((f) => f.commit).sort()).toEqual([c1, c2].sort());
    // The current value is also in the working tree: one secret, two occurrences.
    const current = report.secrets.find((s) => s.occurrences === 2);
    expect(current).toBeDefined();
  });

  it('finds secrets only on an unmerged branch, or only in a tag', async () => {
    const r = makeRepo();
    r.commit('init', { 'a.txt': 'hello\n' }, '2024-01-01T00:00:00Z');
    r.git('checkout', '-q', '-b', 'feature/wip');
    const onBranch = r.commit('wip', { 'wip.env': `T=${tok('branch')}\n` }, '2024-01-02T00:00:00Z');
    r.git('checkout', '-q', 'main');
    r.git('checkout', '-q', '--detach');
    const tagged = r.commit('release', { 'release.env': `T=${tok('tag')}\n` }, '2024-01-03T00:00:00Z');
    r.git('tag', 'v1.0.0');
    r.git('checkout', '-q', 'main');
    const report = await scan({ targets: [r.dir] });
    expect(report.findings.map((f) => [f.path, f.commit]).sort()).toEqual([['release.env', tagged], ['wip.env', onBranch]].sort());
    // Narrowing the refs narrows what is scanned.
    const mainOnly = await scan({ targets: [r.dir], refs: ['main'] });
    expect(mainOnly.findings).toEqual([]);
  });

  it('attributes a merged secret to the branch commit, and links the working-tree copy to it', async () => {
    const r = makeRepo();
    r.commit('init', { 'a.txt': 'hello\n' }, '2024-01-01T00:00:00Z');
    r.git('checkout', '-q', '-b', 'feature');
    const feat = r.commit('add key', { 'svc/.env': `T=${tok('merge')}\n` }, '2024-01-05T00:00:00Z', 'Carol Coder');
    r.git('checkout', '-q', 'main');
    r.commit('main work', { 'b.txt': 'b\n' }, '2024-01-06T00:00:00Z');
    r.git('-c', 'user.name=M', '-c', 'user.email=m@example.test', 'merge', '-q', '--no-ff', '-m', 'merge feature', 'feature');
    const report = await scan({ targets: [r.dir] });
    expect(report.secrets).toHaveLength(1);
    expect(report.secrets[0]!.occurrences).toBe(2);
    const byKind = Object.fromEntries(report.findings.map((f) => [f.source, f]));
    expect(byKind.git).toMatchObject({ commit: feat, path: 'svc/.env', author: 'Carol Coder <carol.coder@example.test>' });
    expect(byKind.file).toMatchObject({ path: 'svc/.env', commit: null });
    expect(report.scan.stats.blobsScanned).toBeGreaterThan(0);
  });

  it('reports a renamed blob once, at its first introduction, listing the later path', async () => {
    const r = makeRepo();
    const first = r.commit('add', { 'old/name.env': `T=${tok('rename')}\n` }, '2024-01-01T00:00:00Z');
    r.git('mv', 'old/name.env', 'new.env');
    const moved = r.commit('move', {}, '2024-02-01T00:00:00Z');
    const report = await scan({ targets: [r.dir], history: true });
    const git = report.findings.filter((f) => f.source === 'git');
    expect(git).toHaveLength(1);
    expect(git[0]).toMatchObject({ commit: first, path: 'old/name.env' });
    expect(git[0]!.alsoIntroduced).toEqual([expect.objectContaining({ commit: moved, path: 'new.env' })]);
  });

  it('skips binary blobs with a count', async () => {
    const r = makeRepo();
    r.commit('bin', { 'logo.png': Buffer.concat([Buffer.from([0x89, 0x50, 0, 0]), Buffer.from(tok('bin'))]) }, '2024-01-01T00:00:00Z');
    r.commit('rm', { 'logo.png': null }, '2024-01-02T00:00:00Z');
    const report = await scan({ targets: [r.dir] });
    expect(report.findings).toEqual([]);
    expect(report.scan.stats.skipped.binary).toBe(1);
  });

  it('skips formats that are always binary by name, and still reads a text file whatever it is called', async () => {
    const r = makeRepo();
    // No NUL in it: only its name can have it skipped (a real one starts `\0asm`).
    const wasm = Buffer.from(`T=${tok('wasm')}\n`);
    r.commit('assets', { 'dist/app.wasm': wasm, 'fonts/.DS_Store': Buffer.from([0, 0, 0, 1, 0x42, 0x75, 0x64, 0x31]), 'notes.png.txt': `T=${tok('png-txt')}\n` }, '2024-01-01T00:00:00Z');
    r.commit('rm', { 'dist/app.wasm': null, 'fonts/.DS_Store': null }, '2024-01-02T00:00:00Z');
    const report = await scan({ targets: [r.dir] });
    expect(report.scan.stats.skipped.binary).toBe(2);
    expect(new Set(report.findings.map((f) => f.path))).toEqual(new Set(['notes.png.txt']));
  });

  it('goes on past a missing object, with a warning and a count', async () => {
    const r = makeRepo();
    r.commit('a', { 'lost.txt': 'this blob will vanish\n', 'kept.env': `T=${tok('missing')}\n` }, '2024-01-01T00:00:00Z');
    const oid = r.git('rev-parse', 'HEAD:lost.txt');
    rmSync(join(r.dir, '.git', 'objects', oid.slice(0, 2), oid.slice(2)));
    rmSync(join(r.dir, 'lost.txt'));
    const report = await scan({ targets: [r.dir] });
    expect(report.findings.some((f) => f.path === 'kept.env')).toBe(true);
    expect(report.scan.stats.skipped['missing-object']).toBeGreaterThanOrEqual(1);
    expect(report.scan.warnings.join('\n')).toContain(oid);
    // lost.txt is still in the index but gone from the work tree: counted, not a warning.
    expect(report.scan.stats.skipped.deleted).toBe(1);
    expect(report.scan.warnings.join('\n')).not.toContain('unreadable');
  });

  it('goes on past a corrupt object that kills cat-file, with a warning and a count', async () => {
    const r = makeRepo();
    // Random-looking text, so that the loose object is large and its truncated stream still has a header.
    const noise = Array.from({ length: 4000 }, (_, i) => `${i} ${((i * 2654435761) >>> 0).toString(36)}`).join('\n');
    r.commit('a', { 'a.env': `T=${tok('before-corrupt')}\n`, 'broken.txt': noise, 'z.env': `T=${tok('after-corrupt')}\n` }, '2024-01-01T00:00:00Z');
    const oid = r.git('rev-parse', 'HEAD:broken.txt');
    const file = join(r.dir, '.git', 'objects', oid.slice(0, 2), oid.slice(2));
    chmodSync(file, 0o644);
    writeFileSync(file, readFileSync(file).subarray(0, 200));
    rmSync(join(r.dir, 'broken.txt'));
    const report = await scan({ targets: [r.dir] });
    expect(report.findings.filter((f) => f.source === 'git').map((f) => f.path).sort()).toEqual(['a.env', 'z.env']);
    expect(report.scan.stats.skipped['corrupt-object']).toBe(1);
    expect(report.scan.warnings.join('\n')).toContain(oid);
  });

  it('scans a shallow clone and says the history is cut', async () => {
    const r = makeRepo();
    r.commit('old', { 'old.env': `T=${tok('shallow-old')}\n` }, '2024-01-01T00:00:00Z');
    r.commit('rm', { 'old.env': null }, '2024-01-02T00:00:00Z');
    r.commit('new', { 'new.env': `T=${tok('shallow-new')}\n` }, '2024-01-03T00:00:00Z');
    const clone = `${r.dir}-shallow`;
    execFileSync('git', ['clone', '-q', '--depth', '1', `file://${r.dir}`, clone]);
    const report = await scan({ targets: [clone] });
    expect(report.findings.map((f) => f.path)).toContain('new.env');
    expect(report.findings.map((f) => f.path)).not.toContain('old.env');
    expect(report.scan.warnings.join('\n')).toMatch(/shallow clone/);
  });

  it('handles an empty repository', async () => {
    const r = makeRepo();
    const report = await scan({ targets: [r.dir] });
    expect(report.findings).toEqual([]);
    expect(sprawl(['scan', r.dir]).code).toBe(0);
  });

  it('--no-history scans the working tree only', async () => {
    const r = makeRepo();
    r.commit('add', { '.env': `T=${tok('nohist')}\n` }, '2024-01-01T00:00:00Z');
    r.commit('rm', { '.env': null }, '2024-01-02T00:00:00Z');
    expect((await scan({ targets: [r.dir], history: false })).findings).toEqual([]);
    expect(sprawl(['scan', r.dir, '--no-history']).code).toBe(0);
    expect(sprawl(['scan', r.dir]).code).toBe(1);
  });
});

describe('detection in worker threads', () => {
  it('finds in history exactly what detection on the main thread finds, across many blobs and batches', async () => {
    const r = makeRepo();
    // Enough blobs to fill several batches, with secrets scattered through them and a CI file for workloads.
    const filler = 'export function handler(req, res) { return res.json({ ok: true, token: req.headers.token }); }\n'.repeat(400);
    for (let i = 0; i < 12; i++) {
      const files: Record<string, string> = { [`src/mod${i}.js`]: `${filler}// rev ${i}\n` };
      if (i % 4 === 0) files[`config/app${i}.env`] = `GITHUB_TOKEN=${tok(`w${i}`)}\n`;
      r.commit(`change ${i}`, files, `2024-03-${String(i + 1).padStart(2, '0')}T00:00:00Z`);
    }
    const inline = await scan({ targets: [r.dir], workers: 0, now: () => new Date('2025-01-01T00:00:00Z') });
    // The built CLI runs the compiled worker; from sources (this test process) detection stays inline.
    expect(existsSync(join(CLI, '../../detect/worker.js'))).toBe(true);
    const cli = sprawl(['scan', r.dir, '--format', 'json', '--workers', '2']);
    expect(cli.code).toBe(1);
    const viaWorkers = JSON.parse(cli.stdout) as typeof inline;
    const key = (f: { path: string; line: number; column: number; commit: string | null; ruleId: string; secretId: string }) => `${f.ruleId} ${f.path}:${f.line}:${f.column} ${f.commit} ${f.secretId}`;
    expect(viaWorkers.findings.map(key).sort()).toEqual(inline.findings.map(key).sort());
    expect(inline.findings.length).toBeGreaterThanOrEqual(3);
    expect(viaWorkers.scan.stats.blobsScanned).toBe(inline.scan.stats.blobsScanned);
  });
});

describe('a folder matched in worker threads (--workers given)', () => {
  it('finds what the main thread finds: plain files, a CI configuration, a log, test code', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sprawl-files-workers-'));
    cpSync(join(__dirname, '../fixtures/ng.leaky-app'), join(dir, 'app'), { recursive: true });
    cpSync(join(__dirname, '../fixtures/ng.ci-leaks'), join(dir, 'ci'), { recursive: true });
    mkdirSync(join(dir, 'test', 'ci'), { recursive: true });
    // A log's path says nothing of its values: one saved under test/ does not make its secrets test data.
    writeFileSync(join(dir, 'test', 'ci', 'deploy.log'), `2024-01-01T00:00:00Z ##[group]Run deploy\n  api_token = "${'q8ZtV3xLm2Pw9Rk4Yc7Hn1Bd'}"\nGITHUB_TOKEN=${tok('files-log')}\n`);
    writeFileSync(join(dir, 'test', 'client.test.js'), `const api_token = "${'Zk4Yc7Hn1Bd8q8ZtV3xLm2Pw'}";\n`);
    const inline = await scan({ targets: [dir], workers: 0, now: () => new Date('2025-01-01T00:00:00Z') });
    const cli = sprawl(['scan', dir, '--format', 'json', '--workers', '1']);
    const viaWorkers = JSON.parse(cli.stdout) as typeof inline;
    const key = (f: { path: string; line: number; column: number; ruleId: string; confidence: string; secretId: string }) => `${f.ruleId} ${f.path}:${f.line}:${f.column} ${f.confidence} ${f.secretId}`;
    expect(viaWorkers.findings.map(key).sort()).toEqual(inline.findings.map(key).sort());
    expect(inline.findings.length).toBeGreaterThanOrEqual(10);
    expect(inline.findings.some((f) => f.source === 'log')).toBe(true);
    expect(viaWorkers.scan.stats.filesScanned).toBe(inline.scan.stats.filesScanned);
  });
});

describe('detection in worker threads, from the library', () => {
  it('starts its workers when the caller runs as `node --input-type=module -e` (options a worker cannot take)', () => {
    const r = makeRepo();
    r.commit('add', { 'svc.env': `TOKEN=${tok('eval')}\n` }, '2024-01-01T00:00:00Z');
    r.commit('rm', { 'svc.env': null }, '2024-01-02T00:00:00Z');
    const lib = join(CLI, '../../scan.js');
    const code = `import { scan } from ${JSON.stringify(lib)}; const r = await scan({ targets: [${JSON.stringify(r.dir)}], workers: 1 }); console.log(r.findings.length);`;
    const out = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
    expect(out.stderr).toBe('');
    expect(out.stdout.trim()).toBe('1');
  });
});

describe('detection in worker threads, under Node options a worker refuses', () => {
  it('scans when sprawl runs as `node --max-old-space-size=N --stack-size=N sprawl ...`', () => {
    const r = makeRepo();
    r.commit('add', { 'svc.env': `TOKEN=${tok('flags')}\n` }, '2024-01-01T00:00:00Z');
    r.commit('rm', { 'svc.env': null }, '2024-01-02T00:00:00Z');
    const out = spawnSync(process.execPath, ['--max-old-space-size=1024', '--stack-size=2000', CLI, 'scan', r.dir, '--workers', '1', '-f', 'json'], { encoding: 'utf8' });
    expect(out.stderr).toBe('');
    expect(out.status).toBe(1);
    expect((JSON.parse(out.stdout) as { secrets: unknown[] }).secrets).toHaveLength(1);
  });
});

describe('detection in worker threads, started part-way', () => {
  it('hands the rest of a history to workers after the first bytes, losing and repeating nothing', () => {
    const r = makeRepo();
    const filler = 'module.exports = { retries: 3, timeoutMs: 2500, region: process.env.REGION };\n'.repeat(300);
    for (let i = 0; i < 10; i++) {
      r.commit(`rev ${i}`, { [`lib/m${i % 3}.js`]: `${filler}// ${i}\n`, [`env/s${i}.env`]: `GITHUB_TOKEN=${tok(`part-${i}`)}\n` }, `2024-04-${String(i + 1).padStart(2, '0')}T00:00:00Z`);
    }
    const lib = join(CLI, '../../scan.js');
    const run = (options: string): { findings: number; secrets: number; blobs: number } => {
      const code = `import { scan } from ${JSON.stringify(lib)}; const r = await scan({ targets: [${JSON.stringify(r.dir)}], ${options} }); console.log(JSON.stringify({ findings: r.findings.length, secrets: r.secrets.length, blobs: r.scan.stats.blobsScanned }));`;
      const out = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
      expect(out.stderr).toBe('');
      return JSON.parse(out.stdout) as { findings: number; secrets: number; blobs: number };
    };
    const inline = run('workers: 0');
    expect(inline.secrets).toBe(10);
    expect(run('workersAfter: 40000')).toEqual(inline);
  });
});

describe('incremental scans', () => {
  const build = () => {
    const r = makeRepo();
    const c1 = r.commit('one', { 'a.env': `T=${tok('inc-1')}\n` }, '2024-01-01T00:00:00Z');
    const c2 = r.commit('two', { 'b.env': `T=${tok('inc-2')}\n`, 'a.env': `T=${tok('inc-1')}\n# touched\n` }, '2024-03-01T00:00:00Z');
    const c3 = r.commit('three', { 'c.env': `T=${tok('inc-3')}\n` }, '2024-06-01T00:00:00Z');
    return { r, c1, c2, c3 };
  };

  it('--range reports only what the commits in the range introduced', async () => {
    const { r, c1, c2, c3 } = build();
    const report = await scan({ targets: [r.dir], range: `${c1}..${c3}` });
    // a.env was touched in c2 but its secret is older: not introduced by the range.
    expect(report.findings.map((f) => [f.path, f.commit])).toEqual([['b.env', c2], ['c.env', c3]]);
    expect(report.scan.stats.commitsWalked).toBe(2);
  });

  it('--range with equal ends scans that commit and says so; an all-zero base scans the new branch', async () => {
    const { r, c3 } = build();
    const same = await scan({ targets: [r.dir], range: `${c3}..${c3}` });
    expect(same.findings.map((f) => f.path)).toEqual(['c.env']);
    expect(same.scan.warnings.join('\n')).toMatch(/same commit/);
    const fresh = await scan({ targets: [r.dir], range: `${'0'.repeat(40)}..${c3}` });
    expect(fresh.findings.map((f) => f.path).sort()).toEqual(['a.env', 'b.env', 'c.env']);
    expect(fresh.scan.warnings.join('\n')).toMatch(/new branch/);
  });

  it('--since takes a date or a commit', async () => {
    const { r, c2 } = build();
    expect((await scan({ targets: [r.dir], since: '2024-05-01' })).findings.map((f) => f.path)).toEqual(['c.env']);
    expect((await scan({ targets: [r.dir], since: c2 })).findings.map((f) => f.path)).toEqual(['c.env']);
  });

  it('an unknown range end is a clear error', () => {
    const { r } = build();
    const out = sprawl(['scan', r.dir, '--range', 'nope..HEAD']);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/'nope' is not a commit/);
  });
});

describe('pre-commit', () => {
  it('--staged reports new secrets at their staged line, and works before the first commit', () => {
    const r = makeRepo();
    writeFileSync(join(r.dir, 'app.env'), `# config\nTOKEN=${tok('staged-1')}\n`);
    r.git('add', 'app.env');
    const out = sprawl(['scan', '--staged', r.dir, '-f', 'json']);
    expect(out.code).toBe(1);
    expect(JSON.parse(out.stdout).findings[0]).toMatchObject({ path: 'app.env', line: 2 });
  });

  it('the installed hook blocks a commit that adds a secret, and lets through an allowed one', () => {
    const r = makeRepo();
    r.commit('init', { 'README.md': '# app\n' }, '2024-01-01T00:00:00Z');
    expect(sprawl(['hook', 'install', r.dir]).code).toBe(0);
    const hook = join(r.dir, '.git', 'hooks', 'pre-commit');
    expect(existsSync(hook)).toBe(true);
    expect(readFileSync(hook, 'utf8')).toContain(CLI);
    // A CA bundle Node would read at start-up (and warn about, missing): the hook's scan starts without it.
    const env = { ...process.env, GIT_AUTHOR_NAME: 'A', GIT_AUTHOR_EMAIL: 'a@example.test', GIT_COMMITTER_NAME: 'A', GIT_COMMITTER_EMAIL: 'a@example.test', NO_COLOR: '1', NODE_EXTRA_CA_CERTS: join(r.dir, 'missing-ca.pem') };
    writeFileSync(join(r.dir, 'leak.env'), `TOKEN=${tok('hook-1')}\n`);
    r.git('add', 'leak.env');
    const blocked = spawnSync('git', ['-C', r.dir, 'commit', '-m', 'leak'], { encoding: 'utf8', env });
    expect(blocked.status).not.toBe(0);
    expect(blocked.stdout + blocked.stderr).toContain('leak.env:1:7');
    expect(blocked.stderr).not.toContain('extra certs');
    expect(blocked.stdout + blocked.stderr).not.toContain(tok('hook-1'));
    writeFileSync(join(r.dir, 'leak.env'), `TOKEN=${tok('hook-1')} # sprawl:allow test fixture\n`);
    r.git('add', 'leak.env');
    const allowed = spawnSync('git', ['-C', r.dir, 'commit', '-m', 'allowed'], { encoding: 'utf8', env });
    expect(allowed.status).toBe(0);
  });

  it('--staged from a subfolder, and with its options, scans the whole index (the launcher lists it early)', () => {
    const r = makeRepo();
    r.commit('init', { 'src/app.js': 'export {};\n' }, '2024-01-01T00:00:00Z');
    writeFileSync(join(r.dir, 'leak.env'), `TOKEN=${tok('sub-1')}\n`);
    r.git('add', 'leak.env');
    const fromSub = sprawl(['scan', '--staged', '-f', 'json', '--exit-code', '3'], { cwd: join(r.dir, 'src') });
    expect(fromSub.code).toBe(3);
    expect(JSON.parse(fromSub.stdout).findings.map((f: { path: string }) => f.path)).toEqual(['leak.env']);
    // Staged again after the listing began would be a race in a hook; here the index changes between runs.
    r.git('rm', '--cached', '-q', 'leak.env');
    expect(sprawl(['scan', '--staged', join(r.dir, 'src')]).code).toBe(0);
  });

  it('a pre-existing secret in a file touched by the change does not block', () => {
    const r = makeRepo();
    r.commit('old', { 'cfg.env': `TOKEN=${tok('old-secret')}\n` }, '2024-01-01T00:00:00Z');
    writeFileSync(join(r.dir, 'cfg.env'), `TOKEN=${tok('old-secret')}\nDEBUG=1\n`);
    r.git('add', 'cfg.env');
    expect(sprawl(['scan', '--staged', r.dir]).code).toBe(0);
  });
});

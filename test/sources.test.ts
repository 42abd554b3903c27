import { execFileSync } from 'node:child_process';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatText } from '../src/report/text.js';
import { scan } from '../src/scan.js';
import { tempTree } from './helpers/tmp.js';
import { fakeChecksummedToken } from './helpers/tokens.js';

const ghp = fakeChecksummedToken('ghp', 'sources-1');
const at = (iso: string) => () => new Date(iso);

describe('bad input never stops the scan', () => {
  it('skips binary, oversized, broken-symlink and symlink-loop files with a warning and a count, and scans the rest', async () => {
    const dir = tempTree({
      'ok/.env': `TOKEN=${ghp}\n`,
      'img/logo.png': Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0]), Buffer.from(`TOKEN=${ghp}`)]),
      'big/dump.sql': 'x'.repeat(2048),
    });
    symlinkSync(join(dir, 'nowhere'), join(dir, 'dangling'));
    symlinkSync(join(dir, 'loop-a'), join(dir, 'loop-b'));
    symlinkSync(join(dir, 'loop-b'), join(dir, 'loop-a'));
    const report = await scan({ targets: [dir], maxFileSize: 1024, now: at('2026-01-01T00:00:00Z') });
    expect(report.findings.map((f) => f.path)).toEqual(['ok/.env']);
    expect(report.scan.stats.skipped).toMatchObject({ binary: 1, 'too-large': 1, 'broken-symlink': 1, 'symlink-loop': 2 });
    expect(report.scan.warnings.join('\n')).toMatch(/img\/logo\.png: skipped \(binary\)/);
    expect(report.scan.warnings.join('\n')).toMatch(/big\/dump\.sql: skipped \(too-large/);
    expect(report.scan.warnings.join('\n')).toMatch(/dangling: skipped \(broken-symlink/);
  });

  it('lists at most 20 skips of one reason, so that a folder of images does not hide a broken link', async () => {
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 30; i++) files[`assets/img${i}.bin`] = Buffer.from([0x89, 0x50, 0, 0, i]);
    for (let i = 0; i < 25; i++) files[`legacy/page${i}.txt`] = Buffer.from('caf\xe9\n', 'latin1');
    const dir = tempTree(files);
    symlinkSync(join(dir, 'nowhere'), join(dir, 'zz-dangling'));
    const report = await scan({ targets: [dir] });
    expect(report.scan.stats.skipped).toMatchObject({ binary: 30, 'broken-symlink': 1 });
    expect(report.scan.warnings.filter((w) => w.includes('(binary)'))).toHaveLength(20);
    expect(report.scan.warnings).toContain('(further binary skips not listed; stats.skipped counts them all)');
    expect(report.scan.warnings.some((w) => w.startsWith('zz-dangling: skipped (broken-symlink'))).toBe(true);
    expect(report.scan.warnings.filter((w) => w.endsWith('not valid UTF-8; scanned as bytes'))).toHaveLength(20);
    expect(report.scan.stats.filesScanned).toBe(25);
    // The text report shows 20 warnings: the broken link first.
    const text = formatText(report, { color: false });
    expect(text.split('\n').find((l) => l.startsWith('warning:'))).toMatch(/^warning: zz-dangling: skipped \(broken-symlink/);
  });

  it('names a file whose name is not UTF-8 as unreadable, not as deleted', async () => {
    const dir = tempTree({ 'ok.env': `T=${ghp}\n` });
    writeFileSync(Buffer.from(`${dir}/caf\xe9.env`, 'latin1'), `T=${ghp}\n`);
    const report = await scan({ targets: [dir] });
    expect(report.findings.map((f) => f.path)).toEqual(['ok.env']);
    expect(report.scan.stats.skipped).toEqual({ unreadable: 1 });
    expect(report.scan.warnings).toContain('caf\ufffd.env: skipped (unreadable: the file name is not valid UTF-8; rename the file to scan it)');
  });

  it('reads UTF-16 text (Windows scripts and .reg exports) as text, not as binary', async () => {
    const dir = tempTree({
      'deploy/setup.ps1': Buffer.from(`\ufeff# provisioning\r\n$env:GITHUB_TOKEN = "${ghp}"\r\n`, 'utf16le'),
      'exports/settings.reg': Buffer.from(`Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CURRENT_USER\\Software\\Acme]\r\n"Token"="${ghp}"\r\n`, 'utf16le'),
      'img/logo.bin': Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d]), Buffer.alloc(64, 0), Buffer.from(`T=${ghp}`)]),
    });
    const report = await scan({ targets: [dir] });
    expect(report.findings.map((f) => [f.path, f.line, f.column]).sort()).toEqual([
      ['deploy/setup.ps1', 2, 22],
      ['exports/settings.reg', 4, 10],
    ]);
    expect(report.scan.stats.skipped).toEqual({ binary: 1 });
  });

  it('scans invalid UTF-8 as bytes, with a warning naming the file', async () => {
    const dir = tempTree({ 'latin1.cfg': Buffer.concat([Buffer.from('caf\xe9 = 1\n', 'latin1'), Buffer.from(`TOKEN=${ghp}\n`)]) });
    const report = await scan({ targets: [dir] });
    expect(report.findings).toHaveLength(1);
    expect(report.findings[0]).toMatchObject({ line: 2, column: 7 });
    expect(report.scan.warnings).toContain('latin1.cfg: not valid UTF-8; scanned as bytes');
  });

  it('scans a minified single-line file of several MB', async () => {
    const line = 'function(a){return a+1};var b="q";'.repeat(150_000);
    const dir = tempTree({ 'dist/app.min.js': `${line}var t="${ghp}";${line}` });
    const report = await scan({ targets: [dir] });
    expect(report.findings).toHaveLength(1);
    expect(report.findings[0]!.line).toBe(1);
    expect(report.findings[0]!.column).toBe(line.length + 8);
  });

  it('honours .gitignore inside a git work tree and .sprawlignore anywhere', async () => {
    const dir = tempTree({
      '.gitignore': 'build/\n',
      'build/out.env': `T=${ghp}\n`,
      'vendor/lib.env': `T=${ghp}\n`,
      '.sprawlignore': 'vendor/\n',
      'app/.env': `T=${ghp}\n`,
    });
    execFileSync('git', ['init', '-q', dir]);
    const inGit = await scan({ targets: [dir] });
    expect(inGit.findings.map((f) => f.path)).toEqual(['app/.env']);
    expect(inGit.findings[0]!.repo).toBeTruthy();
    // Ignored files are counted, never dropped silently, and can be scanned on request.
    expect(inGit.scan.stats.skipped.gitignored).toBe(1);
    const all = await scan({ targets: [dir], gitignore: false });
    expect(all.findings.map((f) => f.path)).toEqual(['app/.env', 'build/out.env']);
  });

  it('scans a folder the enclosing repository ignores when it is named, as a file git ignores is', async () => {
    const dir = tempTree({
      '.gitignore': 'build/\n/versions\n',
      'build/out.env': `T=${ghp}\n`,
      // Ignored through its parent, like ~/.pyenv/versions/<v> in pyenv's clone: git's count of ignored
      // entries fails there, and the scan used to find nothing and say nothing.
      'versions/2.7/lib/settings.py': `TOKEN = "${ghp}"\n`,
      'versions/2.7/lib/.gitignore': '*.log\n',
      'versions/2.7/lib/debug.log': `T=${ghp}\n`,
    });
    execFileSync('git', ['init', '-q', dir]);
    const build = await scan({ targets: [join(dir, 'build')] });
    expect(build.findings.map((f) => f.path)).toEqual(['out.env']);
    const nested = await scan({ targets: [join(dir, 'versions', '2.7')] });
    // The .gitignore files inside it still apply, and what they leave out is counted.
    expect(nested.findings.map((f) => [f.path, f.repo])).toEqual([['lib/settings.py', null]]);
    expect(nested.scan.stats.filesScanned).toBe(2);
    expect(nested.scan.stats.skipped.gitignored).toBe(1);
  });

  it('honours nested .gitignore files outside git', async () => {
    const dir = tempTree({
      'svc/.gitignore': '*.local\n',
      'svc/secrets.local': `T=${ghp}\n`,
      'svc/app.env': `T=${ghp}\n`,
    });
    const report = await scan({ targets: [dir] });
    expect(report.findings.map((f) => f.path)).toEqual(['svc/app.env']);
    expect(report.scan.stats.skipped.gitignored).toBe(1);
  });

  it('scans a single file target', async () => {
    const dir = tempTree({ 'one.env': `T=${ghp}\n` });
    writeFileSync(join(dir, 'two.env'), `T=${ghp}\n`);
    const report = await scan({ targets: [join(dir, 'one.env')] });
    expect(report.findings.map((f) => f.path)).toEqual(['one.env']);
  });
});

describe('minified and generated files', () => {
  it('report the right columns on one long line with multi-byte text, and honour only a nearby sprawl:allow', async () => {
    const tokens = ['a', 'b', 'c'].map((s) => fakeChecksummedToken('ghp', `minified-${s}`));
    const filler = (n: number) => 'var é="ü";'.repeat(n);
    const line = `${filler(400)}t1="${tokens[0]}";${filler(400)}t2="${tokens[1]}";/*sprawl:allow*/${filler(400)}t3="${tokens[2]}";`;
    const dir = tempTree({ 'dist/app.min.js': line + '\n' });
    const r = await scan({ targets: [dir], now: at('2025-01-01T00:00:00Z') });
    // The marker stands right after the second token; the third is 4 KB further on the same line.
    expect(r.findings.map((f) => [f.line, f.column])).toEqual([
      [1, line.indexOf(tokens[0]!) + 1],
      [1, line.indexOf(tokens[2]!) + 1],
    ]);
  });

  it('report at most 1,000 matches of one file, provider rules first, and count the rest', async () => {
    const lines = Array.from({ length: 1500 }, (_, i) => `svc${i}_api_token = "Zq7vR2mLx${String(i).padStart(4, '0')}Pw4Kd1Hc"`);
    lines.push(`GITHUB_TOKEN=${ghp}`);
    const dir = tempTree({ 'data/tokens.env': lines.join('\n') + '\n' });
    const r = await scan({ targets: [dir], now: at('2025-01-01T00:00:00Z') });
    expect(r.findings).toHaveLength(1000);
    expect(r.findings.some((f) => f.ruleId === 'github.pat-classic')).toBe(true);
    expect(r.scan.stats.skipped['matches-over-limit']).toBe(501);
    expect(r.scan.warnings.some((w) => w.startsWith('data/tokens.env: 1501 matches'))).toBe(true);
  });
});

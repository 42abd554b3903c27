import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { scan } from '../src/scan.js';
import { tempTree } from './helpers/tmp.js';
import { fakeChecksummedToken } from './helpers/tokens.js';

const tok = (seed: string) => fakeChecksummedToken('ghp', seed);

/** Writes a zip with Python's zipfile (deflated): members given as name → content. */
function zip(path: string, members: Record<string, string | Buffer>): void {
  const spec = Object.entries(members).map(([n, c]) => [n, Buffer.from(c).toString('base64')]);
  const code = `import sys,json,zipfile,base64\nz=zipfile.ZipFile(sys.argv[1],'w',zipfile.ZIP_DEFLATED)\nfor n,c in json.load(sys.stdin): z.writestr(n, base64.b64decode(c))\nz.close()`;
  execFileSync('python3', ['-c', code, path], { input: JSON.stringify(spec), maxBuffer: 1 << 28 });
}

describe('archives', () => {
  it('scans zip members at archive!member paths, and nested tar.gz inside zip', async () => {
    const dir = tempTree({ 'src/app.tar/app/.env': `T=${tok('tar')}\n` });
    execFileSync('tar', ['-czf', join(dir, 'inner.tar.gz'), '-C', join(dir, 'src/app.tar'), 'app']);
    const { readFileSync, rmSync } = await import('node:fs');
    const inner = readFileSync(join(dir, 'inner.tar.gz'));
    rmSync(join(dir, 'src'), { recursive: true });
    rmSync(join(dir, 'inner.tar.gz'));
    zip(join(dir, 'bundle.zip'), { 'config/.env': `# cfg\nGH_TOKEN=${tok('zip')}\n`, 'inner.tar.gz': inner, 'logo.png': Buffer.from([0x89, 0x50, 0, 0, 1]) });
    const report = await scan({ targets: [dir] });
    expect(report.findings.map((f) => [f.source, f.path, f.line]).sort()).toEqual([
      ['archive', 'bundle.zip!config/.env', 2],
      ['archive', 'bundle.zip!inner.tar.gz!app/.env', 1],
    ]);
    expect(report.scan.stats.skipped.binary).toBe(1);
  });

  it('skips class files and images in a jar by name, without inflating them', async () => {
    const dir = tempTree({});
    const jar = join(dir, 'lib', 'app.jar');
    mkdirSync(join(dir, 'lib'));
    // Bytes that do not compress past the bomb ratio.
    const noise = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 73 + 11) % 251));
    const classFile = Buffer.concat([Buffer.from([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 0x34]), noise(4000)]);
    zip(jar, { 'com/example/App.class': classFile, 'icon.png': noise(600), 'app.properties': `github.token=${tok('jar')}\n` });
    // Garbage where App.class's deflated bytes stand: a member that were inflated would fail the archive
    // ("unreadable") and take app.properties' finding with it.
    const bytes = readFileSync(jar);
    const at = bytes.indexOf('com/example/App.class') + 'com/example/App.class'.length;
    bytes.fill(0xff, at, at + 16);
    writeFileSync(jar, bytes);
    const report = await scan({ targets: [dir] });
    expect(report.findings.map((f) => f.path)).toEqual(['lib/app.jar!app.properties']);
    expect(report.scan.stats.skipped).toEqual({ binary: 2 });
  });

  it('opens zip formats by their other names (.war) and archives whose name does not say, by their first bytes', async () => {
    const dir = tempTree({ 'pkg/package/.env': `NPM_TOKEN=${tok('npm-cache')}\n` });
    mkdirSync(join(dir, 'deploy'));
    zip(join(dir, 'deploy', 'shop.war'), { 'WEB-INF/classes/application.properties': `github.token=${tok('war')}\n` });
    // npm's content-addressed cache: a gzipped tarball named by its hash; a CI artifact saved without its extension.
    execFileSync('tar', ['-czf', join(dir, 'deploy', '5f1e0c9a'), '-C', join(dir, 'pkg'), 'package']);
    zip(join(dir, 'deploy', 'artifact'), { 'config/ci.env': `T=${tok('artifact')}\n` });
    const { rmSync } = await import('node:fs');
    rmSync(join(dir, 'pkg'), { recursive: true });
    const report = await scan({ targets: [dir] });
    expect(report.findings.map((f) => [f.source, f.path]).sort()).toEqual([
      ['archive', 'deploy/5f1e0c9a!package/.env'],
      ['archive', 'deploy/artifact!config/ci.env'],
      ['archive', 'deploy/shop.war!WEB-INF/classes/application.properties'],
    ]);
    expect(report.scan.stats.skipped).toEqual({});
  });

  it('reads an archive larger than the file limit, holding each member to it', async () => {
    const dir = tempTree({});
    // Printable bytes from a linear congruential generator: they do not compress below the file limit.
    let x = 12345;
    const noise = Buffer.from(Array.from({ length: 3000 }, () => 32 + ((x = (x * 1103515245 + 12345) % 2 ** 31) % 95)));
    zip(join(dir, 'dist.whl'), { 'pkg/data.txt': noise, 'pkg/.env': `T=${tok('big-wheel')}\n` });
    const report = await scan({ targets: [dir], maxFileSize: 1024 });
    expect(report.findings.map((f) => f.path)).toEqual(['dist.whl!pkg/.env']);
    expect(report.scan.stats.skipped).toEqual({ 'too-large': 1 });
    expect(report.scan.warnings.join('\n')).toMatch(/dist\.whl!pkg\/data\.txt: skipped \(too-large/);
  });

  it('scans a .gz file given directly', async () => {
    const dir = tempTree({});
    writeFileSync(join(dir, 'build.log.gz'), gzipSync(`step 3\nexport TOKEN=${tok('gz')}\n`));
    const report = await scan({ targets: [join(dir, 'build.log.gz')] });
    expect(report.findings.map((f) => f.path)).toEqual(['build.log.gz!build.log']);
  });

  it('stops a zip bomb with a warning and a count, and scans the rest', async () => {
    const dir = tempTree({});
    zip(join(dir, 'bomb.zip'), { 'zeros.bin': Buffer.alloc(20 * 1024 * 1024), 'ok/.env': `T=${tok('bomb')}\n` });
    const report = await scan({ targets: [dir] });
    expect(report.scan.stats.skipped['archive-bomb']).toBe(1);
    expect(report.scan.warnings.join('\n')).toMatch(/bomb\.zip!zeros\.bin: skipped \(archive-bomb: compression ratio/);
    expect(report.findings.map((f) => f.path)).toEqual(['bomb.zip!ok/.env']);
  });

  it('ends a tar whose directory entry declares a size with a warning, keeping the members before it', async () => {
    const dir = tempTree({});
    // Like CPython's test/testtar.tar: a directory header with 255 bytes behind it, which readers (GNU tar
    // too) take for the next header. tar-stream's entry callback never ended there: the scan stopped with
    // no report and exit status 0.
    const code = [
      'import sys,tarfile',
      "out=open(sys.argv[1],'wb')",
      'def entry(info, data):',
      '    out.write(info.tobuf(tarfile.USTAR_FORMAT)); out.write(data + bytes(-len(data) % 512))',
      "env=sys.stdin.buffer.read(); f=tarfile.TarInfo('app/.env'); f.size=len(env); entry(f, env)",
      "d=tarfile.TarInfo('dirtype-with-size/'); d.type=tarfile.DIRTYPE; d.size=255; entry(d, b'x'*255)",
      "out.write(bytes(1024)); out.close()",
    ].join('\n');
    execFileSync('python3', ['-c', code, join(dir, 'odd.tar')], { input: `T=${tok('tar-dir-size')}\n` });
    const report = await scan({ targets: [dir] });
    expect(report.findings.map((f) => f.path)).toEqual(['odd.tar!app/.env']);
    expect(report.scan.warnings.join('\n')).toMatch(/odd\.tar: skipped \(unreadable: not a readable tar archive/);
  }, 10_000);

  it('limits nesting depth and reports a corrupt archive', async () => {
    const dir = tempTree({ 'broken.zip': 'PK\x03\x04 this is not really a zip' });
    mkdirSync(join(dir, 'n'));
    zip(join(dir, 'n', 'l3.zip'), { 'deep/.env': `T=${tok('deep')}\n` });
    const { readFileSync } = await import('node:fs');
    zip(join(dir, 'n', 'l2.zip'), { 'l3.zip': readFileSync(join(dir, 'n', 'l3.zip')) });
    zip(join(dir, 'l1.zip'), { 'l2.zip': readFileSync(join(dir, 'n', 'l2.zip')) });
    execFileSync('rm', ['-r', join(dir, 'n')]);
    const shallow = await scan({ targets: [dir], archiveDepth: 2 });
    expect(shallow.findings).toEqual([]);
    expect(shallow.scan.stats.skipped['archive-depth']).toBe(1);
    expect(shallow.scan.warnings.join('\n')).toMatch(/broken\.zip: skipped \(unreadable: not a readable zip archive/);
    const deep = await scan({ targets: [dir] });
    expect(deep.findings.map((f) => f.path)).toEqual(['l1.zip!l2.zip!l3.zip!deep/.env']);
  });
});

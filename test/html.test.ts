import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FORMATS } from '../src/report/index.js';
import { scan } from '../src/scan.js';
import { makeRepo } from './helpers/git.js';
import { fakeChecksummedToken } from './helpers/tokens.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
// .ci/run installs Debian's chromium; on a developer machine without it the browser checks are skipped.
const browser = CHROMIUM || process.env.CI ? it : it.skip;

function chromium(args: string[]): string {
  const profile = mkdtempSync(join(tmpdir(), 'sprawl-chromium-'));
  return execFileSync(
    CHROMIUM ?? 'chromium',
    ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, ...args],
    { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'ignore'] },
  );
}

describe('HTML report', () => {
  const build = async () => {
    const r = makeRepo();
    r.commit('init', { '.github/CODEOWNERS': '* @acme/platform\n' }, '2024-01-01T00:00:00Z');
    r.commit('add', { 'a.env': `T=${fakeChecksummedToken('ghp', 'html-1')}\n`, 'b.env': `T=${fakeChecksummedToken('ghp', 'html-2')}\n` }, '2024-02-01T00:00:00Z');
    r.commit('rm', { 'b.env': null }, '2024-03-01T00:00:00Z');
    const report = await scan({ targets: [r.dir], now: () => new Date('2025-01-01T00:00:00Z') });
    const dir = mkdtempSync(join(tmpdir(), 'sprawl-html-'));
    const file = join(dir, 'report.html');
    writeFileSync(file, FORMATS.html(report, { color: false }));
    return { report, file, dir };
  };

  it('is one self-contained file with no external assets and no raw secret', async () => {
    const { file } = await build();
    const html = readFileSync(file, 'utf8');
    expect(html).not.toMatch(/<(?:script|link|img)[^>]+(?:src|href)=/);
    expect(html).not.toContain(fakeChecksummedToken('ghp', 'html-1'));
  });

  browser('renders its tables in headless Chromium, ordered by risk', async () => {
    const { file, dir } = await build();
    const dom = chromium(['--dump-dom', `file://${file}`]);
    const rows = [...dom.matchAll(/<tr><td class="risk" data-v="(\d+)">/g)].map((m) => Number(m[1]));
    expect(rows).toHaveLength(2);
    expect(rows).toEqual([...rows].sort((a, b) => b - a));
    expect(dom).toContain('removed-not-rotated');
    expect(dom).toContain('@acme/platform');
    const png = join(dir, 'report.png');
    chromium(['--window-size=1200,900', `--screenshot=${png}`, `file://${file}`]);
    const image = readFileSync(png);
    expect(image.subarray(1, 4).toString()).toBe('PNG');
    expect(image.readUInt32BE(16)).toBe(1200);
    // A blank page compresses to a few KB; a rendered report with tables does not.
    expect(image.length).toBeGreaterThan(20_000);
  });
});


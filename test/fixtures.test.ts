import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { scan } from '../src/scan.js';

const ROOT = resolve(__dirname, '../fixtures');
const folders = readdirSync(ROOT, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
const ok = folders.filter((f) => f.startsWith('ok.'));
const ng = folders.filter((f) => f.startsWith('ng.'));

interface Expected {
  findings: Array<{ rule: string; path: string; line?: number }>;
}

describe('fixtures', () => {
  it('has both kinds', () => {
    expect(ok.length).toBeGreaterThan(0);
    expect(ng.length).toBeGreaterThan(0);
  });

  it.each(ok)('%s yields no finding', async (name) => {
    const report = await scan({ targets: [join(ROOT, name)] });
    expect(report.findings.map((f) => `${f.path}:${f.line} ${f.ruleId} ${f.match}`)).toEqual([]);
    expect(report.scan.stats.filesScanned).toBeGreaterThan(0);
  });

  it.each(ng)('%s yields at least the expected findings', async (name) => {
    const expected = parse(readFileSync(join(ROOT, name, 'EXPECTED.yaml'), 'utf8')) as Expected;
    expect(expected.findings.length).toBeGreaterThan(0);
    const report = await scan({ targets: [join(ROOT, name)] });
    const got = report.findings.map((f) => `${f.ruleId} ${f.path}:${f.line}`);
    const missing = expected.findings
      .filter((e) => !report.findings.some((f) => f.ruleId === e.rule && f.path === e.path && (e.line === undefined || f.line === e.line)))
      .map((e) => `${e.rule} ${e.path}:${e.line ?? '*'}`);
    expect(missing, `got: ${got.join(', ')}`).toEqual([]);
  });
});

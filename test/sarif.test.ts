import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sprawl } from './helpers/cli.js';

const MULTITOOL = resolve(__dirname, '../node_modules/.bin/sarif-multitool');

/** Runs Microsoft's validator; returns its error and warning results. */
function validate(sarifPath: string): Array<{ ruleId: string; level?: string; text: string }> {
  const out = join(mkdtempSync(join(tmpdir(), 'sarif-')), 'validation.sarif');
  execFileSync(MULTITOOL, ['validate', sarifPath, '--output', out, '--log', 'ForceOverwrite'], { encoding: 'utf8' });
  const log = JSON.parse(readFileSync(out, 'utf8'));
  const rules = log.runs[0].tool.driver.rules ?? [];
  return (log.runs[0].results ?? []).map((r: { ruleId: string; level?: string; ruleIndex: number; message: { id?: string; arguments?: string[] } }) => ({
    ruleId: r.ruleId,
    level: r.level ?? rules[r.ruleIndex]?.defaultConfiguration?.level ?? 'warning',
    text: `${r.message.id} ${JSON.stringify(r.message.arguments)}`,
  }));
}

describe('SARIF', () => {
  it('the report for the fixtures validates with sarif-multitool: zero errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sprawl-sarif-'));
    const file = join(dir, 'fixtures.sarif');
    const r = sprawl(['scan', resolve(__dirname, '../fixtures'), '--format', 'sarif']);
    expect(r.code).toBe(1);
    writeFileSync(file, r.stdout);
    const problems = validate(file);
    expect(problems.filter((p) => p.level === 'error')).toEqual([]);
    const sarif = JSON.parse(r.stdout);
    const result = sarif.runs[0].results[0];
    expect(result.partialFingerprints['secretId/v1']).toMatch(/^s1:[0-9a-f]{32}$/);
    const rule = sarif.runs[0].tool.driver.rules[result.ruleIndex];
    expect(rule.id).toBe(result.ruleId);
    expect(rule.help.markdown).toMatch(/Revoke/);
  });

  it('a clean scan is valid SARIF too', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sprawl-sarif-'));
    writeFileSync(join(dir, 'a.txt'), 'nothing here\n');
    const file = join(dir, 'clean.sarif');
    expect(sprawl(['scan', join(dir, 'a.txt'), '-o', file]).code).toBe(0);
    expect(validate(file).filter((p) => p.level === 'error')).toEqual([]);
  });
});

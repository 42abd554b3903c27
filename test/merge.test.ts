import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptyConfig } from '../src/config.js';
import type { Report } from '../src/core/types.js';
import { mergeReports, readReportFile } from '../src/org/merge.js';
import { scanOrg } from '../src/org/scan-org.js';
import { parseRepoList, type RepoTarget } from '../src/org/targets.js';
import { FORMATS } from '../src/report/index.js';
import { prepareRules } from '../src/scan.js';
import { sprawl } from './helpers/cli.js';
import { makeOrg, type TestOrg } from './helpers/org.js';

const NOW = () => new Date('2025-01-01T00:00:00Z');
const rules = prepareRules({}, emptyConfig());

/** Writes a report as `-f json` does and reads it back as `sprawl merge` does. */
function viaJson(report: Report, dir: string, name: string): { file: string; report: Report } {
  const file = join(dir, name);
  writeFileSync(file, FORMATS.json(report, { color: false }));
  return { file, report: readReportFile(file) };
}

async function shardsOf(org: TestOrg, split: string[][]): Promise<{ full: Report; shards: Report[]; repos: RepoTarget[] }> {
  const repos = parseRepoList(readFileSync(org.listFile, 'utf8'), org.listFile);
  const options = { cacheDir: org.cache, scan: { now: NOW, rules } };
  const full = await scanOrg({ ...options, repos });
  const shards: Report[] = [];
  for (const names of split) shards.push(await scanOrg({ ...options, repos: repos.filter((r) => names.includes(r.name)) }));
  return { full, shards, repos };
}

describe('merging shard reports', () => {
  it('gives the report an unsharded org scan gives: secrets deduplicated by secretId across shards', async () => {
    const org = makeOrg();
    const { full, shards } = await shardsOf(org, [['api', 'tools'], ['web', 'missing']]);
    const dir = mkdtempSync(join(tmpdir(), 'sprawl-merge-'));
    const inputs = shards.map((s, i) => viaJson(s, dir, `shard-${i}.json`));
    // Neither shard knows the value is shared: each has it in one repository.
    expect(inputs.map((i) => i.report.secrets.find((s) => s.paths.length === 1 && s.status === 'exposed')?.repos)).toEqual([['api'], ['web']]);

    const merged = mergeReports(inputs.map((i) => i.report), { rules: rules.ruleSet.byId });
    expect(merged.secrets).toEqual(full.secrets);
    expect(merged.findings).toEqual(full.findings);
    const shared = merged.secrets.find((s) => s.repos.length > 1)!;
    expect(shared.repos).toEqual(['api', 'web']);
    expect(shared.occurrences).toBe(4);

    const sum = (k: 'bytesScanned' | 'blobsScanned' | 'commitsWalked') => shards.reduce((n, s) => n + s.scan.stats[k], 0);
    expect(merged.scan.stats).toMatchObject({ bytesScanned: sum('bytesScanned'), blobsScanned: sum('blobsScanned'), commitsWalked: sum('commitsWalked') });
    expect(merged.scan.stats.skipped['repository-failed']).toBe(1);
    expect(merged.scan.warnings.some((w) => w.startsWith('missing: could not clone'))).toBe(true);
    expect(new Set(merged.scan.targets)).toEqual(new Set(['api', 'tools', 'web', 'missing']));
    expect(merged.rules.map((r) => r.id)).toEqual(['github.pat-classic']);
  });

  it('never needs the raw values: shard files and the merged report are redacted', async () => {
    const org = makeOrg();
    const { shards } = await shardsOf(org, [['api'], ['web']]);
    const dir = mkdtempSync(join(tmpdir(), 'sprawl-merge-'));
    const files = shards.map((s, i) => viaJson(s, dir, `shard-${i}.json`).file);
    for (const f of files) expect(readFileSync(f, 'utf8')).not.toContain(org.shared);
    const r = sprawl(['merge', ...files, '-f', 'json']);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain(org.shared);
    const merged = JSON.parse(r.stdout);
    expect(merged.secrets).toHaveLength(2);
    expect(merged.secrets.find((s: { repos: string[] }) => s.repos.length === 2).repos).toEqual(['api', 'web']);
  });

  it('merges a report twice into the same secrets, with a warning', async () => {
    const org = makeOrg();
    const { shards } = await shardsOf(org, [['api', 'web']]);
    const dir = mkdtempSync(join(tmpdir(), 'sprawl-merge-'));
    const { file } = viaJson(shards[0]!, dir, 'a.json');
    const once = JSON.parse(sprawl(['merge', file, '-f', 'json']).stdout);
    const twice = sprawl(['merge', file, file, '-f', 'json']);
    expect(JSON.parse(twice.stdout).secrets).toEqual(once.secrets);
    expect(JSON.parse(twice.stdout).scan.warnings).toContain(`api: in both ${file} and ${file}; its findings are counted once, its stats twice`);
  });

  it('keeps the risk and playbook of a rule it was not given', async () => {
    const org = makeOrg();
    const { shards } = await shardsOf(org, [['api'], ['web']]);
    const custom = (r: Report): Report => JSON.parse(JSON.stringify(r).replaceAll('github.pat-classic', 'acme.custom-token'));
    const merged = mergeReports(shards.map(custom), { rules: rules.ruleSet.byId });
    const shared = merged.secrets.find((s) => s.repos.length === 2)!;
    expect(shared.ruleId).toBe('acme.custom-token');
    expect(shared.risk).toBe(Math.max(...shards.flatMap((s) => s.secrets.filter((x) => x.secretId === shared.secretId).map((x) => x.risk!))));
    expect(merged.rules.find((r) => r.id === 'acme.custom-token')).toBeDefined();
    expect(() => JSON.parse(FORMATS.sarif(merged, { color: false }))).not.toThrow();
  });

  it('refuses, with exit 2, a file that is not a sprawl JSON report, naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sprawl-merge-'));
    const good = join(dir, 'good.json');
    writeFileSync(good, sprawl(['scan', dir, '-f', 'json']).stdout);
    const cases: Record<string, string> = {
      'notes.json': '{"hello": "world"}',
      'broken.json': '{"schemaVersion": 1,',
      'report.sarif': sprawl(['scan', dir, '-f', 'sarif']).stdout,
      'future.json': readFileSync(good, 'utf8').replace('"schemaVersion": 1', '"schemaVersion": 2'),
    };
    for (const [name, text] of Object.entries(cases)) {
      const file = join(dir, name);
      writeFileSync(file, text);
      const r = sprawl(['merge', good, file]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(file);
      expect(r.stderr).toMatch(name === 'future.json' ? /schemaVersion 2; this sprawl merges schemaVersion 1/ : /not a sprawl JSON report \(schemaVersion 1\)/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(sprawl(['merge', join(dir, 'shard-*.json')]).stderr).toMatch(/shard-\*\.json: cannot read: ENOENT/);
    expect(sprawl(['merge', good]).code).toBe(0);
  });
});

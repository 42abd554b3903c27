import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(__dirname, '../src');

/** What each layer may import: data flows sources → detect → analyze → report → cli, never back. */
const ALLOWED: Record<string, string[]> = {
  core: ['core'],
  // Parsed CI configurations (jobs, steps, variable blocks), shared by the pipeline rules and the workloads.
  ci: ['core', 'ci'],
  sources: ['core', 'sources'],
  rules: ['core', 'rules', 'detect'],
  detect: ['core', 'detect', 'rules', 'ci'],
  analyze: ['core', 'analyze', 'ci'],
  report: ['core', 'report'],
  // The inventory takes a Report and records it: it knows nothing of how the report was made.
  inventory: ['core', 'inventory'],
  org: ['org', 'core', 'analyze', 'config', 'scan', 'version'],
  cli: ['cli', 'core', 'sources', 'report', 'rules', 'inventory', 'config', 'scan', 'version', 'org'],
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('layering', () => {
  it('no layer imports from a later one', () => {
    const violations: string[] = [];
    for (const file of files(SRC)) {
      const layer = relative(SRC, file).split('/')[0]!;
      const allowed = ALLOWED[layer];
      if (!allowed) continue;
      for (const m of readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
        const target = relative(SRC, resolve(file, '..', m[1]!)).split('/')[0]!.replace(/\.js$/, '');
        if (!allowed.includes(target)) violations.push(`${relative(SRC, file)} imports ${m[1]}`);
      }
    }
    expect(violations).toEqual([]);
  });
});

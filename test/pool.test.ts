import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Chunk } from '../src/core/types.js';
import { detect } from '../src/detect/engine.js';
import { detectInWorkers } from '../src/detect/pool.js';
import { compileRuleSet } from '../src/rules/compile.js';
import { BUILTIN_RULES_DIR, loadRules } from '../src/rules/load.js';
import { fakeChecksummedToken } from './helpers/tokens.js';

const rules = loadRules([BUILTIN_RULES_DIR]).rules;
const { ruleSet } = compileRuleSet(rules);

/** A worker that dies on its first batch, as one killed by the OOM killer or a native crash would. */
function dyingWorker(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'sprawl-pool-')), 'dies.mjs');
  writeFileSync(file, "import { parentPort } from 'node:worker_threads';\nparentPort.on('message', () => process.exit(3));\n");
  return file;
}

async function* chunks(n: number): AsyncIterable<Chunk> {
  for (let i = 0; i < n; i++) {
    const text = `// module ${i}\nexport const token = "${fakeChecksummedToken('ghp', `pool-${i}`)}";\n`.repeat(1 + (i % 3));
    yield { data: Buffer.from(text), provenance: { source: 'git', repo: 'r', path: `src/m${i % 5}.ts`, blobId: `blob${i}` } };
  }
}

describe('detection workers', () => {
  it('matches on this thread what a dead worker held, and says so, instead of failing the scan', async () => {
    const lost: string[] = [];
    const out: Array<{ chunk: Chunk; found: string[] }> = [];
    const fallback = (chunk: Chunk) => detect(chunk.data, ruleSet, { path: chunk.provenance.path });
    for await (const { chunk, matches } of detectInWorkers(chunks(40), { workers: 2, rules, detect: {}, workerFile: dyingWorker(), fallback, onWorkerLost: (m) => lost.push(m) })) {
      out.push({ chunk, found: matches.map((m) => m.secret) });
    }
    expect(out.map((o) => o.chunk.provenance.blobId).sort()).toEqual(Array.from({ length: 40 }, (_, i) => `blob${i}`).sort());
    for (const o of out) expect(o.found).toEqual(fallback(o.chunk).map((m) => m.secret));
    expect(out.every((o) => o.found.length > 0)).toBe(true);
    expect(lost.length).toBeGreaterThan(0);
    expect(lost[0]).toMatch(/detection worker stopped \(exited with code 3\)/);
  });

  it('fails with the worker when there is nothing to fall back to', async () => {
    const run = async (): Promise<void> => {
      for await (const _ of detectInWorkers(chunks(5), { workers: 1, rules, detect: {}, workerFile: dyingWorker() })) void _;
    };
    await expect(run()).rejects.toThrow(/exited with code 3/);
  });
});

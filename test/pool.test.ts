import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Chunk } from '../src/core/types.js';
import { detect } from '../src/detect/engine.js';
import { detectInWorkers } from '../src/detect/pool.js';
import { compileRuleSet } from '../src/rules/compile.js';
import { BUILTIN_RULES_DIR, loadRules } from '../src/rules/load.js';
import { fakeChecksummedToken } from './helpers/tokens.js';

// The compiled worker (`npm test` builds first): running from sources, the pool has none of its own.
const COMPILED_WORKER = resolve(__dirname, '../dist/detect/worker.js');
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

/** Like chunks(), but every chunk is lent from one buffer that is overwritten as soon as the next is asked for. */
async function* lentChunks(n: number): AsyncIterable<Chunk> {
  const lent = Buffer.alloc(3 * 1024 * 1024);
  for (let i = 0; i < n; i++) {
    const text = Buffer.from(textOf(i));
    text.copy(lent);
    yield { data: lent.subarray(0, text.length), provenance: { source: 'git', repo: 'r', path: `src/m${i % 7}.ts`, blobId: `blob${i}` } };
    lent.fill(0x7a, 0, text.length);
  }
}

/** Chunk i's text: mostly small, with a few over a batch buffer's 1 MiB. */
function textOf(i: number): string {
  const body = i % 17 === 5 ? 'const filler = 1;\n'.repeat(80_000) : `// module ${i}\n`;
  return `${body}export const token = "${fakeChecksummedToken('ghp', `lent-${i}`)}";\n`;
}

describe('detection workers', () => {
  it('copies lent chunks on arrival, and hands each result its own bytes', async () => {
    const seen = new Map<string, { same: boolean; found: string[] }>();
    for await (const { chunk, matches } of detectInWorkers(lentChunks(60), { workers: 2, rules, detect: {}, revisions: true, workerFile: COMPILED_WORKER })) {
      const i = Number(chunk.provenance.blobId!.slice(4));
      seen.set(chunk.provenance.blobId!, { same: chunk.data.equals(Buffer.from(textOf(i))), found: matches.map((m) => m.secret) });
    }
    expect(seen.size).toBe(60);
    for (const [id, s] of seen) {
      expect(s.same, id).toBe(true);
      expect(s.found, id).toEqual([fakeChecksummedToken('ghp', `lent-${id.slice(4)}`)]);
    }
  });

  it('matches on this thread what a dead worker held, and says so, instead of failing the scan', async () => {
    const lost: string[] = [];
    const out: Array<{ blobId: string; found: string[]; expected: string[] }> = [];
    const fallback = (chunk: Chunk) => detect(chunk.data, ruleSet, { path: chunk.provenance.path });
    for await (const { chunk, matches } of detectInWorkers(chunks(40), { workers: 2, rules, detect: {}, workerFile: dyingWorker(), fallback, onWorkerLost: (m) => lost.push(m) })) {
      // A result's data is valid until the next result is asked for.
      out.push({ blobId: chunk.provenance.blobId!, found: matches.map((m) => m.secret), expected: fallback(chunk).map((m) => m.secret) });
    }
    expect(out.map((o) => o.blobId).sort()).toEqual(Array.from({ length: 40 }, (_, i) => `blob${i}`).sort());
    for (const o of out) expect(o.found).toEqual(o.expected);
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

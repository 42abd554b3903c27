import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { catFileBatch } from '../src/sources/git/catfile.js';
import { makeRepo } from './helpers/git.js';

/** Git's id of a blob: the SHA-1 of its header and content. A lent view that was overwritten fails it. */
function blobId(data: Buffer): string {
  return createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');
}

/** Text of n bytes, distinct per seed, so that no two blobs share content. */
function text(n: number, seed: number): Buffer {
  const line = Buffer.from(`// line of file ${seed}: ${'x'.repeat(seed % 50)}\n`);
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i += line.length) line.copy(out, i);
  return out;
}

async function* each<T>(items: T[]): AsyncIterable<T> {
  yield* items;
}

describe('cat-file reader', () => {
  it('lends every blob intact, small, spanning many reads, or larger than its buffer, while git keeps writing', async () => {
    const r = makeRepo();
    // Sizes around the reader's buffer (16 MiB) and its pause mark (4 MiB), between runs of small blobs.
    const MiB = 1024 * 1024;
    const sizes = [10, 70_000, 3 * MiB, 5 * MiB, 200, 20 * MiB + 3, 1, 900_000, 9 * MiB, 12 * MiB, 7 * MiB, 11 * MiB + 5, 2 * MiB];
    const files: Record<string, Buffer> = {};
    sizes.forEach((n, i) => (files[`big/${i}.txt`] = text(n, i)));
    for (let i = 0; i < 300; i++) files[`small/${i}.txt`] = text(100 + ((i * 37) % 5000), 1000 + i);
    r.commit('files', files, '2024-01-01T00:00:00Z');
    const oids = r
      .git('ls-tree', '-r', 'HEAD')
      .split('\n')
      .map((l) => l.split(/\s+/)[2]!);
    for (const inPlace of [true, false]) {
      const read: string[] = [];
      let i = 0;
      for await (const obj of catFileBatch(r.dir, each([...oids, '0'.repeat(40)]), { inPlace })) {
        if (obj.kind !== 'blob') {
          read.push(`${obj.oid} ${obj.kind}`);
          continue;
        }
        expect(blobId(obj.data)).toBe(obj.oid);
        // Held across turns of the event loop, while git's output keeps arriving: still intact.
        if (i++ % 2 === 0 || obj.data.length > 1024 * 1024) await new Promise((res) => setTimeout(res, 5));
        expect(blobId(obj.data), `${obj.oid} after a wait`).toBe(obj.oid);
        read.push(obj.oid);
      }
      expect(read).toEqual([...oids, `${'0'.repeat(40)} missing`]);
    }
  }, 60_000);
});

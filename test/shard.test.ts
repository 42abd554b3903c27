import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inShard, parseShard, shardOf } from '../src/org/shard.js';
import { sprawl } from './helpers/cli.js';
import { makeOrg } from './helpers/org.js';

const names = Array.from({ length: 60 }, (_, i) => ({ name: `acme/service-${i}` }));

/** A fixed reordering, so the test is the same on every run. */
function shuffled<T>(xs: T[]): T[] {
  return [...xs].sort((a, b) => createHash('md5').update(JSON.stringify(a)).digest('hex').localeCompare(createHash('md5').update(JSON.stringify(b)).digest('hex')));
}

describe('--shard i/n', () => {
  it('parses 0-based shards and refuses the rest, naming the flag', () => {
    expect(parseShard('0/4')).toEqual({ index: 0, count: 4 });
    expect(parseShard('3/4')).toEqual({ index: 3, count: 4 });
    expect(parseShard(' 0 / 1 ')).toEqual({ index: 0, count: 1 });
    for (const bad of ['4/4', '1', '-1/4', '/4', '0/0', 'a/b', '1/4/2']) expect(() => parseShard(bad)).toThrow(/--shard/);
  });

  it('puts every repository in exactly one shard, for any count', () => {
    for (const count of [1, 2, 3, 4, 7]) {
      const shards = Array.from({ length: count }, (_, index) => inShard(names, { index, count }).map((r) => r.name));
      const all = shards.flat();
      expect(all).toHaveLength(names.length);
      expect(new Set(all).size).toBe(names.length);
      if (count > 1) expect(shards.every((s) => s.length > 0)).toBe(true);
    }
  });

  it('depends on the name only: the same partition whatever the order of the list', () => {
    const order = shuffled(names);
    expect(order).not.toEqual(names);
    for (let index = 0; index < 4; index++) {
      const a = inShard(names, { index, count: 4 }).map((r) => r.name).sort();
      const b = inShard(order, { index, count: 4 }).map((r) => r.name).sort();
      expect(b).toEqual(a);
    }
  });

  it('is the first four bytes of sha256(name), big-endian, modulo n', () => {
    for (const { name } of names.slice(0, 10)) {
      expect(shardOf(name, 5)).toBe(createHash('sha256').update(name).digest().readUInt32BE(0) % 5);
    }
  });

  it('splits an org scan: the shards together cover the list once', () => {
    const org = makeOrg();
    const dir = mkdtempSync(join(tmpdir(), 'sprawl-shards-'));
    const targets: string[][] = [];
    for (const i of [0, 1]) {
      const out = join(dir, `shard-${i}.json`);
      const r = sprawl(['org', '--repos', org.listFile, '--cache', org.cache, '--shard', `${i}/2`, '-o', out]);
      expect([0, 1, 2]).toContain(r.code);
      expect(r.stderr).toMatch(new RegExp(`shard ${i}/2: \\d of 4 repositories`));
      targets.push(JSON.parse(readFileSync(out, 'utf8')).scan.targets);
    }
    expect(targets.flat().sort()).toEqual(['api', 'missing', 'tools', 'web']);
  });
});

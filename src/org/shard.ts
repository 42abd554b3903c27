import { createHash } from 'node:crypto';
import { ConfigError } from '../config.js';

/** One part of a split org scan: shard `index` of `count`, counted from 0. */
export interface Shard {
  /** From 0 to count - 1: a Kubernetes Indexed Job's `JOB_COMPLETION_INDEX`, or a matrix value. */
  index: number;
  count: number;
}

/**
 * Parses `--shard i/n`, 0-based: `--shard 0/4` … `--shard 3/4`, so that `--shard $JOB_COMPLETION_INDEX/4`
 * works as it is. An index out of range is refused rather than wrapped: a mistyped matrix would otherwise
 * scan one shard twice and another never.
 */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new ConfigError(`--shard: expected i/n with i counted from 0 (e.g. 0/4), got '${text}'`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1) throw new ConfigError(`--shard: the shard count must be at least 1, got '${text}'`);
  if (index >= count) throw new ConfigError(`--shard: the index counts from 0 and must be below ${count}, got '${text}'`);
  return { index, count };
}

/**
 * The shard a repository belongs to: the first 4 bytes of sha256(name), big-endian, modulo the count.
 * It depends on the name alone, so every shard of a run agrees on it whatever order it listed the
 * repositories in, and a repository keeps its shard from one run to the next while the count stays.
 */
export function shardOf(name: string, count: number): number {
  return createHash('sha256').update(name, 'utf8').digest().readUInt32BE(0) % count;
}

/** The repositories of one shard, in the order given. */
export function inShard<T extends { name: string }>(repos: T[], shard: Shard): T[] {
  return repos.filter((r) => shardOf(r.name, shard.count) === shard.index);
}

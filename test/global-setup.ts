import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Every temp folder the tests make (repositories, trees, inventories, and whatever the CLI under test writes
 * to the temp dir) goes under one folder per run, removed at the end: a run made ~500 folders and left them
 * all, 18,000 on a machine that ran the suite for a few days. The test workers are forked after this runs,
 * so they and the processes they spawn inherit TMPDIR.
 */
export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'sprawl-tests-'));
  process.env.TMPDIR = root;
  return () => rmSync(root, { recursive: true, force: true });
}

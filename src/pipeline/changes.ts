import { resolve } from 'node:path';
import { ConfigError } from '../config.js';
import { changeChunks, commitChanges, resolveRange, resolveSince, stagedBase, stagedChanges, type Change } from '../sources/git/changes.js';
import { git, topLevel } from '../sources/git/repo.js';
import type { ScanRun } from './run.js';

/** Only secrets a change adds count: a value the replaced blob already held is not new. */
async function scanChanges(run: ScanRun, repo: string, changes: AsyncIterable<Change> | Change[]): Promise<void> {
  for await (const { chunk: raw, old } of changeChunks(repo, changes, run.ctx, run.maxFileSize)) {
    if (!raw) continue;
    const { chunk, matches, ci } = run.inspect(raw);
    const before = old ? new Set(run.inspect({ data: old, provenance: raw.provenance }, false).matches.map((m) => m.secret)) : null;
    run.keep(chunk, matches.filter((m) => !before?.has(m.secret)), undefined, ci);
  }
}

/** `--staged`, `--range` or `--since` on the repository holding `target`. */
export async function scanIncremental(run: ScanRun, target: string): Promise<void> {
  const { options, ctx } = run;
  const base = target === '-' ? null : options.staged ? await stagedBase(resolve(target)) : await topLevel(resolve(target)).then((r) => (r ? { repo: r, hasHead: true } : null));
  if (!base) throw new ConfigError(`${target}: --staged, --range and --since need a git repository`);
  const { repo } = base;
  try {
    if (options.staged) {
      const changes = await stagedChanges(repo, base.hasHead);
      if (changes.length === 0) ctx.warn(`${repo}: nothing is staged; nothing to scan`);
      await scanChanges(run, repo, changes);
      return;
    }
    const revs = options.range ? await resolveRange(repo, options.range, ctx) : await resolveSince(repo, options.since!);
    const count = Number((await git(repo, ['rev-list', '--count', ...revs])).trim());
    run.commitsWalked += count;
    if (count === 0) ctx.warn(`${options.range ? `range ${options.range}` : `--since ${options.since}`}: no commits selected; nothing to scan`);
    await scanChanges(run, repo, commitChanges(repo, revs, ctx));
  } catch (e) {
    throw e instanceof ConfigError ? e : new ConfigError((e as Error).message);
  }
}

import { resolve } from 'node:path';
import { ConfigError } from '../config.js';
import { changeChunks, commitChanges, resolveRange, resolveSince, stagedListing, type Change } from '../sources/git/changes.js';
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

/** Starts listing what is staged in the repository holding `target`; see `scanIncremental`. */
export function listStaged(target: string): Promise<{ repo: string; changes: Change[] } | null> {
  return target === '-' ? Promise.resolve(null) : stagedListing(resolve(target));
}

/**
 * `--staged`, `--range` or `--since` on the repository holding `target`. For `--staged`, `staged` is the
 * listing started by `listStaged` before the rules were compiled, so that git and the compiler overlap.
 */
export async function scanIncremental(run: ScanRun, target: string, staged?: Promise<{ repo: string; changes: Change[] } | null>): Promise<void> {
  const { options, ctx } = run;
  try {
    if (options.staged) {
      const listing = await (staged ?? listStaged(target));
      if (!listing) throw new ConfigError(`${target}: --staged needs a git repository`);
      if (listing.changes.length === 0) ctx.warn(`${listing.repo}: nothing is staged; nothing to scan`);
      await scanChanges(run, listing.repo, listing.changes);
      return;
    }
    const repo = target === '-' ? null : await topLevel(resolve(target));
    if (!repo) throw new ConfigError(`${target}: --range and --since need a git repository`);
    const revs = options.range ? await resolveRange(repo, options.range, ctx) : await resolveSince(repo, options.since!);
    const count = Number((await git(repo, ['rev-list', '--count', ...revs])).trim());
    run.commitsWalked += count;
    if (count === 0) ctx.warn(`${options.range ? `range ${options.range}` : `--since ${options.since}`}: no commits selected; nothing to scan`);
    await scanChanges(run, repo, commitChanges(repo, revs, ctx));
  } catch (e) {
    throw e instanceof ConfigError ? e : new ConfigError((e as Error).message);
  }
}

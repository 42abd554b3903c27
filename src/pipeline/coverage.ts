import { realpathSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { topLevel } from '../sources/git/repo.js';
import type { ScanOptions } from '../scan.js';

/** What a scan looked at in full, named as its findings name repositories: what an inventory may resolve. */
export interface ScanCoverage {
  /**
   * Repositories scanned whole: targets that are a repository's top level (working tree, and history
   * unless `history: false`), by the basename of the top level, as findings' `repo` names them. A target
   * inside a repository (a subfolder, a file) covers nothing: the rest of the repository was not looked at.
   * `--staged`, `--range` and `--since` cover nothing either. With `unscoped`, when it is not null.
   */
  repos: string[];
  /**
   * The name for findings outside any repository (folders and files outside git, standard input):
   * `dir:NAME` per such target (`stdin` for `-`), joined with `+`, so that only a scan of the same
   * targets can resolve what they held. Null when every target is in a repository.
   */
  unscoped: string | null;
}

function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}

/** The coverage of a scan with these options; see ScanCoverage. */
export async function scanCoverage(options: Pick<ScanOptions, 'targets' | 'staged' | 'range' | 'since'>): Promise<ScanCoverage> {
  if (options.staged || options.range || options.since) return { repos: [], unscoped: null };
  const repos = new Set<string>();
  const outside = new Set<string>();
  for (const target of options.targets) {
    if (target === '-') {
      outside.add('stdin');
      continue;
    }
    const abs = resolve(target);
    const top = await topLevel(abs);
    if (!top) outside.add(`dir:${basename(abs)}`);
    else if (real(top) === real(abs)) {
      // History findings name the repository by the target's basename, working-tree ones by git's top
      // level: the same unless the target is a symlink. Both are this repository.
      repos.add(basename(top));
      repos.add(basename(abs));
    }
  }
  const unscoped = outside.size > 0 ? [...outside].sort().join('+') : null;
  if (unscoped) repos.add(unscoped);
  return { repos: [...repos].sort(), unscoped };
}

import { realpath } from 'node:fs/promises';
import { gitMaybe } from './repo.js';

/**
 * The blobs of a commit's tree: path → blob id (`git ls-tree -r -z`). A bare repository (an org scan's
 * mirror) has no working tree: its HEAD's tree stands in for one. An unborn HEAD (an empty repository)
 * has no tree: the map is empty. Submodules (commit entries) are left out, as for a working tree.
 */
export async function treeBlobs(repo: string, rev = 'HEAD'): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const listing = await gitMaybe(repo, ['ls-tree', '-r', '-z', '--full-tree', rev]);
  for (const entry of (listing ?? '').split('\0')) {
    const tab = entry.indexOf('\t');
    if (tab < 0) continue;
    const [, type, oid] = entry.slice(0, tab).split(' ');
    if (type === 'blob') out.set(entry.slice(tab + 1), oid!);
  }
  return out;
}

/** True when `dir` is itself a bare repository's folder (not a folder inside one, not a work tree). */
export async function isBareRepository(dir: string): Promise<boolean> {
  const answer = (await gitMaybe(dir, ['rev-parse', '--is-bare-repository', '--absolute-git-dir']))?.trim().split('\n');
  if (answer?.[0] !== 'true' || answer[1] === undefined) return false;
  return (await realpath(answer[1]).catch(() => answer[1])) === (await realpath(dir).catch(() => dir));
}

/** A file's content at a revision (`git show REV:path`), or null when it is not there. */
export async function fileAt(repo: string, path: string, rev = 'HEAD'): Promise<string | null> {
  return gitMaybe(repo, ['show', `${rev}:${path}`]);
}

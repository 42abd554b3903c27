import { git } from './repo.js';

/**
 * Tracked files whose working-tree content is the blob the index records (git's own stat check says
 * they are unmodified): path → blob id. A history scan has read those blobs already, so the working-tree
 * pass attaches their findings to the path instead of reading the file again.
 */
export async function unmodifiedTracked(repo: string): Promise<Map<string, string>> {
  const staged = await git(repo, ['ls-files', '-s', '-z']);
  const modified = new Set((await git(repo, ['ls-files', '-m', '-z'])).split('\0').filter(Boolean));
  const out = new Map<string, string>();
  for (const entry of staged.split('\0')) {
    const tab = entry.indexOf('\t');
    if (tab < 0) continue;
    const [mode, oid, stage] = entry.slice(0, tab).split(' ');
    const path = entry.slice(tab + 1);
    // Submodules (160000) and conflicted entries (stage > 0) are read from disk as usual.
    if (mode === '160000' || stage !== '0' || modified.has(path)) continue;
    out.set(path, oid!);
  }
  return out;
}

import { gitLines, LOG_FORMAT, parseLogHeader, type CommitInfo } from './repo.js';

/** A commit whose diff adds a blob at a path (or removes it). */
export interface BlobEvent {
  commit: string;
  /** ISO-8601 author date. */
  date: string;
  author: string;
  authorEmail: string;
  path: string;
}

export interface BlobHistory {
  /** Commits whose diff adds the blob at a path, newest first as git log prints them. */
  introduced: BlobEvent[];
  /** Commits whose diff removes the blob from a path (deletes the file or changes it to another value). */
  removed: BlobEvent[];
}

/**
 * Where the given blobs entered and left history, in one streaming pass of `git log --raw` over the refs.
 * One pass costs the same for one blob or a thousand, against a walk per blob with `--find-object`;
 * and it is run only when a scan has findings in history blobs, which is rare.
 * Merge commits are not diffed (git log's default), so a blob first written in a merge resolution is
 * attributed to no commit; its finding keeps the path it was listed under.
 */
export async function blobHistories(repo: string, oids: Set<string>, refs: string[] = ['--all']): Promise<{ histories: Map<string, BlobHistory>; commits: number; error?: string }> {
  const histories = new Map<string, BlobHistory>();
  const get = (oid: string): BlobHistory => {
    let h = histories.get(oid);
    if (!h) histories.set(oid, (h = { introduced: [], removed: [] }));
    return h;
  };
  const { lines, done } = gitLines(repo, ['log', ...refs, '--raw', '--no-abbrev', '--no-renames', '-z', LOG_FORMAT]);
  let commits = 0;
  let current: CommitInfo | null = null;
  // With -z, raw entries are NUL-separated: ":modes oids status\0path\0"; readline splits on \n only,
  // and the commit header starts with \x01 after a newline.
  for await (const line of lines) {
    const fields = line.split('\0');
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      const header = parseLogHeader(f);
      if (header) {
        current = header;
        commits++;
        continue;
      }
      if (!f.startsWith(':') || !current) continue;
      const parts = f.slice(1).split(' ');
      const oldOid = parts[2]!;
      const newOid = parts[3]!;
      const status = parts[4]!;
      const path = fields[++i] ?? '';
      if (status !== 'D' && oids.has(newOid)) get(newOid).introduced.push({ ...current, path });
      if (status !== 'A' && oids.has(oldOid) && oldOid !== newOid) get(oldOid).removed.push({ ...current, path });
    }
  }
  const { code, stderr } = await done;
  return { histories, commits, ...(code !== 0 ? { error: stderr || `git log exited ${code}` } : {}) };
}

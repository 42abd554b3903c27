import { spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, openSync, closeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { LOG_FORMAT, parseLogHeader, type CommitInfo } from './repo.js';

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

/** `git log --raw` of the refs, running into a temporary file while the caller does other work. */
export interface SpooledLog {
  /** Where the given blobs entered and left history, read from the spooled log; removes the file. */
  histories(oids: Set<string>): Promise<{ histories: Map<string, BlobHistory>; commits: number; error?: string }>;
  /** Stops git and removes the file, when the log is not needed. */
  discard(): void;
}

/**
 * Starts the one pass of `git log --raw` that says where blobs entered and left history, writing to a
 * temporary file, so that it runs beside the history scan (from its first finding on) rather than after
 * it: its cost grows with the number of commits (0.28 s for 3,000 generated commits, far more on a large
 * repository) and git writes to a file without this process's help. Which blobs matter is known only once the scan is done;
 * one pass costs the same for one blob or a thousand, against a walk per blob with `--find-object`.
 * Merge commits are not diffed (git log's default), so a blob first written in a merge resolution is
 * attributed to no commit; its finding keeps the path it was listed under.
 */
export function spoolBlobLog(repo: string, refs: string[] = ['--all']): SpooledLog {
  const dir = mkdtempSync(join(tmpdir(), 'sprawl-log-'));
  const file = join(dir, 'raw.log');
  const fd = openSync(file, 'w');
  const proc = spawn('git', ['-C', repo, 'log', ...refs, '--raw', '--no-abbrev', '--no-renames', '-z', LOG_FORMAT], { stdio: ['ignore', fd, 'pipe'] });
  closeSync(fd);
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 4096) stderr += d.toString('utf8');
  });
  const done = new Promise<{ code: number; stderr: string }>((resolve) => {
    proc.on('close', (code) => resolve({ code: code ?? -1, stderr: stderr.trim() }));
    proc.on('error', (e) => resolve({ code: -1, stderr: e.message }));
  });
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  return {
    async histories(oids) {
      const { code, stderr: err } = await done;
      try {
        const parsed = await parseRawLog(createInterface({ input: createReadStream(file), crlfDelay: Infinity }), oids);
        return { ...parsed, ...(code !== 0 ? { error: err || `git log exited ${code}` } : {}) };
      } finally {
        remove();
      }
    },
    discard() {
      proc.kill();
      void done.then(remove);
    },
  };
}

async function parseRawLog(lines: AsyncIterable<string>, oids: Set<string>): Promise<{ histories: Map<string, BlobHistory>; commits: number }> {
  const histories = new Map<string, BlobHistory>();
  const get = (oid: string): BlobHistory => {
    let h = histories.get(oid);
    if (!h) histories.set(oid, (h = { introduced: [], removed: [] }));
    return h;
  };
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
  return { histories, commits };
}

import { execFile } from 'node:child_process';
import { basename } from 'node:path';
import type { Chunk } from '../../core/types.js';
import type { SourceContext } from '../context.js';
import { catFileBatch } from './catfile.js';
import { asText } from '../encoding.js';
import { git, gitLines, gitMaybe, isZeroOid, LOG_FORMAT, parseLogHeader, type CommitInfo } from './repo.js';

/** A blob that a commit (or the index) writes at a path, with the blob it replaced there, if any. */
export interface Change {
  path: string;
  newOid: string;
  oldOid: string | null;
  commit: CommitInfo | null;
}

const ZERO = /^0+$/;

/** Parses `--raw -z` entries (":oldmode newmode old new status\0path\0") into changes that write a blob. */
function parseRaw(fields: string[], i: number, commit: Change['commit'], out: Change[]): number {
  const parts = fields[i]!.slice(1).split(' ');
  const [, newMode, oldOid, newOid, status = ''] = parts;
  // Renames and copies (detected, so that a moved file is not a new secret) name two paths: old, new.
  const twoPaths = status.startsWith('R') || status.startsWith('C');
  const path = fields[i + (twoPaths ? 2 : 1)] ?? '';
  if (status !== 'D' && newMode !== '160000' && newOid && !ZERO.test(newOid)) {
    out.push({ path, newOid, oldOid: oldOid && !ZERO.test(oldOid) ? oldOid : null, commit });
  }
  return i + (twoPaths ? 2 : 1);
}

const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

/**
 * What `git commit` would record now: the index against HEAD (or against nothing, before the first
 * commit), and the repository's top level. Both git calls start at once, before the caller's rule
 * compilation rather than after it: the diff against HEAD is the right one unless there is no commit yet.
 */
export async function stagedChanges(dir: string): Promise<{ repo: string; changes: Change[] } | null> {
  const args = ['diff-index', '--cached', '--raw', '-z', '--no-abbrev', '-M'];
  const [base, againstHead] = await Promise.all([stagedBase(dir), gitMaybe(dir, [...args, 'HEAD'])]);
  if (!base) return null;
  // Before the first commit, or if the early diff failed, ask again where a failure says why.
  const raw = base.hasHead && againstHead !== null ? againstHead : await git(base.repo, [...args, base.hasHead ? 'HEAD' : EMPTY_TREE]);
  const fields = raw.split('\0');
  const changes: Change[] = [];
  for (let i = 0; i < fields.length; i++) if (fields[i]!.startsWith(':')) i = parseRaw(fields, i, null, changes);
  return { repo: base.repo, changes };
}

type StagedListing = { repo: string; changes: Change[] } | null;
const early = new Map<string, Promise<StagedListing>>();

/**
 * Starts listing what is staged in `dir` before the rest of the program has loaded: the CLI's launcher
 * calls it first thing, so git's ~25 ms run while Node compiles the scanner instead of after.
 */
export function startStagedListing(dir: string): void {
  const listing = stagedChanges(dir);
  listing.catch(() => undefined);
  early.set(dir, listing);
}

/**
 * The listing `startStagedListing` began for `dir`, handed over once (a later call lists afresh, since
 * the index may have changed since), else a new one.
 */
export function stagedListing(dir: string): Promise<StagedListing> {
  const started = early.get(dir);
  early.delete(dir);
  return started ?? stagedChanges(dir);
}

/**
 * The top level of the repository holding `dir`, and whether it has a commit yet, in one git call: a
 * pre-commit hook pays ~10 ms for each git process it starts. Null outside a repository.
 */
async function stagedBase(dir: string): Promise<{ repo: string; hasHead: boolean } | null> {
  // rev-parse prints the top level even when HEAD does not verify (exit 1 on a first commit).
  const stdout = await new Promise<string>((done) =>
    execFile('git', ['-C', dir, 'rev-parse', '--show-toplevel', '--verify', '-q', 'HEAD'], { encoding: 'utf8' }, (_e, out) => done(out ?? '')),
  );
  const [top, head] = stdout.split('\n').map((l) => l.trim());
  return top ? { repo: top, hasHead: /^[0-9a-f]{40,64}$/.test(head ?? '') } : null;
}

/** The changes the commits selected by `revs` (git rev-list syntax) introduce, streamed, newest first. */
export async function* commitChanges(repo: string, revs: string[], ctx: SourceContext): AsyncIterable<Change> {
  const { lines, done } = gitLines(repo, ['log', ...revs, '--raw', '-z', '--no-abbrev', '-M', LOG_FORMAT]);
  let commit: Change['commit'] = null;
  for await (const line of lines) {
    const fields = line.split('\0');
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      const header = parseLogHeader(f);
      if (header) commit = header;
      else if (f.startsWith(':') && commit) {
        const out: Change[] = [];
        i = parseRaw(fields, i, commit, out);
        yield* out;
      }
    }
  }
  const { code, stderr } = await done;
  if (code !== 0) ctx.warn(`${repo}: git log ${revs.join(' ')} failed: ${stderr || `exit ${code}`}`);
}

/**
 * Turns `--range A..B` into rev-list arguments, doing the sensible thing for the two cases CI produces:
 * A = B (a re-run, or a push of nothing new) scans B's own changes; an all-zero A (a new branch) scans
 * the commits on B that no remote branch has. Either way the report says what was scanned.
 */
export async function resolveRange(repo: string, range: string, ctx: SourceContext): Promise<string[]> {
  const m = /^(.*?)\.\.\.?(.*)$/.exec(range);
  if (!m) return [range];
  const from = m[1] || 'HEAD';
  const to = m[2] || 'HEAD';
  if (isZeroOid(from)) {
    const remotes = (await gitMaybe(repo, ['for-each-ref', '--format=%(refname)', 'refs/remotes']))?.trim();
    if (remotes) {
      ctx.warn(`range ${range}: the base is all zeros (a new branch); scanning the commits on ${to} that no remote branch has`);
      return [to, '--not', '--remotes'];
    }
    ctx.warn(`range ${range}: the base is all zeros (a new branch) and there are no remote branches; scanning all of ${to}'s history`);
    return [to];
  }
  const a = (await gitMaybe(repo, ['rev-parse', '--verify', '-q', `${from}^{commit}`]))?.trim();
  const b = (await gitMaybe(repo, ['rev-parse', '--verify', '-q', `${to}^{commit}`]))?.trim();
  if (!a) throw new Error(`range ${range}: '${from}' is not a commit in ${repo} (a shallow clone may lack it: fetch more history)`);
  if (!b) throw new Error(`range ${range}: '${to}' is not a commit in ${repo}`);
  if (a === b) {
    ctx.warn(`range ${range}: both ends are the same commit ${a.slice(0, 12)}; scanning that commit's own changes instead of nothing`);
    return [b, '-1', '--root'];
  }
  return [`${a}..${b}`];
}

/** `--since DATE` or `--since REV`: commits on any ref after that date, or not reachable from that rev. */
export async function resolveSince(repo: string, since: string): Promise<string[]> {
  if (/^\d{4}-\d{2}-\d{2}/.test(since) || /\bago\b|yesterday|week|month|year/.test(since)) return ['--all', `--since=${since}`];
  const rev = (await gitMaybe(repo, ['rev-parse', '--verify', '-q', `${since}^{commit}`]))?.trim();
  if (!rev) throw new Error(`--since ${since}: neither a date (YYYY-MM-DD) nor a commit in ${repo}`);
  return ['--all', '--not', rev];
}

/**
 * Chunks for changed blobs, each with the content of the blob it replaced (null for a new file): a secret
 * only counts as introduced by a change when the replaced blob did not already hold the same value.
 */
export async function* changeChunks(repo: string, changes: AsyncIterable<Change> | Change[], ctx: SourceContext, maxSize: number): AsyncIterable<{ change: Change; chunk: Chunk | null; old: Buffer | null }> {
  const queue: Change[] = [];
  const oids = (async function* () {
    for await (const c of changes) {
      queue.push(c);
      yield c.newOid;
      if (c.oldOid) yield c.oldOid;
    }
  })();
  const repoName = basename(repo);
  let current: { change: Change; data: Buffer | null } | null = null;
  for await (const obj of catFileBatch(repo, oids)) {
    // cat-file lends a blob until the next one is read; a change holds two, and its chunk outlives both.
    const data = obj.kind === 'blob' ? Buffer.from(obj.data) : null;
    if (!current) {
      const change = queue.shift()!;
      if (obj.kind !== 'blob') ctx.skip(obj.kind === 'missing' ? 'missing-object' : 'corrupt-object', `${change.path} @ ${obj.oid.slice(0, 12)}`);
      current = { change, data };
      if (change.oldOid) continue;
    }
    const { change } = current;
    const old = change.oldOid && data ? asText(data) : null;
    const raw = current.data;
    current = null;
    if (!raw) continue;
    if (raw.length > maxSize) {
      ctx.skip('too-large', change.path, `${raw.length} bytes > limit ${maxSize}`);
      continue;
    }
    const blob = asText(raw);
    if (!blob) {
      ctx.skip('binary', change.path);
      continue;
    }
    ctx.scannedBlob(blob.length);
    const c = change.commit;
    yield {
      change,
      old,
      chunk: {
        data: blob,
        provenance: { source: 'git', repo: repoName, path: change.path, blobId: change.newOid, ...(c ? { commit: c.commit, date: c.date, author: `${c.author} <${c.authorEmail}>` } : {}) },
      },
    };
  }
}

import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { basename } from 'node:path';
import { isBinaryFormat } from '../../core/paths.js';
import type { Chunk } from '../../core/types.js';
import type { SourceContext } from '../context.js';
import { isCiLog, committedLog } from '../logs/chunk.js';
import { catFileBatch } from './catfile.js';
import { asText } from '../encoding.js';
import { archiveChunks, archiveKind, archiveMagic, archiveReadLimit, type ArchiveLimits } from '../archive.js';
import { gitAtLeast, isShallow } from './repo.js';

/** Bytes of blobs handed on between two turns of the event loop (a small blob counts 4 KiB). */
const TURN_BYTES = 256 * 1024;

/** Options of the history source. */
export interface HistoryOptions {
  /** Refs to walk. Default: every ref (`--all`: branches, tags, remotes, stash). */
  refs?: string[];
  /** Blobs over this many bytes are skipped with a warning. */
  maxFileSize: number;
  /** Receives every blob id that was read and handed to the engine. */
  scanned?: Set<string>;
  /** The repository's name in findings. Default: the folder's name. */
  repoName?: string;
  /** Incremented by the size of every blob listed to be read. The listing runs ahead of reading, so this
   * tells early how large the history is. */
  listed?: { bytes: number };
  /** Limits for opening archive blobs (a committed .jar, a deleted `backup.zip`); absent: they are binary. */
  archives?: Omit<ArchiveLimits, 'maxMemberBytes'>;
}

/** A blob to read, with the first path it was seen at. */
interface BlobRef {
  oid: string;
  path: string;
}

/**
 * Every blob reachable from the refs, each exactly once, keyed by object id: `git rev-list --objects`
 * piped into `cat-file --batch-check` to learn types and sizes, then `cat-file --batch` for the content,
 * all three streaming, so listing and reading overlap and the history is never held in memory.
 * Provenance (which commits introduced a blob) is resolved later, for the few blobs with findings.
 *
 * A chunk's data is lent, as cat-file's reader lends it: valid until the next chunk is asked for. A
 * consumer that keeps chunks (the worker pool) copies them.
 */
export function historyChunks(repo: string, ctx: SourceContext, options: HistoryOptions): AsyncIterable<Chunk> {
  // git starts now, not when the first chunk is asked for: the listing is the start of every history scan's
  // critical path, and the caller has other git questions to ask meanwhile.
  const listing = startListing(repo, options.refs);
  const shallow = isShallow(repo);
  return readHistory(repo, ctx, options, listing, shallow);
}

async function* readHistory(repo: string, ctx: SourceContext, options: HistoryOptions, listing: Listing, shallow: Promise<boolean>): AsyncIterable<Chunk> {
  if (await shallow) ctx.warn(`${repo}: shallow clone: history before the shallow boundary is not scanned`);
  const blobs = listBlobs(listing, repo, ctx, options);
  const paths = new Map<string, string>();
  const oids = (async function* () {
    for await (const b of blobs) {
      paths.set(b.oid, b.path);
      yield b.oid;
    }
  })();
  const repoName = options.repoName ?? basename(repo);
  let sinceTurn = 0;
  for await (const obj of catFileBatch(repo, oids, { inPlace: true })) {
    const path = paths.get(obj.oid) ?? obj.oid;
    paths.delete(obj.oid);
    if (obj.kind === 'missing') {
      ctx.skip('missing-object', `${obj.oid} (${path})`, 'not in the object store: partial clone or corrupt repository');
      continue;
    }
    if (obj.kind === 'error') {
      ctx.skip('corrupt-object', `${obj.oid} (${path})`, obj.message);
      continue;
    }
    if (options.archives && (archiveKind(path) ?? archiveMagic(obj.data))) {
      // Its members are matched, at `path!member` with the archive's blob id, so that an archive deleted from
      // the tree is found in history like any file; the work tree's copy is placed from here. Members are
      // read before the next object is asked for: the lent bytes stay valid meanwhile.
      options.scanned?.add(obj.oid);
      const limits = { ...options.archives, maxMemberBytes: options.maxFileSize };
      yield* archiveChunks(obj.data, path, { repo: repoName, blobId: obj.oid }, ctx, limits);
      continue;
    }
    const text = asText(obj.data);
    if (!text) {
      ctx.skip('binary', `${path} @ ${obj.oid.slice(0, 12)}`);
      continue;
    }
    ctx.scannedBlob(obj.data.length);
    options.scanned?.add(obj.oid);
    const chunk: Chunk = { data: text, provenance: { source: 'git', repo: repoName, path, blobId: obj.oid } };
    yield isCiLog(path, text, false) ? committedLog(chunk, ctx) : chunk;
    // Let the event loop read git's pipe now and then. Buffered objects otherwise resolve as microtasks
    // without ever reaching the poll phase, the pipe stays full, and git waits on every blob the engine
    // matches: reading and matching ran one after the other (2.1x cat-file's time). Not after every blob:
    // a turn of the loop per blob cost more than reading small blobs.
    sinceTurn += obj.data.length + 4096;
    if (sinceTurn >= TURN_BYTES) {
      sinceTurn = 0;
      await new Promise<void>((r) => setImmediate(r));
    }
  }
}

/** rev-list piped into batch-check, running. */
interface Listing {
  check: ChildProcessByStdio<null, Readable, Readable>;
  revDone: Promise<{ code: number; stderr: string }>;
}

function startListing(repo: string, given?: string[]): Listing {
  const refs = given && given.length > 0 ? given : ['--all'];
  // --in-commit-order prints each commit's new trees and blobs right after it: without it rev-list walks
  // every commit before printing an object (0.39 s on a 20,698-commit history before cat-file could start).
  // Only blobs are wanted: the filter (git 2.32+) leaves commits and trees out of the listing. On a
  // 20,698-commit history rev-list printed 82,792 lines instead of 20,699 and took 1.76 s instead of 0.84.
  const blobsOnly = gitAtLeast(2, 32) ? ['--filter=object:type=blob'] : [];
  const revList = spawn('git', ['-C', repo, 'rev-list', '--objects', '--in-commit-order', '--missing=print', ...blobsOnly, ...refs], { stdio: ['ignore', 'pipe', 'pipe'] });
  // rev-list's output goes straight into batch-check, not through this process: every blob of the history
  // (and, before git 2.32, every commit and tree) is a line of it, and this thread reads git.
  // rev-list prints missing objects as `?<oid>`; cat-file answers those `?<oid> missing`.
  const check = spawn('git', ['-C', repo, 'cat-file', '--batch-check=%(objectname) %(objecttype) %(objectsize) %(rest)'], { stdio: [revList.stdout, 'pipe', 'pipe'] });
  revList.stdout.destroy();
  let revErr = '';
  revList.stderr.on('data', (d: Buffer) => (revErr += d.toString('utf8')));
  check.stderr.resume();
  // Read later, so marked as read now: when a process exits, Node drains the output streams nobody listens
  // to (a small history's whole listing was lost before the scan began reading it).
  check.stdout.on('readable', () => undefined);
  const revDone = new Promise<{ code: number; stderr: string }>((r) => revList.on('close', (c) => r({ code: c ?? -1, stderr: revErr })));
  return { check, revDone };
}

/** Streams reachable blobs within the size limit; counts the rest. */
async function* listBlobs(listing: Listing, repo: string, ctx: SourceContext, options: HistoryOptions): AsyncIterable<BlobRef> {
  const { check } = listing;
  let pending = '';
  for await (const chunk of check.stdout as AsyncIterable<Buffer>) {
    const text = pending + chunk.toString('utf8');
    const lines = text.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      const b = parseCheckLine(line, ctx, options);
      if (b) yield b;
    }
  }
  if (pending) {
    const b = parseCheckLine(pending, ctx, options);
    if (b) yield b;
  }
  const { code, stderr } = await listing.revDone;
  if (code !== 0) ctx.warn(`${repo}: git rev-list failed (${stderr.trim().split('\n')[0] || `exit ${code}`}); history scan is incomplete`);
}

function parseCheckLine(line: string, ctx: SourceContext, options: HistoryOptions): BlobRef | null {
  const sp1 = line.indexOf(' ');
  if (sp1 < 0) return null;
  const oid = line.slice(0, sp1);
  const sp2 = line.indexOf(' ', sp1 + 1);
  const type = line.slice(sp1 + 1, sp2 < 0 ? undefined : sp2);
  if (type === 'missing') {
    ctx.skip('missing-object', oid.replace(/^\?/, ''), 'not in the object store: partial clone or corrupt repository');
    return null;
  }
  if (type !== 'blob') return null;
  const sp3 = line.indexOf(' ', sp2 + 1);
  const size = Number(line.slice(sp2 + 1, sp3 < 0 ? undefined : sp3));
  const path = sp3 < 0 ? '' : line.slice(sp3 + 1);
  const maxSize = options.archives && archiveKind(path) ? archiveReadLimit(options.archives, options.maxFileSize) : options.maxFileSize;
  if (size > maxSize) {
    ctx.skip('too-large', `${path || oid} @ ${oid.slice(0, 12)}`, `${size} bytes > limit ${maxSize}`);
    return null;
  }
  if (isBinaryFormat(path)) {
    ctx.skip('binary', `${path} @ ${oid.slice(0, 12)}`);
    return null;
  }
  if (options.listed) options.listed.bytes += size;
  return { oid, path: path || oid };
}

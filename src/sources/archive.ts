import type { Readable } from 'node:stream';
import { zlib } from '../core/builtins.js';
import { isBinaryFormat } from '../core/paths.js';
import type { Chunk, Provenance } from '../core/types.js';
import type { SourceContext } from './context.js';
import { asText } from './encoding.js';
import { isCiLog, logChunk } from './logs/chunk.js';
import { isRunLogZip, runLogChunks } from './logs/run-log.js';
import { tarStream, yauzl } from './packages.js';

/** Bounds on opening archives; a zip bomb hits one of them and is skipped with a warning. */
export interface ArchiveLimits {
  /** Archives inside archives, this deep. Default 3. */
  maxDepth: number;
  /** Uncompressed bytes one top-level archive may expand to, all members and depths together. Default 256 MiB. */
  maxTotalBytes: number;
  /** Uncompressed/compressed size ratio above which a member is refused. Default 100. */
  maxRatio: number;
  /** A member larger than this is skipped, as a large file would be. */
  maxMemberBytes: number;
}

export const DEFAULT_ARCHIVE_LIMITS: Omit<ArchiveLimits, 'maxMemberBytes'> = { maxDepth: 3, maxTotalBytes: 256 * 1024 * 1024, maxRatio: 100 };

export type ArchiveKind = 'zip' | 'tar' | 'tgz' | 'gz';

/**
 * Bytes an archive file (or blob) is read up to: compressed, it may be a quarter of what it expands to
 * (64 MiB by default), past the file limit that holds each member. Under the file limit alone, 55 of 141
 * PyPI wheels of 10-200 MiB went unread.
 */
export function archiveReadLimit(limits: Omit<ArchiveLimits, 'maxMemberBytes'>, maxFileSize: number): number {
  return Math.max(maxFileSize, limits.maxTotalBytes / 4);
}

/** Formats that are zip files under another name: Java web and enterprise archives, Android libraries,
 * NuGet packages, Python eggs, VS Code and Firefox extensions. */
const ZIP_EXTENSIONS = /\.(?:zip|jar|war|ear|aar|whl|egg|nupkg|vsix|xpi)$/;

export function archiveKind(path: string): ArchiveKind | null {
  const p = path.toLowerCase();
  if (ZIP_EXTENSIONS.test(p)) return 'zip';
  if (p.endsWith('.tar.gz') || p.endsWith('.tgz')) return 'tgz';
  if (p.endsWith('.tar')) return 'tar';
  if (p.endsWith('.gz')) return 'gz';
  return null;
}

/**
 * An archive known by its first bytes, for files whose name does not say (a CI artifact saved without its
 * extension, npm's content-addressed cache): a zip's local header, gzip's magic, a POSIX tar's `ustar` at 257.
 */
export function archiveMagic(head: Uint8Array): ArchiveKind | null {
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return 'zip';
  if (head.length >= 3 && head[0] === 0x1f && head[1] === 0x8b && head[2] === 0x08) return 'gz';
  if (isTar(head)) return 'tar';
  return null;
}

/** `ustar` at offset 257. Asked of every history blob: compared byte by byte, with nothing allocated. */
function isTar(data: Uint8Array): boolean {
  return data.length >= 262 && data[257] === 0x75 && data[258] === 0x73 && data[259] === 0x74 && data[260] === 0x61 && data[261] === 0x72;
}

interface Member {
  name: string;
  data: Buffer;
}

class LimitError extends Error {}

/** Reads a stream into a Buffer, refusing to go past `max` bytes whatever the headers claimed. */
async function collect(stream: AsyncIterable<Buffer> & { destroy(): unknown }, max: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const part of stream) {
    n += part.length;
    if (n > max) {
      stream.destroy();
      throw new LimitError(`expands past ${max} bytes`);
    }
    parts.push(part);
  }
  return Buffer.concat(parts, n);
}

type ZipFile = import('yauzl').ZipFile;
type ZipEntry = import('yauzl').Entry;

/** Opens a zip and reads its central directory: every entry name is known before any member is read
 * (a GitHub Actions run-log archive is recognised by them). */
async function openZip(data: Buffer): Promise<{ zip: ZipFile; entries: ZipEntry[] }> {
  const zip = await new Promise<ZipFile>((res, rej) => yauzl().fromBuffer(data, { lazyEntries: true, autoClose: false }, (e, z) => (e ? rej(e) : res(z!))));
  const entries: ZipEntry[] = [];
  try {
    while (true) {
      const entry = await new Promise<ZipEntry | null>((res, rej) => {
        zip.once('entry', res);
        zip.once('end', () => res(null));
        zip.once('error', rej);
        zip.readEntry();
      });
      zip.removeAllListeners();
      if (!entry) return { zip, entries };
      entries.push(entry);
    }
  } catch (e) {
    zip.close();
    throw e;
  }
}

async function* zipMembers(opened: { zip: ZipFile; entries: ZipEntry[] }, budget: { bytes: number }, limits: ArchiveLimits, ctx: SourceContext, where: string): AsyncIterable<Member> {
  const { zip, entries } = opened;
  try {
    for (const entry of entries) {
      if (entry.fileName.endsWith('/')) continue;
      const name = `${where}!${entry.fileName}`;
      const ratio = entry.compressedSize > 0 ? entry.uncompressedSize / entry.compressedSize : 0;
      if (ratio > limits.maxRatio) {
        ctx.skip('archive-bomb', name, `compression ratio ${Math.round(ratio)} > ${limits.maxRatio}`);
        continue;
      }
      if (entry.uncompressedSize > limits.maxMemberBytes) {
        ctx.skip('too-large', name, `${entry.uncompressedSize} bytes > limit ${limits.maxMemberBytes}`);
        continue;
      }
      // A .class file (most of a jar) or an image would be inflated only for its first bytes to say binary:
      // skipped by name, as the history skips them, it costs nothing. A Maven repository of 426 MiB of jars
      // (218k class files) took 43 s.
      if (isBinaryFormat(entry.fileName)) {
        ctx.skip('binary', name);
        continue;
      }
      const stream = await new Promise<Readable>((res, rej) => zip.openReadStream(entry, (e, s) => (e ? rej(e) : res(s!))));
      const body = await collect(stream, Math.min(limits.maxMemberBytes, budget.bytes));
      budget.bytes -= body.length;
      yield { name: entry.fileName, data: body };
    }
  } finally {
    zip.close();
  }
}

async function* tarMembers(data: Buffer, budget: { bytes: number }, limits: ArchiveLimits, ctx: SourceContext, where: string): AsyncIterable<Member> {
  const ex = tarStream().extract();
  ex.end(data);
  // The async iterator, not the 'entry' callback: with the callback, a directory entry that declares a
  // size (CPython's test/testtar.tar holds one) never ended, so `next` was never called and the scan
  // stalled with nothing left to run. Iterated, it passes, and a bad header is an error.
  for await (const entry of ex) {
    const { type, name } = entry.header;
    if (type !== 'file' && type !== 'contiguous-file') {
      entry.resume();
      continue;
    }
    if (isBinaryFormat(name)) {
      ctx.skip('binary', `${where}!${name}`);
      entry.resume();
      continue;
    }
    const body = await collect(entry as unknown as Readable, Math.min(limits.maxMemberBytes, budget.bytes));
    budget.bytes -= body.length;
    yield { name, data: body };
  }
}

function gunzip(data: Buffer, budget: { bytes: number }, limits: ArchiveLimits): Buffer {
  const max = Math.min(budget.bytes, limits.maxMemberBytes * 4, data.length * limits.maxRatio);
  try {
    const out = zlib().gunzipSync(data, { maxOutputLength: max });
    budget.bytes -= out.length;
    return out;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new LimitError(`expands past ${max} bytes`);
    throw e;
  }
}

/**
 * The members of an archive (zip, tar, tar.gz, gz) as chunks at `archive!member` paths, opening nested
 * archives within the limits. Nothing is trusted from headers alone: bytes are counted as they are read.
 * A bomb, a corrupt archive or a binary member is skipped with a warning and a count; the scan goes on.
 * A GitHub Actions run-log zip's members, and `*.log` members anywhere, are CI logs (`source: 'log'`).
 */
export async function* archiveChunks(
  data: Buffer,
  path: string,
  provenance: Omit<Provenance, 'path' | 'source'>,
  ctx: SourceContext,
  limits: ArchiveLimits,
  depth = 1,
  budget = { bytes: limits.maxTotalBytes },
): AsyncIterable<Chunk> {
  const kind = archiveKind(path) ?? archiveMagic(data);
  if (!kind) return;
  let members: AsyncIterable<Member> | Member[];
  try {
    if (kind === 'zip') {
      const opened = await openZip(data);
      members = zipMembers(opened, budget, limits, ctx, path);
      if (isRunLogZip(opened.entries.map((e) => e.fileName))) {
        yield* runLogChunks(members, path, provenance, ctx);
        return;
      }
    } else if (kind === 'tar') members = tarMembers(data, budget, limits, ctx, path);
    else if (kind === 'tgz') members = tarMembers(gunzip(data, budget, limits), budget, limits, ctx, path);
    else {
      const inner = gunzip(data, budget, limits);
      // A gzip that holds a tar is a tarball whatever its name says (npm's cache names none).
      members = isTar(inner) ? tarMembers(inner, budget, limits, ctx, path) : [{ name: path.replace(/^.*\//, '').replace(/\.gz$/i, ''), data: inner }];
    }
    for await (const m of members) {
      const name = `${path}!${m.name}`;
      if (archiveKind(m.name) ?? archiveMagic(m.data)) {
        if (depth >= limits.maxDepth) ctx.skip('archive-depth', name, `nested deeper than ${limits.maxDepth}`);
        else yield* archiveChunks(m.data, name, provenance, ctx, limits, depth + 1, budget);
        continue;
      }
      const text = asText(m.data);
      if (!text) {
        ctx.skip('binary', name);
        continue;
      }
      ctx.scanned(m.data.length);
      if (isCiLog(m.name, text, false)) yield logChunk(text, { ...provenance, path: name }, ctx);
      else yield { data: text, provenance: { ...provenance, source: 'archive', path: name } };
    }
  } catch (e) {
    const bomb = e instanceof LimitError;
    ctx.skip(bomb ? 'archive-bomb' : 'unreadable', path, bomb ? (e as Error).message : `not a readable ${kind} archive: ${(e as Error).message}`);
  }
}

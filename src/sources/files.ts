import { execFile } from 'node:child_process';
import { closeSync, lstatSync, openSync, promises as fs, readSync, statSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { basename, join, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import type { Ignore } from 'ignore';
import type { Chunk } from '../core/types.js';
import { ciSystemOf } from '../core/paths.js';
import { archiveChunks, archiveKind, archiveMagic, archiveReadLimit, DEFAULT_ARCHIVE_LIMITS, type ArchiveLimits } from './archive.js';
import { asText, BINARY_PROBE, isUtf16 } from './encoding.js';
import type { SourceContext } from './context.js';
import { isCiLog } from './logs/chunk.js';
import { logFileChunk } from './logs/files.js';
import { fastGlob, ignore } from './packages.js';

const run = promisify(execFile);

/** Options of the file source. */
export interface FileSourceOptions {
  /** Files over this many bytes are skipped with a warning. Default 10 MiB. */
  maxFileSize?: number;
  /** Gitignore-style patterns (relative to the target) whose files are not read. */
  excludePaths?: string[];
  /** Honour .gitignore files. Default true; false scans ignored files too (`--no-gitignore`). */
  gitignore?: boolean;
  /** Limits for opening zip/tar/gz files; `false` scans them as plain (binary, so skipped) files. */
  archives?: Omit<ArchiveLimits, 'maxMemberBytes'> | false;
  /** Paths (relative, `/`-separated) whose content was scanned another way, e.g. as a git blob. */
  skipPath?: (path: string) => boolean;
  /** The repository's name in findings. Default: the name of the git top-level folder holding the files. */
  repoName?: string;
  /** What git lists of the work tree (gitWorktreeListing), started early by a caller that knows the target is
   * a repository's top level: a history scan lists it while the history streams. */
  listing?: Promise<GitListing>;
}

/** A work tree as git lists it: the files to read, and how many entries .gitignore leaves out. */
export interface GitListing {
  paths: string[];
  ignored: number;
}

export const DEFAULT_MAX_FILE_SIZE = 10 * 1024 * 1024;

/**
 * Every file under `target` (or `target` itself), honouring `.gitignore` and `.sprawlignore`.
 * Inside a git work tree, git itself lists the files (`ls-files --cached --others --exclude-standard`),
 * which gives exact gitignore semantics at every depth; elsewhere fast-glob and the `ignore` package do.
 */
export async function* fileChunks(target: string, ctx: SourceContext, options: FileSourceOptions = {}): AsyncIterable<Chunk> {
  const root = resolve(target);
  let stat;
  try {
    stat = await fs.stat(root);
  } catch (e) {
    throw new Error(`${target}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let repo = options.listing ? root : await gitTopLevel(stat.isDirectory() ? root : resolve(root, '..'));
  // A folder the repository around it ignores wholesale (a virtualenv, build output, ~/.pyenv/versions) is
  // not part of that work tree: git lists nothing in it, and counting what it ignores there fails (git
  // 2.39: "directory entry not superset of prefix"). Asked for by name, it is scanned as a plain folder,
  // with the .gitignore files inside it, as a file git ignores is scanned when named.
  if (repo && !options.listing && stat.isDirectory() && options.gitignore !== false && (await ignoredByGit(root))) repo = null;
  const repoName = repo ? (options.repoName ?? basename(repo)) : (options.repoName ?? null);
  if (!stat.isDirectory()) {
    const chunk = readChunk(root, basename(root), ctx, options, repoName);
    if (chunk) yield* expand(chunk, root, ctx, options, true);
    return;
  }
  const userIgnore = await loadIgnore(root, options.excludePaths ?? []);
  const honour = options.gitignore !== false;
  let paths: string[];
  if (repo && honour) {
    const listing = await (options.listing ?? gitWorktreeListing(root));
    paths = listing.paths;
    // Ignored files are skipped by the user's own rules, but never silently: count what git leaves out.
    if (listing.ignored > 0) {
      ctx.count('gitignored', listing.ignored);
      if (paths.length === 0) ctx.warn(`${target}: every file here is ignored by git (.gitignore); nothing scanned. Use --no-gitignore to scan them`);
    }
  } else {
    const listing = await globFiles(root, honour);
    paths = listing.paths;
    if (listing.ignored > 0) ctx.count('gitignored', listing.ignored);
  }
  const kept = paths.filter((p) => {
    if (options.skipPath?.(p)) return false;
    if (userIgnore.ignores(p)) {
      ctx.skip('ignored-by-allowlist', p);
      return false;
    }
    return true;
  });
  // Read with blocking calls, one file after the other. Through fs/promises, every lstat, stat, open, read
  // and close was a round trip to libuv's thread pool: 50,000 small files took 8.4 s, 5.5 s of it in the
  // kernel (885,903 futex calls), against ~2 s this way.
  for (const rel of kept) {
    const abs = join(root, rel);
    const chunk = readChunk(abs, rel, ctx, options, repoName);
    if (chunk) yield* expand(chunk, abs, ctx, options, false);
  }
}

/**
 * A file is yielded as it is; a CI log cleaned, with its job and step (sources/logs); an archive (read
 * whole, marked `archive` by readChunk) as its members. `explicit`: the file was given as a target.
 */
async function* expand(chunk: Chunk, abs: string, ctx: SourceContext, options: FileSourceOptions, explicit: boolean): AsyncIterable<Chunk> {
  if (chunk.provenance.source === 'file' && isCiLog(chunk.provenance.path, chunk.data, explicit)) {
    yield await logFileChunk(chunk, abs, ctx, explicit);
    return;
  }
  if (chunk.provenance.source !== 'archive' || options.archives === false) {
    yield chunk;
    return;
  }
  const { path, source: _source, ...rest } = chunk.provenance;
  const limits = { ...DEFAULT_ARCHIVE_LIMITS, ...(options.archives ?? {}), maxMemberBytes: options.maxFileSize ?? DEFAULT_MAX_FILE_SIZE };
  yield* archiveChunks(chunk.data, path, rest, ctx, limits);
}

function readChunk(abs: string, rel: string, ctx: SourceContext, options: FileSourceOptions, repoName: string | null): Chunk | null {
  const path = rel.split(sep).join('/');
  try {
    let st = lstatSync(abs);
    if (st.isSymbolicLink()) {
      try {
        st = statSync(abs);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        ctx.skip(code === 'ELOOP' ? 'symlink-loop' : 'broken-symlink', path, code);
        return null;
      }
      if (st.isDirectory()) {
        ctx.skip('symlink-dir', path, 'links to a directory; not followed');
        return null;
      }
    }
    if (!st.isFile()) {
      ctx.skip('not-a-file', path);
      return null;
    }
    // Archives are binary: they are opened by expand(), not skipped. One whose name does not say is known by
    // its first bytes.
    const archives = options.archives !== false;
    let archive = archives && archiveKind(path) !== null;
    const fileMax = options.maxFileSize ?? DEFAULT_MAX_FILE_SIZE;
    const max = archive ? archiveReadLimit(options.archives || DEFAULT_ARCHIVE_LIMITS, fileMax) : fileMax;
    if (st.size > max) {
      ctx.skip('too-large', path, `${st.size} bytes > limit ${max}`);
      return null;
    }
    // Binary, unless it holds no NUL, is an archive, or is UTF-16 text (read whole, then turned into UTF-8).
    const probe = (head: Buffer): boolean => {
      archive = archives && archiveMagic(head) !== null;
      return !archive && head.includes(0) && !isUtf16(head);
    };
    const read = readAll(abs, st.size, archive ? null : probe);
    if (archive) return { data: read!, provenance: { source: 'archive', path, ...(repoName ? { repo: repoName } : {}) } };
    const data = read && asText(read);
    if (!data) {
      ctx.skip('binary', path);
      return null;
    }
    if (!isUtf8(data)) ctx.warn(`${path}: not valid UTF-8; scanned as bytes`, 'not-utf8');
    ctx.scanned(data.length);
    return { data, provenance: { source: ciSystemOf(path) ? 'ci-config' : 'file', path, ...(repoName ? { repo: repoName } : {}) } };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // A name that is not UTF-8 reaches us decoded, with U+FFFD for its bad bytes (the listings give strings),
    // and no file has that name: say so, rather than count it as deleted.
    if (code === 'ENOENT' && path.includes('\ufffd')) ctx.skip('unreadable', path, 'the file name is not valid UTF-8; rename the file to scan it');
    // A tracked file deleted from the work tree is listed by git; nothing was there to read.
    else if (code === 'ENOENT') ctx.count('deleted', 1);
    else ctx.skip('unreadable', path, code ?? (e as Error).message);
    return null;
  }
}

/**
 * A file's bytes, `size` as stat gave it: open, read, close. readFileSync also asks fstat and reads once
 * more to see the end; on small files syscalls are most of the cost (~6 µs each here). A file that grew
 * since is read up to `size`; one that shrank, to its end. Null when `binary` says so of its first
 * BINARY_PROBE bytes: the rest of a binary file is never read (a folder of build output is mostly that).
 */
function readAll(abs: string, size: number, binary: ((probe: Buffer) => boolean) | null): Buffer | null {
  const fd = openSync(abs, 'r');
  try {
    const data = Buffer.allocUnsafe(size);
    const probeEnd = binary ? Math.min(size, BINARY_PROBE) : size;
    let filled = readInto(fd, data, 0, probeEnd);
    if (binary?.(data.subarray(0, filled))) return null;
    if (filled === probeEnd) filled = readInto(fd, data, filled, size);
    return filled === size ? data : data.subarray(0, filled);
  } finally {
    closeSync(fd);
  }
}

/** Reads into data[from, to) until it is full or the file ends; returns where it stopped. */
function readInto(fd: number, data: Buffer, from: number, to: number): number {
  while (from < to) {
    const n = readSync(fd, data, from, to - from, null);
    if (n === 0) break;
    from += n;
  }
  return from;
}

/** Whether the repository holding `dir` ignores it (exit 0 of `check-ignore`; 1 for not ignored). */
async function ignoredByGit(dir: string): Promise<boolean> {
  try {
    await run('git', ['-C', dir, 'check-ignore', '-q', '.']);
    return true;
  } catch {
    return false;
  }
}

async function gitTopLevel(dir: string): Promise<string | null> {
  try {
    const { stdout } = await run('git', ['-C', dir, 'rev-parse', '--show-toplevel'], { encoding: 'utf8' });
    return stdout.trim() || null;
  } catch {
    return null;
  }
}

/** The files git lists below a work tree's top level, and the entries it ignores: two listings, run at once. */
export async function gitWorktreeListing(root: string): Promise<GitListing> {
  const [paths, ignored] = await Promise.all([gitListFiles(root), gitIgnoredEntries(root)]);
  return { paths, ignored };
}

async function gitListFiles(root: string): Promise<string[]> {
  const { stdout } = await run('git', ['-C', root, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    encoding: 'buffer',
    maxBuffer: 1024 * 1024 * 1024,
  });
  const seen = new Set<string>();
  for (const p of (stdout as Buffer).toString('utf8').split('\0')) if (p) seen.add(p);
  return [...seen].sort();
}

/** Files and folders git ignores below root (a wholly ignored folder counts once). */
async function gitIgnoredEntries(root: string): Promise<number> {
  try {
    const { stdout } = await run('git', ['-C', root, 'ls-files', '-z', '--others', '--ignored', '--exclude-standard', '--directory'], {
      encoding: 'buffer',
      maxBuffer: 256 * 1024 * 1024,
    });
    return (stdout as Buffer).toString('utf8').split('\0').filter(Boolean).length;
  } catch {
    return 0;
  }
}

/** Outside git: every file, with each folder's `.gitignore` applied below it, and how many files those leave out. */
async function globFiles(root: string, honourGitignore: boolean): Promise<GitListing> {
  const all = await fastGlob()('**/*', { cwd: root, dot: true, onlyFiles: false, followSymbolicLinks: false, ignore: ['**/.git/**'], suppressErrors: true, objectMode: true });
  const ignoreFiles = honourGitignore ? all.filter((e) => e.name === '.gitignore' && !e.dirent.isDirectory()).map((e) => e.path) : [];
  const rules: Array<{ dir: string; ig: Ignore }> = [];
  for (const f of ignoreFiles) {
    try {
      const dir = f.includes('/') ? f.slice(0, f.lastIndexOf('/') + 1) : '';
      rules.push({ dir, ig: ignore()().add(await fs.readFile(join(root, f), 'utf8')) });
    } catch {
      // An unreadable .gitignore ignores nothing; the file itself is reported when read.
    }
  }
  const files = all.filter((e) => !e.dirent.isDirectory()).map((e) => e.path);
  const paths = files.filter((p) => !rules.some(({ dir, ig }) => p.startsWith(dir) && ig.ignores(p.slice(dir.length)))).sort();
  return { paths, ignored: files.length - paths.length };
}

async function loadIgnore(root: string, extra: string[]): Promise<Ignore> {
  const ig = ignore()().add(extra);
  try {
    ig.add(await fs.readFile(join(root, '.sprawlignore'), 'utf8'));
  } catch {
    // No .sprawlignore: nothing more to ignore.
  }
  return ig;
}


import { execFile, spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Runs git and returns stdout; throws with git's own message. */
export async function git(repo: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run('git', ['-C', repo, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error((err.stderr || err.message).trim().split('\n')[0]!);
  }
}

/** Like `git`, but null instead of an error: for questions whose answer may be "none". */
export async function gitMaybe(repo: string, args: string[]): Promise<string | null> {
  try {
    return await git(repo, args);
  } catch {
    return null;
  }
}

let version: number[] | null = null;

/** Whether the installed git is at least major.minor (asked once per process; false if git cannot say). */
export function gitAtLeast(major: number, minor: number): boolean {
  if (!version) {
    const m = /(\d+)\.(\d+)/.exec(spawnSync('git', ['version'], { encoding: 'utf8' }).stdout ?? '');
    version = m ? [Number(m[1]), Number(m[2])] : [0, 0];
  }
  return version[0]! > major || (version[0] === major && version[1]! >= minor);
}

/** The work tree's top-level folder when `dir` is inside one, else null. */
export async function topLevel(dir: string): Promise<string | null> {
  return (await gitMaybe(dir, ['rev-parse', '--show-toplevel']))?.trim() || null;
}

/** Commits reachable from the refs (`--all`: every ref); 0 when git cannot say. */
export async function countCommits(repo: string, refs: string[]): Promise<number> {
  return Number((await gitMaybe(repo, ['rev-list', '--count', ...refs]))?.trim() ?? 0) || 0;
}

export async function isShallow(repo: string): Promise<boolean> {
  return (await gitMaybe(repo, ['rev-parse', '--is-shallow-repository']))?.trim() === 'true';
}

/**
 * Streams the lines a git command prints, without holding them all. Resolves `done` with git's exit code
 * and the first lines of its stderr, so callers can warn and go on rather than crash.
 */
export function gitLines(repo: string, args: string[]): { lines: AsyncIterable<string>; done: Promise<{ code: number; stderr: string }> } {
  const proc = spawn('git', ['-C', repo, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => {
    if (stderr.length < 4096) stderr += d.toString('utf8');
  });
  const done = new Promise<{ code: number; stderr: string }>((resolve) => {
    proc.on('close', (code) => resolve({ code: code ?? -1, stderr: stderr.trim() }));
    proc.on('error', (e) => resolve({ code: -1, stderr: e.message }));
  });
  const lines = createInterface({ input: proc.stdout, crlfDelay: Infinity });
  return { lines, done };
}

/** The all-zero object id that git hooks and CI events use for "no commit" (a new branch). */
export function isZeroOid(rev: string): boolean {
  return /^0{40}$|^0{64}$/.test(rev);
}

/** The commit fields `git log` prints with LOG_FORMAT. */
export interface CommitInfo {
  commit: string;
  /** ISO-8601 author date, with the author's offset. */
  date: string;
  author: string;
  authorEmail: string;
}

/** `git log --format` that `parseLogHeader` reads: \x01 then fields split by \x1f. */
export const LOG_FORMAT = '--format=%x01%H%x1f%aI%x1f%an%x1f%ae';

/** A commit header field of `git log -z --raw` output, or null when the field is not one. */
export function parseLogHeader(field: string): CommitInfo | null {
  if (!field.startsWith('\x01')) return null;
  const [commit, date, author, authorEmail] = field.slice(1).split('\x1f');
  return { commit: commit!, date: date!, author: author!, authorEmail: authorEmail! };
}

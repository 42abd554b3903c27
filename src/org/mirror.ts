import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { displayUrl, type RepoTarget } from './targets.js';

/** Options of the mirror cache. */
export interface MirrorOptions {
  /** Folder holding one bare mirror per repository. */
  cacheDir: string;
  /** Token for repositories with `auth` (GitHub over HTTPS). Never written to disk or into a message. */
  token?: string;
  /** Environment of git. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Seconds a clone or fetch may go without progress before git gives up on it. Default 300. */
  stallSeconds?: number;
}

/** A mirror ready to scan. */
export interface Mirror {
  dir: string;
  /** `cloned` the first time, `updated` on later runs, `stale` when the update failed (see `warning`). */
  state: 'cloned' | 'updated' | 'stale';
  warning?: string;
}

/**
 * The mirror's folder: the name made safe for a file name, plus a hash of the URL, so that two sources
 * never share a mirror and a renamed URL gets a fresh one.
 */
export function mirrorDir(cacheDir: string, target: RepoTarget): string {
  const safe = target.name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);
  return join(resolve(cacheDir), `${safe}-${createHash('sha256').update(target.url).digest('hex').slice(0, 10)}.git`);
}

/**
 * Git's environment. The token travels as an `http.<origin>/.extraHeader` in GIT_CONFIG_* variables
 * (git 2.31+): scoped to the repository's own origin, absent from the command line (`ps`), from the
 * mirror's config and from git's messages. Prompts are off, so a repository that needs credentials fails
 * at once instead of waiting for a password that never comes.
 */
export function gitEnv(target: RepoTarget, options: Pick<MirrorOptions, 'token' | 'env' | 'stallSeconds'>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...(options.env ?? process.env), GIT_TERMINAL_PROMPT: '0' };
  // A server that stops answering would hold a scheduled org scan forever. git's own watchdogs end such a
  // transfer: over HTTP, under 1 KB/s for stallSeconds (curl's low-speed limit, also while it waits for a
  // response); over SSH, a connect timeout and keep-alives. A user's own settings win.
  const stall = Math.max(1, Math.round(options.stallSeconds ?? 300));
  env.GIT_HTTP_LOW_SPEED_LIMIT ??= '1000';
  env.GIT_HTTP_LOW_SPEED_TIME ??= String(stall);
  env.GIT_SSH_COMMAND ??= `ssh -o BatchMode=yes -o ConnectTimeout=${Math.min(stall, 30)} -o ServerAliveInterval=15 -o ServerAliveCountMax=${Math.max(1, Math.ceil(stall / 15))}`;
  if (options.token && target.auth) {
    const n = Number(env.GIT_CONFIG_COUNT ?? 0) || 0;
    const basic = Buffer.from(`x-access-token:${options.token}`).toString('base64');
    env[`GIT_CONFIG_KEY_${n}`] = `http.${new URL(target.url).origin}/.extraHeader`;
    env[`GIT_CONFIG_VALUE_${n}`] = `Authorization: Basic ${basic}`;
    env.GIT_CONFIG_COUNT = String(n + 1);
  }
  return env;
}

function client(baseDir: string, env: NodeJS.ProcessEnv): SimpleGit {
  // simple-git refuses environment variables that can run programs (GIT_SSH_COMMAND, EDITOR, PAGER, ...)
  // unless allowed. This environment is the user's own plus the header above, never taken from input;
  // the checks on arguments stay on, and the URL always follows `--`.
  const unsafe = {
    allowUnsafeConfigEnvCount: true,
    allowUnsafeSshCommand: true,
    allowUnsafeAskPass: true,
    allowUnsafeEditor: true,
    allowUnsafePager: true,
    allowUnsafeConfigPaths: true,
    allowUnsafeGitProxy: true,
    allowUnsafeDiffExternal: true,
  };
  return simpleGit({ baseDir, unsafe }).env(env);
}

/**
 * Clones the repository as a bare mirror (`git clone --mirror`) into the cache, or updates the mirror a
 * previous run left (`git remote update --prune`). A clone goes to a temporary folder first, so an
 * interrupted run never leaves a half mirror that a later run would take for a whole one. When an update
 * fails, the cached mirror is scanned as it is, with a warning. A failed clone throws, with the token
 * and any password in the URL masked.
 */
export async function updateMirror(target: RepoTarget, options: MirrorOptions): Promise<Mirror> {
  // Absolute: git runs in the cache folder, and a relative path would be taken from there.
  const cacheDir = resolve(options.cacheDir);
  const dir = mirrorDir(cacheDir, target);
  const env = gitEnv(target, options);
  await mkdir(cacheDir, { recursive: true });
  if (isBareLayout(dir) && (await originOf(dir, env)) === target.url) {
    try {
      await client(dir, env).raw(['remote', 'update', '--prune']);
      return { dir, state: 'updated' };
    } catch (e) {
      return { dir, state: 'stale', warning: `could not update the mirror of ${displayUrl(target.url)}, scanning the cached copy: ${mask(e, options.token)}` };
    }
  }
  const tmp = `${dir}.tmp-${randomBytes(4).toString('hex')}`;
  try {
    await client(cacheDir, env).raw(['clone', '--mirror', '--quiet', '--', target.url, tmp]);
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
    return { dir, state: 'cloned' };
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw new Error(`could not clone ${displayUrl(target.url)}: ${mask(e, options.token)}`);
  }
}

/** A bare repository's own files: without them git would look for a repository in the folders above. */
function isBareLayout(dir: string): boolean {
  return ['HEAD', 'objects', 'refs'].every((f) => existsSync(join(dir, f)));
}

/** The URL a cached mirror was cloned from, or null when the folder is not a usable mirror. */
async function originOf(dir: string, env: NodeJS.ProcessEnv): Promise<string | null> {
  try {
    return (await client(dir, env).raw(['config', '--get', 'remote.origin.url'])).trim() || null;
  } catch {
    return null;
  }
}

/** git's message, first lines only, with the token masked should it ever appear. */
function mask(e: unknown, token: string | undefined): string {
  let text = ((e as Error).message ?? String(e)).trim().split('\n').filter(Boolean).slice(0, 3).join('; ');
  if (token) text = text.split(token).join('***');
  return displayUrl(text);
}

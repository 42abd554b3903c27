#!/usr/bin/env node
/**
 * The `sprawl` command: runs the bundled CLI (bundle.cjs, built by scripts/bundle-cli.mjs) from V8's code
 * cache when there is one. Compiling the scanner and commander cost ~25 ms of every run, a pre-commit hook
 * has 200 ms with Node's own start-up, and Node 20 has no compile cache of its own (Node 22's
 * `module.enableCompileCache()` does what this does).
 *
 * The cache is one file per command (a pre-commit run compiles other functions than `sprawl org`), Node
 * version and bundle build, in the user's cache folder
 * ($XDG_CACHE_HOME/sprawl, else ~/.cache/sprawl), never in a shared temp folder: code read from a file
 * another user could write would be theirs to run. It is written after a run that found none or whose
 * cache V8 refused, and any failure to read or write it only costs the time. SPRAWL_NO_COMPILE_CACHE=1
 * turns it off.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire, wrap } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Script } from 'node:vm';

const bundle = join(__dirname, 'bundle.cjs');
// A shebang is not JavaScript inside the module wrapper.
const source = readFileSync(bundle, 'utf8').replace(/^#!.*/, '');
const cacheFile = process.env.SPRAWL_NO_COMPILE_CACHE === '1' ? null : cachePath();
const cached = cacheFile ? readCache(cacheFile) : undefined;
// The bundle must not use import(): code compiled from a cache has no dynamic-import callback on Node 20
// (scripts/bundle-cli.mjs refuses such a bundle).
const script = new Script(wrap(source), { filename: bundle, cachedData: cached });
if (cacheFile && (!cached || script.cachedDataRejected)) process.once('exit', () => writeCache(cacheFile, script));
const bundleModule = { exports: {} };
(script.runInThisContext() as (...args: unknown[]) => void)(bundleModule.exports, createRequire(bundle), bundleModule, bundle, __dirname);

function cachePath(): string | null {
  try {
    const { size, mtimeMs } = statSync(bundle);
    const dir = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
    const args = process.argv.slice(2);
    const command = args[0] === 'scan' && args.includes('--staged') ? 'staged' : /^[a-z]+$/.test(args[0] ?? '') ? args[0] : 'other';
    return join(dir, 'sprawl', `${command}-${process.version}-${process.arch}-${size}-${Math.floor(mtimeMs)}.v8cache`);
  } catch {
    return null;
  }
}

function readCache(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Caches kept per command: two installed versions used in turn keep theirs, and upgrades do not pile up
 * (one developer's folder held 675 files, 153 MB, from rebuilds). */
const KEEP_PER_COMMAND = 4;

/** At exit, so that the cache holds every function this run compiled; atomically, as hooks run in parallel. */
function writeCache(file: string, compiled: Script): void {
  try {
    const dir = join(file, '..');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, compiled.createCachedData(), { mode: 0o600 });
    renameSync(tmp, file);
    prune(dir, file.slice(dir.length + 1).replace(/-v\d.*$/, '-'));
  } catch {
    // A read-only home or a full disk: the next run compiles again.
  }
}

/** Deletes all but the newest KEEP_PER_COMMAND caches of one command (names starting with `prefix`). */
function prune(dir: string, prefix: string): void {
  const caches = readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.v8cache'))
    .map((f) => ({ f, at: statSync(join(dir, f)).mtimeMs }))
    .sort((a, b) => b.at - a.at);
  for (const { f } of caches.slice(KEEP_PER_COMMAND)) unlinkSync(join(dir, f));
}

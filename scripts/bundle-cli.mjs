/**
 * Bundles the compiled CLI (dist/cli/main.js and the modules it imports, commander included) into one
 * CommonJS file, dist/cli/bundle.cjs, which the `sprawl` launcher (dist/cli/sprawl.cjs) runs through V8's
 * code cache.
 *
 * Why: a pre-commit hook has 200 ms, Node's start-up included. Node 20's ESM loader spent ~10 ms on its
 * own, and compiling the scanner and commander ~25 ms more, on every run. One CommonJS file can be
 * compiled from a code cache (Node 22 has `module.enableCompileCache()`; Node 20 has only `vm.Script`'s
 * cachedData), which makes a warm start ~35-50 ms faster (measured: `scan --staged` of ten files, median
 * 234 ms against 285 ms for the split ESM bundle, 30 interleaved runs).
 *
 * Lazily imported modules (org, logs, inventory, ...) stay lazy: esbuild evaluates them, and `require`s
 * their packages, only when the import runs. The worker thread's module and the library entry
 * (dist/index.js) are not bundled.
 */
import { build } from 'esbuild';
import { chmodSync, readdirSync, readFileSync, rmSync } from 'node:fs';

// Chunks of an earlier, ESM code-split build: esbuild named them <name>-<8-character hash>.js.
for (const f of readdirSync('dist/cli')) if (/-[A-Z0-9]{8}\.js$/.test(f)) rmSync(`dist/cli/${f}`);

await build({
  entryPoints: ['dist/cli/main.js'],
  outfile: 'dist/cli/bundle.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // Bundled: commander (every run parses argv with it) and p-limit (ESM-only: require() cannot load it on
  // Node 20). The rest load from node_modules when a command needs them, and keep the bundle, which every
  // run reads and checks against its cache, at a third of the size.
  external: ['re2', 'better-sqlite3', 'yaml', 'simple-git', 'fast-glob', 'ignore', 'tar-stream', 'yauzl'],
  define: { 'import.meta.url': 'importMetaUrl' },
  inject: ['scripts/import-meta-url.js'],
  logLevel: 'warning',
});

// Code run from V8's cache has no dynamic-import callback on Node 20: an import() left in the bundle (of an
// external package) would fail at run time, after a first run wrote the cache. Load packages with require().
const dynamic = /(?<![\w$.])import\(\s*["'`]([^"'`]+)/.exec(readFileSync('dist/cli/bundle.cjs', 'utf8'));
if (dynamic) throw new Error(`dist/cli/bundle.cjs imports '${dynamic[1]}' with import(); use require() (see src/sources/packages.ts)`);

// The launcher is the package's bin: tsc writes it without the executable bit.
chmodSync('dist/cli/sprawl.cjs', 0o755);

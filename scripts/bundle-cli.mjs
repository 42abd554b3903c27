/**
 * Bundles the compiled CLI (dist/cli/main.js and the ~55 modules it imports) into that one file.
 *
 * Why: a pre-commit hook must feel instant, and Node's ESM loader spent 70-100 ms resolving, reading and
 * linking each module of a `scan --staged` run. One file keeps the same layout (dist/cli/main.js, so
 * paths relative to it still hold) and the lazily loaded parts (inventory, org, logs) stay lazy: esbuild
 * evaluates a dynamically imported module only when the import runs. Native addons (re2, better-sqlite3)
 * and every package stay external, loaded from node_modules as before; the worker thread's module and
 * the library entry (dist/index.js) are not bundled.
 *
 * Code splitting puts each lazily imported command (org, logs, inventory, merge, hook) in a chunk of its
 * own, beside main.js so that paths relative to a module (the rules bundle, the worker) hold in every chunk. Without it esbuild hoists those modules' package imports to the top of the
 * one file, and every run paid for simple-git and p-limit (~60 ms) whether it cloned anything or not.
 */
import { build } from 'esbuild';
import { readdirSync, readFileSync, rmSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const external = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {})];

// Chunks of an earlier build: esbuild names them <name>-<8-character hash>.js.
for (const f of readdirSync('dist/cli')) if (/-[A-Z0-9]{8}\.js$/.test(f)) rmSync(`dist/cli/${f}`);
await build({
  entryPoints: ['dist/cli/main.js'],
  outdir: 'dist/cli',
  allowOverwrite: true,
  bundle: true,
  splitting: true,
  chunkNames: '[name]-[hash]',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external,
  logLevel: 'warning',
});

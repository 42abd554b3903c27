/**
 * Bundles the compiled CLI (dist/cli/main.js and the ~55 modules it imports) into that one file.
 *
 * Why: a pre-commit hook must feel instant, and Node's ESM loader spent 70-100 ms resolving, reading and
 * linking each module of a `scan --staged` run. One file keeps the same layout (dist/cli/main.js, so
 * paths relative to it still hold) and the lazily loaded parts (inventory, org, logs) stay lazy: esbuild
 * evaluates a dynamically imported module only when the import runs. Native addons (re2, better-sqlite3)
 * and every package stay external, loaded from node_modules as before; the worker thread's module and
 * the library entry (dist/index.js) are not bundled.
 */
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const external = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {})];

await build({
  entryPoints: ['dist/cli/main.js'],
  outfile: 'dist/cli/main.js',
  allowOverwrite: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external,
  logLevel: 'warning',
});

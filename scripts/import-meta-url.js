// Injected by esbuild into the CommonJS bundle of the CLI (scripts/bundle-cli.mjs) as `import.meta.url`:
// modules find the rules, the worker and their packages relative to it.
export const importMetaUrl = require('node:url').pathToFileURL(__filename).href;

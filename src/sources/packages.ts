import { createRequire } from 'node:module';

/**
 * Packages only some sources need, loaded on first use with require() (all four are CommonJS). Not with
 * import(): the CLI runs from V8's code cache (src/cli/sprawl.cts), and Node 20 restores no dynamic-import
 * callback for cached code, so an import() there fails ("A dynamic import callback was not specified").
 */
const require = createRequire(import.meta.url);

export const fastGlob = (): typeof import('fast-glob') => require('fast-glob') as typeof import('fast-glob');
export const ignore = (): typeof import('ignore') => require('ignore') as typeof import('ignore');
export const yauzl = (): typeof import('yauzl') => require('yauzl') as typeof import('yauzl');
export const tarStream = (): typeof import('tar-stream') => require('tar-stream') as typeof import('tar-stream');

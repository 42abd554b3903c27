import { createRequire } from 'node:module';

/**
 * Node built-ins that most runs never touch, loaded on first use. A pre-commit hook has a 200 ms budget,
 * Node's own start-up included, and importing these eagerly cost ~15 ms of it: `zlib` (archives, token
 * checksums), `crypto` (identities, needed only once there is a finding), `worker_threads` (history scans
 * on 4+ cores). `require` caches a built-in, so each later call is a map lookup.
 */
const require = createRequire(import.meta.url);

export const zlib = (): typeof import('node:zlib') => require('node:zlib') as typeof import('node:zlib');
export const crypto = (): typeof import('node:crypto') => require('node:crypto') as typeof import('node:crypto');
export const workerThreads = (): typeof import('node:worker_threads') => require('node:worker_threads') as typeof import('node:worker_threads');

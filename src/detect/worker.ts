/**
 * A detection worker: compiles the rules it is given once, then answers batches of chunks with their
 * matches. The main thread keeps reading git meanwhile, so that `git cat-file` never waits on detection
 * (a pipe holds 64 KiB: a blocked event loop stalls git after two blobs).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Match, Rule } from '../core/types.js';
import { compileRuleSet } from '../rules/compile.js';
import { detect, type DetectOptions } from './engine.js';
import { detectRevision, revisionMemory } from './revisions.js';

/** What the pool gives a worker when it starts. */
export interface WorkerInit {
  rules: Rule[];
  options: Omit<DetectOptions, 'onReject' | 'path'>;
  /** Chunks are versions of files in a history: match each only where it differs from the last version of its path. */
  revisions: boolean;
}

/**
 * A batch: the chunks' bytes in a buffer shared with the pool, with each chunk's span and path. A buffer
 * is sent with the first batch it holds and named by its id after that; `forget` drops it.
 */
export type WorkerMessage =
  | { batch: number; shared: number; buffer?: SharedArrayBuffer; items: Array<{ offset: number; length: number; path: string | undefined }> }
  | { forget: number };

/** The matches of each chunk of a batch. Nothing here keeps a view of the batch's buffer: the pool fills it again. */
export interface WorkerResult {
  batch: number;
  matches: Match[][];
}

if (parentPort) {
  const init = workerData as WorkerInit;
  // Rules were validated by the main thread: compile each on first use here too.
  const { ruleSet } = compileRuleSet(init.rules, () => true);
  const port = parentPort;
  const memory = revisionMemory();
  const buffers = new Map<number, SharedArrayBuffer>();
  port.on('message', (msg: WorkerMessage) => {
    if ('forget' in msg) {
      buffers.delete(msg.forget);
      return;
    }
    if (msg.buffer) buffers.set(msg.shared, msg.buffer);
    const buffer = buffers.get(msg.shared)!;
    const matches = msg.items.map((it) => {
      const data = Buffer.from(buffer, it.offset, it.length);
      const options = { ...init.options, path: it.path };
      return init.revisions ? detectRevision(memory, data, ruleSet, options) : detect(data, ruleSet, options);
    });
    port.postMessage({ batch: msg.batch, matches } satisfies WorkerResult);
  });
}

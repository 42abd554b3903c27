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

/** One batch: the chunks' bytes packed in one transferred buffer, with each chunk's span and path. */
export interface WorkerBatch {
  batch: number;
  buffer: ArrayBuffer;
  items: Array<{ offset: number; length: number; path: string }>;
}

export interface WorkerResult {
  batch: number;
  matches: Match[][];
  /** The batch's buffer, handed back to be filled again. Nothing here keeps a view of it. */
  buffer: ArrayBuffer;
}

if (parentPort) {
  const init = workerData as WorkerInit;
  // Rules were validated by the main thread: compile each on first use here too.
  const { ruleSet } = compileRuleSet(init.rules, () => true);
  const port = parentPort;
  const memory = revisionMemory();
  port.on('message', (msg: WorkerBatch) => {
    const matches = msg.items.map((it) => {
      const data = Buffer.from(msg.buffer, it.offset, it.length);
      const options = { ...init.options, path: it.path };
      return init.revisions ? detectRevision(memory, data, ruleSet, options) : detect(data, ruleSet, options);
    });
    port.postMessage({ batch: msg.batch, matches, buffer: msg.buffer } satisfies WorkerResult, [msg.buffer]);
  });
}

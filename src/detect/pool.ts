import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { workerThreads } from '../core/builtins.js';
import type { Chunk, Match, Rule } from '../core/types.js';
import { REVISION_MIN_BYTES } from './revisions.js';
import type { WorkerBatch, WorkerInit, WorkerResult } from './worker.js';

/** Options of detection in worker threads. */
export interface PoolOptions {
  /** Worker threads. 0 means "detect on the calling thread"; the caller decides. */
  workers: number;
  /** The enabled rules, already validated (workers compile them again, lazily). */
  rules: Rule[];
  /** Detection options shared by every chunk (the path is each chunk's own). */
  detect: WorkerInit['options'];
  /** History blobs: each worker matches a version of a path only where it differs from the last one it
   * saw (see revisions.ts), so every version of a path goes to the same worker. */
  revisions?: boolean;
  /** Matches a chunk on this thread. Given, a worker that dies (out of memory, a crash in native code)
   * costs time, not the scan: what it held and what would have gone to it is matched here. */
  fallback?: (chunk: Chunk) => Match[];
  /** Told when a worker is lost, with why. */
  onWorkerLost?: (message: string) => void;
  /** The worker module. Default: the compiled detection worker (tests give one that fails). */
  workerFile?: string;
}

/** A batch is sent when it holds this many bytes, or at once when a worker is idle. */
const BATCH_BYTES = 512 * 1024;
/** Size of the reused batch buffers: a batch of small blobs fills one; a larger batch gets its own. */
const BATCH_BUFFER = 1024 * 1024;
/** Reused batch buffers kept, at most. */
const MAX_SPARE = 32;
/** Bytes handed to workers and not yet answered: bounds memory whatever the history size. */
const MAX_IN_FLIGHT = 16 * 1024 * 1024;

// From dist/detect/ or from the bundled CLI in dist/cli/: both one level below dist/.
const WORKER_FILE = fileURLToPath(new URL('../detect/worker.js', import.meta.url));

/** Workers need the compiled worker module; running from TypeScript sources (tests), there is none. */
export function workersAvailable(): boolean {
  return existsSync(WORKER_FILE);
}

interface Slot {
  worker: Worker;
  inFlight: number;
  /** Chunks routed to this worker and not yet sent, and their bytes. */
  pending: Chunk[];
  pendingBytes: number;
  /** Stopped: its work went to the fallback, and nothing more is routed to it. */
  lost: boolean;
}

/** FNV-1a of a path: which worker its versions go to. */
function pathHash(path: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < path.length; i++) h = Math.imul(h ^ path.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * Chunks → (chunk, matches), detection spread over worker threads, results in completion order. The
 * source is read on this thread as fast as it produces, so a git process feeding it never stalls while a
 * chunk is being matched. Batching amortises the message cost (~30 µs) over many small blobs, but an idle
 * worker gets whatever is pending at once, so a slow source never waits for a batch to fill.
 */
export async function* detectInWorkers(chunks: AsyncIterable<Chunk>, options: PoolOptions): AsyncIterable<{ chunk: Chunk; matches: Match[] }> {
  const init: WorkerInit = { rules: options.rules, options: options.detect, revisions: options.revisions === true };
  // No Node options for the worker: it runs only our compiled module, and many of the parent's options are
  // refused in a worker and made it throw (`node --max-old-space-size=4096 sprawl ...`, `--stack-size`,
  // or a library caller's `node --input-type=module -e ...`).
  const slots: Slot[] = Array.from({ length: Math.max(1, options.workers) }, () => ({
    worker: new (workerThreads().Worker)(options.workerFile ?? WORKER_FILE, { workerData: init, execArgv: [] }),
    inFlight: 0,
    pending: [],
    pendingBytes: 0,
    lost: false,
  }));
  const sent = new Map<number, { slot: Slot; chunks: Chunk[]; bytes: number }>();
  const ready: Array<{ chunk: Chunk; matches: Match[] }> = [];
  let failure: Error | null = null;
  // Both the reading task (waiting for room) and the consumer (waiting for results) may be asleep.
  let waiters: Array<() => void> = [];
  const wake = (): void => {
    const w = waiters;
    waiters = [];
    for (const r of w) r();
  };
  const waitForEvent = (): Promise<void> => new Promise((r) => waiters.push(r));
  for (const slot of slots) {
    slot.worker.on('message', (msg: WorkerResult) => {
      const b = sent.get(msg.batch)!;
      sent.delete(msg.batch);
      if (msg.buffer.byteLength === BATCH_BUFFER && spare.length < MAX_SPARE) spare.push(msg.buffer);
      slot.inFlight -= b.bytes;
      b.chunks.forEach((chunk, i) => ready.push({ chunk, matches: msg.matches[i]! }));
      wake();
    });
    slot.worker.on('error', (e) => lose(slot, e));
    slot.worker.on('exit', (code) => {
      if (!closing) lose(slot, new Error(`exited with code ${code}`));
    });
  }
  let closing = false;
  // The workers chunks may still be routed to.
  let live = slots;
  const lose = (slot: Slot, e: Error): void => {
    if (slot.lost) return;
    slot.lost = true;
    live = slots.filter((s) => !s.lost);
    const fallback = options.fallback;
    if (!fallback) {
      failure = e;
      wake();
      return;
    }
    options.onWorkerLost?.(`a detection worker stopped (${e.message}); its chunks were matched on the main thread`);
    for (const [id, b] of sent) {
      if (b.slot !== slot) continue;
      sent.delete(id);
      for (const chunk of b.chunks) ready.push({ chunk, matches: fallback(chunk) });
    }
    for (const chunk of slot.pending) ready.push({ chunk, matches: fallback(chunk) });
    slot.pending = [];
    slot.pendingBytes = 0;
    slot.inFlight = 0;
    void slot.worker.terminate();
    wake();
  };

  let nextBatch = 0;
  const spare: ArrayBuffer[] = [];
  const inFlight = (): number => slots.reduce((n, s) => n + s.inFlight, 0);
  // Every version of a path large enough to be compared with the last goes to the same worker, which
  // remembers that last version; other chunks go to the worker with the least work.
  const slotFor = (chunk: Chunk): Slot | null => {
    if (live.length === 0) return null;
    if (options.revisions && chunk.data.length >= REVISION_MIN_BYTES) return live[pathHash(chunk.provenance.path) % live.length]!;
    return live.reduce((a, b) => (b.inFlight + b.pendingBytes < a.inFlight + a.pendingBytes ? b : a));
  };
  const dispatch = (slot: Slot): void => {
    if (slot.pending.length === 0 || slot.lost) return;
    // Batch buffers go back and forth: a buffer allocated per batch was external memory the GC had to
    // answer for (a collection every ~40 MB), one handed back and sent again is not.
    const buffer = slot.pendingBytes <= BATCH_BUFFER ? (spare.pop() ?? new ArrayBuffer(BATCH_BUFFER)) : new ArrayBuffer(slot.pendingBytes);
    const bytes = new Uint8Array(buffer);
    const items: WorkerBatch['items'] = [];
    let offset = 0;
    for (const c of slot.pending) {
      bytes.set(c.data, offset);
      items.push({ offset, length: c.data.length, path: c.provenance.path });
      offset += c.data.length;
    }
    const batch = nextBatch++;
    sent.set(batch, { slot, chunks: slot.pending, bytes: slot.pendingBytes });
    slot.inFlight += slot.pendingBytes;
    slot.worker.postMessage({ batch, buffer, items } satisfies WorkerBatch, [buffer]);
    slot.pending = [];
    slot.pendingBytes = 0;
  };
  const dispatchIdle = (): void => {
    for (const s of slots) if (s.inFlight === 0) dispatch(s);
  };

  // The source is pulled by its own task, so that results are handed out while it waits on git.
  let sourceDone = false;
  const reading = (async () => {
    try {
      for await (const chunk of chunks) {
        const slot = slotFor(chunk);
        if (!slot) {
          // Every worker is lost (failure is set when there is no fallback).
          if (!options.fallback) return;
          ready.push({ chunk, matches: options.fallback(chunk) });
          wake();
          continue;
        }
        slot.pending.push(chunk);
        slot.pendingBytes += chunk.data.length;
        if (slot.pendingBytes >= BATCH_BYTES || slot.inFlight === 0) dispatch(slot);
        while (inFlight() >= MAX_IN_FLIGHT && !failure) await waitForEvent();
        if (failure) return;
      }
      for (const s of slots) dispatch(s);
    } catch (e) {
      failure = e as Error;
    } finally {
      sourceDone = true;
      wake();
    }
  })();

  try {
    while (true) {
      while (ready.length > 0) yield ready.shift()!;
      if (failure) throw failure;
      if (sourceDone && sent.size === 0 && slots.every((s) => s.pending.length === 0)) break;
      // Waiting for a result: anything pending for an idle worker goes out now rather than when a batch fills.
      dispatchIdle();
      await waitForEvent();
    }
    await reading;
  } finally {
    closing = true;
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { workerThreads } from '../core/builtins.js';
import { copyBytes } from '../core/bytes.js';
import type { Chunk, Match, Provenance, Rule } from '../core/types.js';
import { REVISION_MIN_BYTES } from './revisions.js';
import type { WorkerInit, WorkerMessage, WorkerResult } from './worker.js';

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

/** A batch is sent when it holds this many bytes (or IDLE_BATCH_BYTES, to an idle worker). */
const BATCH_BYTES = 512 * 1024;
/**
 * An idle worker is sent a batch once it holds this many bytes, not at the first chunk: each message wakes a
 * thread on both sides. A history of small blobs, read more slowly than matched, went out 2.8 blobs a batch
 * (7,317 messages for 20,698 blobs); a slow source's chunks wait a little longer, and its scan no longer.
 */
const IDLE_BATCH_BYTES = 128 * 1024;
/** Size of the shared batch buffers: a batch of small blobs fills one; a larger blob gets a larger one. */
const BATCH_BUFFER = 1024 * 1024;
/** Shared buffers kept for reuse, in bytes; past this, a released buffer is dropped (large blobs, bursts). */
const MAX_SHARED = 48 * 1024 * 1024;
/** Bytes handed to workers and not yet answered: bounds memory whatever the history size. */
const MAX_IN_FLIGHT = 16 * 1024 * 1024;

// From dist/detect/ or from the bundled CLI in dist/cli/: both one level below dist/.
const WORKER_FILE = fileURLToPath(new URL('../detect/worker.js', import.meta.url));

/** Workers need the compiled worker module; running from TypeScript sources (tests), there is none. */
export function workersAvailable(): boolean {
  return existsSync(WORKER_FILE);
}

/**
 * Memory shared with the workers, filled with batches again and again: sent to a worker once, then named
 * by its id. Nothing is allocated, transferred or collected per batch, on either side.
 */
interface Shared {
  id: number;
  bytes: Buffer;
  /** Workers that hold it. */
  known: Set<Slot>;
}

/** Chunks packed into one shared buffer, sent to one worker. */
interface Batch {
  id: number;
  slot: Slot;
  shared: Shared;
  provenance: Provenance[];
  /** Offset and length of each chunk in the buffer. */
  spans: number[];
  used: number;
}

interface Slot {
  worker: Worker;
  inFlight: number;
  /** The batch being filled for this worker. */
  open: Batch | null;
  /** Stopped: its work went to the fallback, and nothing more is routed to it. */
  lost: boolean;
  /** A dispatch is due at the end of this turn of the event loop. */
  due: boolean;
}

/** A result waiting for the consumer; the last of a batch releases the batch's buffer once passed. */
interface Ready {
  chunk: Chunk;
  matches: Match[];
  release: Shared | null;
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
 * chunk is being matched. Batching amortises the message cost (~30 µs) over many small blobs; an idle
 * worker gets a smaller batch, and whatever is left goes out when the source ends.
 *
 * A chunk's data is copied into a batch as soon as it arrives, so the source may lend it (the history
 * source does). A result's chunk data is a view of the batch's buffer: valid until the next result is
 * asked for.
 */
export async function* detectInWorkers(chunks: AsyncIterable<Chunk>, options: PoolOptions): AsyncIterable<{ chunk: Chunk; matches: Match[] }> {
  const init: WorkerInit = { rules: options.rules, options: options.detect, revisions: options.revisions === true };
  // No Node options for the worker: it runs only our compiled module, and many of the parent's options are
  // refused in a worker and made it throw (`node --max-old-space-size=4096 sprawl ...`, `--stack-size`,
  // or a library caller's `node --input-type=module -e ...`).
  const slots: Slot[] = Array.from({ length: Math.max(1, options.workers) }, () => ({
    worker: new (workerThreads().Worker)(options.workerFile ?? WORKER_FILE, { workerData: init, execArgv: [] }),
    inFlight: 0,
    open: null,
    lost: false,
    due: false,
  }));
  const sent = new Map<number, Batch>();
  const ready: Ready[] = [];
  let failure: Error | null = null;
  // Both the reading task (waiting for room) and the consumer (waiting for results) may be asleep.
  let waiters: Array<() => void> = [];
  const wake = (): void => {
    const w = waiters;
    waiters = [];
    for (const r of w) r();
  };
  const waitForEvent = (): Promise<void> => new Promise((r) => waiters.push(r));

  // Shared buffers not in use, and the bytes of all of them, in use or not.
  const free: Shared[] = [];
  let sharedBytes = 0;
  let nextShared = 0;
  const lease = (n: number): Shared => {
    let best = -1;
    for (let i = 0; i < free.length; i++) if (free[i]!.bytes.length >= n && (best < 0 || free[i]!.bytes.length < free[best]!.bytes.length)) best = i;
    if (best >= 0) return free.splice(best, 1)[0]!;
    const size = Math.max(BATCH_BUFFER, Math.ceil(n / BATCH_BUFFER) * BATCH_BUFFER);
    sharedBytes += size;
    return { id: nextShared++, bytes: Buffer.from(new SharedArrayBuffer(size)), known: new Set() };
  };
  const release = (shared: Shared): void => {
    if (sharedBytes <= MAX_SHARED) {
      free.push(shared);
      return;
    }
    sharedBytes -= shared.bytes.length;
    for (const slot of shared.known) if (!slot.lost) slot.worker.postMessage({ forget: shared.id } satisfies WorkerMessage);
  };
  // A batch's results, in order; the consumer's passing the last one frees its buffer.
  const settle = (b: Batch, matchesOf: (chunk: Chunk, i: number) => Match[]): void => {
    const n = b.provenance.length;
    for (let i = 0; i < n; i++) {
      const chunk = { data: b.shared.bytes.subarray(b.spans[2 * i]!, b.spans[2 * i]! + b.spans[2 * i + 1]!), provenance: b.provenance[i]! };
      ready.push({ chunk, matches: matchesOf(chunk, i), release: i === n - 1 ? b.shared : null });
    }
  };

  for (const slot of slots) {
    slot.worker.on('message', (msg: WorkerResult) => {
      const b = sent.get(msg.batch)!;
      sent.delete(msg.batch);
      slot.inFlight -= b.used;
      settle(b, (_, i) => msg.matches[i]!);
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
    // The shared buffers still hold what the worker was given.
    for (const [id, b] of sent) {
      if (b.slot !== slot) continue;
      sent.delete(id);
      settle(b, (chunk) => fallback(chunk));
    }
    if (slot.open) settle(slot.open, (chunk) => fallback(chunk));
    slot.open = null;
    slot.inFlight = 0;
    void slot.worker.terminate();
    wake();
  };

  let nextBatch = 0;
  const inFlight = (): number => slots.reduce((n, s) => n + s.inFlight, 0);
  // Every version of a path large enough to be compared with the last goes to the same worker, which
  // remembers that last version; other chunks go to the worker with the least work.
  const slotFor = (chunk: Chunk): Slot | null => {
    if (live.length === 0) return null;
    if (options.revisions && chunk.data.length >= REVISION_MIN_BYTES) return live[pathHash(chunk.provenance.path) % live.length]!;
    return live.reduce((a, b) => (b.inFlight + (b.open?.used ?? 0) < a.inFlight + (a.open?.used ?? 0) ? b : a));
  };
  const dispatch = (slot: Slot): void => {
    const b = slot.open;
    if (!b || slot.lost) return;
    slot.open = null;
    sent.set(b.id, b);
    slot.inFlight += b.used;
    // A log's path (a job named `test`) says nothing of its values: the test-path and documentation
    // heuristics are not asked for logs (as run.inspect does).
    const items = b.provenance.map((p, i) => ({ offset: b.spans[2 * i]!, length: b.spans[2 * i + 1]!, path: p.source === 'log' ? undefined : p.path }));
    const first = !b.shared.known.has(slot);
    b.shared.known.add(slot);
    const buffer = b.shared.bytes.buffer as SharedArrayBuffer;
    slot.worker.postMessage({ batch: b.id, shared: b.shared.id, ...(first ? { buffer } : {}), items } satisfies WorkerMessage);
  };
  const add = (slot: Slot, chunk: Chunk): void => {
    const n = chunk.data.length;
    if (slot.open && slot.open.used + n > slot.open.shared.bytes.length) dispatch(slot);
    const b = (slot.open ??= { id: nextBatch++, slot, shared: lease(n), provenance: [], spans: [], used: 0 });
    copyBytes(chunk.data, b.shared.bytes, b.used);
    b.spans.push(b.used, n);
    b.provenance.push(chunk.provenance);
    b.used += n;
    if (b.used >= BATCH_BYTES) dispatch(slot);
    else if (slot.inFlight === 0 && b.used >= IDLE_BATCH_BYTES && !slot.due) {
      // An idle worker gets what arrives during this turn of the event loop too, not this chunk alone.
      slot.due = true;
      setImmediate(() => {
        slot.due = false;
        if (slot.inFlight === 0) dispatch(slot);
      });
    }
  };
  const dispatchIdle = (): void => {
    for (const s of slots) if (s.inFlight === 0 && (sourceDone || (s.open?.used ?? 0) >= IDLE_BATCH_BYTES)) dispatch(s);
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
          // The source may lend its data; the result waits for the consumer.
          const kept = { data: Buffer.from(chunk.data), provenance: chunk.provenance };
          ready.push({ chunk: kept, matches: options.fallback(kept), release: null });
          wake();
          continue;
        }
        add(slot, chunk);
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
      while (ready.length > 0) {
        const r = ready.shift()!;
        yield { chunk: r.chunk, matches: r.matches };
        // The consumer is done with this result's data: the buffer may be filled again.
        if (r.release) release(r.release);
      }
      if (failure) throw failure;
      if (sourceDone && sent.size === 0 && slots.every((s) => s.open === null)) break;
      // Waiting for a result: a worker left idle gets what is pending, once it is worth a message.
      dispatchIdle();
      await waitForEvent();
    }
    await reading;
  } finally {
    closing = true;
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

/** One object out of `git cat-file --batch`: its content, or why there is none. */
export type BatchObject =
  | { oid: string; kind: 'blob'; data: Buffer }
  | { oid: string; kind: 'missing' }
  | { oid: string; kind: 'error'; message: string };

/**
 * Streams objects through one long-lived `git cat-file --batch`, in the order asked. Every blob is read
 * once, straight from the object store: on rails this runs at ~420 MiB/s, 2.5× faster than `git log -p`
 * (../shared/PERFORMANCE.md). If git dies on a corrupt object, that object is reported as an error and a
 * new process carries on with the rest.
 */
export async function* catFileBatch(repo: string, oids: AsyncIterable<string>): AsyncIterable<BatchObject> {
  // Listed and not yet written to git: handed over whole at each write.
  let queue: string[] = [];
  let inputDone = false;
  let wake: (() => void) | null = null;
  const notify = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };
  // The running process's writer: given every oid as it is listed, whatever the reading loop awaits.
  // With `--buffer`, git holds its last answers until stdin closes, so input must not wait for output.
  let onInput: (() => void) | null = null;
  let scheduled = false;
  const kick = (): void => {
    notify();
    if (scheduled) return;
    scheduled = true;
    // Once per turn of the event loop: the listing hands over oids in bursts, and a write per oid cost ~15 µs.
    setImmediate(() => {
      scheduled = false;
      onInput?.();
    });
  };
  // Feed oids from the listing as they arrive, so listing and reading overlap.
  const feeding = (async () => {
    for await (const oid of oids) {
      queue.push(oid);
      kick();
    }
    inputDone = true;
    kick();
  })();

  while (true) {
    if (queue.length === 0) {
      if (inputDone) break;
      await new Promise<void>((r) => (wake = r));
      continue;
    }
    // `--buffer`: git writes through stdio's buffer instead of flushing after every object (~10% faster).
    // Safe because every oid is written as soon as it is listed and stdin is closed after the last: git
    // flushes at end of input, so nothing waits in its buffer for a request that never comes.
    const proc = spawn('git', ['-C', repo, 'cat-file', '--batch', '--buffer'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const reader = new BatchReader(proc);
    // Asked of this process and not yet answered, oldest first, read from `next`.
    let asked: string[] = [];
    let next = 0;
    let failed = false;
    // Every oid listed goes to git at once (one write per wake-up): git never waits for a request, and the
    // requests (41 bytes an oid) are all the history this holds. Git's output is held back by the pipe.
    let closed = false;
    const send = (): void => {
      if (closed) return;
      if (queue.length > 0) {
        const batch = queue;
        queue = [];
        // Not push(...batch): a burst of a large history's listing is more arguments than a call takes.
        if (next === asked.length) {
          asked = batch;
          next = 0;
        } else asked = asked.concat(batch);
        proc.stdin.write(batch.join('\n') + '\n');
      }
      if (inputDone) {
        closed = true;
        proc.stdin.end();
      }
    };
    onInput = send;
    try {
      while (true) {
        send();
        if (next === asked.length) {
          if (closed) break;
          await new Promise<void>((r) => (wake = r));
          continue;
        }
        const obj = await reader.next();
        const oid = asked[next++]!;
        if (obj === null) {
          failed = true;
          yield { oid, kind: 'error', message: reader.stderr().trim() || 'git cat-file stopped' };
          // Anything asked after the object git died on goes back to the queue, for a new process.
          queue = asked.slice(next).concat(queue);
          break;
        }
        if (next > 4096 && next * 2 > asked.length) {
          asked = asked.slice(next);
          next = 0;
        }
        yield obj.kind === 'blob' ? { oid, kind: 'blob', data: obj.data } : { oid, kind: 'missing' };
      }
    } finally {
      onInput = null;
      if (!closed) proc.stdin.end();
      if (failed || next < asked.length) proc.kill();
    }
  }
  await feeding;
}

/** Bytes buffered from git before its stdout is paused: bounds memory whatever the history size. */
const HIGH_WATER = 8 * 1024 * 1024;

/** Parses cat-file's output: `<oid> <type> <size>\n<content>\n` or `<oid> missing\n`. */
class BatchReader {
  private chunks: Buffer[] = [];
  /** Read offset into chunks[0]. */
  private offset = 0;
  private length = 0;
  private ended = false;
  private errText = '';
  private waiter: (() => void) | null = null;

  constructor(private readonly proc: ChildProcessWithoutNullStreams) {
    proc.stdout.on('data', (d: Buffer) => {
      this.chunks.push(d);
      this.length += d.length;
      if (this.length > HIGH_WATER) proc.stdout.pause();
      this.wakeUp();
    });
    proc.stdout.on('end', () => {
      this.ended = true;
      this.wakeUp();
    });
    proc.stderr.on('data', (d: Buffer) => {
      if (this.errText.length < 4096) this.errText += d.toString('utf8');
    });
    proc.on('error', (e) => {
      this.errText += e.message;
      this.ended = true;
      this.wakeUp();
    });
  }

  stderr(): string {
    return this.errText;
  }

  private wakeUp(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  private async more(): Promise<boolean> {
    if (this.ended) return false;
    if (this.proc.stdout.isPaused()) this.proc.stdout.resume();
    await new Promise<void>((r) => (this.waiter = r));
    return true;
  }

  /** Removes and returns the next n buffered bytes, copying only when they span chunks. */
  private take(n: number): Buffer {
    this.length -= n;
    const first = this.chunks[0]!;
    if (first.length - this.offset >= n) {
      const out = first.subarray(this.offset, this.offset + n);
      this.offset += n;
      if (this.offset === first.length) {
        this.chunks.shift();
        this.offset = 0;
      }
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0]!;
      const k = Math.min(n - filled, c.length - this.offset);
      c.copy(out, filled, this.offset, this.offset + k);
      filled += k;
      this.offset += k;
      if (this.offset === c.length) {
        this.chunks.shift();
        this.offset = 0;
      }
    }
    return out;
  }

  private async line(): Promise<string | null> {
    while (true) {
      let seen = 0;
      for (let i = 0; i < this.chunks.length; i++) {
        const c = this.chunks[i]!;
        const from = i === 0 ? this.offset : 0;
        const nl = c.indexOf(10, from);
        if (nl >= 0) return this.take(seen + nl - from + 1).toString('utf8').slice(0, -1);
        seen += c.length - from;
      }
      if (!(await this.more())) return null;
    }
  }

  /** The next object, or null when git stopped before answering. */
  async next(): Promise<{ kind: 'blob' | 'missing'; data: Buffer } | null> {
    const header = await this.line();
    if (header === null) return null;
    const parts = header.split(' ');
    if (parts[1] === 'missing' || parts[1] === 'ambiguous') return { kind: 'missing', data: Buffer.alloc(0) };
    const size = Number(parts[2]);
    while (this.length < size + 1) if (!(await this.more())) return null;
    const data = size > 0 ? this.take(size) : Buffer.alloc(0);
    this.take(1);
    // A view into a stream chunk keeps the whole chunk alive; small blobs get their own copy.
    return { kind: 'blob', data: data.length < 16384 ? Buffer.from(data) : data };
  }
}

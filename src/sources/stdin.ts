import type { Chunk } from '../core/types.js';
import type { SourceContext } from './context.js';

/** `sprawl scan -`: everything on standard input, as one chunk at path `-`. */
export async function* stdinChunks(input: NodeJS.ReadableStream, ctx: SourceContext): AsyncIterable<Chunk> {
  const parts: Buffer[] = [];
  for await (const part of input) parts.push(typeof part === 'string' ? Buffer.from(part) : (part as Buffer));
  const data = Buffer.concat(parts);
  ctx.scanned(data.length);
  yield { data, provenance: { source: 'stdin', path: '-' } };
}

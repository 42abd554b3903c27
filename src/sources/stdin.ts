import type { Chunk } from '../core/types.js';
import type { SourceContext } from './context.js';
import { looksLikeCiLog } from './logs/clean.js';
import { logChunk } from './logs/chunk.js';

/** `sprawl scan -`: everything on standard input, as one chunk at path `-`; a CI log piped in
 * (`gh api .../actions/jobs/ID/logs | sprawl scan -`) is cleaned and read as one. */
export async function* stdinChunks(input: NodeJS.ReadableStream, ctx: SourceContext): AsyncIterable<Chunk> {
  const parts: Buffer[] = [];
  for await (const part of input) parts.push(typeof part === 'string' ? Buffer.from(part) : (part as Buffer));
  const data = Buffer.concat(parts);
  ctx.scanned(data.length);
  yield looksLikeCiLog(data) ? logChunk(data, { path: '-' }, ctx) : { data, provenance: { source: 'stdin', path: '-' } };
}

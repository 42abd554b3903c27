import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Chunk } from '../../core/types.js';
import type { SourceContext } from '../context.js';
import { logChunk, NUMBERED_TXT, type LogHint } from './chunk.js';
import { addLines, blankCopiedLines } from './run-log.js';

async function list(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch {
    return [];
  }
}

/**
 * A log file read from disk, as a log chunk. An extracted run-log zip keeps the archive's shape, so the
 * job and step come from the path the same way: `<job>/N_<step>.txt` is a step file when `N_<job>.txt`
 * lies beside its folder, and `N_<job>.txt` is a job file. When a folder is scanned, a job file's lines
 * that its step files repeat are blanked (they are scanned in the step files); a job file given alone is
 * scanned whole.
 */
export async function logFileChunk(chunk: Chunk, abs: string, ctx: SourceContext, explicit: boolean): Promise<Chunk> {
  const { source: _source, ...provenance } = chunk.provenance;
  const named = NUMBERED_TXT.exec(basename(abs));
  if (!named) return logChunk(chunk.data, provenance, ctx);
  const dir = dirname(abs);
  const parent = basename(dir);
  if ((await list(dirname(dir))).some((n) => NUMBERED_TXT.exec(n)?.[2] === parent)) {
    return logChunk(chunk.data, provenance, ctx, { system: 'github-actions', job: parent, step: named[2]! });
  }
  const job = named[2]!;
  const hint: LogHint = { job, step: null };
  const steps = explicit ? [] : (await list(join(dir, job))).filter((n) => n.endsWith('.txt'));
  if (steps.length === 0) return logChunk(chunk.data, provenance, ctx, hint);
  const copied = new Set<string>();
  for (const s of steps) {
    try {
      addLines(copied, await fs.readFile(join(dir, job, s)));
    } catch {
      // An unreadable step file is reported when the scan reaches it; its lines stay in the job file.
    }
  }
  return logChunk(blankCopiedLines(chunk.data, copied), provenance, ctx, { ...hint, system: 'github-actions' });
}

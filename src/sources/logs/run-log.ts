import type { Chunk, Provenance } from '../../core/types.js';
import type { SourceContext } from '../context.js';
import { logChunk, NUMBERED_TXT } from './chunk.js';

/**
 * GitHub Actions run-log archives, as `GET /repos/{owner}/{repo}/actions/runs/{run_id}/logs` serves them
 * (https://docs.github.com/rest/actions/workflow-runs#download-workflow-run-logs): one `N_<job>.txt` per
 * job at the top, holding the whole job's log, and a folder per job with one `N_<step>.txt` per step.
 */

/** A zip is a run-log archive when its entry names have that shape: only `.txt` files, at most one folder
 * deep, and every top-level file a numbered job file. */
export function isRunLogZip(names: string[]): boolean {
  const files = names.filter((n) => !n.endsWith('/'));
  const top = files.filter((n) => !n.includes('/'));
  return top.length > 0 && top.every((n) => NUMBERED_TXT.test(n)) && files.every((n) => n.endsWith('.txt') && n.split('/').length <= 2);
}

/** The job and step an entry name gives. A non-numbered file in a job folder belongs to no step. */
export function runLogEntry(name: string): { job: string; step: string | null; jobFile: boolean } {
  const slash = name.indexOf('/');
  if (slash === -1) return { job: NUMBERED_TXT.exec(name)?.[2] ?? name.replace(/\.txt$/, ''), step: null, jobFile: true };
  const base = name.slice(slash + 1);
  return { job: name.slice(0, slash), step: NUMBERED_TXT.exec(base)?.[2] ?? null, jobFile: false };
}

/** GitHub starts each log file with a UTF-8 byte-order mark: it is not part of the first line. */
function bomLength(data: Buffer): number {
  return data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf ? 3 : 0;
}

/** Adds each line of a step file (without its `\r`) to the set of lines its job file repeats. */
export function addLines(into: Set<string>, data: Buffer): void {
  for (const line of data.toString('latin1', bomLength(data)).split('\n')) {
    const l = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (l.trim()) into.add(l);
  }
}

/**
 * The job file with every line that one of its step files also holds blanked (newlines kept): the job
 * file repeats its steps' logs line for line, timestamps included, and each printed value should be found
 * once, in the step file that names its step. Lines no step file holds (a step log GitHub did not keep)
 * are still scanned here.
 */
export function blankCopiedLines(job: Buffer, copied: Set<string>): Buffer {
  const out = Buffer.from(job);
  let start = bomLength(job);
  while (start < out.length) {
    let end = out.indexOf(10, start);
    if (end === -1) end = out.length;
    let stop = end;
    if (stop > start && out[stop - 1] === 13) stop--;
    if (copied.has(out.toString('latin1', start, stop))) out.fill(0x20, start, stop);
    start = end + 1;
  }
  return out;
}

/**
 * The members of a run-log archive as log chunks with their job and step. Step files come first (as they
 * are read); job files wait until every step file of the archive has been seen, to skip what they repeat.
 */
export async function* runLogChunks(
  members: AsyncIterable<{ name: string; data: Buffer }>,
  archive: string,
  provenance: Omit<Provenance, 'path' | 'source'>,
  ctx: SourceContext,
): AsyncIterable<Chunk> {
  const jobFiles: Array<{ name: string; data: Buffer }> = [];
  const copied = new Map<string, Set<string>>();
  const chunk = (name: string, data: Buffer): Chunk | null => {
    const path = `${archive}!${name}`;
    if (data.subarray(0, 8000).includes(0)) {
      ctx.skip('binary', path);
      return null;
    }
    ctx.scanned(data.length);
    const { job, step } = runLogEntry(name);
    return logChunk(data, { ...provenance, path }, ctx, { system: 'github-actions', job, step });
  };
  for await (const m of members) {
    const entry = runLogEntry(m.name);
    if (entry.jobFile) {
      jobFiles.push(m);
      continue;
    }
    const lines = copied.get(entry.job) ?? new Set<string>();
    addLines(lines, m.data);
    copied.set(entry.job, lines);
    const c = chunk(m.name, m.data);
    if (c) yield c;
  }
  for (const m of jobFiles) {
    const lines = copied.get(runLogEntry(m.name).job);
    const c = chunk(m.name, lines ? blankCopiedLines(m.data, lines) : m.data);
    if (c) yield c;
  }
}

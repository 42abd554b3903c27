import type { Chunk, Provenance } from '../../core/types.js';
import type { SourceContext } from '../context.js';
import { cleanLog, looksLikeCiLog } from './clean.js';

/** What a log's container already says about it (a run-log zip's entry names); the rest is read from it. */
export interface LogHint {
  /** Overrides the system judged from the log's markers. */
  system?: string;
  job?: string | null;
  /** A step file's step: overrides the markers inside it. */
  step?: string | null;
}

/** GitHub Actions run-log entry names: `N_<job>.txt` for a job, `<job>/N_<step>.txt` for a step. */
export const NUMBERED_TXT = /^(\d+)_(.+)\.txt$/;

/**
 * Which files are read as CI logs: every `*.log`; a `.txt` named like a run-log entry (`3_build.txt`) whose
 * head reads like a runner's log; and any text file given explicitly as a target whose head does.
 * A folder's other `.txt` files stay plain files: notes and licences are not logs.
 */
export function isCiLog(path: string, data: Buffer, explicit: boolean): boolean {
  if (/\.log$/i.test(path)) return true;
  const base = path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('!')) + 1);
  return (explicit || NUMBERED_TXT.test(base)) && looksLikeCiLog(data);
}

/**
 * A log as a chunk: decorations blanked (offsets kept, see clean.ts), masks counted in
 * `stats.skipped['masked-in-log']`, and the job and steps recorded for the findings' `ci` field.
 * A GitLab trace does not name its job: its file name does (save traces as `<job>.log`).
 */
export function logChunk(data: Buffer, provenance: Omit<Provenance, 'source' | 'log'>, ctx: SourceContext, hint: LogHint = {}): Chunk {
  const read = readLog(data, provenance.path, ctx, hint);
  return { data: read.data, provenance: { ...provenance, source: 'log', log: read.log } };
}

/**
 * A log committed to a repository (`*.log`, a saved run-log entry), read from git history: cleaned and
 * placed like any log, but still a git blob, whose provenance is the commits that added it.
 */
export function committedLog(chunk: Chunk, ctx: SourceContext): Chunk {
  const read = readLog(chunk.data, chunk.provenance.path, ctx, {});
  return { data: read.data, provenance: { ...chunk.provenance, log: read.log } };
}

function readLog(data: Buffer, path: string, ctx: SourceContext, hint: LogHint): { data: Buffer; log: NonNullable<Provenance['log']> } {
  const cleaned = cleanLog(data);
  if (cleaned.masked > 0) ctx.count('masked-in-log', cleaned.masked);
  const system = hint.system ?? cleaned.system;
  const stem = path.replace(/^.*[/!]/, '').replace(/\.(?:log|txt)$/i, '');
  const job = hint.job !== undefined ? hint.job : system === 'gitlab-ci' && stem !== '-' ? stem : null;
  const steps = typeof hint.step === 'string' ? [{ at: 0, step: hint.step }] : cleaned.steps;
  return { data: cleaned.data, log: { system, job, steps } };
}

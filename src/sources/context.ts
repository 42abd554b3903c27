/**
 * What every source reports besides content: warnings naming the input, and counts of what it skipped.
 * Nothing is skipped without a count.
 */
export interface SourceContext {
  /** `kind` names a warning that may come by the thousand (a folder of Latin-1 files): at most 20 of a kind are listed. */
  warn(message: string, kind?: string): void;
  skip(reason: SkipReason, path: string, detail?: string): void;
  /** Counts inputs skipped in bulk, without a warning per input (e.g. what .gitignore excludes). */
  count(reason: SkipReason, n: number): void;
  /** Counts a file that was read and handed to the engine. */
  scanned(bytes: number): void;
  /** Counts a git blob that was read and handed to the engine. */
  scannedBlob(bytes: number): void;
}

export type SkipReason =
  | 'binary'
  | 'too-large'
  | 'unreadable'
  | 'broken-symlink'
  | 'symlink-loop'
  | 'symlink-dir'
  | 'ignored-by-allowlist'
  | 'not-a-file'
  | 'missing-object'
  | 'corrupt-object'
  | 'gitignored'
  /** Listed (tracked in git's index, or found by the listing) but gone when read: `rm` without `git rm`. */
  | 'deleted'
  | 'archive-bomb'
  | 'archive-depth'
  /** Values a CI runner masked in a log (`***`, `[MASKED]`): not reported, counted. */
  | 'masked-in-log'
  /** A CI configuration that is not valid YAML: its bytes are scanned, its jobs and steps are not known. */
  | 'ci-config-invalid'
  /** Matches past the per-file limit (a dump or generated data): counted, not reported. */
  | 'matches-over-limit';

export interface CollectedContext extends SourceContext {
  warnings: string[];
  skipped: Record<string, number>;
  files: number;
  blobs: number;
  bytes: number;
}

/** Warnings kept for one skip reason or kind: a folder of 5,000 images must not crowd out the one unreadable file. */
const WARNINGS_PER_REASON = 20;

/** A context that keeps warnings (capped overall and per skip reason; the counts stay whole) and counters. */
export function collectContext(maxWarnings = 200): CollectedContext {
  const push = (message: string): void => {
    if (ctx.warnings.length < maxWarnings) ctx.warnings.push(message);
    else if (ctx.warnings.length === maxWarnings) ctx.warnings.push('(further warnings omitted; see stats.skipped)');
  };
  // How many warnings of each kind came; past WARNINGS_PER_REASON, one line says the rest were not listed.
  const seen: Record<string, number> = {};
  const capped = (kind: string, message: string, further: string): void => {
    const n = (seen[kind] = (seen[kind] ?? 0) + 1);
    if (n <= WARNINGS_PER_REASON) push(message);
    else if (n === WARNINGS_PER_REASON + 1) push(further);
  };
  const ctx: CollectedContext = {
    warnings: [],
    skipped: {},
    files: 0,
    blobs: 0,
    bytes: 0,
    warn(message, kind) {
      if (kind === undefined) push(message);
      else capped(kind, message, `(further ${kind} warnings not listed)`);
    },
    skip(reason, path, detail) {
      ctx.skipped[reason] = (ctx.skipped[reason] ?? 0) + 1;
      // Allowlisted paths are the user's choice: count them, do not warn.
      if (reason === 'ignored-by-allowlist') return;
      capped(`skip:${reason}`, `${path}: skipped (${reason}${detail ? `: ${detail}` : ''})`, `(further ${reason} skips not listed; stats.skipped counts them all)`);
    },
    count(reason, n) {
      ctx.skipped[reason] = (ctx.skipped[reason] ?? 0) + n;
    },
    scanned(bytes) {
      ctx.files++;
      ctx.bytes += bytes;
    },
    scannedBlob(bytes) {
      ctx.blobs++;
      ctx.bytes += bytes;
    },
  };
  return ctx;
}

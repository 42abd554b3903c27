import { ConfigError } from '../config.js';
import type { Report } from '../core/types.js';
import {
  diffJson,
  diffText,
  InventoryError,
  lastScanDiff,
  lastScanId,
  listJson,
  listSecrets,
  listText,
  readScan,
  recordScan,
  STATUSES,
  withInventory,
  type InventoryStatus,
  type RecordResult,
} from '../inventory/index.js';
import { scanCoverage, type ScanOptions } from '../scan.js';
import { EXIT } from './scan-command.js';

/** Flags of `sprawl inventory list` and `sprawl inventory diff`. */
export interface InventoryFlags {
  inventory: string;
  status?: string;
  format?: string;
}

/** An inventory problem is the user's input problem: exit 2 with the message, no stack trace. */
function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw e instanceof InventoryError ? new ConfigError(e.message) : e;
  }
}

function formatOf(flags: InventoryFlags): 'text' | 'json' {
  const format = flags.format ?? 'text';
  if (format !== 'text' && format !== 'json') throw new ConfigError(`unknown format '${format}' for inventory (known: text, json)`);
  return format;
}

/**
 * `sprawl scan --inventory FILE`: records the report, covering the repositories the scan looked at in
 * full (see scanCoverage), and says on stderr what changed. Baseline secrets are left as they were.
 */
export async function recordInventory(file: string, report: Report, options: ScanOptions): Promise<RecordResult> {
  const coverage = await scanCoverage(options);
  return recordCovered(file, report, { repos: coverage.repos, unscoped: coverage.unscoped }, options.baseline);
}

/**
 * Records a report whose covered repositories the caller knows (`sprawl org`: every repository mirrored and
 * scanned, not those that failed, so a repository that could not be cloned resolves nothing).
 */
export function recordCovered(file: string, report: Report, coverage: { repos: string[]; unscoped: string | null }, baseline?: Set<string>): RecordResult {
  const result = guard(() => recordScan(file, report, { coveredRepos: coverage.repos, unscopedRepo: coverage.unscoped ?? undefined, suppressed: baseline }));
  const { counts, scan } = result;
  const note = coverage.repos.length === 0 ? ' (this scan covered no whole repository, so it resolves nothing)' : '';
  process.stderr.write(`sprawl: inventory ${file}: scan #${scan.id}: ${counts.new} new, ${counts.reopened} reopened, ${counts.open} open, ${counts.resolved} resolved${note}\n`);
  return result;
}

/** `sprawl inventory list`. */
export function inventoryList(flags: InventoryFlags, out: NodeJS.WritableStream): number {
  const format = formatOf(flags);
  const status = flags.status as InventoryStatus | undefined;
  if (status !== undefined && !STATUSES.includes(status)) throw new ConfigError(`unknown status '${status}' (known: ${STATUSES.join(', ')})`);
  const text = guard(() =>
    withInventory(flags.inventory, { mustExist: true }, ({ db }) => {
      const entries = listSecrets(db, { status });
      const last = readScan(db, lastScanId(db));
      return format === 'json' ? listJson(entries, last) : listText(entries, last, flags.inventory);
    }),
  );
  out.write(text);
  return EXIT.clean;
}

/** `sprawl inventory diff`. */
export function inventoryDiff(flags: InventoryFlags, out: NodeJS.WritableStream): number {
  const format = formatOf(flags);
  const text = guard(() =>
    withInventory(flags.inventory, { mustExist: true }, ({ db }) => {
      const diff = lastScanDiff(db);
      return format === 'json' ? diffJson(diff) : diffText(diff, flags.inventory);
    }),
  );
  out.write(text);
  return EXIT.clean;
}

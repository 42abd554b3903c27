import type BetterSqlite3 from 'better-sqlite3';
import { redact } from '../core/redact.js';
import type { Report } from '../core/types.js';
import { lastScanId, readScan } from './query.js';
import { withInventory, type Inventory } from './store.js';
import { NO_REPO, type InventoryStatus, type Location, type ScanRecord } from './types.js';

type Db = BetterSqlite3.Database;

/** How to record a report. */
export interface RecordOptions {
  /**
   * Repositories the scan looked at in full, named as findings name them: the basename of the repository's
   * top level (plus `unscopedRepo` when the scan covered inputs outside any repository). Only a scan that
   * covered every repository a secret was last seen in can resolve it; a secret it did not find is
   * removed from the covered repositories' places.
   */
  coveredRepos: string[];
  /** Name under which findings without a repository (files outside any repository, stdin) are recorded.
   * Default NO_REPO. */
  unscopedRepo?: string;
  /** secretIds the scan found but did not report (a baseline): left exactly as they were, never resolved. */
  suppressed?: Iterable<string>;
  /** Environment, read for the SPRAWL_TEST_CRASH_BEFORE_COMMIT test hook only. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Clock for the scan's `recordedAt`. Default the system clock. */
  now?: () => Date;
}

/** What recording one scan did. */
export interface RecordResult {
  scan: ScanRecord;
  /** The scan recorded before this one, if any. */
  previousScanId: number | null;
  /** Secrets this scan made `new`, `reopened` or `resolved`, and those it saw that stay (or become) `open`. */
  counts: Record<InventoryStatus, number>;
}

/** A secret as this scan saw it. */
interface Seen {
  ruleId: string;
  provider: string;
  preview: string;
  locations: Location[];
}

/**
 * The preview kept for a secret. A report made with --reveal holds raw values; the inventory redacts
 * again, so the file never holds more than a report without --reveal would (a redacted value is 5 or 9
 * characters ending in `*****`, which redaction leaves as it is).
 */
export function safePreview(value: string): string {
  return value.length <= 9 && value.endsWith('*****') ? value : redact(value);
}

function seenIn(report: Report, unscoped: string): Map<string, Seen> {
  const seen = new Map<string, Seen>();
  for (const s of report.secrets) seen.set(s.secretId, { ruleId: s.ruleId, provider: s.provider, preview: safePreview(s.secret), locations: [] });
  for (const f of report.findings) {
    const entry = seen.get(f.secretId);
    const loc = { repo: f.repo ?? unscoped, path: f.path };
    if (entry && !entry.locations.some((l) => l.repo === loc.repo && l.path === loc.path)) entry.locations.push(loc);
  }
  return seen;
}

/**
 * Test hook, documented in the README: with SPRAWL_TEST_CRASH_BEFORE_COMMIT=1 the process kills itself
 * (SIGKILL: no handler, no cleanup) after every write of the scan and before the commit, so the tests can
 * show that a crash leaves the previous state intact. A one-page cache first makes SQLite spill the
 * uncommitted pages into the WAL file, as a large scan would: the crash leaves them on disk, uncommitted.
 */
function crashHook(env: NodeJS.ProcessEnv, db: Db): { beforeCommit(): void } {
  const armed = env.SPRAWL_TEST_CRASH_BEFORE_COMMIT === '1';
  if (armed) db.pragma('cache_size = 1');
  return {
    beforeCommit() {
      if (armed) process.kill(process.pid, 'SIGKILL');
    },
  };
}

/** Records a report in an open inventory: every write in one IMMEDIATE transaction. */
export function recordReport(inv: Inventory, report: Report, options: RecordOptions): RecordResult {
  const { db } = inv;
  const unscoped = options.unscopedRepo ?? NO_REPO;
  const covered = new Set(options.coveredRepos);
  const suppressed = new Set(options.suppressed ?? []);
  const seen = seenIn(report, unscoped);
  const recordedAt = (options.now ?? (() => new Date()))().toISOString();
  const write = db.transaction(() => {
    const crash = crashHook(options.env ?? process.env, db);
    const previousScanId = lastScanId(db);
    const scanId = Number(
      db
        .prepare('INSERT INTO scans (started_at, finished_at, recorded_at, tool_version, targets, findings, secrets) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(report.scan.startedAt, report.scan.finishedAt, recordedAt, report.tool.version, JSON.stringify(report.scan.targets), report.findings.length, report.secrets.length).lastInsertRowid,
    );
    const addRepo = db.prepare('INSERT INTO scan_repos (scan_id, repo) VALUES (?, ?)');
    for (const repo of covered) addRepo.run(scanId, repo);
    const counts: Record<InventoryStatus, number> = { new: 0, open: 0, resolved: 0, reopened: 0 };
    const step: Step = { sql: statements(db), scanId, at: report.scan.startedAt, covered, coveredJson: JSON.stringify([...covered]) };
    for (const [id, s] of seen) counts[recordSeen(step, id, s)]++;
    for (const id of db.prepare(`SELECT secret_id FROM secrets WHERE status != 'resolved'`).pluck().all() as string[]) {
      if (seen.has(id) || suppressed.has(id)) continue;
      if (recordMissing(step, id)) counts.resolved++;
    }
    crash.beforeCommit();
    return { scanId, previousScanId, counts };
  });
  const { scanId, previousScanId, counts } = write.immediate();
  return { scan: readScan(db, scanId)!, previousScanId, counts };
}

/** The statements of the per-secret steps, compiled once per scan rather than once per secret. */
function statements(db: Db) {
  return {
    status: db.prepare('SELECT status FROM secrets WHERE secret_id = ?').pluck(),
    insert: db.prepare(
      `INSERT INTO secrets (secret_id, rule_id, provider, preview, first_detected, last_detected, first_scan, last_scan, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    update: db.prepare('UPDATE secrets SET rule_id = ?, provider = ?, preview = ?, last_detected = ?, last_scan = ?, status = ? WHERE secret_id = ?'),
    resolve: db.prepare(`UPDATE secrets SET status = 'resolved' WHERE secret_id = ?`),
    history: db.prepare('INSERT INTO status_history (secret_id, scan_id, at, status) VALUES (?, ?, ?, ?)'),
    repos: db.prepare('SELECT DISTINCT repo FROM locations WHERE secret_id = ?').pluck(),
    forgetAll: db.prepare('DELETE FROM locations WHERE secret_id = ?'),
    forgetIn: db.prepare('DELETE FROM locations WHERE secret_id = ? AND repo IN (SELECT value FROM json_each(?))'),
    place: db.prepare('INSERT INTO locations (secret_id, repo, path, scan_id) VALUES (?, ?, ?, ?) ON CONFLICT (secret_id, repo, path) DO UPDATE SET scan_id = excluded.scan_id'),
  };
}

/** One scan's context for the per-secret steps. */
interface Step {
  sql: ReturnType<typeof statements>;
  scanId: number;
  /** The scan's start time: a secret's detection time. */
  at: string;
  covered: Set<string>;
  /** The covered repositories as a JSON array, for `json_each`. */
  coveredJson: string;
}

/** A secret the scan found: new, reopened, or open; its places in covered repositories replaced. */
function recordSeen({ sql, scanId, at, coveredJson }: Step, id: string, s: Seen): InventoryStatus {
  const prev = sql.status.get(id) as InventoryStatus | undefined;
  const status: InventoryStatus = prev === undefined ? 'new' : prev === 'resolved' ? 'reopened' : 'open';
  if (prev === undefined) sql.insert.run(id, s.ruleId, s.provider, s.preview, at, at, scanId, scanId, status);
  else sql.update.run(s.ruleId, s.provider, s.preview, at, scanId, status, id);
  if (status !== prev) sql.history.run(id, scanId, at, status);
  // A resolved secret's places were its last known ones; found again, only where it is now counts.
  if (prev === 'resolved') sql.forgetAll.run(id);
  else sql.forgetIn.run(id, coveredJson);
  for (const l of s.locations) sql.place.run(id, l.repo, l.path, scanId);
  return status;
}

/**
 * A secret the scan did not find. Resolved when the scan covered every repository it was last seen in
 * (its places stay, as the last known ones); otherwise it is only gone from the covered repositories.
 * Returns whether it was resolved.
 */
function recordMissing({ sql, scanId, at, covered, coveredJson }: Step, id: string): boolean {
  const repos = sql.repos.all(id) as string[];
  if (repos.length > 0 && repos.every((r) => covered.has(r))) {
    sql.resolve.run(id);
    sql.history.run(id, scanId, at, 'resolved');
    return true;
  }
  if (repos.some((r) => covered.has(r))) sql.forgetIn.run(id, coveredJson);
  return false;
}

/**
 * The library entry point: opens (or creates) the inventory at `dbPath`, records the report in one
 * transaction, and closes it. For `sprawl scan --inventory` and any command that scans repositories.
 */
export function recordScan(dbPath: string, report: Report, options: RecordOptions): RecordResult {
  return withInventory(dbPath, {}, (inv) => recordReport(inv, report, options));
}

import type BetterSqlite3 from 'better-sqlite3';
import type { InventoryDiff, InventoryEntry, InventoryStatus, Location, ScanRecord, StatusEvent } from './types.js';

type Db = BetterSqlite3.Database;

interface SecretRow {
  secret_id: string;
  rule_id: string;
  provider: string;
  preview: string;
  status: InventoryStatus;
  first_detected: string;
  last_detected: string;
  first_scan: number;
  last_scan: number;
}

interface ScanRow {
  id: number;
  started_at: string;
  finished_at: string;
  recorded_at: string;
  tool_version: string;
  targets: string;
  findings: number;
  secrets: number;
}

/** Rows → entries, with their locations and history in two queries rather than two per secret. */
function entries(db: Db, rows: SecretRow[]): InventoryEntry[] {
  if (rows.length === 0) return [];
  const ids = JSON.stringify(rows.map((r) => r.secret_id));
  const places = new Map<string, Location[]>();
  const locs = db.prepare(`SELECT secret_id, repo, path FROM locations WHERE secret_id IN (SELECT value FROM json_each(?)) ORDER BY repo, path`).all(ids) as Array<Location & { secret_id: string }>;
  for (const l of locs) push(places, l.secret_id, { repo: l.repo, path: l.path });
  const events = new Map<string, StatusEvent[]>();
  const hist = db.prepare(`SELECT secret_id, scan_id, at, status FROM status_history WHERE secret_id IN (SELECT value FROM json_each(?)) ORDER BY scan_id`).all(ids) as Array<{ secret_id: string; scan_id: number; at: string; status: InventoryStatus }>;
  for (const h of hist) push(events, h.secret_id, { scan: h.scan_id, at: h.at, status: h.status });
  return rows.map((r) => ({
    secretId: r.secret_id,
    ruleId: r.rule_id,
    provider: r.provider,
    preview: r.preview,
    status: r.status,
    firstDetected: r.first_detected,
    lastDetected: r.last_detected,
    firstScan: r.first_scan,
    lastScan: r.last_scan,
    locations: places.get(r.secret_id) ?? [],
    history: events.get(r.secret_id) ?? [],
  }));
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Every secret (or those with one status), most recently detected first, then by secretId. */
export function listSecrets(db: Db, filter: { status?: InventoryStatus } = {}): InventoryEntry[] {
  const where = filter.status ? 'WHERE status = ?' : '';
  const rows = db.prepare(`SELECT * FROM secrets ${where} ORDER BY last_scan DESC, secret_id`).all(...(filter.status ? [filter.status] : [])) as SecretRow[];
  return entries(db, rows);
}

/** The secrets whose status one scan changed to `status`, by secretId. */
export function changedIn(db: Db, scanId: number, status: InventoryStatus): InventoryEntry[] {
  const rows = db
    .prepare(`SELECT s.* FROM secrets s JOIN status_history h ON h.secret_id = s.secret_id WHERE h.scan_id = ? AND h.status = ? ORDER BY s.secret_id`)
    .all(scanId, status) as SecretRow[];
  return entries(db, rows);
}

/** A recorded scan, or null. */
export function readScan(db: Db, id: number | null): ScanRecord | null {
  if (id === null) return null;
  const row = db.prepare('SELECT * FROM scans WHERE id = ?').get(id) as ScanRow | undefined;
  if (!row) return null;
  const repos = db.prepare('SELECT repo FROM scan_repos WHERE scan_id = ? ORDER BY repo').pluck().all(id) as string[];
  return {
    id: row.id,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    recordedAt: row.recorded_at,
    toolVersion: row.tool_version,
    targets: JSON.parse(row.targets) as string[],
    repos,
    findings: row.findings,
    secrets: row.secrets,
  };
}

/** The id of the last scan recorded before `before` (or the last of all), or null. */
export function lastScanId(db: Db, before?: number): number | null {
  const id = before === undefined ? db.prepare('SELECT max(id) FROM scans').pluck().get() : db.prepare('SELECT max(id) FROM scans WHERE id < ?').pluck().get(before);
  return typeof id === 'number' ? id : null;
}

/** What the last scan changed: the secrets it made new, reopened or resolved, against the scan before. */
export function lastScanDiff(db: Db): InventoryDiff {
  const last = lastScanId(db);
  const scan = readScan(db, last);
  if (!scan) return { scan: null, previous: null, new: [], reopened: [], resolved: [] };
  return {
    scan,
    previous: readScan(db, lastScanId(db, scan.id)),
    new: changedIn(db, scan.id, 'new'),
    reopened: changedIn(db, scan.id, 'reopened'),
    resolved: changedIn(db, scan.id, 'resolved'),
  };
}

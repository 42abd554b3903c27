import type BetterSqlite3 from 'better-sqlite3';
import { InventoryError } from './errors.js';

type Db = BetterSqlite3.Database;

/** One step of the schema. Steps run in order, each at most once per file, inside one transaction. */
export interface Migration {
  /** The schema version a file has after this step: 1 for the first, then 2, 3, ... with no gaps. */
  version: number;
  /** What the step changes, for the reader of this file. */
  describe: string;
  up(db: Db): void;
}

/**
 * The schema's history. Append a step to change the schema; never edit a released step, since files in
 * the wild already ran it. Times are ISO-8601 strings (UTC); lists of strings are JSON arrays.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    describe: 'scans and the repositories each covered; secrets by secretId, their last places and status history',
    up(db) {
      db.exec(`
        CREATE TABLE scans (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          started_at TEXT NOT NULL,
          finished_at TEXT NOT NULL,
          recorded_at TEXT NOT NULL,
          tool_version TEXT NOT NULL,
          targets TEXT NOT NULL,
          findings INTEGER NOT NULL,
          secrets INTEGER NOT NULL
        );
        CREATE TABLE scan_repos (
          scan_id INTEGER NOT NULL REFERENCES scans(id),
          repo TEXT NOT NULL,
          PRIMARY KEY (scan_id, repo)
        );
        CREATE TABLE secrets (
          secret_id TEXT PRIMARY KEY,
          rule_id TEXT NOT NULL,
          provider TEXT NOT NULL,
          preview TEXT NOT NULL,
          first_detected TEXT NOT NULL,
          last_detected TEXT NOT NULL,
          first_scan INTEGER NOT NULL REFERENCES scans(id),
          last_scan INTEGER NOT NULL REFERENCES scans(id),
          status TEXT NOT NULL CHECK (status IN ('new', 'open', 'resolved', 'reopened'))
        );
        CREATE INDEX secrets_by_status ON secrets(status);
        CREATE TABLE locations (
          secret_id TEXT NOT NULL REFERENCES secrets(secret_id),
          repo TEXT NOT NULL,
          path TEXT NOT NULL,
          scan_id INTEGER NOT NULL REFERENCES scans(id),
          PRIMARY KEY (secret_id, repo, path)
        );
        CREATE TABLE status_history (
          secret_id TEXT NOT NULL REFERENCES secrets(secret_id),
          scan_id INTEGER NOT NULL REFERENCES scans(id),
          at TEXT NOT NULL,
          status TEXT NOT NULL CHECK (status IN ('new', 'open', 'resolved', 'reopened')),
          PRIMARY KEY (secret_id, scan_id)
        );
        CREATE INDEX status_history_by_scan ON status_history(scan_id);
      `);
    },
  },
];

/** The version this sprawl writes. */
export const SCHEMA_VERSION = lastVersion(MIGRATIONS);

/** The version a list of steps ends at; throws if the versions are not 1, 2, 3, ... */
function lastVersion(steps: readonly Migration[]): number {
  steps.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${i + 1} is numbered ${m.version}: versions must run 1, 2, 3, ...`);
  });
  return steps.length;
}

function currentVersion(db: Db, path: string): number {
  const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).pluck().all() as string[];
  if (!tables.includes('schema_version')) {
    // An empty file is a new inventory; a database with other tables is someone else's: never write into it.
    if (tables.length > 0) throw new InventoryError(`${path}: not a sprawl inventory (an SQLite database without a schema_version table)`);
    return 0;
  }
  const version = db.prepare('SELECT version FROM schema_version').pluck().get();
  if (typeof version !== 'number') throw new InventoryError(`${path}: not a sprawl inventory (schema_version holds no version)`);
  return version;
}

/**
 * Brings the file to the last step's version (SCHEMA_VERSION): the pending steps, in order, in one
 * IMMEDIATE transaction, so a failing step leaves the file as it was and two processes opening a new file
 * at once cannot both run step 1. A file from a newer sprawl is refused. `steps` is for tests.
 */
export function migrate(db: Db, path: string, steps: readonly Migration[] = MIGRATIONS): number {
  const latest = lastVersion(steps);
  const before = currentVersion(db, path);
  if (before > latest) {
    throw new InventoryError(`${path}: inventory schema version ${before} is newer than this sprawl's (${latest}); upgrade sprawl`);
  }
  if (before === latest) return before;
  db.transaction(() => {
    // Read again under the write lock: another process may have migrated since.
    const from = currentVersion(db, path);
    if (from === 0) {
      db.exec('CREATE TABLE schema_version (version INTEGER NOT NULL)');
      db.prepare('INSERT INTO schema_version (version) VALUES (0)').run();
    }
    for (const step of steps.filter((m) => m.version > from)) {
      step.up(db);
      db.prepare('UPDATE schema_version SET version = ?').run(step.version);
    }
  }).immediate();
  return latest;
}

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { InventoryError } from './errors.js';
import { migrate } from './schema.js';

/** An open inventory file. */
export interface Inventory {
  db: BetterSqlite3.Database;
  /** The file, as the user named it: every error message names it. */
  path: string;
}

/** Options for opening an inventory. */
export interface OpenOptions {
  /** Refuse a file that does not exist (reading commands) rather than create it. Default false. */
  mustExist?: boolean;
  /** Milliseconds to wait for another process's write lock before giving up. Default 5000. */
  busyTimeoutMs?: number;
}

/** Default wait for another writer: two shard merges recording at once take turns instead of failing. */
export const BUSY_TIMEOUT_MS = 5000;

let sqlite: typeof BetterSqlite3 | undefined;

/**
 * better-sqlite3 is a native addon: load it on first use only, so that `sprawl scan --staged` (the
 * pre-commit hook, run on every commit) never pays for it.
 */
function driver(): typeof BetterSqlite3 {
  sqlite ??= createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
  return sqlite;
}

/**
 * Opens (or creates) an inventory: WAL journal, so readers never block the writer and a crash mid-write
 * leaves the last committed state; a busy timeout, so concurrent writers wait for each other; foreign keys
 * on; then the schema migrations. Errors name the file.
 */
export function openInventory(path: string, options: OpenOptions = {}): Inventory {
  if (options.mustExist && !existsSync(path)) throw new InventoryError(`${path}: no such inventory (record one first with sprawl scan --inventory ${path})`);
  let db: BetterSqlite3.Database;
  try {
    const Database = driver();
    db = new Database(path, { fileMustExist: options.mustExist === true, timeout: options.busyTimeoutMs ?? BUSY_TIMEOUT_MS });
  } catch (e) {
    throw new InventoryError(`${path}: cannot open inventory: ${(e as Error).message}`);
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    migrate(db, path);
  } catch (e) {
    db.close();
    if (e instanceof InventoryError) throw e;
    const code = (e as { code?: string }).code;
    if (code === 'SQLITE_NOTADB') throw new InventoryError(`${path}: not a sprawl inventory (not an SQLite database)`);
    throw new InventoryError(`${path}: cannot open inventory: ${(e as Error).message}`);
  }
  return { db, path };
}

/** Opens the inventory, runs `fn`, and closes it whatever happens. */
export function withInventory<T>(path: string, options: OpenOptions, fn: (inv: Inventory) => T): T {
  const inv = openInventory(path, options);
  try {
    return fn(inv);
  } finally {
    inv.db.close();
  }
}

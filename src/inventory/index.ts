/**
 * The inventory: an SQLite file (better-sqlite3) that remembers, by secretId, every secret that scans
 * found, where the last scans found it, and its status history across scans. It records a Report; it
 * never holds a raw value.
 */
export { InventoryError } from './errors.js';
export { diffJson, diffText, listJson, listText } from './format.js';
export { changedIn, lastScanDiff, lastScanId, listSecrets, readScan } from './query.js';
export { recordReport, recordScan, safePreview, type RecordOptions, type RecordResult } from './record.js';
export { MIGRATIONS, SCHEMA_VERSION, migrate, type Migration } from './schema.js';
export { BUSY_TIMEOUT_MS, openInventory, withInventory, type Inventory, type OpenOptions } from './store.js';
export { NO_REPO, STATUSES, type InventoryDiff, type InventoryEntry, type InventoryStatus, type Location, type ScanRecord, type StatusEvent } from './types.js';

/**
 * A secret's status in the inventory, as of the last scan that saw it or could have resolved it:
 * - `new`: first seen in that scan;
 * - `open`: seen again (the scan after `new` or `reopened` makes it `open`);
 * - `resolved`: not found anywhere a scan looked, in a scan that covered every repository it was last
 *   seen in (a scan that did not cover one of them leaves it as it was);
 * - `reopened`: found again after being resolved.
 */
export type InventoryStatus = 'new' | 'open' | 'resolved' | 'reopened';

export const STATUSES: readonly InventoryStatus[] = ['new', 'open', 'resolved', 'reopened'];

/** The name under which findings outside any repository are recorded, unless the caller names them. */
export const NO_REPO = '(no repository)';

/** A place a secret was found: the finding's repository (or the scan's name for files outside one) and path. */
export interface Location {
  repo: string;
  /** The finding's path: relative to the scan target, `archive.zip!member` inside archives. */
  path: string;
}

/** One change of a secret's status. */
export interface StatusEvent {
  /** The scan that made the change. */
  scan: number;
  /** The scan's start time (ISO-8601). */
  at: string;
  status: InventoryStatus;
}

/** A secret as the inventory remembers it. Never a raw value: a secretId and a redacted preview. */
export interface InventoryEntry {
  /** Keyed HMAC of the value (core/identity.ts): the key across scans. */
  secretId: string;
  ruleId: string;
  provider: string;
  /** Redacted value, as in a report without --reveal (`ghp_*****`). */
  preview: string;
  status: InventoryStatus;
  /** Start time (ISO-8601) of the first scan that found it. */
  firstDetected: string;
  /** Start time (ISO-8601) of the last scan that found it. */
  lastDetected: string;
  firstScan: number;
  lastScan: number;
  /** Where the last scans found it: this scan's places, plus earlier places in repositories it did not cover.
   * For a resolved secret, the last places it was seen. Sorted by repo, then path. */
  locations: Location[];
  /** Every status change, oldest first. A scan that sees an `open` secret again adds nothing. */
  history: StatusEvent[];
}

/** A recorded scan. */
export interface ScanRecord {
  /** Increasing from 1 in the order scans were recorded. */
  id: number;
  /** ISO-8601 times from the report. */
  startedAt: string;
  finishedAt: string;
  /** When the inventory recorded it (ISO-8601). */
  recordedAt: string;
  toolVersion: string;
  /** The scan's targets as given. */
  targets: string[];
  /** The repositories the scan covered in full: only these can resolve a secret. Sorted. */
  repos: string[];
  /** Findings and unique secrets in the report. */
  findings: number;
  secrets: number;
}

/** What one scan changed, and what the scan before it was. */
export interface InventoryDiff {
  /** The last recorded scan; null in an empty inventory. */
  scan: ScanRecord | null;
  /** The scan recorded before it, if any. */
  previous: ScanRecord | null;
  new: InventoryEntry[];
  reopened: InventoryEntry[];
  resolved: InventoryEntry[];
}

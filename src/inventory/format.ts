import type { InventoryDiff, InventoryEntry, ScanRecord } from './types.js';

/** Places shown per secret in text output; JSON has them all. */
const MAX_PLACES = 5;

/** ISO time to the second: enough to tell scans apart, short enough for a column. */
function time(iso: string): string {
  return iso.replace(/\.\d+Z$/, 'Z');
}

function places(e: InventoryEntry): string {
  const shown = e.locations.slice(0, MAX_PLACES).map((l) => `${l.repo}: ${l.path}`);
  const more = e.locations.length - shown.length;
  return shown.join(', ') + (more > 0 ? `, and ${more} more` : '');
}

function row(e: InventoryEntry): string {
  return [e.status.padEnd(9), e.secretId, e.ruleId, e.preview, `first ${time(e.firstDetected)}`, `last ${time(e.lastDetected)}`].join('  ') + `\n           ${places(e)}\n`;
}

function describeScan(s: ScanRecord): string {
  const covered = s.repos.length > 0 ? s.repos.join(', ') : 'none (nothing can be resolved)';
  return `#${s.id} at ${time(s.startedAt)} (targets: ${s.targets.join(' ')}; covered: ${covered})`;
}

/** `sprawl inventory list` as text: one row per secret, its places indented under it. */
export function listText(entries: InventoryEntry[], lastScan: ScanRecord | null, file: string): string {
  if (!lastScan) return `${file}: no scans recorded yet\n`;
  const counts = (['new', 'open', 'reopened', 'resolved'] as const).map((s) => `${entries.filter((e) => e.status === s).length} ${s}`);
  const head = `${file}: ${entries.length} secret(s): ${counts.join(', ')}; last scan ${describeScan(lastScan)}\n`;
  return head + entries.map(row).join('');
}

/** `sprawl inventory list` as JSON: the last scan and every entry, with places and status history. */
export function listJson(entries: InventoryEntry[], lastScan: ScanRecord | null): string {
  return JSON.stringify({ lastScan, secrets: entries }, null, 2) + '\n';
}

/** `sprawl inventory diff` as text: what the last scan made new, reopened or resolved. */
export function diffText(diff: InventoryDiff, file: string): string {
  if (!diff.scan) return `${file}: no scans recorded yet\n`;
  const against = diff.previous ? `against scan ${describeScan(diff.previous)}` : '(the first scan)';
  const changed = [...diff.new, ...diff.reopened, ...diff.resolved];
  const head =
    `Last scan ${describeScan(diff.scan)}\n${against}\n` +
    `${diff.new.length} new, ${diff.reopened.length} reopened, ${diff.resolved.length} resolved\n`;
  return head + changed.map(row).join('');
}

/** `sprawl inventory diff` as JSON. */
export function diffJson(diff: InventoryDiff): string {
  return JSON.stringify(diff, null, 2) + '\n';
}

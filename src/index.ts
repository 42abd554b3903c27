/** The library: `scan()` returns the report; formatters turn it into text, JSON or SARIF; `recordScan()`
 * records it in an inventory (better-sqlite3, loaded on first use). */
export { scan, scanCoverage, type ScanCoverage, type ScanOptions } from './scan.js';
export { loadConfig, loadBaseline, ConfigError, type SprawlConfig } from './config.js';
export { FORMATS, type FormatName } from './report/index.js';
export type { Chunk, Finding, Match, Provenance, Report, Rule, Secret } from './core/types.js';
export {
  recordScan,
  openInventory,
  withInventory,
  listSecrets,
  lastScanDiff,
  InventoryError,
  type RecordOptions,
  type RecordResult,
  type InventoryEntry,
  type InventoryDiff,
  type InventoryStatus,
} from './inventory/index.js';
export { prepareRules, type PreparedRules } from './scan.js';
export { scanOrg, type OrgScanOptions } from './org/scan-org.js';
export { mergeReports, readReportFile, type MergeOptions } from './org/merge.js';
export { parseRepoList, type RepoTarget } from './org/targets.js';
export { listOrgRepos } from './org/github.js';
export { inShard, parseShard, shardOf, type Shard } from './org/shard.js';

/** The library: `scan()` returns the report; formatters turn it into text, JSON or SARIF. */
export { scan, type ScanOptions } from './scan.js';
export { loadConfig, loadBaseline, ConfigError, type SprawlConfig } from './config.js';
export { FORMATS, type FormatName } from './report/index.js';
export type { Chunk, Finding, Match, Provenance, Report, Rule, Secret } from './core/types.js';

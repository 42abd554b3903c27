import type { Report } from '../core/types.js';

/** The JSON report, schemaVersion 1: every key of the documented schema, nothing else. */
export function formatJson(report: Report): string {
  const { rules: _rules, ...rest } = report;
  return JSON.stringify(rest, null, 2) + '\n';
}

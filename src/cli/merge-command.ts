import { ConfigError, emptyConfig, loadConfig } from '../config.js';
import { mergeReports, readReportFile } from '../org/merge.js';
import { prepareRules } from '../scan.js';
import { EXIT, findingsExitCode, reportFormat, writeReport } from './scan-command.js';

/** `sprawl merge` flags. */
export interface MergeFlags {
  format?: string;
  output?: string;
  /** sprawl.yaml whose `rules` the shards used: their criticality and playbooks recompute risk. */
  config?: string;
  rules?: string[];
  exitCode?: string;
  color?: boolean;
}

/**
 * `sprawl merge shard-*.json`: one report from the shards' JSON reports, secrets deduplicated by secretId.
 * Every file must be a sprawl JSON report (exit 2 naming the one that is not). Exit codes as for `org`:
 * 2 when a shard reports a repository it could not scan, else 1 with findings, else 0.
 */
export async function mergeCommand(files: string[], flags: MergeFlags): Promise<number> {
  if (files.length === 0) throw new ConfigError('sprawl merge: give the JSON reports to merge (e.g. shard-*.json)');
  const format = reportFormat(flags);
  const findingsExit = findingsExitCode(flags);
  const reports = files.map(readReportFile);
  const { ruleSet } = prepareRules({ rulesDirs: flags.rules }, flags.config ? loadConfig(flags.config) : emptyConfig());
  const warnings: string[] = [];
  const seen = new Map<string, string>();
  reports.forEach((r, i) => {
    for (const t of r.scan.targets) {
      const first = seen.get(t);
      if (first) warnings.push(`${t}: in both ${first} and ${files[i]}; its findings are counted once, its stats twice`);
      else seen.set(t, files[i]!);
    }
  });
  const report = mergeReports(reports, { rules: ruleSet.byId, warnings });
  writeReport(report, format, flags);
  if ((report.scan.stats.skipped['repository-failed'] ?? 0) > 0) {
    process.stderr.write(`sprawl: ${report.scan.stats.skipped['repository-failed']} repository(ies) could not be scanned; see the warnings\n`);
    return EXIT.error;
  }
  return report.findings.length > 0 ? findingsExit : EXIT.clean;
}

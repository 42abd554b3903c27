import { readFileSync } from 'node:fs';
import { mergeFindings, mergeSecrets } from '../analyze/merge.js';
import { ConfigError } from '../config.js';
import type { Report, Rule, RuleSummary, ScanStats } from '../core/types.js';
import { ruleSummary } from '../scan.js';
import { VERSION } from '../version.js';

/** Options of a merge: what the merged report knows besides its inputs. */
export interface MergeOptions {
  /** Rules by id: criticality and revocation steps for risk and playbooks (see analyze/merge.ts). */
  rules: Map<string, Rule>;
  /** The merged report's targets. Default: every input's targets, once each. */
  targets?: string[];
  /** Warnings to add after the inputs' (repositories that could not be scanned). */
  warnings?: string[];
  /** Counts to add to `stats.skipped` (`repository-failed`). */
  skipped?: Record<string, number>;
  /** Wall time of an org scan. Default: the inputs' durations summed (the compute time of the shards). */
  durationMs?: number;
  /** Clock, for a merge of no report at all. */
  now?: () => Date;
}

/**
 * One report from several: shard reports into the org's, or each repository's report into a shard's.
 * Findings are concatenated (once per id), secrets deduplicated by secretId (analyze/merge.ts), counters
 * summed, warnings concatenated; the scan runs from the earliest start to the latest finish. Only
 * reported records are read: redacted shard reports merge into a redacted report.
 */
export function mergeReports(reports: Report[], options: MergeOptions): Report {
  const findings = mergeFindings(reports.map((r) => r.findings));
  const secrets = mergeSecrets(reports.map((r) => r.secrets), findings, options.rules);
  const now = (options.now ?? (() => new Date()))().toISOString();
  const starts = reports.map((r) => r.scan.startedAt).sort();
  const ends = reports.map((r) => r.scan.finishedAt).sort();
  const stats = sumStats(reports.map((r) => r.scan.stats));
  for (const [k, v] of Object.entries(options.skipped ?? {})) stats.skipped[k] = (stats.skipped[k] ?? 0) + v;
  if (options.durationMs !== undefined) stats.durationMs = options.durationMs;
  return {
    schemaVersion: 1,
    tool: { name: 'sprawl', version: VERSION },
    scan: {
      startedAt: starts[0] ?? now,
      finishedAt: ends.at(-1) ?? now,
      targets: options.targets ?? [...new Set(reports.flatMap((r) => r.scan.targets))],
      stats,
      warnings: [...reports.flatMap((r) => r.scan.warnings), ...(options.warnings ?? [])],
    },
    findings,
    secrets,
    rules: usedRules(reports, options.rules, findings, secrets),
  };
}

function sumStats(all: ScanStats[]): ScanStats {
  const out: ScanStats = { bytesScanned: 0, blobsScanned: 0, filesScanned: 0, commitsWalked: 0, durationMs: 0, skipped: {} };
  for (const s of all) {
    out.bytesScanned += s.bytesScanned;
    out.blobsScanned += s.blobsScanned;
    out.filesScanned += s.filesScanned;
    out.commitsWalked += s.commitsWalked;
    out.durationMs += s.durationMs;
    for (const [k, v] of Object.entries(s.skipped)) out.skipped[k] = (out.skipped[k] ?? 0) + v;
  }
  return out;
}

/**
 * The rules the merged findings use, for SARIF: from the inputs (in memory), else from `rules`, else, for
 * a shard's own rule the merge was not given, what its findings say about it.
 */
function usedRules(reports: Report[], rules: Map<string, Rule>, findings: Report['findings'], secrets: Report['secrets']): RuleSummary[] {
  const known = new Map<string, RuleSummary>();
  for (const r of reports) for (const rule of r.rules ?? []) known.set(rule.id, rule);
  const out = new Map<string, RuleSummary>();
  for (const f of findings) {
    if (out.has(f.ruleId)) continue;
    const rule = rules.get(f.ruleId);
    const secret = secrets.find((s) => s.secretId === f.secretId);
    out.set(
      f.ruleId,
      known.get(f.ruleId) ??
        (rule ? ruleSummary(rule) : { id: f.ruleId, name: f.ruleName, provider: f.provider, confidence: f.confidence, references: [], revocation: secret?.revocation ?? { summary: '', url: '', steps: [] } }),
    );
  }
  return [...out.values()].sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * Reads a JSON report (`sprawl scan|org -f json`). Anything else — not JSON, another tool's JSON, another
 * schema version — is refused with a message naming the file (exit 2): merging it would lose data silently.
 */
export function readReportFile(file: string): Report {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new ConfigError(`${file}: ${err.code ? `cannot read: ${err.code}` : 'not a sprawl JSON report (schemaVersion 1): not JSON'}`);
  }
  const r = raw as Partial<Report> | null;
  const shaped =
    r !== null &&
    typeof r === 'object' &&
    r.tool?.name === 'sprawl' &&
    Array.isArray(r.findings) &&
    Array.isArray(r.secrets) &&
    typeof r.scan === 'object' &&
    r.scan !== null &&
    Array.isArray(r.scan.targets) &&
    Array.isArray(r.scan.warnings) &&
    typeof r.scan.stats === 'object';
  if (!shaped) throw new ConfigError(`${file}: not a sprawl JSON report (schemaVersion 1)`);
  if (r.schemaVersion !== 1) throw new ConfigError(`${file}: a sprawl report of schemaVersion ${JSON.stringify(r.schemaVersion)}; this sprawl merges schemaVersion 1`);
  return { ...(r as Report), rules: [] };
}

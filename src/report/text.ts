import type { Finding, Report } from '../core/types.js';
import { summarize } from './summary.js';

export interface TextOptions {
  /** ANSI colours: on for a TTY only. */
  color: boolean;
}

const CODES = { red: 31, yellow: 33, dim: 2, bold: 1, cyan: 36 } as const;

/** The human report: one block per finding, then a summary. Secrets arrive already redacted. */
export function formatText(report: Report, options: TextOptions): string {
  const paint = (code: keyof typeof CODES, s: string): string => (options.color ? `\x1b[${CODES[code]}m${s}\x1b[0m` : s);
  const lines: string[] = [];
  // Across several repositories (an org scan), every place names its repository.
  const multiRepo = new Set(report.findings.map((f) => f.repo).filter(Boolean)).size > 1;
  for (const f of report.findings) lines.push(...findingLines(f, paint, multiRepo), '');
  const st = report.scan.stats;
  const skipped = Object.entries(st.skipped)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  lines.push(
    paint('bold', `${report.findings.length} finding(s), ${report.secrets.length} unique secret(s)`) +
      ` in ${st.filesScanned} file(s)${st.blobsScanned > 0 ? ` and ${st.blobsScanned} git blob(s)` : ''}, ${formatBytes(st.bytesScanned)}, ${st.durationMs} ms` +
      (st.commitsWalked > 0 ? `, ${st.commitsWalked} commit(s)` : ''),
  );
  if (report.secrets.length > 0) {
    const sum = summarize(report);
    const statuses = Object.entries(sum.byStatus).map(([k, v]) => `${v} ${k}`).join(', ');
    lines.push(`sprawl: ${sum.duplicationFactor.toFixed(1)} occurrences per secret${statuses ? `; ${statuses}` : ''}${sum.maxAgeDays !== null ? `; oldest ${sum.maxAgeDays} days, ${sum.longLived} long-lived` : ''}`);
    for (const s of report.secrets.slice(0, 5)) {
      lines.push(`  risk ${String(s.risk ?? '?').padStart(3)}  ${s.ruleId} ${s.secret}  ${s.status ?? ''}  ${s.occurrences} place(s)`);
    }
  }
  if (skipped) lines.push(paint('dim', `skipped: ${skipped}`));
  // Binary files are skipped by the thousand in a build folder, and Latin-1 files are scanned all the same:
  // what else went wrong (an unreadable file, a corrupt object, a failed git call) is listed first.
  const routine = (w: string): boolean => / skipped \(binary\)$|: not valid UTF-8; scanned as bytes$|^\(further (binary|not-utf8) /.test(w);
  const warnings = [...report.scan.warnings.filter((w) => !routine(w)), ...report.scan.warnings.filter(routine)];
  for (const w of warnings.slice(0, 20)) lines.push(paint('yellow', `warning: ${w}`));
  if (report.scan.warnings.length > 20) lines.push(paint('dim', `(${report.scan.warnings.length - 20} more warnings in the JSON report)`));
  return lines.join('\n') + '\n';
}

function findingLines(f: Finding, paint: (c: keyof typeof CODES, s: string) => string, multiRepo: boolean): string[] {
  const level = f.confidence === 'high' ? paint('red', f.confidence) : f.confidence === 'medium' ? paint('yellow', f.confidence) : f.confidence;
  const where = `${f.repo && (multiRepo || f.source !== 'file') ? f.repo + ':' : ''}${f.path}:${f.line}:${f.column}`;
  const out = [`${paint('bold', where)}  ${f.ruleName} [${f.ruleId}] ${level}`, `  secret: ${f.secret}${f.decodedFrom.length ? ` (decoded from ${f.decodedFrom.join(' → ')})` : ''}`];
  if (f.commit) out.push(`  commit: ${f.commit.slice(0, 12)} ${f.author ?? ''} ${f.date ?? ''}`.trimEnd());
  if (f.ci && (f.ci.job || f.ci.block)) out.push(`  ${f.source === 'log' ? 'printed by' : 'in'}: ${ciPlace(f.ci)}`);
  for (const w of f.workloads ?? []) out.push(`  workload: ${w.kind} ${w.name} (${w.path}${w.via === 'literal' ? '' : `, ${w.via}`})`);
  out.push(paint('dim', `  match:  ${f.match.replace(/\s+/g, ' ').slice(0, 160)}`));
  return out;
}

/** `github-actions job deploy, step Push image, hard-coded in env`: where in a pipeline a finding stands. */
export function ciPlace(ci: NonNullable<Finding['ci']>): string {
  return `${ci.system}${ci.job !== null ? ` job ${ci.job}` : ''}${ci.step !== null ? `, step ${ci.step}` : ''}${ci.block ? `, hard-coded in ${ci.block}` : ''}`;
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

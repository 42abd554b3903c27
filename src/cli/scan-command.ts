import { writeFileSync } from 'node:fs';
import { ConfigError, loadBaseline, loadConfig, parseSize } from '../config.js';
import { FORMATS, formatFromPath, type FormatName } from '../report/index.js';
import type { Report } from '../core/types.js';
import { scan, type ScanOptions } from '../scan.js';

export interface ScanFlags {
  format?: string;
  output?: string;
  config?: string;
  rules?: string[];
  baseline?: string;
  reveal?: boolean;
  exitCode?: string;
  maxFileSize?: string;
  maxDecodeDepth?: string;
  color?: boolean;
  history?: boolean;
  gitignore?: boolean;
  maxAge?: string;
  archiveDepth?: string;
  archiveBytes?: string;
  archiveRatio?: string;
  refs?: string[];
  staged?: boolean;
  range?: string;
  since?: string;
  workers?: string;
  inventory?: string;
  failOnNew?: boolean;
}

export const EXIT = { clean: 0, findings: 1, error: 2 } as const;

function positiveInt(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${flag} must be a whole number`);
  return n;
}

/** The flags every command that writes a report shares. */
export type OutputFlags = Pick<ScanFlags, 'format' | 'output' | 'exitCode' | 'color'>;

/** The report format: `--format`, else from `--output`'s extension, else text. */
export function reportFormat(flags: Pick<ScanFlags, 'format' | 'output'>): FormatName {
  const format = (flags.format ?? (flags.output ? formatFromPath(flags.output) : undefined) ?? 'text') as FormatName;
  if (!(format in FORMATS)) throw new ConfigError(`unknown format '${flags.format}' (known: ${Object.keys(FORMATS).join(', ')})`);
  return format;
}

/** The exit code for findings: `--exit-code`, default 1. */
export function findingsExitCode(flags: Pick<ScanFlags, 'exitCode'>): number {
  const code = flags.exitCode === undefined ? EXIT.findings : Number(flags.exitCode);
  if (!Number.isInteger(code) || code < 0 || code > 255) throw new ConfigError(`--exit-code must be an integer from 0 to 255`);
  return code;
}

/** Checks the output flags before any work: the format, and the exit code for findings. */
export function outputChoice(flags: OutputFlags): { format: FormatName; findingsExit: number } {
  return { format: reportFormat(flags), findingsExit: findingsExitCode(flags) };
}

/** Writes the report to `--output` (with a one-line summary on stderr) or to standard output. */
export function writeReport(report: Report, format: FormatName, flags: Pick<ScanFlags, 'output' | 'color'>): void {
  const color = flags.color !== false && !flags.output && process.stdout.isTTY === true && !process.env.NO_COLOR;
  const text = FORMATS[format](report, { color });
  if (flags.output) {
    writeFileSync(flags.output, text);
    process.stderr.write(`sprawl: ${report.findings.length} finding(s), ${report.secrets.length} unique secret(s); ${format} report written to ${flags.output}\n`);
  } else {
    process.stdout.write(text);
  }
}

/** The scan options every command that scans shares: config, rules, baseline, limits, history. */
export function scanOptionsFrom(flags: ScanFlags): Omit<ScanOptions, 'targets'> {
  let maxDecodeDepth: number | undefined;
  if (flags.maxDecodeDepth !== undefined) {
    maxDecodeDepth = Number(flags.maxDecodeDepth);
    if (!Number.isInteger(maxDecodeDepth) || maxDecodeDepth < 0 || maxDecodeDepth > 5) throw new ConfigError('--max-decode-depth must be 0 to 5');
  }
  return {
    config: flags.config ? loadConfig(flags.config) : undefined,
    rulesDirs: flags.rules,
    baseline: flags.baseline ? loadBaseline(flags.baseline) : undefined,
    reveal: flags.reveal === true,
    maxFileSize: flags.maxFileSize ? parseSize(flags.maxFileSize, '--max-file-size') : undefined,
    maxDecodeDepth,
    history: flags.history,
    gitignore: flags.gitignore,
    maxAgeDays: flags.maxAge === undefined ? undefined : positiveInt(flags.maxAge, '--max-age'),
    archiveDepth: flags.archiveDepth === undefined ? undefined : positiveInt(flags.archiveDepth, '--archive-depth'),
    archiveBytes: flags.archiveBytes === undefined ? undefined : parseSize(flags.archiveBytes, '--archive-bytes'),
    archiveRatio: flags.archiveRatio === undefined ? undefined : positiveInt(flags.archiveRatio, '--archive-ratio'),
    refs: flags.refs,
    workers: flags.workers === undefined ? undefined : positiveInt(flags.workers, '--workers'),
  };
}

/** `sprawl scan`: argv → options → report written → exit code. No scanning logic here. */
export async function scanCommand(targets: string[], flags: ScanFlags): Promise<number> {
  const { format, findingsExit } = outputChoice(flags);
  if ([flags.staged, flags.range, flags.since].filter(Boolean).length > 1) throw new ConfigError('--staged, --range and --since are exclusive: give one');
  if (flags.failOnNew && !flags.inventory) throw new ConfigError('--fail-on-new needs --inventory FILE: it fails only on secrets that inventory has not seen before');
  const options: ScanOptions = {
    ...scanOptionsFrom(flags),
    targets: targets.length > 0 ? targets : ['.'],
    staged: flags.staged,
    range: flags.range,
    since: flags.since,
  };
  const report = await scan(options);
  writeReport(report, format, flags);
  if (flags.inventory) {
    // Loaded only here: the inventory's SQLite addon is no cost to scans without it (the pre-commit hook).
    const { recordInventory } = await import('./inventory-command.js');
    const { counts } = await recordInventory(flags.inventory, report, options);
    if (flags.failOnNew) return counts.new + counts.reopened > 0 ? findingsExit : EXIT.clean;
  }
  return report.findings.length > 0 ? findingsExit : EXIT.clean;
}

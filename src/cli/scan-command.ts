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

/** Checks the output flags before any work: the format, and the exit code for findings. */
export function outputChoice(flags: OutputFlags): { format: FormatName; findingsExit: number } {
  const format = (flags.format ?? (flags.output ? formatFromPath(flags.output) : undefined) ?? 'text') as FormatName;
  if (!(format in FORMATS)) throw new ConfigError(`unknown format '${flags.format}' (known: ${Object.keys(FORMATS).join(', ')})`);
  const findingsExit = flags.exitCode === undefined ? EXIT.findings : Number(flags.exitCode);
  if (!Number.isInteger(findingsExit) || findingsExit < 0 || findingsExit > 255) throw new ConfigError(`--exit-code must be an integer from 0 to 255`);
  return { format, findingsExit };
}

/** Writes the report to --output or stdout and returns the exit code. */
export function writeReport(report: Report, flags: OutputFlags): number {
  const { format, findingsExit } = outputChoice(flags);
  const color = flags.color !== false && !flags.output && process.stdout.isTTY === true && !process.env.NO_COLOR;
  const text = FORMATS[format](report, { color });
  if (flags.output) {
    writeFileSync(flags.output, text);
    process.stderr.write(`sprawl: ${report.findings.length} finding(s), ${report.secrets.length} unique secret(s); ${format} report written to ${flags.output}\n`);
  } else {
    process.stdout.write(text);
  }
  return report.findings.length > 0 ? findingsExit : EXIT.clean;
}

/** `sprawl scan`: argv → options → report written → exit code. No scanning logic here. */
export async function scanCommand(targets: string[], flags: ScanFlags): Promise<number> {
  const { findingsExit } = outputChoice(flags);
  if ([flags.staged, flags.range, flags.since].filter(Boolean).length > 1) throw new ConfigError('--staged, --range and --since are exclusive: give one');
  let maxDecodeDepth: number | undefined;
  if (flags.maxDecodeDepth !== undefined) {
    maxDecodeDepth = Number(flags.maxDecodeDepth);
    if (!Number.isInteger(maxDecodeDepth) || maxDecodeDepth < 0 || maxDecodeDepth > 5) throw new ConfigError('--max-decode-depth must be 0 to 5');
  }
  if (flags.failOnNew && !flags.inventory) throw new ConfigError('--fail-on-new needs --inventory FILE: it fails only on secrets that inventory has not seen before');
  const options: ScanOptions = {
    targets: targets.length > 0 ? targets : ['.'],
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
    staged: flags.staged,
    range: flags.range,
    since: flags.since,
    workers: flags.workers === undefined ? undefined : positiveInt(flags.workers, '--workers'),
  };
  const report = await scan(options);
  const code = writeReport(report, flags);
  if (flags.inventory) {
    // Loaded only here: the inventory's SQLite addon is no cost to scans without it (the pre-commit hook).
    const { recordInventory } = await import('./inventory-command.js');
    const { counts } = await recordInventory(flags.inventory, report, options);
    if (flags.failOnNew) return counts.new + counts.reopened > 0 ? findingsExit : EXIT.clean;
  }
  return code;
}

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, loadBaseline, loadConfig } from '../config.js';
import { scan } from '../scan.js';
import { downloadRunLogs, GithubApiError } from '../sources/github-logs.js';
import { EXIT, outputChoice, writeReport, type OutputFlags } from './scan-command.js';

/** Flags of `sprawl logs`. */
export interface LogsFlags extends OutputFlags {
  github?: string;
  runs?: string;
  workflow?: string;
  apiUrl?: string;
  /** Keep the downloaded archives in this folder instead of a temporary one removed after the scan. */
  logsDir?: string;
  reveal?: boolean;
  config?: string;
  baseline?: string;
}

const DEFAULT_RUNS = 10;

function runsOf(v: string | undefined): number {
  if (v === undefined) return DEFAULT_RUNS;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new ConfigError('--runs must be a whole number from 1 to 1000');
  return n;
}

/**
 * `sprawl logs --github owner/repo [paths...]`: downloads the latest runs' log archives, then scans them as
 * `sprawl scan` would, together with any paths given (a checkout of the repository: its workflow jobs are
 * then linked to the logs that printed a secret). API failures exit 2 with the API's message.
 */
export async function logsCommand(paths: string[], flags: LogsFlags, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { format, findingsExit } = outputChoice(flags);
  const repo = flags.github;
  if (!repo) throw new ConfigError('give the repository to fetch logs from: --github owner/repo');
  if (!/^[\w.-]+\/[\w.-]+$/.test(repo)) throw new ConfigError(`--github must be owner/repo, not '${repo}'`);
  const runs = runsOf(flags.runs);
  const apiUrl = (flags.apiUrl ?? env.GITHUB_API_URL ?? 'https://api.github.com').replace(/\/+$/, '');
  if (!/^https?:\/\//.test(apiUrl)) throw new ConfigError(`--api-url must be an http(s) URL, not '${apiUrl}'`);
  const token = env.GITHUB_TOKEN || undefined;
  if (!token) process.stderr.write('sprawl: GITHUB_TOKEN is not set; downloading logs usually needs a token that can read Actions\n');
  const dir = flags.logsDir ? resolve(flags.logsDir) : mkdtempSync(join(tmpdir(), 'sprawl-logs-'));
  if (flags.logsDir) mkdirSync(dir, { recursive: true });
  try {
    const warnings: string[] = [];
    // The report lists them; a text report on stdout prints them already.
    const echo = Boolean(flags.output) || format !== 'text';
    const warn = (m: string): void => {
      warnings.push(m);
      if (echo) process.stderr.write(`sprawl: warning: ${m}\n`);
    };
    const saved = await downloadRunLogs({ repo, runs, workflow: flags.workflow, apiUrl, token, dir, warn }).catch((e: unknown) => {
      throw e instanceof GithubApiError ? new ConfigError(e.message) : e;
    });
    process.stderr.write(`sprawl: downloaded the logs of ${saved.length} run(s) of ${repo}${flags.logsDir ? ` into ${dir}` : ''}\n`);
    const report = await scan({
      targets: [...paths, dir],
      config: flags.config ? loadConfig(flags.config) : undefined,
      baseline: flags.baseline ? loadBaseline(flags.baseline) : undefined,
      reveal: flags.reveal === true,
      env,
    });
    // The temporary folder means nothing to a reader: name what was scanned instead.
    report.scan.targets = [...paths, flags.logsDir ? dir : `github:${repo} (logs of ${saved.length} run(s))`];
    report.scan.warnings.unshift(...warnings);
    writeReport(report, format, flags);
    return report.findings.length > 0 ? findingsExit : EXIT.clean;
  } finally {
    if (!flags.logsDir) rmSync(dir, { recursive: true, force: true });
  }
}

import { homedir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../config.js';
import { listOrgRepos, DEFAULT_API_URL } from '../org/github.js';
import { scanOrg } from '../org/scan-org.js';
import { inShard, parseShard } from '../org/shard.js';
import { githubWebHost, readRepoList, type RepoTarget } from '../org/targets.js';
import { EXIT, findingsExitCode, reportFormat, scanOptionsFrom, writeReport, type ScanFlags } from './scan-command.js';

/** `sprawl org` flags: where the repositories come from, how they are run, and the scan's own flags. */
export interface OrgFlags extends ScanFlags {
  repos?: string;
  githubOrg?: string;
  apiUrl?: string;
  cache?: string;
  concurrency?: string;
  stallTimeout?: string;
  repoConfig?: boolean;
  shard?: string;
  includeForks?: boolean;
  includeArchived?: boolean;
}

/** Where mirrors are kept by default: `$XDG_CACHE_HOME/sprawl/mirrors`, else `~/.cache/sprawl/mirrors`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'sprawl', 'mirrors');
}

function log(line: string): void {
  process.stderr.write(`sprawl: ${line}\n`);
}

async function repositories(flags: OrgFlags, token: string | undefined): Promise<RepoTarget[]> {
  if (Boolean(flags.repos) === Boolean(flags.githubOrg)) throw new ConfigError('sprawl org: give one of --repos FILE or --github-org NAME');
  const apiUrl = flags.apiUrl ?? DEFAULT_API_URL;
  if (flags.repos) return readRepoList(flags.repos, githubWebHost(apiUrl));
  const listing = await listOrgRepos({ org: flags.githubOrg!, apiUrl, token, includeForks: flags.includeForks, includeArchived: flags.includeArchived });
  const { archived, forks } = listing.skipped;
  const left = [archived ? `${archived} archived` : '', forks ? `${forks} fork(s)` : ''].filter(Boolean).join(' and ');
  log(`${flags.githubOrg}: ${listing.targets.length} repositories${left ? ` (${left} left out; --include-archived, --include-forks)` : ''}`);
  return listing.targets;
}

/**
 * `sprawl org`: lists the repositories, keeps this shard's, mirrors and scans them, and writes one report.
 * Exit 2 when a repository could not be scanned (the report is written all the same), else 1 with
 * findings (or --exit-code), else 0.
 */
export async function orgCommand(flags: OrgFlags): Promise<number> {
  const format = reportFormat(flags);
  const findingsExit = findingsExitCode(flags);
  if (flags.failOnNew && !flags.inventory) throw new ConfigError('--fail-on-new needs --inventory FILE: it fails only on secrets that inventory has not seen before');
  const concurrency = flags.concurrency === undefined ? 3 : Number(flags.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new ConfigError('--concurrency must be a whole number of at least 1');
  const stallSeconds = flags.stallTimeout === undefined ? undefined : Number(flags.stallTimeout);
  if (stallSeconds !== undefined && !(Number.isFinite(stallSeconds) && stallSeconds >= 1)) throw new ConfigError('--stall-timeout must be a number of seconds, at least 1');
  const shard = flags.shard === undefined ? null : parseShard(flags.shard);
  const scanOptions = scanOptionsFrom(flags);
  const token = process.env.GITHUB_TOKEN || undefined;
  const all = await repositories(flags, token);
  const repos = shard ? inShard(all, shard) : all;
  if (shard) log(`shard ${shard.index}/${shard.count}: ${repos.length} of ${all.length} repositories`);
  let done = 0;
  const covered: string[] = [];
  const report = await scanOrg({
    repos,
    cacheDir: flags.cache ?? defaultCacheDir(),
    concurrency,
    token,
    stallSeconds,
    repoConfig: flags.repoConfig === true,
    scan: scanOptions,
    onRepo: (o) => {
      done++;
      if (!o.error) covered.push(o.name);
      const what = o.error ?? `${o.name}: ${o.findings} finding(s)${o.warning ? ` (${o.warning})` : ''}`;
      log(`[${done}/${repos.length}] ${what}`);
    },
  });
  // The run's one report, every shard repository in it: what an inventory of secrets across runs records.
  if (repos.length === 0) report.scan.warnings.push(shard ? `no repository falls in shard ${shard.index}/${shard.count}` : 'no repository to scan');
  writeReport(report, format, flags);
  let failOnNew: number | null = null;
  if (flags.inventory) {
    // Loaded only here, as for `sprawl scan`. Repositories that failed are not covered: they resolve nothing.
    const { recordCovered } = await import('./inventory-command.js');
    const { counts } = recordCovered(flags.inventory, report, { repos: covered, unscoped: null }, scanOptions.baseline);
    if (flags.failOnNew) failOnNew = counts.new + counts.reopened > 0 ? findingsExit : EXIT.clean;
  }
  if ((report.scan.stats.skipped['repository-failed'] ?? 0) > 0) {
    log(`${report.scan.stats.skipped['repository-failed']} repository(ies) could not be scanned; see the warnings`);
    return EXIT.error;
  }
  if (failOnNew !== null) return failOnNew;
  return report.findings.length > 0 ? findingsExit : EXIT.clean;
}

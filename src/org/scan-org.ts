import pLimit from 'p-limit';
import { execFile } from 'node:child_process';
import { CONFIG_NAMES, emptyConfig, parseConfig, type SprawlConfig } from '../config.js';
import type { Report } from '../core/types.js';
import { prepareRules, scan, type ScanOptions } from '../scan.js';
import { mergeReports } from './merge.js';
import { updateMirror } from './mirror.js';
import { displayUrl, type RepoTarget } from './targets.js';

/** Options of an org scan. */
export interface OrgScanOptions {
  /** The repositories (one shard's, when sharded). */
  repos: RepoTarget[];
  /** Folder of the bare mirrors, kept between runs so that later runs only fetch what changed. */
  cacheDir: string;
  /** Repositories mirrored and scanned at once. Default 3. */
  concurrency?: number;
  /** Token for repositories with `auth`. */
  token?: string;
  /** Seconds a clone or fetch may go without progress (see MirrorOptions). Default 300. */
  stallSeconds?: number;
  /**
   * Also apply each repository's own sprawl.yaml (from its HEAD) on top of the org's configuration: its
   * allowlists and disabled rules add to the org's. Off by default: in an org-wide scan a repository
   * should not be able to silence its own findings unless the scan's owner says so. A repository's
   * `rules:` folders are not read (a mirror has no working tree); its size limits never override the org's.
   */
  repoConfig?: boolean;
  /** Options of every repository's scan; `targets` and `repoName` are set per repository. The config
   * is the org's (`--config`); a repository's own sprawl.yaml is read only with `repoConfig`. */
  scan: Omit<ScanOptions, 'targets' | 'repoName'>;
  /** Told when each repository is done, for progress lines. */
  onRepo?: (done: RepoOutcome) => void;
}

/** How one repository went. */
export interface RepoOutcome {
  name: string;
  /** Findings in it, when it was scanned. */
  findings?: number;
  /** Why it could not be mirrored or scanned; the report carries the same text as a warning. */
  error?: string;
  /** A warning that did not stop the scan (a stale mirror). */
  warning?: string;
}

/**
 * Mirrors and scans every repository, `concurrency` at a time, each as its own scan named by its org name
 * (so lifecycle, workloads and CODEOWNERS stay within their repository), then merges them into one report
 * with the same function `sprawl merge` uses for shards: an org scan in one go and the merge of its
 * shards agree. A repository that cannot be cloned or scanned becomes a warning naming it and a count in
 * `stats.skipped['repository-failed']`; the others go on.
 */
export async function scanOrg(options: OrgScanOptions): Promise<Report> {
  const t0 = performance.now();
  const config = options.scan.config ?? emptyConfig();
  const rules = options.scan.rules ?? prepareRules(options.scan, config);
  const limit = pLimit(Math.max(1, options.concurrency ?? 3));
  // Promise.all keeps the list's order, not the order of completion: the same org gives the same report.
  const outcomes = await Promise.all(options.repos.map((repo) => limit(() => scanOne(repo, options, { ...options.scan, config, rules }))));
  const failures = outcomes.map((o) => o.error).filter((e): e is string => e !== undefined);
  return mergeReports(
    outcomes.map((o) => o.report).filter((r): r is Report => r !== undefined),
    {
      rules: rules.ruleSet.byId,
      targets: options.repos.map((r) => r.name),
      warnings: failures,
      skipped: failures.length > 0 ? { 'repository-failed': failures.length } : {},
      durationMs: Math.round(performance.now() - t0),
      now: options.scan.now,
    },
  );
}

/** Mirrors and scans one repository; a failure is an outcome, never a throw. */
async function scanOne(repo: RepoTarget, options: OrgScanOptions, scanOptions: Omit<ScanOptions, 'targets'>): Promise<RepoOutcome & { report?: Report }> {
  const outcome: RepoOutcome & { report?: Report } = { name: repo.name };
  try {
    const mirror = await updateMirror(repo, { cacheDir: options.cacheDir, token: options.token, stallSeconds: options.stallSeconds });
    if (mirror.warning) outcome.warning = `${repo.name}: ${mirror.warning}`;
    const report = await scanMirror(repo, mirror.dir, scanOptions, options.repoConfig).catch((e: Error) => {
      throw new Error(`scan of ${displayUrl(repo.url)} failed: ${e.message}`);
    });
    if (outcome.warning) report.scan.warnings.unshift(outcome.warning);
    outcome.findings = report.findings.length;
    outcome.report = report;
  } catch (e) {
    outcome.error = `${repo.name}: ${(e as Error).message}`;
  }
  options.onRepo?.(outcome);
  return outcome;
}

/** One mirror's scan, its target and warnings named by the repository rather than the cache folder. */
async function scanMirror(repo: RepoTarget, dir: string, options: Omit<ScanOptions, 'targets'>, repoConfig = false): Promise<Report> {
  let own: SprawlConfig | null = null;
  let configWarning: string | null = null;
  try {
    own = repoConfig ? await headConfig(dir) : null;
  } catch (e) {
    // A broken sprawl.yaml in one repository is its owners' to fix; the org's configuration still applies.
    configWarning = `${(e as Error).message}; scanned with the org's configuration only`;
  }
  const config = own ? withRepoConfig(options.config ?? emptyConfig(), own) : options.config;
  const report = await scan({ ...options, ...(config ? { config } : {}), targets: [dir], repoName: repo.name });
  if (configWarning) report.scan.warnings.unshift(configWarning);
  report.scan.targets = [repo.name];
  report.scan.warnings = report.scan.warnings.map((w) => (w.startsWith(dir) ? repo.name + w.slice(dir.length) : `${repo.name}: ${w}`));
  return report;
}

/** The repository's own configuration file at HEAD, the first of CONFIG_NAMES it has; null when none. */
async function headConfig(dir: string): Promise<SprawlConfig | null> {
  for (const file of CONFIG_NAMES) {
    const text = await new Promise<string | null>((done) =>
      execFile('git', ['-C', dir, 'show', `HEAD:${file}`], { encoding: 'utf8', maxBuffer: 1024 * 1024 }, (e, out) => done(e ? null : out)),
    );
    if (text !== null) return parseConfig(text, file, dir);
  }
  return null;
}

/** The org's configuration with a repository's allowlists and disabled rules added. */
function withRepoConfig(org: SprawlConfig, own: SprawlConfig): SprawlConfig {
  const union = (a: string[], b: string[]): string[] => [...new Set([...a, ...b])];
  return {
    ...org,
    disabledRules: union(org.disabledRules, own.disabledRules),
    allowlist: {
      paths: union(org.allowlist.paths, own.allowlist.paths),
      regexes: union(org.allowlist.regexes, own.allowlist.regexes),
      secretIds: union(org.allowlist.secretIds, own.allowlist.secretIds),
    },
  };
}

import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { byPlace, secretsOf } from './analyze/findings.js';
import { applyLifecycle } from './analyze/lifecycle.js';
import { applyOwners } from './analyze/owners.js';
import { applyRisk } from './analyze/risk.js';
import { applyWorkloads } from './analyze/workloads.js';
import { linkLogJobs } from './analyze/log-jobs.js';
import { ConfigError, CONFIG_NAMES, emptyConfig, loadConfig, type SprawlConfig } from './config.js';
import { idKey as envIdKey } from './core/identity.js';
import type { Chunk, Report, Rule, RuleSummary } from './core/types.js';
import { listStaged, scanIncremental } from './pipeline/changes.js';
import { historyRoot, scanRepository } from './pipeline/repository.js';
import { scanChunksInWorkers, startRun, type PreparedRules } from './pipeline/run.js';
import type { SourceContext } from './sources/context.js';
import { DEFAULT_ARCHIVE_LIMITS } from './sources/archive.js';
import { fileChunks } from './sources/files.js';
import { stdinChunks } from './sources/stdin.js';
import { VERSION } from './version.js';
import { appendAll } from './core/arrays.js';

export { prepareRules, type PreparedRules } from './pipeline/run.js';
export { scanCoverage, type ScanCoverage } from './pipeline/coverage.js';

/** Options of one scan. One object, every field documented; the CLI fills it from argv and sprawl.yaml. */
export interface ScanOptions {
  /** Paths to scan, or `-` for standard input. */
  targets: string[];
  /** Configuration (sprawl.yaml). Default: `sprawl.yaml` at the first target's root if present, else none. */
  config?: SprawlConfig;
  /** Extra rule folders or files, loaded after the built-in rules. */
  rulesDirs?: string[];
  /** Use only `rulesDirs`, not the built-in rules. Default false. */
  noBuiltinRules?: boolean;
  /** secretIds from a baseline: their findings are not reported. */
  baseline?: Set<string>;
  /** Print raw secrets in every output. Default false. */
  reveal?: boolean;
  /** Files over this many bytes are skipped with a warning. Default 10 MiB (or the config's). */
  maxFileSize?: number;
  /** Decoding depth for base64/hex/percent segments. Default 2 (or the config's). */
  maxDecodeDepth?: number;
  /** Standard input, for target `-`. Default process.stdin. */
  stdin?: NodeJS.ReadableStream;
  /** Environment, for SPRAWL_ID_KEY. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Clock, for reproducible reports in tests. */
  now?: () => Date;
  /** Scan a repository's history as well as its working tree. Default true; applies to a repository's top-level folder. */
  history?: boolean;
  /** Refs whose history is scanned. Default: all refs. */
  refs?: string[];
  /** Archives inside archives are opened this deep. Default 3. */
  archiveDepth?: number;
  /** Uncompressed bytes one archive may expand to. Default 256 MiB. */
  archiveBytes?: number;
  /** Compression ratio above which an archive member is refused as a bomb. Default 100. */
  archiveRatio?: number;
  /** Days after which a secret counts as long-lived. Default 90. */
  maxAgeDays?: number;
  /** Honour .gitignore when listing files. Default true. */
  gitignore?: boolean;
  /** Scan only what is staged (the index against HEAD): the pre-commit hook. */
  staged?: boolean;
  /** Scan only what the commits in `A..B` introduced (pull requests, pre-push). */
  range?: string;
  /** Scan only what commits after a date or a commit introduced (scheduled scans). */
  since?: string;
  /**
   * Worker threads that match git history while this thread reads it. Default: cores − 2 (at most 4) on 4
   * or more cores, 1 on 2 or 3, started only once a history passes `workersAfter` bytes. Given, a folder's
   * files are matched in workers too (by default they are matched on this thread).
   */
  workers?: number;
  /** With the default `workers`: history bytes matched on this thread before workers start. Default 64 MiB,
   * or none once the history's listing holds more than 96 MiB. */
  workersAfter?: number;
  /**
   * The repository's name in findings (`repo`), owners and lifecycle, e.g. `acme/api`. Default: the name of
   * the repository's folder (without `.git` for a bare repository). Only with a single target: an org scan
   * names each mirror by its organisation name rather than its cache folder.
   */
  repoName?: string;
  /** Rules already loaded and compiled with `prepareRules`, shared by many scans (an org scan). Default:
   * loaded from the built-in rules, `rulesDirs` and the config for this scan. */
  rules?: PreparedRules;
}

function defaultConfig(targets: string[]): SprawlConfig {
  const first = targets.find((t) => t !== '-');
  if (!first) return emptyConfig();
  const root = resolve(first);
  const dir = existsSync(root) && statSync(root).isDirectory() ? root : resolve(root, '..');
  const found = CONFIG_NAMES.map((n) => join(dir, n)).find((p) => existsSync(p));
  return found ? loadConfig(found) : emptyConfig();
}

/** The library entry point: scan the targets and return the report. Throws ConfigError on bad input. */
export async function scan(options: ScanOptions): Promise<Report> {
  const now = options.now ?? (() => new Date());
  const started = now();
  const t0 = performance.now();
  if (options.targets.length === 0) throw new ConfigError('nothing to scan: give at least one path, or - for standard input');
  if (options.repoName !== undefined && options.targets.length > 1) throw new ConfigError('a repository name applies to one target: scan the repositories one at a time');
  for (const t of options.targets) {
    if (t !== '-' && !existsSync(t)) throw new ConfigError(`${t}: no such file or directory`);
  }
  const config = options.config ?? defaultConfig(options.targets);
  // A pre-commit hook's git listing runs while the rules compile.
  const staged = options.staged ? new Map(options.targets.map((t) => [t, listStaged(t)])) : null;
  // Awaited later; if the rules fail to compile first, a failed listing must not be an unhandled rejection.
  for (const p of staged?.values() ?? []) p.catch(() => undefined);
  const run = startRun(options, config);
  const { ctx } = run;
  const incremental = options.staged || options.range || options.since;
  for (const target of options.targets) {
    if (target !== '-') run.ci.addIncludes(target);
    if (incremental) {
      await scanIncremental(run, target, staged?.get(target));
      continue;
    }
    // A bare repository has no files to scan: without history, its HEAD tree is scanned.
    const repo = target !== '-' ? await historyRoot(target) : null;
    if (repo && (repo.bare || options.history !== false)) await scanRepository(run, target, repo);
    else appendAll(run.occurrences, await scanChunksInWorkers(run, chunksOf(target, ctx, options, config), { kind: 'files' }));
  }
  if (run.suppressed > 0) ctx.skipped['suppressed-by-baseline-or-allowlist'] = run.suppressed;
  const occurrences = run.occurrences.sort((a, b) => byPlace(a.finding, b.finding));

  const findings = occurrences.map((o) => o.finding);
  const unordered = secretsOf(occurrences, run.ruleSet.byId, { idKey: envIdKey(options.env), reveal: options.reveal === true });
  const byId = new Map(findings.map((f) => [f.id, f]));
  applyLifecycle(unordered, byId, { now: started, maxAgeDays: options.maxAgeDays ?? 90, heads: run.heads, lastPresent: run.lastPresent });
  linkLogJobs(findings, run.k8s);
  applyWorkloads(unordered, byId, run.k8s);
  applyOwners(unordered, byId, run.codeowners);
  const secrets = applyRisk(unordered, byId, run.ruleSet.byId);
  const used = new Set(findings.map((f) => f.ruleId).concat(secrets.map((s) => s.ruleId)));
  return {
    schemaVersion: 1,
    tool: { name: 'sprawl', version: VERSION },
    scan: {
      startedAt: started.toISOString(),
      finishedAt: now().toISOString(),
      targets: options.targets,
      stats: {
        bytesScanned: ctx.bytes,
        blobsScanned: ctx.blobs,
        filesScanned: ctx.files,
        commitsWalked: run.commitsWalked,
        durationMs: Math.round(performance.now() - t0),
        skipped: ctx.skipped,
      },
      warnings: ctx.warnings,
    },
    findings,
    secrets,
    rules: run.rules.filter((r) => used.has(r.id)).map(ruleSummary),
  };
}

function chunksOf(target: string, ctx: SourceContext, options: ScanOptions, config: SprawlConfig): AsyncIterable<Chunk> {
  if (target === '-') return stdinChunks(options.stdin ?? process.stdin, ctx);
  return fileChunks(target, ctx, {
    archives: archiveLimits(options),
    gitignore: options.gitignore,
    repoName: options.repoName,
    maxFileSize: options.maxFileSize ?? config.maxFileSize,
    excludePaths: config.allowlist.paths,
  });
}

export function archiveLimits(options: ScanOptions): { maxDepth: number; maxTotalBytes: number; maxRatio: number } {
  return {
    maxDepth: options.archiveDepth ?? DEFAULT_ARCHIVE_LIMITS.maxDepth,
    maxTotalBytes: options.archiveBytes ?? DEFAULT_ARCHIVE_LIMITS.maxTotalBytes,
    maxRatio: options.archiveRatio ?? DEFAULT_ARCHIVE_LIMITS.maxRatio,
  };
}

/** A rule as reports carry it (`report.rules`). */
export function ruleSummary(r: Rule): RuleSummary {
  return { id: r.id, name: r.name, provider: r.provider, confidence: r.confidence, references: r.references, revocation: r.revocation };
}

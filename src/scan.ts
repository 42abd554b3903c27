import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { secretsOf, type Occurrence } from './analyze/findings.js';
import { applyLifecycle } from './analyze/lifecycle.js';
import { applyOwners } from './analyze/owners.js';
import { applyRisk } from './analyze/risk.js';
import { applyWorkloads } from './analyze/workloads.js';
import { ConfigError, CONFIG_NAMES, emptyConfig, loadConfig, type SprawlConfig } from './config.js';
import { idKey as envIdKey } from './core/identity.js';
import type { Chunk, Report, Rule, RuleSummary } from './core/types.js';
import { scanIncremental } from './pipeline/changes.js';
import { historyRoot, scanRepository } from './pipeline/repository.js';
import { scanChunks, startRun } from './pipeline/run.js';
import type { SourceContext } from './sources/context.js';
import { DEFAULT_ARCHIVE_LIMITS } from './sources/archive.js';
import { fileChunks } from './sources/files.js';
import { stdinChunks } from './sources/stdin.js';
import { VERSION } from './version.js';

export { prepareRules } from './pipeline/run.js';

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
  for (const t of options.targets) {
    if (t !== '-' && !existsSync(t)) throw new ConfigError(`${t}: no such file or directory`);
  }
  const config = options.config ?? defaultConfig(options.targets);
  const run = startRun(options, config);
  const { ctx } = run;
  const incremental = options.staged || options.range || options.since;
  for (const target of options.targets) {
    if (target !== '-') run.ci.addIncludes(target);
    if (incremental) {
      await scanIncremental(run, target);
      continue;
    }
    const repo = target !== '-' && options.history !== false ? await historyRoot(target) : null;
    if (repo) await scanRepository(run, target, repo);
    else run.occurrences.push(...(await scanChunks(run, chunksOf(target, ctx, options, config))));
  }
  if (run.suppressed > 0) ctx.skipped['suppressed-by-baseline-or-allowlist'] = run.suppressed;
  const occurrences = run.occurrences.sort(byPlace);

  const findings = occurrences.map((o) => o.finding);
  const unordered = secretsOf(occurrences, run.ruleSet.byId, { idKey: envIdKey(options.env), reveal: options.reveal === true });
  const byId = new Map(findings.map((f) => [f.id, f]));
  applyLifecycle(unordered, byId, { now: started, maxAgeDays: options.maxAgeDays ?? 90, heads: run.heads, lastPresent: run.lastPresent });
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
    rules: run.rules.filter((r) => used.has(r.id)).map(summarize),
  };
}

function chunksOf(target: string, ctx: SourceContext, options: ScanOptions, config: SprawlConfig): AsyncIterable<Chunk> {
  if (target === '-') return stdinChunks(options.stdin ?? process.stdin, ctx);
  return fileChunks(target, ctx, {
    archives: archiveLimits(options),
    gitignore: options.gitignore,
    maxFileSize: options.maxFileSize ?? config.maxFileSize,
    excludePaths: config.allowlist.paths,
  });
}

/** Findings in a stable order: working tree first, then history, each by path and position. */
function byPlace(a: Occurrence, b: Occurrence): number {
  const fa = a.finding;
  const fb = b.finding;
  return (
    (fa.source === 'git' ? 1 : 0) - (fb.source === 'git' ? 1 : 0) ||
    (fa.repo ?? '').localeCompare(fb.repo ?? '') ||
    fa.path.localeCompare(fb.path) ||
    fa.line - fb.line ||
    fa.column - fb.column ||
    (fa.date ?? '').localeCompare(fb.date ?? '')
  );
}

export function archiveLimits(options: ScanOptions): { maxDepth: number; maxTotalBytes: number; maxRatio: number } {
  return {
    maxDepth: options.archiveDepth ?? DEFAULT_ARCHIVE_LIMITS.maxDepth,
    maxTotalBytes: options.archiveBytes ?? DEFAULT_ARCHIVE_LIMITS.maxTotalBytes,
    maxRatio: options.archiveRatio ?? DEFAULT_ARCHIVE_LIMITS.maxRatio,
  };
}

function summarize(r: Rule): RuleSummary {
  return { id: r.id, name: r.name, provider: r.provider, confidence: r.confidence, references: r.references, revocation: r.revocation };
}

import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import RE2 from 're2';
import { secretsOf, occurrencesOf, type Occurrence } from './analyze/findings.js';
import { ConfigError, CONFIG_NAMES, emptyConfig, loadConfig, type SprawlConfig } from './config.js';
import { idKey as envIdKey } from './core/identity.js';
import type { Chunk, Report, Rule, RuleSummary } from './core/types.js';
import { detect } from './detect/engine.js';
import { compileRuleSet, type RuleSet } from './rules/compile.js';
import { BUILTIN_RULES_DIR, loadRules } from './rules/load.js';
import { collectContext, type SourceContext } from './sources/context.js';
import { DEFAULT_MAX_FILE_SIZE, fileChunks } from './sources/files.js';
import { historyChunks } from './sources/git/history.js';
import { blobHistories } from './sources/git/introductions.js';
import { git, topLevel } from './sources/git/repo.js';
import { changeChunks, commitChanges, resolveRange, resolveSince, stagedChanges, type Change } from './sources/git/changes.js';
import { unmodifiedTracked } from './sources/git/worktree.js';
import { placeGitOccurrences, type BlobPlaces } from './analyze/provenance.js';
import { stdinChunks } from './sources/stdin.js';
import { VERSION } from './version.js';

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
  /** Scan only what is staged (the index against HEAD): the pre-commit hook. */
  staged?: boolean;
  /** Scan only what the commits in `A..B` introduced (pull requests, pre-push). */
  range?: string;
  /** Scan only what commits after a date or a commit introduced (scheduled scans). */
  since?: string;
}

/** Loads, filters and compiles the rules once. Rule problems are configuration errors: fail loudly. */
export function prepareRules(options: Pick<ScanOptions, 'rulesDirs' | 'noBuiltinRules'>, config: SprawlConfig): { rules: Rule[]; ruleSet: RuleSet } {
  const dirs = [...(options.noBuiltinRules ? [] : [BUILTIN_RULES_DIR]), ...config.rules, ...(options.rulesDirs ?? [])];
  const { rules, problems } = loadRules(dirs);
  const disabled = new Set(config.disabledRules);
  const unknown = config.disabledRules.filter((id) => !rules.some((r) => r.id === id));
  if (unknown.length > 0) problems.push({ file: 'config', ruleId: unknown[0]!, message: `disabledRules names unknown rule(s): ${unknown.join(', ')}` });
  const enabled = rules.filter((r) => !disabled.has(r.id));
  // Built-in rules are checked by the test suite: compile them lazily. A user's rules are checked now.
  const { ruleSet, problems: compileProblems } = compileRuleSet(enabled, (r) => r.file.startsWith(BUILTIN_RULES_DIR));
  const all = [...problems, ...compileProblems];
  if (all.length > 0) throw new ConfigError(all.map((p) => `${p.file}: ${p.ruleId}: ${p.message}`).join('\n'));
  return { rules: enabled, ruleSet };
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
  const { rules, ruleSet } = prepareRules(options, config);
  const allowRegexes = config.allowlist.regexes.map((r) => {
    try {
      return new RE2(r);
    } catch (e) {
      throw new ConfigError(`allowlist regex ${JSON.stringify(r)} does not compile with RE2: ${(e as Error).message}`);
    }
  });
  const allowIds = new Set(config.allowlist.secretIds);
  const findingOptions = { idKey: envIdKey(options.env), reveal: options.reveal === true };
  const detectOptions = { maxDecodeDepth: options.maxDecodeDepth ?? config.maxDecodeDepth ?? 2 };
  const ctx = collectContext();
  let occurrences: Occurrence[] = [];
  let suppressed = 0;
  let commitsWalked = 0;
  const scanChunks = async (chunks: AsyncIterable<Chunk>): Promise<Occurrence[]> => {
    const found: Occurrence[] = [];
    for await (const chunk of chunks) {
      const matches = detect(chunk.data, ruleSet, { ...detectOptions, path: chunk.provenance.path }).filter(
        (m) => !allowRegexes.some((re) => re.test(m.secret)),
      );
      for (const o of occurrencesOf(chunk, matches, ruleSet.byId, findingOptions)) {
        if (allowIds.has(o.finding.secretId) || options.baseline?.has(o.finding.secretId)) suppressed++;
        else found.push(o);
      }
    }
    return found;
  };

  /** Only secrets the change adds count: a value the replaced blob already held is not new. */
  const scanChanges = async (repo: string, changes: AsyncIterable<Change> | Change[]): Promise<Occurrence[]> => {
    const found: Occurrence[] = [];
    const maxFileSize = options.maxFileSize ?? config.maxFileSize ?? DEFAULT_MAX_FILE_SIZE;
    for await (const { chunk, old } of changeChunks(repo, changes, ctx, maxFileSize)) {
      if (!chunk) continue;
      const opts = { ...detectOptions, path: chunk.provenance.path };
      const before = old ? new Set(detect(old, ruleSet, opts).map((m) => m.secret)) : null;
      const matches = detect(chunk.data, ruleSet, opts).filter((m) => !before?.has(m.secret) && !allowRegexes.some((re) => re.test(m.secret)));
      for (const o of occurrencesOf(chunk, matches, ruleSet.byId, findingOptions)) {
        if (allowIds.has(o.finding.secretId) || options.baseline?.has(o.finding.secretId)) suppressed++;
        else found.push(o);
      }
    }
    return found;
  };

  const incremental = options.staged || options.range || options.since;
  for (const target of options.targets) {
    if (incremental) {
      const repo = target === '-' ? null : await topLevel(resolve(target));
      if (!repo) throw new ConfigError(`${target}: --staged, --range and --since need a git repository`);
      try {
        if (options.staged) {
          const changes = await stagedChanges(repo);
          if (changes.length === 0) ctx.warn(`${repo}: nothing is staged; nothing to scan`);
          occurrences.push(...(await scanChanges(repo, changes)));
        } else {
          const revs = options.range ? await resolveRange(repo, options.range, ctx) : await resolveSince(repo, options.since!);
          const count = Number((await git(repo, ['rev-list', '--count', ...revs])).trim());
          commitsWalked += count;
          if (count === 0) ctx.warn(`${options.range ? `range ${options.range}` : `--since ${options.since}`}: no commits selected; nothing to scan`);
          occurrences.push(...(await scanChanges(repo, commitChanges(repo, revs, ctx))));
        }
      } catch (e) {
        throw new ConfigError((e as Error).message);
      }
      continue;
    }
    const repo = target !== '-' && options.history !== false ? await historyRoot(target) : null;
    if (!repo) {
      occurrences.push(...(await scanChunks(chunksOf(target, ctx, options, config))));
      continue;
    }
    // Every reachable blob once, then only the working-tree files whose content is not one of them.
    const scanned = new Set<string>();
    const maxFileSize = options.maxFileSize ?? config.maxFileSize ?? DEFAULT_MAX_FILE_SIZE;
    const inHistory = await scanChunks(historyChunks(repo, ctx, { refs: options.refs, maxFileSize, scanned }));
    const tracked = await unmodifiedTracked(repo);
    const covered = new Map<string, string[]>();
    for (const [path, oid] of tracked) {
      if (!scanned.has(oid)) continue;
      const list = covered.get(oid);
      if (list) list.push(path);
      else covered.set(oid, [path]);
    }
    const inWorktree = await scanChunks(
      fileChunks(target, ctx, { maxFileSize, excludePaths: config.allowlist.paths, skipPath: (p) => scanned.has(tracked.get(p) ?? '') }),
    );
    const blobs = new Set(inHistory.map((o) => o.finding.blobId!));
    const places: BlobPlaces = { introduced: new Map(), worktree: covered };
    const log = await blobHistories(repo, blobs, options.refs && options.refs.length > 0 ? options.refs : ['--all']);
    if (log.error) ctx.warn(`${target}: git log failed (${log.error}); history findings keep the path they were listed under`);
    for (const [oid, h] of log.histories) places.introduced.set(oid, h.introduced);
    commitsWalked += log.commits;
    occurrences.push(...placeGitOccurrences(inHistory, places), ...inWorktree);
  }
  if (suppressed > 0) ctx.skipped['suppressed-by-baseline-or-allowlist'] = suppressed;
  occurrences = occurrences.sort(byPlace);

  const findings = occurrences.map((o) => o.finding);
  const secrets = secretsOf(occurrences, ruleSet.byId, findingOptions);
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
        commitsWalked,
        durationMs: Math.round(performance.now() - t0),
        skipped: ctx.skipped,
      },
      warnings: ctx.warnings,
    },
    findings,
    secrets,
    rules: rules.filter((r) => used.has(r.id)).map(summarize),
  };
}

function chunksOf(target: string, ctx: SourceContext, options: ScanOptions, config: SprawlConfig): AsyncIterable<Chunk> {
  if (target === '-') return stdinChunks(options.stdin ?? process.stdin, ctx);
  return fileChunks(target, ctx, {
    maxFileSize: options.maxFileSize ?? config.maxFileSize,
    excludePaths: config.allowlist.paths,
  });
}

/** A folder that is a repository's top level gets its history scanned; anything else is files only. */
async function historyRoot(target: string): Promise<string | null> {
  const abs = resolve(target);
  if (!existsSync(join(abs, '.git'))) return null;
  const top = await topLevel(abs);
  return top && resolve(top) === abs ? abs : null;
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

function summarize(r: Rule): RuleSummary {
  return { id: r.id, name: r.name, provider: r.provider, confidence: r.confidence, references: r.references, revocation: r.revocation };
}

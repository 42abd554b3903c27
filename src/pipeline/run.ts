import RE2 from 're2';
import { occurrencesOf, type Occurrence } from '../analyze/findings.js';
import { ConfigError, type SprawlConfig } from '../config.js';
import { idKey as envIdKey } from '../core/identity.js';
import type { Chunk, Match, Rule, SeenAt } from '../core/types.js';
import { detect, type DetectOptions } from '../detect/engine.js';
import { detectInWorkers, workersAvailable } from '../detect/pool.js';
import { detectRevision, revisionMemory, type RevisionMemory } from '../detect/revisions.js';
import { availableParallelism } from 'node:os';
import { compileRuleSet, type RuleSet } from '../rules/compile.js';
import { BUILTIN_RULES_DIR, loadRules } from '../rules/load.js';
import { collectContext, type CollectedContext } from '../sources/context.js';
import { DEFAULT_MAX_FILE_SIZE } from '../sources/files.js';
import { ignore } from '../sources/packages.js';
import type { ScanOptions } from '../scan.js';
import type { RepoHead } from '../analyze/lifecycle.js';
import type { CodeOwners } from '../analyze/owners.js';
import { emptyWorkloadIndex, workloadsIn, type WorkloadIndex, type WorkloadSpan } from '../analyze/workloads.js';
import { logCi } from '../analyze/log-jobs.js';
import { placeOf, type CiPipeline } from '../ci/model.js';
import { ciFiles, parseChunk, type CiFiles } from './ci.js';

/** What every kind of target shares during one scan: rules, filters, counters, and what was found. */
export interface ScanRun {
  options: ScanOptions;
  config: SprawlConfig;
  rules: Rule[];
  ruleSet: RuleSet;
  ctx: CollectedContext;
  detectOptions: DetectOptions;
  maxFileSize: number;
  occurrences: Occurrence[];
  commitsWalked: number;
  /** repo name → HEAD commit, for secrets still in the working tree. */
  heads: Map<string, RepoHead>;
  /** blob id → the last commit that still held it, for blobs no longer in the working tree. */
  lastPresent: Map<string, SeenAt>;
  /** repo name → its parsed CODEOWNERS. */
  codeowners: Map<string, CodeOwners>;
  /** Kubernetes Secrets and the workloads that reference them, across every manifest scanned. */
  k8s: WorkloadIndex;
  suppressed: number;
  /** Which files configure CI (by name, or included by `.gitlab-ci.yml`). */
  ci: CiFiles;
  /** The last version of each path matched on this thread, so that a history blob is matched only where
   * it differs from it (see detect/revisions.ts). */
  revisions: RevisionMemory;
  /**
   * Detects in one chunk. A CI configuration is parsed once, for the pipeline rules and for the workloads
   * (`ci`), and a file GitLab CI includes is marked `ci-config` like the file including it. `warn: false`
   * for content that is only compared against (a staged file's previous version).
   */
  inspect(chunk: Chunk, warn?: boolean): { chunk: Chunk; matches: Match[]; ci: CiPipeline | null };
  /** Filters a chunk's matches through the allowlists and baseline and records the rest as occurrences. */
  keep(chunk: Chunk, matches: Match[], into?: Occurrence[], ci?: CiPipeline | null): void;
}

/** The enabled rules and their compiled set. */
export interface PreparedRules {
  rules: Rule[];
  ruleSet: RuleSet;
}

/** Loads, filters and compiles the rules once. Rule problems are configuration errors: fail loudly. */
export function prepareRules(options: Pick<ScanOptions, 'rulesDirs' | 'noBuiltinRules'>, config: SprawlConfig): PreparedRules {
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

/**
 * The allowlist's paths (gitignore patterns), for findings. The file listing already skips them in the
 * working tree; history blobs and archive members are only known by path once found, so their findings
 * are dropped here (and counted as suppressed), as gitleaks does with its path allowlist.
 */
function pathAllowlist(patterns: string[]): (path: string) => boolean {
  if (patterns.length === 0) return () => false;
  const ig = ignore()().add(patterns);
  return (path) => {
    try {
      return ig.ignores(path.replace(/^\/+/, ''));
    } catch {
      // `ignore` refuses paths it cannot place (`-` for standard input, `..`): such a path is allowed by none.
      return false;
    }
  };
}

export function startRun(options: ScanOptions, config: SprawlConfig): ScanRun {
  const { rules, ruleSet } = options.rules ?? prepareRules(options, config);
  const allowRegexes = config.allowlist.regexes.map((r) => {
    try {
      return new RE2(r);
    } catch (e) {
      throw new ConfigError(`allowlist regex ${JSON.stringify(r)} does not compile with RE2: ${(e as Error).message}`);
    }
  });
  const allowIds = new Set(config.allowlist.secretIds);
  const allowedPath = pathAllowlist(config.allowlist.paths);
  const findingOptions = { idKey: envIdKey(options.env), reveal: options.reveal === true };
  const run: ScanRun = {
    options,
    config,
    rules,
    ruleSet,
    ctx: collectContext(),
    detectOptions: { maxDecodeDepth: options.maxDecodeDepth ?? config.maxDecodeDepth ?? 2 },
    maxFileSize: options.maxFileSize ?? config.maxFileSize ?? DEFAULT_MAX_FILE_SIZE,
    occurrences: [],
    commitsWalked: 0,
    heads: new Map(),
    lastPresent: new Map(),
    codeowners: new Map(),
    k8s: emptyWorkloadIndex(),
    suppressed: 0,
    ci: ciFiles(),
    revisions: revisionMemory(),
    inspect(chunk, warn = true) {
      const { source } = chunk.provenance;
      // Test-path and documentation heuristics judge source files; a log's path (a job named `test`) says nothing of its values.
      const path = source === 'log' ? undefined : chunk.provenance.path;
      const system = path === undefined ? null : run.ci.systemOf(path);
      if (!system) {
        const options = { ...run.detectOptions, path, ci: null };
        const matches = source === 'git' ? detectRevision(run.revisions, chunk.data, ruleSet, options) : detect(chunk.data, ruleSet, options);
        return { chunk, matches, ci: null };
      }
      const marked = source === 'file' ? { ...chunk, provenance: { ...chunk.provenance, source: 'ci-config' as const } } : chunk;
      const ci = parseChunk(chunk, system, run.ctx, warn);
      return { chunk: marked, matches: detect(chunk.data, ruleSet, { ...run.detectOptions, path, ci }), ci };
    },
    keep(chunk, found, into = run.occurrences, ci = null) {
      const matches = withinLimit(found, chunk, run);
      // The allowlist's regexes match values; a finding about a variable is matched by its name.
      const allowed = matches.filter((m) => !allowRegexes.some((re) => re.test(m.variable ? m.variable.reference : m.secret)));
      const spans = workloadSpans(chunk, allowed.length > 0, run.k8s, ci);
      for (const o of occurrencesOf(chunk, allowed, ruleSet.byId, findingOptions)) {
        const used = spans.filter((s) => o.finding.line >= s.startLine && o.finding.line <= s.endLine).map((s) => s.workload);
        if (used.length > 0) o.finding.workloads = used;
        const system = chunk.provenance.log ? null : run.ci.systemOf(o.finding.path);
        if (chunk.provenance.log) o.finding.ci = logCi(o.finding.path, chunk.provenance.log, o.match.start);
        else if (system) {
          const place = ci ? placeOf(ci, o.finding.line) : { job: null, step: null };
          o.finding.ci = { system, workflow: o.finding.path, ...place, ...(o.match.ciBlock ? { block: o.match.ciBlock } : {}) };
        }
        if (allowIds.has(o.finding.secretId) || options.baseline?.has(o.finding.secretId) || allowedPath(o.finding.path)) run.suppressed++;
        else into.push(o);
      }
    },
  };
  return run;
}

/**
 * Matches reported from one file or blob, at most. Past it the file is a dump or generated data (a
 * minified bundle of 600,000 `token:"..."` pairs): every finding costs ~1 KB of report, and the 37 MB
 * bundle ran the scan out of a 4 GB heap. Provider rules' matches are kept first, then the generic ones,
 * in file order; the rest are counted in stats.skipped['matches-over-limit'] with a warning naming the file.
 */
export const MAX_MATCHES_PER_CHUNK = 1000;

function withinLimit(matches: Match[], chunk: Chunk, run: ScanRun): Match[] {
  if (matches.length <= MAX_MATCHES_PER_CHUNK) return matches;
  const generic = (m: Match): number => (run.ruleSet.byId.get(m.ruleId)?.generic ? 1 : 0);
  const kept = [...matches]
    .sort((a, b) => generic(a) - generic(b) || a.start - b.start)
    .slice(0, MAX_MATCHES_PER_CHUNK)
    .sort((a, b) => a.start - b.start);
  const p = chunk.provenance;
  const at = p.commit ?? p.blobId;
  const where = at ? `${p.path} @ ${at.slice(0, 12)}` : p.path;
  run.ctx.count('matches-over-limit', matches.length - kept.length);
  run.ctx.warn(`${where}: ${matches.length} matches; the first ${MAX_MATCHES_PER_CHUNK} are reported (provider rules first), the rest counted in stats`);
  return kept;
}

/** Files that may define workloads; Kubernetes manifests are parsed even without findings when they
 * reference Secrets, so that a Secret defined elsewhere can be traced to the workloads using it. */
const WORKLOAD_FILE = /\.ya?ml$|\.tf$|(?:^|\/)Dockerfile(?:\.[\w-]+)?$|\.dockerfile$/i;
const K8S_REFERENCES = ['secretKeyRef', 'secretRef', 'secretName', 'imagePullSecrets'];

function workloadSpans(chunk: Chunk, hasMatches: boolean, k8s: WorkloadIndex, ci: CiPipeline | null): WorkloadSpan[] {
  const { path } = chunk.provenance;
  const data = chunk.data;
  // CI configs are read even without findings: their jobs may read a variable that holds a secret.
  if (ci) return workloadsIn(path, data.toString('utf8'), k8s, ci, chunk.provenance.repo ?? null);
  if (!WORKLOAD_FILE.test(path) || data.length > 2 * 1024 * 1024) return [];
  if (!hasMatches) {
    // Most YAML in a history has no finding and no Secret reference: look at the bytes before decoding them.
    if (!/\.ya?ml$/i.test(path)) return [];
    if (!(data.includes('kind:') && K8S_REFERENCES.some((r) => data.includes(r)))) return [];
  }
  return workloadsIn(path, data.toString('utf8'), k8s);
}

/** Detects in every chunk and keeps what passes the filters; returns what it kept. */
export async function scanChunks(run: ScanRun, chunks: AsyncIterable<Chunk>, onFound?: () => void): Promise<Occurrence[]> {
  const { found, keep } = keeper(run, onFound);
  for await (const raw of chunks) {
    const { chunk, matches, ci } = run.inspect(raw);
    keep(chunk, matches, ci);
  }
  return found;
}

/** Keeps occurrences into `found`, telling `onFound` once, at the first. */
function keeper(run: ScanRun, onFound?: () => void): { found: Occurrence[]; keep: (chunk: Chunk, matches: Match[], ci: CiPipeline | null) => void } {
  const found: Occurrence[] = [];
  const keep = (chunk: Chunk, matches: Match[], ci: CiPipeline | null): void => {
    const before = found.length;
    run.keep(chunk, matches, found, ci);
    if (before === 0 && found.length > 0) onFound?.();
  };
  return { found, keep };
}

/** Options of scanChunksInWorkers. */
export interface InWorkersOptions {
  /** A git history (versions of files, matched where they differ from the last: see revisions.ts) or the
   * files of a folder. Decides the default worker count and how much is matched here first. Default history. */
  kind?: 'history' | 'files';
  /** The source's count of listed bytes: it runs ahead of reading and tells early how large the stream is. */
  listed?: { bytes: number };
  /** Called once, when the first occurrence is kept. */
  onFound?: () => void;
}

/**
 * Like scanChunks, with detection in worker threads so that reading never waits on matching: for a git
 * history (a stream fed by another process), and for a folder when `--workers` asks. Falls back to this thread when workers are off
 * (`workers: 0`) or unavailable (running from sources).
 *
 * With the default worker count, the first WORKERS_AFTER bytes are matched on this thread and workers
 * start only when a history is larger: each worker loads the scanner and compiles the rules (~0.1 s),
 * more than a small history takes to match. They start at once when the source's listing (`listed`, which
 * runs ahead of reading) already holds 1.5 times that. Measured with developer-churn histories (5
 * interleaved runs each, inline default against a worker from the start): 17 MiB 0.50 s against 0.55 s,
 * 53 MiB 0.93 against 1.04, 108 MiB 1.68 against 1.59; three.js's 469 MiB lost 0.3 s matching its first
 * 64 MiB here (4.28 s against 3.95 s).
 */
export async function scanChunksInWorkers(run: ScanRun, chunks: AsyncIterable<Chunk>, options: InWorkersOptions = {}): Promise<Occurrence[]> {
  const { listed, onFound } = options;
  const history = options.kind !== 'files';
  // A folder's files are matched here unless workers are asked for: on 2 cores a worker did not pay (a copy
  // of Python's standard library, 46 MiB of text among 250 MiB: 2.12 s inline, 2.22 s with a worker after
  // the first 16 MiB; node_modules, 80 MiB: 1.66 against 1.73 s). Reading, not matching, is most of it.
  const workers = run.options.workers ?? (history ? defaultWorkers() : 0);
  if (workers === 0 || !workersAvailable()) return scanChunks(run, chunks, onFound);
  const { found, keep } = keeper(run, onFound);
  const source = chunks[Symbol.asyncIterator]();
  // An explicit --workers starts them at once; the default waits for a history worth their start-up.
  const inlineBytes = run.options.workers === undefined ? (run.options.workersAfter ?? WORKERS_AFTER) : 0;
  // A `workersAfter` the caller set is kept to the byte; the listing's size only hastens the default.
  const listedEnough = (): boolean => run.options.workersAfter === undefined && (listed?.bytes ?? 0) >= 1.5 * inlineBytes;
  for (let bytes = 0; bytes < inlineBytes && !listedEnough(); ) {
    const next = await source.next();
    if (next.done) return found;
    const { chunk, matches, ci } = run.inspect(next.value);
    keep(chunk, matches, ci);
    bytes += next.value.data.length;
  }
  // CI configurations are few and small: they are matched on this thread, where their pipeline is parsed
  // once for the pipeline rules and the workloads, and where the files `.gitlab-ci.yml` includes are known.
  async function* others(): AsyncIterable<Chunk> {
    for (let next = await source.next(); !next.done; next = await source.next()) {
      const chunk = next.value;
      if (!run.ci.systemOf(chunk.provenance.path)) yield chunk;
      else {
        const inspected = run.inspect(chunk);
        keep(inspected.chunk, inspected.matches, inspected.ci);
      }
    }
  }
  for await (const { chunk, matches } of detectInWorkers(others(), {
    workers,
    rules: run.rules,
    detect: run.detectOptions,
    revisions: history,
    fallback: (chunk) => run.inspect(chunk).matches,
    onWorkerLost: (message) => run.ctx.warn(message),
  })) {
    keep(chunk, matches, null);
  }
  return found;
}

/** History bytes matched on this thread before the default workers start. */
const WORKERS_AFTER = 64 * 1024 * 1024;

/**
 * One worker on 2 or 3 cores, cores − 2 (at most 4) from 4 up: git's cat-file takes a core, and this
 * thread reads and keeps. Even on 2 cores one worker pays: matching on this thread left git's pipe
 * unread for as long as a blob took to match, so git and the engine took turns. Measured on a real
 * history (three.js, 71 releases, 16,566 blobs, 469 MiB; 3 alternating runs): 4.5-4.6 s inline, 3.4-3.9
 * s with one worker. Where git itself is the bottleneck (the generated 10,000-commit history: long delta
 * chains of small files) the worker takes CPU from git instead, and loses: 1.57x cat-file's time against
 * 1.2-1.45x inline. A real history decided the default; `--workers 0` is there for the other kind.
 */
function defaultWorkers(): number {
  const cores = availableParallelism();
  return cores >= 4 ? Math.min(4, cores - 2) : cores >= 2 ? 1 : 0;
}

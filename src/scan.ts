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
import { fileChunks } from './sources/files.js';
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
}

/** Loads, filters and compiles the rules once. Rule problems are configuration errors: fail loudly. */
export function prepareRules(options: Pick<ScanOptions, 'rulesDirs' | 'noBuiltinRules'>, config: SprawlConfig): { rules: Rule[]; ruleSet: RuleSet } {
  const dirs = [...(options.noBuiltinRules ? [] : [BUILTIN_RULES_DIR]), ...config.rules, ...(options.rulesDirs ?? [])];
  const { rules, problems } = loadRules(dirs);
  const disabled = new Set(config.disabledRules);
  const unknown = config.disabledRules.filter((id) => !rules.some((r) => r.id === id));
  if (unknown.length > 0) problems.push({ file: 'config', ruleId: unknown[0]!, message: `disabledRules names unknown rule(s): ${unknown.join(', ')}` });
  const enabled = rules.filter((r) => !disabled.has(r.id));
  const { ruleSet, problems: compileProblems } = compileRuleSet(enabled);
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
  const occurrences: Occurrence[] = [];
  let suppressed = 0;

  for (const target of options.targets) {
    for await (const chunk of chunksOf(target, ctx, options, config)) {
      const matches = detect(chunk.data, ruleSet, { ...detectOptions, path: chunk.provenance.path }).filter(
        (m) => !allowRegexes.some((re) => re.test(m.secret)),
      );
      for (const o of occurrencesOf(chunk, matches, ruleSet.byId, findingOptions)) {
        if (allowIds.has(o.finding.secretId) || options.baseline?.has(o.finding.secretId)) suppressed++;
        else occurrences.push(o);
      }
    }
  }
  if (suppressed > 0) ctx.skipped['suppressed-by-baseline-or-allowlist'] = suppressed;

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
        blobsScanned: 0,
        filesScanned: ctx.files,
        commitsWalked: 0,
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

function summarize(r: Rule): RuleSummary {
  return { id: r.id, name: r.name, provider: r.provider, confidence: r.confidence, references: r.references, revocation: r.revocation };
}

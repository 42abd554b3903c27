/**
 * `npm run bench [-- <path>] [--mib N]`: engine throughput on one core, in MiB/s.
 *
 * Without a path, scans a generated corpus of source-code-like files (seeded, so every run sees the same
 * bytes) with a few fake secrets in it. With a path, reads its files into memory first, so the figure is
 * the engine's, not the disk's. Prints the keyword locator pass alone, the full engine, and, when `rg` is on the
 * PATH, ripgrep's time for the same rule patterns over the same files, as a ratio.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detect } from '../detect/engine.js';
import { compileRuleSet } from '../rules/compile.js';
import { BUILTIN_RULES_DIR, loadRules } from '../rules/load.js';
import { collectContext } from '../sources/context.js';
import { fileChunks } from '../sources/files.js';
import { generateCorpus, generateDenseFiles } from './corpus.js';

interface Args {
  path?: string;
  mib: number;
  rounds: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { mib: 64, rounds: 3 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--mib') args.mib = Number(argv[++i]);
    else if (a === '--rounds') args.rounds = Number(argv[++i]);
    else args.path = a;
  }
  return args;
}

async function loadFiles(path: string): Promise<Buffer[]> {
  const out: Buffer[] = [];
  const ctx = collectContext();
  for await (const chunk of fileChunks(path, ctx)) out.push(chunk.data);
  return out;
}

/**
 * Best of `rounds`, in ms of CPU time (user + system) of this process: the figure is "on one core", and
 * CPU time is not inflated when other processes share the machine, which wall time is.
 */
function time(fn: () => void, rounds: number): number {
  let best = Infinity;
  for (let i = 0; i < rounds; i++) {
    const t = process.cpuUsage();
    fn();
    const d = process.cpuUsage(t);
    best = Math.min(best, (d.user + d.system) / 1000);
  }
  return best;
}

function ripgrep(files: Buffer[], patterns: string[], rounds: number): number | null {
  if (spawnSync('rg', ['--version']).status !== 0) return null;
  const dir = mkdtempSync(join(tmpdir(), 'sprawl-bench-'));
  try {
    files.forEach((f, i) => writeFileSync(join(dir, `f${i}.txt`), f));
    const patFile = join(dir, '..', `${dir.split('/').pop()}.patterns`);
    writeFileSync(patFile, patterns.join('\n'));
    let best = Infinity;
    for (let i = 0; i < rounds; i++) {
      const t = performance.now();
      spawnSync('rg', ['--threads', '1', '-c', '--no-ignore', '-f', patFile, dir], { encoding: 'utf8', maxBuffer: 1 << 28 });
      best = Math.min(best, performance.now() - t);
    }
    rmSync(patFile);
    return best;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const { rules, problems } = loadRules([BUILTIN_RULES_DIR]);
  if (problems.length > 0) throw new Error(`rule problems: ${problems.length}; run sprawl rules check`);
  const { ruleSet } = compileRuleSet(rules);
  const files = args.path ? await loadFiles(args.path) : generateCorpus(args.mib * 1024 * 1024, 'bench');
  const bytes = files.reduce((n, f) => n + f.length, 0);
  const mib = bytes / 1024 / 1024;
  let found = 0;
  const locate = (f: Buffer): void => {
    ruleSet.locator.lastIndex = 0;
    while (ruleSet.locator.test(f as unknown as string));
  };
  const setMs = time(() => files.forEach(locate), args.rounds);
  const engineMs = time(() => {
    found = 0;
    for (const f of files) found += detect(f, ruleSet).length;
  }, args.rounds);
  const plainMs = time(() => files.forEach((f) => detect(f, ruleSet, { maxDecodeDepth: 0 })), args.rounds);
  const source = args.path ?? `generated corpus (${files.length} files)`;
  console.log(`corpus: ${source}, ${mib.toFixed(1)} MiB; ${rules.length} rules, ${ruleSet.keywords.length} keywords`);
  console.log(`keyword locator alone:    ${(mib / (setMs / 1000)).toFixed(0)} MiB/s`);
  console.log(`engine, no decoding:      ${(mib / (plainMs / 1000)).toFixed(0)} MiB/s`);
  console.log(`engine (default rules):   ${(mib / (engineMs / 1000)).toFixed(0)} MiB/s  (${found} matches, best of ${args.rounds}, CPU time)`);
  const dense = generateDenseFiles(5000, 'bench-dense');
  const denseMiB = dense.reduce((n, f) => n + f.length, 0) / 1024 / 1024;
  let denseFound = 0;
  const denseMs = time(() => {
    denseFound = 0;
    for (const f of dense) denseFound += detect(f, ruleSet).length;
  }, args.rounds);
  console.log(
    `secret-dense files (${dense.length} x 5,000 assignments, ${denseMiB.toFixed(1)} MiB): ${denseMs.toFixed(0)} ms, ` +
      `${((denseMs * 1000) / Math.max(1, denseFound)).toFixed(0)} µs a match (${denseFound} matches)`,
  );
  const rgMs = ripgrep(files, rules.map((r) => r.pattern), args.rounds);
  if (rgMs === null) console.log('ripgrep: not installed (apt-get install ripgrep to compare)');
  else console.log(`ripgrep, same patterns, 1 thread: ${(mib / (rgMs / 1000)).toFixed(0)} MiB/s; sprawl/rg time ratio ${(engineMs / rgMs).toFixed(2)}`);
}

main().catch((e: Error) => {
  console.error(`bench: ${e.message}`);
  process.exitCode = 1;
});

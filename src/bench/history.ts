/**
 * `npm run bench:history [-- <repo>] [--commits N]`: full-history scan against the raw cost of reading
 * the same blobs with `git cat-file --batch`, measured in the same run; peak RSS; and the wall time of a
 * pre-commit `scan --staged` of a 10-file change, Node start-up included.
 *
 * Without a repo, generates one with N commits (default 3000) of source-like files and a few secrets.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCorpus } from './corpus.js';
import { formatThreads, sampleThreads, type ThreadCpu } from './threads.js';
import { detect } from '../detect/engine.js';
import { detectRevision, revisionMemory } from '../detect/revisions.js';
import { compileRuleSet } from '../rules/compile.js';
import { BUILTIN_RULES_DIR, loadRules } from '../rules/load.js';
import { collectContext } from '../sources/context.js';
import { historyChunks } from '../sources/git/history.js';

const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '../cli/sprawl.cjs');

function generateRepo(commits: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'sprawl-bench-repo-'));
  execFileSync('git', ['init', '-q', '-b', 'main', dir]);
  const files = generateCorpus(4 * 1024 * 1024, 'history');
  // fast-import builds thousands of commits in one process, far faster than `git commit` in a loop.
  const lines: string[] = [];
  let mark = 0;
  let when = 1_600_000_000;
  for (let c = 0; c < commits; c++) {
    // A new version of a file each commit: thousands of distinct blobs, as in a real history.
    const text = `${files[c % files.length]!.toString('utf8')}\n// revision ${c}\n`;
    lines.push('blob', `mark :${++mark}`, `data ${Buffer.byteLength(text)}`, text);
    lines.push('commit refs/heads/main', `author Bench <bench@example.test> ${when} +0000`, `committer Bench <bench@example.test> ${when} +0000`, 'data 8', `commit ${c % 10}`);
    lines.push(`M 100644 :${mark} src/module${c % 400}/file${c % 37}.ts`, '');
    when += 3600;
  }
  execFileSync('git', ['-C', dir, 'fast-import', '--quiet'], { input: lines.join('\n') + '\n', maxBuffer: 1 << 30 });
  execFileSync('git', ['-C', dir, 'reset', '-q', '--hard', 'main']);
  return dir;
}

/**
 * The yardstick: list every reachable blob (rev-list piped into batch-check), then stream them all through
 * cat-file into /dev/null, as fast as git can, doing nothing with them. Both run in the shell with no Node
 * in the data path: reading the listing through Node and filtering it in JavaScript added ~0.8 s to
 * nested-churn's 1.8 s of listing, and made every ratio look better than it was. `catFileMs` is the
 * second part alone: on a history of many commits, listing costs more than reading (43,855 commits over
 * one folder of 3,855 files: 10.7 s against 4.4 s), and a scan overlaps the two. `bytes` is the blobs'
 * content, from the listing's sizes.
 */
function catFileAll(repo: string): { ms: number; catFileMs: number; bytes: number; pipeMs: number } {
  const dir = mkdtempSync(join(tmpdir(), 'sprawl-bench-oids-'));
  const oids = join(dir, 'oids');
  try {
    const t = performance.now();
    const total = execFileSync(
      'sh',
      ['-c', `: > "$2"; git -C "$1" rev-list --objects --all | git -C "$1" cat-file --batch-check='%(objectname) %(objecttype) %(objectsize) %(rest)' | awk '$2 == "blob" { print $1 > "'"$2"'"; n += $3 } END { print n + 0 }'`, 'sh', repo, oids],
      { encoding: 'utf8' },
    );
    const listed = performance.now();
    execFileSync('sh', ['-c', 'git -C "$1" cat-file --batch < "$2" > /dev/null', 'sh', repo, oids]);
    const end = performance.now();
    return { ms: end - t, catFileMs: end - listed, bytes: Number(total.trim()), pipeMs: pipeIntoNode(repo, oids) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The floor of any scanner in Node that reads git's output: the same cat-file run, its output read by a
 * Node process through a pipe and thrown away. Timed inside that process, from spawning git to its last
 * byte, so Node's own start-up is left out. On this kind of machine moving the bytes through a pipe costs
 * about as much CPU as git's inflating them (three.js: git's system time 0.13 s into /dev/null, ~0.6 s
 * into a pipe, and ~0.5 s more on the reading side), and on 2 cores that CPU comes out of the same budget.
 */
function pipeIntoNode(repo: string, oids: string): number {
  const out = execFileSync(process.execPath, ['-e', `
    const { spawn } = require('node:child_process');
    const { openSync } = require('node:fs');
    const t = performance.now();
    const git = spawn('git', ['-C', process.argv[1], 'cat-file', '--batch', '--buffer'], { stdio: [openSync(process.argv[2], 'r'), 'pipe', 'inherit'] });
    git.stdout.on('data', () => {});
    git.on('close', () => console.log(performance.now() - t));
  `, repo, oids], { encoding: 'utf8' });
  return Number(out.trim());
}

/**
 * sprawl's own reading with nothing matched: the listing, cat-file and the parsing of its output into
 * chunks, in a process of its own, timed from the call. What a scan costs beyond this is detection.
 */
async function readingOnly(repo: string): Promise<number> {
  const here = dirname(fileURLToPath(import.meta.url));
  const child = await runScan(['--input-type=module', '-e', `
    import { historyChunks } from ${JSON.stringify(resolve(here, '../sources/git/history.js'))};
    import { collectContext } from ${JSON.stringify(resolve(here, '../sources/context.js'))};
    const t = performance.now();
    for await (const chunk of historyChunks(${JSON.stringify(repo)}, collectContext(), { maxFileSize: 16 * 1024 * 1024 })) void chunk;
    console.log(performance.now() - t);
  `]);
  if (child.status !== 0) throw new Error(child.stderr);
  return Number(child.stdout.trim());
}

function stagedWallTime(): { min: number; median: number; node: number; hook: number; hookMin: number } {
  const dir = mkdtempSync(join(tmpdir(), 'sprawl-bench-staged-'));
  execFileSync('git', ['init', '-q', dir]);
  // Ten files of ~4 KiB, cut at a line end: a typical commit's worth of source.
  const files = generateCorpus(1024 * 1024, 'staged')
    .slice(0, 10)
    .map((f) => f.subarray(0, f.indexOf(10, 4096) + 1 || f.length));
  files.slice(0, 10).forEach((f, i) => {
    mkdirSync(join(dir, 'src'), { recursive: true });
    writeFileSync(join(dir, 'src', `f${i}.ts`), f);
  });
  execFileSync('git', ['-C', dir, 'add', '-A']);
  // A hook runs on a repository with history: commit, then change and stage the ten files again.
  execFileSync('git', ['-C', dir, '-c', 'user.name=bench', '-c', 'user.email=bench@example.test', 'commit', '-q', '-m', 'base']);
  files.slice(0, 10).forEach((f, i) => writeFileSync(join(dir, 'src', `f${i}.ts`), f + `\nexport const revision${i} = 2;\n`));
  execFileSync('git', ['-C', dir, 'add', '-A']);
  // Interleaved with bare `node -e 0`, so that the figure can be read against this machine's Node start-up.
  // And through the hook `sprawl hook install` writes, as git runs it: from the top level, by /bin/sh.
  execFileSync(process.execPath, [CLI, 'hook', 'install', dir], { stdio: 'ignore' });
  const hook = join(dir, '.git', 'hooks', 'pre-commit');
  const scanMs: number[] = [];
  const nodeMs: number[] = [];
  const hookMs: number[] = [];
  for (let i = 0; i < 15; i++) {
    let t = performance.now();
    spawnSync(process.execPath, [CLI, 'scan', '--staged', dir], { stdio: 'ignore' });
    scanMs.push(performance.now() - t);
    t = performance.now();
    spawnSync(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    nodeMs.push(performance.now() - t);
    t = performance.now();
    spawnSync('/bin/sh', [hook], { stdio: 'ignore', cwd: dir });
    hookMs.push(performance.now() - t);
  }
  rmSync(dir, { recursive: true, force: true });
  return { min: quantile(scanMs, 0), median: quantile(scanMs, 0.5), node: quantile(nodeMs, 0.5), hook: quantile(hookMs, 0.5), hookMin: quantile(hookMs, 0) };
}

/**
 * The engine alone over the history's blobs, streamed in listing order: one pass matching each blob
 * whole, another matching each where it differs from the last version of its path (what a scan does).
 * Two passes, not both calls on each blob: the second call on bytes just read ran on warm caches. CPU
 * time of the calls only, so git's share and the machine's other load stay out of it.
 */
async function engineOnHistory(repo: string): Promise<{ mib: number; wholeMs: number; versionMs: number; compared: number; scanned: number }> {
  const { ruleSet } = compileRuleSet(loadRules([BUILTIN_RULES_DIR]).rules);
  const memory = revisionMemory();
  const cpu = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const pass = async (match: (data: Buffer, path: string) => void): Promise<{ bytes: number; ms: number }> => {
    let bytes = 0;
    let ms = 0;
    for await (const chunk of historyChunks(repo, collectContext(), { maxFileSize: 16 * 1024 * 1024 })) {
      bytes += chunk.data.length;
      const t = cpu();
      match(chunk.data, chunk.provenance.path);
      ms += cpu() - t;
    }
    return { bytes, ms };
  };
  // One pass first to warm the rules both passes use, so neither pays for compiling them.
  await pass((data, path) => detect(data, ruleSet, { path }));
  const whole = await pass((data, path) => detect(data, ruleSet, { path }));
  const version = await pass((data, path) => detectRevision(memory, data, ruleSet, { path }));
  return { mib: whole.bytes / 1024 / 1024, wholeMs: whole.ms, versionMs: version.ms, compared: memory.compared, scanned: memory.scanned };
}

/** Runs node with `args`, sampling its threads' CPU meanwhile. */
function runScan(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string; threads: ThreadCpu[] }> {
  return new Promise((done) => {
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const sampler = sampleThreads(p.pid!);
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    p.on('close', (status) => done({ status, stdout, stderr, threads: sampler.stop() }));
  });
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) * q)]!;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--staged-only')) {
    printStaged();
    return;
  }
  const valueOf = (name: string, fallback: number): number => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : fallback;
  };
  const commits = valueOf('--commits', 3000);
  // This machine's timings move 5-10% from run to run: the yardstick and the scan alternate, and the medians count.
  const runs = Math.max(1, valueOf('--runs', 3));
  const given = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--commits' && args[i - 1] !== '--runs');
  const repo = given ? resolve(given) : generateRepo(commits);
  const yardsticks: number[] = [];
  const readOnly: number[] = [];
  const pipes: number[] = [];
  const readings: number[] = [];
  const scans: Array<Awaited<ReturnType<typeof scanOnce>>> = [];
  let bytes = 0;
  for (let i = 0; i < runs; i++) {
    const raw = catFileAll(repo);
    yardsticks.push(raw.ms);
    readOnly.push(raw.catFileMs);
    pipes.push(raw.pipeMs);
    bytes = raw.bytes;
    readings.push(await readingOnly(repo));
    scans.push(await scanOnce(repo));
  }
  const rawMs = quantile(yardsticks, 0.5);
  const { ms, stats, findings, secrets, threads } = [...scans].sort((a, b) => a.ms - b.ms)[Math.floor((runs - 1) / 2)]!;
  const rss = Math.max(...scans.map((s) => s.rss));
  const report = { findings: { length: findings }, secrets: { length: secrets }, scan: { stats } };
  const mib = stats.bytesScanned / 1024 / 1024;
  const ratios = scans.map((s, i) => s.ms / yardsticks[i]!).sort((a, b) => a - b);
  console.log(`repository: ${given ?? `generated, ${commits} commits`} (${repo}); medians of ${runs} alternating runs`);
  const readMs = quantile(readOnly, 0.5);
  console.log(
    `git cat-file --batch, every reachable blob: ${(rawMs / 1000).toFixed(2)} s, ${(bytes / 1024 / 1024 / (rawMs / 1000)).toFixed(0)} MiB/s ` +
      `(listing ${((rawMs - readMs) / 1000).toFixed(2)} s, then reading ${(readMs / 1000).toFixed(2)} s)`,
  );
  console.log(
    `sprawl scan (history + working tree): ${(ms / 1000).toFixed(2)} s, ${(mib / (ms / 1000)).toFixed(0)} MiB/s over ${report.scan.stats.blobsScanned} blobs; ` +
      `ratio to cat-file ${(ms / rawMs).toFixed(2)}× (run by run ${ratios.map((r) => r.toFixed(2)).join(', ')})`,
  );
  console.log(`ratio to the reading alone, without the listing: ${(ms / readMs).toFixed(2)}×`);
  const pipeMs = quantile(pipes, 0.5);
  const readingMs = quantile(readings, 0.5);
  console.log(
    `floors: cat-file's output read by Node through a pipe and discarded ${(pipeMs / 1000).toFixed(2)} s (${(pipeMs / readMs).toFixed(2)}× the reading alone); ` +
      `sprawl's listing and reading with nothing matched ${(readingMs / 1000).toFixed(2)} s (${(readingMs / rawMs).toFixed(2)}× cat-file, ${(readingMs / readMs).toFixed(2)}× the reading alone)`,
  );
  console.log(`findings ${report.findings.length}, secrets ${report.secrets.length}, commits walked ${report.scan.stats.commitsWalked}`);
  console.log(`peak RSS of the scan process: ${(rss / 1024).toFixed(0)} MiB`);
  if (threads.length > 0) console.log(`CPU by thread and child process (median run): ${formatThreads(threads)}`);
  const engine = await engineOnHistory(repo);
  console.log(
    `engine alone (CPU) over the same blobs: each matched whole ${(engine.mib / (engine.wholeMs / 1000)).toFixed(0)} MiB/s; ` +
      `matched where it differs from its path's last version ${(engine.mib / (engine.versionMs / 1000)).toFixed(0)} MiB/s ` +
      `(${(engine.compared / 1024 / 1024).toFixed(0)} MiB compared, keyword pass over ${(engine.scanned / 1024 / 1024).toFixed(0)} MiB of it)`,
  );
  // A generated repository is the benchmark's own; a given one is the user's.
  if (!given) rmSync(repo, { recursive: true, force: true });
  printStaged();
}

/** One scan of the repository in its own process, as a user runs it, so that its peak RSS is its own. */
async function scanOnce(repo: string): Promise<{ ms: number; stats: { bytesScanned: number; blobsScanned: number; commitsWalked: number }; findings: number; secrets: number; rss: number; threads: ThreadCpu[] }> {
  const child = await runScan(['--input-type=module', '-e', `
    import { scan } from ${JSON.stringify(resolve(dirname(fileURLToPath(import.meta.url)), '../scan.js'))};
    const t = performance.now();
    const r = await scan({ targets: [${JSON.stringify(repo)}] });
    // VmHWM is this process's own peak; getrusage's maxRSS also holds the parent's RSS from before exec.
    const { readFileSync } = await import('node:fs');
    const hwm = /VmHWM:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    console.log(JSON.stringify({ ms: performance.now() - t, stats: r.scan.stats, findings: r.findings.length, secrets: r.secrets.length, rss: hwm ? Number(hwm) : process.resourceUsage().maxRSS }));
  `]);
  if (child.status !== 0) throw new Error(child.stderr);
  return { ...(JSON.parse(child.stdout) as { ms: number; stats: { bytesScanned: number; blobsScanned: number; commitsWalked: number }; findings: number; secrets: number; rss: number }), threads: child.threads };
}

function printStaged(): void {
  const staged = stagedWallTime();
  console.log(`scan --staged, 10 changed files, wall time incl. node start-up, 15 runs: median ${staged.median.toFixed(0)} ms, best ${staged.min.toFixed(0)} ms (bare \`node -e 0\`: median ${staged.node.toFixed(0)} ms)`);
  const ca = process.env.NODE_EXTRA_CA_CERTS ? ', which unsets NODE_EXTRA_CA_CERTS' : '';
  console.log(`the same through the installed pre-commit hook${ca}: median ${staged.hook.toFixed(0)} ms, best ${staged.hookMin.toFixed(0)} ms`);
}

main().catch((e: Error) => {
  console.error(`bench: ${e.message}`);
  process.exitCode = 1;
});

#!/usr/bin/env node
// Builds a git repository whose history is a developer's churn on real code: files of 8-200 KiB taken
// from a folder of real code (default: 300 JavaScript files from node_modules), then commits that each
// change 1-3 lines of one of them (seeded, fixed authors and dates), for `npm run bench:history -- <dir>`.
// The npm-release histories (npm-history-repo.sh) rewrite whole bundles; most real histories look like
// this instead. A large one, closer to a big project's blob count:
//
//   node scripts/dev-history-repo.mjs /tmp/dev-history
//   node scripts/dev-history-repo.mjs /tmp/big-churn --from /usr/lib/python3 --ext py --files 1500 --commits 30000
//   node scripts/dev-history-repo.mjs /tmp/mixed-churn --from ~/.pyenv/versions --ext py --files 6000 --min-kib 1 --commits 40000 --dirs 200
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const dir = resolve(args[0] && !args[0].startsWith('--') ? args[0] : '/tmp/dev-history');
const from = resolve(option('from', resolve(dirname(fileURLToPath(import.meta.url)), '../node_modules')));
const ext = option('ext', 'js');
const fileCount = Number(option('files', 300));
const commits = Number(option('commits', 3000));
// Smallest file taken, in KiB. Below 8 KiB a version is matched whole rather than against the last one: a
// smaller minimum mixes in the many small files a real project has (most of rails' blobs are a few KiB).
const minKib = Number(option('min-kib', 8));
// Folders the files are spread over (two levels deep), as a real project nests its code. 1 keeps every
// file in src/: git then writes a new tree of every file at each commit, and listing the history costs
// more than reading it (43,855 commits over 3,855 files: rev-list 11 s, cat-file 4.4 s).
const dirs = Number(option('dirs', 1));
const found = execFileSync('find', [from, '-name', `*.${ext}`, '-size', `+${minKib}k`, '-size', '-200k'], { encoding: 'utf8', maxBuffer: 1 << 28 })
  .trim()
  .split('\n')
  .sort();
// Every sixth file of the first ones found: spread over packages rather than one package's files.
const files = found.slice(0, fileCount * 6 + 200).filter((_, i) => i % 6 === 0).slice(0, fileCount);
let seed = 42;
const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296;
const contents = files.map((f) => readFileSync(f, 'utf8').split('\n'));
execFileSync('rm', ['-rf', dir]);
execFileSync('git', ['init', '-q', '-b', 'main', dir]);
// Streamed into fast-import: a large history does not fit in one string.
const importer = spawn('git', ['-C', dir, 'fast-import', '--quiet'], { stdio: ['pipe', 'inherit', 'inherit'] });
const write = (text) => (importer.stdin.write(text) ? Promise.resolve() : new Promise((r) => importer.stdin.once('drain', r)));
let when = 1_600_000_000;
let mark = 0;
const commit = (path, text) => {
  const out = ['blob', `mark :${++mark}`, `data ${Buffer.byteLength(text)}`, text];
  out.push('commit refs/heads/main', `author Dev <dev@example.test> ${when} +0000`, `committer Dev <dev@example.test> ${when} +0000`, 'data 4', 'edit');
  out.push(`M 100644 :${mark} ${path}`, '', '');
  when += 600;
  return write(out.join('\n'));
};
const pathOf = (i) => (dirs <= 1 ? `src/f${i}.${ext}` : `src/d${i % Math.ceil(Math.sqrt(dirs))}/e${i % dirs}/f${i}.${ext}`);
for (let i = 0; i < contents.length; i++) await commit(pathOf(i), contents[i].join('\n'));
for (let c = 0; c < commits; c++) {
  const i = Math.floor(rand() * contents.length);
  const lines = contents[i];
  for (let k = 1 + Math.floor(rand() * 3); k > 0; k--) {
    const at = Math.floor(rand() * lines.length);
    if (rand() < 0.5) lines.splice(at, 0, `  const v${c}_${k} = compute(${c}, ${k}); // change ${c}`);
    else lines[at] = `${lines[at] ?? ''} // edited ${c}`;
  }
  await commit(pathOf(i), lines.join('\n'));
}
importer.stdin.end();
await new Promise((r) => importer.on('close', r));
execFileSync('git', ['-C', dir, 'reset', '-q', '--hard', 'main']);
console.log(`${dir}: ${contents.length + commits} commits`);

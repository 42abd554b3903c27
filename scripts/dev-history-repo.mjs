#!/usr/bin/env node
// Builds a git repository whose history is a developer's churn on real code: 300 JavaScript files of
// 8-200 KiB from node_modules, then 3,000 commits that each change 1-3 lines of one of them (seeded, fixed
// authors and dates), for `npm run bench:history -- <dir>`. The npm-release histories
// (npm-history-repo.sh) rewrite whole bundles; most real histories look like this instead.
//
//   node scripts/dev-history-repo.mjs /tmp/dev-history
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = resolve(process.argv[2] ?? '/tmp/dev-history');
const modules = resolve(dirname(fileURLToPath(import.meta.url)), '../node_modules');
const files = execFileSync('find', [modules, '-name', '*.js', '-size', '+8k', '-size', '-200k'], { encoding: 'utf8' })
  .trim()
  .split('\n')
  .sort()
  .slice(0, 2000)
  .filter((_, i) => i % 6 === 0)
  .slice(0, 300);
let seed = 42;
const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296;
const contents = files.map((f) => readFileSync(f, 'utf8').split('\n'));
execFileSync('rm', ['-rf', dir]);
execFileSync('git', ['init', '-q', '-b', 'main', dir]);
const out = [];
let when = 1_600_000_000;
let mark = 0;
const commit = (path, text) => {
  out.push('blob', `mark :${++mark}`, `data ${Buffer.byteLength(text)}`, text);
  out.push('commit refs/heads/main', `author Dev <dev@example.test> ${when} +0000`, `committer Dev <dev@example.test> ${when} +0000`, 'data 4', 'edit');
  out.push(`M 100644 :${mark} ${path}`, '');
  when += 600;
};
contents.forEach((lines, i) => commit(`src/f${i}.js`, lines.join('\n')));
for (let c = 0; c < 3000; c++) {
  const i = Math.floor(rand() * contents.length);
  const lines = contents[i];
  for (let k = 1 + Math.floor(rand() * 3); k > 0; k--) {
    const at = Math.floor(rand() * lines.length);
    if (rand() < 0.5) lines.splice(at, 0, `  const v${c}_${k} = compute(${c}, ${k}); // change ${c}`);
    else lines[at] = `${lines[at] ?? ''} // edited ${c}`;
  }
  commit(`src/f${i}.js`, lines.join('\n'));
}
execFileSync('git', ['-C', dir, 'fast-import', '--quiet'], { input: out.join('\n') + '\n', maxBuffer: 1 << 30 });
execFileSync('git', ['-C', dir, 'reset', '-q', '--hard', 'main']);
console.log(`${dir}: ${contents.length + 3000} commits`);

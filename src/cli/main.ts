#!/usr/bin/env node
import { resolve } from 'node:path';
import { startStagedListing } from '../sources/git/changes.js';
import { stagedScanTarget } from './staged-argv.js';

// Set once the command has finished, or has chosen to stop.
let finished = false;

// `sprawl scan | head` closes the pipe early: that ends the output, it is not a crash.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  finished = true;
  process.exit(process.exitCode ?? 0);
});

// Node exits, with status 0, when nothing is left to run, even if the command never finished: a source
// waiting for an event that never comes (a tar entry that never ended did this) would end the scan with no
// report and no error. Say so, and fail.
process.on('exit', (code) => {
  if (finished || code !== 0) return;
  process.stderr.write('sprawl: internal error: stopped before finishing, with nothing left to wait for (an input that never ended?)\n');
  process.exitCode = 2; // EXIT.error
});

// The CLI's entry (bundled into dist/cli/bundle.cjs, which dist/cli/sprawl.cjs runs). A pre-commit hook has
// 200 ms, Node's start-up included, and initialising the program (commander, re2, the scanner) takes a
// good part of it. Listing the staged changes needs none of that, so for `scan --staged` the git calls
// start here and run meanwhile.
const staged = stagedScanTarget(process.argv.slice(2));
if (staged !== null) startStagedListing(resolve(staged));
void import('./program.js')
  .then((program) => program.runProgram())
  .finally(() => (finished = true));

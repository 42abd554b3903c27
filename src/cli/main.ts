#!/usr/bin/env node
import { resolve } from 'node:path';
import { startStagedListing } from '../sources/git/changes.js';
import { stagedScanTarget } from './staged-argv.js';

// `sprawl scan | head` closes the pipe early: that ends the output, it is not a crash.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  process.exit(process.exitCode ?? 0);
});

// The CLI's entry (bundled into dist/cli/bundle.cjs, which dist/cli/sprawl.cjs runs). A pre-commit hook has
// 200 ms, Node's start-up included, and initialising the program (commander, re2, the scanner) takes a
// good part of it. Listing the staged changes needs none of that, so for `scan --staged` the git calls
// start here and run meanwhile.
const staged = stagedScanTarget(process.argv.slice(2));
if (staged !== null) startStagedListing(resolve(staged));
void import('./program.js').then((program) => program.runProgram());

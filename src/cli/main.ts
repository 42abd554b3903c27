#!/usr/bin/env node
import { Command } from 'commander';
import { rulesCheck, rulesList } from './rules-command.js';

const program = new Command();
program.name('sprawl').description('Find leaked secrets, where they spread, who owns them and how to revoke them.');
const rules = program.command('rules').description('Work with detection rules');
rules
  .command('check')
  .description('Compile every rule and check its examples and negative examples')
  .option('--rules <dir...>', 'rule folders or files (default: the built-in rules)')
  .action((o: { rules?: string[] }) => {
    process.exitCode = rulesCheck(o.rules, process.stdout, process.stderr);
  });
rules
  .command('list')
  .option('--rules <dir...>', 'rule folders or files (default: the built-in rules)')
  .option('--json', 'print JSON')
  .action((o: { rules?: string[]; json?: boolean }) => {
    process.exitCode = rulesList(o.rules, o.json === true, process.stdout);
  });
program.parse();

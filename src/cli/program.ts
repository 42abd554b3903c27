import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config.js';
import { VERSION } from '../version.js';
import { rulesCheck, rulesList } from './rules-command.js';
import type { LogsFlags } from './logs-command.js';
import { EXIT, scanCommand, type ScanFlags } from './scan-command.js';
import type { InventoryFlags } from './inventory-command.js';
import type { MergeFlags } from './merge-command.js';
import type { OrgFlags } from './org-command.js';

const program = new Command();
program
  .name('sprawl')
  .description('Find leaked secrets, where they spread, who owns them and how to revoke them.')
  .version(VERSION)
  .exitOverride()
  .configureOutput({ outputError: (s, write) => write(`sprawl: ${s.replace(/^error: /, '')}`) });

/** The options of every command that writes a report: format, output file, exit code, colour. */
function reportOptions(cmd: Command, output = 'write the report to a file'): Command {
  return cmd
    .option('-f, --format <format>', 'text, json, sarif, markdown or html (default: from --output, else text)')
    .option('-o, --output <file>', output)
    .option('--exit-code <n>', 'exit code when there are findings (default 1)')
    .option('--no-color', 'no ANSI colours in text output');
}

/** The inventory options of the commands that scan repositories (scan, org). */
function inventoryOptions(cmd: Command): Command {
  return cmd
    .option('--inventory <file>', 'record the scan in this SQLite inventory (created if missing)')
    .option('--fail-on-new', 'with --inventory: exit 1 only for secrets new or reopened in this scan');
}

const scanCmd = program
  .command('scan')
  .description('Scan files and folders (or - for standard input) for secrets')
  .argument('[paths...]', 'files or folders to scan, or - for standard input', [])
  .option('-c, --config <file>', 'sprawl.yaml (default: sprawl.yaml at the target root, if any)')
  .option('--rules <dir...>', 'extra rule folders or files')
  .option('--baseline <file>', 'a previous JSON report: its secrets are not reported again')
  .option('--reveal', 'print raw secrets (never the default)')
  .option('--max-file-size <size>', 'skip files larger than this (default 10MiB)')
  .option('--max-decode-depth <n>', 'decode base64/hex/percent segments this deep (default 2)')
  .option('--no-history', "scan a repository's working tree only, not its git history")
  .option('--no-gitignore', 'scan files that .gitignore excludes too')
  .option('--max-age <days>', 'secrets older than this are long-lived (default 90)')
  .option('--archive-depth <n>', 'open archives inside archives this deep (default 3)')
  .option('--archive-bytes <size>', 'uncompressed bytes one archive may expand to (default 256MiB)')
  .option('--archive-ratio <n>', 'refuse archive members compressed more than this (default 100)')
  .option('--refs <ref...>', 'git refs whose history is scanned (default: all)')
  .option('--staged', 'scan what is staged (pre-commit): new secrets in the index against HEAD')
  .option('--range <A..B>', 'scan what the commits in A..B introduced (pull requests, pre-push)')
  .option('--since <date|rev>', 'scan what commits after a date or commit introduced')
  .option('--workers <n>', 'threads matching git history while it is read (default: 1 on 2-3 cores, cores - 2 up to 4 on more, once a history passes 64 MiB); given, a folder\'s files too (default: none)');
inventoryOptions(reportOptions(scanCmd)).action(async (paths: string[], flags: ScanFlags) => {
  process.exitCode = await scanCommand(paths, flags);
});

const logsCmd = program
  .command('logs')
  .description("Download a repository's GitHub Actions run logs and scan them (with any paths given)")
  .argument('[paths...]', 'also scan these (a checkout of the repository links its jobs to the logs)', [])
  .option('--github <owner/repo>', 'the repository whose run logs are downloaded (token from GITHUB_TOKEN)')
  .option('--runs <n>', 'how many of the latest completed runs (default 10)')
  .option('--workflow <name>', "only this workflow's runs: its file name (ci.yml), id or name")
  .option('--api-url <url>', 'REST API root, for GitHub Enterprise Server (default $GITHUB_API_URL or https://api.github.com)')
  .option('--logs-dir <dir>', 'keep the downloaded archives here (default: a temporary folder, removed)')
  .option('-c, --config <file>', 'sprawl.yaml')
  .option('--baseline <file>', 'a previous JSON report: its secrets are not reported again')
  .option('--reveal', 'print raw secrets (never the default)');
reportOptions(logsCmd).action(async (paths: string[], flags: LogsFlags) => {
  const { logsCommand } = await import('./logs-command.js');
  process.exitCode = await logsCommand(paths, flags);
});

const orgCmd = program
  .command('org')
  .description('Scan every repository of a GitHub organisation or a list: bare mirrors in a cache, one report')
  .option('--repos <file>', 'repository URLs or local paths, one a line (# comments)')
  .option('--github-org <name>', 'list the repositories of a GitHub organisation (token: GITHUB_TOKEN)')
  .option('--api-url <url>', 'GitHub REST API root; GitHub Enterprise: https://HOST/api/v3 (default https://api.github.com)')
  .option('--include-forks', 'scan forks too (--github-org)')
  .option('--include-archived', 'scan archived repositories too (--github-org)')
  .option('--cache <dir>', 'folder of the bare mirrors (default $XDG_CACHE_HOME/sprawl/mirrors)')
  .option('--concurrency <n>', 'repositories mirrored and scanned at once (default 3)')
  .option('--stall-timeout <seconds>', 'give up a clone or fetch that makes no progress for this long (default 300)')
  .option('--repo-config', "also apply each repository's own sprawl.yaml (allowlists, disabled rules) from its HEAD")
  .option('--shard <i/n>', 'scan shard i of n, i from 0 (e.g. $JOB_COMPLETION_INDEX/4); merge the shards with sprawl merge')
  .option('-c, --config <file>', 'sprawl.yaml for every repository')
  .option('--rules <dir...>', 'extra rule folders or files')
  .option('--baseline <file>', 'a previous JSON report: its secrets are not reported again')
  .option('--reveal', 'print raw secrets (never the default)')
  .option('--max-file-size <size>', 'skip blobs larger than this (default 10MiB)')
  .option('--max-decode-depth <n>', 'decode base64/hex/percent segments this deep (default 2)')
  .option('--max-age <days>', 'secrets older than this are long-lived (default 90)')
  .option('--refs <ref...>', 'git refs whose history is scanned (default: all)')
  .option('--no-history', "scan each repository's HEAD tree only, not its history");
inventoryOptions(reportOptions(orgCmd)).action(async (flags: OrgFlags) => {
  const { orgCommand } = await import('./org-command.js');
  process.exitCode = await orgCommand(flags);
});

const mergeCmd = program
  .command('merge')
  .description('Merge JSON reports (the shards of an org scan) into one; secrets deduplicated by secretId')
  .argument('<reports...>', 'JSON reports, e.g. shard-*.json')
  .option('-c, --config <file>', "the shards' sprawl.yaml, for the rules it adds")
  .option('--rules <dir...>', "the shards' extra rule folders or files");
reportOptions(mergeCmd, 'write the merged report to a file').action(async (files: string[], flags: MergeFlags) => {
  const { mergeCommand } = await import('./merge-command.js');
  process.exitCode = await mergeCommand(files, flags);
});

program
  .command('hook')
  .description('Git hooks')
  .command('install')
  .description('Write .git/hooks/pre-commit to run `sprawl scan --staged`')
  .argument('[repo]', 'repository', '.')
  .option('--force', 'replace an existing pre-commit hook')
  .action(async (repo: string, o: { force?: boolean }) => {
    const { installHook } = await import('./hook-command.js');
    process.exitCode = await installHook(repo, o.force === true);
  });

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
  .description('List the rules')
  .option('--rules <dir...>', 'rule folders or files (default: the built-in rules)')
  .option('--json', 'print JSON')
  .action((o: { rules?: string[]; json?: boolean }) => {
    process.exitCode = rulesList(o.rules, o.json === true, process.stdout);
  });

const inventory = program.command('inventory').description('Secrets remembered across scans (see --inventory on scan)');
inventory
  .command('list')
  .description('List the secrets in an inventory, with their status, places and history')
  .requiredOption('--inventory <file>', 'the inventory file')
  .option('--status <status>', 'only secrets with this status: new, open, resolved or reopened')
  .option('-f, --format <format>', 'text or json', 'text')
  .action(async (o: InventoryFlags) => {
    const { inventoryList } = await import('./inventory-command.js');
    process.exitCode = inventoryList(o, process.stdout);
  });
inventory
  .command('diff')
  .description('What the last recorded scan changed: new, reopened and resolved secrets')
  .requiredOption('--inventory <file>', 'the inventory file')
  .option('-f, --format <format>', 'text or json', 'text')
  .action(async (o: InventoryFlags) => {
    const { inventoryDiff } = await import('./inventory-command.js');
    process.exitCode = inventoryDiff(o, process.stdout);
  });

/** Parses argv and runs the command, setting the exit code; never throws. */
export async function runProgram(): Promise<void> {
  try {
    await program.parseAsync();
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version are not errors; every other parse problem is a usage error.
      process.exitCode = e.exitCode === 0 ? 0 : EXIT.error;
    } else if (e instanceof ConfigError) {
      process.stderr.write(`sprawl: ${e.message}\n`);
      process.exitCode = EXIT.error;
    } else {
      process.stderr.write(`sprawl: internal error: ${(e as Error).message}\n`);
      process.exitCode = EXIT.error;
    }
  }
}

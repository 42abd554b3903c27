import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../config.js';
import { git } from '../sources/git/repo.js';

const MARKER = '# installed by sprawl hook install';

/**
 * Writes a plain pre-commit hook for users without the pre-commit framework. It calls this installation's
 * CLI by absolute path with the current node: no npx lookup, so the hook starts as fast as node does.
 *
 * It also unsets NODE_EXTRA_CA_CERTS: Node 20 reads and parses that certificate bundle at start-up, before
 * any of our code runs, and a staged scan opens no TLS connection. Where it points at the system bundle
 * (common behind corporate proxies, and so on this project's CI machines), start-up took 130 ms instead
 * of 40, most of a pre-commit hook's 200 ms.
 */
export async function installHook(repo: string, force: boolean): Promise<number> {
  let hooksDir: string;
  try {
    hooksDir = resolve(repo, (await git(repo, ['rev-parse', '--git-path', 'hooks'])).trim());
  } catch (e) {
    throw new ConfigError(`${repo}: not a git repository (${(e as Error).message})`);
  }
  const hook = join(hooksDir, 'pre-commit');
  if (existsSync(hook) && !force && !readFileSync(hook, 'utf8').includes(MARKER)) {
    throw new ConfigError(`${hook} exists and was not written by sprawl; use --force to replace it`);
  }
  const cli = resolve(dirname(fileURLToPath(import.meta.url)), 'sprawl.cjs');
  mkdirSync(hooksDir, { recursive: true });
  writeFileSync(
    hook,
    [
      '#!/bin/sh',
      MARKER,
      "# Blocks a commit that adds a secret. Allow a line with a 'sprawl:allow' comment, or skip once: git commit --no-verify",
      '# The scan opens no TLS connection: without this, Node parses the extra CA bundle at every start.',
      'unset NODE_EXTRA_CA_CERTS',
      `exec "${process.execPath}" "${cli}" scan --staged "$@"`,
      '',
    ].join('\n'),
  );
  chmodSync(hook, 0o755);
  process.stdout.write(`sprawl: pre-commit hook written to ${hook}\n`);
  return 0;
}

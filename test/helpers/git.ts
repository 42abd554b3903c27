import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface TestRepo {
  dir: string;
  git(...args: string[]): string;
  /** Writes files (null deletes), stages everything and commits with a fixed author and date. */
  commit(message: string, files: Record<string, string | Buffer | null>, at: string, author?: string): string;
}

/** A repository in a temp folder with fixed authors and dates, so reports are reproducible. */
export function makeRepo(): TestRepo {
  const dir = mkdtempSync(join(tmpdir(), 'sprawl-git-'));
  const env = (at: string, author: string) => ({
    ...process.env,
    GIT_AUTHOR_NAME: author,
    GIT_AUTHOR_EMAIL: `${author.toLowerCase().replace(/\s+/g, '.')}@example.test`,
    GIT_COMMITTER_NAME: author,
    GIT_COMMITTER_EMAIL: `${author.toLowerCase().replace(/\s+/g, '.')}@example.test`,
    GIT_AUTHOR_DATE: at,
    GIT_COMMITTER_DATE: at,
  });
  const run = (args: string[], e: NodeJS.ProcessEnv = process.env) => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', env: e }).trim();
  run(['init', '-q', '-b', 'main']);
  run(['config', 'commit.gpgsign', 'false']);
  return {
    dir,
    git: (...args) => run(args),
    commit(message, files, at, author = 'Alice Admin') {
      for (const [path, content] of Object.entries(files)) {
        const abs = join(dir, path);
        if (content === null) rmSync(abs);
        else {
          mkdirSync(dirname(abs), { recursive: true });
          writeFileSync(abs, content);
        }
      }
      run(['add', '-A']);
      run(['commit', '-q', '--allow-empty', '-m', message], env(at, author));
      return run(['rev-parse', 'HEAD']);
    },
  };
}

/** A bare copy of a repository in a temp folder named `<name>.git`, as a server or an org would hold it. */
export function bareCopy(repo: TestRepo, name: string): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'sprawl-bare-')), `${name}.git`);
  execFileSync('git', ['clone', '-q', '--bare', repo.dir, dir]);
  // For the dumb HTTP protocol, which the fake GitHub server speaks: static files only.
  execFileSync('git', ['-C', dir, 'update-server-info']);
  return dir;
}

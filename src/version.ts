import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The nearest package.json above this module: from src/ (tests), dist/ or the bundled CLI in dist/cli/. */
function packageJsonPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('sprawl: package.json not found above the installed files');
    dir = up;
  }
  return join(dir, 'package.json');
}

/** The package version, read once from package.json so that reports and SARIF never drift from it. */
export const VERSION: string = (JSON.parse(readFileSync(packageJsonPath(), 'utf8')) as { version: string }).version;

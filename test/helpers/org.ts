import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bareCopy, makeRepo } from './git.js';
import { fakeChecksummedToken } from './tokens.js';

/** An organisation of three bare repositories on disk, and a repository list naming them and one more that does not exist. */
export interface TestOrg {
  /** name → bare repository folder: api, web, tools. */
  bare: Record<'api' | 'web' | 'tools', string>;
  /** `--repos` file: the three, a comment, a blank line, and `missing`, which fails to clone. */
  listFile: string;
  /** A fresh mirror cache folder. */
  cache: string;
  /** The value both api and web hold (one secret, two repositories). */
  shared: string;
  /** A value only web's history holds. */
  own: string;
}

/** Fixed authors and dates, so the reports are reproducible with a fixed clock. */
export function makeOrg(): TestOrg {
  const shared = fakeChecksummedToken('ghp', 'org-shared');
  const own = fakeChecksummedToken('ghp', 'org-web-own');
  const api = makeRepo();
  api.commit('init', { '.github/CODEOWNERS': '* @acme/api-team\n', 'config/.env': `GH_TOKEN=${shared}\n` }, '2024-01-10T00:00:00Z', 'Alice Admin');
  const web = makeRepo();
  web.commit('ci', { CODEOWNERS: '* @acme/web-team\n', 'deploy/ci.sh': `export GH_TOKEN=${shared}\n` }, '2024-03-01T00:00:00Z', 'Bob Builder');
  web.commit('own', { 'web.env': `TOKEN=${own}\n` }, '2024-04-01T00:00:00Z', 'Bob Builder');
  web.commit('drop', { 'web.env': null }, '2024-05-01T00:00:00Z', 'Carol Coder');
  const tools = makeRepo();
  tools.commit('init', { 'README.md': '# tools\n' }, '2024-02-01T00:00:00Z');
  const bare = { api: bareCopy(api, 'api'), web: bareCopy(web, 'web'), tools: bareCopy(tools, 'tools') };
  const dir = mkdtempSync(join(tmpdir(), 'sprawl-org-'));
  const listFile = join(dir, 'repos.txt');
  writeFileSync(listFile, ['# the acme organisation', bare.api, bare.web, '', bare.tools, join(dir, 'missing.git'), ''].join('\n'));
  return { bare, listFile, cache: join(dir, 'cache'), shared, own };
}

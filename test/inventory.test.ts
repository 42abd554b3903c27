import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { InventoryError, listSecrets, migrate, MIGRATIONS, openInventory, recordScan, safePreview, withInventory, type InventoryEntry, type Migration } from '../src/inventory/index.js';
import { scan, scanCoverage, type ScanOptions } from '../src/scan.js';
import { CLI, sprawl } from './helpers/cli.js';
import { makeRepo, type TestRepo } from './helpers/git.js';
import { tempTree } from './helpers/tmp.js';
import { fakeChecksummedToken } from './helpers/tokens.js';

const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;

const T1 = fakeChecksummedToken('ghp', 'inventory-1');
const T2 = fakeChecksummedToken('ghp', 'inventory-2');

function tempDb(): string {
  return join(mkdtempSync(join(tmpdir(), 'sprawl-inv-')), 'inventory.db');
}

/** Scans in-process, as of `at`, and records the report with the scan's own coverage. */
async function scanInto(db: string, options: ScanOptions, at: string): Promise<void> {
  const report = await scan({ ...options, now: () => new Date(at) });
  const coverage = await scanCoverage(options);
  recordScan(db, report, { coveredRepos: coverage.repos, unscopedRepo: coverage.unscoped ?? undefined });
}

function entries(db: string): InventoryEntry[] {
  return withInventory(db, { mustExist: true }, ({ db: d }) => listSecrets(d));
}

function statusOf(db: string, token: string, repo: TestRepo | string): InventoryEntry | undefined {
  // The preview is all the inventory knows of a value; find the entry by the value's place instead.
  const name = basename(typeof repo === 'string' ? repo : repo.dir);
  return entries(db).find((e) => e.preview === safePreview(token) && e.locations.some((l) => l.repo === name));
}

describe('inventory: a secret across scans', () => {
  it('goes new → open → resolved (removed from history) → reopened → open', async () => {
    const r = makeRepo();
    const base = r.commit('init', { 'README.md': '# app\n' }, '2024-01-01T00:00:00Z');
    r.commit('add config', { 'config.env': `GITHUB_TOKEN=${T1}\n` }, '2024-01-02T00:00:00Z');
    const db = tempDb();
    const at = ['2024-02-01T00:00:00.000Z', '2024-02-02T00:00:00.000Z', '2024-02-03T00:00:00.000Z', '2024-02-04T00:00:00.000Z', '2024-02-05T00:00:00.000Z'];

    await scanInto(db, { targets: [r.dir] }, at[0]!);
    expect(entries(db).map((e) => e.status)).toEqual(['new']);
    await scanInto(db, { targets: [r.dir] }, at[1]!);
    expect(entries(db).map((e) => e.status)).toEqual(['open']);

    // Gone from the working tree and from every ref: nowhere the scan looks.
    r.git('reset', '-q', '--hard', base);
    await scanInto(db, { targets: [r.dir] }, at[2]!);
    expect(entries(db).map((e) => e.status)).toEqual(['resolved']);

    r.commit('re-add config', { 'config.env': `GITHUB_TOKEN=${T1}\n` }, '2024-01-03T00:00:00Z');
    await scanInto(db, { targets: [r.dir] }, at[3]!);
    expect(entries(db).map((e) => e.status)).toEqual(['reopened']);
    await scanInto(db, { targets: [r.dir] }, at[4]!);

    const [e] = entries(db);
    expect(e).toMatchObject({ status: 'open', ruleId: 'github.pat-classic', provider: 'github', preview: 'ghp_*****', firstDetected: at[0], lastDetected: at[4], firstScan: 1, lastScan: 5 });
    expect(e!.locations).toEqual([{ repo: basename(r.dir), path: 'config.env' }]);
    expect(e!.history).toEqual([
      { scan: 1, at: at[0], status: 'new' },
      { scan: 2, at: at[1], status: 'open' },
      { scan: 3, at: at[2], status: 'resolved' },
      { scan: 4, at: at[3], status: 'reopened' },
      { scan: 5, at: at[4], status: 'open' },
    ]);
  });

  it('is not resolved while history still holds it; a working-tree scan (--no-history) resolves it', async () => {
    const r = makeRepo();
    r.commit('add', { 'config.env': `GITHUB_TOKEN=${T1}\n` }, '2024-01-01T00:00:00Z');
    const db = tempDb();
    await scanInto(db, { targets: [r.dir] }, '2024-02-01T00:00:00Z');
    r.commit('remove', { 'config.env': null }, '2024-01-02T00:00:00Z');
    await scanInto(db, { targets: [r.dir] }, '2024-02-02T00:00:00Z');
    expect(statusOf(db, T1, r)?.status).toBe('open');
    await scanInto(db, { targets: [r.dir], history: false }, '2024-02-03T00:00:00Z');
    expect(statusOf(db, T1, r)?.status).toBe('resolved');
  });

  it('is never resolved by a scan that did not cover its repository', async () => {
    const a = makeRepo();
    const b = makeRepo();
    a.commit('a', { 'a.env': `TOKEN=${T1}\n` }, '2024-01-01T00:00:00Z');
    b.commit('b', { 'sub/b.env': `TOKEN=${T2}\n`, 'other/readme.md': 'hello\n' }, '2024-01-01T00:00:00Z');
    const db = tempDb();
    await scanInto(db, { targets: [a.dir, b.dir] }, '2024-02-01T00:00:00Z');
    expect(statusOf(db, T2, b)?.status).toBe('new');

    await scanInto(db, { targets: [a.dir] }, '2024-02-02T00:00:00Z'); // b not scanned at all
    await scanInto(db, { targets: [join(b.dir, 'other')] }, '2024-02-03T00:00:00Z'); // a folder inside b
    await scanInto(db, { targets: [b.dir], since: '2030-01-01' }, '2024-02-04T00:00:00Z'); // only later commits
    expect(statusOf(db, T2, b)).toMatchObject({ status: 'new', lastScan: 1, history: [{ scan: 1, status: 'new' }] });
    expect(statusOf(db, T1, a)?.status).toBe('open');
  });

  it('a secret in two repositories is resolved only when gone from both', async () => {
    const a = makeRepo();
    const b = makeRepo();
    a.commit('a', { 'a.env': `TOKEN=${T1}\n` }, '2024-01-01T00:00:00Z');
    b.commit('b', { 'b.env': `TOKEN=${T1}\n` }, '2024-01-01T00:00:00Z');
    const db = tempDb();
    await scanInto(db, { targets: [a.dir, b.dir] }, '2024-02-01T00:00:00Z');
    expect(entries(db)[0]!.locations.map((l) => l.repo).sort()).toEqual([basename(a.dir), basename(b.dir)].sort());

    a.commit('rm', { 'a.env': null }, '2024-01-02T00:00:00Z');
    await scanInto(db, { targets: [a.dir], history: false }, '2024-02-02T00:00:00Z');
    // Gone from a, which the scan covered; b was not looked at: still there, still new.
    expect(entries(db)[0]).toMatchObject({ status: 'new', locations: [{ repo: basename(b.dir), path: 'b.env' }] });

    await scanInto(db, { targets: [b.dir], history: false }, '2024-02-03T00:00:00Z');
    expect(entries(db)[0]!.status).toBe('open');
    b.commit('rm', { 'b.env': null }, '2024-01-02T00:00:00Z');
    await scanInto(db, { targets: [b.dir], history: false }, '2024-02-04T00:00:00Z');
    expect(entries(db)[0]!.status).toBe('resolved');
  });

  it('names coverage as findings name repositories', async () => {
    const r = makeRepo();
    r.commit('init', { 'sub/x.txt': 'x\n' }, '2024-01-01T00:00:00Z');
    const plain = tempTree({ 'f.txt': 'x\n' });
    expect(await scanCoverage({ targets: [r.dir] })).toEqual({ repos: [basename(r.dir)], unscoped: null });
    expect(await scanCoverage({ targets: [join(r.dir, 'sub')] })).toEqual({ repos: [], unscoped: null });
    expect(await scanCoverage({ targets: [r.dir], staged: true })).toEqual({ repos: [], unscoped: null });
    expect(await scanCoverage({ targets: [plain, '-'] })).toEqual({ repos: [`dir:${basename(plain)}+stdin`], unscoped: `dir:${basename(plain)}+stdin` });
  });
});

describe('inventory: storage', () => {
  it('never stores a raw secret, even from a --reveal report', () => {
    const r = makeRepo();
    r.commit('add', { 'config.env': `GITHUB_TOKEN=${T1}\nNPM_TOKEN=${T2}\n` }, '2024-01-01T00:00:00Z');
    const db = tempDb();
    const res = sprawl(['scan', r.dir, '--reveal', '--format', 'json', '--inventory', db]);
    expect(res.code).toBe(1);
    expect(res.stdout).toContain(T1); // the report itself was asked to reveal
    const files = [db, `${db}-wal`, `${db}-shm`].filter(existsSync).map((f) => readFileSync(f));
    for (const bytes of files) {
      for (const t of [T1, T2]) {
        expect(bytes.includes(t)).toBe(false);
        expect(bytes.includes(t.slice(4))).toBe(false); // not even the part after the prefix
      }
    }
    expect(entries(db).map((e) => e.preview)).toEqual(['ghp_*****', 'ghp_*****']);
    expect(safePreview('ghp_*****')).toBe('ghp_*****');
    expect(safePreview(T1)).toBe('ghp_*****');
    expect(safePreview('short')).toBe('*****');
  });

  it('a crash between the writes and the commit leaves the previous state', () => {
    const r = makeRepo();
    r.commit('add', { 'a.env': `TOKEN=${T1}\n` }, '2024-01-01T00:00:00Z');
    const db = tempDb();
    expect(sprawl(['scan', r.dir, '--inventory', db]).code).toBe(1);
    const before = entries(db);

    r.commit('more', { 'b.env': `TOKEN=${T2}\n`, 'a.env': null }, '2024-01-02T00:00:00Z');
    const killed = spawnSync(process.execPath, [CLI, 'scan', r.dir, '--no-history', '--inventory', db], { env: { ...process.env, SPRAWL_TEST_CRASH_BEFORE_COMMIT: '1' }, encoding: 'utf8' });
    expect(killed.signal).toBe('SIGKILL');
    // The transaction's pages reached the WAL, uncommitted: recovery must ignore them.
    expect(statSync(`${db}-wal`).size).toBeGreaterThan(0);

    const check = new Database(db);
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(check.pragma('foreign_key_check')).toEqual([]);
    expect(check.prepare('SELECT count(*) FROM scans').pluck().get()).toBe(1);
    check.close();
    expect(entries(db)).toEqual(before);

    // The next scan records normally, as scan 2.
    expect(sprawl(['scan', r.dir, '--no-history', '--inventory', db]).code).toBe(1);
    const after = entries(db);
    expect(after.map((e) => [e.status, e.lastScan])).toEqual([['new', 2], ['resolved', 1]]);
  });

  it('uses WAL and waits for another writer instead of failing', async () => {
    const r = makeRepo();
    r.commit('add', { 'a.env': `TOKEN=${T1}\n` }, '2024-01-01T00:00:00Z');
    const db = tempDb();
    const inv = openInventory(db);
    expect(inv.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(inv.db.pragma('busy_timeout', { simple: true })).toBe(5000);
    inv.db.prepare('BEGIN IMMEDIATE').run(); // hold the write lock while another process records
    const child = spawn(process.execPath, [CLI, 'scan', r.dir, '--inventory', db], { stdio: ['ignore', 'pipe', 'ignore'] });
    let done = false;
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => ((done = true), resolve(code))));
    // The report is printed before the inventory is written: from then on the child waits for the lock.
    await new Promise((resolve) => child.stdout.once('data', resolve));
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(done).toBe(false);
    inv.db.prepare('COMMIT').run();
    inv.db.close();
    expect(await exited).toBe(1);
    expect(entries(db).map((e) => e.status)).toEqual(['new']);
  });

  it('migrates in order, in one transaction, and refuses what it does not know', () => {
    const db = tempDb();
    openInventory(db).db.close();
    const d = new Database(db);
    expect(d.prepare('SELECT version FROM schema_version').pluck().get()).toBe(MIGRATIONS.length);
    const ran: number[] = [];
    const v2: Migration = { version: 2, describe: 'test step', up: (x) => (ran.push(2), x.exec('CREATE TABLE extra (a TEXT)')) };
    expect(migrate(d, db, [...MIGRATIONS, v2])).toBe(2);
    expect(ran).toEqual([2]); // step 1 had run already
    const broken: Migration = { version: 3, describe: 'fails half-way', up: (x) => (x.exec('CREATE TABLE half (a TEXT)'), x.exec('NOT SQL')) };
    expect(() => migrate(d, db, [...MIGRATIONS, v2, broken])).toThrow();
    expect(d.prepare('SELECT version FROM schema_version').pluck().get()).toBe(2);
    expect(d.prepare(`SELECT count(*) FROM sqlite_master WHERE name = 'half'`).pluck().get()).toBe(0);
    expect(() => migrate(d, db, [MIGRATIONS[0]!, { ...v2, version: 3 }])).toThrow(/versions must run 1, 2, 3/);
    d.prepare('UPDATE schema_version SET version = 99').run();
    d.close();
    expect(() => openInventory(db)).toThrow(InventoryError);
    expect(() => openInventory(db)).toThrow(/schema version 99 is newer/);

    const foreign = tempDb();
    const f = new Database(foreign);
    f.exec('CREATE TABLE users (name TEXT)');
    f.close();
    expect(() => openInventory(foreign)).toThrow(/not a sprawl inventory/);
  });
});

describe('inventory: CLI', () => {
  it('--fail-on-new fails only on secrets new or reopened in this scan', () => {
    const r = makeRepo();
    r.commit('add', { 'a.env': `TOKEN=${T1}\n` }, '2024-01-01T00:00:00Z');
    const db = tempDb();
    const noInv = sprawl(['scan', r.dir, '--fail-on-new']);
    expect(noInv.code).toBe(2);
    expect(noInv.stderr).toMatch(/--fail-on-new needs --inventory FILE/);
    expect(noInv.stderr).not.toMatch(/at .*\.js/); // no stack trace

    const first = sprawl(['scan', r.dir, '--inventory', db, '--fail-on-new']);
    expect(first.code).toBe(1);
    expect(first.stderr).toContain('scan #1: 1 new, 0 reopened, 0 open, 0 resolved');
    expect(sprawl(['scan', r.dir, '--inventory', db, '--fail-on-new']).code).toBe(0); // findings, none new
    expect(sprawl(['scan', r.dir, '--inventory', db]).code).toBe(1); // without the flag: findings fail as usual
    r.commit('more', { 'b.env': `TOKEN=${T2}\n` }, '2024-01-02T00:00:00Z');
    expect(sprawl(['scan', r.dir, '--inventory', db, '--fail-on-new', '--exit-code', '3']).code).toBe(3);
  });

  it('inventory list and diff, as text and JSON', () => {
    const r = makeRepo();
    r.commit('add', { 'a.env': `TOKEN=${T1}\n` }, '2024-01-01T00:00:00Z');
    const db = tempDb();
    sprawl(['scan', r.dir, '--no-history', '--inventory', db]);
    r.commit('swap', { 'a.env': null, 'b.env': `TOKEN=${T2}\n` }, '2024-01-02T00:00:00Z');
    sprawl(['scan', r.dir, '--no-history', '--inventory', db]);
    const [added, gone] = entries(db);
    expect([added!.status, gone!.status]).toEqual(['new', 'resolved']);

    const list = sprawl(['inventory', 'list', '--inventory', db]);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('2 secret(s): 1 new, 0 open, 0 reopened, 1 resolved');
    expect(list.stdout).toMatch(new RegExp(`^new +${added!.secretId}  github.pat-classic  ghp_\\*\\*\\*\\*\\*`, 'm'));
    expect(list.stdout).toContain(`${basename(r.dir)}: b.env`);
    const resolved = JSON.parse(sprawl(['inventory', 'list', '--inventory', db, '--status', 'resolved', '--format', 'json']).stdout);
    expect(resolved.secrets.map((e: InventoryEntry) => e.secretId)).toEqual([gone!.secretId]);
    expect(resolved.lastScan).toMatchObject({ id: 2, repos: [basename(r.dir)], targets: [r.dir] });

    const diff = sprawl(['inventory', 'diff', '--inventory', db]);
    expect(diff.code).toBe(0);
    expect(diff.stdout).toMatch(/^Last scan #2 .*\nagainst scan #1 .*\n1 new, 0 reopened, 1 resolved\n/);
    expect(diff.stdout).toContain(added!.secretId);
    expect(diff.stdout).toContain(gone!.secretId);
    const json = JSON.parse(sprawl(['inventory', 'diff', '--inventory', db, '-f', 'json']).stdout);
    expect(json.scan.id).toBe(2);
    expect(json.previous.id).toBe(1);
    expect(json.new.map((e: InventoryEntry) => e.secretId)).toEqual([added!.secretId]);
    expect(json.reopened).toEqual([]);
    expect(json.resolved[0]).toMatchObject({ secretId: gone!.secretId, locations: [{ repo: basename(r.dir), path: 'a.env' }] });
  });

  it('loads the SQLite addon only when --inventory is used (the pre-commit path does not pay for it)', () => {
    const dir = tempTree({ 'a.env': `TOKEN=${T1}\n` });
    const probe = join(dir, 'probe.cjs');
    writeFileSync(
      probe,
      `const M = require('node:module'); const load = M._load;
       M._load = function (request, ...rest) { if (request === 'better-sqlite3') process.stderr.write('LOADED better-sqlite3\\n'); return load.call(this, request, ...rest); };`,
    );
    const run = (args: string[]) => spawnSync(process.execPath, ['-r', probe, CLI, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(run(['scan', join(dir, 'a.env')]).stderr).not.toContain('LOADED better-sqlite3');
    expect(run(['scan', join(dir, 'a.env'), '--inventory', join(dir, 'inv.db')]).stderr).toContain('LOADED better-sqlite3');
  });

  it('bad inventory input exits 2 with a message naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sprawl-inv-'));
    const missing = join(dir, 'missing.db');
    const notDb = join(dir, 'notes.txt');
    writeFileSync(notDb, 'just some text, long enough to be a page header? no.\n'.repeat(200));
    const cases: Array<[string[], RegExp]> = [
      [['inventory', 'list', '--inventory', missing], /missing\.db: no such inventory/],
      [['inventory', 'diff', '--inventory', notDb], /notes\.txt: not a sprawl inventory/],
      [['inventory', 'list', '--inventory', notDb], /notes\.txt: not a sprawl inventory/],
      [['inventory', 'list', '--inventory', missing, '--status', 'fixed'], /unknown status 'fixed'/],
      [['inventory', 'diff', '--inventory', missing, '--format', 'sarif'], /unknown format 'sarif'/],
      [['scan', dir, '--inventory', join(dir, 'no', 'such', 'dir', 'x.db')], /x\.db: cannot open inventory/],
    ];
    for (const [args, message] of cases) {
      const res = sprawl(args);
      expect(res.code, args.join(' ')).toBe(2);
      expect(res.stderr).toMatch(message);
      expect(res.stderr).not.toContain('internal error');
    }
    expect(existsSync(missing)).toBe(false); // reading never creates the file
    mkdirSync(join(dir, 'empty'));
    const empty = join(dir, 'empty', 'inv.db');
    openInventory(empty).db.close();
    expect(sprawl(['inventory', 'diff', '--inventory', empty]).stdout).toContain('no scans recorded yet');
  });
});

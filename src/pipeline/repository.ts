import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { placeGitOccurrences, type BlobPlaces } from '../analyze/provenance.js';
import { fileChunks } from '../sources/files.js';
import { historyChunks } from '../sources/git/history.js';
import { blobHistories, type BlobHistory } from '../sources/git/introductions.js';
import { readFile } from 'node:fs/promises';
import { CODEOWNERS_PATHS, parseCodeOwners } from '../analyze/owners.js';
import { gitMaybe, topLevel } from '../sources/git/repo.js';
import { unmodifiedTracked } from '../sources/git/worktree.js';
import { archiveLimits } from '../scan.js';
import { scanChunks, type ScanRun } from './run.js';

/** A folder that is a repository's top level gets its history scanned; anything else is files only. */
export async function historyRoot(target: string): Promise<string | null> {
  const abs = resolve(target);
  if (!existsSync(join(abs, '.git'))) return null;
  const top = await topLevel(abs);
  return top && resolve(top) === abs ? abs : null;
}

/**
 * A repository: every reachable blob once, then only the working-tree files whose content is not one of
 * them; then, for the blobs with findings, where they entered history and where they stand now.
 */
export async function scanRepository(run: ScanRun, target: string, repo: string): Promise<void> {
  const { ctx, options, config } = run;
  const scanned = new Set<string>();
  const inHistory = await scanChunks(run, historyChunks(repo, ctx, { refs: options.refs, maxFileSize: run.maxFileSize, scanned }));
  const tracked = await unmodifiedTracked(repo);
  const covered = new Map<string, string[]>();
  for (const [path, oid] of tracked) {
    if (!scanned.has(oid)) continue;
    const list = covered.get(oid);
    if (list) list.push(path);
    else covered.set(oid, [path]);
  }
  const inWorktree = await scanChunks(
    run,
    fileChunks(target, ctx, { archives: archiveLimits(options), gitignore: options.gitignore, maxFileSize: run.maxFileSize, excludePaths: config.allowlist.paths, skipPath: (p) => scanned.has(tracked.get(p) ?? '') }),
  );
  const blobs = new Set(inHistory.map((o) => o.finding.blobId!));
  const places: BlobPlaces = { introduced: new Map(), worktree: covered, isCiConfig: (p) => run.ci.systemOf(p) !== null };
  const log = await blobHistories(repo, blobs, options.refs && options.refs.length > 0 ? options.refs : ['--all']);
  if (log.error) ctx.warn(`${target}: git log failed (${log.error}); history findings keep the path they were listed under`);
  for (const [oid, h] of log.histories) places.introduced.set(oid, h.introduced);
  await lastPresent(run, repo, log.histories, covered);
  run.commitsWalked += log.commits;
  await readOwnership(run, repo);
  run.occurrences.push(...placeGitOccurrences(inHistory, places), ...inWorktree);
}

/** HEAD (for `lastSeen` of secrets still present) and CODEOWNERS (for owners), from the working tree. */
async function readOwnership(run: ScanRun, repo: string): Promise<void> {
  const name = basename(repo);
  const head = (await gitMaybe(repo, ['log', '-1', '--format=%H%x1f%aI%x1f%an <%ae>']))?.trim();
  if (head) {
    const [commit, date, author] = head.split('\x1f');
    run.heads.set(name, { commit: commit!, date: date!, author: author! });
  }
  for (const p of CODEOWNERS_PATHS) {
    try {
      run.codeowners.set(name, parseCodeOwners(await readFile(join(repo, p), 'utf8')));
      return;
    } catch {
      // Not at this path: GitHub looks at the next one.
    }
  }
}

/**
 * For blobs that left the working tree: the last commit that still held them, i.e. the parent of the
 * latest commit that removed or replaced them. One `git log -1` per such blob: only blobs with findings.
 */
async function lastPresent(run: ScanRun, repo: string, histories: Map<string, BlobHistory>, inWorktree: Map<string, string[]>): Promise<void> {
  for (const [oid, h] of histories) {
    if (inWorktree.has(oid) || h.removed.length === 0) continue;
    const latest = h.removed.reduce((a, b) => (Date.parse(b.date) > Date.parse(a.date) ? b : a));
    const parent = (await gitMaybe(repo, ['log', '-1', '--format=%H%x1f%aI%x1f%an <%ae>', `${latest.commit}^`]))?.trim();
    if (!parent) continue;
    const [commit, date, author] = parent.split('\x1f');
    run.lastPresent.set(oid, { commit: commit!, date: date!, author: author! });
  }
}

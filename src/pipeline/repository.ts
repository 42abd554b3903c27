import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { placeGitOccurrences, type BlobPlaces } from '../analyze/provenance.js';
import { fileChunks, gitWorktreeListing, type GitListing } from '../sources/files.js';
import { historyChunks } from '../sources/git/history.js';
import { spoolBlobLog, type BlobHistory, type SpooledLog } from '../sources/git/introductions.js';
import { readFile } from 'node:fs/promises';
import { CODEOWNERS_PATHS, parseCodeOwners } from '../analyze/owners.js';
import { countCommits, gitMaybe, topLevel } from '../sources/git/repo.js';
import { fileAt, isBareRepository, treeBlobs } from '../sources/git/tree.js';
import { unmodifiedTracked } from '../sources/git/worktree.js';
import { archiveLimits } from '../scan.js';
import type { Occurrence } from '../analyze/findings.js';
import { scanChunks, scanChunksInWorkers, type ScanRun } from './run.js';
import { appendAll } from '../core/arrays.js';

/** A repository to scan with its history: its folder, and whether it is bare (a mirror, no working tree). */
export interface RepoRoot {
  root: string;
  bare: boolean;
}

/**
 * A folder that is a repository's top level, or a bare repository's own folder (an org scan's mirror),
 * gets its history scanned; anything else is files only.
 */
export async function historyRoot(target: string): Promise<RepoRoot | null> {
  const abs = resolve(target);
  if (!existsSync(join(abs, '.git'))) return (await isBareRepository(abs)) ? { root: abs, bare: true } : null;
  const top = await topLevel(abs);
  return top && resolve(top) === abs ? { root: abs, bare: false } : null;
}

/** The repository's name in findings: the caller's (`--repo-name`, an org's `owner/name`), else the folder's. */
export function repoNameOf(run: ScanRun, repo: RepoRoot): string {
  return run.options.repoName ?? (repo.bare ? basename(repo.root).replace(/\.git$/, '') : basename(repo.root));
}

/**
 * A repository: every reachable blob once, then only the working-tree files whose content is not one of
 * them; then, for the blobs with findings, where they entered history and where they stand now.
 * A bare repository's HEAD tree stands in for the working tree: a value there is still exposed.
 * With `history: false`, a bare repository's HEAD tree alone is scanned.
 */
export async function scanRepository(run: ScanRun, target: string, repo: RepoRoot): Promise<void> {
  const { ctx, options } = run;
  const name = repoNameOf(run, repo);
  const treeOnly = repo.bare && options.history === false;
  const refs = treeOnly ? ['--no-walk', 'HEAD'] : options.refs;
  const scanned = new Set<string>();
  // The history's git processes start first: they are the scan's critical path.
  const listed = { bytes: 0 };
  const history = historyChunks(repo.root, ctx, { refs, maxFileSize: run.maxFileSize, scanned, repoName: name, listed, archives: archiveLimits(options) });
  // Listed while the history streams: it needs only the index and a stat of each file (or a bare repository's HEAD tree).
  const trackedLater = repo.bare ? treeBlobs(repo.root) : unmodifiedTracked(repo.root);
  // The provenance log (one `git log --raw` pass, read once the findings are known) starts with the first
  // finding in history and runs beside the rest of the scan. A history without findings never pays for it:
  // on 2 cores it took CPU from the scan (1.5 CPU-s of a 20,698-commit history's 9.6 s).
  const logRefs = options.refs && options.refs.length > 0 ? options.refs : ['--all'];
  const log: { spool: SpooledLog | null } = { spool: null };
  const startLog = (): void => {
    if (!treeOnly) log.spool ??= spoolBlobLog(repo.root, logRefs);
  };
  // Queries whose answers the history does not change run beside it too: the work tree's listing, and HEAD.
  const listing = repo.bare || options.gitignore === false ? undefined : gitWorktreeListing(repo.root);
  const head = gitMaybe(repo.root, ['log', '-1', '--format=%H%x1f%aI%x1f%an <%ae>']);
  // Awaited only after the history: a failure must not surface meanwhile as an unhandled rejection.
  listing?.catch(() => undefined);
  const inHistory = await scanChunksInWorkers(run, history, { kind: 'history', listed, onFound: startLog }).catch((e: unknown) => {
    log.spool?.discard();
    throw e;
  });
  const tracked = await trackedLater;
  const covered = new Map<string, string[]>();
  for (const [path, oid] of tracked) {
    if (!scanned.has(oid)) continue;
    const list = covered.get(oid);
    if (list) list.push(path);
    else covered.set(oid, [path]);
  }
  const inWorktree = repo.bare ? [] : await scanWorktree(run, target, name, (p) => scanned.has(tracked.get(p) ?? ''), listing);
  const places: BlobPlaces = { introduced: new Map(), worktree: covered, isCiConfig: (p) => run.ci.systemOf(p) !== null };
  if (log.spool) {
    const blobs = new Set(inHistory.map((o) => o.finding.blobId!));
    const read = await log.spool.histories(blobs);
    if (read.error) ctx.warn(`${target}: git log failed (${read.error}); history findings keep the path they were listed under`);
    for (const [oid, h] of read.histories) places.introduced.set(oid, h.introduced);
    await lastPresent(run, repo.root, read.histories, covered);
    run.commitsWalked += read.commits;
  } else if (!treeOnly) run.commitsWalked += await countCommits(repo.root, logRefs);
  await readOwnership(run, repo, name, head);
  // Without history, a blob has no introducing commit: only its places in the tree are findings.
  appendAll(run.occurrences, placeGitOccurrences(inHistory, places, { history: !treeOnly }));
  appendAll(run.occurrences, inWorktree);
}

/** Working-tree files, except those whose content was read as a history blob. */
function scanWorktree(run: ScanRun, target: string, repoName: string, skipPath: (p: string) => boolean, listing?: Promise<GitListing>): Promise<Occurrence[]> {
  const { options, config } = run;
  return scanChunks(
    run,
    fileChunks(target, run.ctx, { archives: archiveLimits(options), gitignore: options.gitignore, maxFileSize: run.maxFileSize, excludePaths: config.allowlist.paths, skipPath, repoName, listing }),
  );
}

/** HEAD (`git log -1`, for `lastSeen` of secrets still present) and CODEOWNERS (for owners), from the working tree or HEAD's tree. */
async function readOwnership(run: ScanRun, repo: RepoRoot, name: string, headLog: Promise<string | null>): Promise<void> {
  const head = (await headLog)?.trim();
  if (head) {
    const [commit, date, author] = head.split('\x1f');
    run.heads.set(name, { commit: commit!, date: date!, author: author! });
  }
  for (const p of CODEOWNERS_PATHS) {
    // Not at this path: GitHub looks at the next one.
    const text = repo.bare ? await fileAt(repo.root, p) : await readFile(join(repo.root, p), 'utf8').catch(() => null);
    if (text === null) continue;
    run.codeowners.set(name, parseCodeOwners(text));
    return;
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

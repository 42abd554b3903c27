import { ciSystemOf } from '../core/paths.js';
import type { Finding } from '../core/types.js';
import { appendAll } from '../core/arrays.js';
import { findingId, type Occurrence } from './findings.js';

/** Where a blob entered history: the fields of a commit that adds it at a path. */
export interface Introduction {
  commit: string;
  date: string;
  author: string;
  authorEmail: string;
  path: string;
}

/** What the scan learned about the blobs with findings, from git. */
export interface BlobPlaces {
  /** blob id → commits that introduced it (any order). */
  introduced: Map<string, Introduction[]>;
  /** blob id → working-tree paths that hold exactly that blob. */
  worktree: Map<string, string[]>;
  /** Whether a path configures CI (its findings' source is `ci-config`). Default: by its name. */
  isCiConfig?: (path: string) => boolean;
}

function withProvenance(o: Occurrence, patch: Partial<Finding>): Occurrence {
  const f = { ...o.finding, ...patch };
  f.id = findingId(o.match, f);
  return { match: o.match, finding: f };
}

/**
 * Scanning is keyed by blob; reporting is by place. A history occurrence becomes one finding at the
 * blob's earliest introduction (commit, author, date, path), listing the later introductions (renames,
 * re-adds on other branches) in `alsoIntroduced`, plus one `file` finding per working-tree path that holds
 * the blob: the same secret in history and in the working tree is one secret with several occurrences.
 */
export function placeGitOccurrences(occurrences: Occurrence[], places: BlobPlaces, options: { history?: boolean } = {}): Occurrence[] {
  const out: Occurrence[] = [];
  for (const o of occurrences) {
    // Only history blobs carry a blob id: a blob's own finding, or a member of an archive blob
    // (`lib/app.jar!config.properties`), placed wherever the archive stands.
    const blob = o.finding.blobId;
    if (!blob) {
      out.push(o);
      continue;
    }
    // A blob's own finding is `git` in history and a file where the tree holds it; a member's or a committed
    // log's keeps its source, and a member its place inside the archive.
    const own = o.finding.source === 'git';
    const bang = own ? -1 : o.finding.path.indexOf('!');
    const member = bang < 0 ? '' : o.finding.path.slice(bang);
    const inTree = (places.worktree.get(blob) ?? []).map((path) => {
      const ci = places.isCiConfig ? places.isCiConfig(path) : ciSystemOf(path) !== null;
      const source = own ? (ci ? 'ci-config' : 'file') : o.finding.source;
      return withProvenance(o, { source, path: path + member, commit: null, author: null, date: null });
    });
    if (options.history === false) {
      appendAll(out, inTree);
      continue;
    }
    const intro = [...(places.introduced.get(blob) ?? [])].sort((a, b) => a.date.localeCompare(b.date) || a.path.localeCompare(b.path));
    const first = intro[0];
    if (first) {
      out.push(
        withProvenance(o, {
          path: first.path + member,
          commit: first.commit,
          author: `${first.author} <${first.authorEmail}>`,
          date: first.date,
          alsoIntroduced: intro.slice(1).map((i) => ({ commit: i.commit, date: i.date, author: `${i.author} <${i.authorEmail}>`, path: i.path + member })),
        }),
      );
    } else {
      out.push(o);
    }
    appendAll(out, inTree);
  }
  return out;
}

import { ciSystemOf } from '../core/paths.js';
import type { Finding } from '../core/types.js';
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
export function placeGitOccurrences(occurrences: Occurrence[], places: BlobPlaces): Occurrence[] {
  const out: Occurrence[] = [];
  for (const o of occurrences) {
    const blob = o.finding.source === 'git' ? o.finding.blobId : undefined;
    if (!blob) {
      out.push(o);
      continue;
    }
    const intro = [...(places.introduced.get(blob) ?? [])].sort((a, b) => a.date.localeCompare(b.date) || a.path.localeCompare(b.path));
    const first = intro[0];
    if (first) {
      out.push(
        withProvenance(o, {
          path: first.path,
          commit: first.commit,
          author: `${first.author} <${first.authorEmail}>`,
          date: first.date,
          alsoIntroduced: intro.slice(1).map((i) => ({ commit: i.commit, date: i.date, author: `${i.author} <${i.authorEmail}>`, path: i.path })),
        }),
      );
    } else {
      out.push(o);
    }
    for (const path of places.worktree.get(blob) ?? []) {
      const ci = places.isCiConfig ? places.isCiConfig(path) : ciSystemOf(path) !== null;
      out.push(withProvenance(o, { source: ci ? 'ci-config' : 'file', path, commit: null, author: null, date: null }));
    }
  }
  return out;
}

import type { Finding, SeenAt, Secret } from '../core/types.js';

/** Where and when a secret's repository stands now: its HEAD commit, for `lastSeen`. */
export interface RepoHead {
  commit: string;
  date: string;
  author: string;
}

export interface LifecycleOptions {
  /** The scan's date: ages are measured to it. */
  now: Date;
  /** Days after which a secret is long-lived. Default 90. */
  maxAgeDays: number;
  /** repo name → its HEAD, for secrets still in the working tree. */
  heads: Map<string, RepoHead>;
  /** blob id → the last commit that still held it, for blobs that left the working tree. */
  lastPresent: Map<string, SeenAt>;
}

export type SecretStatus = 'exposed' | 'removed-not-rotated' | 'superseded';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Every commit that wrote the value: each history finding's introduction and its later ones. */
function introductions(findings: Finding[]): SeenAt[] {
  const out: SeenAt[] = [];
  for (const f of findings) {
    if (f.commit && f.date) out.push({ commit: f.commit, date: f.date, author: f.author });
    for (const i of f.alsoIntroduced ?? []) out.push({ commit: i.commit, date: i.date, author: i.author });
  }
  return out.sort((a, b) => Date.parse(a.date!) - Date.parse(b.date!));
}

/**
 * Fills each secret's lifecycle from its findings:
 * - `firstSeen`: the earliest commit that introduced the value;
 * - `lastSeen`: the repository's HEAD while the value is in the working tree, else the last commit that
 *   still held it (the parent of the commit that removed or replaced it), else the last commit that wrote it;
 * - `ageDays` from firstSeen to the scan date; `longLived` past `maxAgeDays`;
 * - `status`: `exposed` (in the working tree), `superseded` (the same rule at the same path later holds a
 *   different value: probably rotated, still to be checked), else `removed-not-rotated`.
 * A scan without history knows no dates: those fields stay null and a file finding is `exposed`.
 */
export function applyLifecycle(secrets: Secret[], findingsById: Map<string, Finding>, options: LifecycleOptions): void {
  const intro = new Map<string, SeenAt[]>();
  const places = new Map<string, Finding[]>();
  for (const s of secrets) {
    const fs = s.findingIds.map((id) => findingsById.get(id)!).filter(Boolean);
    places.set(s.secretId, fs);
    intro.set(s.secretId, introductions(fs));
  }
  for (const s of secrets) {
    const fs = places.get(s.secretId)!;
    const seen = intro.get(s.secretId)!;
    const inTree = fs.some((f) => f.source !== 'git');
    s.inWorkingTree = inTree;
    s.firstSeen = seen[0] ?? null;
    const head = inTree ? fs.map((f) => (f.repo ? options.heads.get(f.repo) : undefined)).find(Boolean) : undefined;
    const present = fs
      .map((f) => (f.blobId ? options.lastPresent.get(f.blobId) : undefined))
      .filter((p): p is SeenAt => p !== undefined)
      .sort((a, b) => Date.parse(b.date!) - Date.parse(a.date!))[0];
    s.lastSeen = head ? { commit: head.commit, date: head.date, author: head.author } : (present ?? seen.at(-1) ?? null);
    s.ageDays = s.firstSeen?.date ? Math.max(0, Math.floor((options.now.getTime() - Date.parse(s.firstSeen.date)) / DAY_MS)) : null;
    s.longLived = s.ageDays !== null && s.ageDays > options.maxAgeDays;
    s.status = inTree ? 'exposed' : supersededBy(s, secrets, places, intro) ? 'superseded' : 'removed-not-rotated';
  }
}

/** True when another value of the same rule was written later at one of this secret's paths, in the same repository. */
function supersededBy(s: Secret, all: Secret[], places: Map<string, Finding[]>, intro: Map<string, SeenAt[]>): boolean {
  const last = intro.get(s.secretId)!.at(-1)?.date;
  if (!last) return false;
  // A path is a place within one repository: config.yml in another repository is another file.
  const at = (repo: string | null, path: string): string => `${repo ?? ''}\0${path}`;
  const paths = new Set(places.get(s.secretId)!.flatMap((f) => [f.path, ...(f.alsoIntroduced ?? []).map((i) => i.path)].map((p) => at(f.repo, p))));
  return all.some(
    (o) =>
      o !== s &&
      o.ruleId === s.ruleId &&
      places.get(o.secretId)!.some((f) => paths.has(at(f.repo, f.path))) &&
      intro.get(o.secretId)!.some((i) => Date.parse(i.date!) > Date.parse(last)),
  );
}

import type { Report } from '../core/types.js';

/** The sprawl numbers every human-facing format shows. */
export interface SprawlSummary {
  secrets: number;
  occurrences: number;
  /** Occurrences per unique secret. */
  duplicationFactor: number;
  medianAgeDays: number | null;
  maxAgeDays: number | null;
  longLived: number;
  byStatus: Record<string, number>;
  /** Owners ranked by the summed risk of the secrets they own: at most 10, or 25 across repositories.
   * `repos` counts the repositories holding those secrets. */
  topOwners: Array<{ name: string; source: string; secrets: number; repos: number; risk: number }>;
  /** One entry per repository with findings, by summed risk: the org view. */
  byRepo: RepoRollup[];
  /** Secrets found in more than one repository. */
  crossRepo: number;
}

/** A repository's share of the sprawl. */
export interface RepoRollup {
  repo: string;
  /** Unique secrets with an occurrence in the repository. */
  secrets: number;
  occurrences: number;
  /** Of those secrets, the ones in its working tree (or a mirror's HEAD). */
  exposed: number;
  /** Of those secrets, the ones found in other repositories too. */
  shared: number;
  /** Summed and highest risk of its secrets. */
  risk: number;
  maxRisk: number;
}

function repoRollups(report: Report): RepoRollup[] {
  const risk = new Map(report.secrets.map((s) => [s.secretId, s]));
  const repos = new Map<string, { secrets: Set<string>; exposed: Set<string>; occurrences: number }>();
  for (const f of report.findings) {
    if (!f.repo) continue;
    const r = repos.get(f.repo) ?? { secrets: new Set<string>(), exposed: new Set<string>(), occurrences: 0 };
    r.occurrences++;
    r.secrets.add(f.secretId);
    if (f.source !== 'git') r.exposed.add(f.secretId);
    repos.set(f.repo, r);
  }
  return [...repos]
    .map(([repo, r]) => {
      const secrets = [...r.secrets].map((id) => risk.get(id)).filter((x) => x !== undefined);
      return {
        repo,
        secrets: r.secrets.size,
        occurrences: r.occurrences,
        exposed: r.exposed.size,
        shared: secrets.filter((x) => x.repos.length > 1).length,
        risk: secrets.reduce((n, x) => n + (x.risk ?? 0), 0),
        maxRisk: Math.max(0, ...secrets.map((x) => x.risk ?? 0)),
      };
    })
    .sort((a, b) => b.risk - a.risk || a.repo.localeCompare(b.repo));
}

export function summarize(report: Report): SprawlSummary {
  const ages = report.secrets.map((s) => s.ageDays).filter((a): a is number => a !== null).sort((a, b) => a - b);
  const byStatus: Record<string, number> = {};
  for (const s of report.secrets) if (s.status) byStatus[s.status] = (byStatus[s.status] ?? 0) + 1;
  const owners = new Map<string, { name: string; source: string; secrets: number; repos: Set<string>; risk: number }>();
  for (const s of report.secrets) {
    for (const o of s.owners as Array<{ name: string; source: string }>) {
      const key = `${o.source}:${o.name}`;
      const entry = owners.get(key) ?? { name: o.name, source: o.source, secrets: 0, repos: new Set<string>(), risk: 0 };
      entry.secrets++;
      entry.risk += s.risk ?? 0;
      for (const r of s.repos) entry.repos.add(r);
      owners.set(key, entry);
    }
  }
  const byRepo = repoRollups(report);
  const occurrences = report.findings.length;
  return {
    secrets: report.secrets.length,
    occurrences,
    duplicationFactor: report.secrets.length ? occurrences / report.secrets.length : 0,
    medianAgeDays: ages.length ? ages[Math.floor((ages.length - 1) / 2)]! : null,
    maxAgeDays: ages.length ? ages[ages.length - 1]! : null,
    longLived: report.secrets.filter((s) => s.longLived).length,
    byStatus,
    topOwners: [...owners.values()]
      .map((o) => ({ ...o, repos: o.repos.size }))
      .sort((a, b) => b.risk - a.risk || a.name.localeCompare(b.name))
      .slice(0, byRepo.length > 1 ? 25 : 10),
    byRepo,
    crossRepo: report.secrets.filter((s) => s.repos.length > 1).length,
  };
}

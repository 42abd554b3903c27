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
  /** Owners ranked by the summed risk of the secrets they own: at most 10. */
  topOwners: Array<{ name: string; source: string; secrets: number; risk: number }>;
}

export function summarize(report: Report): SprawlSummary {
  const ages = report.secrets.map((s) => s.ageDays).filter((a): a is number => a !== null).sort((a, b) => a - b);
  const byStatus: Record<string, number> = {};
  for (const s of report.secrets) if (s.status) byStatus[s.status] = (byStatus[s.status] ?? 0) + 1;
  const owners = new Map<string, { name: string; source: string; secrets: number; risk: number }>();
  for (const s of report.secrets) {
    for (const o of s.owners as Array<{ name: string; source: string }>) {
      const key = `${o.source}:${o.name}`;
      const entry = owners.get(key) ?? { name: o.name, source: o.source, secrets: 0, risk: 0 };
      entry.secrets++;
      entry.risk += s.risk ?? 0;
      owners.set(key, entry);
    }
  }
  const occurrences = report.findings.length;
  return {
    secrets: report.secrets.length,
    occurrences,
    duplicationFactor: report.secrets.length ? occurrences / report.secrets.length : 0,
    medianAgeDays: ages.length ? ages[Math.floor((ages.length - 1) / 2)]! : null,
    maxAgeDays: ages.length ? ages[ages.length - 1]! : null,
    longLived: report.secrets.filter((s) => s.longLived).length,
    byStatus,
    topOwners: [...owners.values()].sort((a, b) => b.risk - a.risk || a.name.localeCompare(b.name)).slice(0, 10),
  };
}

import type { Criticality, Finding, Revocation, Rule, Secret } from '../core/types.js';

/**
 * Risk, 0-100, orders the report. Documented in the README:
 *   base        criticality of the rule: critical 40, high 30, medium 20, low 10
 *   + status    removed-not-rotated 25 (deleting did not revoke it), exposed 20, superseded 5
 *   + age       1 a month since first seen, at most 15
 *   + spread    3 for each place beyond the first (distinct paths + repos - 1), at most 10
 *   + pipelines 10 when a copy sits in a CI config or a log
 *   × confidence high 1, medium 0.85, low 0.6
 */
const BASE: Record<Criticality, number> = { critical: 40, high: 30, medium: 20, low: 10 };
const STATUS = { 'removed-not-rotated': 25, exposed: 20, superseded: 5 } as const;
const CONFIDENCE = { high: 1, medium: 0.85, low: 0.6 } as const;

export function riskOf(secret: Secret, criticality: Criticality, findings: Finding[]): number {
  const status = secret.status ? STATUS[secret.status] : 0;
  const age = Math.min(15, Math.floor((secret.ageDays ?? 0) / 30));
  const spread = Math.min(10, 3 * (secret.paths.length + Math.max(1, secret.repos.length) - 2));
  const pipelines = findings.some((f) => f.source === 'ci-config' || f.source === 'log') ? 10 : 0;
  const raw = (BASE[criticality] + status + age + Math.max(0, spread) + pipelines) * CONFIDENCE[secret.confidence];
  return Math.max(0, Math.min(100, Math.round(raw)));
}

/** How far a secret has spread: distinct files, repositories and kinds of source. */
export function duplicationOf(findings: Finding[]): { files: number; repos: number; sources: string[] } {
  return {
    files: new Set(findings.map((f) => `${f.repo ?? ''}:${f.path}`)).size,
    repos: new Set(findings.map((f) => f.repo).filter(Boolean)).size,
    sources: [...new Set(findings.map((f) => f.source))].sort(),
  };
}

/**
 * The playbook for one secret: the provider's steps, with the places and owners filled in, and the
 * reminder that rewriting history does not revoke anything.
 */
export function playbookOf(secret: Secret, revocation: Revocation): Revocation {
  const places = secret.paths.slice(0, 5).join(', ') + (secret.paths.length > 5 ? `, and ${secret.paths.length - 5} more` : '');
  const workloads = (secret.workloads as Array<{ kind: string; name: string }>).map((w) => `${w.kind} ${w.name}`);
  const steps = [
    ...revocation.steps,
    `Remove the value from every place it stands (${places})${workloads.length ? ` and from the workloads ${workloads.join(', ')}` : ''}; read the replacement from a secret store instead.`,
    'Optionally purge it from git history (git filter-repo), and ask forks and mirrors to do the same. A purge does not revoke the credential: only the provider can.',
  ];
  return { summary: revocation.summary, url: revocation.url, steps };
}

/**
 * Links secrets that form one credential: values of the same provider in the same file within three
 * lines of each other, such as an AWS key id and its secret key. The playbook then treats them as one.
 */
export function linkRelated(secrets: Secret[], findingsById: Map<string, Finding>): void {
  const byPlace = new Map<string, Array<{ secret: Secret; line: number }>>();
  for (const s of secrets) {
    for (const id of s.findingIds) {
      const f = findingsById.get(id);
      if (!f) continue;
      const key = `${s.provider}\0${f.repo ?? ''}\0${f.commit ?? ''}\0${f.path}`;
      const list = byPlace.get(key) ?? [];
      list.push({ secret: s, line: f.line });
      byPlace.set(key, list);
    }
  }
  const related = new Map<string, Set<string>>();
  for (const list of byPlace.values()) {
    for (const a of list) {
      for (const b of list) {
        if (a.secret === b.secret || Math.abs(a.line - b.line) > 3) continue;
        const set = related.get(a.secret.secretId) ?? new Set<string>();
        set.add(b.secret.secretId);
        related.set(a.secret.secretId, set);
      }
    }
  }
  for (const s of secrets) s.related = [...(related.get(s.secretId) ?? [])].sort();
}

/** Fills risk, duplication, related and the playbook, and orders secrets by risk, highest first. A secret
 * whose rule is not in `rules` keeps the risk and playbook it has. */
export function applyRisk(secrets: Secret[], findingsById: Map<string, Finding>, rules: Map<string, Rule>): Secret[] {
  linkRelated(secrets, findingsById);
  for (const s of secrets) {
    const findings = s.findingIds.map((id) => findingsById.get(id)!).filter(Boolean);
    s.duplication = duplicationOf(findings);
    const rule = rules.get(s.ruleId);
    // A merge may meet a rule it was not given (a shard's own rules): the shard's risk and playbook stand.
    if (!rule) continue;
    s.risk = riskOf(s, rule.criticality, findings);
    s.revocation = playbookOf(s, rule.revocation);
  }
  return secrets.sort((a, b) => (b.risk ?? 0) - (a.risk ?? 0) || a.secretId.localeCompare(b.secretId));
}

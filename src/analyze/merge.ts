import type { Finding, Rule, Secret, SeenAt } from '../core/types.js';
import { byPlace, namingRank, unique } from './findings.js';
import { sortOwners, type Owner } from './owners.js';
import { applyRisk } from './risk.js';
import { workloadsOfSecret } from './workloads.js';

/**
 * Merging works on reported records only (redacted values, secretIds): shard reports never hold a raw
 * secret, and neither does the merge. The same value in several reports is one secret because its
 * secretId is the same, which holds when every shard ran with the same `SPRAWL_ID_KEY`.
 */

/** Every finding of the reports once (by id: merging a report twice adds nothing), in report order. */
export function mergeFindings(lists: Finding[][]): Finding[] {
  const byId = new Map<string, Finding>();
  for (const list of lists) for (const f of list) if (!byId.has(f.id)) byId.set(f.id, f);
  return [...byId.values()].sort(byPlace);
}

/**
 * One secret per secretId across reports, as if one scan had found every occurrence:
 * - places (`findingIds`, `occurrences`, `paths`, `repos`) and workloads from the merged findings;
 * - the naming rule, confidence and redacted value of the most specific entry (provider over generic);
 * - lifecycle: the earliest `firstSeen`; `inWorkingTree` and `exposed` if any repository still holds it;
 *   else `superseded` if it was replaced anywhere, else `removed-not-rotated`; `lastSeen` the latest
 *   (a HEAD still holding it, when exposed); the greatest age; long-lived if any entry is;
 * - owners across repositories (one per name and source, their paths joined);
 * - related, duplication, risk and playbook computed again over the merged places (`rules` gives
 *   criticality and revocation steps; a rule it lacks keeps the highest risk the reports gave).
 * Returns the secrets ordered by risk, as a scan does.
 */
export function mergeSecrets(lists: Secret[][], findings: Finding[], rules: Map<string, Rule>): Secret[] {
  const entries = new Map<string, Secret[]>();
  for (const list of lists) {
    for (const s of list) {
      const same = entries.get(s.secretId);
      if (same) same.push(s);
      else entries.set(s.secretId, [s]);
    }
  }
  const placesOf = new Map<string, Finding[]>();
  for (const f of findings) {
    const list = placesOf.get(f.secretId);
    if (list) list.push(f);
    else placesOf.set(f.secretId, [f]);
  }
  const findingsById = new Map(findings.map((f) => [f.id, f]));
  const merged = [...entries].map(([id, list]) => mergeOne(list, placesOf.get(id) ?? [], findingsById, rules));
  return applyRisk(merged, findingsById, rules);
}

function mergeOne(list: Secret[], places: Finding[], findingsById: Map<string, Finding>, rules: Map<string, Rule>): Secret {
  const best = list.reduce((a, b) => (namingRank(b.ruleId, b.confidence, rules) > namingRank(a.ruleId, a.confidence, rules) ? b : a));
  const exposed = list.filter((s) => s.inWorkingTree === true);
  const s: Secret = {
    ...best,
    occurrences: places.length,
    findingIds: places.map((f) => f.id),
    paths: unique(places.map((f) => f.path)),
    repos: unique(places.map((f) => f.repo).filter((r): r is string => r !== null)),
    firstSeen: earliest(list.map((e) => e.firstSeen)),
    lastSeen: latest((exposed.length > 0 ? exposed : list).map((e) => e.lastSeen)),
    ageDays: maxOrNull(list.map((e) => e.ageDays)),
    inWorkingTree: anyOrNull(list.map((e) => e.inWorkingTree)),
    status: exposed.length > 0 ? 'exposed' : (['superseded', 'removed-not-rotated'] as const).find((st) => list.some((e) => e.status === st)) ?? null,
    longLived: anyOrNull(list.map((e) => e.longLived)),
    risk: maxOrNull(list.map((e) => e.risk)),
    owners: mergeOwners(list.flatMap((e) => e.owners as Owner[])),
    related: [],
  };
  s.workloads = workloadsOfSecret(s, findingsById);
  return s;
}

function mergeOwners(owners: Owner[]): Owner[] {
  const byKey = new Map<string, Owner>();
  for (const o of owners) {
    const key = `${o.source}:${o.name}`;
    const entry = byKey.get(key) ?? { name: o.name, source: o.source, paths: [] };
    for (const p of o.paths) if (!entry.paths.includes(p)) entry.paths.push(p);
    byKey.set(key, entry);
  }
  return sortOwners([...byKey.values()]);
}

const dated = (xs: Array<SeenAt | null>): SeenAt[] => xs.filter((x): x is SeenAt => x !== null && x.date !== null).sort((a, b) => Date.parse(a.date!) - Date.parse(b.date!));
const earliest = (xs: Array<SeenAt | null>): SeenAt | null => dated(xs)[0] ?? xs.find((x) => x !== null) ?? null;
const latest = (xs: Array<SeenAt | null>): SeenAt | null => dated(xs).at(-1) ?? xs.find((x) => x !== null) ?? null;

function maxOrNull(xs: Array<number | null>): number | null {
  const ns = xs.filter((x): x is number => x !== null);
  return ns.length > 0 ? Math.max(...ns) : null;
}

function anyOrNull(xs: Array<boolean | null>): boolean | null {
  if (xs.some((x) => x === true)) return true;
  return xs.some((x) => x === false) ? false : null;
}

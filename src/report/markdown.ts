import type { Finding, Report, Secret } from '../core/types.js';
import { summarize, type SprawlSummary } from './summary.js';
import { ciPlace } from './text.js';

/** Characters that would break a Markdown table cell. */
function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function ownersLine(s: Secret): string {
  const owners = s.owners as Array<{ name: string; source: string }>;
  return owners.length ? owners.map((o) => `${o.name} (${o.source})`).join(', ') : 'unknown';
}

/** A place; in a report spanning several repositories, every place names its repository. */
function occurrence(f: Finding, multiRepo: boolean): string {
  const where = `${f.repo && (multiRepo || f.source !== 'file') ? `${f.repo}:` : ''}${f.path}:${f.line}`;
  const when = f.commit ? ` — introduced in \`${f.commit.slice(0, 12)}\` by ${f.author ?? 'unknown'} on ${f.date?.slice(0, 10) ?? '?'}` : '';
  const later = (f.alsoIntroduced ?? []).map((i) => `; again at ${i.path} in \`${i.commit.slice(0, 12)}\``).join('');
  const log = f.source === 'log' && f.ci?.job ? ` — printed by job \`${cell(f.ci.job)}\`${f.ci.step ? `, step \`${cell(f.ci.step)}\`` : ''}` : '';
  const job = f.source !== 'log' && f.ci ? ` — ${cell(ciPlace(f.ci))}` : log;
  return `- \`${cell(where)}\` (${f.source})${when}${later}${job}`;
}

/** The targets, the first ten by name: an org scan has hundreds. */
function targetList(targets: string[]): string {
  const shown = targets.slice(0, 10).map((t) => `\`${t}\``).join(', ');
  return targets.length > 10 ? `${targets.length} targets (${shown}, and ${targets.length - 10} more)` : shown;
}

/** The per-repository roll-up of a report that spans several repositories. */
function repoTable(sum: SprawlSummary): string[] {
  const out = ['## Repositories', '', '| Repository | Secrets | Exposed | Also in other repositories | Occurrences | Total risk | Highest risk |', '|---|---|---|---|---|---|---|'];
  for (const r of sum.byRepo) out.push(`| ${cell(r.repo)} | ${r.secrets} | ${r.exposed} | ${r.shared} | ${r.occurrences} | ${r.risk} | ${r.maxRisk} |`);
  out.push('');
  return out;
}

/**
 * The sprawl report for people: a summary, the owners most exposed, one table row per secret ordered by
 * risk, then each secret's places, owners, workloads and playbook. A report spanning several repositories
 * (an org scan) adds a table per repository and the repositories each owner's secrets stand in. Values
 * arrive redacted.
 */
export function formatMarkdown(report: Report): string {
  const sum = summarize(report);
  const findings = new Map(report.findings.map((f) => [f.id, f]));
  const out: string[] = [];
  out.push('# sprawl report', '');
  const multiRepo = sum.byRepo.length > 1;
  out.push(`Scanned ${targetList(report.scan.targets)} on ${report.scan.finishedAt.slice(0, 10)} with sprawl ${report.tool.version}.`, '');
  out.push('## Summary', '');
  out.push('| | |', '|---|---|');
  out.push(`| Unique secrets | ${sum.secrets} |`);
  out.push(`| Occurrences | ${sum.occurrences} |`);
  out.push(`| Duplication factor | ${sum.duplicationFactor.toFixed(2)} occurrences per secret |`);
  out.push(`| Median age | ${sum.medianAgeDays ?? 'n/a'} days |`);
  out.push(`| Maximum age | ${sum.maxAgeDays ?? 'n/a'} days |`);
  out.push(`| Long-lived | ${sum.longLived} |`);
  for (const [status, n] of Object.entries(sum.byStatus)) out.push(`| ${status} | ${n} |`);
  if (multiRepo) out.push(`| Repositories with secrets | ${sum.byRepo.length} |`, `| Secrets in several repositories | ${sum.crossRepo} |`);
  out.push('');
  if (multiRepo) out.push(...repoTable(sum));
  if (sum.topOwners.length > 0) {
    out.push('## Owners most exposed', '');
    out.push(multiRepo ? '| Owner | Source | Secrets | Repositories | Total risk |' : '| Owner | Source | Secrets | Total risk |', multiRepo ? '|---|---|---|---|---|' : '|---|---|---|---|');
    for (const o of sum.topOwners) out.push(`| ${cell(o.name)} | ${o.source} | ${o.secrets} |${multiRepo ? ` ${o.repos} |` : ''} ${o.risk} |`);
    out.push('');
  }
  out.push('## Secrets by risk', '');
  if (report.secrets.length === 0) out.push('No secrets found.', '');
  else {
    out.push('| Risk | Secret | Rule | Status | Age (days) | Occurrences | Owners |', '|---|---|---|---|---|---|---|');
    for (const s of report.secrets) {
      out.push(`| ${s.risk ?? ''} | \`${cell(s.secret)}\` | ${s.ruleId} | ${s.status ?? ''}${s.longLived ? ', long-lived' : ''} | ${s.ageDays ?? ''} | ${s.occurrences} | ${cell(ownersLine(s))} |`);
    }
    out.push('');
  }
  report.secrets.forEach((s, i) => {
    out.push(`### ${i + 1}. ${s.ruleId} \`${cell(s.secret)}\` — risk ${s.risk ?? '?'}`, '');
    out.push(`Status: **${s.status ?? 'unknown'}**. First seen ${s.firstSeen?.date?.slice(0, 10) ?? 'n/a'}, last seen ${s.lastSeen?.date?.slice(0, 10) ?? 'n/a'}. Owners: ${ownersLine(s)}.`, '');
    if (s.related.length > 0) out.push(`Part of one credential with: ${s.related.map((r) => `\`${r}\``).join(', ')}.`, '');
    out.push('Where it stands:', '');
    for (const id of s.findingIds) {
      const f = findings.get(id);
      if (f) out.push(occurrence(f, multiRepo));
    }
    out.push('');
    const workloads = s.workloads as Array<{ kind: string; name: string; path: string; via: string }>;
    if (workloads.length > 0) {
      out.push('Workloads:', '');
      for (const w of workloads) out.push(`- ${w.kind} \`${cell(w.name)}\` (${w.path})${w.via === 'log' ? ' — printed it in its log' : ''}`);
      out.push('');
    }
    if (s.revocation) {
      out.push(`How to revoke and rotate (${s.revocation.url}):`, '');
      s.revocation.steps.forEach((step, n) => out.push(`${n + 1}. ${step}`));
      out.push('');
    }
  });
  return out.join('\n');
}

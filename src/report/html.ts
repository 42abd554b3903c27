import type { Report, Secret } from '../core/types.js';
import { summarize, type SprawlSummary } from './summary.js';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem;color:#1d2330;background:#fff}
h1{font-size:1.6rem;margin:0 0 .2rem}h2{font-size:1.2rem;margin:2rem 0 .6rem}
.meta{color:#5b6475;margin-bottom:1.2rem}
.cards{display:flex;flex-wrap:wrap;gap:.8rem}.card{border:1px solid #d8dde8;border-radius:8px;padding:.6rem 1rem;min-width:9rem}
.card b{display:block;font-size:1.4rem}
table{border-collapse:collapse;width:100%;margin:.4rem 0}th,td{border-bottom:1px solid #e3e7ef;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f5f9;cursor:pointer;user-select:none;white-space:nowrap}th[aria-sort=ascending]::after{content:" ▲"}th[aria-sort=descending]::after{content:" ▼"}
code{background:#f3f5f9;padding:0 .25rem;border-radius:3px}
.risk{font-weight:700}.exposed{color:#b3261e}.removed-not-rotated{color:#b3261e;font-weight:700}.superseded{color:#8a5a00}
details{border:1px solid #e3e7ef;border-radius:8px;padding:.4rem .8rem;margin:.5rem 0}summary{cursor:pointer}
`;

/** Sorts a table by the clicked column: numbers numerically, text alphabetically. No network, no libraries. */
const SCRIPT = `
document.querySelectorAll('table.sortable th').forEach(function(th, col){
  th.addEventListener('click', function(){
    var table = th.closest('table'), body = table.tBodies[0];
    var dir = th.getAttribute('aria-sort') === 'descending' ? 'ascending' : 'descending';
    table.querySelectorAll('th').forEach(function(h){ h.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', dir);
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function(a, b){
      var x = a.cells[col].getAttribute('data-v') || a.cells[col].textContent;
      var y = b.cells[col].getAttribute('data-v') || b.cells[col].textContent;
      var nx = parseFloat(x), ny = parseFloat(y);
      var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
      return dir === 'ascending' ? c : -c;
    });
    rows.forEach(function(r){ body.appendChild(r); });
  });
});
`;

function targetList(targets: string[]): string {
  return targets.length > 10 ? `${targets.length} targets (${targets.slice(0, 10).join(', ')}, and ${targets.length - 10} more)` : targets.join(', ');
}

/** The per-repository roll-up of a report spanning several repositories (an org scan). */
function repoTable(sum: SprawlSummary): string {
  const num = (n: number): string => `<td data-v="${n}">${n}</td>`;
  const rows = sum.byRepo.map((r) => `<tr><td>${esc(r.repo)}</td>${num(r.secrets)}${num(r.exposed)}${num(r.shared)}${num(r.occurrences)}${num(r.risk)}${num(r.maxRisk)}</tr>`).join('\n');
  return `<h2>Repositories</h2>
<table class="sortable" id="repos"><thead><tr><th>Repository</th><th>Secrets</th><th>Exposed</th><th>Also in other repositories</th><th>Occurrences</th><th>Total risk</th><th>Highest risk</th></tr></thead><tbody>
${rows}
</tbody></table>
`;
}

function ownerNames(s: Secret): string {
  return (s.owners as Array<{ name: string }>).map((o) => o.name).join(', ');
}

/**
 * The sprawl report as one self-contained HTML page: no external assets, so it can be attached to a
 * ticket or opened from a CI artifact offline. Values arrive redacted.
 */
export function formatHtml(report: Report): string {
  const sum = summarize(report);
  const findings = new Map(report.findings.map((f) => [f.id, f]));
  const card = (label: string, value: string | number): string => `<div class="card"><b>${esc(String(value))}</b>${esc(label)}</div>`;
  const rows = report.secrets
    .map(
      (s) =>
        `<tr><td class="risk" data-v="${s.risk ?? 0}">${s.risk ?? ''}</td><td><code>${esc(s.secret)}</code></td><td>${esc(s.ruleId)}</td>` +
        `<td class="${esc(s.status ?? '')}">${esc(s.status ?? '')}${s.longLived ? ' (long-lived)' : ''}</td><td data-v="${s.ageDays ?? -1}">${s.ageDays ?? ''}</td>` +
        `<td data-v="${s.occurrences}">${s.occurrences}</td><td>${esc(ownerNames(s))}</td><td>${esc((s.workloads as Array<{ kind: string; name: string }>).map((w) => `${w.kind} ${w.name}`).join(', '))}</td></tr>`,
    )
    .join('\n');
  const multiRepo = sum.byRepo.length > 1;
  const ownersRows = sum.topOwners
    .map((o) => `<tr><td>${esc(o.name)}</td><td>${esc(o.source)}</td><td data-v="${o.secrets}">${o.secrets}</td>${multiRepo ? `<td data-v="${o.repos}">${o.repos}</td>` : ''}<td data-v="${o.risk}">${o.risk}</td></tr>`)
    .join('\n');
  const details = report.secrets
    .map((s, i) => {
      const places = s.findingIds
        .map((id) => findings.get(id))
        .filter(Boolean)
        .map((f) => `<li><code>${esc(`${multiRepo && f!.repo ? `${f!.repo}:` : ''}${f!.path}:${f!.line}`)}</code> (${esc(f!.source)})${f!.commit ? ` in <code>${esc(f!.commit.slice(0, 12))}</code> by ${esc(f!.author ?? '')} on ${esc(f!.date?.slice(0, 10) ?? '')}` : ''}</li>`)
        .join('');
      const steps = (s.revocation?.steps ?? []).map((st) => `<li>${esc(st)}</li>`).join('');
      return `<details><summary>${i + 1}. <b>${esc(s.ruleId)}</b> <code>${esc(s.secret)}</code> · risk ${s.risk ?? '?'} · ${esc(s.status ?? '')}</summary>
<p>First seen ${esc(s.firstSeen?.date?.slice(0, 10) ?? 'n/a')}, last seen ${esc(s.lastSeen?.date?.slice(0, 10) ?? 'n/a')}. Owners: ${esc(ownerNames(s) || 'unknown')}.</p>
<ul>${places}</ul>${s.revocation ? `<p>Revoke and rotate: <a href="${esc(s.revocation.url)}">${esc(s.revocation.url)}</a></p><ol>${steps}</ol>` : ''}</details>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>sprawl report</title><style>${STYLE}</style></head><body>
<h1>sprawl report</h1>
<div class="meta">Scanned ${esc(targetList(report.scan.targets))} on ${esc(report.scan.finishedAt.slice(0, 10))} · sprawl ${esc(report.tool.version)}</div>
<div class="cards">${card('unique secrets', sum.secrets)}${card('occurrences', sum.occurrences)}${card('occurrences per secret', sum.duplicationFactor.toFixed(2))}${card('median age (days)', sum.medianAgeDays ?? 'n/a')}${card('max age (days)', sum.maxAgeDays ?? 'n/a')}${card('long-lived', sum.longLived)}${Object.entries(sum.byStatus)
    .map(([k, v]) => card(k, v))
    .join('')}${multiRepo ? card('repositories with secrets', sum.byRepo.length) + card('secrets in several repositories', sum.crossRepo) : ''}</div>
${multiRepo ? repoTable(sum) : ''}<h2>Owners most exposed</h2>
<table class="sortable" id="owners"><thead><tr><th>Owner</th><th>Source</th><th>Secrets</th>${multiRepo ? '<th>Repositories</th>' : ''}<th>Total risk</th></tr></thead><tbody>
${ownersRows}
</tbody></table>
<h2>Secrets by risk</h2>
<table class="sortable" id="secrets"><thead><tr><th>Risk</th><th>Secret</th><th>Rule</th><th>Status</th><th>Age (days)</th><th>Occurrences</th><th>Owners</th><th>Workloads</th></tr></thead><tbody>
${rows}
</tbody></table>
<h2>Details</h2>
${details}
<script>${SCRIPT}</script>
</body></html>
`;
}

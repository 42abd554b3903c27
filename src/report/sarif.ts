import type * as Sarif from 'sarif';
import type { Confidence, Finding, Report, RuleSummary } from '../core/types.js';

const LEVEL: Record<Confidence, Sarif.Result.level> = { high: 'error', medium: 'warning', low: 'note' };

/** Security severity for GitHub code scanning (0-10): it orders alerts by this. */
const SECURITY_SEVERITY: Record<Confidence, string> = { high: '9.0', medium: '7.0', low: '4.0' };

/**
 * SARIF 2.1.0, as GitHub code scanning and `sarif-multitool validate` expect it. Locations are relative to
 * %SRCROOT% (the scan target); lines and columns from 1, columns in UTF-16 code units (SARIF's default).
 * `partialFingerprints` carry the secretId, so an alert follows the secret, not the line it sits on.
 */
export function formatSarif(report: Report): string {
  const ruleIndex = new Map(report.rules.map((r, i) => [r.id, i]));
  const log: Sarif.Log = {
    version: '2.1.0',
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    runs: [
      {
        tool: {
          driver: {
            name: 'sprawl',
            semanticVersion: report.tool.version,
            version: report.tool.version,
            informationUri: 'https://www.npmjs.com/package/secret-sprawl',
            rules: report.rules.map(sarifRule),
          },
        },
        originalUriBaseIds: { '%SRCROOT%': { description: { text: 'The scanned target.' } } },
        invocations: [
          {
            executionSuccessful: true,
            startTimeUtc: report.scan.startedAt,
            endTimeUtc: report.scan.finishedAt,
            toolExecutionNotifications: report.scan.warnings.slice(0, 100).map((w) => ({ level: 'warning', message: { text: w } })),
          },
        ],
        results: report.findings.map((f) => sarifResult(f, ruleIndex.get(f.ruleId) ?? -1)),
        columnKind: 'utf16CodeUnits',
      },
    ],
  };
  return JSON.stringify(log, null, 2) + '\n';
}

function sarifRule(r: RuleSummary): Sarif.ReportingDescriptor {
  const steps = r.revocation.steps.map((s, i) => `${i + 1}. ${s}`);
  const text = [`${r.name} (${r.provider}).`, `Revoke: ${r.revocation.summary} ${r.revocation.url}`, ...steps].join('\n');
  const markdown = [
    `**${r.name}** (${r.provider})`,
    '',
    `**Revoke and rotate:** ${r.revocation.summary} [${r.revocation.url}](${r.revocation.url})`,
    '',
    ...steps,
    '',
    `Removing the secret from the code does not revoke it. References: ${r.references.map((u) => `<${u}>`).join(', ')}`,
  ].join('\n');
  return {
    id: r.id,
    name: r.id.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : '')).replace(/^./, (c) => c.toUpperCase()),
    shortDescription: { text: `${r.name}.` },
    fullDescription: { text: `A ${r.name} (${r.provider}) was found in the content.` },
    help: { text, markdown },
    helpUri: r.revocation.url,
    defaultConfiguration: { level: LEVEL[r.confidence] },
    properties: { tags: ['security', 'secret', r.provider], precision: r.confidence === 'high' ? 'very-high' : r.confidence, 'security-severity': SECURITY_SEVERITY[r.confidence] },
  };
}

function sarifResult(f: Finding, ruleIndex: number): Sarif.Result {
  const where = f.commit ? ` in commit ${f.commit.slice(0, 12)}` : '';
  return {
    ruleId: f.ruleId,
    ...(ruleIndex >= 0 ? { ruleIndex } : {}),
    level: LEVEL[f.confidence],
    message: { text: `${f.ruleName} found${where}: ${f.secret}. Revoke it at the provider; deleting it from the code does not.` },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: encodeURI(f.path), uriBaseId: '%SRCROOT%' },
          region: { startLine: f.line, startColumn: f.column, endLine: f.endLine, endColumn: Math.max(f.endColumn, f.endLine === f.line ? f.column + 1 : 1) },
        },
      },
    ],
    partialFingerprints: { 'secretId/v1': f.secretId, 'occurrence/v1': f.id },
    properties: {
      secretId: f.secretId,
      confidence: f.confidence,
      source: f.source,
      ...(f.repo ? { repo: f.repo } : {}),
      ...(f.commit ? { commit: f.commit, author: f.author, date: f.date } : {}),
      ...(f.decodedFrom.length ? { decodedFrom: f.decodedFrom } : {}),
      ...(f.ci ? { ci: f.ci } : {}),
      ...(f.variable ? { variable: f.variable } : {}),
    },
  };
}

import { buildLineIndex, type LineIndex } from '../core/lines.js';
import { occurrenceId, secretId } from '../core/identity.js';
import { redact } from '../core/redact.js';
import { assignedVariable } from './workloads.js';
import type { Chunk, Finding, Match, Rule, Secret } from '../core/types.js';

/** A match with its place, before redaction. Holds the raw secret: lives in memory only. */
export interface Occurrence {
  match: Match;
  finding: Finding;
}

/** Options for turning matches into reported records. */
export interface FindingOptions {
  /** Key of the secretId HMAC (see core/identity.ts). */
  idKey: string;
  /** Print raw secrets. Default false. */
  reveal: boolean;
}

/** Longest matched text shown in a finding's `match`; minified lines would otherwise fill the report. */
const MAX_MATCH_TEXT = 240;

/**
 * The matched text with the secret's span replaced by its redacted form, cut to MAX_MATCH_TEXT around it.
 * Redaction works on the span, not by searching for the value: a secret longer than the excerpt would
 * otherwise survive in part. A decoded secret's span is the encoded text: it is redacted whole.
 */
function matchText(data: Buffer, m: Match, reveal: boolean): string {
  const before = data.toString('utf8', Math.max(m.matchStart, m.start - MAX_MATCH_TEXT / 2), m.start);
  const after = data.toString('utf8', m.end, Math.min(m.matchEnd, m.end + MAX_MATCH_TEXT / 2));
  if (reveal) {
    const secret = data.toString('utf8', m.start, Math.min(m.end, m.start + MAX_MATCH_TEXT));
    return before + secret + (m.end - m.start > MAX_MATCH_TEXT ? '…' : '') + after;
  }
  return before + redact(data.toString('utf8', m.start, Math.min(m.end, m.start + 64))) + after;
}

/**
 * The text of a match about a variable (a CI step printing `$TOKEN`): the command, which holds no value of
 * its own, with every value another rule found in it redacted.
 */
function commandText(data: Buffer, m: Match, all: Match[], reveal: boolean): string {
  const end = Math.min(m.matchEnd, m.matchStart + MAX_MATCH_TEXT);
  let text = '';
  let at = m.matchStart;
  for (const v of all) {
    if (v.variable || reveal || v.end <= at || v.start >= end) continue;
    text += data.toString('utf8', at, Math.max(at, v.start)) + redact(data.toString('utf8', v.start, v.end));
    at = v.end;
  }
  return text + data.toString('utf8', Math.min(at, end), end) + (m.matchEnd > end ? '…' : '');
}

/** Keys that hold a command, a step or a setting, never a variable of that name (`run: docker login -p ...`). */
const NOT_VARIABLES = new Set(['run', 'script', 'scripts', 'command', 'commands', 'cmd', 'args', 'entrypoint', 'with', 'env', 'steps', 'uses', 'inline', 'inlineScript', 'before_script', 'after_script', 'url', 'uri', 'image', 'default', 'value', 'name']);

const NAME_ENTRY = /^\s*(?:-\s+)?name:\s*["']?([A-Za-z_][A-Za-z0-9_]*)["']?\s*$/;

/** The variable the match's line assigns. For `- name: DB_PASSWORD` then `value: ...` (Kubernetes `env:`, Azure
 * `variables:`), the name is on the line before. */
function variableOf(match: Match, data: Buffer, lines: LineIndex): { variable?: string } {
  if (match.variable) return { variable: match.variable.name };
  const line = lines.lineText(match.matchStart);
  let name = NAME_ENTRY.exec(line)?.[1] ?? assignedVariable(line);
  if (name === 'value') {
    const lineStart = data.lastIndexOf(10, match.matchStart - 1);
    name = lineStart > 0 ? NAME_ENTRY.exec(lines.lineText(lineStart - 1))?.[1] ?? null : null;
  }
  return name && !NOT_VARIABLES.has(name) ? { variable: name } : {};
}

/**
 * Occurrence id = sha256(rule, source, repo, path, commit, byte span). A match about a variable adds the
 * variable's identity: one `env` dump prints several secrets from the same span.
 */
export function findingId(m: Match, f: Pick<Finding, 'ruleId' | 'source' | 'repo' | 'path' | 'commit'>): string {
  return occurrenceId([f.ruleId, f.source, f.repo, f.path, f.commit, m.start, m.end, ...(m.variable ? [m.secret] : [])]);
}

/** secretId = HMAC(key, value). For a variable a CI step prints, the value is unknown: the id keys the
 * variable's identity (system and name) with the repository, whose secret store holds it. */
function secretIdOf(m: Match, repo: string | undefined, key: string): string {
  return secretId(m.variable ? `${m.secret}\0${repo ?? ''}` : m.secret, key);
}

/** The `secret` field: redacted, raw with --reveal; for a variable, its reference and how it is printed. */
function shown(m: Match, reveal: boolean): string {
  if (m.variable) return `${m.variable.reference} (${m.variable.how})`;
  return reveal ? m.secret : redact(m.secret);
}

/** Matches of one chunk → occurrences with line/column, built once per chunk that has matches. */
export function occurrencesOf(chunk: Chunk, matches: Match[], rules: Map<string, Rule>, options: FindingOptions): Occurrence[] {
  if (matches.length === 0) return [];
  const lines = buildLineIndex(chunk.data);
  const p = chunk.provenance;
  return matches.map((match) => {
    const rule = rules.get(match.ruleId)!;
    const start = lines.position(match.start);
    const end = lines.position(match.end);
    const text = match.variable ? commandText(chunk.data, match, matches, options.reveal) : matchText(chunk.data, match, options.reveal);
    const finding: Finding = {
      id: findingId(match, { ruleId: match.ruleId, source: p.source, repo: p.repo ?? null, path: p.path, commit: p.commit ?? null }),
      secretId: secretIdOf(match, p.repo, options.idKey),
      ruleId: match.ruleId,
      ruleName: rule.name,
      provider: rule.provider,
      confidence: match.confidence,
      source: p.source,
      repo: p.repo ?? null,
      path: p.path,
      line: start.line,
      column: start.column,
      endLine: end.line,
      endColumn: end.column,
      commit: p.commit ?? null,
      author: p.author ?? null,
      date: p.date ?? null,
      secret: shown(match, options.reveal),
      match: text,
      decodedFrom: match.decodedFrom,
      ...(p.blobId ? { blobId: p.blobId } : {}),
      ...variableOf(match, chunk.data, lines),
    };
    return { match, finding };
  });
}

const CONFIDENCE_RANK = { high: 3, medium: 2, low: 1 } as const;

/** Findings in a stable order: working tree first, then history, each by repository, path and position. */
export function byPlace(fa: Finding, fb: Finding): number {
  return (
    (fa.source === 'git' ? 1 : 0) - (fb.source === 'git' ? 1 : 0) ||
    (fa.repo ?? '').localeCompare(fb.repo ?? '') ||
    fa.path.localeCompare(fb.path) ||
    fa.line - fb.line ||
    fa.column - fb.column ||
    (fa.date ?? '').localeCompare(fb.date ?? '')
  );
}

/**
 * How specific a rule's naming of a value is: a provider rule over a generic one, then the higher
 * confidence. A rule the caller does not know (a merge without a shard's own rules) counts as a provider rule.
 */
export function namingRank(ruleId: string, confidence: Finding['confidence'], rules: Map<string, Rule>): number {
  return (rules.get(ruleId)?.generic ? 0 : 10) + CONFIDENCE_RANK[confidence];
}

/**
 * One entry per unique secret value. When several rules matched the same value, the most specific names
 * it: a provider rule over a generic one, then the higher confidence.
 */
export function secretsOf(occurrences: Occurrence[], rules: Map<string, Rule>, options: FindingOptions): Secret[] {
  const groups = new Map<string, Occurrence[]>();
  for (const o of occurrences) {
    const list = groups.get(o.finding.secretId);
    if (list) list.push(o);
    else groups.set(o.finding.secretId, [o]);
  }
  const out: Secret[] = [];
  for (const [id, list] of groups) {
    const best = list.reduce((a, b) => (rank(b, rules) > rank(a, rules) ? b : a));
    const rule = rules.get(best.match.ruleId)!;
    out.push({
      secretId: id,
      ruleId: rule.id,
      provider: rule.provider,
      confidence: best.match.confidence,
      secret: best.match.variable ? best.match.variable.stored : options.reveal ? best.match.secret : redact(best.match.secret),
      occurrences: list.length,
      findingIds: list.map((o) => o.finding.id),
      paths: unique(list.map((o) => o.finding.path)),
      repos: unique(list.map((o) => o.finding.repo).filter((r): r is string => r !== null)),
      firstSeen: null,
      lastSeen: null,
      ageDays: null,
      inWorkingTree: null,
      status: null,
      longLived: null,
      risk: null,
      duplication: null,
      related: [],
      owners: [],
      workloads: [],
      revocation: rule.revocation,
    });
  }
  return out;
}

function rank(o: Occurrence, rules: Map<string, Rule>): number {
  return namingRank(o.match.ruleId, o.match.confidence, rules);
}

/** Distinct values, sorted: a secret's paths and repos. */
export function unique(xs: string[]): string[] {
  return [...new Set(xs)].sort();
}

#!/usr/bin/env node
/**
 * The GitHub Action's entry point (action.yml runs it). Reads the event the runner provides and decides
 * what to scan, runs the scan, and speaks the runner's protocol: annotations on stdout, the Markdown
 * report in $GITHUB_STEP_SUMMARY, outputs in $GITHUB_OUTPUT, and a SARIF file for code scanning.
 * Needs no token and no licence: a pull request from a fork works the same.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, loadBaseline, loadConfig } from '../config.js';
import type { Finding, Report } from '../core/types.js';
import { FORMATS, type FormatName } from '../report/index.js';
import { scan, type ScanOptions } from '../scan.js';

/** What to scan for an event, and why: the run always says which. */
export interface Plan {
  mode: 'full' | 'range';
  range?: string;
  reason: string;
}

const ZERO = /^0+$/;

/**
 * `auto` mode: a pull request scans base..head; a push scans before..after (a new branch, whose `before`
 * is all zeros, scans the commits no remote branch has; a force push scans the new commits from the merge
 * base on); a schedule or a manual run scans the whole history.
 */
export function planFor(eventName: string, payload: Record<string, unknown>, mode: string): Plan {
  if (mode === 'full') return { mode: 'full', reason: 'mode: full' };
  const pr = payload.pull_request as { base?: { sha?: string }; head?: { sha?: string } } | undefined;
  if ((mode === 'auto' || mode === 'diff') && pr?.base?.sha && pr.head?.sha) {
    return { mode: 'range', range: `${pr.base.sha}..${pr.head.sha}`, reason: `${eventName}: the pull request's commits ${pr.base.sha.slice(0, 7)}..${pr.head.sha.slice(0, 7)}` };
  }
  const before = typeof payload.before === 'string' ? payload.before : undefined;
  const after = typeof payload.after === 'string' ? payload.after : undefined;
  if ((mode === 'auto' || mode === 'diff') && eventName === 'push' && after) {
    if (!before || ZERO.test(before)) return { mode: 'range', range: `${'0'.repeat(40)}..${after}`, reason: 'push of a new branch: the commits no remote branch has' };
    const forced = payload.forced === true ? ' (force push: from the common ancestor)' : '';
    return { mode: 'range', range: `${before}..${after}`, reason: `push: ${before.slice(0, 7)}..${after.slice(0, 7)}${forced}` };
  }
  if (mode === 'diff') throw new ConfigError(`mode: diff needs a push or pull_request event, got '${eventName || 'none'}'`);
  return { mode: 'full', reason: `${eventName || 'no event'}: the whole history` };
}

/** `::error file=…,line=…::message`, escaped as the runner expects. Secrets arrive redacted. */
export function annotation(f: Finding): string {
  const level = f.confidence === 'high' ? 'error' : 'warning';
  const prop = (v: string): string => v.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/:/g, '%3A').replace(/,/g, '%2C');
  const msg = `${f.ruleName} (${f.ruleId}): ${f.secret}${f.commit ? ` in ${f.commit.slice(0, 7)}` : ''}. Revoke it; deleting it from the code does not.`;
  return `::${level} file=${prop(f.path)},line=${f.line},col=${f.column},title=${prop(`sprawl: ${f.ruleId}`)}::${msg.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')}`;
}

function input(name: string, fallback = ''): string {
  const v = process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`];
  return v === undefined || v === '' ? fallback : v.trim();
}

const CONFIDENCE = ['low', 'medium', 'high'];

/** `fail-on`: a confidence (`low`, `medium`, `high`), `risk:N`, or `never`. */
export function failing(report: Report, failOn: string): boolean {
  if (failOn === 'never') return false;
  const risk = /^risk:(\d+)$/.exec(failOn);
  if (risk) return report.secrets.some((s) => (s.risk ?? 0) >= Number(risk[1]));
  const at = CONFIDENCE.indexOf(failOn);
  if (at < 0) throw new ConfigError(`fail-on must be low, medium, high, risk:N or never; got '${failOn}'`);
  return report.findings.some((f) => CONFIDENCE.indexOf(f.confidence) >= at);
}

export async function runAction(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const path = resolve(env.GITHUB_WORKSPACE ?? '.', input('path', '.'));
  const eventName = env.GITHUB_EVENT_NAME ?? '';
  const payload = env.GITHUB_EVENT_PATH ? (JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8')) as Record<string, unknown>) : {};
  const plan = planFor(eventName, payload, input('mode', 'auto'));
  const failOnNew = input('fail-on-new', 'false') === 'true';
  if (failOnNew && !input('inventory')) {
    throw new ConfigError('fail-on-new needs an inventory: it fails only on secrets the inventory has not seen before');
  }
  process.stdout.write(`sprawl: scanning ${path}: ${plan.reason}\n`);
  const options: ScanOptions = { targets: [path], ...(plan.range ? { range: plan.range } : {}) };
  if (input('config')) options.config = loadConfig(resolve(path, input('config')));
  if (input('baseline')) options.baseline = loadBaseline(resolve(path, input('baseline')));
  const report = await scan(options);
  for (const w of report.scan.warnings) process.stdout.write(`::warning::${w.replace(/\n/g, ' ')}\n`);
  for (const f of report.findings) process.stdout.write(annotation(f) + '\n');

  const sarifPath = resolve(env.GITHUB_WORKSPACE ?? '.', input('sarif-file', 'sprawl.sarif'));
  writeFileSync(sarifPath, FORMATS.sarif(report, { color: false }));
  const format = input('format', 'text') as FormatName;
  if (!(format in FORMATS)) throw new ConfigError(`format must be one of ${Object.keys(FORMATS).join(', ')}`);
  process.stdout.write(FORMATS[format](report, { color: false }));
  if (input('report', 'true') !== 'false' && env.GITHUB_STEP_SUMMARY) {
    appendFileSync(env.GITHUB_STEP_SUMMARY, `> sprawl scanned ${plan.reason}.\n\n` + FORMATS.markdown(report, { color: false }) + '\n');
  }
  const failOn = input('fail-on', 'medium');
  let outputs = `findings=${report.findings.length}\nsecrets=${report.secrets.length}\nsarif=${sarifPath}\n`;
  let fresh = 0;
  if (input('inventory')) {
    // Loaded only here: the SQLite addon is no cost to runs without an inventory.
    const { recordInventory } = await import('../cli/inventory-command.js');
    const { counts } = await recordInventory(resolve(env.GITHUB_WORKSPACE ?? '.', input('inventory')), report, options);
    fresh = counts.new + counts.reopened;
    outputs += `new=${counts.new}\nreopened=${counts.reopened}\nresolved=${counts.resolved}\n`;
  }
  if (env.GITHUB_OUTPUT) appendFileSync(env.GITHUB_OUTPUT, outputs);
  // A leak the inventory already tracks is being handled: with fail-on-new, only new or reopened ones fail.
  if (failOnNew) return fresh > 0 && failing(report, failOn) ? 1 : 0;
  return failing(report, failOn) ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  runAction().then(
    (code) => {
      process.exitCode = code;
    },
    (e: Error) => {
      process.stdout.write(`::error::sprawl: ${e.message.replace(/\n/g, ' ')}\n`);
      process.exitCode = 2;
    },
  );
}

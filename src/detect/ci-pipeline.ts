import type { CiPipeline, CiVariable } from '../ci/model.js';
import type { Match, Rule } from '../core/types.js';
import type { RuleSet } from '../rules/compile.js';
import { printedSecrets } from './ci-echo.js';
import { isSecretName, literalReason } from './ci-secrets.js';

/**
 * The structural detectors behind the pipeline rules (rules/ci-pipeline.yaml). A rule names its detector
 * (`detector: ci-variables`); the rule's id, name and revocation advice live in YAML like every other rule.
 *
 * - `ci-variables`: a secret literal in a pipeline's variable block (`env:`, `variables:`,
 *   `environment {}`, `env.global`, `export NAME=...` in a script) instead of a reference to the CI secret
 *   store. A value a provider rule already names keeps that rule (one finding per place, named by the most
 *   specific rule, as everywhere in sprawl) and is marked `ciBlock`; a value only a generic keyword rule
 *   caught is reported under the pipeline rule instead, which says more about it; a value no rule caught is
 *   reported when its variable's name is secret-bearing and the value passes the literal checks.
 * - `ci-echo`: a step that prints a secret-bearing variable to the log (see ci-echo.ts). Its finding holds
 *   no value: `variable` says which, and the secret identity is the variable.
 */
export const DETECTORS = ['ci-variables', 'ci-echo'] as const;

export function pipelineMatches(data: Buffer, text: string, ci: CiPipeline, matches: Match[], ruleSet: RuleSet): Match[] {
  const byDetector = (d: string): Rule | undefined => ruleSet.structural.find((r) => r.detector === d);
  const variables = byDetector('ci-variables');
  const echo = byDetector('ci-echo');
  const toByte = byteOffsets(data, text);
  const out = [...matches];
  for (const v of allVariables(ci)) {
    if (v.value === null || v.start < 0) continue;
    const start = toByte(v.start);
    const end = toByte(v.end);
    const inside = out.filter((m) => m.start < end && start < m.end && !m.variable);
    for (const m of inside) {
      const generic = ruleSet.byId.get(m.ruleId)?.generic === true;
      out[out.indexOf(m)] = { ...m, ciBlock: v.block, ...(variables && generic ? { ruleId: variables.id } : {}) };
    }
    if (variables && inside.length === 0 && isSecretName(v.name) && literalReason(v.value) === null) {
      out.push({ ruleId: variables.id, secret: v.value, start, end, matchStart: lineStart(data, start), matchEnd: end, confidence: variables.confidence, decodedFrom: [], ciBlock: v.block });
    }
  }
  if (echo) {
    for (const p of printedSecrets(text, ci)) {
      out.push({
        ruleId: echo.id,
        secret: p.identity,
        start: toByte(p.start),
        end: toByte(p.end),
        matchStart: toByte(p.commandStart),
        matchEnd: toByte(p.commandEnd),
        confidence: p.confidence,
        decodedFrom: [],
        variable: { reference: p.reference, stored: p.stored, how: p.how, ...(p.name ? { name: p.name } : {}) },
      });
    }
  }
  return out.sort((a, b) => a.start - b.start || a.end - b.end);
}

/** Every variable of the pipeline once: a stage's variables are copied into each of its jobs, and a
 * step reached through a YAML alias appears once per use. */
function allVariables(ci: CiPipeline): CiVariable[] {
  const seen = new Map<string, CiVariable>();
  const all = [...ci.variables, ...ci.jobs.flatMap((j) => [...j.variables, ...j.steps.flatMap((s) => s.variables)])];
  for (const v of all) if (!seen.has(`${v.start}:${v.name}`)) seen.set(`${v.start}:${v.name}`, v);
  return [...seen.values()];
}

/** UTF-16 offsets of the parsed text → byte offsets of the data. The same for ASCII files. */
function byteOffsets(data: Buffer, text: string): (offset: number) => number {
  if (data.length === text.length) return (o) => o;
  return (o) => Buffer.byteLength(text.slice(0, o), 'utf8');
}

function lineStart(data: Buffer, at: number): number {
  if (at === 0) return 0;
  const nl = data.lastIndexOf(10, at - 1);
  return nl === -1 ? 0 : nl + 1;
}

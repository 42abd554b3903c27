import { checkRules } from '../rules/check.js';
import { BUILTIN_RULES_DIR, loadRules } from '../rules/load.js';
import type { RuleProblem } from '../rules/schema.js';

function formatProblem(p: RuleProblem): string {
  return `${p.file}: ${p.ruleId}: ${p.message}`;
}

/** `sprawl rules check`: loads, compiles and runs every rule's examples. Exit 0 when clean, 2 otherwise. */
export function rulesCheck(dirs: string[] | undefined, out: NodeJS.WritableStream, err: NodeJS.WritableStream): number {
  const { rules, problems } = loadRules(dirs && dirs.length > 0 ? dirs : [BUILTIN_RULES_DIR]);
  const all = [...problems, ...checkRules(rules)];
  for (const p of all) err.write(formatProblem(p) + '\n');
  const examples = rules.reduce((n, r) => n + r.examples.length + r.negativeExamples.length, 0);
  out.write(`${rules.length} rules, ${examples} examples checked, ${all.length} problem(s)\n`);
  return all.length === 0 ? 0 : 2;
}

/** `sprawl rules list`: one line per rule, or JSON. */
export function rulesList(dirs: string[] | undefined, json: boolean, out: NodeJS.WritableStream): number {
  const { rules } = loadRules(dirs && dirs.length > 0 ? dirs : [BUILTIN_RULES_DIR]);
  if (json) {
    out.write(JSON.stringify(rules.map((r) => ({ id: r.id, name: r.name, provider: r.provider, confidence: r.confidence })), null, 2) + '\n');
  } else {
    for (const r of rules) out.write(`${r.id.padEnd(40)} ${r.confidence.padEnd(6)} ${r.name}\n`);
  }
  return 0;
}

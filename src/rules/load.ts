import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { Rule } from '../core/types.js';
import { parseRule, type RuleProblem } from './schema.js';

/** The rules shipped with sprawl: `rules/` at the package root. */
export const BUILTIN_RULES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../rules');

export interface LoadedRules {
  rules: Rule[];
  problems: RuleProblem[];
}

/** Loads every `*.yaml`/`*.yml` file in the given folders. Each file holds `rules: [...]`. */
export function loadRules(dirs: string[]): LoadedRules {
  const rules: Rule[] = [];
  const problems: RuleProblem[] = [];
  const seen = new Map<string, string>();
  for (const dir of dirs) {
    let files: string[];
    try {
      files = statSync(dir).isDirectory()
        ? readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => join(dir, f))
        : [dir];
    } catch (e) {
      problems.push({ file: dir, ruleId: '?', message: `cannot read rules: ${(e as Error).message}` });
      continue;
    }
    for (const file of files) {
      for (const raw of readRuleFile(file, problems)) {
        const { rule, problems: p } = parseRule(raw, file);
        problems.push(...p);
        if (!rule) continue;
        const prev = seen.get(rule.id);
        if (prev) {
          problems.push({ file, ruleId: rule.id, message: `duplicate id: also defined in ${prev}` });
          continue;
        }
        seen.set(rule.id, file);
        rules.push(rule);
      }
    }
  }
  return { rules, problems };
}

function readRuleFile(file: string, problems: RuleProblem[]): unknown[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    problems.push({ file, ruleId: '?', message: `cannot read: ${(e as Error).message}` });
    return [];
  }
  const docs = parseAllDocuments(text);
  const out: unknown[] = [];
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    if (doc.errors.length > 0) {
      problems.push({ file, ruleId: '?', message: `invalid YAML: ${doc.errors[0]!.message}` });
      continue;
    }
    const value = doc.toJS() as { rules?: unknown } | null;
    if (!value) continue;
    if (!Array.isArray(value.rules)) {
      problems.push({ file, ruleId: '?', message: `expected a top-level 'rules:' list` });
      continue;
    }
    out.push(...value.rules);
  }
  return out;
}

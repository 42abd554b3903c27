import type { Match } from '../../src/core/types.js';
import { detect, type DetectOptions } from '../../src/detect/engine.js';
import { compileRuleSet, type RuleSet } from '../../src/rules/compile.js';
import { BUILTIN_RULES_DIR, loadRules } from '../../src/rules/load.js';

let cached: RuleSet | undefined;

/** The built-in rule set, compiled once per test file. */
export function builtinRuleSet(): RuleSet {
  if (!cached) {
    const { rules, problems } = loadRules([BUILTIN_RULES_DIR]);
    if (problems.length > 0) throw new Error(problems.map((p) => `${p.file}: ${p.ruleId}: ${p.message}`).join('\n'));
    cached = compileRuleSet(rules).ruleSet;
  }
  return cached;
}

export function detectText(text: string, options: DetectOptions = {}, ruleSet: RuleSet = builtinRuleSet()): Match[] {
  return detect(Buffer.from(text, 'utf8'), ruleSet, options);
}

import type { Match, Rule } from '../core/types.js';
import { ciSystemOf } from '../core/paths.js';
import { detect } from '../detect/engine.js';
import { buildRuleSet, compileRule } from './compile.js';
import type { RuleProblem } from './schema.js';

/**
 * Runs every rule against its own examples through the real engine (prefilter, windows, post-filters),
 * so an example passes only if a user's scan would report it. Collects every failure rather than stopping
 * at the first: a rule author fixes them all in one go.
 */
export function checkRules(rules: Rule[]): RuleProblem[] {
  const problems: RuleProblem[] = [];
  for (const rule of rules) {
    const fail = (message: string): void => {
      problems.push({ file: rule.file, ruleId: rule.id, message });
    };
    if (rule.detector) {
      checkStructural(rule, fail);
      continue;
    }
    const { compiled, problem } = compileRule(rule);
    if (!compiled) {
      problems.push(problem!);
      continue;
    }
    const single = buildRuleSet([compiled]);
    rule.examples.forEach((ex, i) => {
      const reasons: string[] = [];
      const matches = detect(Buffer.from(ex.input, 'utf8'), single, {
        maxDecodeDepth: 0,
        inlineAllow: false,
        onReject: (_id, reason) => reasons.push(reason),
      });
      const hit = matches.find((m) => m.secret === ex.secret);
      if (!hit) {
        const got = matches.map((m) => JSON.stringify(m.secret)).join(', ') || 'no match';
        const why = reasons.length > 0 ? `; dropped because: ${reasons.join('; ')}` : '';
        fail(`example ${i + 1} should yield secret ${JSON.stringify(ex.secret)}, got ${got}${why}`);
      } else if (rule.checksum && hit.confidence === 'low' && rule.confidence !== 'low' && ex.confidence !== 'low') {
        fail(`example ${i + 1} fails its '${rule.checksum}' checksum: generate it with a valid one`);
      } else if (ex.confidence && hit.confidence !== ex.confidence) {
        fail(`example ${i + 1} should be reported with ${ex.confidence} confidence, got ${hit.confidence}`);
      }
    });
    rule.negativeExamples.forEach(({ input }, i) => {
      const matches = detect(Buffer.from(input, 'utf8'), single, { maxDecodeDepth: 0, inlineAllow: false });
      if (matches.length > 0) fail(`negative example ${i + 1} should not match, but yielded ${matches.length} match(es)`);
    });
  }
  return problems;
}

/** What a structural rule's match shows as its secret: the value, or the variable a step prints. */
export function shownSecret(m: Match): string {
  return m.variable ? m.variable.reference : m.secret;
}

/** A structural rule's examples are whole CI files, scanned at their path with only that rule enabled. */
function checkStructural(rule: Rule, fail: (message: string) => void): void {
  const single = buildRuleSet([], [rule]);
  const run = (input: string, path: string | undefined, what: string): Match[] | null => {
    if (!path || !ciSystemOf(path)) {
      fail(`${what}: path ${JSON.stringify(path ?? '')} is not a CI configuration sprawl recognises`);
      return null;
    }
    return detect(Buffer.from(input, 'utf8'), single, { path, maxDecodeDepth: 0, inlineAllow: false }).filter((m) => m.ruleId === rule.id);
  };
  rule.examples.forEach((ex, i) => {
    const matches = run(ex.input, ex.path, `example ${i + 1}`);
    if (matches && !matches.some((m) => shownSecret(m) === ex.secret)) {
      fail(`example ${i + 1} should yield ${JSON.stringify(ex.secret)}, got ${matches.map((m) => JSON.stringify(shownSecret(m))).join(', ') || 'no match'}`);
    }
  });
  rule.negativeExamples.forEach((ex, i) => {
    const matches = run(ex.input, ex.path, `negative example ${i + 1}`);
    if (matches && matches.length > 0) fail(`negative example ${i + 1} should not match, but yielded ${matches.map((m) => JSON.stringify(shownSecret(m))).join(', ')}`);
  });
}

import { describe, expect, it } from 'vitest';
import { checkRules, shownSecret } from '../src/rules/check.js';
import { compileRule } from '../src/rules/compile.js';
import { BUILTIN_RULES_DIR, loadRules } from '../src/rules/load.js';
import { parseRule } from '../src/rules/schema.js';
import { builtinRuleSet, detectText } from './helpers/engine.js';

const { rules, problems } = loadRules([BUILTIN_RULES_DIR]);
const format = (ps: Array<{ file: string; ruleId: string; message: string }>): string[] =>
  ps.map((p) => `${p.file.replace(BUILTIN_RULES_DIR + '/', '')}: ${p.ruleId}: ${p.message}`);

describe('built-in rules', () => {
  it('load without schema problems', () => {
    expect(format(problems)).toEqual([]);
  });

  it('compile with RE2 and pass every example and negative example (all failures listed at once)', () => {
    expect(format(checkRules(rules))).toEqual([]);
  });

  it('cover at least 150 credential types, each with revocation data and a reference', () => {
    expect(rules.length).toBeGreaterThanOrEqual(150);
    for (const r of rules) {
      expect(r.revocation.url, r.id).toMatch(/^https?:\/\//);
      expect(r.references.length, r.id).toBeGreaterThan(0);
    }
  });

  it('still report every example when all rules run together (no rule hides another)', () => {
    const failures: string[] = [];
    for (const r of rules) {
      r.examples.forEach((ex, i) => {
        // Found by this rule, or by another provider rule at an overlapping place (a more specific rule,
        // such as a service-account key holding a PEM block, may name it instead).
        // Structural rules' examples are whole CI files, scanned at their path.
        const matches = detectText(ex.input, { maxDecodeDepth: 0, inlineAllow: false, ...(ex.path ? { path: ex.path } : {}) });
        const found = matches.some((m) => shownSecret(m) === ex.secret || (!m.ruleId.startsWith('generic.') && (m.secret.includes(ex.secret) || ex.secret.includes(m.secret))));
        if (!found) failures.push(`${r.id} example ${i + 1}`);
      });
    }
    expect(failures).toEqual([]);
  });

  it('keep the prefilter to literal keywords', () => {
    const rs = builtinRuleSet();
    expect(rs.keywords.length).toBeGreaterThan(20);
    for (const k of rs.keywords) expect(k.length, k).toBeGreaterThanOrEqual(3);
  });
});

describe('rule validation', () => {
  const base = {
    id: 'acme.api-key', name: 'Acme key', provider: 'acme', pattern: 'acme_[a-z0-9]{32}', keywords: ['acme_'],
    confidence: 'high', examples: [{ input: 'k=acme_0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d', secret: 'acme_0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d' }],
    negativeExamples: [], references: ['https://acme.test/docs'],
    revocation: { summary: 'Delete it.', url: 'https://acme.test/keys', steps: ['Delete the key.'] },
  };

  it('refuses lookaround with an error naming the rule and the file', () => {
    const { rule } = parseRule({ ...base, pattern: 'acme_(?=[a-z])[a-z0-9]{32}' }, 'rules/acme.yaml');
    const { problem } = compileRule(rule!);
    expect(problem?.ruleId).toBe('acme.api-key');
    expect(problem?.file).toBe('rules/acme.yaml');
    expect(problem?.message).toMatch(/does not compile.*lookaround/);
  });

  it('refuses backreferences', () => {
    const { rule } = parseRule({ ...base, pattern: '(acme_)[a-z]+\\1' }, 'rules/acme.yaml');
    expect(compileRule(rule!).problem?.message).toMatch(/does not compile/);
  });

  it('lints ids, keywords, references and revocation', () => {
    const { problems: p } = parseRule({ ...base, id: 'Acme Key', keywords: ['ab'], references: [], revocation: undefined }, 'f.yaml');
    const messages = p.map((x) => x.message).join('\n');
    expect(messages).toMatch(/namespaced/);
    expect(messages).toMatch(/shorter than 3/);
    expect(messages).toMatch(/references/);
    expect(messages).toMatch(/revocation/);
  });

  it('reports an example that does not match, with the reason it was dropped', () => {
    const { rule } = parseRule({ ...base, examples: [{ input: 'k=acme_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', secret: 'acme_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' }] }, 'f.yaml');
    const out = checkRules([rule!]);
    expect(out).toHaveLength(1);
    expect(out[0]!.message).toMatch(/placeholder/);
  });
});

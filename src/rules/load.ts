import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type { Rule } from '../core/types.js';
import { parseRule, type RuleProblem } from './schema.js';

/** The rules shipped with sprawl: `rules/` at the package root. */
// yaml is loaded on first use: a scan that reads the rules bundle never needs it, and loading it costs
// ~90 ms of a pre-commit hook's budget.
const requireLazy = createRequire(import.meta.url);
const yaml = (): typeof import('yaml') => requireLazy('yaml') as typeof import('yaml');

export const BUILTIN_RULES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../rules');

/**
 * The built-in rules, parsed and validated at build time (`npm run build` writes it). Parsing YAML costs
 * ~200 ms at start-up, too much for a pre-commit hook; the bundle is used only while it is newer than
 * every YAML file in rules/, so an edited rule is never shadowed by a stale bundle.
 *
 * What detection needs (ids, patterns, keywords) is in the bundle; the rest, three quarters of the bytes
 * (examples, references, revocation playbooks), is in a details file read the first time a rule's
 * details are asked for: a scan that finds nothing never reads it (~5 ms of a hook's budget).
 */
export const BUILTIN_BUNDLE = resolve(dirname(fileURLToPath(import.meta.url)), '../rules.bundle.json');
const BUILTIN_DETAILS = resolve(dirname(fileURLToPath(import.meta.url)), '../rules.details.json');

const DETAIL_KEYS = ['examples', 'negativeExamples', 'references', 'revocation'] as const;
type RuleDetails = Pick<Rule, (typeof DETAIL_KEYS)[number]>;

interface Bundle {
  files: string[];
  builtAt: number;
  rules: Array<Omit<Rule, keyof RuleDetails>>;
}

interface DetailsFile {
  builtAt: number;
  rules: Record<string, RuleDetails>;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => join(dir, f));
}

/** Writes the bundle of the built-in rules; refuses to when any rule has a problem. */
export function writeBuiltinBundle(): LoadedRules {
  const loaded = loadRules([BUILTIN_RULES_DIR], { bundle: false });
  if (loaded.problems.length === 0) {
    const builtAt = Date.now();
    const details: DetailsFile = { builtAt, rules: {} };
    const rules = loaded.rules.map((r) => {
      const { examples, negativeExamples, references, revocation, ...detection } = r;
      details.rules[r.id] = { examples, negativeExamples, references, revocation };
      return detection;
    });
    const bundle: Bundle = { files: yamlFiles(BUILTIN_RULES_DIR).map((f) => f.slice(BUILTIN_RULES_DIR.length + 1)), builtAt, rules };
    writeFileSync(BUILTIN_DETAILS, JSON.stringify(details));
    writeFileSync(BUILTIN_BUNDLE, JSON.stringify(bundle));
  }
  return loaded;
}

function readBundle(): Rule[] | null {
  if (!existsSync(BUILTIN_BUNDLE)) return null;
  try {
    const bundle = JSON.parse(readFileSync(BUILTIN_BUNDLE, 'utf8')) as Bundle;
    const files = yamlFiles(BUILTIN_RULES_DIR);
    if (files.length !== bundle.files.length) return null;
    for (const f of files) {
      if (!bundle.files.includes(f.slice(BUILTIN_RULES_DIR.length + 1)) || statSync(f).mtimeMs > bundle.builtAt) return null;
    }
    // The details are getters on one shared prototype (a getter per rule cost ~3 ms): spreading or
    // cloning a rule (to a worker) leaves them behind, which detection never misses.
    const details = lazyDetails(bundle.builtAt);
    const withDetails = {};
    for (const key of DETAIL_KEYS) {
      Object.defineProperty(withDetails, key, {
        get(this: Rule) {
          return details(this.id)[key];
        },
      });
    }
    return bundle.rules.map((r) => {
      r.file = BUILTIN_RULES_DIR + sep + r.file.slice(r.file.lastIndexOf('/') + 1);
      return Object.setPrototypeOf(r, withDetails) as Rule;
    });
  } catch {
    return null;
  }
}

/**
 * A rule id → its details, read on first use. Should the details file be missing or from another build,
 * they come from the YAML files instead: slower, never wrong.
 */
function lazyDetails(builtAt: number): (id: string) => RuleDetails {
  let byId: Record<string, RuleDetails> | null = null;
  return (id) => {
    if (!byId) {
      let file: DetailsFile | null = null;
      try {
        file = JSON.parse(readFileSync(BUILTIN_DETAILS, 'utf8')) as DetailsFile;
      } catch {
        file = null;
      }
      byId = file && file.builtAt === builtAt ? file.rules : Object.fromEntries(loadRules([BUILTIN_RULES_DIR], { bundle: false }).rules.map((r) => [r.id, r]));
    }
    const found = byId[id];
    if (!found) throw new Error(`rule ${id}: no details in ${BUILTIN_DETAILS} or ${BUILTIN_RULES_DIR}`);
    return found;
  };
}

export interface LoadedRules {
  rules: Rule[];
  problems: RuleProblem[];
}

/** Loads every `*.yaml`/`*.yml` file in the given folders. Each file holds `rules: [...]`. */
export function loadRules(dirs: string[], options: { bundle?: boolean } = {}): LoadedRules {
  const rules: Rule[] = [];
  const problems: RuleProblem[] = [];
  const seen = new Map<string, string>();
  for (const dir of dirs) {
    if (dir === BUILTIN_RULES_DIR && options.bundle !== false) {
      const bundled = readBundle();
      if (bundled) {
        for (const r of bundled) seen.set(r.id, r.file);
        rules.push(...bundled);
        continue;
      }
    }
    let files: string[];
    try {
      files = statSync(dir).isDirectory() ? yamlFiles(dir) : [dir];
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
  const docs = yaml().parseAllDocuments(text);
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

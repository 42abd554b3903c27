import type { Confidence, Criticality, NegativeExample, Rule, RuleExample } from '../core/types.js';
import { DETECTORS } from '../detect/ci-pipeline.js';

/** Ids are lowercase, namespaced by provider: `provider.name`, with `-` or `_` inside parts. */
export const RULE_ID = /^[a-z0-9]+(?:[-_][a-z0-9]+)*(?:\.[a-z0-9]+(?:[-_][a-z0-9]+)*)+$/;

const CONFIDENCES: Confidence[] = ['high', 'medium', 'low'];
const CRITICALITIES: Criticality[] = ['critical', 'high', 'medium', 'low'];
const DEFAULT_MAX_LENGTH = 512;

/** A problem with one rule, always naming the rule and the file. */
export interface RuleProblem {
  file: string;
  ruleId: string;
  message: string;
}

type Raw = Record<string, unknown>;

function str(raw: Raw, key: string, problems: string[], required = true): string {
  const v = raw[key];
  if (typeof v === 'string' && v.length > 0) return v;
  if (required) problems.push(`'${key}' must be a non-empty string`);
  return '';
}

function strList(raw: Raw, key: string, problems: string[], required = true): string[] {
  const v = raw[key];
  if (v === undefined && !required) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
    problems.push(`'${key}' must be a list of strings`);
    return [];
  }
  return v as string[];
}

function examples(raw: Raw, problems: string[]): RuleExample[] {
  const v = raw.examples;
  if (!Array.isArray(v) || v.length === 0) {
    problems.push(`'examples' must be a non-empty list of {input, secret}`);
    return [];
  }
  const out: RuleExample[] = [];
  for (const e of v) {
    if (e && typeof e === 'object' && typeof (e as Raw).input === 'string' && typeof (e as Raw).secret === 'string') {
      const path = (e as Raw).path;
      const confidence = (e as Raw).confidence;
      if (confidence !== undefined && !CONFIDENCES.includes(confidence as Confidence)) problems.push(`an example's confidence must be one of ${CONFIDENCES.join(', ')}`);
      out.push({
        input: (e as Raw).input as string,
        secret: (e as Raw).secret as string,
        ...(typeof path === 'string' ? { path } : {}),
        ...(typeof confidence === 'string' ? { confidence: confidence as Confidence } : {}),
      });
    } else {
      problems.push(`each example must be {input: string, secret: string}`);
    }
  }
  return out;
}

/** Negative examples: strings, or `{input, path}` for a structural rule. */
function negatives(raw: Raw, problems: string[]): NegativeExample[] {
  const v = raw.negativeExamples;
  if (!Array.isArray(v)) {
    problems.push(`'negativeExamples' must be a list`);
    return [];
  }
  const out: NegativeExample[] = [];
  for (const e of v) {
    if (typeof e === 'string') out.push({ input: e });
    else if (e && typeof e === 'object' && typeof (e as Raw).input === 'string' && typeof (e as Raw).path === 'string') out.push({ input: (e as Raw).input as string, path: (e as Raw).path as string });
    else problems.push(`each negative example must be a string or {input: string, path: string}`);
  }
  return out;
}

/** A structural rule has a detector in place of a pattern, and every example says where it is scanned. */
function structural(r: Raw, problems: string[]): string | undefined {
  const d = r.detector;
  if (d === undefined) return undefined;
  if (typeof d !== 'string' || !(DETECTORS as readonly string[]).includes(d)) {
    problems.push(`detector must be one of ${DETECTORS.join(', ')}`);
    return undefined;
  }
  for (const k of ['pattern', 'keywords', 'secretGroup', 'secretPattern', 'publicAfter', 'maxLength', 'requires', 'checksum']) {
    if (r[k] !== undefined) problems.push(`'${k}' has no meaning for a rule with a detector`);
  }
  const all = [...(Array.isArray(r.examples) ? r.examples : []), ...(Array.isArray(r.negativeExamples) ? r.negativeExamples : [])];
  if (all.some((e) => !e || typeof e !== 'object' || typeof (e as Raw).path !== 'string')) {
    problems.push(`every example and negative example of a rule with a detector needs a 'path' (the CI system is recognised by it)`);
  }
  return d;
}

/**
 * Validates one raw rule object from YAML and returns the typed rule, or the list of problems.
 * Compiling the pattern is the compiler's job (rules/compile.ts); this checks shape only.
 */
export function parseRule(raw: unknown, file: string): { rule?: Rule; problems: RuleProblem[] } {
  const problems: string[] = [];
  if (!raw || typeof raw !== 'object') {
    return { problems: [{ file, ruleId: '?', message: 'a rule must be a mapping' }] };
  }
  const r = raw as Raw;
  const id = str(r, 'id', problems);
  if (id && !RULE_ID.test(id)) problems.push(`id '${id}' must be lowercase and namespaced, like 'github.pat-classic'`);
  const provider = str(r, 'provider', problems);
  if (id && provider && !id.startsWith(provider + '.')) problems.push(`id must start with its provider '${provider}.'`);
  const confidence = str(r, 'confidence', problems) as Confidence;
  if (confidence && !CONFIDENCES.includes(confidence)) problems.push(`confidence must be one of ${CONFIDENCES.join(', ')}`);
  const criticality = (str(r, 'criticality', problems, false) || 'medium') as Criticality;
  if (!CRITICALITIES.includes(criticality)) problems.push(`criticality must be one of ${CRITICALITIES.join(', ')}`);
  const secretGroup = r.secretGroup ?? 0;
  if (typeof secretGroup !== 'number' && typeof secretGroup !== 'string') problems.push(`'secretGroup' must be a number or a group name`);
  if (r.secretPattern !== undefined && (typeof r.secretPattern !== 'string' || r.secretPattern === '')) problems.push(`'secretPattern' must be a non-empty string`);
  const minEntropy = r.minEntropy ?? 0;
  if (typeof minEntropy !== 'number' || minEntropy < 0 || minEntropy > 8) problems.push(`'minEntropy' must be a number from 0 to 8`);
  const maxLength = r.maxLength ?? DEFAULT_MAX_LENGTH;
  if (typeof maxLength !== 'number' || maxLength < 8 || maxLength > 65536) problems.push(`'maxLength' must be a number from 8 to 65536`);
  const detector = structural(r, problems);
  const keywords = detector ? [] : strList(r, 'keywords', problems);
  if (!detector && keywords.length === 0) problems.push(`'keywords' must list at least one literal that occurs in every match`);
  for (const k of keywords) if (k.length < 3) problems.push(`keyword '${k}' is shorter than 3 characters: too common to prefilter on`);
  const references = strList(r, 'references', problems);
  if (references.length === 0) problems.push(`'references' must cite where the token format is documented`);
  const rev = r.revocation as Raw | undefined;
  const revProblems: string[] = [];
  const revocation = {
    summary: rev ? str(rev, 'summary', revProblems) : '',
    url: rev ? str(rev, 'url', revProblems) : '',
    steps: rev ? strList(rev, 'steps', revProblems) : [],
  };
  if (!rev) problems.push(`'revocation' {summary, url, steps} is required`);
  else {
    problems.push(...revProblems.map((p) => `revocation: ${p}`));
    if (revocation.steps.length === 0) problems.push(`revocation.steps must list at least one step`);
  }
  const rule: Rule = {
    id,
    name: str(r, 'name', problems),
    provider,
    pattern: detector ? '' : str(r, 'pattern', problems),
    ...(detector ? { detector } : {}),
    secretGroup: secretGroup as number | string,
    ...(typeof r.secretPattern === 'string' ? { secretPattern: r.secretPattern } : {}),
    ...(r.publicAfter !== undefined ? { publicAfter: strList(r, 'publicAfter', problems) } : {}),
    keywords,
    minEntropy: minEntropy as number,
    confidence,
    criticality,
    checksum: typeof r.checksum === 'string' ? r.checksum : undefined,
    generic: r.generic === true,
    maxLength: maxLength as number,
    requires: strList(r, 'requires', problems, false),
    examples: examples(r, problems),
    negativeExamples: negatives(r, problems),
    references,
    revocation,
    file,
  };
  const known = new Set([
    'id', 'name', 'provider', 'pattern', 'secretGroup', 'secretPattern', 'publicAfter', 'keywords', 'minEntropy', 'confidence', 'criticality',
    'checksum', 'generic', 'maxLength', 'requires', 'examples', 'negativeExamples', 'references', 'revocation', 'detector',
  ]);
  for (const k of Object.keys(r)) if (!known.has(k)) problems.push(`unknown field '${k}'`);
  if (problems.length > 0) return { problems: problems.map((message) => ({ file, ruleId: id || '?', message })) };
  return { rule, problems: [] };
}

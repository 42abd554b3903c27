import type { CiSystem } from '../core/paths.js';
import { parseAzure } from './azure.js';
import { parseBitbucket } from './bitbucket.js';
import { parseCircleci } from './circleci.js';
import { parseGithub } from './github.js';
import { parseGitlab } from './gitlab.js';
import { parseJenkins } from './jenkins.js';
import { lineCounter, type CiPipeline, type CiVariable } from './model.js';
import { parseTravis } from './travis.js';
import { yaml, yamlCtx, type YamlCtx } from './yaml-nodes.js';

const YAML_PARSERS: Record<Exclude<CiSystem, 'jenkins'>, (y: YamlCtx, root: unknown) => CiPipeline> = {
  'github-actions': parseGithub,
  'gitlab-ci': parseGitlab,
  circleci: parseCircleci,
  'azure-pipelines': parseAzure,
  'bitbucket-pipelines': parseBitbucket,
  travis: parseTravis,
};

/** The parsed pipeline, or why the file could not be parsed (invalid YAML): its bytes are still scanned as text. */
export type CiParse = { pipeline: CiPipeline; error?: undefined } | { pipeline: null; error: string };

/**
 * A CI configuration file → its pipeline model, with a real YAML parser (best-effort block syntax for a
 * Jenkinsfile). Files of several YAML documents (GitLab's `spec:` header, then the pipeline) give one
 * model holding every document's jobs.
 */
export function parseCiConfig(system: CiSystem, text: string): CiParse {
  if (system === 'jenkins') return { pipeline: withExports(parseJenkins(text), text) };
  const docs = yaml().parseAllDocuments(text, { uniqueKeys: false, logLevel: 'error' });
  const list = Array.isArray(docs) ? docs : [docs];
  const broken = list.find((d) => d.errors.length > 0);
  if (broken) return { pipeline: null, error: broken.errors[0]!.message.split('\n')[0]! };
  const line = lineCounter(text);
  const out: CiPipeline = { system, variables: [], globalBlocks: [], jobs: [], includes: [] };
  for (const doc of list) {
    if (!doc.contents) continue;
    const one = YAML_PARSERS[system](yamlCtx(doc, text, line), doc.contents);
    out.variables.push(...one.variables);
    out.globalBlocks.push(...one.globalBlocks);
    out.jobs.push(...one.jobs);
    out.includes.push(...one.includes);
  }
  return { pipeline: withExports(out, text) };
}

/**
 * `export NAME=value` in a step's script sets a variable for the rest of the step just as an `env:` block
 * does (and is the only way to in Bitbucket Pipelines): each becomes a variable of the step, block `export`.
 */
function withExports(ci: CiPipeline, text: string): CiPipeline {
  for (const job of ci.jobs) {
    for (const step of job.steps) {
      for (const r of step.scripts) step.variables.push(...exportsIn(text, r.start, r.end));
    }
  }
  return ci;
}

function exportsIn(text: string, start: number, end: number): CiVariable[] {
  const out: CiVariable[] = [];
  const src = text.slice(start, end);
  for (const m of src.matchAll(/(?:^|[;&|]|\n)[ \t]*(?:-[ \t]+)?export[ \t]+([A-Za-z_][A-Za-z0-9_]*)=("[^"\n]*"|'[^'\n]*'|[^\s;&|'"]*)/g)) {
    const raw = m[2]!;
    const quoted = raw.length >= 2 && (raw[0] === '"' || raw[0] === "'");
    const at = start + m.index! + m[0].length - raw.length + (quoted ? 1 : 0);
    const value = quoted ? raw.slice(1, -1) : raw;
    out.push({ name: m[1]!, value, start: at, end: at + value.length, block: 'export' });
  }
  return out;
}

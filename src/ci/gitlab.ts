import type { Pair } from 'yaml';
import type { CiPipeline, CiStep } from './model.js';
import { get, items, keyOf, linesOf, mapVariables, pairs, parameterDefaults, scriptRanges, str, yaml, type YamlCtx } from './yaml-nodes.js';

/**
 * GitLab CI: `.gitlab-ci.yml` and the files it includes. Keys that are not keywords are jobs (`.hidden`
 * ones are templates); `variables:` at the top and in jobs (and services); `before_script` and `script`
 * run in one shell, `after_script` in another; a job without its own `before_script`/`after_script`
 * inherits `default:`'s. https://docs.gitlab.com/ee/ci/yaml/
 */
export function parseGitlab(y: YamlCtx, root: unknown): CiPipeline {
  const out: CiPipeline = { system: 'gitlab-ci', variables: [], globalBlocks: [], jobs: [], includes: localIncludes(y, get(y, root, 'include')) };
  const top = pairs(y, root);
  // The header document of a file with inputs: `spec: inputs: name: {default: ...}`.
  out.variables.push(...parameterDefaults(y, get(y, get(y, root, 'spec'), 'inputs'), 'inputs'));
  const vars = top.find((p) => keyOf(p) === 'variables');
  if (vars) {
    out.variables.push(...mapVariables(y, vars.value, 'variables'));
    const lines = linesOf(y, vars.value, vars.key);
    if (lines) out.globalBlocks.push({ label: 'global variables', ...lines });
  }
  // Inherited sections: `default:` (or the deprecated top-level keys).
  const defaults = get(y, root, 'default');
  const inherited = (key: string): unknown => get(y, defaults, key) ?? get(y, root, key);
  // `.deploy: &deploy` then `<<: *deploy`: the anchor names the job it stands on.
  const anchors = new Map<string, string>();
  for (const j of top) {
    const anchor = (j.value as { anchor?: unknown } | null)?.anchor;
    if (typeof anchor === 'string') anchors.set(anchor, keyOf(j));
  }
  for (const j of top) {
    const name = keyOf(j);
    if (KEYWORDS.has(name) || pairs(y, j.value).length === 0) continue;
    const lines = linesOf(y, j.value, j.key);
    if (!lines) continue;
    const variables = mapVariables(y, get(y, j.value, 'variables'), 'variables');
    for (const s of items(y, get(y, j.value, 'services'))) variables.push(...mapVariables(y, get(y, s, 'variables'), 'services'));
    const steps: CiStep[] = [];
    for (const [key, shell] of SECTIONS) {
      const own = get(y, j.value, key);
      const node = own ?? (key === 'script' ? undefined : inherited(key));
      const at = linesOf(y, node);
      if (node === undefined || !at) continue;
      steps.push({ name: key, ...at, variables: [], scripts: scriptRanges(y, node), shell });
    }
    const inherits = inheritedFrom(y, j.value, anchors);
    out.jobs.push({ name, template: name.startsWith('.'), ...lines, variables, steps, ...(inherits.length > 0 ? { inherits } : {}) });
  }
  return out;
}

/**
 * The jobs a job takes configuration from: `extends:` (a name or a list), merge keys whose alias points at
 * another job's anchor, and `!reference [name, key]` anywhere in it.
 * https://docs.gitlab.com/ee/ci/yaml/yaml_optimization.html
 */
function inheritedFrom(y: YamlCtx, job: unknown, anchors: Map<string, string>): string[] {
  const out = new Set<string>();
  const ext = get(y, job, 'extends');
  for (const e of items(y, ext).length > 0 ? items(y, ext) : [ext]) {
    const name = str(y, e);
    if (name) out.add(name);
  }
  for (const p of pairs(y, job)) {
    if (keyOf(p) !== '<<') continue;
    const list = yaml().isSeq(p.value) ? (p.value as { items: unknown[] }).items : [p.value];
    for (const a of list) {
      const source = yaml().isAlias(a) ? anchors.get(a.source) : undefined;
      if (source) out.add(source);
    }
  }
  const walk = (node: unknown, depth: number): void => {
    if (depth > 8 || !node || typeof node !== 'object') return;
    if (yaml().isSeq(node)) {
      if ((node as { tag?: string }).tag === '!reference') {
        const name = str(y, node.items[0]);
        if (name) out.add(name);
        return;
      }
      for (const i of node.items) walk(i, depth + 1);
    } else if (yaml().isMap(node)) for (const p of node.items as Pair[]) walk(p.value, depth + 1);
  };
  walk(job, 0);
  return [...out];
}

/** Top-level keywords of .gitlab-ci.yml, including the deprecated global ones. Anything else is a job. */
const KEYWORDS = new Set(['stages', 'variables', 'include', 'default', 'workflow', 'image', 'services', 'before_script', 'after_script', 'cache', 'spec']);

/** Script sections in the order they run, with the shell each runs in. */
const SECTIONS: Array<[string, number]> = [
  ['before_script', 0],
  ['script', 0],
  ['after_script', 1],
];

/** `include:` entries naming local files: `'/ci/build.yml'`, `{local: ci/build.yml}`, lists of them.
 * Remote URLs, `project:`, `template:` and `component:` includes are not in the repository. */
function localIncludes(y: YamlCtx, node: unknown): string[] {
  const entries = items(y, node).length > 0 ? items(y, node) : node === undefined ? [] : [node];
  const out: string[] = [];
  for (const e of entries) {
    const s = str(y, e);
    const local = s !== null ? (/^https?:\/\//.test(s) ? null : s) : pairs(y, e).some((p) => keyOf(p) === 'project') ? null : str(y, get(y, e, 'local'));
    if (local) out.push(local.replace(/^\/+/, ''));
  }
  return out;
}

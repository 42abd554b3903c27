import type { CiPipeline, CiStep, CiVariable } from './model.js';
import { assignmentVariables, get, items, keyOf, linesOf, mapVariables, pairs, str, scriptRanges, type YamlCtx } from './yaml-nodes.js';

/**
 * Travis CI `.travis.yml`: `env` (`NAME=value` strings, a list of them, or `{global, jobs|matrix}`;
 * `{secure: ...}` entries are encrypted and hold no literal), the build phases, which all run in one
 * shell, `jobs.include` (or `matrix.include`) entries with their own phases and env, and `deploy`
 * provider settings (`api_key`, `password`). https://docs.travis-ci.com/user/environment-variables/
 */
export function parseTravis(y: YamlCtx, root: unknown): CiPipeline {
  const out: CiPipeline = { system: 'travis', variables: [], globalBlocks: [], jobs: [], includes: [] };
  const env = pairs(y, root).find((p) => keyOf(p) === 'env');
  if (env) {
    out.variables.push(...envOf(y, env.value, 'env'));
    const lines = linesOf(y, env.value, env.key);
    if (lines) out.globalBlocks.push({ label: 'global env', ...lines });
  }
  out.variables.push(...deployOf(y, get(y, root, 'deploy')));
  const rootSteps = phases(y, root);
  const first = rootSteps[0];
  if (first) out.jobs.push({ name: null, template: false, startLine: first.startLine, endLine: Math.max(...rootSteps.map((s) => s.endLine)), variables: [], steps: rootSteps });
  const include = get(y, get(y, root, 'jobs'), 'include') ?? get(y, get(y, root, 'matrix'), 'include');
  items(y, include).forEach((entry, i) => {
    const lines = linesOf(y, entry);
    if (!lines) return;
    const name = str(y, get(y, entry, 'name')) ?? str(y, get(y, entry, 'stage')) ?? `job ${i + 1}`;
    const variables = [...envOf(y, get(y, entry, 'env'), 'env'), ...deployOf(y, get(y, entry, 'deploy'))];
    out.jobs.push({ name, template: false, ...lines, variables, steps: phases(y, entry) });
  });
  return out;
}

const PHASES = ['before_install', 'install', 'before_script', 'script', 'after_success', 'after_failure', 'after_script', 'before_deploy', 'after_deploy', 'before_cache'];

function phases(y: YamlCtx, node: unknown): CiStep[] {
  const out: CiStep[] = [];
  for (const p of pairs(y, node)) {
    const key = keyOf(p);
    const lines = linesOf(y, p.value, p.key);
    if (!PHASES.includes(key) || !lines) continue;
    out.push({ name: key, ...lines, variables: [], scripts: scriptRanges(y, p.value), shell: 0 });
  }
  return out;
}

/** `env:` as a string, a list of strings, or `{global, jobs, matrix}` of those. */
function envOf(y: YamlCtx, node: unknown, block: string): CiVariable[] {
  if (node === undefined || node === null) return [];
  if (str(y, node) !== null) return assignmentVariables(y, node, block);
  const list = items(y, node);
  if (list.length > 0) return list.flatMap((e) => assignmentVariables(y, e, block));
  return ['global', 'jobs', 'matrix'].flatMap((k) => envOf(y, get(y, node, k), k === 'global' ? 'env.global' : `env.${k}`));
}

/** Credentials given to deploy providers (`api_key`, `password`, `token`): literals unless `{secure: ...}`. */
function deployOf(y: YamlCtx, node: unknown): CiVariable[] {
  const providers = items(y, node).length > 0 ? items(y, node) : node === undefined ? [] : [node];
  return providers.flatMap((p) => mapVariables(y, p, 'deploy'));
}

import type { CiPipeline, CiStep, CiVariable } from './model.js';
import { get, items, keyOf, linesOf, mapVariables, pairs, scriptRanges, str, variable, type YamlCtx } from './yaml-nodes.js';

/**
 * Bitbucket Pipelines: each pipeline (`default`, `branches.<glob>`, `pull-requests.<glob>`, `tags.<glob>`,
 * `custom.<name>`) is a job named by that path; its steps (also inside `parallel` and `stage`) are steps,
 * with `script` and `after-script`. Steps shared through YAML anchors under `definitions.steps` are placed
 * where they are written. Variables: a custom pipeline's `variables` defaults and service `variables`.
 * https://support.atlassian.com/bitbucket-cloud/docs/bitbucket-pipelines-configuration-reference/
 */
export function parseBitbucket(y: YamlCtx, root: unknown): CiPipeline {
  const out: CiPipeline = { system: 'bitbucket-pipelines', variables: [], globalBlocks: [], jobs: [], includes: [] };
  const defs = get(y, root, 'definitions');
  for (const s of pairs(y, get(y, defs, 'services'))) out.variables.push(...mapVariables(y, get(y, s.value, 'variables'), 'services'));
  const shared = get(y, defs, 'steps');
  const sharedLines = linesOf(y, shared);
  if (sharedLines) out.jobs.push({ name: null, template: true, ...sharedLines, variables: [], steps: steps(y, shared) });
  for (const group of pairs(y, get(y, root, 'pipelines'))) {
    const kind = keyOf(group);
    // `default` is a list of steps; the others map a branch/tag glob or a name to one.
    const named: Array<[string, unknown, unknown]> = items(y, group.value).length > 0 ? [[kind, group.value, group.key]] : pairs(y, group.value).map((p) => [`${kind}.${keyOf(p)}`, p.value, p.key]);
    for (const [name, list, key] of named) {
      const lines = linesOf(y, list, key);
      if (lines) out.jobs.push({ name, template: false, ...lines, variables: customVariables(y, list), steps: steps(y, list) });
    }
  }
  return out;
}

/** A custom pipeline's `- variables: [{name, default}]`: values a run starts with unless overridden. */
function customVariables(y: YamlCtx, list: unknown): CiVariable[] {
  const out: CiVariable[] = [];
  for (const entry of items(y, list)) {
    for (const v of items(y, get(y, entry, 'variables'))) {
      const name = str(y, get(y, v, 'name'));
      if (name !== null) out.push(variable(y, name, get(y, v, 'default'), 'variables'));
    }
  }
  return out;
}

/** Steps of a list of entries: `step`, `parallel` (a list, or `{steps: [...]}`), `stage: {steps}`. Each
 * step's `script` runs in its own shell, its `after-script` in another. */
function steps(y: YamlCtx, list: unknown, out: CiStep[] = [], count = { n: 0 }): CiStep[] {
  for (const entry of items(y, list)) {
    const parallel = get(y, entry, 'parallel');
    if (parallel !== undefined) steps(y, get(y, parallel, 'steps') ?? parallel, out, count);
    const stage = get(y, entry, 'stage');
    if (stage !== undefined) steps(y, get(y, stage, 'steps'), out, count);
    const step = get(y, entry, 'step');
    const lines = linesOf(y, step);
    if (step === undefined || !lines) continue;
    count.n++;
    const name = str(y, get(y, step, 'name')) ?? `step ${count.n}`;
    for (const key of ['script', 'after-script']) {
      const node = get(y, step, key);
      if (node !== undefined) out.push({ name, ...lines, variables: [], scripts: scriptRanges(y, node), shell: out.length });
    }
  }
  return out;
}

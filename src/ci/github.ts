import type { CiPipeline, CiStep, CiVariable } from './model.js';
import { get, items, keyOf, linesOf, mapVariables, pairs, parameterDefaults, scriptRanges, str, type YamlCtx } from './yaml-nodes.js';

/**
 * GitHub Actions: a workflow (`env:` at the workflow, job and step; `services`/`container` env; `secrets:`
 * passed to a reusable workflow; `run:` steps), or an action's `action.yml` (a composite action's
 * `runs.steps`, a Docker action's `runs.env`), whose steps run inside the caller's job.
 * https://docs.github.com/en/actions/writing-workflows/workflow-syntax-for-github-actions
 * https://docs.github.com/en/actions/sharing-automations/creating-actions/metadata-syntax-for-github-actions
 */
export function parseGithub(y: YamlCtx, root: unknown): CiPipeline {
  const out: CiPipeline = { system: 'github-actions', variables: [], globalBlocks: [], jobs: [], includes: [] };
  const runs = get(y, root, 'runs');
  if (runs !== undefined) {
    out.variables.push(...mapVariables(y, get(y, runs, 'env'), 'env'), ...parameterDefaults(y, get(y, root, 'inputs'), 'inputs'));
    const lines = linesOf(y, runs);
    if (lines) out.jobs.push({ name: null, template: false, ...lines, variables: [], steps: steps(y, get(y, runs, 'steps')) });
    return out;
  }
  // Inputs of a manually run or called workflow, with their defaults (`on: workflow_dispatch: inputs:`).
  const on = get(y, root, 'on');
  for (const trigger of ['workflow_dispatch', 'workflow_call']) out.variables.push(...parameterDefaults(y, get(y, get(y, on, trigger), 'inputs'), 'inputs'));
  const env = pairs(y, root).find((p) => keyOf(p) === 'env');
  if (env) {
    out.variables.push(...mapVariables(y, env.value, 'env'));
    const lines = linesOf(y, env.value, env.key);
    if (lines) out.globalBlocks.push({ label: 'workflow env', ...lines });
  }
  for (const j of pairs(y, get(y, root, 'jobs'))) {
    const lines = linesOf(y, j.value, j.key);
    if (!lines) continue;
    const displayName = str(y, get(y, j.value, 'name')) ?? undefined;
    out.jobs.push({ name: keyOf(j), ...(displayName ? { displayName } : {}), template: false, ...lines, variables: jobVariables(y, j.value), steps: steps(y, get(y, j.value, 'steps')) });
  }
  return out;
}

function jobVariables(y: YamlCtx, job: unknown): CiVariable[] {
  const vars = mapVariables(y, get(y, job, 'env'), 'env');
  vars.push(...mapVariables(y, get(y, get(y, job, 'container'), 'env'), 'env'));
  for (const s of pairs(y, get(y, job, 'services'))) vars.push(...mapVariables(y, get(y, s.value, 'env'), 'services'));
  // `secrets:` of a job calling a reusable workflow: `inherit`, or name → value.
  vars.push(...mapVariables(y, get(y, job, 'secrets'), 'secrets'));
  return vars;
}

function steps(y: YamlCtx, node: unknown): CiStep[] {
  const out: CiStep[] = [];
  items(y, node).forEach((step, i) => {
    const lines = linesOf(y, step);
    if (!lines) return;
    const run = get(y, step, 'run');
    const uses = str(y, get(y, step, 'uses'));
    out.push({
      // An unnamed action step is named as GitHub shows it, `Run <action>`. An unnamed script step keeps its
      // number: GitHub names it after its first line, which may hold the very secret being reported.
      name: str(y, get(y, step, 'name')) ?? (uses ? `Run ${uses}` : `step ${i + 1}`),
      ...lines,
      // An action's `with:` inputs: a literal there is as hard-coded as one in `env:`.
      variables: [...mapVariables(y, get(y, step, 'env'), 'env'), ...mapVariables(y, get(y, step, 'with'), 'with')],
      scripts: run === undefined ? [] : scriptRanges(y, run),
      shell: i,
    });
  });
  return out;
}

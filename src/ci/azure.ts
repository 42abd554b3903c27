import type { CiJob, CiPipeline, CiStep, CiVariable } from './model.js';
import { get, items, keyOf, linesOf, mapVariables, pairs, scriptRanges, str, variable, type YamlCtx } from './yaml-nodes.js';

/**
 * Azure Pipelines: `stages` → `jobs` (`job:` or `deployment:`, whose steps sit under a `strategy`) →
 * `steps`, or a pipeline of `jobs` or of `steps` only. `variables:` at the pipeline, stage and job (a
 * mapping, or a list of `{name, value}`, `{group}`, `{template}`), `env:` on steps; scripts in `script:`,
 * `bash:`, `powershell:`, `pwsh:` and inline `task` inputs. https://learn.microsoft.com/en-us/azure/devops/pipelines/yaml-schema/
 */
export function parseAzure(y: YamlCtx, root: unknown): CiPipeline {
  const out: CiPipeline = { system: 'azure-pipelines', variables: [], globalBlocks: [], jobs: [], includes: [] };
  const vars = pairs(y, root).find((p) => keyOf(p) === 'variables');
  if (vars) {
    out.variables.push(...variablesOf(y, vars.value));
    const lines = linesOf(y, vars.value, vars.key);
    if (lines) out.globalBlocks.push({ label: 'pipeline variables', ...lines });
  }
  const stages = items(y, get(y, root, 'stages'));
  for (const stage of stages) {
    const stageVars = variablesOf(y, get(y, stage, 'variables'));
    for (const job of jobs(y, get(y, stage, 'jobs'))) out.jobs.push({ ...job, variables: [...stageVars, ...job.variables] });
  }
  out.jobs.push(...jobs(y, get(y, root, 'jobs')));
  const rootSteps = get(y, root, 'steps');
  const lines = linesOf(y, rootSteps);
  // A pipeline of steps only runs them in one implicit job.
  if (rootSteps !== undefined && lines) out.jobs.push({ name: null, template: false, ...lines, variables: [], steps: steps(y, rootSteps) });
  return out;
}

/** A mapping of variables, or a list of `{name, value}` (`group:` and `template:` entries hold no literal). */
function variablesOf(y: YamlCtx, node: unknown): CiVariable[] {
  if (pairs(y, node).length > 0) return mapVariables(y, node, 'variables');
  const out: CiVariable[] = [];
  for (const v of items(y, node)) {
    const name = str(y, get(y, v, 'name'));
    if (name !== null) out.push(variable(y, name, get(y, v, 'value'), 'variables'));
  }
  return out;
}

function jobs(y: YamlCtx, node: unknown): CiJob[] {
  const out: CiJob[] = [];
  items(y, node).forEach((job, i) => {
    const lines = linesOf(y, job);
    if (!lines) return;
    const displayName = str(y, get(y, job, 'displayName')) ?? undefined;
    const name = str(y, get(y, job, 'job')) ?? str(y, get(y, job, 'deployment')) ?? displayName ?? `job ${i + 1}`;
    const own = get(y, job, 'steps');
    const lists = own !== undefined ? [own] : strategySteps(y, get(y, job, 'strategy'));
    out.push({ name, ...(displayName ? { displayName } : {}), template: false, ...lines, variables: variablesOf(y, get(y, job, 'variables')), steps: lists.flatMap((l) => steps(y, l)) });
  });
  return out;
}

/** The `steps:` lists of a deployment strategy (runOnce/rolling/canary → deploy, preDeploy, on.failure, ...). */
function strategySteps(y: YamlCtx, node: unknown, depth = 0): unknown[] {
  if (depth > 4) return [];
  return pairs(y, node).flatMap((p) => (keyOf(p) === 'steps' ? [p.value] : strategySteps(y, p.value, depth + 1)));
}

/** Keys whose value is an inline script: step shortcuts, and the inputs of script tasks (Bash@3, PowerShell@2, CmdLine@2, AzureCLI@2). */
const SCRIPT_KEYS = ['script', 'bash', 'powershell', 'pwsh'];
const TASK_SCRIPT_INPUTS = ['script', 'inlineScript'];

function steps(y: YamlCtx, node: unknown): CiStep[] {
  const out: CiStep[] = [];
  items(y, node).forEach((step, i) => {
    const lines = linesOf(y, step);
    if (!lines) return;
    const inputs = get(y, step, 'inputs');
    const scripts = [...SCRIPT_KEYS.map((k) => get(y, step, k)), ...TASK_SCRIPT_INPUTS.map((k) => get(y, inputs, k))].flatMap((n) => (n === undefined ? [] : scriptRanges(y, n)));
    out.push({
      name: str(y, get(y, step, 'displayName')) ?? str(y, get(y, step, 'name')) ?? `step ${i + 1}`,
      ...lines,
      variables: mapVariables(y, get(y, step, 'env'), 'env'),
      scripts,
      shell: i,
    });
  });
  return out;
}

import type { CiPipeline, CiStep, CiVariable } from './model.js';
import { get, items, keyOf, linesOf, mapVariables, pairs, parameterDefaults, scriptRanges, str, type YamlCtx } from './yaml-nodes.js';

/**
 * CircleCI `.circleci/config.yml`: `jobs` (with `environment:` on the job, its Docker images and its `run`
 * steps), `executors` (their environment reaches the jobs that use them) and reusable `commands` (whose
 * steps run inside the calling job). https://circleci.com/docs/configuration-reference/
 */
export function parseCircleci(y: YamlCtx, root: unknown): CiPipeline {
  const out: CiPipeline = { system: 'circleci', variables: [], globalBlocks: [], jobs: [], includes: [] };
  out.variables.push(...parameterDefaults(y, get(y, root, 'parameters'), 'parameters'));
  for (const e of pairs(y, get(y, root, 'executors'))) out.variables.push(...environmentOf(y, e.value), ...parameterDefaults(y, get(y, e.value, 'parameters'), 'parameters'));
  for (const [key, named] of [['jobs', true], ['commands', false]] as const) {
    for (const j of pairs(y, get(y, root, key))) {
      const lines = linesOf(y, j.value, j.key);
      if (!lines) continue;
      const variables = [...environmentOf(y, j.value), ...parameterDefaults(y, get(y, j.value, 'parameters'), 'parameters')];
      out.jobs.push({ name: named ? keyOf(j) : null, template: !named, ...lines, variables, steps: steps(y, get(y, j.value, 'steps')) });
    }
  }
  return out;
}

/** `environment:` of a job or executor and of its Docker images: the first image runs the steps, the
 * others are service containers. */
function environmentOf(y: YamlCtx, node: unknown): CiVariable[] {
  const vars = mapVariables(y, get(y, node, 'environment'), 'environment');
  items(y, get(y, node, 'docker')).forEach((image, i) => vars.push(...mapVariables(y, get(y, image, 'environment'), i === 0 ? 'environment' : 'services')));
  return vars;
}

function steps(y: YamlCtx, node: unknown, out: CiStep[] = []): CiStep[] {
  for (const [i, step] of items(y, node).entries()) {
    // `when:`/`unless:` wrap further steps.
    for (const cond of ['when', 'unless']) {
      const inner = get(y, get(y, step, cond), 'steps');
      if (inner !== undefined) steps(y, inner, out);
    }
    const run = get(y, step, 'run');
    const lines = linesOf(y, step);
    if (!lines) continue;
    if (run === undefined) {
      // A command or orb job called with arguments (`- slack/notify: {webhook: ...}`).
      const [call] = pairs(y, step);
      const args = call ? mapVariables(y, call.value, 'parameters') : [];
      if (call && args.length > 0) out.push({ name: keyOf(call), ...lines, variables: args, scripts: [], shell: out.length });
      continue;
    }
    const command = str(y, run) !== null ? run : get(y, run, 'command');
    out.push({
      name: str(y, get(y, run, 'name')) ?? `step ${i + 1}`,
      ...lines,
      variables: mapVariables(y, get(y, run, 'environment'), 'environment'),
      scripts: command === undefined ? [] : scriptRanges(y, command),
      shell: out.length,
    });
  }
  return out;
}

import { lineOfOffset, lineStarts } from '../core/lines.js';
import type { CiSystem } from '../core/paths.js';

/**
 * A CI configuration reduced to what secret analysis needs: where each job and step stands, the variable
 * blocks that give jobs their environment, and the shell scripts that steps run. Every system's parser
 * (GitHub Actions, GitLab CI, CircleCI, Azure Pipelines, Bitbucket Pipelines, Travis, Jenkinsfile) yields
 * this one shape, so detection and workload analysis never ask which system it was.
 *
 * Offsets are UTF-16 indices into the text that was parsed (from 0, end exclusive); lines count from 1.
 */
export interface CiPipeline {
  system: CiSystem;
  /** Variables of the whole pipeline (workflow `env:`, top-level `variables:`, `env.global`, the pipeline's
   * `environment {}`): they reach every job. */
  variables: CiVariable[];
  /** Lines of the top-level variable blocks, for workloads: a literal there is used by every job. */
  globalBlocks: Array<{ label: string; startLine: number; endLine: number }>;
  jobs: CiJob[];
  /** GitLab: the local files `include:` names, as written (paths or globs, relative to the repository root). */
  includes: string[];
}

/**
 * A unit of the pipeline that runs on one runner: a GitHub/GitLab/CircleCI/Azure job, a Travis job, a
 * Bitbucket pipeline (`default`, `branches.main`, `custom.deploy`), a Jenkins stage.
 */
export interface CiJob {
  /** What the system calls it; null for steps that run inside someone else's job (a composite action's
   * steps, Azure's or Travis's top-level steps). */
  name: string | null;
  /** The job's literal display name (GitHub `name:`, Azure `displayName:`), which run logs use. */
  displayName?: string;
  /** A template that never runs by itself (GitLab `.hidden` jobs): not a workload, still scanned. */
  template: boolean;
  /** GitLab: the jobs and templates this one takes configuration from, by name: `extends:`, YAML merge keys
   * (`<<: *anchor`) and `!reference [name, ...]`. Names resolve in the file, then across the repository's
   * GitLab files (analyze/workloads.ts). */
  inherits?: string[];
  startLine: number;
  endLine: number;
  variables: CiVariable[];
  steps: CiStep[];
}

/** A step of a job: a GitHub/Azure/CircleCI step, a GitLab `script:` section, a Travis phase, a Bitbucket
 * step, a Jenkins `sh` step. */
export interface CiStep {
  /** `name`/`displayName`/`label`, the section's key, or `step N` (from 1). */
  name: string;
  startLine: number;
  endLine: number;
  variables: CiVariable[];
  /** Shell script text the step runs: each a [start, end) range of the source, quotes excluded. */
  scripts: Array<{ start: number; end: number }>;
  /** Steps of a job with the same number run in one shell, in order: a `set -x` in one traces the next
   * (GitLab's `before_script` and `script`; Travis phases). */
  shell: number;
}

/** One entry of a variable block. */
export interface CiVariable {
  name: string;
  /** The scalar value as the CI system reads it; null when it is not a plain scalar (`{secure: ...}`, a
   * Jenkins `withCredentials` binding, a variable group). */
  value: string | null;
  /** The value's range in the source, quotes excluded; -1 when `value` is null. */
  start: number;
  end: number;
  /** The block it belongs to: `env`, `variables`, `environment`, `env.global`, `export`, `withEnv`,
   * `withCredentials`; `services` (a service container's), `secrets` (passed to a reusable GitHub workflow),
   * `deploy` (Travis deploy settings), `with` (a GitHub action's inputs), `inputs` and `parameters` (declared
   * defaults, and arguments of a CircleCI command or orb) are not in the steps' environment. */
  block: string;
}

/** The job and step a line belongs to: the innermost job whose lines hold it, then its step. */
export function placeOf(ci: CiPipeline, line: number): { job: string | null; step: string | null } {
  let best: CiJob | null = null;
  for (const j of ci.jobs) {
    if (line < j.startLine || line > j.endLine) continue;
    if (!best || j.endLine - j.startLine < best.endLine - best.startLine) best = j;
  }
  const within = best ? [best] : ci.jobs.filter((j) => j.name === null);
  for (const j of within) {
    const step = j.steps.find((s) => line >= s.startLine && line <= s.endLine);
    if (step) return { job: j.name, step: step.name };
  }
  return { job: best?.name ?? null, step: null };
}

/** Lines of a text, from 1, for offsets into it. */
export function lineCounter(text: string): (offset: number) => number {
  const starts = lineStarts(text);
  return (offset) => lineOfOffset(starts, offset) + 1;
}

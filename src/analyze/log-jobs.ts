import type { Finding, LogProvenance } from '../core/types.js';
import type { Workload, WorkloadIndex } from './workloads.js';

/**
 * A CI log finding's `ci` field: the system, the log file or run-log archive it was read from (in place of
 * a workflow file: a log does not name its workflow), and the job and the step that was running at
 * `offset` (a byte offset in the chunk).
 */
export function logCi(path: string, log: LogProvenance, offset: number): NonNullable<Finding['ci']> {
  let step: string | null = null;
  for (const s of log.steps) {
    if (s.at > offset) break;
    step = s.step;
  }
  const bang = path.lastIndexOf('!');
  return { system: log.system, workflow: bang === -1 ? path : path.slice(0, bang), job: log.job, step };
}

/** The config job kind a log of each system may link to; a log whose system is unknown links to any. */
const KIND_OF_SYSTEM: Record<string, Workload['kind']> = { 'github-actions': 'github-actions-job', 'gitlab-ci': 'gitlab-ci-job' };

/**
 * The names a log's job may have in a config: itself; without a matrix suffix (`build (ubuntu, 20)` runs
 * job `build`); and each side of a reusable workflow's `caller / called` name.
 */
function candidateNames(job: string): string[] {
  const bare = job.replace(/\s+\([^()]*\)$/, '');
  return [...new Set([job, bare, ...bare.split(' / ').map((s) => s.trim())])].filter(Boolean);
}

/**
 * The link back: a log finding gets the config job of the same name as a workload (`via: 'log'`), when the
 * config was scanned in the same run. The secret then lists the job that printed it. Jobs of the same name
 * in several workflows all link: a run-log archive does not say which workflow it came from.
 */
export function linkLogJobs(findings: Iterable<Finding>, index: WorkloadIndex): void {
  for (const f of findings) {
    if (f.source !== 'log' || !f.ci?.job) continue;
    const kind = KIND_OF_SYSTEM[f.ci.system];
    const jobs = candidateNames(f.ci.job).flatMap((n) => index.jobs.get(n) ?? []);
    const linked = jobs.filter((w, i) => (!kind || w.kind === kind) && jobs.findIndex((x) => x.kind === w.kind && x.name === w.name && x.path === w.path) === i);
    if (linked.length > 0) f.workloads = [...(f.workloads ?? []), ...linked.map((w) => ({ kind: w.kind, name: w.name, path: w.path, via: 'log' }))];
  }
}

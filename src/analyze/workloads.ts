import { createRequire } from 'node:module';
import type { Document, Node as YamlNode, Pair, YAMLMap } from 'yaml';
import type { CiPipeline } from '../ci/model.js';
import type { CiSystem } from '../core/paths.js';
import type { Finding, Secret } from '../core/types.js';

/** The fixed vocabulary of workload kinds. */
export type WorkloadKind =
  | 'github-actions-job'
  | 'gitlab-ci-job'
  | 'circleci-job'
  | 'azure-pipelines-job'
  | 'bitbucket-pipeline'
  | 'travis-job'
  | 'jenkins-stage'
  | 'k8s-deployment'
  | 'k8s-statefulset'
  | 'k8s-daemonset'
  | 'k8s-cronjob'
  | 'k8s-job'
  | 'k8s-pod'
  | 'compose-service'
  | 'terraform-resource'
  | 'dockerfile-image';

/** A workload that uses or exposes a secret. `name` is what a user would search for. */
export interface Workload {
  kind: WorkloadKind;
  name: string;
  path: string;
  /** How the secret reaches it: `literal`, or `secret <name>` for a Kubernetes Secret it references. */
  via: string;
  /** The Kubernetes ServiceAccount the workload runs as, when it names one. */
  serviceAccount?: string;
}

/** Lines [start, end] (from 1, inclusive) of a file that belong to a workload. */
export interface WorkloadSpan {
  workload: Workload;
  startLine: number;
  endLine: number;
}

/** What joins a secret to workloads across files, collected over the whole scan. */
export interface WorkloadIndex {
  /** Kubernetes Secrets: name and the lines of the file that defines it. */
  secrets: Array<{ name: string; path: string; startLine: number; endLine: number }>;
  /** Secret name → workloads that reference it (secretKeyRef, envFrom, volumes, imagePullSecrets). */
  references: Map<string, Workload[]>;
  /** Variable name → CI jobs that read it (`$FOO`, `${FOO}`, `${{ env.FOO }}`, `${{ secrets.FOO }}`). */
  variableReads: Map<string, Workload[]>;
  /** CI jobs defined in the configs scanned, by each name a log may give them (the job's key, and its
   * literal `name:`): a log finding links to its job through this (analyze/log-jobs.ts). */
  jobs: Map<string, Workload[]>;
  /** GitLab jobs and templates with what they inherit (`extends:` …), keyed `repo\0path\0name\0line`: a
   * template in an included file belongs to the jobs that extend it from another file. */
  gitlabJobs: Map<string, GitlabJob>;
}

/** A GitLab job or template as the join across files needs it. */
interface GitlabJob {
  repo: string | null;
  path: string;
  name: string;
  startLine: number;
  endLine: number;
  template: boolean;
  inherits: string[];
}

export function emptyWorkloadIndex(): WorkloadIndex {
  return { secrets: [], references: new Map(), variableReads: new Map(), jobs: new Map(), gitlabJobs: new Map() };
}

/** Records a CI job under its key and its display name (when literal), once per job and file. */
function recordJob(index: WorkloadIndex, workload: Workload, display: string | undefined): void {
  const names = [workload.name, ...(display !== undefined && !display.includes('${{') ? [display] : [])];
  for (const name of new Set(names)) {
    const list = index.jobs.get(name) ?? [];
    if (!list.some((w) => w.kind === workload.kind && w.name === workload.name && w.path === workload.path)) list.push(workload);
    index.jobs.set(name, list);
  }
}

/** Variables a piece of CI config reads. */
const READS = /\$\{\{\s*(?:env|secrets|vars)\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

function recordReads(text: string, s: WorkloadSpan, index: WorkloadIndex): void {
  const lines = text.split('\n').slice(s.startLine - 1, s.endLine).join('\n');
  const names = new Set<string>();
  for (const m of lines.matchAll(READS)) names.add(m[1] ?? m[2] ?? m[3]!);
  for (const name of names) {
    const list = index.variableReads.get(name) ?? [];
    if (!list.some((w) => w.name === s.workload.name && w.path === s.workload.path)) list.push({ ...s.workload, via: `variable ${name}` });
    index.variableReads.set(name, list);
  }
}

/** The variable a line assigns: `export FOO=`, `FOO:`, `"FOO":` — the name a CI job would read. */
export function assignedVariable(line: string): string | null {
  const m = /^\s*(?:-\s+)?(?:export\s+)?["']?([A-Za-z_][A-Za-z0-9_]*)["']?\s*[:=]/.exec(line);
  return m ? m[1]! : null;
}

const requireLazy = createRequire(import.meta.url);
const yaml = (): typeof import('yaml') => requireLazy('yaml') as typeof import('yaml');

const K8S_KINDS: Record<string, WorkloadKind> = {
  Deployment: 'k8s-deployment',
  StatefulSet: 'k8s-statefulset',
  DaemonSet: 'k8s-daemonset',
  CronJob: 'k8s-cronjob',
  Job: 'k8s-job',
  Pod: 'k8s-pod',
};

function lineOf(text: string, offset: number): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** The lines a map entry covers, from its key to the end of its value. */
function span(text: string, pair: Pair, workload: Workload): WorkloadSpan | null {
  const start = (pair.key as YamlNode | null)?.range?.[0];
  const end = (pair.value as YamlNode | null)?.range?.[2];
  if (start === undefined || end === undefined) return null;
  return { workload, startLine: lineOf(text, start), endLine: lineOf(text, Math.max(start, end - 1)) };
}

function mapPairs(node: unknown): Pair[] {
  return node && typeof node === 'object' && 'items' in (node as YAMLMap) ? ((node as YAMLMap).items as Pair[]) : [];
}

function keyOf(p: Pair): string {
  const k = p.key as { value?: unknown } | null;
  return k && typeof k.value === 'string' ? k.value : String(k?.value ?? '');
}

function docs(text: string): Document[] {
  try {
    // Helm templates parse as maps with collection keys; yaml would warn about each on stderr.
    return yaml().parseAllDocuments(text, { logLevel: 'error' }) as unknown as Document[];
  } catch {
    return [];
  }
}

/** The first value under `key` anywhere in a parsed object (pod specs nest at several depths). */
function findKey(value: unknown, key: string): unknown {
  if (!value || typeof value !== 'object') return undefined;
  if (!Array.isArray(value) && key in (value as Record<string, unknown>)) return (value as Record<string, unknown>)[key];
  for (const v of Array.isArray(value) ? value : Object.values(value as Record<string, unknown>)) {
    const found = findKey(v, key);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Names of Secrets a Kubernetes object refers to, anywhere in it. */
function secretRefs(value: unknown, out: Set<string>): void {
  if (Array.isArray(value)) value.forEach((v) => secretRefs(v, out));
  else if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    for (const [k, v] of Object.entries(o)) {
      if ((k === 'secretKeyRef' || k === 'secretRef') && v && typeof v === 'object' && typeof (v as { name?: unknown }).name === 'string') out.add((v as { name: string }).name);
      else if (k === 'secret' && v && typeof v === 'object' && typeof (v as { secretName?: unknown }).secretName === 'string') out.add((v as { secretName: string }).secretName);
      else if (k === 'imagePullSecrets' && Array.isArray(v)) v.forEach((s) => typeof s?.name === 'string' && out.add(s.name));
      secretRefs(v, out);
    }
  }
}

const CI_KINDS: Record<CiSystem, WorkloadKind> = {
  'github-actions': 'github-actions-job',
  'gitlab-ci': 'gitlab-ci-job',
  circleci: 'circleci-job',
  'azure-pipelines': 'azure-pipelines-job',
  'bitbucket-pipelines': 'bitbucket-pipeline',
  travis: 'travis-job',
  jenkins: 'jenkins-stage',
};

/**
 * A CI configuration's jobs (not templates, nor the steps of a composite action, which run in their
 * caller's job), each reading the variables its lines name; a top-level variable block (GitHub's
 * workflow `env:`, GitLab's global `variables:`) reaches every job.
 */
function ciWorkloads(path: string, text: string, ci: CiPipeline, index: WorkloadIndex, repo: string | null): WorkloadSpan[] {
  const kind = CI_KINDS[ci.system];
  if (ci.system === 'gitlab-ci') {
    for (const j of ci.jobs) {
      if (j.name === null) continue;
      const entry = { repo, path, name: j.name, startLine: j.startLine, endLine: j.endLine, template: j.template, inherits: j.inherits ?? [] };
      index.gitlabJobs.set([repo, path, j.name, j.startLine].join('\0'), entry);
    }
  }
  const jobs = ci.jobs.filter((j): j is typeof j & { name: string } => j.name !== null && !j.template);
  const out: WorkloadSpan[] = [];
  for (const j of jobs) {
    const span = { workload: { kind, name: j.name, path, via: 'literal' }, startLine: j.startLine, endLine: j.endLine };
    out.push(span);
    recordReads(text, span, index);
    recordJob(index, span.workload, j.displayName);
  }
  for (const g of ci.globalBlocks) {
    for (const j of jobs) out.push({ workload: { kind, name: j.name, path, via: g.label }, startLine: g.startLine, endLine: g.endLine });
  }
  // A template's lines (and a job's that others extend) belong to every job that runs them.
  const heirs = heirsOf(ci);
  for (const j of ci.jobs) {
    if (j.name === null) continue;
    for (const heir of heirs.get(j.name) ?? []) {
      const span = { workload: { kind, name: heir, path, via: `extends ${j.name}` }, startLine: j.startLine, endLine: j.endLine };
      out.push(span);
      recordReads(text, span, index);
    }
  }
  return out;
}

/** Every job or template `name` takes configuration from, through chains of them (cycles stop). */
function ancestors(name: string, inherits: string[], parents: (name: string) => string[]): Set<string> {
  const seen = new Set<string>();
  const todo = [...inherits];
  while (todo.length > 0) {
    const next = todo.pop()!;
    if (seen.has(next) || next === name) continue;
    seen.add(next);
    todo.push(...parents(next));
  }
  return seen;
}

/** Job name → the jobs that run it, taking its configuration directly or through a chain of templates. */
function heirsOf(ci: CiPipeline): Map<string, string[]> {
  const byName = new Map(ci.jobs.map((j) => [j.name, j]));
  const out = new Map<string, string[]>();
  for (const j of ci.jobs) {
    if (j.template || j.name === null || !j.inherits) continue;
    for (const name of ancestors(j.name, j.inherits, (n) => byName.get(n)?.inherits ?? [])) out.set(name, [...(out.get(name) ?? []), j.name]);
  }
  return out;
}

/**
 * The workloads a file defines, with the lines each covers, parsed with a real YAML parser (HCL and
 * Dockerfiles by their block syntax; a CI configuration's from its parsed pipeline, `ci`). A secret on a
 * line inside a workload's span is used by it. Kubernetes Secrets and the references to them go into `k8s`, to be joined across files.
 */
export function workloadsIn(path: string, text: string, k8s: WorkloadIndex, ci: CiPipeline | null = null, repo: string | null = null): WorkloadSpan[] {
  const out: WorkloadSpan[] = [];
  const push = (s: WorkloadSpan | null): void => {
    if (s) out.push(s);
  };
  const base = path.split('/').pop() ?? path;
  if (ci) {
    out.push(...ciWorkloads(path, text, ci, k8s, repo));
  } else if (/(?:^|\/)(?:docker-)?compose(?:\.[\w-]+)?\.ya?ml$/.test(path)) {
    for (const doc of docs(text)) {
      const services = mapPairs(mapPairs(doc.contents).find((p) => keyOf(p) === 'services')?.value);
      for (const s of services) push(span(text, s, { kind: 'compose-service', name: keyOf(s), path, via: 'literal' }));
    }
  } else if (/\.ya?ml$/.test(path)) {
    for (const doc of docs(text)) {
      const obj = doc.toJS() as { kind?: unknown; metadata?: { name?: unknown } } | null;
      if (!obj || typeof obj.kind !== 'string' || typeof obj.metadata?.name !== 'string') continue;
      const name = obj.metadata.name;
      const range = (doc.contents as YamlNode | null)?.range;
      if (!range) continue;
      const lines = { startLine: lineOf(text, range[0]), endLine: lineOf(text, Math.max(range[0], range[2] - 1)) };
      if (obj.kind === 'Secret') k8s.secrets.push({ name, path, ...lines });
      const kind = K8S_KINDS[obj.kind];
      if (!kind) continue;
      const sa = findKey(obj, 'serviceAccountName');
      const account = typeof sa === 'string' ? { serviceAccount: sa } : {};
      out.push({ workload: { kind, name, path, via: 'literal', ...account }, ...lines });
      const refs = new Set<string>();
      secretRefs(obj, refs);
      for (const r of refs) {
        const list = k8s.references.get(r) ?? [];
        list.push({ kind, name, path, via: `secret ${r}`, ...account });
        k8s.references.set(r, list);
      }
    }
  } else if (/\.tf$/.test(path)) {
    // resource "type" "name" { ... } and provider "name" { ... }: the block runs to its matching brace.
    const re = /^[ \t]*(resource|provider|module)[ \t]+"([^"]+)"(?:[ \t]+"([^"]+)")?[ \t]*\{/gm;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) {
      let depth = 0;
      let end = m.index + m[0].length - 1;
      for (; end < text.length; end++) {
        if (text[end] === '{') depth++;
        else if (text[end] === '}' && --depth === 0) break;
      }
      const name = m[1] === 'resource' ? `${m[2]}.${m[3] ?? ''}` : `${m[1]}.${m[2]}`;
      out.push({ workload: { kind: 'terraform-resource', name, path, via: 'literal' }, startLine: lineOf(text, m.index), endLine: lineOf(text, end) });
    }
  } else if (/^Dockerfile(?:\.[\w-]+)?$|\.dockerfile$/i.test(base)) {
    const image = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '.';
    const lines = text.split('\n');
    lines.forEach((l, i) => {
      if (/^\s*(?:ENV|ARG)\s/i.test(l)) out.push({ workload: { kind: 'dockerfile-image', name: `${image} (${path})`, path, via: 'literal' }, startLine: i + 1, endLine: i + 1 });
    });
  }
  return out;
}

/**
 * Joins the index: a finding inside a Kubernetes Secret reaches every workload that references that
 * Secret, and a value assigned to a variable reaches every CI job that reads the variable, in any file
 * scanned. Then lists each secret's workloads once.
 */
export function applyWorkloads(secrets: Secret[], findingsById: Map<string, Finding>, k8s: WorkloadIndex): void {
  const heirs = gitlabHeirs(k8s);
  const gitlabFiles = new Map<string, GitlabJob[]>();
  for (const j of k8s.gitlabJobs.values()) gitlabFiles.set(`${j.repo}\0${j.path}`, [...(gitlabFiles.get(`${j.repo}\0${j.path}`) ?? []), j]);
  for (const f of findingsById.values()) {
    if (f.ci?.system === 'gitlab-ci') {
      const inFile = (gitlabFiles.get(`${f.repo}\0${f.path}`) ?? []).filter((j) => f.line >= j.startLine && f.line <= j.endLine);
      const known = new Set((f.workloads ?? []).map((w) => `${w.kind}\0${w.name}\0${w.path}`));
      for (const j of inFile) {
        for (const h of heirs.get(`${j.repo}\0${j.name}`) ?? []) {
          const w: Workload = { kind: 'gitlab-ci-job', name: h.name, path: h.path, via: `extends ${j.name}` };
          const key = `${w.kind}\0${w.name}\0${w.path}`;
          if (known.has(key)) continue;
          known.add(key);
          f.workloads = [...(f.workloads ?? []), w];
        }
      }
    }
    const readers = f.variable ? k8s.variableReads.get(f.variable) ?? [] : [];
    // A job reading the variable uses the value, unless the value sits in that very job already.
    const others = readers.filter((w) => !(f.workloads ?? []).some((x) => x.kind === w.kind && x.name === w.name && x.path === w.path));
    if (others.length > 0) f.workloads = [...(f.workloads ?? []), ...others];
    for (const s of k8s.secrets) {
      if (s.path !== f.path || f.line < s.startLine || f.line > s.endLine) continue;
      const users = k8s.references.get(s.name) ?? [];
      if (users.length > 0) f.workloads = [...(f.workloads ?? []), ...users];
    }
  }
  for (const s of secrets) s.workloads = workloadsOfSecret(s, findingsById);
}

/**
 * `repo\0name` → the runnable GitLab jobs of that repository that take the named job's or template's
 * configuration, directly or through a chain, in any of its files (`.gitlab-ci.yml` extending a template
 * of a file it includes).
 */
function gitlabHeirs(index: WorkloadIndex): Map<string, GitlabJob[]> {
  const byName = new Map<string, GitlabJob[]>();
  for (const j of index.gitlabJobs.values()) {
    const key = `${j.repo}\0${j.name}`;
    byName.set(key, [...(byName.get(key) ?? []), j]);
  }
  const out = new Map<string, GitlabJob[]>();
  const runnable = new Map<string, GitlabJob>();
  for (const j of index.gitlabJobs.values()) if (!j.template && j.inherits.length > 0) runnable.set(`${j.repo}\0${j.path}\0${j.name}`, j);
  for (const j of runnable.values()) {
    const parents = (n: string): string[] => (byName.get(`${j.repo}\0${n}`) ?? []).flatMap((base) => base.inherits);
    for (const name of ancestors(j.name, j.inherits, parents)) {
      const key = `${j.repo}\0${name}`;
      out.set(key, [...(out.get(key) ?? []), j]);
    }
  }
  return out;
}

/** A secret's workloads: those of its findings, each once. */
export function workloadsOfSecret(s: Secret, findingsById: Map<string, Finding>): Workload[] {
  const seen = new Map<string, Workload>();
  for (const id of s.findingIds) {
    for (const w of findingsById.get(id)?.workloads ?? []) {
      const key = `${w.kind}\0${w.name}\0${w.path}`;
      if (!seen.has(key)) seen.set(key, w as Workload);
    }
  }
  return [...seen.values()];
}

import type { CiPipeline, CiStep, CiVariable } from '../ci/model.js';
import type { Confidence } from '../core/types.js';
import { isSecretName } from './ci-secrets.js';
import { commandWord, printsToLog, referencesIn, shellCommands, type Reference, type ShellCommand } from './shell.js';

/**
 * Run steps that print a secret-bearing variable into the build log: `echo $TOKEN`,
 * `echo "${{ secrets.X }}"`, any reference to one while `set -x` traces the shell (in the step, or in an
 * earlier script of the same shell: GitLab's `before_script`), and environment dumps (`printenv`, bare
 * `env`). Offsets are UTF-16 indices into the CI file's text.
 */
export interface PrintedSecret {
  /** What points at the leak: the reference, or the dumping command's name. */
  start: number;
  end: number;
  /** The command around it, shown as the finding's `match`. */
  commandStart: number;
  commandEnd: number;
  /** `ci-variable:<system>:<name>`: keyed with the repository into the secretId, so every step that prints
   * the same stored secret is one secret to rotate. */
  identity: string;
  /** The variable as the step reads it (`$DEPLOY_TOKEN`, `${{ secrets.NPM_TOKEN }}`), or `all CI/CD variables`. */
  reference: string;
  /** What the secret is called where it is stored: `secrets.NPM_TOKEN`, `$DEPLOY_TOKEN`, `all CI/CD variables`. */
  stored: string;
  /** The bare variable name, to join with the jobs that read it; absent for a dump of every variable. */
  name?: string;
  /** `echo`, `set -x at line N`, `printenv`, `env`. */
  how: string;
  confidence: Confidence;
}

/** Commands that print their arguments (Jenkins' own `echo`/`println` steps too). */
const PRINTERS = new Set(['echo', 'printf', 'write-host', 'write-output', 'println']);

/** Workflow commands that runners consume instead of printing: masking, outputs, secret variables. */
const RUNNER_COMMAND = /::(?:add-mask|set-output|save-state|set-env|add-path|stop-commands)\b|##vso\[task\.(?:setvariable|setsecret|setendpoint|prependpath)/;

/** Systems that put every project-level secret variable into each job's environment (GitHub and Azure
 * map secrets explicitly; Jenkins binds credentials in `withCredentials`/`environment`). */
const INJECTS_PROJECT_VARIABLES = new Set(['gitlab-ci', 'circleci', 'travis', 'bitbucket-pipelines']);

/** Variables CI systems set that hold credentials. */
const BUILTIN_SECRETS = new Set([
  'CI_JOB_TOKEN', 'CI_JOB_JWT', 'CI_JOB_JWT_V1', 'CI_JOB_JWT_V2', 'CI_REGISTRY_PASSWORD', 'CI_DEPLOY_PASSWORD',
  'CI_DEPENDENCY_PROXY_PASSWORD', 'GITHUB_TOKEN', 'ACTIONS_RUNTIME_TOKEN', 'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
  'SYSTEM_ACCESSTOKEN', 'BITBUCKET_STEP_OIDC_TOKEN', 'CIRCLE_OIDC_TOKEN',
]);

/** Variable blocks that do not reach a step's shell: service containers, a reusable workflow's secrets, deploy
 * settings, inputs and parameters (read as `${{ inputs.x }}` or `<< parameters.x >>`, not as variables). */
const OUTSIDE_STEP_ENV = new Set(['services', 'secrets', 'deploy', 'with', 'inputs', 'parameters']);

interface Scope {
  ci: CiPipeline;
  vars: CiVariable[];
}

type Secret = Pick<PrintedSecret, 'identity' | 'name' | 'stored'>;

export function printedSecrets(text: string, ci: CiPipeline): PrintedSecret[] {
  const out = new Map<string, PrintedSecret>();
  for (const job of ci.jobs) {
    const shells = new Map<number, CiStep[]>();
    for (const step of job.steps) shells.set(step.shell, [...(shells.get(step.shell) ?? []), step]);
    for (const steps of shells.values()) {
      let tracing: number | null = null;
      for (const step of steps) {
        const scope: Scope = { ci, vars: [...step.variables, ...job.variables, ...ci.variables].filter((v) => !OUTSIDE_STEP_ENV.has(v.block)) };
        for (const r of step.scripts) tracing = scanScript(text, r, scope, tracing, out);
      }
    }
  }
  return [...out.values()].sort((a, b) => a.start - b.start);
}

/** One script: what its commands print. Returns whether `set -x` is on at its end (the line it was set at). */
function scanScript(text: string, r: { start: number; end: number }, scope: Scope, tracing: number | null, out: Map<string, PrintedSecret>): number | null {
  const cmds = shellCommands(text, r.start, r.end);
  const azure = scope.ci.system === 'azure-pipelines';
  const add = (p: Omit<PrintedSecret, 'commandStart' | 'commandEnd'>, cmd: ShellCommand): void => {
    const key = `${p.start}\0${p.identity}`;
    if (!out.has(key)) out.set(key, { ...p, commandStart: cmd.start + leadingSpace(text, cmd), commandEnd: cmd.end });
  };
  cmds.forEach((cmd, i) => {
    const { word, args } = commandWord(text, cmd);
    if (word === 'set') tracing = traceSwitch(text.slice(args, cmd.end), tracing, lineAt(text, cmd.start + leadingSpace(text, cmd)));
    if (PRINTERS.has(word) && !RUNNER_COMMAND.test(text.slice(args, cmd.end)) && printsToLog(text, cmd, nextWord(text, cmds, i))) {
      for (const ref of referencesIn(text, args, cmd.end, cmd, azure)) {
        // Inside `$( )` the output is captured; an Azure macro `$(X)` is itself such a range, and is printed.
        if (cmd.substituted.some(([a, b]) => ref.start >= a && ref.start < b && !(a === ref.start && b === ref.end))) continue;
        const s = secretOf(ref, scope);
        if (s) add({ ...s, start: ref.start, end: ref.end, reference: text.slice(ref.start, ref.end), how: 'echo', confidence: 'medium' }, cmd);
      }
    }
    const dumped = dump(text, word, args, cmd, scope);
    if (dumped && pipelineReachesLog(text, cmds, i)) {
      for (const d of dumped) add({ ...d, start: args - word.length, end: args, how: word, confidence: d.name === undefined ? 'low' : 'medium' }, cmd);
    }
    if (tracing !== null && word !== 'set') {
      for (const ref of referencesIn(text, cmd.start, cmd.end, cmd, azure)) {
        const s = secretOf(ref, scope);
        if (s) add({ ...s, start: ref.start, end: ref.end, reference: text.slice(ref.start, ref.end), how: `set -x at line ${tracing}`, confidence: 'medium' }, cmd);
      }
    }
  });
  return tracing;
}

function leadingSpace(text: string, cmd: ShellCommand): number {
  return /^\s*/.exec(text.slice(cmd.start, cmd.end))![0].length;
}

/** A dump piped on (`env | sort`, `printenv | grep AWS_`) still reaches the log, unless the pipeline ends
 * in a file or in a command that prints no line of it (`wc`, `grep -q`). */
function pipelineReachesLog(text: string, cmds: ShellCommand[], i: number): boolean {
  let j = i;
  while (cmds[j]!.next === '|' && cmds[j + 1]) j++;
  const last = cmds[j]!;
  const { word, args } = commandWord(text, last);
  if (j > i && (word === 'wc' || (word === 'grep' && /(?:^|\s)-(?:[a-zA-Z]*[qcl][a-zA-Z]*|-quiet|-count)\b/.test(text.slice(args, last.end))))) return false;
  return printsToLog(text, { ...last, next: '' }, undefined);
}

function nextWord(text: string, cmds: ShellCommand[], i: number): string | undefined {
  const next = cmds[i + 1];
  return next ? commandWord(text, next).word : undefined;
}

function lineAt(text: string, offset: number): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** `set -x`, `set -eux`, `set -euxo pipefail`, `set -o xtrace` turn tracing on (remembering the line);
 * `set +x` turns it off. */
function traceSwitch(args: string, tracing: number | null, line: number): number | null {
  const words = args.trim().split(/\s+/);
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === '--') break;
    const named = /^[-+][a-zA-Z]*o$/.test(w) ? words[++i] : undefined;
    const on = w.startsWith('-') ? true : w.startsWith('+') ? false : null;
    if (on === null) continue;
    if (/x/.test(w.replace(/o$/, '')) || named === 'xtrace') tracing = on ? (tracing ?? line) : null;
  }
  return tracing;
}

/** `printenv`, `printenv NAME...`, bare `env`, `export -p`, PowerShell `Get-ChildItem env:`: the variables printed. */
function dump(text: string, word: string, args: number, cmd: ShellCommand, scope: Scope): Array<Secret & { reference: string }> | null {
  const rest = text.slice(args, cmd.end).trim();
  const all = (): Array<Secret & { reference: string }> => {
    const seen = new Map<string, Secret & { reference: string }>();
    for (const v of scope.vars) {
      const s = variableSecret(v.name, scope);
      if (s && !seen.has(s.identity)) seen.set(s.identity, { ...s, reference: `$${v.name}` });
    }
    const { system } = scope.ci;
    if (INJECTS_PROJECT_VARIABLES.has(system)) seen.set('*', { identity: `ci-variable:${system}:*`, reference: 'all CI/CD variables', stored: 'all CI/CD variables' });
    return [...seen.values()];
  };
  if (word === 'printenv') {
    if (rest === '' || /^-/.test(rest)) return all();
    return rest.split(/\s+/).flatMap((n) => {
      const s = /^[A-Za-z_]\w*$/.test(n) ? variableSecret(n, scope) : null;
      return s ? [{ ...s, reference: `$${n}` }] : [];
    });
  }
  if (word === 'env' && /^(?:-0|--null|-i)?$/.test(rest)) return all();
  if (word === 'export' && rest === '-p') return all();
  if (/^(?:get-childitem|gci|dir|ls)$/.test(word) && /^env:\\?$/i.test(rest)) return all();
  return null;
}

/** Whether a reference reads a secret: a GitHub `secrets.X` (or `github.token`), or a variable that is one. */
function secretOf(ref: Reference, scope: Scope): Secret | null {
  if (ref.kind === 'expression' && scope.ci.system === 'github-actions') {
    const secret = /^secrets\.([\w-]+)$|^secrets\[['"]([\w-]+)['"]\]$/.exec(ref.name);
    if (secret) return store(scope, secret[1] ?? secret[2]!);
    if (ref.name === 'github.token') return store(scope, 'GITHUB_TOKEN');
    const env = /^env\.(\w+)$/.exec(ref.name);
    if (env) return variableSecret(env[1]!, scope);
    // `steps.app-token.outputs.token`, `inputs.password`: a value named like a secret. `vars.*` are
    // configuration variables, plain text by design.
    const path = /^(?!vars\.)[\w-]+(?:\.[\w-]+)+$/.test(ref.name) ? ref.name.split('.') : null;
    return path && isSecretName(path.at(-1)!) ? { identity: `ci-variable:${scope.ci.system}:${ref.name}`, stored: ref.name } : null;
  }
  return variableSecret(ref.name, scope);
}

function store(scope: Scope, name: string): Secret {
  return { identity: `ci-variable:${scope.ci.system}:secrets.${name}`, name, stored: `secrets.${name}` };
}

/**
 * A variable that holds a secret: bound to the secret store in scope (`${{ secrets.X }}`, Jenkins
 * `credentials()` and `withCredentials`), a credential the CI system sets, or named like one.
 */
function variableSecret(name: string, scope: Scope): Secret | null {
  const own = (n: string): CiVariable | undefined => scope.vars.find((v) => v.name === n);
  const v = own(name);
  const plain = { identity: `ci-variable:${scope.ci.system}:${name}`, name, stored: `$${name}` };
  if (v?.block === 'withCredentials') return plain;
  const value = v?.value ?? '';
  const stored = /^\$\{\{\s*secrets\.([\w-]+)\s*\}\}$/.exec(value.trim());
  if (stored) return store(scope, stored[1]!);
  if (/\$\{\{\s*(?:secrets\.|github\.token)|\bcredentials\s*\(/.test(value)) return plain;
  // Jenkins: `X = credentials('id')` also sets X_USR and X_PSW.
  const base = /^(\w+)_PSW$/.exec(name);
  if (base && /\bcredentials\s*\(/.test(own(base[1]!)?.value ?? '')) return plain;
  const normalized = name.replace(/\./g, '_').toUpperCase();
  return isSecretName(name) || BUILTIN_SECRETS.has(normalized) ? plain : null;
}

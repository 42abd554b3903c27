import { contentOf, lexGroovy, matching, type GroovyText } from './groovy.js';
import { lineCounter, type CiJob, type CiPipeline, type CiVariable } from './model.js';

/**
 * A Jenkinsfile, declarative or scripted, read best-effort by its block syntax: `stage('x') { ... }` blocks
 * are the jobs (the innermost holds a line); `environment { NAME = value }` blocks and `withEnv([...])`
 * give variables, `withCredentials([...])` binds variables to stored credentials; `sh`, `bat`,
 * `powershell` and `pwsh` steps (a string, or `script:` among named arguments) are the steps.
 * https://www.jenkins.io/doc/book/pipeline/syntax/
 */
export function parseJenkins(text: string): CiPipeline {
  const g = lexGroovy(text);
  const line = lineCounter(text);
  const stages = blocks(g, /\bstage\s*\(\s*/g, true).map(({ name, open, close }) => ({ name: name!, open, close }));
  const jobs: CiJob[] = stages.map((s) => ({ name: s.name, template: false, startLine: line(s.open), endLine: line(s.close), variables: [], steps: [] }));
  // Steps and variables outside every stage (scripted pipelines, the pipeline's own environment).
  const outside: CiJob = { name: null, template: false, startLine: 1, endLine: line(text.length), variables: [], steps: [] };
  const owner = (at: number): CiJob => {
    let best = -1;
    stages.forEach((s, i) => {
      if (at > s.open && at < s.close && (best === -1 || s.close - s.open < stages[best]!.close - stages[best]!.open)) best = i;
    });
    return best === -1 ? outside : jobs[best]!;
  };
  const envBlocks = blocks(g, /\benvironment\s*/g, false);
  for (const env of envBlocks) owner(env.open).variables.push(...environment(g, env.open, env.close));
  for (const call of calls(g, /\bwithEnv\s*\(/g)) owner(call.open).variables.push(...withEnv(g, call.open, call.close));
  for (const call of calls(g, /\bwithCredentials\s*\(/g)) owner(call.open).variables.push(...bindings(text.slice(call.open, call.close)));
  for (const step of shellSteps(g)) {
    const job = owner(step.at);
    job.steps.push({ name: step.label ?? `step ${job.steps.length + 1}`, startLine: line(step.at), endLine: line(step.end), variables: [], scripts: [step.script], shell: step.at });
  }
  const variables = outside.variables;
  outside.variables = [];
  return {
    system: 'jenkins',
    variables,
    globalBlocks: envBlocks.filter((b) => owner(b.open) === outside).map((b) => ({ label: 'pipeline environment', startLine: line(b.open), endLine: line(b.close) })),
    jobs: outside.steps.length > 0 ? [...jobs, outside] : jobs,
    includes: [],
  };
}

/** `keyword { ... }` (or `stage('name') { ... }` when `named`): the block's braces and the name. */
function blocks(g: GroovyText, re: RegExp, named: boolean): Array<{ name?: string; open: number; close: number }> {
  const out: Array<{ name?: string; open: number; close: number }> = [];
  for (const m of g.code.matchAll(re)) {
    let at = m.index! + m[0].length;
    let name: string | undefined;
    if (named) {
      const s = g.strings.get(at);
      const paren = s ? g.code.indexOf(')', s.close) : -1;
      if (!s || paren === -1) continue;
      name = contentOf(g, s);
      at = paren + 1;
    }
    const brace = /^\s*\{/.exec(g.code.slice(at, at + 200));
    if (!brace) continue;
    const open = at + brace[0].length - 1;
    out.push({ name, open, close: matching(g.code, open) });
  }
  return out;
}

/** `name(` ... `)`: the call's parentheses. */
function calls(g: GroovyText, re: RegExp): Array<{ open: number; close: number }> {
  return [...g.code.matchAll(re)].map((m) => {
    const open = m.index! + m[0].length - 1;
    return { open, close: matching(g.code, open) };
  });
}

/** `NAME = 'literal'`, `NAME = "${...}"`, `NAME = credentials('id')` lines of an `environment {}` block. */
function environment(g: GroovyText, open: number, close: number): CiVariable[] {
  const out: CiVariable[] = [];
  const body = g.code.slice(open + 1, close);
  for (const m of body.matchAll(/^[ \t]*([A-Za-z_]\w*)[ \t]*=[ \t]*/gm)) {
    const at = open + 1 + m.index! + m[0].length;
    const s = g.strings.get(at);
    if (s) out.push({ name: m[1]!, value: contentOf(g, s), start: s.start, end: s.end, block: 'environment' });
    else {
      // The code view has comments blanked: `NAME = credentials('id') // note` ends before the note.
      const eol = g.code.indexOf('\n', at);
      const end = at + g.code.slice(at, eol === -1 || eol > close ? close : eol).trimEnd().length;
      out.push({ name: m[1]!, value: g.text.slice(at, end), start: at, end, block: 'environment' });
    }
  }
  return out;
}

/** `withEnv(['NAME=value', ...])`: each string is one assignment. */
function withEnv(g: GroovyText, open: number, close: number): CiVariable[] {
  const out: CiVariable[] = [];
  for (const s of g.strings.values()) {
    if (s.open < open || s.open > close) continue;
    const m = /^([A-Za-z_]\w*)=/.exec(contentOf(g, s));
    if (m) out.push({ name: m[1]!, value: g.text.slice(s.start + m[0].length, s.end), start: s.start + m[0].length, end: s.end, block: 'withEnv' });
  }
  return out;
}

/**
 * Variables `withCredentials` binds to stored credentials: `string(variable:)`, `usernamePassword(
 * passwordVariable:)`, `usernameColonPassword(variable:)`, `sshUserPrivateKey(passphraseVariable:)`, ...
 * A username, a certificate alias, or the path of a file holding the secret (`file(variable:)`,
 * `keyFileVariable:`) is not secret: printing it leaks nothing.
 */
function bindings(args: string): CiVariable[] {
  const out: CiVariable[] = [];
  for (const call of args.matchAll(/\b(\w+)\s*\(([^()]*)\)/g)) {
    if (call[1] === 'file' || call[1] === 'dockerCert') continue;
    for (const m of call[2]!.matchAll(/\b(\w*)[vV]ariable\s*:\s*['"](\w+)['"]/g)) {
      if (m[1] === 'username' || m[1] === 'alias' || m[1] === 'keyFile' || m[1] === 'keystore') continue;
      out.push({ name: m[2]!, value: null, start: -1, end: -1, block: 'withCredentials' });
    }
  }
  return out;
}

/**
 * `sh 'cmd'`, `sh """..."""`, `sh(script: '...', label: '...')`, `bat`, `powershell`, `pwsh`: the script is
 * the string. Jenkins' own `echo`/`println` steps print to the log too: their script is the whole call
 * (`echo "token ${TOKEN}"`), which reads as the shell command it behaves like (a Groovy single-quoted
 * string does not interpolate, like a shell one).
 */
function shellSteps(g: GroovyText): Array<{ at: number; end: number; script: { start: number; end: number }; label?: string }> {
  const out: Array<{ at: number; end: number; script: { start: number; end: number }; label?: string }> = [];
  for (const m of g.code.matchAll(/(?<![.\w$])(sh|bat|powershell|pwsh|echo|println)\b[ \t]*(\()?[ \t]*/g)) {
    const at = m.index!;
    const from = at + m[0].length;
    let script = g.strings.get(from);
    let label: string | undefined;
    if (!script) {
      const end = m[2] ? matching(g.code, at + m[0].indexOf('(')) : argumentsEnd(g.code, from);
      const named = (key: string) => {
        const k = new RegExp(`\\b${key}\\s*:\\s*`, 'g');
        k.lastIndex = from;
        const hit = k.exec(g.code);
        return hit && hit.index < end ? g.strings.get(hit.index + hit[0].length) : undefined;
      };
      script = named('script');
      const l = named('label');
      if (l) label = contentOf(g, l);
    }
    const printed = m[1] === 'echo' || m[1] === 'println';
    if (script) out.push({ at, end: script.close, script: printed ? { start: at, end: script.close } : { start: script.start, end: script.end }, label });
  }
  return out;
}

/** Named arguments without parentheses run to the end of the line, and on while a line ends with a comma. */
function argumentsEnd(code: string, from: number): number {
  let at = from;
  for (;;) {
    const eol = code.indexOf('\n', at);
    if (eol === -1) return code.length;
    if (!/,\s*$/.test(code.slice(at, eol))) return eol;
    at = eol + 1;
  }
}

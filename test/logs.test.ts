import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { formatMarkdown } from '../src/report/markdown.js';
import { formatText } from '../src/report/text.js';
import { scan } from '../src/scan.js';
import { cleanLog } from '../src/sources/logs/clean.js';
import { addLines, blankCopiedLines, isRunLogZip } from '../src/sources/logs/run-log.js';
import { ghLine, githubRunLog } from './helpers/ci-logs.js';
import { sprawl } from './helpers/cli.js';
import { makeRepo } from './helpers/git.js';
import { tempTree } from './helpers/tmp.js';
import { fakeChecksummedToken } from './helpers/tokens.js';
import { makeZip } from './helpers/zip.js';

const leaked = fakeChecksummedToken('ghp', 'log-leak');
const other = fakeChecksummedToken('ghp', 'log-other');

/** Line and column (from 1) of `needle` in `text`, counted in the original text. */
function placeOf(text: string, needle: string): { line: number; column: number } {
  const at = text.indexOf(needle);
  const before = text.slice(0, at).split('\n');
  return { line: before.length, column: before.at(-1)!.length + 1 };
}

/** A GitLab job trace: sections (one nested), ANSI colours, a masked variable and a leaked token. */
function gitlabTrace(token: string): string {
  return [
    'Running with gitlab-runner 16.5.0 (853330f9)',
    'section_start:1700000000:prepare_executor\r\x1b[0K\x1b[0K\x1b[36;1mPreparing the "docker" executor\x1b[0;m',
    'Using Docker executor with image node:20 ...',
    'section_end:1700000001:prepare_executor\r\x1b[0K',
    'section_start:1700000002:step_script\r\x1b[0K\x1b[0K\x1b[36;1mExecuting "step_script" stage of the job script\x1b[0;m',
    '\x1b[32;1m$ echo "registry password is $REGISTRY_PASSWORD"\x1b[0;m',
    'registry password is [MASKED]',
    'section_start:1700000003:debug_env[collapsed=true]\r\x1b[0K\x1b[0K\x1b[36;1mdebug\x1b[0;m',
    `NPM_TOKEN=\x1b[1m${token}\x1b[0m`,
    'section_end:1700000004:debug_env\r\x1b[0K',
    'Job succeeded after the debug section',
    'section_end:1700000005:step_script\r\x1b[0K',
    '',
  ].join('\n');
}

describe('cleaning a CI log', () => {
  it('blanks timestamps, ANSI escapes, section markers and masks without moving a byte', () => {
    const raw = Buffer.from(ghLine(1, '\x1b[32mok\x1b[0m *** and [MASKED] but not **** bold\n') + gitlabTrace(leaked));
    const c = cleanLog(raw);
    expect(c.data.length).toBe(raw.length);
    const text = c.data.toString('utf8');
    expect(text).not.toMatch(/\x1b|2024-01-02T|section_(?:start|end)|\[MASKED\]|(?<!\*)\*\*\*(?!\*)/);
    expect(text).toContain('**** bold');
    expect(c.masked).toBe(3);
    // Every newline is where it was: line numbers hold.
    expect([...text].map((ch, i) => (ch === '\n' ? i : -1)).filter((i) => i >= 0)).toEqual([...raw.toString('utf8')].map((ch, i) => (ch === '\n' ? i : -1)).filter((i) => i >= 0));
  });

  it('keeps the byte-order mark GitHub writes, and blanks the timestamp after it', () => {
    const raw = Buffer.from(`\ufeff${ghLine(0, 'hello')}\n${ghLine(1, 'world')}`);
    expect(cleanLog(raw).data.toString('utf8')).toBe(`\ufeff${' '.repeat(29)}hello\n${' '.repeat(29)}world`);
  });

  it('reads GitLab sections (nested) and GitHub step headers as steps', () => {
    const gl = cleanLog(Buffer.from(gitlabTrace(leaked)));
    expect(gl.system).toBe('gitlab-ci');
    expect(gl.steps.map((s) => s.step)).toEqual(['prepare_executor', null, 'step_script', 'debug_env', 'step_script', null]);
    const gh = cleanLog(Buffer.from([ghLine(0, 'Setting up'), ghLine(1, '##[group]Run make test'), ghLine(1, '##[endgroup]'), ghLine(2, 'output'), ghLine(3, 'Post job cleanup.')].join('\n')));
    expect(gh.system).toBe('github-actions');
    expect(gh.steps.map((s) => s.step)).toEqual(['Run make test', 'Post job cleanup']);
  });

  it('blanks the lines of a job file that its step files repeat, byte-order marks aside', () => {
    const { steps, job } = githubRunLog(leaked);
    const copied = new Set<string>();
    for (const c of Object.values(steps)) addLines(copied, Buffer.from(c));
    const left = blankCopiedLines(Buffer.from(job), copied).toString('utf8');
    expect(left.length).toBe(job.length);
    expect(left.replace(/[ \n]/g, '')).toBe('\ufeff');
  });

  it('recognises a run-log zip by its entry names', () => {
    expect(isRunLogZip(['0_build.txt', 'build/', 'build/1_Set up job.txt', 'build/2_Run make.txt'])).toBe(true);
    expect(isRunLogZip(['0_build.txt', '1_test (ubuntu-latest, 20).txt'])).toBe(true);
    expect(isRunLogZip(['README.txt', 'build/1_x.txt'])).toBe(false);
    expect(isRunLogZip(['0_build.txt', 'build/sub/1_x.txt'])).toBe(false);
    expect(isRunLogZip(['0_build.txt', 'app.js'])).toBe(false);
  });
});

describe('GitHub Actions run-log zips', () => {
  it('reports the leaked token once, at its place in the original step file, with job and step; counts the masked one', async () => {
    const dir = tempTree({});
    const { zip, steps } = githubRunLog(`\x1b[1m${leaked}\x1b[0m`);
    writeFileSync(join(dir, 'run-logs.zip'), zip);
    const report = await scan({ targets: [join(dir, 'run-logs.zip')] });
    // The job file repeats its step files: the value is found once, in the step file naming its step.
    expect(report.findings).toHaveLength(1);
    const f = report.findings[0]!;
    expect(f).toMatchObject({ source: 'log', path: 'run-logs.zip!deploy/2_Deploy.txt', ruleId: 'github.pat-classic', ...placeOf(steps['2_Deploy.txt']!, leaked) });
    expect(f.ci).toEqual({ system: 'github-actions', workflow: 'run-logs.zip', job: 'deploy', step: 'Deploy' });
    expect(report.scan.stats.skipped['masked-in-log']).toBe(1);
    expect(JSON.stringify(report)).not.toContain(leaked);
  });

  it('scans a job file with no step files whole, with steps from its ##[group] headers', async () => {
    const { job } = githubRunLog(leaked);
    const dir = tempTree({ 'logs/0_deploy.txt': job });
    const report = await scan({ targets: [join(dir, 'logs')] });
    expect(report.findings.map((f) => [f.path, f.line, f.column, f.ci?.job, f.ci?.step])).toEqual([['0_deploy.txt', placeOf(job, leaked).line, placeOf(job, leaked).column, 'deploy', 'Run ./deploy.sh']]);
  });

  it('reads an extracted run-log folder like the zip', async () => {
    const { steps, job } = githubRunLog(leaked);
    const dir = tempTree({ 'run/0_deploy.txt': job, ...Object.fromEntries(Object.entries(steps).map(([n, c]) => [`run/deploy/${n}`, c])) });
    const report = await scan({ targets: [join(dir, 'run')] });
    expect(report.findings.map((f) => [f.path, f.ci?.job, f.ci?.step])).toEqual([['deploy/2_Deploy.txt', 'deploy', 'Deploy']]);
    expect(report.scan.stats.skipped['masked-in-log']).toBe(1);
  });
});

describe('plain logs and GitLab traces', () => {
  it('reads a GitLab trace: column in the original, job from the file name, step from the innermost section', async () => {
    const trace = gitlabTrace(leaked);
    const dir = tempTree({ 'logs/deploy.log': trace });
    const report = await scan({ targets: [join(dir, 'logs')] });
    expect(report.findings.map((f) => ({ path: f.path, line: f.line, column: f.column, ci: f.ci }))).toEqual([
      { path: 'deploy.log', ...placeOf(trace, leaked), ci: { system: 'gitlab-ci', workflow: 'deploy.log', job: 'deploy', step: 'debug_env' } },
    ]);
    expect(report.scan.stats.skipped['masked-in-log']).toBe(1);
  });

  it('treats *.log files and an explicit CI-looking text file as logs, other .txt files as files', async () => {
    const line = ghLine(5, `\x1b[31m${leaked}\x1b[0m\n`);
    const dir = tempTree({ 'a/build.log': line, 'a/notes.txt': line, 'b/console.txt': line });
    const folder = await scan({ targets: [join(dir, 'a')] });
    // In notes.txt the escape's `m` touches the token: without cleaning, the rule's \b does not hold.
    expect(folder.findings.map((f) => [f.path, f.source])).toEqual([['build.log', 'log']]);
    const explicit = await scan({ targets: [join(dir, 'b/console.txt')] });
    expect(explicit.findings.map((f) => [f.path, f.source, f.column])).toEqual([['console.txt', 'log', placeOf(line, leaked).column]]);
  });

  it('reads a CI log piped to standard input', async () => {
    const trace = gitlabTrace(leaked);
    const report = await scan({ targets: ['-'], stdin: Readable.from([Buffer.from(trace)]) });
    expect(report.findings.map((f) => ({ path: f.path, source: f.source, line: f.line, column: f.column, ci: f.ci }))).toEqual([
      { path: '-', source: 'log', ...placeOf(trace, leaked), ci: { system: 'gitlab-ci', workflow: '-', job: null, step: 'debug_env' } },
    ]);
  });
});

describe('link back from a log to its config job', () => {
  it('names the GitHub Actions job that printed the secret when the repository and its logs are scanned together', async () => {
    const repo = tempTree({
      '.github/workflows/deploy.yml': 'on: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      - run: ./deploy.sh\n        env:\n          DEPLOY_TOKEN: ${{ secrets.DEPLOY_TOKEN }}\n',
      '.gitlab-ci.yml': 'stages: [deploy]\ndeploy:\n  stage: deploy\n  script: [./deploy.sh]\n',
    });
    const logs = tempTree({ 'run-logs.zip': githubRunLog(leaked).zip });
    const report = await scan({ targets: [repo, logs] });
    const f = report.findings[0]!;
    expect(f.workloads).toEqual([{ kind: 'github-actions-job', name: 'deploy', path: '.github/workflows/deploy.yml', via: 'log' }]);
    expect(report.secrets[0]!.workloads).toEqual(f.workloads);
    const text = formatText(report, { color: false });
    expect(text).toContain('printed by: github-actions job deploy, step Deploy');
    expect(text).toContain('workload: github-actions-job deploy (.github/workflows/deploy.yml, log)');
    const md = formatMarkdown(report);
    expect(md).toContain('printed by job `deploy`, step `Deploy`');
    expect(md).toContain('- github-actions-job `deploy` (.github/workflows/deploy.yml) — printed it in its log');
  });

  it('works from the CLI with a git repository and a run-log zip given as two targets', () => {
    const repo = makeRepo();
    repo.commit('ci', { '.github/workflows/release.yml': 'on: push\njobs:\n  deploy:\n    name: deploy\n    runs-on: ubuntu-latest\n    steps: [{run: ./deploy.sh}]\n' }, '2024-01-01T00:00:00Z');
    const logs = tempTree({ 'run-logs.zip': githubRunLog(leaked).zip });
    const r = sprawl(['scan', repo.dir, join(logs, 'run-logs.zip')]);
    expect(r.code).toBe(1);
    const { line, column } = placeOf(githubRunLog(leaked).steps['2_Deploy.txt']!, leaked);
    expect(r.stdout).toContain(`run-logs.zip!deploy/2_Deploy.txt:${line}:${column}`);
    expect(r.stdout).toContain('printed by: github-actions job deploy, step Deploy');
    expect(r.stdout).toContain('workload: github-actions-job deploy (.github/workflows/release.yml, log)');
    expect(r.stdout).toContain('masked-in-log 1');
    expect(r.stdout).not.toContain(leaked);
  });

  it('links a matrix job and a GitLab trace by name, and nothing when no config job has the name', async () => {
    const repo = tempTree({
      '.github/workflows/ci.yml': 'on: push\njobs:\n  test:\n    name: Unit tests\n    strategy: {matrix: {node: [18, 20]}}\n    runs-on: ubuntu-latest\n    steps: [{run: npm test}]\n',
      '.gitlab-ci.yml': 'deploy:\n  script: [./deploy.sh]\n',
      'logs/run.zip': makeZip({ '0_Unit tests (18).txt': ghLine(1, `token ${leaked}\n`), '1_lint.txt': ghLine(1, `token ${other}\n`) }),
      'logs/deploy.log': gitlabTrace(fakeChecksummedToken('ghp', 'gl')),
    });
    const report = await scan({ targets: [repo] });
    const byJob = Object.fromEntries(report.findings.map((f) => [f.ci!.job, (f.workloads ?? []).map((w) => `${w.kind} ${w.name}`)]));
    expect(byJob).toEqual({ 'Unit tests (18)': ['github-actions-job test'], lint: [], deploy: ['gitlab-ci-job deploy'] });
  });
});

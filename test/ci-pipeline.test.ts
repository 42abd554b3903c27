import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { emptyConfig } from '../src/config.js';
import { parseCiConfig } from '../src/ci/parse.js';
import { literalReason, isSecretName } from '../src/detect/ci-secrets.js';
import { FORMATS } from '../src/report/index.js';
import { scan } from '../src/scan.js';
import type { Finding, Report } from '../src/core/types.js';
import { sprawl } from './helpers/cli.js';
import { makeRepo } from './helpers/git.js';
import { tempTree } from './helpers/tmp.js';
import { fakeChecksummedToken, randomBase62 } from './helpers/tokens.js';

const FIXTURES = resolve(__dirname, '../fixtures');
const NOW = () => new Date('2025-01-01T00:00:00Z');
const PIPELINE_FIXTURES = readdirSync(FIXTURES).filter((d) => d.startsWith('ng.ci-') && d !== 'ng.ci-leaks');

const reports = new Map<string, Promise<Report>>();
function scanFixture(name: string): Promise<Report> {
  if (!reports.has(name)) reports.set(name, scan({ targets: [join(FIXTURES, name)], now: NOW }));
  return reports.get(name)!;
}

function at(report: Report, path: string, line: number, rule?: string): Finding[] {
  return report.findings.filter((f) => f.path === path && f.line === line && (rule === undefined || f.ruleId === rule));
}

describe('pipeline fixtures', () => {
  it('cover every CI system', () => {
    expect(PIPELINE_FIXTURES.sort()).toEqual(['ng.ci-azure', 'ng.ci-bitbucket', 'ng.ci-circleci', 'ng.ci-github-actions', 'ng.ci-gitlab', 'ng.ci-jenkins', 'ng.ci-travis']);
  });

  // Exactly the expected places, no more: the references, masked inputs and piped echoes around them
  // must not be reported by any rule.
  it.each(PIPELINE_FIXTURES)('%s yields exactly the findings of its EXPECTED.yaml', async (name) => {
    const expected = parse(readFileSync(join(FIXTURES, name, 'EXPECTED.yaml'), 'utf8')) as { findings: Array<{ rule: string; path: string; line: number }> };
    const report = await scanFixture(name);
    const got = [...new Set(report.findings.map((f) => `${f.ruleId} ${f.path}:${f.line}`))].sort();
    expect(got).toEqual(expected.findings.map((e) => `${e.rule} ${e.path}:${e.line}`).sort());
    expect(report.findings.every((f) => f.source === 'ci-config')).toBe(true);
  });
});

describe('ci {system, workflow, job, step}', () => {
  it('GitHub Actions: jobs, named steps, workflow env, composite actions and reusable-workflow secrets', async () => {
    const r = await scanFixture('ng.ci-github-actions');
    expect(at(r, '.github/workflows/ci.yml', 14)[0]!.ci).toEqual({ system: 'github-actions', workflow: '.github/workflows/ci.yml', job: null, step: null, block: 'env' });
    expect(at(r, '.github/workflows/ci.yml', 42)[0]!.ci).toEqual({ system: 'github-actions', workflow: '.github/workflows/ci.yml', job: 'test', step: 'Install' });
    expect(at(r, '.github/workflows/release.yml', 15)[0]).toMatchObject({ ruleId: 'npm.access-token', ci: { job: 'publish', step: null, block: 'env' } });
    expect(at(r, '.github/workflows/release.yml', 37)[0]!.ci).toMatchObject({ job: 'deploy', block: 'secrets' });
    expect(at(r, '.github/actions/setup-registry/action.yml', 16)[0]!.ci).toEqual({ system: 'github-actions', workflow: '.github/actions/setup-registry/action.yml', job: null, step: 'Write .npmrc' });
  });

  it('GitLab CI: a file included by .gitlab-ci.yml is GitLab CI config too', async () => {
    const r = await scanFixture('ng.ci-gitlab');
    const inc = at(r, 'ci/templates/deploy.yml', 14)[0]!;
    expect(inc).toMatchObject({ source: 'ci-config', ci: { system: 'gitlab-ci', workflow: 'ci/templates/deploy.yml', job: 'deploy-staging', step: 'script' } });
    expect(at(r, '.gitlab-ci.yml', 37)[0]!.ci).toMatchObject({ job: 'docker-image', step: 'before_script' });
    expect(at(r, '.gitlab-ci.yml', 41)[0]!.ci).toMatchObject({ job: 'docker-image', step: 'script' });
  });

  it('GitLab CI: an included file alone is not (both must be in the scan)', async () => {
    const r = await scan({ targets: [join(FIXTURES, 'ng.ci-gitlab/ci/templates/deploy.yml')], now: NOW });
    expect(r.findings.map((f) => f.ruleId)).not.toContain('ci.secret-echoed');
    expect(r.findings.every((f) => f.source === 'file' && f.ci === undefined)).toBe(true);
  });

  it('CircleCI, Azure Pipelines, Bitbucket, Travis and Jenkins: jobs and steps', async () => {
    const place = async (name: string, path: string, line: number) => at(await scanFixture(name), path, line)[0]!.ci;
    expect(await place('ng.ci-circleci', '.circleci/config.yml', 25)).toMatchObject({ system: 'circleci', job: 'test', step: 'Check Snyk auth' });
    expect(await place('ng.ci-azure', 'azure-pipelines.yml', 26)).toMatchObject({ system: 'azure-pipelines', job: 'Compile', step: 'Restore packages' });
    expect(await place('ng.ci-azure', 'azure-pipelines.yml', 34)).toMatchObject({ job: 'Compile', step: 'Push package' });
    expect(await place('ng.ci-azure', 'azure-pipelines.yml', 52)).toMatchObject({ job: 'DeployWeb', step: 'Zip deploy' });
    expect(await place('ng.ci-bitbucket', 'bitbucket-pipelines.yml', 32)).toMatchObject({ system: 'bitbucket-pipelines', job: 'branches.main', step: 'Deploy to Heroku' });
    expect(await place('ng.ci-bitbucket', 'bitbucket-pipelines.yml', 45)).toMatchObject({ job: 'custom.rotate-keys', step: null, block: 'variables' });
    expect(await place('ng.ci-travis', '.travis.yml', 34)).toMatchObject({ system: 'travis', job: 'Publish to PyPI', step: 'script' });
    expect(await place('ng.ci-travis', '.travis.yml', 9)).toMatchObject({ job: null, step: null, block: 'env.global' });
    expect(await place('ng.ci-jenkins', 'Jenkinsfile', 7)).toMatchObject({ system: 'jenkins', job: null, block: 'environment' });
    expect(await place('ng.ci-jenkins', 'Jenkinsfile', 27)).toMatchObject({ job: 'Publish', step: 'step 2' });
    expect(await place('ng.ci-jenkins', 'Jenkinsfile', 38)).toMatchObject({ job: 'Deploy', step: 'step 2' });
  });
});

describe('ci.secret-echoed', () => {
  it('names the variable and how it is printed, never a value', async () => {
    const r = await scanFixture('ng.ci-github-actions');
    const echo = at(r, '.github/workflows/ci.yml', 42)[0]!;
    expect(echo).toMatchObject({ ruleId: 'ci.secret-echoed', secret: '$NODE_AUTH_TOKEN (echo)', variable: 'NPM_READ_TOKEN', column: 56 });
    expect(echo.match).toBe('echo "Authenticating to GitHub Packages with $NODE_AUTH_TOKEN"');
    const traced = at(r, '.github/workflows/release.yml', 28)[0]!;
    expect(traced.secret).toBe('$GH_TOKEN (set -x at line 26)');
    const entry = r.secrets.find((s) => s.findingIds.includes(echo.id))!;
    expect(entry).toMatchObject({ ruleId: 'ci.secret-echoed', secret: 'secrets.NPM_READ_TOKEN', provider: 'ci' });
    expect(entry.revocation!.steps.join(' ')).toMatch(/Rotate the secret/);
  });

  it('gives one secret per stored variable in a repository, whichever steps print it', async () => {
    const wf = (job: string) => ['on: push', 'jobs:', `  ${job}:`, '    runs-on: ubuntu-latest', '    steps:', '      - run: echo "${{ secrets.DEPLOY_TOKEN }}"', ''].join('\n');
    const a = makeRepo();
    a.commit('ci', { '.github/workflows/a.yml': wf('one'), '.github/workflows/b.yml': wf('two') }, '2024-06-01T00:00:00Z');
    const b = makeRepo();
    b.commit('ci', { '.github/workflows/a.yml': wf('one') }, '2024-06-01T00:00:00Z');
    const report = await scan({ targets: [a.dir, b.dir], now: NOW, history: false });
    const ids = (dir: string) => new Set(report.findings.filter((f) => f.repo === dir.split('/').pop()).map((f) => f.secretId));
    expect(ids(a.dir).size).toBe(1);
    expect([...ids(a.dir)][0]).not.toBe([...ids(b.dir)][0]);
    expect(report.secrets.map((s) => s.occurrences).sort()).toEqual([1, 2]);
  });

  it('reports each variable an env dump prints as its own finding on the dump', async () => {
    const r = await scanFixture('ng.ci-gitlab');
    const dump = at(r, '.gitlab-ci.yml', 47);
    expect(dump.map((f) => f.secret).sort()).toEqual(['$REGISTRY_PASSWORD (env)', '$SONAR_TOKEN (env)', 'all CI/CD variables (env)']);
    expect(new Set(dump.map((f) => f.id)).size).toBe(3);
    expect(dump.find((f) => f.secret.startsWith('all'))!.confidence).toBe('low');
  });

  it('redacts a value another rule found inside the printing command', async () => {
    const gh = fakeChecksummedToken('ghp', 'echo-inline');
    const dir = tempTree({ '.github/workflows/ci.yml': ['on: push', 'jobs:', '  t:', '    runs-on: ubuntu-latest', '    steps:', `      - run: echo "$API_TOKEN and ${gh}"`, ''].join('\n') });
    const r = await scan({ targets: [dir], now: NOW });
    const echo = r.findings.find((f) => f.ruleId === 'ci.secret-echoed')!;
    expect(echo.match).toBe('echo "$API_TOKEN and ghp_*****"');
    for (const format of ['json', 'sarif', 'markdown', 'text'] as const) expect(FORMATS[format](r, { color: false })).not.toContain(gh);
  });

  it('is suppressed by sprawl:allow on the line, and turned off by disabledRules', async () => {
    const dir = tempTree({
      '.gitlab-ci.yml': ['debug:', '  script:', '    - echo "$DEPLOY_TOKEN"  # sprawl:allow', '    - echo "$SONAR_TOKEN"', ''].join('\n'),
    });
    const on = await scan({ targets: [dir], now: NOW });
    expect(on.findings.map((f) => `${f.ruleId}:${f.line}`)).toEqual(['ci.secret-echoed:4']);
    const config = { ...emptyConfig(), disabledRules: ['ci.secret-echoed'] };
    expect((await scan({ targets: [dir], now: NOW, config })).findings).toEqual([]);
  });
});

describe('ci.hardcoded-secret-in-env', () => {
  it('names a value only a generic rule found; without the pipeline rule, the generic rule does', async () => {
    const dir = join(FIXTURES, 'ng.ci-github-actions');
    const on = await scan({ targets: [dir], now: NOW });
    expect(at(on, '.github/workflows/ci.yml', 14).map((f) => f.ruleId)).toEqual(['ci.hardcoded-secret-in-env']);
    const off = await scan({ targets: [dir], now: NOW, config: { ...emptyConfig(), disabledRules: ['ci.hardcoded-secret-in-env'] } });
    expect(at(off, '.github/workflows/ci.yml', 14)).toMatchObject([{ ruleId: 'generic.token-assignment', ci: { block: 'env' } }]);
  });

  it('is one finding per place: a provider rule keeps the value and carries ci.block', async () => {
    const r = await scanFixture('ng.ci-github-actions');
    expect(at(r, '.github/workflows/release.yml', 15).map((f) => f.ruleId)).toEqual(['npm.access-token']);
    expect(r.rules.map((x) => x.id)).toEqual(expect.arrayContaining(['ci.hardcoded-secret-in-env', 'ci.secret-echoed', 'npm.access-token']));
  });

  it('finds literal defaults of secret inputs and parameters, and literals passed to actions and orbs', async () => {
    const v = (seed: string): string => `Zk4${randomBase62(18, seed)}`;
    const dir = tempTree({
      '.github/workflows/deploy.yml': [
        'on:',
        '  workflow_dispatch:',
        '    inputs:',
        '      environment: {type: choice, default: staging, options: [staging, prod]}',
        '      deploy_token:',
        `        default: "${v('input')}"`,
        'jobs:',
        '  deploy:',
        '    runs-on: ubuntu-latest',
        '    steps:',
        '      - uses: docker/login-action@v3',
        '        with:',
        '          username: deployer',
        `          registry-password: ${v('with')}`,
        '          token: ${{ secrets.GITHUB_TOKEN }}',
        '',
      ].join('\n'),
      '.circleci/config.yml': [
        'version: 2.1',
        'parameters:',
        '  api-token:',
        '    type: string',
        `    default: "${v('param')}"`,
        'jobs:',
        '  notify:',
        '    parameters:',
        '      aws-secret-key: {type: env_var_name, default: AWS_SECRET_ACCESS_KEY}',
        '    docker: [{image: cimg/base:2024.01}]',
        '    steps:',
        '      - slack/notify:',
        `          webhook-secret: ${v('orb')}`,
        '',
      ].join('\n'),
      '.gitlab-ci.yml': ['spec:', '  inputs:', '    deploy_password:', `      default: "${v('spec')}"`, '---', 'ship:', '  script: [./ship.sh]', ''].join('\n'),
    });
    const r = await scan({ targets: [dir], now: NOW });
    const got = r.findings.map((f) => `${f.path}:${f.line} ${f.ci?.block}`).sort();
    expect(got).toEqual([
      '.circleci/config.yml:13 parameters',
      '.circleci/config.yml:5 parameters',
      '.github/workflows/deploy.yml:14 with',
      '.github/workflows/deploy.yml:6 inputs',
      '.gitlab-ci.yml:4 inputs',
    ]);
  });

  it('never treats references, masked inputs or templates as literals', () => {
    const references = [
      '${{ secrets.NPM_TOKEN }}', '${{ vars.API_KEY }}', '$DEPLOY_TOKEN', '${DEPLOY_TOKEN}', '$(nugetApiKey)', '$CI_JOB_TOKEN',
      "credentials('sonar-token')", '$[ variables.token ]', '{{ .Values.apiKey }}', '#{ApiKey}#', '%API_KEY%', '$env:API_KEY',
      'prefix-${{ secrets.X }}-suffix', 'https://${USER}:${PASSWORD}@host', '***', '[MASKED]', 'env.DEPLOY_TOKEN',
    ];
    for (const r of references) expect(literalReason(r), r).not.toBeNull();
    expect(literalReason(randomBase62(32, 'literal'))).toBeNull();
  });

  it('knows which names carry secrets', () => {
    for (const n of ['TOKEN', 'NPM_TOKEN', 'npmAuthToken', 'DB_PASSWORD', 'SMTP_PASS', 'API_KEY', 'AWS_SECRET_ACCESS_KEY', 'SLACK_WEBHOOK_URL', 'NEXUS_PSW', 'System.AccessToken']) {
      expect(isSecretName(n), n).toBe(true);
    }
    for (const n of ['PWD', 'OLDPWD', 'TOKEN_FILE', 'PUBLIC_KEY', 'CACHE_KEY', 'SECRET_NAME', 'API_URL', 'AUTH', 'USERNAME', 'PASSWORD_MIN_LENGTH']) {
      expect(isSecretName(n), n).toBe(false);
    }
  });
});

describe('malformed CI configuration', () => {
  it('warns naming the file, counts it, and still scans its bytes', async () => {
    const gh = fakeChecksummedToken('ghp', 'broken-yaml');
    const dir = tempTree({ '.github/workflows/broken.yml': ['on: push', 'jobs:', '  build:', `    env: { GH_TOKEN: ${gh}`, '    steps: [', ''].join('\n') });
    const r = await scan({ targets: [dir], now: NOW });
    expect(r.scan.warnings.join('\n')).toMatch(/\.github\/workflows\/broken\.yml: not valid YAML/);
    expect(r.scan.stats.skipped['ci-config-invalid']).toBe(1);
    expect(r.findings).toMatchObject([{ ruleId: 'github.pat-classic', line: 4, source: 'ci-config', ci: { job: null, step: null } }]);
  });

  it('parses each system into jobs and steps', () => {
    const azure = parseCiConfig('azure-pipelines', readFileSync(join(FIXTURES, 'ng.ci-azure/azure-pipelines.yml'), 'utf8')).pipeline!;
    expect(azure.jobs.map((j) => `${j.name}: ${j.steps.map((s) => s.name).join(', ')}`)).toEqual([
      'Compile: Build, Restore packages, Push package',
      'DeployWeb: Zip deploy, Share token',
    ]);
    const jenkins = parseCiConfig('jenkins', readFileSync(join(FIXTURES, 'ng.ci-jenkins/Jenkinsfile'), 'utf8')).pipeline!;
    expect(jenkins.jobs.map((j) => `${j.name}: ${j.steps.length}`)).toEqual(['Build: 1', 'Publish: 3', 'Deploy: 3', 'Diagnostics: 1']);
    expect(jenkins.variables.map((v) => v.name)).toEqual(['REGISTRY', 'NEXUS', 'SIGNING_KEY_PASSWORD']);
    expect(parseCiConfig('travis', 'env: [\n').error).toMatch(/line/);
  });
});

describe('pipelines in git', () => {
  it('--staged reports an echo the commit adds, not one HEAD already has', () => {
    const r = makeRepo();
    const wf = (lines: string[]) => ['deploy:', '  script:', ...lines, ''].join('\n');
    r.commit('ci', { '.gitlab-ci.yml': wf(['    - echo "$OLD_TOKEN"']) }, '2024-06-01T00:00:00Z');
    writeFileSync(join(r.dir, '.gitlab-ci.yml'), wf(['    - echo "$OLD_TOKEN"', '    - echo "$NEW_TOKEN"']));
    r.git('add', '-A');
    const out = sprawl(['scan', '--staged', r.dir, '-f', 'json']);
    expect(out.code).toBe(1);
    const findings = (JSON.parse(out.stdout) as Report).findings;
    expect(findings.map((f) => `${f.ruleId} ${f.line} ${f.secret}`)).toEqual(['ci.secret-echoed 4 $NEW_TOKEN (echo)']);
  });

  it('finds them in history too, with the job and step of the version that held them (CLI: history in worker threads)', () => {
    const r = makeRepo();
    const wf = (run: string) => ['on: push', 'jobs:', '  release:', '    runs-on: ubuntu-latest', '    steps:', '      - name: Publish', `        run: ${run}`, ''].join('\n');
    r.commit('debug', { '.github/workflows/release.yml': wf('echo "$NPM_TOKEN"') }, '2024-06-01T00:00:00Z');
    r.commit('fix', { '.github/workflows/release.yml': wf('npm publish') }, '2024-06-02T00:00:00Z');
    const out = sprawl(['scan', r.dir, '-f', 'json']);
    const findings = (JSON.parse(out.stdout) as Report).findings;
    expect(findings).toMatchObject([{ ruleId: 'ci.secret-echoed', source: 'git', line: 7, ci: { system: 'github-actions', job: 'release', step: 'Publish' } }]);
    expect(findings[0]!.workloads).toEqual([{ kind: 'github-actions-job', name: 'release', path: '.github/workflows/release.yml', via: 'literal' }]);
  });

  it('lists the pipeline rules in `sprawl rules list`', () => {
    const out = sprawl(['rules', 'list']).stdout;
    expect(out).toMatch(/ci\.hardcoded-secret-in-env/);
    expect(out).toMatch(/ci\.secret-echoed/);
  });
});

describe('GitHub Actions step names', () => {
  it('names an unnamed action step as GitHub does, and never an unnamed script step after its script', async () => {
    const { tempTree } = await import('./helpers/tmp.js');
    const dir = tempTree({
      '.github/workflows/release.yml': [
        'on: push',
        'jobs:',
        '  publish:',
        '    runs-on: ubuntu-latest',
        '    steps:',
        '      - uses: docker/login-action@v3',
        '        with:',
        '          username: acme-bot',
        '          password: Zq8Xv3Lm7Kw2Tn5RbY4c',
        '      - run: echo "password=Hq4vT9xLm2PwZ7kR" > .creds',
        '',
      ].join('\n'),
    });
    const report = await scan({ targets: [dir], history: false });
    const steps = report.findings.map((f) => [f.line, f.ci?.step]).sort((a, b) => Number(a[0]) - Number(b[0]));
    expect(steps).toEqual([
      [9, 'Run docker/login-action@v3'],
      [10, 'step 2'],
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { parseCodeOwners, ownersOf } from '../src/analyze/owners.js';
import { FORMATS } from '../src/report/index.js';
import { scan } from '../src/scan.js';
import { makeRepo } from './helpers/git.js';
import { fakeChecksummedToken, randomBase62 } from './helpers/tokens.js';

const tok = (seed: string) => fakeChecksummedToken('ghp', seed);
const NOW = () => new Date('2025-01-01T00:00:00Z');

describe('CODEOWNERS', () => {
  const co = parseCodeOwners(['# comment', '*       @acme/platform', '/deploy/ @acme/sre @dana', '*.env  @acme/secops', 'docs/   @acme/docs', '/deploy/public/'].join('\n'));

  it('uses the last matching line, with gitignore-style anchoring', () => {
    expect(ownersOf(co, 'src/app.ts')).toEqual(['@acme/platform']);
    expect(ownersOf(co, 'deploy/k8s/app.yaml')).toEqual(['@acme/sre', '@dana']);
    expect(ownersOf(co, 'deploy/prod.env')).toEqual(['@acme/secops']);
    expect(ownersOf(co, 'nested/docs/guide.md')).toEqual(['@acme/docs']);
    // A pattern with no owner takes ownership away.
    expect(ownersOf(co, 'deploy/public/index.html')).toEqual([]);
  });

  it('reads GitLab sections, each with its own last match and default owners', () => {
    const gl = parseCodeOwners(['[Backend] @backend-team', 'app/', '[Security][2] @sec', '*.env', '^[Docs]', 'README.md @writer'].join('\n'));
    expect(ownersOf(gl, 'app/.env').sort()).toEqual(['@backend-team', '@sec']);
    expect(ownersOf(gl, 'README.md')).toEqual(['@writer']);
  });
});

describe('lifecycle and owners', () => {
  const build = () => {
    const r = makeRepo();
    r.commit('init', { '.github/CODEOWNERS': '* @acme/platform\n/deploy/ @acme/sre\n', 'README.md': '# svc\n' }, '2024-01-01T00:00:00Z', 'Alice Admin');
    r.commit('add config', { 'deploy/prod.env': `GH_TOKEN=${tok('v1')}\n`, 'scripts/old.env': `T=${tok('gone')}\n` }, '2024-02-01T00:00:00Z', 'Bob Builder');
    r.commit('rotate', { 'deploy/prod.env': `GH_TOKEN=${tok('v2')}\n` }, '2024-09-01T00:00:00Z', 'Carol Coder');
    r.commit('drop script', { 'scripts/old.env': null }, '2024-10-01T00:00:00Z', 'Carol Coder');
    return r;
  };

  it('gives each secret its status, first and last seen, age and owners', async () => {
    const r = build();
    const report = await scan({ targets: [r.dir], now: NOW });
    const find = (suffix: string) => report.secrets.find((s) => report.findings.some((f) => f.secretId === s.secretId && f.path.endsWith(suffix)))!;
    const current = report.secrets.find((s) => s.status === 'exposed')!;
    const rotated = report.secrets.find((s) => s.status === 'superseded')!;
    const removed = report.secrets.find((s) => s.status === 'removed-not-rotated')!;
    expect(report.secrets).toHaveLength(3);
    expect([current, rotated, removed].every(Boolean)).toBe(true);

    expect(current.firstSeen).toMatchObject({ date: '2024-09-01T00:00:00+00:00', author: 'Carol Coder <carol.coder@example.test>' });
    expect(current.lastSeen?.commit).toBe(r.git('rev-parse', 'HEAD'));
    expect(current.inWorkingTree).toBe(true);
    expect(current.ageDays).toBe(122);
    expect(current.longLived).toBe(true);
    expect(current.owners).toEqual([
      { name: '@acme/sre', source: 'codeowners', paths: ['deploy/prod.env'] },
      { name: 'Carol Coder <carol.coder@example.test>', source: 'commit-author', paths: ['deploy/prod.env'] },
    ]);

    expect(rotated.firstSeen?.date).toBe('2024-02-01T00:00:00+00:00');
    // Last held by the commit before the rotation replaced it.
    expect(rotated.lastSeen?.date).toBe('2024-02-01T00:00:00+00:00');
    expect(removed.lastSeen?.commit).toBe(r.git('rev-parse', 'HEAD~1'));
    expect(rotated.inWorkingTree).toBe(false);
    expect(rotated.ageDays).toBe(335);

    expect(removed.paths).toEqual(['scripts/old.env']);
    expect(removed.owners[0]).toEqual({ name: '@acme/platform', source: 'codeowners', paths: ['scripts/old.env'] });
    expect(find('old.env')).toBe(removed);
  });

  it('orders secrets by the documented risk formula and fills the playbook', async () => {
    const r = build();
    const report = await scan({ targets: [r.dir], now: NOW });
    // github = high (30); removed-not-rotated +25, exposed +20, superseded +5; +1 a month of age.
    expect(report.secrets.map((s) => [s.status, s.risk])).toEqual([
      ['removed-not-rotated', 66],
      ['exposed', 54],
      ['superseded', 46],
    ]);
    const steps = report.secrets[0]!.revocation!.steps;
    expect(steps.at(-2)).toContain('scripts/old.env');
    expect(steps.at(-1)).toMatch(/does not revoke/);
    expect(report.secrets[0]!.duplication).toEqual({ files: 1, repos: 1, sources: ['git'] });
  });

  it('links an AWS key id and its secret key as one credential', async () => {
    const r = makeRepo();
    const id = 'AKIA' + 'QZ7XK3MB5N2RTW4Y';
    const secret = randomBase62(40, 'aws-secret');
    r.commit('aws', { 'deploy/aws.env': `AWS_ACCESS_KEY_ID=${id}\nAWS_SECRET_ACCESS_KEY=${secret}\n` }, '2024-06-01T00:00:00Z');
    const report = await scan({ targets: [r.dir], now: NOW, history: false });
    const ids = report.secrets.map((s) => s.ruleId).sort();
    expect(ids).toEqual(['aws.access-key-id', 'aws.secret-access-key']);
    const [a, b] = report.secrets;
    expect(a!.related).toEqual([b!.secretId]);
    expect(b!.related).toEqual([a!.secretId]);
  });

  it('writes a Markdown report: summary, owners, secrets by risk, and each playbook', async () => {
    const r = build();
    const report = await scan({ targets: [r.dir], now: NOW });
    const md = FORMATS.markdown(report, { color: false });
    expect(md).toMatch(/\| Unique secrets \| 3 \|/);
    expect(md).toMatch(/\| Duplication factor \| 1\.33 occurrences per secret \|/);
    expect(md).toMatch(/\| removed-not-rotated \| 1 \|/);
    expect(md).toMatch(/\| @acme\/sre \| codeowners \| 2 \| 100 \|/);
    const rows = md.split('\n').filter((l) => /^\| \d+ \| `ghp_/.test(l)).map((l) => Number(l.split('|')[1]));
    expect(rows).toEqual([66, 54, 46]);
    expect(md).toMatch(/How to revoke and rotate \(https:\/\/github\.com\/settings\/tokens\)/);
    for (const seed of ['v1', 'v2', 'gone']) expect(md).not.toContain(tok(seed));
  });

  it('is not long-lived under a larger --max-age', async () => {
    const r = build();
    const report = await scan({ targets: [r.dir], now: NOW, maxAgeDays: 400 });
    expect(report.secrets.every((s) => s.longLived === false)).toBe(true);
  });
});

describe('workloads', () => {
  it('names the CI job, Kubernetes workloads, compose service, Terraform resource and image using each secret', async () => {
    const gh = tok('wf');
    const dbPass = `Zq8${randomBase62(18, 'db')}!`;
    const r = makeRepo();
    r.commit(
      'infra',
      {
        '.github/workflows/deploy.yml': [
          'name: deploy',
          'on: [push]',
          'jobs:',
          '  build:',
          '    runs-on: ubuntu-latest',
          '    steps:',
          '      - run: npm ci',
          '  release:',
          '    runs-on: ubuntu-latest',
          '    env:',
          `      GH_TOKEN: ${gh}`,
          '    steps:',
          '      - run: gh release create',
          '',
        ].join('\n'),
        'k8s/secret.yaml': ['apiVersion: v1', 'kind: Secret', 'metadata:', '  name: db-creds', 'stringData:', `  password: "${dbPass}"`, ''].join('\n'),
        'k8s/api.yaml': [
          'apiVersion: apps/v1',
          'kind: Deployment',
          'metadata:',
          '  name: api',
          'spec:',
          '  template:',
          '    spec:',
          '      serviceAccountName: api-sa',
          '      containers:',
          '        - name: api',
          '          env:',
          '            - name: DB_PASSWORD',
          '              valueFrom:',
          '                secretKeyRef: { name: db-creds, key: password }',
          '---',
          'apiVersion: batch/v1',
          'kind: CronJob',
          'metadata:',
          '  name: nightly-report',
          'spec:',
          '  jobTemplate:',
          '    spec:',
          '      template:',
          '        spec:',
          '          containers:',
          '            - name: report',
          '              envFrom:',
          '                - secretRef: { name: db-creds }',
          '',
        ].join('\n'),
        'docker-compose.yml': ['services:', '  db:', '    image: postgres:16', '    environment:', `      POSTGRES_PASSWORD: "${dbPass}"`, '  web:', '    image: nginx', ''].join('\n'),
        'infra/main.tf': ['provider "aws" {', '  region = "eu-west-1"', '}', '', 'resource "aws_db_instance" "main" {', '  engine   = "postgres"', `  password = "${dbPass}"`, '}', ''].join('\n'),
        'Dockerfile': ['FROM node:20', `ENV GITHUB_TOKEN=${gh}`, 'RUN npm ci', ''].join('\n'),
      },
      '2024-06-01T00:00:00Z',
    );
    const report = await scan({ targets: [r.dir], now: NOW, history: false });
    const workloadsOf = (raw: string) => {
      const ids = new Set(report.findings.filter((f) => f.secretId && f.secret.startsWith(raw.slice(0, 4))).map((f) => f.secretId));
      const s = report.secrets.find((x) => ids.has(x.secretId))!;
      return (s.workloads as Array<{ kind: string; name: string }>).map((w) => `${w.kind} ${w.name}`).sort();
    };
    expect(workloadsOf(gh)).toEqual(['dockerfile-image . (Dockerfile)', 'github-actions-job release']);
    expect(workloadsOf(dbPass)).toEqual(['compose-service db', 'k8s-cronjob nightly-report', 'k8s-deployment api', 'terraform-resource aws_db_instance.main']);
    const db = report.secrets.find((s) => (s.workloads as Array<{ name: string }>).some((w) => w.name === 'api'))!;
    const owners = db.owners as Array<{ name: string; source: string }>;
    expect(owners[0]).toMatchObject({ name: 'serviceaccount api-sa', source: 'workload' });
    expect(owners.filter((o) => o.source === 'workload').map((o) => o.name)).toContain('k8s-deployment api');
  });
});

describe('several repositories in one run', () => {
  it('gives a secret shared by two repos one entry listing both', async () => {
    const shared = tok('shared');
    const a = makeRepo();
    a.commit('a', { 'config/.env': `GH_TOKEN=${shared}\n` }, '2024-01-01T00:00:00Z');
    const b = makeRepo();
    b.commit('b', { 'ci/deploy.sh': `export GH_TOKEN=${shared}\n` }, '2024-03-01T00:00:00Z');
    const report = await scan({ targets: [a.dir, b.dir], now: NOW });
    expect(report.secrets).toHaveLength(1);
    const s = report.secrets[0]!;
    expect(s.repos.sort()).toEqual([a.dir.split('/').pop(), b.dir.split('/').pop()].sort());
    expect(s.occurrences).toBe(4);
    expect(s.duplication).toEqual({ files: 2, repos: 2, sources: ['file', 'git'] });
    expect(s.firstSeen?.date).toBe('2024-01-01T00:00:00+00:00');
  });
});

describe('variables read by CI jobs', () => {
  it('links a value in .env or compose to the jobs that read its variable', async () => {
    const secret = `Pq7${randomBase62(20, 'var')}`;
    const r = makeRepo();
    r.commit(
      'ci',
      {
        '.env': `DEPLOY_TOKEN=${secret}\n`,
        '.github/workflows/ci.yml': ['on: push', 'jobs:', '  test:', '    runs-on: ubuntu-latest', '    steps:', '      - run: npm test', '  deploy:', '    runs-on: ubuntu-latest', '    steps:', '      - run: ./deploy.sh --key "$DEPLOY_TOKEN"', '      - run: ./notify.sh ${{ secrets.OTHER }}', ''].join('\n'),
        '.gitlab-ci.yml': ['stages: [ship]', 'ship:', '  stage: ship', '  script:', '    - curl -H "X-Key: ${DEPLOY_TOKEN}" https://deploy.internal', ''].join('\n'),
      },
      '2024-06-01T00:00:00Z',
    );
    const report = await scan({ targets: [r.dir], now: NOW, history: false });
    expect(report.secrets).toHaveLength(1);
    expect(report.findings[0]!.variable).toBe('DEPLOY_TOKEN');
    const ws = (report.secrets[0]!.workloads as Array<{ kind: string; name: string; via: string }>).map((w) => `${w.kind} ${w.name} ${w.via}`).sort();
    expect(ws).toEqual(['github-actions-job deploy variable DEPLOY_TOKEN', 'gitlab-ci-job ship variable DEPLOY_TOKEN']);
  });
});

describe('the variable a finding assigns', () => {
  it('is the name of a Kubernetes env entry, and never a step key such as run:', async () => {
    const password = `Rk3${randomBase62(16, 'envname')}`;
    const docker = `Xk4${randomBase62(14, 'dockerp')}`;
    const r = makeRepo();
    r.commit(
      'deploy',
      {
        'k8s/api.yaml': ['apiVersion: apps/v1', 'kind: Deployment', 'metadata: {name: api}', 'spec:', '  template:', '    spec:', '      containers:', '        - name: api', '          env:', '            - name: DB_PASSWORD', `              value: "${password}"`, ''].join('\n'),
        '.github/workflows/ci.yml': ['on: push', 'jobs:', '  migrate:', '    runs-on: ubuntu-latest', '    steps:', '      - run: ./migrate.sh --password "$DB_PASSWORD"', `      - run: docker login -u bot -p ${docker} registry.shop.io`, ''].join('\n'),
      },
      '2024-06-01T00:00:00Z',
    );
    const report = await scan({ targets: [r.dir], now: NOW, history: false });
    const byPath = new Map(report.findings.map((f) => [f.path, f]));
    expect(byPath.get('k8s/api.yaml')?.variable).toBe('DB_PASSWORD');
    expect(byPath.get('.github/workflows/ci.yml')?.variable).toBeUndefined();
    const ws = (byPath.get('k8s/api.yaml')!.workloads ?? []).map((w) => `${w.kind} ${w.name}`).sort();
    expect(ws).toEqual(['github-actions-job migrate', 'k8s-deployment api']);
  });
});

describe('GitLab templates', () => {
  it('give a secret in a template to the jobs that run it: extends (through a chain), merge keys, !reference', async () => {
    const secret = `Hk8${randomBase62(20, 'tpl')}`;
    const r = makeRepo();
    r.commit(
      'ci',
      {
        '.gitlab-ci.yml': [
          'stages: [test, deploy]',
          '.auth:',
          '  variables:',
          `    REGISTRY_TOKEN: "${secret}"`,
          '.deploy-base: &deploy',
          '  extends: .auth',
          '  script:',
          '    - ./deploy.sh',
          'deploy-staging:',
          '  extends: .deploy-base',
          'deploy-prod:',
          '  <<: *deploy',
          '  stage: deploy',
          'login:',
          '  script:',
          '    - !reference [.auth, variables]',
          'lint:',
          '  script:',
          '    - npm run lint',
          '',
        ].join('\n'),
      },
      '2024-06-01T00:00:00Z',
    );
    const report = await scan({ targets: [r.dir], now: NOW, history: false });
    expect(report.secrets).toHaveLength(1);
    const ws = (report.secrets[0]!.workloads as Array<{ kind: string; name: string; via: string }>).map((w) => `${w.kind} ${w.name}`).sort();
    // deploy-prod merges .deploy-base, which extends .auth; lint runs none of it.
    expect(ws).toEqual(['gitlab-ci-job deploy-prod', 'gitlab-ci-job deploy-staging', 'gitlab-ci-job login']);
  });
});

describe('GitLab templates in included files', () => {
  it('belong to the jobs that extend them from .gitlab-ci.yml, in the tree and in history', async () => {
    const secret = `Wd5${randomBase62(20, 'inc')}`;
    const r = makeRepo();
    r.commit(
      'ci',
      {
        '.gitlab-ci.yml': ['include:', '  - local: ci/templates.yml', 'deploy-prod:', '  extends: .deploy', '  environment: production', 'lint:', '  script: [npm run lint]', ''].join('\n'),
        'ci/templates.yml': ['.deploy:', '  variables:', `    REGISTRY_TOKEN: "${secret}"`, '  script:', '    - ./deploy.sh', ''].join('\n'),
      },
      '2024-06-01T00:00:00Z',
    );
    const report = await scan({ targets: [r.dir], now: NOW });
    expect(report.secrets).toHaveLength(1);
    const ws = (report.secrets[0]!.workloads as Array<{ kind: string; name: string; path: string; via: string }>).map((w) => `${w.kind} ${w.name} ${w.path} ${w.via}`);
    expect(ws).toEqual(['gitlab-ci-job deploy-prod .gitlab-ci.yml extends .deploy']);
    for (const f of report.findings) expect(f.workloads?.map((w) => w.name), f.source).toEqual(['deploy-prod']);
  });
});

describe('Kubernetes Secret data', () => {
  it('decodes base64 values with their key, so the same password in plain text elsewhere is one secret', async () => {
    const password = `Vt4${randomBase62(16, 'k8s')}!x`;
    const r = makeRepo();
    r.commit(
      'k8s',
      {
        'k8s/db-secret.yaml': ['apiVersion: v1', 'kind: Secret', 'metadata:', '  name: db', 'type: Opaque', 'data:', `  password: ${Buffer.from(password).toString('base64')}`, ''].join('\n'),
        'local.env': `DB_PASSWORD=${password}\n`,
      },
      '2024-06-01T00:00:00Z',
    );
    const report = await scan({ targets: [r.dir], now: NOW, history: false });
    expect(report.secrets).toHaveLength(1);
    expect(report.secrets[0]!.paths).toEqual(['k8s/db-secret.yaml', 'local.env']);
    expect(report.findings.find((f) => f.path.startsWith('k8s/'))!.decodedFrom).toEqual(['base64']);
  });
});

describe('CI configuration findings', () => {
  it('come from source ci-config with the system, workflow, job and step', async () => {
    const npmTok = fakeChecksummedToken('npm', 'ci-step');
    const r = makeRepo();
    r.commit(
      'wf',
      {
        '.github/workflows/release.yml': ['name: release', 'on: push', 'jobs:', '  publish:', '    runs-on: ubuntu-latest', '    steps:', '      - uses: actions/checkout@v4', '      - name: Publish to npm', '        env:', `          NPM_TOKEN: ${npmTok}`, '        run: npm publish', ''].join('\n'),
      },
      '2024-06-01T00:00:00Z',
    );
    const report = await scan({ targets: [r.dir], now: NOW });
    const f = report.findings.find((x) => x.source === 'ci-config')!;
    expect(f).toMatchObject({ path: '.github/workflows/release.yml', line: 10, ruleId: 'npm.access-token' });
    // The npm rule names the token; `block` says it is a literal in the step's `env:`.
    expect(f.ci).toEqual({ system: 'github-actions', workflow: '.github/workflows/release.yml', job: 'publish', step: 'Publish to npm', block: 'env' });
    expect(report.secrets[0]!.duplication?.sources).toEqual(['ci-config', 'git']);
  });
});

import { describe, expect, it } from 'vitest';
import { scan } from '../src/scan.js';
import { FORMATS, type FormatName } from '../src/report/index.js';
import { sprawl } from './helpers/cli.js';
import { tempTree } from './helpers/tmp.js';
import { fakeChecksummedToken } from './helpers/tokens.js';

const ghp = fakeChecksummedToken('ghp', 'redact-1');
const npm = fakeChecksummedToken('npm', 'redact-2');
const encoded = Buffer.from(`{"token":"${ghp}"}`).toString('base64');

describe('redaction', () => {
  const dir = tempTree({ '.env': `GH=${ghp}\n`, '.npmrc': `//registry.npmjs.org/:_authToken=${npm}\n`, 'k8s.yaml': `data:\n  token: ${encoded}\n` });

  it('no format prints a raw secret, or the encoded form of one, unless --reveal', async () => {
    const report = await scan({ targets: [dir] });
    expect(report.findings.length).toBeGreaterThanOrEqual(3);
    for (const name of Object.keys(FORMATS) as FormatName[]) {
      const out = FORMATS[name](report, { color: false });
      for (const raw of [ghp, npm, encoded, ghp.slice(4)]) expect(out, `${name} leaks`).not.toContain(raw);
    }
  });

  it('the CLI prints raw values only with --reveal', () => {
    for (const f of ['text', 'json', 'sarif']) {
      const hidden = sprawl(['scan', dir, '-f', f]);
      expect(hidden.stdout + hidden.stderr).not.toContain(ghp);
      const shown = sprawl(['scan', dir, '-f', f, '--reveal']);
      expect(shown.stdout).toContain(ghp);
    }
  });
});

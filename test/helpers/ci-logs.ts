import { makeZip } from './zip.js';

const BOM = '\ufeff';

/** A GitHub Actions log line: the runner's timestamp prefix (7-digit fraction, as the API serves them). */
export const ghLine = (second: number, text: string): string => `2024-01-02T03:04:${String(second).padStart(2, '0')}.1234567Z ${text}`;

/** The three step logs of a `deploy` job that prints one masked and one unmasked secret, and the zip the
 * run-logs endpoint would serve for it: the job file repeats the step files. */
export function githubRunLog(leaked: string): { zip: Buffer; steps: Record<string, string>; job: string } {
  const setup = [ghLine(0, "Current runner version: '2.311.0'"), ghLine(0, '##[group]Operating System'), ghLine(0, 'Ubuntu 22.04'), ghLine(0, '##[endgroup]')].join('\n') + '\n';
  const deploy =
    [
      ghLine(1, '##[group]Run ./deploy.sh'),
      ghLine(1, '\x1b[36;1m./deploy.sh\x1b[0m'),
      ghLine(1, 'shell: /usr/bin/bash -e {0}'),
      ghLine(1, 'env:'),
      ghLine(1, '  DEPLOY_TOKEN: ***'),
      ghLine(1, '##[endgroup]'),
      ghLine(2, `\x1b[33mdebug\x1b[0m: using token ${leaked}`),
      ghLine(3, 'deployed'),
    ].join('\n') + '\n';
  const cleanup = ghLine(4, 'Cleaning up orphan processes') + '\n';
  // Like GitHub's, every file starts with a byte-order mark.
  const steps = { '1_Set up job.txt': BOM + setup, '2_Deploy.txt': BOM + deploy, '3_Complete job.txt': BOM + cleanup };
  const job = BOM + setup + deploy + cleanup;
  const zip = makeZip({
    '0_deploy.txt': job,
    'deploy/': '',
    ...Object.fromEntries(Object.entries(steps).map(([n, c]) => [`deploy/${n}`, c])),
  });
  return { zip, steps, job };
}

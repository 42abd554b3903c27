import { shannonEntropy } from './entropy.js';
import { genericValueReason, placeholderReason } from './filters.js';

/**
 * Which pipeline variables hold secrets, and which of their values are literals rather than references to
 * the CI system's secret store. Shared by the two pipeline rules (rules/ci-pipeline.yaml).
 */

/** Last words that make a variable name secret-bearing on their own (`TOKEN`, `NPM_TOKEN`, `apiSecret`). */
const SECRET_END = /(?:token|secret|password|passwd|passphrase|apikey|accesskey|secretkey|privatekey|jwt)$/;

/** Last words that do only after a qualifier: `DB_PWD`, `SMTP_PASS`, `GH_PAT`, `NPM_AUTH`, `NEXUS_PSW`
 * (`PWD` alone is the working directory; `AUTH` alone is a mode). */
const QUALIFIED_END = new Set(['pwd', 'pass', 'psw', 'pat', 'creds', 'credential', 'credentials', 'auth']);

/** Words before `key` that make it a credential: API_KEY, SIGNING_KEY, SSH_KEY; not CACHE_KEY, SORT_KEY,
 * PUBLIC_KEY or PUBLISHABLE_KEY. */
const KEY_QUALIFIERS = new Set([
  'api', 'access', 'secret', 'private', 'signing', 'encryption', 'master', 'license', 'licence', 'auth', 'app',
  'client', 'deploy', 'ssh', 'gpg', 'pgp', 'account', 'service', 'storage', 'shared', 'hmac', 'webhook',
  'admin', 'ingest', 'write', 'sas', 'subscription', 'consumer', 'session', 'jwt', 'crypt', 'cipher', 'aes',
  'rsa', 'root', 'server', 'upload', 'publish', 'release', 'sentry', 'stripe', 'mailgun', 'sendgrid',
]);

/** The words of a variable name: `NPM_AUTH_TOKEN`, `npmAuthToken`, `npm-auth.token` → npm, auth, token. */
function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/** True when a variable's name says it holds a credential. */
export function isSecretName(name: string): boolean {
  const w = words(name);
  const last = w.at(-1) ?? '';
  const prev = w.at(-2);
  if (SECRET_END.test(last)) return true;
  if (prev === undefined) return false;
  if (QUALIFIED_END.has(last)) return true;
  if (last === 'key') return KEY_QUALIFIERS.has(prev);
  if (last === 'url') return prev === 'webhook' || prev === 'hook';
  return last === 'string' && prev === 'connection';
}

/**
 * Forms that stand for a value held elsewhere: `${{ secrets.X }}`, `${{ vars.X }}`, `$X`, `${X}`, `$(X)`
 * (Azure macros; in shells, command output), `$[ variables.X ]`, `%X%`, `$env:X`, `#{X}`, Jenkins
 * `credentials('id')`, `env.X`, Travis `secure:`. A value containing any of them is not a literal.
 */
const REFERENCE = /\$\{\{|\$\{|\$\(|\$\[|\$[A-Za-z_]|%[A-Za-z_]\w*%|\$env:|#\{|\bcredentials\s*\(|^env\.\w+$|^params\.\w+$/;

/** Shortest literal worth reporting: shorter values are test passwords and flags. */
const MIN_LENGTH = 8;
/** Minimum Shannon entropy (bits per character), as the generic password rule. */
const MIN_ENTROPY = 3.1;

/**
 * Why a pipeline variable's value is not a hard-coded secret, or null when it is one: a reference, a
 * placeholder, an identifier, too short, too regular, or without the letter/digit (or letter/symbol) mix
 * random credentials have.
 */
export function literalReason(value: string): string | null {
  const v = value.trim();
  if (v.length === 0) return 'empty';
  if (REFERENCE.test(v)) return 'reference';
  const placeholder = placeholderReason(v) ?? genericValueReason(v);
  if (placeholder) return placeholder;
  if (v.length < MIN_LENGTH) return 'too short';
  if (/\s/.test(v)) return 'words';
  const h = shannonEntropy(v);
  if (h < MIN_ENTROPY) return `entropy ${h.toFixed(2)} below ${MIN_ENTROPY}`;
  if (!/[A-Za-z]/.test(v) || !/[0-9!@#^*+=?~$%&_-]/.test(v)) return 'no mix of letters and digits or symbols';
  return null;
}

import { crypto } from '../core/builtins.js';

/**
 * Post-filters: values that a pattern matches but that are not credentials. Each returns the reason it
 * rejects a value, or null, so tests and `--debug` can say why a candidate was dropped.
 */

/**
 * Example keys that providers print in their own documentation. Seen in every tutorial and README; never
 * live. Sources: AWS IAM docs (access key examples), Stripe API reference, jwt.io's default token, Slack
 * API docs.
 */
const DOCUMENTED_EXAMPLES = new Set([
  'AKIAIOSFODNN7EXAMPLE',
  'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  'AKIAI44QH8DHBEXAMPLE',
  'je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY',
  'ASIAIOSFODNN7EXAMPLE',
  'sk_test_4eC39HqLyjWDarjtT1zdp7dc',
  'pk_test_TYooMQauvdEDq54NiTphI7jx',
  'sk_test_BQokikJOvBiI2HlWgH4olfQ2',
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
  'xoxb-not-a-real-token-this-will-not-work',
  'gho_16C7e42F292c6912E7710c838347Ae178B4a',
  // Public, fixed keys of local emulators, printed in Microsoft's docs and committed to countless repos.
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==', // Azurite storage
  'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==', // Cosmos DB emulator
  // RFC 6749 / 6750 / 7617 / 5849 example values, quoted in OAuth and HTTP libraries' docs and tests.
  '2YotnFZFEjr1zCsicMWpAA',
  'tGzv3JOkF0XG5Qx2TlKWIA',
  'mF_9.B5f-4.1JqM',
  'czZCaGRSa3F0MzpnWDFmQmF0M2JW',
  'QWxhZGRpbjpvcGVuIHNlc2FtZQ==',
  'dXNlcm5hbWU6cGFzc3dvcmQ=',
  'ad180jjd733klru7',
  'kd94hf93k423kf44',
  'hh5s93j4hdidpola',
  'hdhd0244k9j7ao03',
  'nnch734d00sl2jdk',
  'pfkkdhi9sl3r4s00',
  'dpf43f3p2l4k3l03',
  'geheim$parole', // Python's urllib docs
  // requests-oauthlib's and oauthlib's docstrings (vendored by many Python projects).
  'kjerht2309uf',
  'kjerht2309u',
  'lsdkfol23w54jlksdef',
  'lsdajfh923874',
  '2kjshdfp92i34asdasd',
  'askfjh234as9sd8',
  '45ghiukldjahdnhzdauz',
  // Passwords printed in vendors' docs: MongoDB connection strings, SQL Server containers, Apache htpasswd.
  'D1fficultP%40ssw0rd',
  'YourStrong!Passw0rd',
  'yourStrong(!)Password',
  '{SHA}VBPuJHI7uixaa6LQGWx4s+5GKNE=',
  // age's own test-suite identity (filippo.io/age testdata).
  'AGE-SECRET-KEY-1XMWWC06LY3EE5RYTXM9MFLAZ2U56JJJ36S0MYPDRWSVLUL66MV4QX3S7F6',
]);

/** For long secrets (PEM blocks, session tokens), only unmistakable stand-ins: random base64 holds `xxxx` often enough. */
const LONG_PLACEHOLDER_WORDS = ['example', 'placeholder', 'redacted', 'your_', 'insert_', '<secret>', '<token>', '•••', '.....'];

/** Words that mark a value as a stand-in. Matched case-insensitively as substrings. */
const PLACEHOLDER_WORDS = [
  'example', 'xxxx', 'changeme', 'change_me', 'change-me', 'changeit', 'your_', 'your-', 'yourapi', 'yourtoken',
  'yoursecret', 'yourkey', 'yourpass', 'dummy', 'placeholder', 'redacted', 'replace_me', 'replaceme', 'insert_',
  'insert-', 'sample', 'notreal', 'not_real', 'not-a-real', 'fake_', 'fakekey', 'faketoken', 'foobar', 'lorem',
  '<secret>', '<token>', '*****', '•••', '....',
];

/** Template and reference syntaxes: `${X}`, `{{ x }}`, `<x>`, `%(x)s`, `%X%`, `#{x}`, `[[x]]`. */
const TEMPLATE = /\$\{[^}]*\}|\{\{[^}]*\}\}|^<[^>]*>$|<[A-Za-z_][\w\s.-]*>|%\([\w.]+\)s|^%[A-Za-z_]\w*%$|#\{[^}]*\}|\[\[[^\]]*\]\]/;

/** A variable or environment read standing where a literal would be. */
const REFERENCE =
  /^\$[A-Za-z_]\w*$|^\$\([\w.-]+\)$|^\$\{\{.*\}\}$|^\$\{.*\}$|^%[A-Za-z_]\w*%$|process\.env\b|os\.environ|os\.getenv|getenv\(|System\.getenv|ENV\[|Environment\.GetEnvironmentVariable|^secrets\.[\w.]+$|^vars\.[\w.]+$|^env\.[\w.]+$|^env:\w+$|^var\.[\w.]+$|^local\.[\w.]+$|^data\.[\w.]+$|\bsecretKeyRef\b|^\{\{.*\}\}$|^!(?:Ref|Sub|GetAtt)\b|^arn:aws:secretsmanager:|^vault:|^op:\/\/|^ref\+|^(?:self|this|cls)\.[A-Za-z_][\w.]*$/;

/**
 * Values that are public by design. Google's installed-application OAuth clients ship their "secret" in
 * every copy of the program and Google says it is not treated as one
 * ("in this context, the client secret is obviously not treated as a secret",
 * https://developers.google.com/identity/protocols/oauth2#installed): gcloud's ADC client, the bq CLI's.
 * Jetty's default keystore passwords, `OBF:`-obfuscated "storepwd" and "keypwd" in its sample configuration,
 * and the openid module's sample client secret.
 */
const PUBLIC_BY_DESIGN = new Set([
  'd-FL95Q19q7MQmFpd7hHD0Ty',
  'ZmssLNjJy2998hD4CTg2ejr2',
  'wbER7576mc_1YOII0dGk7jEE',
  'OBF:1vny1zlo1x8e1vnw1vn61x8g1zlu1vn4',
  'OBF:1u2u1wml1z7s1z7a1wnl1u2g',
  'XT_Mafv_aUCGheuCaKY8P',
]);

export function placeholderReason(secret: string): string | null {
  if (DOCUMENTED_EXAMPLES.has(secret)) return 'documented example key';
  if (PUBLIC_BY_DESIGN.has(secret)) return 'public by design (an installed application\'s OAuth client, a sample keystore password)';
  if (secret.startsWith('eyJ') && signedWithDocumentedKey(secret)) return 'JWT signed with a documented example key';
  if (TEMPLATE.test(secret)) return 'template expression';
  if (REFERENCE.test(secret)) return 'variable reference';
  const lower = secret.toLowerCase();
  for (const w of secret.length <= 100 ? PLACEHOLDER_WORDS : LONG_PLACEHOLDER_WORDS) if (lower.includes(w)) return `placeholder word '${w}'`;
  // Long secrets (PEM blocks, JWTs) legitimately hold runs such as AAAAAAAA in their base64.
  if (secret.length <= 100) {
    if (/(.)\1{7,}/.test(secret)) return 'long run of one character';
    if (hasSequence(secret, 6)) return 'ascending or descending sequence';
  }
  if (new Set(secret).size <= 2 && secret.length >= 4) return 'too few distinct characters';
  if (NAMES_ITS_KIND.test(secret)) return 'a name for the value, not a value';
  return null;
}

/** `pypi-token`, `db_password`, `my-secret-key`: lowercase words naming what should stand there. */
const NAMES_ITS_KIND = /^(?:[a-z]+[-_])+(?:token|password|passwd|secret|key|apikey)(?:[-_][a-z]+)*$|^(?:token|password|passwd|secret|apikey)(?:[-_][a-z]+)+$/;

/**
 * HMAC keys that JWT documentation signs its examples with: jwt.io's defaults and the `"secret"` of
 * PyJWT's, jsonwebtoken's and most tutorials' READMEs. A token that verifies with one is a copy of an
 * example, not a credential; checking costs one HMAC per HS-signed JWT found.
 */
const DOCUMENTED_JWT_KEYS = ['secret', 'your-256-bit-secret', 'your-384-bit-secret', 'your-512-bit-secret', 'shhhhh', 'secretkey', 'mysecret'];

function signedWithDocumentedKey(jwt: string): boolean {
  const parts = jwt.split('.');
  if (parts.length !== 3) return false;
  let alg: unknown;
  try {
    alg = (JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as { alg?: unknown }).alg;
  } catch {
    return false;
  }
  const hash = alg === 'HS256' ? 'sha256' : alg === 'HS384' ? 'sha384' : alg === 'HS512' ? 'sha512' : null;
  if (!hash) return false;
  const signed = `${parts[0]}.${parts[1]}`;
  return DOCUMENTED_JWT_KEYS.some((k) => crypto().createHmac(hash, k).update(signed).digest('base64url') === parts[2]);
}

/** True when `s` holds `len` consecutive characters that rise or fall by one (abcdef, 987654). */
function hasSequence(s: string, len: number): boolean {
  let up = 1;
  let down = 1;
  for (let i = 1; i < s.length; i++) {
    const d = s.charCodeAt(i) - s.charCodeAt(i - 1);
    up = d === 1 ? up + 1 : 1;
    down = d === -1 ? down + 1 : 1;
    if (up >= len || down >= len) return true;
  }
  return false;
}

/**
 * Values that generic keyword rules catch but that are identifiers, not secrets: lockfile integrity hashes,
 * git SHAs and UUIDs named by a non-secret key, code expressions, file paths and URLs without credentials.
 */
/** Passwords that tests and tutorials use; never worth an alert from a keyword rule. */
const WEAK_PASSWORD = /^(?:p[a@]ss(?:w[o0]rd)?|admin|test|welcome|secret|letmein|root|guest|demo|qwerty)[\W_]?\d{0,4}[\W_]?$/i;

export function genericValueReason(secret: string): string | null {
  if (WEAK_PASSWORD.test(secret)) return 'common test password';
  if (/^arn:aws[\w-]*:/.test(secret)) return 'ARN';
  if (/^\d+$/.test(secret)) return 'number';
  // Short hex strings are hashes and ids (`"AWS::ApiGateway::ApiKey": "48205d4ffd7feba3"`); keys are longer.
  if (/^(?:0x)?[0-9a-f]{1,16}$/i.test(secret)) return 'short hex identifier';
  if (/^sha(?:1|256|384|512)-[A-Za-z0-9+/=]+$/.test(secret)) return 'integrity hash';
  // Dotted names (`settings.SECRET_KEY`, `x25519.X25519PrivateKey`): every part a short identifier.
  // Dotted tokens (JWTs, `AQ.…`) have long random parts.
  if (/^[A-Za-z_$][\w$]{0,31}(?:\.[A-Za-z_$][\w$]{0,31})+(?:\(\))?$/.test(withoutFullStop(secret))) return 'code expression';
  if (/^[\w$]+\(.*\)$/.test(secret)) return 'function call';
  // `password=t.url.password:t.url.password=t.password` in a minified bundle: a property read, then an operator.
  if (/^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+[:=?()[\],;|&]/.test(secret)) return 'code expression';
  // Anonymous FTP's password is an email address by convention (twisted's `password="twisted@twistedmatrix.com"`).
  if (/^[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$/.test(secret)) return 'email address';
  if (/^(?:\.{0,2}\/|~\/)[\w./-]*$/.test(secret) || /^[A-Za-z]:\\/.test(secret)) return 'file path';
  if (/^https?:\/\/[^@\s]*$/.test(secret)) return 'URL without credentials';
  if (/^(?:true|false|null|none|nil|undefined|required|optional|string|password|secret|token)$/i.test(secret)) {
    return 'keyword value';
  }
  if (/^[a-z]+(?:[_-][a-z]+)*$/.test(secret)) return 'lowercase word';
  // `s#password: cvs#password: [empty password]#` (a sed command in login's changelog): the value is the
  // next key's label.
  if (/(?:pass(?:word|wd)?|pwd|secret|token|key):$/i.test(secret)) return 'label of another key';
  // `test-secret-that-is-at-least-32-characters-long`: a sentence written as a value, typical of tests
  // and docs. Random secrets do not split into four or more lowercase words.
  const parts = secret.split(/[-_.]/);
  const words = parts.filter((p) => /^[a-z]{2,}$/.test(p)).length;
  if (words >= 4 && words / parts.length >= 0.7) return 'phrase of words';
  if (/^[A-Z]+(?:_[A-Z]+)+$/.test(secret)) return 'constant name';
  const runs = keyboardRuns(secret);
  if (runs >= 3 || (runs === 2 && secret.length <= 16)) return 'keyboard mash';
  return null;
}

/** A value that ends a sentence in a docstring (`credentials: oauth2client.client.Credentials.`), without its full stop. */
function withoutFullStop(value: string): string {
  return value.endsWith('.') ? value.slice(0, -1) : value;
}

/** Three-key runs along a keyboard row, either way: what a hand types for a made-up value (`lsdkfj`, `qwe089234lkjsdf`). */
const KEYBOARD_ROWS = ['qwertyuiop', 'asdfghjkl', 'zxcvbnm'];
const KEYBOARD_TRIGRAMS = new Set(
  KEYBOARD_ROWS.flatMap((row) => {
    const out: string[] = [];
    for (let i = 0; i + 3 <= row.length; i++) out.push(row.slice(i, i + 3), [...row.slice(i, i + 3)].reverse().join(''));
    return out;
  }),
);

/**
 * Distinct keyboard trigrams in a value. Each position of a random alphanumeric value starts one of these
 * 40 trigrams with p ≈ 0.0013, so a random 40-character value holds two about 0.1% of the time and three
 * about 0.002% (hex never). Three, or two in a short value, mark a value typed by hand for a docstring.
 */
function keyboardRuns(secret: string): number {
  const lower = secret.toLowerCase();
  const seen = new Set<string>();
  for (let i = 0; i + 3 <= lower.length; i++) {
    const t = lower.slice(i, i + 3);
    if (KEYBOARD_TRIGRAMS.has(t)) seen.add(t);
  }
  return seen.size;
}

/** Files whose content is hashes and versions by construction: generic rules are skipped there. */
const LOCKFILES =
  /(?:^|\/)(?:package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|bun\.lock|Cargo\.lock|go\.sum|poetry\.lock|Pipfile\.lock|composer\.lock|Gemfile\.lock|Podfile\.lock|packages\.lock\.json|flake\.lock|mix\.lock|pubspec\.lock|gradle\.lockfile|uv\.lock)$/;

/** Test code, fixtures and examples: a keyword rule's hit there is usually a made-up value: reported low. */
const TEST_PATH = /(?:^|\/)(?:tests?|__tests__|spec|specs|fixtures?|testdata|__mocks__|examples?|samples?)\/|[._-](?:test|spec)\.[a-z]+$|_test\.(?:go|py)$|(?:^|[/._-])examples?(?:-\d+)?\.json$/i;

/** Documentation: keyword rules are not run on it; its `password: ...` lines are examples for readers.
 * Provider rules still are: a real token pasted into a README is a leak. Man pages by their folder
 * (man/man5/systemd.netdev.5: `PrivateKey=` in a WireGuard example), not by a `.5` that a rotated log has
 * too; a Python package's README as its wheel or sdist carries it (METADATA, PKG-INFO). */
const DOC_PATH = /\.(?:md|mdx|markdown|rst|adoc|asciidoc)$|(?:^|\/)man\/man[1-9n][a-z]*\/|\.dist-info\/METADATA$|(?:^|\/)PKG-INFO$/i;

export function isDocPath(path: string): boolean {
  return DOC_PATH.test(path);
}

export function isTestPath(path: string): boolean {
  return TEST_PATH.test(path);
}

/** Code vendored from elsewhere: its `token = "..."` lines are upstream's examples and fixtures far more
 * often than the repository owner's credentials. */
const VENDORED_PATH = /(?:^|\/)(?:vendor|vendored|third[_-]?party|node_modules|bower_components|site-packages|Pods)\//;

export function isVendoredPath(path: string): boolean {
  return VENDORED_PATH.test(path);
}

/**
 * A compound identifier written where a value stands: a type or variable name (`V1SecretProjection`,
 * `transformedOauth2ClientSecret`, `Oauth2ClientCredentials`), not a generated key. Most of it is words of
 * three or more letters, each with a vowel after its first letter; a random value of 16+ characters almost
 * never is. Not applied to passwords, which people make of words.
 */
export function identifierReason(value: string): string | null {
  const secret = withoutFullStop(value);
  if (secret.length > 80 || !/^[A-Za-z][A-Za-z0-9]*$/.test(secret)) return null;
  const words = (secret.match(/[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+/g) ?? []).filter((w) => w.length >= 3 && /^[A-Z]?[a-z]+$/.test(w) && /[aeiouy]/.test(w.slice(1)));
  const covered = words.reduce((n, w) => n + w.length, 0);
  // Letters only: a class named for an algorithm carries its number (`Ed25519PrivateKey`, `X448PublicKey`).
  const letters = secret.replace(/[0-9]/g, '').length;
  return words.length >= 2 && covered >= 0.75 * letters ? 'identifier name' : null;
}

export function isLockfile(path: string): boolean {
  return LOCKFILES.test(path);
}

/** The line around `offset`, as a view: at most LINE_REACH bytes either side of it. A minified bundle is
 * one line of megabytes, and its every match looked at all of it (a 37 MB bundle did not finish in 10 min). */
function lineAt(data: Buffer, offset: number): Buffer {
  const lo = Math.max(0, offset - LINE_REACH);
  const hi = Math.min(data.length, offset + LINE_REACH);
  const nl = data.subarray(lo, offset).lastIndexOf(10);
  const start = nl === -1 ? lo : lo + nl + 1;
  const end = data.subarray(offset, hi).indexOf(10);
  return data.subarray(start, end === -1 ? hi : offset + end);
}

const LINE_REACH = 2048;

/** RFC 2606 / 6761 names reserved for documentation. */
const EXAMPLE_DOMAINS = [/(?:^|[^\w-])example\.(?:com|org|net)(?![\w-])/i, /\.(?:example|invalid)(?![\w-])/i];

/**
 * A keyword rule's value on a line that names a documentation domain (`https://example.com/cb?access_token=…`)
 * is a docstring's illustration. Provider rules are not asked: a real key next to an example URL is a leak.
 */
export function lineNamesExampleDomain(data: Buffer, offset: number): boolean {
  const line = lineAt(data, offset);
  if (line.length > 2000) return false;
  const text = line.toString('latin1');
  return EXAMPLE_DOMAINS.some((re) => re.test(text));
}

const HTML_PATH = /\.html?$/i;
/** Bytes before a match looked at for the <pre> or <code> element that holds it. */
const CODE_REACH = 4096;
const CODE_TAG = /<(\/?)(?:pre|code)\b/g;

/**
 * Why a keyword rule's value at `offset` is a documentation example, or null: its line names a
 * documentation domain, or, in an HTML page, it stands in a <pre> or <code> element. That is the rendered
 * form of a Markdown code sample (cargo's registries.html: `token = "…"` under "for example:"), and a
 * Markdown file's samples are not matched by keyword rules at all. Provider rules are not asked.
 */
export function exampleContext(data: Buffer, offset: number, path: string | undefined): string | null {
  if (lineNamesExampleDomain(data, offset)) return 'documentation domain on the line';
  if (inCodecovGraphUrl(data, offset)) return 'Codecov graphing token in a badge URL';
  if (path !== undefined && HTML_PATH.test(path) && inCodeElement(data, offset)) return 'code sample in an HTML page';
  return null;
}

/**
 * Codecov's badge and graph URLs carry the repository's graphing token (`…/graph/badge.svg?token=3FJML79ZUK`),
 * which Codecov hands out for READMEs: it shows coverage graphs and nothing else
 * (https://docs.codecov.com/docs/status-badges, Settings > Badges & Graphs). Thousands of READMEs hold one.
 */
const CODECOV_GRAPH = /codecov\.io\/[^\s"'<>()]*\/(?:graph|badge)[^\s"'<>()]*\?(?:[^\s"'<>()]*&)?token=$/i;

function inCodecovGraphUrl(data: Buffer, offset: number): boolean {
  const line = lineAt(data, offset);
  if (line.length > 2000 || !line.includes('codecov.io/')) return false;
  // The match holds `token=` and its value: what stands up to it must be a Codecov graph URL's query.
  const column = offset - line.byteOffset + data.byteOffset;
  const text = line.toString('latin1');
  const at = text.indexOf('token=', column);
  return at >= 0 && CODECOV_GRAPH.test(text.slice(0, at + 'token='.length));
}

/** Whether the last <pre>/<code> tag within CODE_REACH bytes before `offset` opens an element. */
function inCodeElement(data: Buffer, offset: number): boolean {
  const before = data.toString('latin1', Math.max(0, offset - CODE_REACH), offset).toLowerCase();
  let open = false;
  CODE_TAG.lastIndex = 0;
  for (let m = CODE_TAG.exec(before); m; m = CODE_TAG.exec(before)) open = m[1] === '';
  return open;
}

/** Inline suppression: the marker on the same line as the match. `gitleaks:allow` is accepted for migrants. */
const ALLOW_MARKERS = [Buffer.from('sprawl:allow'), Buffer.from('gitleaks:allow')];

export function lineHasAllowMarker(data: Buffer, offset: number): boolean {
  const line = lineAt(data, offset);
  return ALLOW_MARKERS.some((m) => line.includes(m));
}

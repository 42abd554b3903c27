import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { detectText } from './helpers/engine.js';
import { badChecksumToken, fakeChecksummedToken, randomBase62 } from './helpers/tokens.js';
import { placeholderReason } from '../src/detect/filters.js';
import { CHECKSUMS } from '../src/detect/checksums.js';
import { resolveOverlaps } from '../src/detect/engine.js';
import { compileRule, compileRuleSet } from '../src/rules/compile.js';
import type { Match, Rule } from '../src/core/types.js';

const ghp = fakeChecksummedToken('ghp', 'engine-1');

describe('engine', () => {
  it('finds a token deep inside a large chunk (windows around keyword hits)', () => {
    const filler = 'const x = computeSomething(a, b); // ordinary code\n'.repeat(20000);
    const text = filler + `const token = "${ghp}";\n` + filler;
    const matches = detectText(text);
    expect(matches.map((m) => m.secret)).toEqual([ghp]);
    expect(Buffer.from(text).subarray(matches[0]!.start, matches[0]!.end).toString()).toBe(ghp);
  });

  it('never reports a value cut at the end of the window it was matched in', () => {
    // 400 characters: more than the 320 bytes api_key's window reaches past its keyword. The window's end
    // used to stand for the value's end, and a 316-character prefix was reported as the key.
    let seed = 7;
    const rand = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296;
    const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    const long = Array.from({ length: 400 }, () => abc[Math.floor(rand() * abc.length)]).join('');
    expect(detectText(`api_key = "${long}"`).map((m) => m.secret)).toEqual([long]);
    // Longer than a second window's reach too: no key of that length, and no prefix of it.
    expect(detectText(`api_key = "${long}${long}"`)).toEqual([]);
  });

  it('finds nothing in a chunk with no keyword', () => {
    expect(detectText('just some prose without anything interesting in it\n'.repeat(100))).toEqual([]);
  });

  it('reports byte offsets for text with multi-byte characters before the secret', () => {
    const text = `// héllo wörld ✓\nTOKEN=${ghp}\n`;
    const [m] = detectText(text);
    expect(Buffer.from(text).subarray(m!.start, m!.end).toString()).toBe(ghp);
  });

  it('downgrades a token whose checksum fails to low confidence', () => {
    const bad = badChecksumToken('ghp', 'engine-2');
    const [m] = detectText(`TOKEN=${bad}`);
    expect(m?.confidence).toBe('low');
    expect(detectText(`TOKEN=${ghp}`)[0]?.confidence).toBe('high');
  });

  it('drops placeholders, templates, references and documented example keys', () => {
    for (const text of [
      'GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
      'token: ${{ secrets.GITHUB_TOKEN }}',
      'GITHUB_TOKEN=$GITHUB_TOKEN',
      'gho_16C7e42F292c6912E7710c838347Ae178B4a',
    ]) {
      expect(detectText(text), text).toEqual([]);
    }
  });

  it('honours sprawl:allow on the same line only', () => {
    expect(detectText(`TOKEN=${ghp} # sprawl:allow`)).toEqual([]);
    expect(detectText(`# sprawl:allow\nTOKEN=${ghp}`)).toHaveLength(1);
  });

  it('decodes base64 and finds the token inside, pointing at the encoded span', () => {
    const encoded = Buffer.from(`{"auth":"${ghp}"}`).toString('base64');
    const text = `config_b64: ${encoded}\n`;
    const [m] = detectText(text);
    expect(m?.secret).toBe(ghp);
    expect(m?.decodedFrom).toEqual(['base64']);
    expect(text.slice(m!.start, m!.end)).toBe(encoded);
  });

  it('decodes twice by default, and not at all with depth 0', () => {
    const twice = Buffer.from(Buffer.from(`token=${ghp}`).toString('base64')).toString('base64');
    // Decoding is gated: a context word (here `_b64`) or an encoded provider prefix must be near the blob.
    expect(detectText(`config_b64: ${twice}`)[0]?.decodedFrom).toEqual(['base64', 'base64']);
    expect(detectText(`config_b64: ${twice}`, { maxDecodeDepth: 1 })).toEqual([]);
    expect(detectText(`x: ${Buffer.from(`token=${ghp}`).toString('base64')}`, { maxDecodeDepth: 0 })).toEqual([]);
  });

  it('decodes hex and percent-encoding', () => {
    expect(detectText(`API_TOKEN=${Buffer.from(`t=${ghp}`).toString('hex')}`)[0]?.decodedFrom).toEqual(['hex']);
    const pct = encodeURIComponent(`{"t":"${ghp}"}`);
    expect(detectText(`auth: ${pct}`).some((m) => m.secret === ghp)).toBe(true);
  });

  it('names a value by the provider rule when a generic rule also matches it', () => {
    const matches = detectText(`api_token = "${ghp}"`);
    expect(matches).toHaveLength(1);
    expect(matches[0]!.ruleId).toBe('github.pat-classic');
  });

  it('skips generic rules in lockfiles but keeps provider rules', () => {
    const secret = randomBase62(32, 'lock');
    const text = `"password": "${secret}",\n"token": "${ghp}"\n`;
    const inLock = detectText(text, { path: 'app/package-lock.json' }).map((m) => m.ruleId);
    expect(inLock).toEqual(['github.pat-classic']);
  });
});

/** A minimal pattern rule for engine tests. */
function testRule(id: string, fields: Partial<Rule>): Rule {
  return {
    id, name: id, provider: 'test', pattern: '', secretGroup: 0, keywords: [], minEntropy: 0, confidence: 'high',
    criticality: 'medium', generic: false, maxLength: 64, requires: [], examples: [], negativeExamples: [],
    references: [], revocation: { summary: '', url: '', steps: [] }, file: 'test', ...fields,
  };
}

describe('secretPattern', () => {
  const pair = (secretPattern?: string): Rule =>
    testRule('test.pair', { pattern: 'key=([a-z0-9=]+)', secretGroup: 1, keywords: ['key='], ...(secretPattern ? { secretPattern } : {}) });

  it('rejects a candidate whose secret lacks it, and finds a later match that starts inside that candidate', () => {
    const text = 'x key=qzxwvjkey=mxp482 y';
    const without = compileRuleSet([pair()]).ruleSet;
    expect(detectText(text, {}, without).map((m) => m.secret)).toEqual(['qzxwvjkey=mxp482']);
    const rejected: string[] = [];
    const withIt = compileRuleSet([pair('^[a-z]{3}[0-9]{3}$')]).ruleSet;
    expect(detectText(text, { onReject: (id, why) => rejected.push(`${id}: ${why}`) }, withIt).map((m) => m.secret)).toEqual(['mxp482']);
    expect(rejected).toEqual(['test.pair: secret does not match secretPattern']);
  });

  it('is reported as a rule problem when it does not compile', () => {
    expect(compileRule(pair('(?<=a)b')).problem?.message).toMatch(/secretPattern/);
  });

  it("holds the generic rules' mixed run of letters and digits: words and short mixes are no token", () => {
    expect(detectText('api_token = "Zq7vR2mLx9Pw4Kd1"').map((m) => m.secret)).toEqual(['Zq7vR2mLx9Pw4Kd1']);
    for (const value of ['correcthorsebatterystaple', 'abc1-defg-hijk-lmno', 'UPPERCASE_WORDS_ONLY_HERE']) {
      expect(detectText(`api_token = "${value}"`)).toEqual([]);
    }
  });
});

describe('overlap resolution', () => {
  const at = (ruleId: string, start: number, end: number): Match => ({ ruleId, secret: 'x', start, end, matchStart: start, matchEnd: end, confidence: 'medium', decodedFrom: [] });
  const rules = new Map<string, Rule>([
    ['test.provider', testRule('test.provider', {})],
    ['test.generic', testRule('test.generic', { generic: true })],
  ]);

  it('settles each run of overlapping matches on its own and keeps the rest in order', () => {
    const far = Array.from({ length: 3000 }, (_, i) => at('test.generic', 1000 + i * 50, 1000 + i * 50 + 20));
    const matches = [...far, at('test.generic', 10, 40), at('test.provider', 12, 40), at('test.generic', 41, 60), at('test.generic', 500, 520)];
    const kept = resolveOverlaps(matches, (id) => rules.get(id));
    expect(kept.slice(0, 3).map((m) => [m.ruleId, m.start])).toEqual([['test.provider', 12], ['test.generic', 41], ['test.generic', 500]]);
    expect(kept).toHaveLength(3 + far.length);
    expect(kept.every((m, i) => i === 0 || kept[i - 1]!.start <= m.start)).toBe(true);
  });
});

describe('generic rules', () => {
  const value = randomBase62(24, 'generic-1');

  it('report a keyword assignment, at low confidence under test folders', () => {
    expect(detectText(`DB_PASSWORD=${value}1!`, { path: 'config/.env' })[0]?.confidence).toBe('medium');
    expect(detectText(`DB_PASSWORD=${value}1!`, { path: 'src/__tests__/db.env' })[0]?.confidence).toBe('low');
  });

  it('drop common test passwords', () => {
    for (const weak of ['Password123!', 'P@ssw0rd1', 'admin123', 'letmein']) expect(detectText(`password = "${weak}"`), weak).toEqual([]);
  });

  it('do not run on documentation, where provider rules still do', () => {
    const text = `DB_PASSWORD=${value}1!\nGITHUB_TOKEN=${ghp}\n`;
    expect(detectText(text, { path: 'docs/setup.md' }).map((m) => m.ruleId)).toEqual(['github.pat-classic']);
    expect(detectText(text, { path: 'deploy/.env' }).map((m) => m.ruleId).sort()).toEqual(['generic.password-assignment', 'github.pat-classic']);
    // Man pages are documentation by their folder, in a tree or in a package's archive; a rotated log is not.
    for (const path of ['share/man/man5/systemd.netdev.5', 'man/man1/gcloud.1.gz!gcloud.1', 'docs/man/man8/tool.8']) {
      expect(detectText(text, { path }).map((m) => m.ruleId), path).toEqual(['github.pat-classic']);
    }
    expect(detectText(text, { path: 'var/app.log.5' }).map((m) => m.ruleId).sort()).toEqual(['generic.password-assignment', 'github.pat-classic']);
  });

  it('report at low confidence in vendored code, where provider rules keep theirs', () => {
    const text = `API_TOKEN=${value}\nGITHUB_TOKEN=${ghp}\n`;
    for (const path of ['vendor/github.com/acme/sdk/client.go', 'lib/third_party/oauthlib/base.py', 'node_modules/x/index.js']) {
      expect(detectText(text, { path }).map((m) => `${m.ruleId} ${m.confidence}`).sort(), path).toEqual(['generic.token-assignment low', 'github.pat-classic high']);
    }
    expect(detectText(text, { path: 'src/vendors.ts' }).map((m) => m.confidence).sort()).toEqual(['high', 'medium']);
  });

  it('drop type and variable names written as values, but not passwords made of words', () => {
    for (const line of [
      "        'secret': 'V1SecretProjection',",
      '    transformed["oauth2ClientSecret"] = transformedOauth2ClientSecret',
      '    oauth2ClientCredentials: Oauth2ClientCredentials.',
      '    credentials: oauth2client.client.OAuth2Credentials.',
    ]) {
      expect(detectText(line, { path: 'lib/api/models.py' }), line).toEqual([]);
    }
    expect(detectText('SESSION_SECRET = "Zq7vR2mLx9Pw4Kd1Hc6J"').map((m) => m.secret)).toEqual(['Zq7vR2mLx9Pw4Kd1Hc6J']);
    expect(detectText('smtp_password = "CorrectHorseBattery9"').map((m) => m.secret)).toEqual(['CorrectHorseBattery9']);
  });

  it("drop a value that is the next key's label", () => {
    expect(detectText('\t* README: s#password: cvs#password: [empty password]#')).toEqual([]);
    expect(detectText('password: cvs#Xk29qLr7', { path: 'deploy/notes.txt' }).map((m) => m.secret)).toEqual(['cvs#Xk29qLr7']);
  });

  it('drop ARNs, numbers and short hex identifiers', () => {
    for (const v of ['arn:aws:kms:us-east-1:123456789012:key/abcd', '4820591733', '48205d4ffd7feba3']) {
      expect(detectText(`"api_key": "${v}"`), v).toEqual([]);
    }
  });

  it('drop RFC example tokens quoted in library docs', () => {
    expect(detectText('access_token = "2YotnFZFEjr1zCsicMWpAA"')).toEqual([]);
  });

  it('drop values typed by hand (keyboard runs) but keep random ones', () => {
    expect(detectText("'oauth_token_secret=qwe089234lkjsdf&oauth_authorized_realms=movies'")).toEqual([]);
    expect(detectText(`oauth_token_secret = "${value}"`).map((m) => m.secret)).toEqual([value]);
  });

  it('drop values on a line naming a documentation domain; provider tokens there are still leaks', () => {
    expect(detectText(`    https://example.com/protected?access_token=${value}   # Query`)).toEqual([]);
    expect(detectText(`access_token = "${value}"`)).toHaveLength(1);
    expect(detectText(`https://api.example.com/?key=${ghp}`).map((m) => m.ruleId)).toEqual(['github.pat-classic']);
  });

  it('drop code read as a value: property reads, self.X, class names with numbers, email addresses as passwords', () => {
    expect(detectText('r.password=t.url.password:t.url.password=t.password}', { path: 'dist/yarn.js' })).toEqual([]);
    expect(detectText('conn = connect(database=self.DB_NAME, user=self.DB_USER, password=self.DB_PASS)', { path: 'app/db.py' })).toEqual([]);
    expect(detectText('    private_key: Ed25519PrivateKey | Ed448PrivateKey', { path: 'jwt/algorithms.py' })).toEqual([]);
    expect(detectText('ftp.login(username="anonymous", password="twisted@twistedmatrix.com")', { path: 'proto/ftp.py' })).toEqual([]);
    expect(detectText("oauth_token=hh5s93j4hdidpola&oauth_token_secret=hdhd0244k9j7ao03&", { path: 'oauth1/server.py' })).toEqual([]);
    // Public by design: gcloud's installed-app client secret, Jetty's sample keystore password.
    expect(detectText("DEFAULT_CREDENTIALS_DEFAULT_CLIENT_SECRET = 'd-FL95Q19q7MQmFpd7hHD0Ty'", { path: 'auth/util.py' })).toEqual([]);
    expect(detectText('jetty.sslContext.keyStorePassword=OBF:1vny1zlo1x8e1vnw1vn61x8g1zlu1vn4', { path: 'etc/ssl.ini' })).toEqual([]);
    // What these tests must not drop: a password with a dot, an api key of letters and digits.
    expect(detectText('password = "Summer.Time!2024"', { path: 'app/settings.py' })).toHaveLength(1);
    expect(detectText(`api_key = "${value}"`, { path: 'app/settings.py' })).toHaveLength(1);
  });

  it("drop Codecov's graphing token in badge URLs, not its upload token", () => {
    const badge = `<img src="https://codecov.io/gh/acme/lib/branch/main/graph/badge.svg?token=3FJML79ZUK">`;
    expect(detectText(badge, { path: 'src/app/about.html' })).toEqual([]);
    expect(detectText(`.. image:: https://codecov.io/gh/acme/lib/graph/badge.svg?token=4ZFc9dwKqY`, { path: 'setup.cfg' })).toEqual([]);
    expect(detectText(`curl https://codecov.io/upload/v4?token=${value}&commit=abc`).map((m) => m.secret)).toEqual([value]);
  });

  it('drop values that name what should stand there (pypi-token), and read package READMEs as documentation', () => {
    expect(detectText('[pypi]\nusername = __token__\npassword = pypi-token\n', { path: '.pypirc' })).toEqual([]);
    expect(detectText(`DB_PASSWORD=${value}1!\n`, { path: 'rsa-4.9.1.dist-info/METADATA' })).toEqual([]);
    expect(detectText(`DB_PASSWORD=${value}1!\n`, { path: 'rsa-4.9.1/PKG-INFO' })).toEqual([]);
    expect(detectText(`DB_PASSWORD=${value}1!\n`, { path: 'rsa/METADATA.py' })).toHaveLength(1);
  });

  it('drop values in the code samples of an HTML page (rendered docs), not in its scripts', () => {
    const sample = `<p>It has a separate table for each registry, for example:</p>\n<pre><code class="language-toml">[registries.my-registry]\ntoken = "${value}"\n</code></pre>\n`;
    expect(detectText(sample, { path: 'html/cargo/reference/registries.html' })).toEqual([]);
    // The same lines outside a sample, or in another kind of file, are reported.
    const script = `<pre>make</pre>\n<script>\nconst token = "${value}";\n</script>\n`;
    expect(detectText(script, { path: 'public/index.html' }).map((m) => m.secret)).toEqual([value]);
    expect(detectText(sample, { path: 'registries.toml' }).map((m) => m.secret)).toEqual([value]);
    // Provider tokens in a sample are leaks all the same.
    expect(detectText(`<pre><code>GITHUB_TOKEN=${ghp}</code></pre>`, { path: 'docs/ci.html' }).map((m) => m.ruleId)).toEqual(['github.pat-classic']);
  });
});

describe('JWTs', () => {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const sign = (key: string, payload: object) => {
    const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(payload)}`;
    return `${head}.${createHmac('sha256', key).update(head).digest('base64url')}`;
  };

  it('are dropped when signed with a documented example key, kept otherwise', () => {
    const docs = sign('secret', { some: 'payload' });
    const real = sign(randomBase62(32, 'jwt-key'), { sub: 'svc-billing', iat: 1700000000 });
    expect(detectText(`Authorization: Bearer ${docs}`)).toEqual([]);
    expect(detectText(`Authorization: Bearer ${real}`).map((m) => m.secret)).toContain(real);
  });
});

describe('placeholders', () => {
  it.each([
    ['your_api_key_here', /placeholder/],
    ['<YOUR_TOKEN>', /template/],
    ['{{ .Values.password }}', /template/],
    ['${DB_PASSWORD}', /template|reference/],
    ['process.env.API_KEY', /reference/],
    ['aaaaaaaaaaaa', /run|distinct/],
    ['abcdefghij12', /sequence/],
    ['9876543210zz', /sequence/],
    ['AKIAIOSFODNN7EXAMPLE', /documented/],
  ])('%s is not a secret', (value, reason) => {
    expect(placeholderReason(value)).toMatch(reason);
  });

  it('keeps random values', () => {
    expect(placeholderReason(randomBase62(40, 'keep'))).toBeNull();
  });
});

describe('checksums', () => {
  it('validates GitHub and npm CRC32 suffixes', () => {
    expect(CHECKSUMS['github-crc32']!(fakeChecksummedToken('ghp', 'c1'))).toBe(true);
    expect(CHECKSUMS['github-crc32']!(badChecksumToken('ghp', 'c1'))).toBe(false);
    expect(CHECKSUMS['npm-crc32']!(fakeChecksummedToken('npm', 'c2'))).toBe(true);
  });

  it('checks JWT structure', () => {
    const h = Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url');
    const p = Buffer.from('{"sub":"svc-42"}').toString('base64url');
    expect(CHECKSUMS['jwt-structure']!(`${h}.${p}.${randomBase62(43, 'sig')}`)).toBe(true);
    expect(CHECKSUMS['jwt-structure']!(`eyJub3Rqc29u.${p}.abc`)).toBe(false);
  });
});

describe('the keyword locator', () => {
  it('as a trie, finds exactly what the flat longest-first alternation finds', async () => {
    const RE2 = (await import('re2')).default;
    const { escapeRegex, trieAlternation } = await import('../src/rules/compile.js');
    const { loadRules, BUILTIN_RULES_DIR } = await import('../src/rules/load.js');
    const keywords = [...new Set(loadRules([BUILTIN_RULES_DIR]).rules.flatMap((r) => r.keywords.map((k) => k.toLowerCase())))];
    keywords.push('tok', 'token', 'token_secret', 'tokens');
    const flat = new RE2([...new Set(keywords)].sort((a, b) => b.length - a.length).map(escapeRegex).join('|'), 'gi');
    const trie = new RE2(trieAlternation([...new Set(keywords)]), 'gi');
    // Text dense in keywords that contain or extend each other, in both cases, with every rule's examples.
    const examples = loadRules([BUILTIN_RULES_DIR]).rules.flatMap((r) => r.examples.map((e) => e.input));
    const text = Buffer.from([...examples, 'TOKEN_SECRET tokens tok token_secretx Password=PASSWORD -----BEGIN RSA PRIVATE KEY----- https://u:p@h'].join('\n'));
    const ends = (re: InstanceType<typeof RE2>): number[] => {
      const out: number[] = [];
      re.lastIndex = 0;
      while (re.test(text as unknown as string)) out.push(re.lastIndex);
      return out;
    };
    const expected = ends(flat);
    expect(expected.length).toBeGreaterThan(1000);
    expect(ends(trie)).toEqual(expected);
  });
});

import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { base62 } from '../detect/checksums.js';

/**
 * A seeded corpus that looks like a repository's source: code in several languages, config, lockfile
 * lines with integrity hashes, URLs, UUIDs, base64 blobs, and keyword-bearing lines that are not secrets
 * (`const token = getToken()`), which are what make the keyword prefilter work. About one fake secret per
 * MiB. Files of 2-64 KiB, like real source files.
 */
export function generateCorpus(totalBytes: number, seed: string): Buffer[] {
  const rng = seeded(seed);
  const files: Buffer[] = [];
  let total = 0;
  let nextSecret = 1024 * 1024;
  while (total < totalBytes) {
    const size = 2048 + Math.floor(rng() * 62 * 1024);
    const lines: string[] = [];
    let len = 0;
    while (len < size) {
      // Densities measured on real code (this project's node_modules, 56 MiB): ~300 URLs and ~400
      // secret-ish words (`token`, `password`, ...) per MiB; lines average ~50 bytes.
      const roll = rng();
      const pool = roll < 0.006 ? KEYWORD_LINES : roll < 0.021 ? URL_LINES : roll < 0.041 ? BLOB_LINES : LINES;
      const line = pool[Math.floor(rng() * pool.length)]!(rng);
      lines.push(line);
      len += line.length + 1;
    }
    if (total + len >= nextSecret) {
      lines.splice(Math.floor(rng() * lines.length), 0, fakeSecretLine(rng));
      nextSecret += 1024 * 1024;
    }
    const buf = Buffer.from(lines.join('\n') + '\n');
    files.push(buf);
    total += buf.length;
  }
  return files;
}

type Gen = (rng: () => number) => string;

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const WORDS = ['user', 'order', 'config', 'handler', 'request', 'response', 'item', 'cache', 'session', 'client', 'value', 'result', 'index', 'buffer', 'event', 'payload', 'router', 'service', 'account', 'message'];

const pick = <T>(rng: () => number, xs: T[]): T => xs[Math.floor(rng() * xs.length)]!;
const chars = (rng: () => number, alpha: string, n: number): string => Array.from({ length: n }, () => alpha[Math.floor(rng() * alpha.length)]).join('');
const ident = (rng: () => number): string => pick(rng, WORDS) + pick(rng, ['', 'Id', 'Name', 'List', 'Map', 'Count', 'Data']);
const hex = (rng: () => number, n: number): string => chars(rng, '0123456789abcdef', n);

const LINES: Gen[] = [
  (r) => `  const ${ident(r)} = await ${ident(r)}.get${pick(r, WORDS)}(${ident(r)}, { retries: ${Math.floor(r() * 9)} });`,
  (r) => `  if (!${ident(r)} || ${ident(r)}.length === 0) return null;`,
  (r) => `    return ${ident(r)}.map((x) => x.${ident(r)}).filter(Boolean);`,
  (r) => `  // ${pick(r, WORDS)} ${pick(r, WORDS)} is handled by the ${pick(r, WORDS)} layer; see docs/${pick(r, WORDS)}.md`,
  (r) => `def ${ident(r)}_${ident(r)}(self, ${ident(r)}, **kwargs):`,
  (r) => `        self.${ident(r)} = kwargs.get("${ident(r)}", ${Math.floor(r() * 1000)})`,
  (r) => `  ${ident(r)}: ${pick(r, ['true', 'false', String(Math.floor(r() * 100)), `"${ident(r)}"`])}`,
  (r) => `    "${ident(r)}": "${chars(r, ALNUM, 6 + Math.floor(r() * 10))}",`,
  (r) => `  id: "${hex(r, 8)}-${hex(r, 4)}-${hex(r, 4)}-${hex(r, 4)}-${hex(r, 12)}"`,
  (r) => `commit ${hex(r, 40)}`,
  (r) => `  log.info("processed %d ${pick(r, WORDS)} records in %s", count, elapsed)`,
  (r) => `import { ${ident(r)}, ${ident(r)} } from '../${pick(r, WORDS)}/${pick(r, WORDS)}.js';`,
  (r) => `}`,
  () => ``,
];

/** Lockfile and asset lines: random base64, which makes the keyword Set work hardest. */
const BLOB_LINES: Gen[] = [
  (r) => `      "integrity": "sha512-${chars(r, ALNUM + '+/', 86)}==",`,
  (r) => `  img: "data:image/png;base64,${chars(r, ALNUM + '+/', 120)}"`,
];

const URL_LINES: Gen[] = [
  (r) => `      "resolved": "https://registry.npmjs.org/${ident(r)}/-/${ident(r)}-${Math.floor(r() * 9)}.${Math.floor(r() * 20)}.${Math.floor(r() * 9)}.tgz",`,
  (r) => `  <a href="https://${ident(r)}.example.org/${ident(r)}?page=${Math.floor(r() * 50)}">${pick(r, WORDS)}</a>`,
  (r) => `// See https://github.com/${ident(r)}/${ident(r)}/issues/${Math.floor(r() * 9000)}`,
];

/** Lines that mention secrets without holding one: rare in real code, so drawn with a small probability. */
const KEYWORD_LINES: Gen[] = [
  (r) => `  const token = await getToken(${ident(r)});`,
  (r) => `  password: \${${ident(r).toUpperCase()}_PASSWORD}`,
  (r) => `api_key = os.environ["${ident(r).toUpperCase()}_API_KEY"]`,
  (r) => `        env:\n          NPM_TOKEN: \${{ secrets.NPM_TOKEN }}`,
  (r) => `  secret_name = "${ident(r)}-${ident(r)}"`,
];

function fakeSecretLine(rng: () => number): string {
  const body = chars(rng, ALNUM, 30);
  const ghp = `ghp_${body}${base62(crc32(body), 6)}`;
  const akia = `AKIA${chars(rng, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)}`;
  return pick(rng, [`GITHUB_TOKEN=${ghp}`, `aws_access_key_id = ${akia}`, `  "password": "${chars(rng, ALNUM, 18)}!",`]);
}

/**
 * Files dense with secret-like assignments, one per line: a `.env` of tokens, a JSON fixture of client
 * secrets, a YAML of API keys, a properties file of passwords. Every line is a candidate of a generic rule,
 * which is where a rule's cost per match shows (RE2's submatch extraction, the DFA's states for the value).
 */
export function generateDenseFiles(lines: number, seed: string): Buffer[] {
  const rng = seeded(seed);
  const value = (): string => chars(rng, ALNUM, 24);
  const shapes = [
    (i: number) => `SERVICE_${i}_API_TOKEN="${value()}"`,
    (i: number) => `  "clientSecret${i}": "${value()}",`,
    (i: number) => `svc${i}:\n  api_key: ${value()}`,
    (i: number) => `db${i}.password=${value()}`,
  ];
  return shapes.map((line) => Buffer.from(Array.from({ length: lines }, (_, i) => line(i)).join('\n') + '\n'));
}

function seeded(seed: string): () => number {
  let counter = 0;
  let pool = Buffer.alloc(0);
  let at = 0;
  return () => {
    if (at + 4 > pool.length) {
      pool = createHash('sha512').update(`${seed}:${counter++}`).digest();
      at = 0;
    }
    const v = pool.readUInt32BE(at) / 2 ** 32;
    at += 4;
    return v;
  };
}

import { describe, expect, it } from 'vitest';
import type { Match } from '../src/core/types.js';
import { detect } from '../src/detect/engine.js';
import { detectRevision, revisionMemory } from '../src/detect/revisions.js';
import { sharedStretches } from '../src/detect/stretches.js';
import { compileRuleSet } from '../src/rules/compile.js';
import { BUILTIN_RULES_DIR, loadRules } from '../src/rules/load.js';

const rules = loadRules([BUILTIN_RULES_DIR]).rules;
const { ruleSet } = compileRuleSet(rules);
// Every rule's own examples: private key blocks, JWTs, connection strings, tokens of every provider.
const secrets = rules.flatMap((r) => r.examples.map((e) => e.input));

/** mulberry32: the same edits on every run. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Code full of the engine's keywords (token, password, ://, auth, key), so that most lines are hits.
const FILLER = [
  'export function refreshToken(session: Session): Promise<string> {',
  '  const url = `https://api.example.test/v2/${session.id}/token`;',
  '  if (!session.password) throw new Error("password required");',
  '  return fetch(url, { headers: { Authorization: `Bearer ${session.token}` } }).then((r) => r.text());',
  '}',
  '',
  'const apiKeyHeader = "X-Api-Key"; // the key itself comes from the environment',
  '    secret_name = "prod/db/password"',
  '  redis://cache.internal:6379/0',
  '// TODO: rotate credentials when the auth service moves',
];

/** A secret with its last characters spoiled: usually no match at all, until an edit puts them back
 * far from the keyword that starts it. */
const spoil = (secret: string): string => secret.slice(0, -12) + '#'.repeat(12);

function baseFile(rand: () => number): string[] {
  const lines: string[] = [];
  for (let i = 0; i < 700; i++) lines.push(FILLER[Math.floor(rand() * FILLER.length)]!);
  for (let i = 0; i < 25; i++) lines.splice(Math.floor(rand() * lines.length), 0, secrets[Math.floor(rand() * secrets.length)]!);
  for (let i = 0; i < 25; i++) lines.splice(Math.floor(rand() * lines.length), 0, spoil(secrets[Math.floor(rand() * secrets.length)]!));
  return lines;
}

/** One to four edits of the kinds a history holds: added and removed lines, an edited line, a moved
 * block, a changed byte inside a secret, a spoiled secret's end put back, an allow marker added far
 * along a line. */
function edit(lines: string[], rand: () => number): string[] {
  const out = [...lines];
  const at = (): number => Math.floor(rand() * out.length);
  for (let n = 1 + Math.floor(rand() * 4); n > 0; n--) {
    const kind = Math.floor(rand() * 7);
    if (kind === 0) out.splice(at(), 0, secrets[Math.floor(rand() * secrets.length)]!);
    else if (kind === 1 && out.length > 400) out.splice(at(), 1 + Math.floor(rand() * 20));
    else if (kind === 1) out.splice(at(), 0, ...FILLER);
    else if (kind === 2) {
      const i = at();
      out[i] = `${out[i]} // edited ${Math.floor(rand() * 1000)}`;
    } else if (kind === 3) {
      const block = out.splice(at(), 30);
      out.splice(at(), 0, ...block);
    } else if (kind === 4) {
      const i = at();
      const line = out[i]!;
      const j = Math.floor(rand() * line.length);
      out[i] = line.slice(0, j) + (line[j] === 'A' ? 'B' : 'A') + line.slice(j + 1);
    } else if (kind === 6) {
      const from = at();
      const i = out.findIndex((l, k) => k >= from && l.endsWith('#'.repeat(12)));
      const whole = i >= 0 ? secrets.find((x) => spoil(x) === out[i]) : undefined;
      if (whole) out[i] = whole;
    } else {
      const i = out.findIndex((l, k) => k >= at() && secrets.includes(l));
      if (i >= 0) out[i] = `${out[i]}${' '.repeat(2000)}# sprawl:allow`;
    }
  }
  return out;
}

const comparable = (ms: Match[]): string[] => ms.map((m) => JSON.stringify([m.ruleId, m.start, m.end, m.matchStart, m.matchEnd, m.secret, m.confidence, m.decodedFrom])).sort();

describe('matching a file version by version', () => {
  // Seeds 2, 5 and 9 found the cases the design had to answer: a block pasted twice, a key block whose
  // keyword stands far from a change its window reaches, a match RE2 made from an earlier merged window.
  // Restored secrets fail every seed but two when keywords are looked for only 64 bytes around changes.
  // SEEDS=10,11,... runs others (22 seeds passed when this was written).
  it.each((process.env.SEEDS ?? '1,2,3,5,7,9').split(',').map(Number))('finds exactly what matching each version whole finds, while looking at a fraction of the bytes (edits seeded %i)', (seed) => {
    const rand = prng(seed);
    const memory = revisionMemory();
    let lines = baseFile(rand);
    let total = 0;
    for (let v = 0; v < 80; v++) {
      const data = Buffer.from(lines.join('\n') + '\n');
      const options = { path: 'src/session.ts' };
      const whole = detect(data, ruleSet, options);
      expect(comparable(detectRevision(memory, data, ruleSet, options)), `version ${v}`).toEqual(comparable(whole));
      total += whole.length;
      lines = edit(lines, rand);
    }
    // The file is full of secrets, and the comparison did skip most of it.
    expect(total).toBeGreaterThan(80 * 10);
    expect(memory.compared).toBeGreaterThan(0);
    expect(memory.scanned).toBeLessThan(memory.compared / 2);
  });

  it('keeps versions of different paths apart, and matches a small file whole', () => {
    const memory = revisionMemory();
    const rand = prng(11);
    const a = Buffer.from(baseFile(rand).join('\n'));
    const b = Buffer.from(baseFile(rand).join('\n'));
    // A path's first version is kept: its second is compared with it.
    detectRevision(memory, a, ruleSet, { path: 'a.ts' });
    expect(memory.compared).toBe(0);
    detectRevision(memory, a, ruleSet, { path: 'a.ts' });
    expect(memory.compared).toBe(a.length);
    // b.ts is not compared with a.ts's version, whatever it holds.
    expect(comparable(detectRevision(memory, b, ruleSet, { path: 'b.ts' }))).toEqual(comparable(detect(b, ruleSet, { path: 'b.ts' })));
    expect(memory.compared).toBe(a.length);
    expect(comparable(detectRevision(memory, b, ruleSet, { path: 'b.ts' }))).toEqual(comparable(detect(b, ruleSet, { path: 'b.ts' })));
    expect(memory.compared).toBe(a.length + b.length);
    const small = Buffer.from(`const token = "${secrets[0]}";\n`);
    expect(comparable(detectRevision(memory, small, ruleSet, { path: 'a.ts' }))).toEqual(comparable(detect(small, ruleSet, { path: 'a.ts' })));
    expect(memory.compared).toBe(a.length + b.length);
  });
});

describe('shared stretches', () => {
  it('are byte-identical in both versions and cover what an edit left alone', () => {
    const rand = prng(3);
    const prev = Buffer.from(baseFile(rand).join('\n'));
    const next = Buffer.concat([prev.subarray(0, 10000), Buffer.from('inserted line\n'), prev.subarray(10000, 30000), prev.subarray(30100)]);
    const s = sharedStretches(prev, next);
    let covered = 0;
    for (let i = 0; i < s.length; i += 3) {
      const [ns, ne, ps] = [s[i]!, s[i + 1]!, s[i + 2]!];
      expect(next.subarray(ns, ne).equals(prev.subarray(ps, ps + ne - ns))).toBe(true);
      covered += ne - ns;
    }
    expect(covered).toBeGreaterThan(next.length - 200);
  });

  it('finds nothing shared between unrelated files', () => {
    const rand = prng(5);
    expect(sharedStretches(Buffer.from('a'.repeat(50000)), Buffer.from(baseFile(rand).join('\n')))).toEqual([]);
  });
});

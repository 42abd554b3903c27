import { createRequire } from 'node:module';
import type { Document, Node as YamlNode, Pair, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import { lineCounter, type CiVariable } from './model.js';

// yaml is loaded on first use, as in rules/load.ts: a pre-commit scan without CI files never pays for it.
const requireLazy = createRequire(import.meta.url);
export const yaml = (): typeof import('yaml') => requireLazy('yaml') as typeof import('yaml');

/**
 * Helpers over the `yaml` package's node tree, which keeps source ranges (the plain-object form does not).
 * Aliases (`*build`, common in Bitbucket and GitLab files) resolve to their anchor's node, so a step
 * reached through an alias reports the lines where it is written.
 */
export interface YamlCtx {
  doc: Document;
  text: string;
  line: (offset: number) => number;
}

export function yamlCtx(doc: Document, text: string, line = lineCounter(text)): YamlCtx {
  return { doc, text, line };
}

export function resolve(y: YamlCtx, node: unknown): unknown {
  return yaml().isAlias(node) ? node.resolve(y.doc) : node;
}

export function pairs(y: YamlCtx, node: unknown): Pair[] {
  const n = resolve(y, node);
  return yaml().isMap(n) ? ((n as YAMLMap).items as Pair[]) : [];
}

export function items(y: YamlCtx, node: unknown): unknown[] {
  const n = resolve(y, node);
  return yaml().isSeq(n) ? (n as YAMLSeq).items : [];
}

export function keyOf(p: Pair): string {
  const k = p.key as { value?: unknown } | null;
  return k && typeof k.value === 'string' ? k.value : String(k?.value ?? '');
}

/** The value under `key` in a mapping, resolved. */
export function get(y: YamlCtx, node: unknown, key: string): unknown {
  const p = pairs(y, node).find((x) => keyOf(x) === key);
  return p ? resolve(y, p.value) : undefined;
}

/** A scalar's value as a string (numbers and booleans too); null for anything else. */
export function str(y: YamlCtx, node: unknown): string | null {
  const n = resolve(y, node);
  if (!yaml().isScalar(n)) return null;
  const v = (n as Scalar).value;
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : null;
}

/** The lines a node (or a map entry, from its key) covers. */
export function linesOf(y: YamlCtx, node: unknown, from?: unknown): { startLine: number; endLine: number } | null {
  const n = resolve(y, node) as YamlNode | null;
  const f = (from ?? n) as YamlNode | null;
  const start = f?.range?.[0];
  const end = n?.range?.[1];
  if (start === undefined || end === undefined) return null;
  // range[1] is the end of the value itself: trailing comments and blank lines are not part of it.
  return { startLine: y.line(start), endLine: y.line(Math.max(start, end - 1)) };
}

/** A scalar's source range without its quotes (a block scalar's `|` header included). */
export function scalarRange(y: YamlCtx, node: unknown): { start: number; end: number } | null {
  const n = resolve(y, node) as Scalar | null;
  const r = n?.range;
  if (!r || str(y, n) === null) return null;
  const quoted = n!.type === 'QUOTE_DOUBLE' || n!.type === 'QUOTE_SINGLE';
  return quoted ? { start: r[0] + 1, end: Math.max(r[0] + 1, r[1] - 1) } : { start: r[0], end: r[1] };
}

/** Script ranges of a `script:`-like value: one scalar, or a list of them (GitLab lists may nest). */
export function scriptRanges(y: YamlCtx, node: unknown): Array<{ start: number; end: number }> {
  const r = scalarRange(y, node);
  if (r) return [r];
  return items(y, node).flatMap((i) => scriptRanges(y, i));
}

/** A variable from a scalar node, with its value's range. */
export function variable(y: YamlCtx, name: string, node: unknown, block: string): CiVariable {
  const value = str(y, node);
  const r = value === null ? null : scalarRange(y, node);
  return { name, value: r ? value : null, start: r?.start ?? -1, end: r?.end ?? -1, block };
}

/**
 * A mapping of variables (`env:`, `variables:`, `environment:`). A value that is itself a mapping takes its
 * `value` key (GitLab's `{value, description}` form); anything else (`{secure: ...}`) has no literal.
 */
export function mapVariables(y: YamlCtx, node: unknown, block: string): CiVariable[] {
  return pairs(y, node).map((p) => {
    const v = resolve(y, p.value);
    const inner = pairs(y, v).length > 0 ? get(y, v, 'value') : v;
    return variable(y, keyOf(p), inner, block);
  });
}

/**
 * Declared parameters or inputs with their defaults (GitHub `inputs:`, CircleCI `parameters:`, GitLab
 * `spec: inputs:`): `name: {default: value, ...}`. A literal default of a secret-bearing input is a secret
 * written into the pipeline. CircleCI's `env_var_name` parameters default to a variable's name, not a value.
 */
export function parameterDefaults(y: YamlCtx, node: unknown, block: string): CiVariable[] {
  const out: CiVariable[] = [];
  for (const p of pairs(y, node)) {
    if (str(y, get(y, p.value, 'type')) === 'env_var_name') continue;
    const d = get(y, p.value, 'default');
    if (d !== undefined) out.push(variable(y, keyOf(p), d, block));
  }
  return out;
}

/** `NAME=value` pairs in a scalar (Travis `env:` entries), with each value's range in the source. */
export function assignmentVariables(y: YamlCtx, node: unknown, block: string): CiVariable[] {
  const r = scalarRange(y, node);
  if (!r) return [];
  const src = y.text.slice(r.start, r.end);
  const out: CiVariable[] = [];
  for (const m of src.matchAll(/(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|'[^']*'|\S*)/g)) {
    const raw = m[2]!;
    const quoted = raw.length >= 2 && (raw[0] === '"' || raw[0] === "'");
    const at = r.start + m.index! + m[0].length - raw.length + (quoted ? 1 : 0);
    const value = quoted ? raw.slice(1, -1) : raw;
    out.push({ name: m[1]!, value, start: at, end: at + value.length, block });
  }
  return out;
}

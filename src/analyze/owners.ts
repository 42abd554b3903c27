import { createRequire } from 'node:module';
import type { Ignore } from 'ignore';
import type { Finding, Secret } from '../core/types.js';

/** One owner of a secret, with the paths through which it owns it. */
export interface Owner {
  name: string;
  source: 'codeowners' | 'commit-author' | 'workload';
  paths: string[];
}

interface OwnerRule {
  matcher: Ignore;
  owners: string[];
}

/** A parsed CODEOWNERS file: sections of rules. GitHub's files have one implicit section. */
export type CodeOwners = OwnerRule[][];

// Loaded when a CODEOWNERS file is parsed, not at start-up: pre-commit hooks never need it.
const requireLazy = createRequire(import.meta.url);
const ignore = (): Ignore => (requireLazy('ignore') as () => Ignore)();

/** Where GitHub looks for the file, in its order: the first one found is used. */
export const CODEOWNERS_PATHS = ['.github/CODEOWNERS', 'CODEOWNERS', 'docs/CODEOWNERS'];

/**
 * Parses CODEOWNERS with GitHub's semantics (gitignore-style patterns; the last matching line wins;
 * a line with a pattern and no owner removes ownership) and GitLab's `[Section] @default-owners` headers
 * (each section is matched on its own and their owners are combined; `^[Optional]` is accepted).
 * https://docs.github.com/en/repositories/managing-your-repositorys-settings-and-features/customizing-your-repository/about-code-owners
 * https://docs.gitlab.com/ee/user/project/codeowners/reference.html
 */
export function parseCodeOwners(text: string): CodeOwners {
  const sections: CodeOwners = [[]];
  let defaults: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (!line) continue;
    const section = /^\^?\[[^\]]+\](?:\[\d+\])?\s*(.*)$/.exec(line);
    if (section) {
      sections.push([]);
      defaults = section[1]!.split(/\s+/).filter(Boolean);
      continue;
    }
    const [pattern, ...owners] = line.split(/\s+/);
    // Escaped spaces and `\#` in patterns are rare; gitignore syntax covers the rest, anchoring included.
    sections.at(-1)!.push({ matcher: ignore().add(pattern!), owners: owners.length > 0 ? owners : defaults });
  }
  return sections.filter((s) => s.length > 0);
}

/** The owners of one path: in each section, the last matching rule's owners. */
export function ownersOf(codeowners: CodeOwners, path: string): string[] {
  const out = new Set<string>();
  for (const rules of codeowners) {
    let hit: string[] | null = null;
    for (const r of rules) if (r.matcher.ignores(path)) hit = r.owners;
    for (const o of hit ?? []) out.add(o);
  }
  return [...out];
}

/**
 * Owners per secret: the CODEOWNERS owners of every path it stands at (teams before people), then the
 * workloads that use it (and their ServiceAccounts), then the authors of the commits that introduced it.
 * Run after workloads are known.
 */
export function applyOwners(secrets: Secret[], findingsById: Map<string, Finding>, codeowners: Map<string, CodeOwners>): void {
  for (const s of secrets) {
    const byName = new Map<string, Owner>();
    const add = (name: string, source: Owner['source'], path: string): void => {
      const key = `${source}:${name}`;
      const o = byName.get(key) ?? { name, source, paths: [] };
      if (!o.paths.includes(path)) o.paths.push(path);
      byName.set(key, o);
    };
    // The workloads that use it answer "who runs on this credential": their ServiceAccount first.
    for (const w of s.workloads as Array<{ kind: string; name: string; path: string; serviceAccount?: string }>) {
      if (w.serviceAccount) add(`serviceaccount ${w.serviceAccount}`, 'workload', w.path);
      add(`${w.kind} ${w.name}`, 'workload', w.path);
    }
    for (const id of s.findingIds) {
      const f = findingsById.get(id);
      if (!f) continue;
      const co = f.repo ? codeowners.get(f.repo) : undefined;
      const paths = [f.path, ...(f.alsoIntroduced ?? []).map((i) => i.path)];
      if (co) for (const p of paths) for (const o of ownersOf(co, p)) add(o, 'codeowners', p);
      if (f.author) add(f.author, 'commit-author', f.path);
      for (const i of f.alsoIntroduced ?? []) add(i.author, 'commit-author', i.path);
    }
    s.owners = sortOwners([...byName.values()]);
  }
}

/** Owners in the order a reader acts on them: CODEOWNERS teams, people, ServiceAccounts, workloads, authors. */
export function sortOwners(owners: Owner[]): Owner[] {
  const rank = (o: Owner): number =>
    o.source === 'codeowners' ? (o.name.includes('/') ? 0 : 1) : o.source === 'workload' ? (o.name.startsWith('serviceaccount ') ? 2 : 3) : 4;
  return owners.sort((a, b) => rank(a) - rank(b) || b.paths.length - a.paths.length || a.name.localeCompare(b.name));
}

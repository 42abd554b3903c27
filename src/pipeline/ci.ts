import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CiPipeline } from '../ci/model.js';
import { parseCiConfig } from '../ci/parse.js';
import { ciSystemOf, type CiSystem } from '../core/paths.js';
import type { Chunk } from '../core/types.js';
import type { SourceContext } from '../sources/context.js';

/** Which scanned files configure CI: by their name, or because `.gitlab-ci.yml` includes them. */
export interface CiFiles {
  systemOf(path: string): CiSystem | null;
  /**
   * Reads `.gitlab-ci.yml` at a folder target's root and follows its `include: local` entries (and theirs),
   * so that `ci/deploy.yml` is read as GitLab CI when both are in the scan. Paths are relative to the
   * root, as chunk paths are. Globs (`ci/*.yml`) match paths; the files they match are not followed.
   */
  addIncludes(root: string): void;
}

/** How deep includes of includes are followed; GitLab allows 150 includes in all. */
const MAX_INCLUDE_DEPTH = 10;

export function ciFiles(): CiFiles {
  const literal = new Set<string>();
  const globs: RegExp[] = [];
  const follow = (root: string, rel: string, depth: number): void => {
    if (depth > MAX_INCLUDE_DEPTH) return;
    const abs = join(root, rel);
    let text: string;
    try {
      if (!statSync(abs).isFile()) return;
      text = readFileSync(abs, 'utf8');
    } catch {
      return; // A missing include is GitLab's error to report, not a scanning problem.
    }
    for (const inc of parseCiConfig('gitlab-ci', text).pipeline?.includes ?? []) {
      if (/[*?]/.test(inc)) globs.push(globRegex(inc));
      else if (!literal.has(inc)) {
        literal.add(inc);
        follow(root, inc, depth + 1);
      }
    }
  };
  return {
    systemOf(path) {
      const named = ciSystemOf(path);
      if (named) return named;
      return literal.has(path) || globs.some((g) => g.test(path)) ? 'gitlab-ci' : null;
    },
    addIncludes(target) {
      const root = resolve(target);
      if (!existsSync(root) || !statSync(root).isDirectory()) return;
      for (const name of ['.gitlab-ci.yml', '.gitlab-ci.yaml']) follow(root, name, 0);
    },
  };
}

/** GitLab's include globs: `*` within a folder, `**` across folders. */
function globRegex(glob: string): RegExp {
  const re = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*\/?|\*|\?/g, (g) => (g === '**/' ? '(?:.*/)?' : g === '**' ? '.*' : g === '*' ? '[^/]*' : '[^/]'));
  return new RegExp(`^${re}$`);
}

/**
 * A chunk's CI pipeline, parsed once for the detectors and the workloads. Invalid YAML gets a warning
 * naming the file and a count; the file's bytes are still scanned as text.
 */
export function parseChunk(chunk: Chunk, system: CiSystem, ctx: SourceContext, warn: boolean): CiPipeline | null {
  const parsed = parseCiConfig(system, chunk.data.toString('utf8'));
  if (parsed.pipeline) return parsed.pipeline;
  if (warn) {
    const where = chunk.provenance.commit ? ` (commit ${chunk.provenance.commit.slice(0, 12)})` : chunk.provenance.blobId ? ` (blob ${chunk.provenance.blobId.slice(0, 12)})` : '';
    ctx.warn(`${chunk.provenance.path}${where}: not valid YAML (${parsed.error}); scanned as plain text, without its jobs and steps`);
    ctx.count('ci-config-invalid', 1);
  }
  return null;
}

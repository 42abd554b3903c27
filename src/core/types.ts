/**
 * The few records every layer shares. Data flows one way:
 * Chunk (sources) → Match (detect, holds the raw value, memory only) → Finding / Secret (analyze, redacted)
 * → Report (report formatters).
 */

/** Where a piece of content came from. */
export type SourceKind = 'file' | 'git' | 'ci-config' | 'log' | 'stdin' | 'archive';

/** How sure a rule is that a match is a live credential. */
export type Confidence = 'high' | 'medium' | 'low';

/** Provider criticality, used by risk scoring: cloud root keys > SaaS tokens > webhooks. */
export type Criticality = 'critical' | 'high' | 'medium' | 'low';

/** Where a chunk's bytes stand. Every field except `source` and `path` is optional. */
export interface Provenance {
  source: SourceKind;
  /** Path as the user should see it: relative to the scan target when possible, `-` for stdin. */
  path: string;
  /** Repository root or name, when the content belongs to one. */
  repo?: string;
  /** Commit that introduced the content (git sources). */
  commit?: string;
  author?: string;
  authorEmail?: string;
  /** ISO-8601 date of `commit`. */
  date?: string;
  /** Git blob id, when known. Lets the engine scan each blob once. */
  blobId?: string;
  /** For a CI log (`source: 'log'`): the job that printed it and where its steps begin. */
  log?: LogProvenance;
}

/** What a CI log says about who printed it. Filled by sources/logs; read when a finding is placed. */
export interface LogProvenance {
  /** `github-actions`, `gitlab-ci`, or `unknown` for a plain log. */
  system: string;
  /** The job that printed the log: from a run-log zip's entry names, or a GitLab trace's file name. */
  job: string | null;
  /** Where steps begin, by byte offset in the chunk, ascending: from a step file's name (one entry at 0),
   * `##[group]Run ...` lines or GitLab `section_start`/`section_end` markers. `step: null` means outside
   * any step from that offset on. */
  steps: Array<{ at: number; step: string | null }>;
}

/** A piece of content to scan, with its provenance. Sources yield these; the engine never asks which kind. */
export interface Chunk {
  data: Buffer;
  provenance: Provenance;
}

/** A provider's revocation and rotation data, carried by every provider rule. */
export interface Revocation {
  summary: string;
  url: string;
  steps: string[];
}

/** An example a rule must match, with the secret it must extract. */
export interface RuleExample {
  input: string;
  secret: string;
  /** The confidence the secret must be reported with. Unchecked when absent. */
  confidence?: Confidence;
  /** The path the input is scanned at. Structural rules need it: a CI system is recognised by path. */
  path?: string;
}

/** Input a rule must not match; `path` as in RuleExample. In YAML, a plain string when it needs no path. */
export interface NegativeExample {
  input: string;
  path?: string;
}

/** A detection rule, as loaded from `rules/*.yaml`. See rules/README.md for each field's contract. */
export interface Rule {
  /** Stable, namespaced id (`github.pat-classic`). Never renamed: baselines and inventories key on it. */
  id: string;
  name: string;
  provider: string;
  /** RE2 syntax. Empty for a structural rule (`detector`). */
  pattern: string;
  /** A structural detector (src/detect/ci-pipeline.ts) instead of a pattern: the rule finds what a regex
   * cannot, such as a pipeline step that echoes a secret variable. Such a rule has no pattern or keywords;
   * its examples are whole files, each with the path it is scanned at. */
  detector?: string;
  /** Capture group holding the secret: index or name. 0 = the whole match. */
  secretGroup: number | string;
  /** RE2 pattern the secret must contain (searched unanchored). A candidate whose secret holds none is no
   * match, and the search goes on from the byte after the candidate's start, as if `pattern` required it.
   * For conditions that cost the full pattern's DFA dearly: counting a run of 8 mixed letters and digits
   * inside an assignment pattern made RE2 build states for every alignment, ~200 µs a match. */
  secretPattern?: string;
  /** Literals (matched case-insensitively) that, standing right before the secret, mark a value published
   * by design: the match is reported with low confidence. An AWS key ID after `X-Amz-Credential=` is the
   * public half of a presigned URL's signature, readable by anyone the URL is sent to. */
  publicAfter?: string[];
  /** Literals (matched case-insensitively) of which at least one occurs in every match: the prefilter. */
  keywords: string[];
  /** Minimum Shannon entropy (bits per character) of the secret. 0 disables the check. */
  minEntropy: number;
  confidence: Confidence;
  criticality: Criticality;
  /** Named checksum algorithm (see detect/checksums.ts). A failing checksum downgrades to low confidence. */
  checksum?: string;
  /** Keyword-assignment rules that any provider rule outranks for the same value. */
  generic: boolean;
  /** Bytes after a keyword hit in which a match may end (default 512). PEM blocks need more. */
  maxLength: number;
  /** Literals that must also occur between the keyword and `maxLength` after it (e.g. `@` for
   * credentials in URLs): a cheap check that spares the full pattern most hits of a common keyword. */
  requires: string[];
  examples: RuleExample[];
  negativeExamples: NegativeExample[];
  references: string[];
  revocation: Revocation;
  /** File the rule was loaded from, for error messages. */
  file: string;
}

/** One detection in a chunk. Holds the raw secret: never leaves the process unredacted. */
export interface Match {
  ruleId: string;
  /** The raw secret value. */
  secret: string;
  /** Byte offsets of the secret in the chunk's data (from 0, end exclusive). For a decoded secret,
   * the span of the encoded segment that held it. */
  start: number;
  end: number;
  /** Byte offsets of the whole match. */
  matchStart: number;
  matchEnd: number;
  confidence: Confidence;
  /** Decoding steps that revealed the secret, outermost first (`base64`, `percent`, `hex`). */
  decodedFrom: string[];
  /** Set when the secret is a literal in a CI variable block: the block (`env`, `variables`,
   * `environment`, `env.global`, `export`, ...). The pipeline holds the value where a reference to the CI
   * secret store belongs. */
  ciBlock?: string;
  /** Set when the match is about a variable, not a value in the text: a CI step that prints a
   * secret-bearing variable. `secret` then holds the variable's identity (`ci-variable:<system>:<name>`),
   * which the secretId keys together with the repository; reports show `reference`, not a redacted value:
   * a name is not secret. */
  variable?: {
    /** The variable as the step reads it: `$DEPLOY_TOKEN`, `${{ secrets.NPM_TOKEN }}`, `all CI/CD variables`. */
    reference: string;
    /** What the secret is called where it is kept, the same for every step that prints it:
     * `secrets.NPM_TOKEN` (a GitHub secret, also through an `env:` binding), `$DEPLOY_TOKEN`. */
    stored: string;
    /** The bare name (`NPM_TOKEN`), to join with the jobs that read it; absent for a dump of every variable. */
    name?: string;
    /** How the step prints it: `echo`, `set -x at line N`, `printenv`, `env`. */
    how: string;
  };
}

/** A position in text: lines from 1, columns from 1 in UTF-16 code units (SARIF's default column kind). */
export interface Position {
  line: number;
  column: number;
}

/** One occurrence of a secret, as reported. Redacted unless the user asked for `--reveal`. */
export interface Finding {
  /** sha256(ruleId, provenance, span), truncated: stable across runs for the same occurrence. */
  id: string;
  secretId: string;
  ruleId: string;
  ruleName: string;
  provider: string;
  confidence: Confidence;
  source: SourceKind;
  repo: string | null;
  path: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  commit: string | null;
  author: string | null;
  date: string | null;
  /** Redacted secret (raw with `--reveal`). */
  secret: string;
  /** The matched text with the secret redacted in place (raw with `--reveal`). */
  match: string;
  decodedFrom: string[];
  /** Git blob holding the occurrence, for history findings. */
  blobId?: string;
  /** For a finding in a CI configuration: the system, the workflow file, and the job and step holding it.
   * For a finding in a CI log: the system, the log file or run-log archive (`workflow`), and the job and
   * step that printed it. `block` is set when the value is a literal in a pipeline variable block (`env`,
   * `variables`, `environment`, `env.global`, `export`): hard-coded where the CI secret store belongs,
   * whichever rule names it. */
  ci?: { system: string; workflow: string; job: string | null; step: string | null; block?: string };
  /** The variable the value is assigned to on its line (`FOO=...`, `FOO: ...`), which CI jobs may read;
   * for a `ci.secret-echoed` finding, the variable the step prints. */
  variable?: string;
  /** Workloads that use the value where it stands: the CI job, Kubernetes workload, compose service,
   * Terraform resource or image whose definition holds it. */
  workloads?: Array<{ kind: string; name: string; path: string; via: string }>;
  /** Later commits that introduced the same blob (renames, re-adds on other branches), oldest first. */
  alsoIntroduced?: Array<{ commit: string; date: string; author: string; path: string }>;
}

/** A commit-level point in a secret's life. */
export interface SeenAt {
  commit: string | null;
  date: string | null;
  author: string | null;
}

/** One entry per unique secret value. Lifecycle, owner and workload fields are filled by later analyses. */
export interface Secret {
  secretId: string;
  ruleId: string;
  provider: string;
  confidence: Confidence;
  /** Redacted value (raw with `--reveal`). */
  secret: string;
  occurrences: number;
  findingIds: string[];
  paths: string[];
  repos: string[];
  firstSeen: SeenAt | null;
  lastSeen: SeenAt | null;
  ageDays: number | null;
  inWorkingTree: boolean | null;
  /** `exposed` (in the working tree), `removed-not-rotated` (only in history), `superseded` (the same rule
   * at the same path later holds another value). Null before lifecycle analysis. */
  status: 'exposed' | 'removed-not-rotated' | 'superseded' | null;
  /** Older than the long-lived threshold (default 90 days, `--max-age`). */
  longLived: boolean | null;
  /** 0-100; orders the report. Formula in analyze/risk.ts and the README. */
  risk: number | null;
  /** Distinct files, repositories and kinds of source holding the value. */
  duplication: { files: number; repos: number; sources: string[] } | null;
  /** secretIds of values that form one credential with this one (an AWS key id and its secret key). */
  related: string[];
  owners: unknown[];
  workloads: unknown[];
  revocation: Revocation | null;
}

/** Counters of a scan. `skipped` maps a reason (`binary`, `too-large`, ...) to how many inputs it skipped. */
export interface ScanStats {
  bytesScanned: number;
  blobsScanned: number;
  filesScanned: number;
  commitsWalked: number;
  durationMs: number;
  skipped: Record<string, number>;
}

/** A rule as the report needs it: enough for SARIF's rule metadata and the text report. */
export interface RuleSummary {
  id: string;
  name: string;
  provider: string;
  confidence: Confidence;
  references: string[];
  revocation: Revocation;
}

/** Everything a formatter needs. Formatters are pure functions of this. */
export interface Report {
  schemaVersion: 1;
  tool: { name: 'sprawl'; version: string };
  scan: {
    startedAt: string;
    finishedAt: string;
    targets: string[];
    stats: ScanStats;
    warnings: string[];
  };
  findings: Finding[];
  secrets: Secret[];
  /** Rules that produced findings, for formatters that describe rules (SARIF). Not part of the JSON schema. */
  rules: RuleSummary[];
}

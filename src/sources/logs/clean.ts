/**
 * Cleaning a CI log before matching, without moving a byte.
 *
 * Runners decorate every line: GitHub Actions prefixes an ISO-8601 timestamp
 * (`2024-01-02T03:04:05.1234567Z `), GitLab wraps its sections in `section_start:<ts>:<name>\r\e[0K`
 * markers, both colour output with ANSI escapes, and both print masked secrets as `***` / `[MASKED]`.
 *
 * Why blank instead of delete: the engine reports byte offsets, and line and column are computed from the
 * chunk's bytes. Overwriting each stripped byte with a space keeps every offset where it was, so a finding's
 * line and column point into the ORIGINAL file with no offset map to build, carry or get wrong. Everything
 * stripped is ASCII (one byte, one UTF-16 unit), so columns stay exact as well. The price: an escape
 * sequence inside a token leaves a space there instead of rejoining the two halves; runners colour whole
 * lines or words, not the middle of a token, so a mapping would buy little for its complexity.
 */

/** A cleaned log: same length as the input, decorations blanked. */
export interface CleanedLog {
  data: Buffer;
  /** Masked values (`***`, `[MASKED]`) seen: blanked, not reported, counted in the stats. */
  masked: number;
  /** Where steps begin (byte offsets, ascending); see LogProvenance.steps. */
  steps: Array<{ at: number; step: string | null }>;
  /** The runner that wrote the log, judged from its markers. */
  system: 'github-actions' | 'gitlab-ci' | 'unknown';
}

/** A timestamp at a line start, with GitLab's optional stream tag (`00O `, `01E+ `) that its timestamped
 * traces add after it. A line starts after a newline, at the start of the data, or after the data's UTF-8
 * byte-order mark (GitHub starts its log files with one; it stays, so line 1's columns count it as editors
 * do: as one character). */
const TIMESTAMP = /(?<=^|\n|^\xef\xbb\xbf)\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d) (?:[0-9a-f]{2}[OE]\+? )?/g;
/** GitHub's timestamps carry 7-digit fractions of a second (.NET ticks). */
const GITHUB_TIMESTAMP = /(?<=^|\n|^\xef\xbb\xbf)\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z /;
/** ANSI escapes: CSI (colours, `\e[0K`), terminated OSC (titles, links) and two-byte escapes. An OSC
 * without its terminator loses only its first two bytes: blanking to the line's end could hide a secret. */
const ANSI = /\x1b(?:\[[0-?]*[ -\/]*[@-~]|\][^\x07\x1b\n]*(?:\x07|\x1b\\)|[@-Z\\-_])/g;
/** GitLab collapsible sections: https://docs.gitlab.com/ci/jobs/job_logs/#custom-collapsible-sections */
const SECTION = /section_(start|end):\d+:([A-Za-z0-9_.-]+)(?:\[[^\]\r\n]*\])?\r?/g;
/** GitHub masks with `***` (a longer run of asterisks is not a mask); GitLab with `[MASKED]`. */
const MASK = /\[MASKED\]|(?<!\*)\*\*\*(?!\*)/g;
/** A GitHub Actions step header (`##[group]Run <command>`) or the start of the post-job steps. */
const GITHUB_STEP = /(?<=^|\n|^\xef\xbb\xbf)[ \t]*(?:##\[group\](Run [^\r\n]*)|(Post job cleanup)\.)/g;

const MAX_STEP_NAME = 120;

/** Strips the decorations, counts the masks and reads the step markers. Lengths and offsets are kept. */
export function cleanLog(input: Buffer): CleanedLog {
  const data = Buffer.from(input);
  // latin1 maps each byte to one character, so string indices are byte offsets.
  const text = data.toString('latin1');
  const blank = (re: RegExp): RegExpExecArray[] => {
    const hits = [...text.matchAll(re)];
    for (const m of hits) data.fill(0x20, m.index, m.index + m[0].length);
    return hits;
  };
  blank(TIMESTAMP);
  blank(ANSI);
  const sections = blank(SECTION);
  const masked = blank(MASK).length;
  const steps = gitlabSteps(sections);
  const cleaned = data.toString('latin1');
  for (const m of cleaned.matchAll(GITHUB_STEP)) steps.push({ at: m.index, step: stepName(m[1] ?? m[2]!) });
  steps.sort((a, b) => a.at - b.at);
  return { data, masked, steps, system: systemOf(text, sections.length > 0) };
}

/** GitLab by its sections or its runner banner; GitHub by its workflow-command markers or timestamps. */
function systemOf(text: string, hasSections: boolean): CleanedLog['system'] {
  if (hasSections || text.includes('Running with gitlab-runner')) return 'gitlab-ci';
  if (/##\[(?:group|endgroup|error|warning)\]/.test(text) || GITHUB_TIMESTAMP.test(text)) return 'github-actions';
  return 'unknown';
}

/** Sections nest: a `section_end` returns to the enclosing section. */
function gitlabSteps(markers: RegExpExecArray[]): Array<{ at: number; step: string | null }> {
  const out: Array<{ at: number; step: string | null }> = [];
  const open: string[] = [];
  for (const m of markers) {
    const name = m[2]!;
    if (m[1] === 'start') open.push(name);
    else {
      const i = open.lastIndexOf(name);
      if (i === -1) continue;
      open.length = i;
    }
    out.push({ at: m.index, step: open.at(-1) ?? null });
  }
  return out;
}

/** A step name from latin1-decoded bytes, back to UTF-8, trimmed and bounded. */
function stepName(raw: string): string {
  const s = Buffer.from(raw, 'latin1').toString('utf8').trim();
  return s.length > MAX_STEP_NAME ? `${s.slice(0, MAX_STEP_NAME)}…` : s;
}

/** Cheap look at a text's head: does it read like a CI runner's log? */
export function looksLikeCiLog(data: Buffer): boolean {
  const head = data.toString('latin1', 0, Math.min(data.length, 4096));
  return (
    /(?:^(?:\xef\xbb\xbf)?|\n)\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z /.test(head) ||
    /##\[(?:group|endgroup|error|warning|debug)\]/.test(head) ||
    /section_start:\d+:/.test(head) ||
    head.includes('Running with gitlab-runner')
  );
}

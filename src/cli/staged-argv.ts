/** Options of `sprawl scan` that take one value as the next argument (`--opt value`). */
const WITH_VALUE = new Set([
  '-c', '--config', '-f', '--format', '-o', '--output', '--exit-code', '--baseline', '--max-file-size', '--max-decode-depth',
  '--max-age', '--archive-depth', '--archive-bytes', '--archive-ratio', '--inventory', '--workers',
]);

/**
 * The folder of a `sprawl scan --staged [path]` command line, read before commander has loaded, or null
 * when the line is anything else or is not plain enough to be sure (variadic options, several paths).
 * A wrong guess costs nothing: the scan lists afresh when the folder it parses is not this one.
 */
export function stagedScanTarget(argv: string[]): string | null {
  if (argv[0] !== 'scan' || !argv.includes('--staged')) return null;
  const paths: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return null;
    if (!a.startsWith('-') || a === '-') paths.push(a);
    else if (WITH_VALUE.has(a)) i++;
    else if (a === '--rules' || a === '--refs') return null;
  }
  return paths.length === 0 ? '.' : paths.length === 1 ? paths[0]! : null;
}

/** CI systems whose configuration sprawl recognises by path, and the system each path belongs to. */
export type CiSystem = 'github-actions' | 'gitlab-ci' | 'circleci' | 'azure-pipelines' | 'bitbucket-pipelines' | 'travis' | 'jenkins';

const CI_PATHS: Array<[RegExp, CiSystem]> = [
  [/^\.github\/workflows\/[^/]+\.ya?ml$|(?:^|\/)action\.ya?ml$/, 'github-actions'],
  [/(?:^|\/)\.gitlab-ci\.ya?ml$|(?:^|\/)\.gitlab\/ci\/[^/]+\.ya?ml$/, 'gitlab-ci'],
  [/(?:^|\/)\.circleci\/config\.ya?ml$/, 'circleci'],
  [/(?:^|\/)azure-pipelines[\w.-]*\.ya?ml$/, 'azure-pipelines'],
  [/(?:^|\/)bitbucket-pipelines\.ya?ml$/, 'bitbucket-pipelines'],
  [/(?:^|\/)\.travis\.ya?ml$/, 'travis'],
  [/(?:^|\/)Jenkinsfile(?:\.[\w-]+)?$/, 'jenkins'],
];

/** The CI system a path configures, or null. */
export function ciSystemOf(path: string): CiSystem | null {
  for (const [re, system] of CI_PATHS) if (re.test(path)) return system;
  return null;
}

/**
 * Formats whose first bytes always hold a NUL (`\0asm`, PNG's IHDR length, a font's version 00 01 00 00,
 * ELF's padding, `.DS_Store`'s `00 00 00 01 Bud1`, ...): the content check would call every one binary, so a
 * history source can skip them by name and spare git inflating them (on three.js's history: 37 of 469 MiB),
 * and an archive its members (a jar is mostly .class files: a Maven repository took 43 s, then 7.4).
 */
const BINARY_FORMAT = /\.(?:png|jpe?g|gif|ico|webp|woff2?|ttf|otf|eot|wasm|glb|ktx2|mp3|mp4|m4a|wav|ogg|class|pyc|so|dylib|dll|exe|o)$|(?:^|\/)\.DS_Store$/i;

export function isBinaryFormat(path: string): boolean {
  return BINARY_FORMAT.test(path);
}

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

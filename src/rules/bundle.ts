/** Build step: validate the built-in rules and write dist/rules.bundle.json (see rules/load.ts). */
import { BUILTIN_BUNDLE, writeBuiltinBundle } from './load.js';

const { rules, problems } = writeBuiltinBundle();
if (problems.length > 0) {
  // Not fatal for the build: scans fall back to the YAML, and `npm test` reports the problems in full.
  console.error(`rules: ${problems.length} problem(s); no bundle written. Run: node dist/cli/sprawl.cjs rules check`);
} else {
  console.error(`rules: ${rules.length} rules bundled into ${BUILTIN_BUNDLE}`);
}

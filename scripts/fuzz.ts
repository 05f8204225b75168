// `npm run fuzz -- [--runs N] [--seed S]`: every fuzz property, N cases each (default 1,000), with a
// random seed unless given. Prints cases and time per property, and each failure with the seed and
// path that replay it (`fc.assert(prop, { seed, path })`), to be turned into a fixture.
import fc from 'fast-check';
import { properties } from '../test/fuzz/properties.js';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const runs = Number(arg('--runs') ?? 1000);
const seed = Number(arg('--seed') ?? Date.now() % 2 ** 31);
let failed = 0;
for (const { name, prop } of properties) {
  const t0 = Date.now();
  const r = await fc.check(prop, { numRuns: runs, seed });
  const s = ((Date.now() - t0) / 1000).toFixed(1);
  if (r.failed) {
    failed++;
    console.log(`FAIL ${name}: after ${r.numRuns} cases in ${s} s; replay with seed ${r.seed}, path "${r.counterexamplePath}"`);
    console.log(`  counterexample: ${fc.stringify(r.counterexample)}`);
    console.log(`  error: ${r.errorInstance instanceof Error ? r.errorInstance.message : String(r.errorInstance)}`);
  } else console.log(`ok   ${name}: ${r.numRuns} cases in ${s} s (seed ${seed})`);
}
process.exitCode = failed ? 1 : 0;

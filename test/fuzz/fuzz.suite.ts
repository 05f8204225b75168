// A short, seeded run of the fuzz properties (test/fuzz/properties.ts); `npm run fuzz` runs them long.
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { properties } from './properties.js';

/** Runs per property in the test suite: enough to catch a regression, under a minute in all. */
const RUNS = 40;

describe('fuzz: untrusted input never escapes as an exception', () => {
  for (const { name, prop } of properties) {
    it(name, async () => {
      await fc.assert(prop, { numRuns: RUNS, seed: 20261207, endOnFailure: true });
    });
  }
});

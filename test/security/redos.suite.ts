// Untrusted mail and code go through every regular expression in src/: none may backtrack worse
// than quadratically unless the code bounds what it is applied to, and no new quadratic one may
// come in (write it linear, or bound its input).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { regexpLiterals } from './regexps.js';
import { keyOf, loadVerdicts, superQuadratic, verdictOf } from './redos.js';

const root = join(import.meta.dirname, '../..');

describe('security: ReDoS review of every regular expression', () => {
  it('no pattern is worse than quadratic unless its input is bounded, and every quadratic one is known', async () => {
    const known = loadVerdicts();
    const patterns = regexpLiterals(root);
    assert.ok(patterns.length > 300, `only ${patterns.length} patterns found: the collector is broken`);
    const bad: string[] = [];
    for (const p of patterns) {
      const cached = known[keyOf(p)];
      // A pattern not in the verdicts file is new or changed: checked now.
      const v = cached ?? (await verdictOf(p));
      if (superQuadratic(v) && !cached?.bounded) bad.push(`${p.where}: ${v.complexity}: ${keyOf(p)}`);
      else if (!cached && v.status === 'vulnerable')
        bad.push(`${p.where}: a new ${v.complexity} pattern (write it linear or bound its input, then npm run redos): ${keyOf(p)}`);
    }
    assert.deepEqual(bad, []);
  });

  it('the checker tells a catastrophic pattern from a linear one', async () => {
    assert.ok(superQuadratic(await verdictOf({ where: 'test', source: '^(a|a)*$', flags: '' })));
    assert.equal((await verdictOf({ where: 'test', source: '^[a-z]+$', flags: '' })).status, 'safe');
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadSemanticsDir, parseRuleText, RuleError } from '../src/semantics/load.js';

describe('semantics: rule files', () => {
  it('loads the bundled rules and answers lookups', () => {
    const sem = loadSemanticsDir();
    assert.equal(sem.primitive('spin_lock_irqsave')?.op, 'acquire');
    assert.equal(sem.sleeps('msleep'), true);
    assert.equal(sem.sleeps('mutex_lock'), true);
    assert.equal(sem.sleeps('spin_lock'), false);
  });

  it('names the file and line of a schema error', () => {
    const text = 'subsystem: t\nprimitives:\n  foo_lock: { op: acquire, family: spn, lock: 0 }\n';
    assert.throws(
      () => parseRuleText(text, 'rules/t.yaml'),
      (e: unknown) => e instanceof RuleError && /^rules\/t\.yaml:3: primitives\.foo_lock\.family/.test(e.message),
    );
  });

  it('names the line of a YAML syntax error', () => {
    assert.throws(
      () => parseRuleText('subsystem: t\nprimitives: [\n', 'r.yaml'),
      (e: unknown) => e instanceof RuleError && /^r\.yaml:\d+: YAML error/.test(e.message),
    );
  });

  it('rejects unknown keys', () => {
    assert.throws(() => parseRuleText('subsystem: t\nguards: [{ field: a.b, lock: a.l, lokc: x }]\n', 'r.yaml'), RuleError);
  });
});

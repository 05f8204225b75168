// The rule registry is the one list every part reads: the checks run what it declares, the README's
// table and the fixture directories agree with it, and every declaration is complete.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RULES, ruleById, effectiveSeverity, defaultRuleSettings } from '../../src/analysis/registry.js';
import { engineChecks } from '../../src/analysis/checks/index.js';
import { raceChecks } from '../../src/analysis/races/index.js';
import { interpolate, report, templateOf, defineRule } from '../../src/analysis/rule.js';
import { ruleTableMarkdown } from '../../src/report/rules.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('rule registry', () => {
  it('lists every check and the model rules once, with complete declarations', () => {
    const ids = RULES.map((r) => r.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const c of [...engineChecks, ...raceChecks]) assert.equal(ruleById(c.meta.id), c.meta, `${c.meta.id} is the check's own declaration`);
    for (const id of ['model-violation', 'deadlock']) assert.ok(ruleById(id), id);
    for (const r of RULES) {
      assert.match(r.id, /^[a-z][a-z0-9-]+$/);
      assert.ok(r.summary.length > 20 && !r.summary.includes('\n'), `${r.id}: one-line summary`);
      assert.ok(r.description.length > r.summary.length, `${r.id}: full description`);
      assert.ok(r.help.bad.trim() && r.help.good.trim() && r.help.bad !== r.help.good, `${r.id}: buggy and fixed examples`);
      assert.ok(r.cwe.length > 0 && r.cwe.every((c) => Number.isInteger(c)), `${r.id}: CWE`);
      assert.ok(Object.keys(r.messages).length > 0, `${r.id}: messages`);
      for (const [k, m] of Object.entries(r.messages)) {
        assert.ok(templateOf(m).trim(), `${r.id}.${k}: template`);
        if (typeof m !== 'string') assert.notEqual(m.severity, r.severity, `${r.id}.${k}: a message severity differs from the rule's`);
      }
    }
  });

  it("the README's rule table is the registry's", () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const m = /<!-- rules:start -->\n([\s\S]*?)<!-- rules:end -->/.exec(readme);
    assert.ok(m, 'README has the rules table between <!-- rules:start --> and <!-- rules:end -->');
    assert.equal(m![1], ruleTableMarkdown(), 'regenerate it with: npx kreview rules --format markdown');
  });

  it('fixture directories are registered rules, and every path and race rule has one', () => {
    const dir = join(root, 'fixtures', 'c');
    const dirs = readdirSync(dir).filter((d) => d !== 'ir');
    for (const d of dirs) assert.ok(ruleById(d), `fixtures/c/${d} is not a registered rule`);
    for (const r of RULES) if (r.kind !== 'model') assert.ok(existsSync(join(dir, r.id)), `no fixtures/c/${r.id}/`);
  });

  it('report() takes id and severity from the declaration; a finding may be lower, never higher', () => {
    const rule = defineRule({
      id: 'demo-rule',
      severity: 'warning',
      kind: 'path',
      summary: 's',
      description: 'd',
      help: { bad: 'a', good: 'b' },
      cwe: [667],
      tags: [],
      messages: { one: "'{{obj}}' at {{line}}", weak: { text: 'weak {{obj}}', severity: 'info' } },
    });
    const base = { confidence: 'high' as const, line: 3, function: 'f', objects: [], trace: [], facts: [] };
    const a = report(rule, { ...base, messageId: 'one', data: { obj: '&x->lock', line: null } });
    assert.equal(a.rule, 'demo-rule');
    assert.equal(a.severity, 'warning');
    assert.equal(a.message, "'&x->lock' at ?");
    assert.equal(report(rule, { ...base, messageId: 'one', data: { obj: 'x', line: 1 }, severity: 'error' }).severity, 'warning');
    assert.equal(report(rule, { ...base, messageId: 'weak', data: { obj: 'x' }, severity: 'error' }).severity, 'info');
    assert.equal(interpolate('{{a}}-{{b}}', { a: 1, b: 'two' }), '1-two');
  });

  it('a severity override moves findings at the rule level and only caps lower ones', () => {
    const s = defaultRuleSettings();
    s.severity.set('lock-leak', 'warning');
    s.severity.set('unguarded-access', 'error');
    assert.equal(effectiveSeverity(s, 'lock-leak', 'error'), 'warning');
    assert.equal(effectiveSeverity(s, 'lock-leak', 'info'), 'info');
    assert.equal(effectiveSeverity(s, 'unguarded-access', 'warning'), 'error');
    assert.equal(effectiveSeverity(s, 'unguarded-access', 'info'), 'info', 'what is unproven stays info');
    assert.equal(effectiveSeverity(s, 'double-lock', 'error'), 'error');
  });
});

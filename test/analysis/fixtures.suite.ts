// Runs every annotated fixture under fixtures/c/<rule-id>/ through `kreview check` and compares the
// warnings/errors with the annotations: every annotation must hold and every finding must be annotated.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkFile } from '../../src/review.js';
import { defaultSemantics } from '../../src/semantics/load.js';
import { parseExpectations } from './annotations.js';
import { RULES } from '../../src/analysis/registry.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'c');
/** Directories of C fixtures that are not annotated rule fixtures. */
const NOT_RULES = new Set(['ir']);
const ruleDirs = existsSync(root)
  ? readdirSync(root)
      .filter((d) => !NOT_RULES.has(d))
      .sort()
  : [];
/** Rules whose findings are info by design (unordered-publish): their info findings count. */
const INFO_RULES = new Set(RULES.filter((r) => r.severity === 'info').map((r) => r.id));

describe('annotated fixtures', () => {
  for (const rule of ruleDirs) {
    const dir = join(root, rule);
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.c'))
      .sort();
    describe(rule, () => {
      let counts = { ruleid: 0, ok: 0 };
      for (const file of files) {
        it(file, async () => {
          const path = join(dir, file);
          const text = readFileSync(path, 'utf8');
          const exp = parseExpectations(text);
          const res = await checkFile(`fixtures/c/${rule}/${file}`, text, { sem: defaultSemantics() });
          const reported = res.findings.filter((f) => f.severity !== 'info' || INFO_RULES.has(f.rule));
          const problems: string[] = [];
          for (const e of exp) {
            if (e.kind !== 'info') counts[e.kind]++;
            const hit = reported.some((f) => f.rule === e.rule && f.line === e.line);
            if (e.kind === 'ruleid' && !hit) problems.push(`line ${e.line}: expected ${e.rule}, not reported`);
            if (e.kind === 'ok' && hit) problems.push(`line ${e.line}: ${e.rule} reported but annotated ok`);
            if (e.kind === 'info') {
              if (hit) problems.push(`line ${e.line}: ${e.rule} reported above info but annotated info`);
              else if (!res.findings.some((f) => f.rule === e.rule && f.line === e.line && f.severity === 'info'))
                problems.push(`line ${e.line}: expected ${e.rule} at info, not reported`);
            }
          }
          for (const f of reported) {
            if (!exp.some((e) => e.kind === 'ruleid' && e.rule === f.rule && e.line === f.line)) {
              problems.push(`line ${f.line}: unannotated ${f.rule} in ${f.function}(): ${f.message}`);
            }
          }
          assert.deepEqual(problems, [], `${rule}/${file}:\n  ${problems.join('\n  ')}`);
        });
      }
      it('has at least 8 buggy and 8 correct cases', () => {
        counts = { ruleid: 0, ok: 0 };
        for (const file of files)
          for (const e of parseExpectations(readFileSync(join(dir, file), 'utf8'))) if (e.rule === rule && e.kind !== 'info') counts[e.kind]++;
        assert.ok(counts.ruleid >= 8, `${rule}: ${counts.ruleid} ruleid annotations`);
        assert.ok(counts.ok >= 8, `${rule}: ${counts.ok} ok annotations`);
      });
    });
  }
});

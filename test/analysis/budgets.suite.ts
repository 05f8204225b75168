// Hostile shapes of C: one function nested past the front end's budget, or big enough to blow up a
// quadratic analysis, must not take its file's other functions with it, and must be said.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkFile } from '../../src/review.js';
import { defaultSemantics } from '../../src/semantics/load.js';
import { reviewPatches } from '../../src/review.js';
import { parseGitDiff } from '../source/patch-helper.js';
import { BUDGETS } from '../../src/budgets.js';
import { parseC } from '../../src/c/parser.js';

const sem = defaultSemantics();

/** A real lock leak beside the hostile function: it must still be found. */
const LEAK = `struct dev { spinlock_t lock; int dead; int x; };

int leaky(struct dev *d)
{
\tspin_lock(&d->lock);
\tif (d->dead)
\t\treturn -ENODEV;
\tspin_unlock(&d->lock);
\treturn 0;
}
`;

const hostile = (body: string): string => `${LEAK}\nint big(struct dev *d, int v)\n{\n\tint r = 0;\n${body}\n\treturn r;\n}\n`;
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

async function check(text: string): Promise<{ rules: string[]; notes: string[]; functions: string[] }> {
  const r = await checkFile('hostile.c', text, { sem });
  return {
    rules: r.findings.filter((f) => f.severity !== 'info').map((f) => `${f.rule}:${f.function}`),
    notes: r.notes,
    functions: r.functions.map((f) => f.name),
  };
}

describe('analysis: budgets on hostile functions', () => {
  const deep: [string, string][] = [
    [
      'a 3,000-branch else-if chain',
      `\tif (v == 0) r = 0;\n${range(3000)
        .map((i) => `\telse if (v == ${i + 1}) r = ${i};`)
        .join('\n')}`,
    ],
    [
      'a 3,000-term expression',
      `\tr = ${range(3000)
        .map((i) => `v * ${i}`)
        .join(' + ')};`,
    ],
    [
      '2,000 nested ifs',
      `${range(2000)
        .map((i) => `if (v > ${i}) {`)
        .join('\n')}\nr = 1;\n${'}\n'.repeat(2000)}`,
    ],
    [
      'a 5,000-deep ?:',
      `\tr = ${range(5000)
        .map((i) => `v == ${i} ? ${i} :`)
        .join(' ')} 0;`,
    ],
  ];
  for (const [what, body] of deep) {
    it(`${what}: the function is said to be over the nesting budget; the file's leak is still found`, async () => {
      const r = await check(hostile(body));
      assert.deepEqual(r.rules, ['lock-leak:leaky']);
      assert.deepEqual(r.functions, ['leaky', 'big']);
      assert.ok(
        r.notes.some((n) => n.includes('big()') && n.includes(`more than ${BUDGETS.functionNesting} levels`)),
        r.notes.join('\n'),
      );
    });
  }

  it('nesting within the budget is analysed as usual (a 500-branch else-if chain with a leak)', async () => {
    const body = `\tspin_lock(&d->lock);\n\tif (v == 0) r = 0;\n${range(500)
      .map((i) => `\telse if (v == ${i + 1}) r = ${i};`)
      .join('\n')}\n\tif (r == 7)\n\t\treturn -EINVAL;\n\tspin_unlock(&d->lock);`;
    const r = await check(hostile(body));
    assert.deepEqual(r.rules.sort(), ['lock-leak:big', 'lock-leak:leaky']);
    assert.ok(!r.notes.some((n) => n.includes('not analysed')), r.notes.join('\n'));
  });

  it('6,000 sequential ifs and 2,000 crossing gotos finish, and the leak is found', async () => {
    const seq = await check(
      hostile(
        range(6000)
          .map((i) => `\tif (v & ${i}) r += ${i};`)
          .join('\n'),
      ),
    );
    assert.deepEqual(seq.rules, ['lock-leak:leaky']);
    const gotos = await check(
      hostile(
        range(2000)
          .map((i) => `l${i}:\n\tif (v == ${i}) goto l${(i * 7919) % 2000};\n\tr++;`)
          .join('\n'),
      ),
    );
    assert.deepEqual(gotos.rules, ['lock-leak:leaky']);
  });

  it('a patch adding a file of 5,000 small functions is reviewed whole', async () => {
    const fns = range(5000).map((i) => `int f${i}(struct dev *d)\n{\n\tint r = d->x;\n\n\tif (r > ${i})\n\t\tr = 0;\n\treturn r;\n}\n`);
    const lines = [...LEAK.split('\n'), ...fns.join('\n').split('\n')];
    const diff = `diff --git a/drivers/big.c b/drivers/big.c\nnew file mode 100644\n--- /dev/null\n+++ b/drivers/big.c\n@@ -0,0 +1,${lines.length} @@\n${lines.map((l) => `+${l}`).join('\n')}\n`;
    const [r] = await reviewPatches([parseGitDiff(diff, { id: 'big#1.1' })], { sem });
    assert.equal(r!.post.length, 5001);
    assert.deepEqual(
      r!.findings.map((f) => `${f.rule}:${f.function}:${f.status}`),
      ['lock-leak:leaky:introduced'],
    );
  });

  it('a parse over its time budget fails with a message naming the budget', async () => {
    const text = LEAK.repeat(2000);
    (await parseC(text)).delete();
    await assert.rejects(parseC(text, 0), /parsing took longer than its budget \(0 s\)/);
    // The parser is left ready for the next text (a cancelled parse is not resumed on it).
    const next = await parseC('int after_the_budget(void) { return 2; }\n');
    assert.equal(next.rootNode.hasError, false);
    assert.match(next.rootNode.text, /after_the_budget/);
    next.delete();
  });
});

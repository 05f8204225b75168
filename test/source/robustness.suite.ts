// Property check: random valid edits to kernel-style files, diffed with 0-4 lines of context,
// with intact and with stripped indentation. Every unit must parse without an ERROR in a function
// body, and every row that maps to a line must hold exactly that line's text.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildImages, wholeFileUnit } from '../../src/source/index.js';
import { parseGitDiff, stripIndent } from './patch-helper.js';
import { gitDiff, structureErrors } from './unit-check.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/source');
const corpus = ['hunks/ring.before.c', 'tree/demo.c', 'hunks/ring.after.c'].map((p) => readFileSync(join(root, p), 'utf8'));

/** A small deterministic PRNG (the test must fail the same way every run). */
function prng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
}

/** Lines strictly inside function bodies that hold one whole simple statement. */
async function editable(text: string): Promise<Set<number>> {
  const u = await wholeFileUnit('x.c', text);
  const lines = text.split('\n');
  const out = new Set<number>();
  for (const f of u.functions) {
    for (let i = f.startRow + 2; i < f.endRow; i++) {
      if (/^\t+[a-z_][^;]*;$/.test(lines[i]!) && /[;{}]$|^$/.test(lines[i - 1]!) && !/^\t+(return|goto|break|continue)\b/.test(lines[i]!)) out.add(i);
    }
  }
  return out;
}

async function mutate(text: string, rnd: () => number): Promise<string> {
  const lines = text.split('\n');
  const edits = 1 + Math.floor(rnd() * 4);
  for (let e = 0; e < edits; e++) {
    const cands = [...(await editable(lines.join('\n')))];
    const i = cands[Math.floor(rnd() * cands.length)]!;
    const ind = /^\t+/.exec(lines[i]!)![0];
    const r = rnd();
    if (r < 0.25) lines.splice(i + 1, 0, `${ind}inserted_call(${e});`);
    else if (r < 0.45)
      lines.splice(i + 1, 0, `${ind}if (cond_${e}) {`, `${ind}\tspin_lock(&l${e});`, `${ind}\tinner(${e});`, `${ind}\tspin_unlock(&l${e});`, `${ind}}`);
    else if (r < 0.7) lines.splice(i, 1);
    else lines[i] = lines[i]!.replace(/;$/, ' /* edited */;');
  }
  return lines.join('\n');
}

describe('source: hunk mode on random edits', () => {
  it('every unit parses and every mapped row is the real line', async () => {
    const rnd = prng(20240917);
    let units = 0;
    for (let iter = 0; iter < 30; iter++) {
      const before = corpus[iter % corpus.length]!;
      const after = await mutate(before, rnd);
      const context = Math.floor(rnd() * 5);
      const diff = gitDiff(before, after, 'drivers/x/x.c', context);
      if (!diff) continue;
      for (const stripped of [false, true]) {
        const p = parseGitDiff(diff, stripped ? { mangle: stripIndent, damage: ['whitespace-stripped'] } : {});
        const [im] = await buildImages([p]);
        for (const u of [im!.pre, im!.post]) {
          if (!u) continue;
          units++;
          const where = `iteration ${iter}, -U${context}, ${stripped ? 'stripped' : 'intact'}, ${u.side}`;
          assert.deepEqual(await structureErrors(u), [], where);
          const src = (u.side === 'pre' ? before : after).split('\n').map((l) => (stripped ? stripIndent(l) : l));
          u.text.split('\n').forEach((t, r) => {
            const l = u.lineMap[r];
            if (l != null && t.trim()) assert.ok(src[l - 1]!.includes(t.trim()), `${where}: row ${r} -> line ${l}: ${JSON.stringify(t)}`);
          });
        }
      }
    }
    assert.ok(units > 80, `only ${units} units checked`);
  });
});

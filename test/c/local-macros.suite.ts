// C front end: the unit's own function-like macros are expanded where they are used (rows kept).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { expandLocalMacros } from '../../src/c/macros.js';
import { defaultSemantics } from '../../src/semantics/load.js';
import { fn, lowerText, ops } from './helpers.js';

const sem = defaultSemantics();

describe('c/local-macros', () => {
  const defines = [
    '#define BX_LOCK(b)  do { spin_lock(&(b)->lock); (b)->busy = 1; } while (0)',
    '#define BX_CHECK(b, err) \\   if (!(b)->ready) { mutex_unlock(&(b)->m); return err; }',
    '#define BX_NAME(b) #b',
    '#define bx_of(p) container_of(p, struct bx, node)',
    '#define BX_SELF(b) BX_SELF(b)',
  ];

  it('expands statement macros and macros that jump, keeping every row', () => {
    const text = ['void f(struct bx *b)', '{', '\tBX_LOCK(b);', '\tBX_CHECK(b,', '\t\t-EIO);', '}', ''].join('\n');
    const out = expandLocalMacros(text, defines, sem);
    const rows = out.split('\n');
    assert.equal(rows.length, text.split('\n').length);
    assert.match(rows[2]!, /do \{ spin_lock\(&\(b\)->lock\); \(b\)->busy = 1; \} while \(0\);/);
    assert.match(rows[3]!, /if \(!\(b\)->ready\) \{ mutex_unlock\(&\(b\)->m\); return \(-EIO\); \}/);
    assert.equal(rows[4], ';'); // the invocation's second row stays, with what followed it
  });

  it('leaves stringifying, self-referencing and plain expression macros alone', () => {
    const text = 'void g(struct bx *b, struct list_head *p)\n{\n\tputs(BX_NAME(b));\n\tb = bx_of(p);\n\tBX_SELF(b);\n}\n';
    assert.equal(expandLocalMacros(text, defines, sem), text);
  });

  it('expands a macro named like the member it locks (`if_lock(t)` taking `t->if_lock`)', async () => {
    const own = ['#define if_lock(t)   mutex_lock(&(t->if_lock));', '#define if_unlock(t) mutex_unlock(&(t->if_lock));'];
    const text = ['void f(struct th *t)', '{', '\tif_lock(t);', '\tif_unlock(t);', '}', ''].join('\n');
    const f = fn(await lowerText(text, { defines: own }), 'f');
    assert.deepEqual(ops(f, ['acquire', 'release']), ['3 acquire mutex &t->if_lock', '4 release mutex &t->if_lock']);
  });

  it('does not expand inside comments or string literals', () => {
    const text = 'void h(struct bx *b)\n{\n\t/* BX_LOCK(b) */\n\tputs("BX_LOCK(b)");\n}\n';
    assert.equal(expandLocalMacros(text, defines, sem), text);
  });

  it('lowers the expansion: the lock and the early return reach the IR on the invocation lines', async () => {
    const text = [
      'void f(struct bx *b)',
      '{',
      '\tBX_LOCK(b);',
      '\tmutex_lock(&b->m);',
      '\tBX_CHECK(b, -EIO);',
      '\tmutex_unlock(&b->m);',
      '\tspin_unlock(&b->lock);',
      '}',
      '',
    ].join('\n');
    const f = fn(await lowerText(text, { defines }), 'f');
    assert.deepEqual(ops(f, ['acquire', 'release']), [
      '3 acquire spin &b->lock',
      '4 acquire mutex &b->m',
      '5 release mutex &b->m',
      '6 release mutex &b->m',
      '7 release spin &b->lock',
    ]);
    assert.equal(f.blocks.filter((b) => b.term.k === 'return').length, 2);
  });
});

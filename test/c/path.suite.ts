// Access paths: one parser and printer for the IR's object names, and when two names are one object.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hasVariableIndex, isConstantIndex, isFieldPath, parsePath, printPath, relation, rootOf } from '../../src/c/path.js';
import { refKey, substitute, typedObject } from '../../src/analysis/objects.js';
import { fn, lowerText, ops } from './helpers.js';

describe('c/path', () => {
  it('parses and prints canonical paths unchanged', () => {
    for (const t of ['&ploop->bat_lock', 'md->bat[].link', '&q->lock[READ]', '(*ret_md)->status', '*p', 'top(ploop)->mtfile[]', 'workers.nr_req', 'to[0]']) {
      const p = parsePath(t);
      assert.ok(p, t);
      assert.equal(printPath(p), t);
    }
    assert.equal(parsePath('a + b'), null);
    assert.equal(rootOf('&(*md)->lock'), 'md');
    assert.equal(rootOf('get_top(p)->x'), null);
  });

  it('keeps constant indices and folds the rest into one may-alias class', async () => {
    assert.ok(isConstantIndex('0') && isConstantIndex('READ') && isConstantIndex('0x10') && isConstantIndex("'a'"));
    assert.ok(!isConstantIndex('i') && !isConstantIndex('n - 1') && !isConstantIndex('idx'));
    const m = await lowerText(`
void f(struct q *q, int i)
{
	mutex_lock(&q->lock[READ]);
	mutex_lock(&q->lock[i + 1]);
	mutex_lock(&q->lock[1]);
}
`);
    assert.deepEqual(
      ops(fn(m, 'f')).filter((o) => o.includes('acquire')),
      ['4 acquire mutex &q->lock[READ]', '5 acquire mutex &q->lock[]', '6 acquire mutex &q->lock[1]'],
    );
  });

  it('says when two paths are the same object, may be, or are not', () => {
    assert.equal(relation('&q->lock[READ]', '&q->lock[READ]'), 'same');
    assert.equal(relation('&q->lock[READ]', '&q->lock[WRITE]'), 'distinct');
    assert.equal(relation('&q->lock[READ]', '&q->lock[]'), 'may');
    assert.equal(relation('&q->lock[]', '&q->lock[]'), 'may');
    assert.equal(relation('&a->total.kobj', '&a->recent.kobj'), 'distinct');
    assert.equal(relation('&a->lock', '&b->lock'), 'distinct');
    assert.ok(hasVariableIndex('&t[]->lock') && !hasVariableIndex('&t[2]->lock'));
    assert.ok(isFieldPath('a->b') && isFieldPath('*p') && !isFieldPath('lock'));
  });

  it('rewrites callee paths in the caller terms and finds the counted object', () => {
    assert.equal(substitute('&p->lock', ['p'], ['dev'], new Set()), '&dev->lock');
    assert.equal(substitute('&p->lock', ['p'], ['&d->inner'], new Set()), '&d->inner.lock');
    assert.equal(substitute('&p->lock', ['p'], ['a + 1'], new Set()), '&(a + 1)->lock');
    assert.equal(substitute('*p', ['p'], ['&flags'], new Set()), 'flags');
    assert.equal(substitute('&tmp->lock', ['p'], ['dev'], new Set(['tmp'])), null);
    assert.equal(substitute('&global_lock', ['p'], ['dev'], new Set()), '&global_lock');
    // Inside an accessor's arguments too.
    assert.equal(substitute('&INODE_I(first)->data_sem', ['first', 'second'], ['orig', 'donor'], new Set()), '&INODE_I(orig)->data_sem');
    assert.equal(substitute('&SB(in->sb, 2)->lock', ['in'], ['&f->inode'], new Set()), '&SB(f->inode.sb, 2)->lock');
    assert.equal(substitute('&SB(tmp)->lock', ['in'], ['x'], new Set(['tmp'])), null);
    assert.equal(refKey('&d->parent->ref', true), 'd->parent');
    assert.equal(refKey('&p->dev.kobj', true), 'p');
    assert.equal(refKey('&p->refs[i]', true), 'p');
    const f = { params: [{ name: 'ictx', type: 'struct netfs_inode *' }], locals: [] } as unknown as Parameters<typeof typedObject>[0];
    assert.equal(typedObject(f, '&ictx->wb_lock'), 'netfs_inode.wb_lock');
    assert.equal(typedObject(f, '&ictx->io[WRITE].lock'), 'netfs_inode.io[WRITE].lock');
  });
});

// C front end: object normalisation and the text pre-pass.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { annotationLock, normalizeText } from '../../src/c/objects.js';
import { prepare } from '../../src/c/prepare.js';
import { fn, lowerText, ops } from './helpers.js';

describe('c/objects', () => {
  it('normalises mentions of one object to one text (casts, parentheses, (*p).f, subscripts, &)', async () => {
    const m = await lowerText(`
void f(struct ploop *ploop, struct md_page *md, int i)
{
	spin_lock_irq(&(ploop)->bat_lock);
	spin_unlock_irq(& ploop -> bat_lock);
	set_bit(MD_DIRTY, &(*md).status);
	clear_bit(MD_DIRTY, (unsigned long *)&md->status);
	list_add(&md->bat[i + 1].link, &((struct ploop *)ploop)->wb_list);
	atomic_inc(&container_of(md, struct md_big, md)->refs);
}
`);
    assert.deepEqual(ops(fn(m, 'f')), [
      '4 acquire spin &ploop->bat_lock irq=irq',
      '5 release spin &ploop->bat_lock irq=irq',
      '6 flag set md->status MD_DIRTY',
      '7 flag clear md->status MD_DIRTY',
      '8 list add node=md->bat[].link head=ploop->wb_list',
      '9 call container_of(md, struct md_big, md) -> r1',
      '9 atomic inc container_of(md, struct_md_big, md)->refs',
    ]);
  });

  it('normalises annotation text the same way', () => {
    assert.equal(normalizeText(' ( *dev ).lock '), 'dev->lock');
    assert.equal(normalizeText('tbl[idx + 1]->lock'), 'tbl[]->lock');
    assert.equal(normalizeText('q->lock[ READ ]'), 'q->lock[READ]');
    assert.equal(normalizeText('q->slot[i][2]'), 'q->slot[][2]');
    assert.equal(annotationLock('ploop->bat_lock'), '&ploop->bat_lock');
    assert.equal(annotationLock('&ploop->bat_lock'), '&ploop->bat_lock');
    assert.equal(annotationLock('lock'), 'lock');
    assert.equal(annotationLock('RCU'), 'rcu');
  });

  it('prepares kernel C without moving any row', () => {
    const src = [
      '#define FOO(x) \\',
      '\tdo { bar(x); } while (0)',
      'static int __init __must_check f(struct s __rcu *p) __acquires(p->lock)',
      '{',
      '\ttypeof(*p) *q = p;',
      '\tlist_for_each_entry(q, &p->list, node)',
      '\t\tg(q);',
      '\treturn bus_for_each_dev(&b, NULL, q, h);',
      '}',
    ].join('\n');
    const p = prepare(src);
    assert.equal(p.text.split('\n').length, src.split('\n').length);
    const rows = p.text.split('\n');
    assert.equal(rows[0]!.trim(), '');
    assert.equal(rows[1]!.trim(), '');
    assert.equal(rows[2]!.replace(/\s+/g, ' ').trim(), 'static int f(struct s *p)');
    assert.equal(rows[4], '\ttypeof____ *q = p;');
    assert.equal(rows[5], '\twhile (list_for_each_entry(q, &p->list, node))');
    // a call statement stays a call
    assert.equal(rows[7], '\treturn bus_for_each_dev(&b, NULL, q, h);');
    assert.deepEqual(
      p.annotations.map((a) => [a.kind, a.args]),
      [['acquires', ['p->lock']]],
    );
    assert.equal(p.macroLoops.size, 1);
    // positions map back to the original text
    const at = p.text.indexOf('g(q)');
    assert.equal(src.slice(p.toOriginal(at), p.toOriginal(at) + 4), 'g(q)');
  });
});

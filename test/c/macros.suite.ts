// C front end: kernel macros the C grammar sees as calls (iterators, guards, __free, LIST_HEAD ...).
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import type { FunctionIR, Op } from '../../src/c/ir.js';
import { blockWith, fn, lowerFixture, lowerText, ops, opsAlong, paths } from './helpers.js';

const isRelease = (o: Op): boolean => o.kind === 'release';

describe('c/macros', () => {
  let fns: Map<string, FunctionIR>;
  before(async () => {
    fns = await lowerFixture('macros.c');
  });

  it('lowers iterator macros (braced, unbraced, llist, generic for_each) as loops on an opaque condition', () => {
    const f = fn(fns, 'zq_flush_pending');
    const heads = f.blocks.filter((b) => b.loopHead);
    assert.equal(heads.length, 4);
    for (const h of heads) assert.ok(h.term.k === 'branch' && h.term.why === 'iterator' && h.term.cond.k === 'unknown');
    assert.deepEqual(
      heads.map((h) => ops(f, ['list'], h.id)),
      [
        ['10 list iterate head=zq->pending'],
        ['19 list iterate head=done'],
        ['23 list iterate head=batch'],
        [], // for_each_online_cpu: a loop, no list
      ],
    );
    // `continue` returns to the iterator head, `break` leaves to the unlock
    const move = blockWith(f, (o) => o.kind === 'list' && o.action === 'move-tail');
    assert.ok(move.term.k === 'branch');
    assert.equal(move.term.f, heads[0]!.id);
    assert.deepEqual(ops(f, ['release'], move.term.t), ['17 release spin &zq->lock']);
    // the unbraced body is inside the loop
    const complete = blockWith(f, (o) => o.kind === 'call' && o.callee === 'zq_complete' && o.line === 20);
    assert.ok(complete.term.k === 'jump' && complete.term.why === 'loop' && complete.term.to === heads[1]!.id);
    assert.deepEqual(ops(f, undefined, 0), ['7 list init head=done', '9 acquire spin &zq->lock']);
    assert.equal(f.diagnostics.length, 0, f.diagnostics.join('\n'));
  });

  it('releases a scoped_guard on return, on break out of it and at its end', () => {
    const f = fn(fns, 'zq_set_limit');
    assert.deepEqual(ops(f, ['acquire']), ['34 acquire spin &zq->lock irq=irqsave scoped']);
    for (const p of paths(f)) {
      const rel = opsAlong(f, p, ['release']);
      assert.deepEqual(rel.length, 1, `one release on path ${p.join(',')}`);
    }
    assert.deepEqual(ops(f, ['release']), [
      '36 release spin &zq->lock irq=irqsave scoped',
      '38 release spin &zq->lock irq=irqsave scoped',
      '40 release spin &zq->lock irq=irqsave scoped',
    ]);
    // the notify after the scope runs unlocked on both ways out
    const notify = blockWith(f, (o) => o.kind === 'call' && o.callee === 'zq_notify');
    assert.ok(!notify.ops.some(isRelease));
  });

  it('releases guard() at every return; a goto to a label inside the scope keeps it', () => {
    const f = fn(fns, 'zq_resize');
    assert.deepEqual(ops(f, ['acquire', 'release']), [
      '47 acquire mutex &zq->resize_mutex scoped',
      '50 release mutex &zq->resize_mutex scoped',
      '55 release mutex &zq->resize_mutex scoped',
    ]);
    const out = f.blocks.find((b) => b.label === 'out')!;
    assert.deepEqual(ops(f, undefined, out.id), ['55 release mutex &zq->resize_mutex scoped']);
  });

  it('frees a __free(kfree) variable at scope exit; no_free_ptr hands it over first', () => {
    const f = fn(fns, 'zq_snapshot');
    assert.deepEqual(ops(f, ['alloc', 'free']), ['60 alloc snap gfp=GFP_KERNEL -> r1', '63 free snap', '66 free snap']);
    assert.deepEqual(ops(f, ['assign']), [
      '60 assign snap = r1',
      '64 assign snap->nr = zq->nr',
      '65 assign $t1 = snap',
      '65 assign snap = NULL',
      '65 assign *out = $t1',
    ]);
  });

  it('lowers container_of, designated initialisers, statement expressions, ops->fn() and marked accesses', () => {
    const f = fn(fns, 'zq_work_fn');
    assert.deepEqual(ops(f), [
      '71 call container_of(work, struct zq, work) -> r1',
      '71 assign zq = r1',
      '72 read zq->nr',
      '72 read zq->limit',
      '72 assign st = <{...}>',
      '73 call zq_peek(zq) -> r2',
      '73 assign __x = r2',
      '73 assign v = __x + 1',
      '75 read zq->ops',
      '75 read zq->ops->account',
      '75 call *zq->ops->account(zq, &st)',
      '76 write zq->last via once',
      '76 assign zq->last = v',
      '77 write zq->cur via rcu',
      '77 assign zq->cur = NULL',
      '78 write zq->done via release',
      '78 assign zq->done = 1',
      '79 read zq->hook',
      '79 call *zq->hook(zq)',
    ]);
    const call = f.blocks[0]!.ops.find((o) => o.kind === 'call' && o.indirect);
    assert.ok(call?.kind === 'call' && call.callee === 'zq->ops->account');
  });

  it('finds the loop body of an iterator nested in an unbraced if, and guard() in a loop body', async () => {
    const m = await lowerText(`
static void f(struct q *q)
{
	struct r *r;

	if (q->on)
		hlist_for_each_entry(r, &q->hash, node)
			r_kick(r);
	for (;;) {
		guard(rcu)();
		if (q_done(q))
			break;
		if (q_skip(q))
			continue;
		q_step(q);
	}
}
`);
    const f = fn(m, 'f');
    const kick = blockWith(f, (o) => o.kind === 'call' && o.callee === 'r_kick');
    const head = f.blocks.find((b) => b.loopHead && b.ops.some((o) => o.kind === 'list'))!;
    assert.deepEqual(ops(f, ['list'], head.id), ['7 list iterate head=q->hash']);
    assert.ok(head.term.k === 'branch' && head.term.t === kick.id);
    // guard(rcu) in the loop body: released on break, on continue and at the end of each iteration
    assert.deepEqual(ops(f, ['acquire', 'release']), [
      '10 acquire rcu rcu read scoped',
      '12 release rcu rcu read scoped',
      '14 release rcu rcu read scoped',
      '16 release rcu rcu read scoped',
    ]);
    assert.deepEqual(f.diagnostics, []);
  });

  it('lowers try guards and scoped_cond_guard with their failure action', async () => {
    const m = await lowerText(`
static int f(struct q *q)
{
	scoped_cond_guard(mutex_intr, return -EINTR, &q->lock) {
		q->n++;
	}
	scoped_guard(spinlock_try, &q->slock)
		q->m = 1;
	return 0;
}
`);
    const f = fn(m, 'f');
    assert.deepEqual(ops(f, ['acquire', 'release']), [
      '4 acquire mutex &q->lock try(success when zero, else -errno) scoped -> r1',
      '6 release mutex &q->lock scoped',
      '7 acquire spin &q->slock try(success when nonzero) scoped -> r2',
      '8 release spin &q->slock scoped',
    ]);
    const b0 = f.blocks[0]!.term;
    assert.ok(b0.k === 'branch');
    assert.deepEqual(b0.cond, { k: 'not', e: { k: 'result', id: 'r1' } });
    const fail = f.blocks[b0.f]!;
    assert.deepEqual(fail.term, { k: 'return', value: { k: 'errno', name: 'EINTR' }, line: 4 });
    assert.equal(fail.ops.length, 0, 'nothing to release when the lock was not taken');
  });

  it('names guard classes missing from the rules in the diagnostics', async () => {
    const m = await lowerText('void f(struct d *d)\n{\n\tguard(frobnicator)(d);\n\td->x = 1;\n}\n');
    const f = fn(m, 'f');
    assert.match(f.diagnostics.join('\n'), /guard\(frobnicator\): guard class not in rules/);
    assert.deepEqual(ops(f, ['call']), ['3 call guard(frobnicator)(d)']);
  });
});

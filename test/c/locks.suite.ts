// C front end: lock primitives of every family, trylocks and status variables, annotations.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import type { FunctionIR } from '../../src/c/ir.js';
import { fn, lowerFixture, ops } from './helpers.js';

describe('c/locks', () => {
  let fns: Map<string, FunctionIR>;
  before(async () => {
    fns = await lowerFixture('locks.c');
  });

  it('lowers spin, raw_spin, bh and rwlock acquires/releases with irq modes and flags', () => {
    assert.deepEqual(ops(fn(fns, 'blkq_account'), ['acquire', 'release']), [
      '11 acquire spin &q->queue_lock irq=irqsave flags=flags',
      '13 release spin &q->queue_lock irq=irqsave flags=flags',
      '15 acquire spin &q->stat_lock irq=irq',
      '16 acquire raw_spin &q->raw_lock',
      '17 release raw_spin &q->raw_lock',
      '18 release spin &q->stat_lock irq=irq',
      '20 acquire spin &rq->bh_lock irq=bh',
      '21 release spin &rq->bh_lock irq=bh',
      '23 acquire rwlock &q->tbl_lock read',
      '24 release rwlock &q->tbl_lock read',
      '25 acquire rwlock &q->tbl_lock write irq=irqsave flags=flags',
      '26 release rwlock &q->tbl_lock write irq=irqsave flags=flags',
    ]);
  });

  it('links a _interruptible status variable to the acquire result and branches on it', () => {
    const f = fn(fns, 'blkq_set_depth');
    const b0 = f.blocks[0]!;
    assert.deepEqual(ops(f, undefined, 0), ['33 acquire mutex &q->sysfs_lock try(success when zero, else -errno) -> r1', '33 assign ret = r1']);
    assert.equal(b0.term.k, 'branch');
    if (b0.term.k !== 'branch') return;
    assert.deepEqual(b0.term.cond, { k: 'var', name: 'ret' });
    // taken: return ret; not taken: the write and the unlock
    assert.equal(f.blocks[b0.term.t]!.term.k, 'return');
    assert.deepEqual(ops(f, ['release'], b0.term.f), ['37 release mutex &q->sysfs_lock']);
  });

  it('branches on the trylock result itself (negated for !trylock)', () => {
    const f = fn(fns, 'blkq_try_flush');
    const t0 = f.blocks[0]!.term;
    assert.ok(t0.k === 'branch');
    assert.deepEqual(t0.cond, { k: 'not', e: { k: 'result', id: 'r1' } });
    const acq = f.blocks[0]!.ops[0]!;
    assert.ok(acq.kind === 'acquire' && acq.try === 'nonzero' && acq.result === 'r1' && acq.obj === '&q->flush_lock');
    const spin = f.blocks.flatMap((b) => b.ops).find((o) => o.kind === 'acquire' && o.obj === '&q->queue_lock');
    assert.ok(spin?.kind === 'acquire' && spin.try === 'nonzero' && spin.result === 'r2');
    const b = f.blocks.find((x) => x.term.k === 'branch' && x.term.cond.k === 'result' && x.term.cond.id === 'r2');
    assert.ok(b, 'a branch on r2');
  });

  it('lowers RCU, SRCU with its index, rw_semaphores', () => {
    const f = fn(fns, 'blkq_lookup');
    assert.deepEqual(ops(f, ['acquire', 'release', 'assign']), [
      '59 acquire rcu rcu read',
      '60 assign tag = q->tags',
      '63 release rcu rcu read',
      '65 acquire srcu ss read -> r1',
      '65 assign idx = r1',
      '67 release srcu ss read',
      '69 acquire rwsem &q->map_sem read',
      '70 release rwsem &q->map_sem read',
      '71 acquire rwsem &q->map_sem write',
      '72 release rwsem &q->map_sem write',
    ]);
    assert.deepEqual(ops(f, ['access']), ['60 read q->tags via rcu']);
  });

  it('lowers bit_spin_lock as word:bit, local_irq_save, preempt, asserts and barriers', () => {
    assert.deepEqual(ops(fn(fns, 'blkq_bits')), [
      '79 acquire bit_spin bh->b_state:BH_Uptodate_Lock',
      '80 release bit_spin bh->b_state:BH_Uptodate_Lock',
      '82 acquire local_irq irq irq=irqsave flags=flags',
      '83 acquire preempt preempt',
      '84 call blkq_percpu_work()',
      '85 release preempt preempt',
      '86 release local_irq irq irq=irqsave flags=flags',
      '87 assert held &bh->b_lock',
      '88 assert might-sleep',
      '89 barrier smp_mb__before_atomic',
    ]);
  });

  it('reads sparse annotations from definitions, prototypes and context attributes', () => {
    assert.deepEqual(fn(fns, 'blkq_begin').annotations.acquires, ['&q->queue_lock']);
    // a field path without & names the lock itself
    assert.deepEqual(fn(fns, 'blkq_end').annotations.releases, ['&q->queue_lock']);
    // the annotation is on the prototype only
    assert.deepEqual(fn(fns, 'blkq_locked_op').annotations.mustHold, ['&q->queue_lock']);
    assert.deepEqual(fn(fns, 'blkq_drop_rcu').annotations.context, [{ lock: 'rcu', entry: 1, exit: 0 }]);
    assert.equal(fn(fns, 'blkq_begin').diagnostics.length, 0);
  });

  it('records parameters and locals with their types', () => {
    const f = fn(fns, 'blkq_lookup');
    assert.deepEqual(f.params, [
      { name: 'q', type: 'struct blkq *' },
      { name: 'ss', type: 'struct srcu_struct *' },
    ]);
    assert.deepEqual(
      f.locals.map((l) => `${l.name}: ${l.type} @${l.line}`),
      ['tag: struct blkq_tag * @56', 'idx: int @57'],
    );
    assert.equal(f.isStatic, true);
    assert.equal(f.returnType, 'void');
    assert.equal(f.meta.completeness, 'full');
    assert.equal(f.meta.touched, false);
  });
});

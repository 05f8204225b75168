// C front end: bit flags, lists, atomics, references, allocations, field accesses.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import type { FunctionIR } from '../../src/c/ir.js';
import { fn, lowerFixture, lowerText, ops } from './helpers.js';

describe('c/data', () => {
  let fns: Map<string, FunctionIR>;
  before(async () => {
    fns = await lowerFixture('data.c');
  });

  it('lowers bitops (atomic, __ and _unlock variants) and plain |= / &= ~ / & flags', () => {
    const f = fn(fns, 'mdp_mark_dirty');
    assert.deepEqual(ops(f, ['flag']), [
      '5 flag test-set md->status MDP_DIRTY full -> r1',
      '7 flag set md->status MDP_UPDATING',
      '8 flag clear md->status MDP_HIGHPRIO non-atomic',
      '9 flag clear md->status MDP_LOCKED release',
      '10 flag test md->status MDP_WRITEBACK -> r2',
      '12 flag set md->flags MDP_F_QUEUED non-atomic',
      '12 flag set md->flags MDP_F_SEEN non-atomic',
      '13 flag clear md->flags MDP_F_IDLE non-atomic',
      '14 flag test md->flags MDP_F_PINNED non-atomic -> r3',
      '15 flag clear md->flags MDP_F_A non-atomic',
      '15 flag clear md->flags MDP_F_B non-atomic',
    ]);
    const conds = f.blocks.flatMap((b) => (b.term.k === 'branch' ? [b.term.cond] : []));
    assert.deepEqual(conds, [
      { k: 'result', id: 'r1' },
      { k: 'result', id: 'r2' },
      { k: 'not', e: { k: 'result', id: 'r3' } },
    ]);
  });

  it('lowers list, llist and bio_list operations with heads and nodes', () => {
    assert.deepEqual(ops(fn(fns, 'mdp_queue'), ['list']), [
      '24 list add-tail node=pio->list head=mdp->ready_pios',
      '25 list del-init node=pio->list',
      '26 list splice-init head=mdp->ready_pios to=mdp->done_pios',
      '27 list add node=pio->llink head=mdp->llready',
      '28 list del-all head=mdp->llready -> r1',
      '29 list empty head=mdp->done_pios -> r2',
      '31 list first head=mdp->done_pios -> r3',
      '32 list add-tail node=bio head=mdp->deferred',
      '33 list pop head=mdp->deferred -> r4',
      '34 list init head=first->list',
    ]);
  });

  it('lowers atomics with results, kref, kmap_local (reference = assigned variable), name-inferred and device pairs', () => {
    const f = fn(fns, 'mdp_ref');
    assert.deepEqual(ops(f, ['atomic', 'ref', 'assign']), [
      '40 atomic read mdp->inflight -> r1',
      '40 assign completed = r1 == 1',
      '42 atomic inc mdp->inflight',
      '43 atomic dec-and-test mdp->inflight -> r2',
      '45 atomic inc obj->users',
      '46 ref get obj->kref (kref, primitive)',
      '47 ref put obj->kref (kref, primitive)',
      '48 ref get to (kmap_local, primitive) -> r3',
      '48 assign to = r3',
      '49 assign to[0] = completed',
      '50 ref put to (kmap_local, primitive)',
      '51 ref get mdp (mdp_meta_get/mdp_meta_put, name)',
      '52 ref put mdp (mdp_meta_get/mdp_meta_put, name)',
      '53 ref get mdp->dev (device, primitive)',
      '54 ref put mdp->dev (device, primitive)',
    ]);
  });

  it('records allocations with their GFP expression and destination', () => {
    assert.deepEqual(ops(fn(fns, 'mdp_alloc'), ['alloc', 'free']), [
      '62 alloc buf gfp=GFP_NOIO -> r1',
      '65 alloc bio gfp=try ? GFP_NOIO : GFP_NOWAIT -> r2',
      '66 alloc mdp->buf gfp=GFP_ATOMIC -> r3',
      '67 free buf',
    ]);
    const ret = fn(fns, 'mdp_alloc').blocks.flatMap((b) => (b.term.k === 'return' ? [b.term.value] : []));
    assert.deepEqual(ret[0], { k: 'errptr', arg: { k: 'errno', name: 'ENOMEM' } });
  });

  it('infers get/put pairs only from name shapes, weak shapes only with their partner in the unit', async () => {
    const m = await lowerText(`
void f(struct x *x)
{
	struct y *y = y_lookup(x);
	ctx_hold(x);
	ctx_unhold(x);
	cache_grab(x);
	cache_drop(x);
	foo_release(x);
	get_random_bytes(&x->k, 4);
	devm_clk_get(x->dev, NULL);
	z = thing_get();
}
`);
    assert.deepEqual(ops(fn(m, 'f'), ['ref']), [
      '5 ref get x (ctx_hold/ctx_unhold, name)',
      '6 ref put x (ctx_hold/ctx_unhold, name)',
      '7 ref get x (cache_grab/cache_drop, name)',
      '8 ref put x (cache_grab/cache_drop, name)',
      '12 ref get z (thing_get/thing_put, name) -> r2',
    ]);
    assert.deepEqual(
      ops(fn(m, 'f'), ['call']).map((s) => s.replace(/\(.*/, '')),
      ['4 call y_lookup', '9 call foo_release', '10 call get_random_bytes', '11 call devm_clk_get'],
    );
  });

  it('emits reads and writes of field paths and globals, with marked accesses and condition use', async () => {
    const m = await lowerText(`
struct wq workers;
int g_count;

static void f(struct md *md, int n)
{
	int local = n;

	workers.nr_req++;
	g_count = md->piwb->count + local;
	if (READ_ONCE(md->state) == 3 && g_count)
		md->arr[n] = smp_load_acquire(&md->seq);
	md->sub.val += 2;
}
`);
    assert.deepEqual(ops(fn(m, 'f'), ['access']), [
      '9 read workers.nr_req',
      '9 write workers.nr_req',
      '10 read md->piwb',
      '10 read md->piwb->count',
      '10 write g_count',
      '11 read md->state via once (condition)',
      '11 read g_count (condition)',
      '12 read md->seq via acquire',
      '12 write md->arr[]',
      '13 read md->sub.val',
      '13 write md->sub.val',
    ]);
  });
});

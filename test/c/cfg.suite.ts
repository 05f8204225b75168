// C front end: control-flow shapes (goto ladders, if/else chains, switch, loops, BUG_ON, WARN_ON, short-circuit).
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import type { FunctionIR } from '../../src/c/ir.js';
import { formatFunctionIR } from '../../src/c/format.js';
import { blockWith, edges, fn, lowerFixture, lowerText, ops, opsAlong, paths } from './helpers.js';

describe('c/cfg', () => {
  let fns: Map<string, FunctionIR>;
  before(async () => {
    fns = await lowerFixture('cfg.c');
  });

  it('lowers a goto unwinding ladder with label blocks falling into each other', () => {
    const f = fn(fns, 'nvx_probe');
    const text = formatFunctionIR(f);
    assert.match(text, /B7 \[label out_free_irq\]\n {6}25 call nvx_free_irq\(dev\)\n {6}26 -> B8\nB8 \[label out_free_queues\]/);
    // a side that is a bare goto says so: the trace and the messages name the cleanup it picks
    assert.match(text, /-> branch err \? goto out_unmap B9 : B3/);
    assert.match(text, /-> branch err < 0 \? goto out_free_queues B8 : B4/);
    assert.match(text, /-> branch IS_ERR\(dev->regs\) \? B1 : B2/);
    assert.match(text, /-> return PTR_ERR\(dev->regs\)/);
    // !a || !b: two branches, both failing sides reach out_free_irq
    assert.match(text, /-> branch !dev->ops \? goto out_free_irq B7 : B5/);
    assert.match(text, /-> branch !dev->ops->start \? goto out_free_irq B7 : B6/);
    assert.deepEqual(edges(f), [
      'B0 -> B1 B2',
      'B1 -> return',
      'B2 -> B9 B3',
      'B3 -> B8 B4',
      'B4 -> B7 B5',
      'B5 -> B7 B6',
      'B6 -> return',
      'B7 -> B8',
      'B8 -> B9',
      'B9 -> return',
    ]);
    // every path to `return err` passes the unmap
    for (const p of paths(f)) {
      const last = f.blocks[p[p.length - 1]!]!;
      if (last.term.k === 'return' && last.term.value?.k === 'var') assert.ok(opsAlong(f, p).includes('29 call nvx_unmap(dev)'));
    }
  });

  it('lowers an if / else if / else chain', () => {
    assert.deepEqual(edges(fn(fns, 'nvx_state_name')), ['B0 -> B1 B2', 'B1 -> return', 'B2 -> B3 B4', 'B3 -> return', 'B4 -> return']);
  });

  it('lowers switch with merged labels, fall-through, break, return and default', () => {
    const f = fn(fns, 'nvx_classify');
    const sw = f.blocks[0]!.term;
    assert.ok(sw.k === 'switch');
    assert.deepEqual(sw.on, { k: 'path', path: 'cmd->opcode' });
    const arms = sw.cases.map((c) =>
      c.match === 'default' ? 'default' : c.match.map((m) => (m.k === 'const' ? m.name : m.k === 'int' ? m.value : '?')).join('|'),
    );
    assert.deepEqual(arms, ['NVX_READ|NVX_WRITE', 'NVX_FLUSH', '7', 'default']);
    const [rw, flush, seven, def] = sw.cases.map((c) => f.blocks[c.to]!);
    assert.deepEqual(ops(f, undefined, rw!.id), ['50 assign weight = 2']);
    assert.ok(rw!.term.k === 'jump' && rw!.term.to === flush!.id, 'fallthrough into the next case');
    assert.ok(flush!.term.k === 'jump' && flush!.term.why === 'break');
    assert.ok(seven!.term.k === 'return' && seven!.term.value?.k === 'errno' && seven!.term.value.name === 'EINVAL');
    assert.deepEqual(ops(f, undefined, def!.id), ['58 assign weight = 1']);
    assert.ok(def!.term.k === 'jump' && flush!.term.k === 'jump' && def!.term.to === flush!.term.to, 'default and break meet after the switch');
  });

  it('lowers for/while/do loops with back edges, break and continue; do-while(0) is not a loop', () => {
    const f = fn(fns, 'nvx_drain');
    const heads = f.blocks.filter((b) => b.loopHead);
    assert.equal(heads.length, 3, formatFunctionIR(f));
    const forHead = heads[0]!;
    assert.ok(forHead.term.k === 'branch' && forHead.term.why === 'loop');
    // continue goes to the step (i++), which loops back to the head
    const cont = f.blocks.find((b) => b.term.k === 'branch' && b.term.cond.k === 'not')!;
    assert.ok(cont.term.k === 'branch');
    const step = f.blocks[cont.term.t]!;
    assert.deepEqual(ops(f, undefined, step.id), ['67 assign i = i + 1']);
    assert.ok(step.term.k === 'jump' && step.term.why === 'loop' && step.term.to === forHead.id);
    // the do { } while (0) body runs once, on the way out of the while loop
    const kick = blockWith(f, (o) => o.kind === 'call' && o.callee === 'nvx_kick');
    assert.ok(!kick.loopHead);
    assert.ok(!f.blocks.some((b) => b.term.k === 'jump' && b.term.why === 'loop' && b.term.to === kick.id));
    // the real do-while loops back from its condition to its body
    const dec = blockWith(f, (o) => o.kind === 'assign' && o.target === 'i' && o.line === 85);
    assert.ok(dec.loopHead);
    assert.ok(f.blocks.some((b) => b.term.k === 'branch' && b.term.why === 'loop' && b.term.t === dec.id));
  });

  it('BUG_ON branches to a noreturn block; WARN_ON_ONCE branches on its argument', () => {
    const f = fn(fns, 'nvx_check');
    const t0 = f.blocks[0]!.term;
    assert.ok(t0.k === 'branch');
    assert.deepEqual(t0.cond, { k: 'not', e: { k: 'var', name: 'req' } });
    assert.deepEqual(f.blocks[t0.t]!.term, { k: 'noreturn', why: 'BUG_ON()', line: 91 });
    const warn = f.blocks[t0.f]!;
    assert.ok(warn.term.k === 'branch');
    assert.deepEqual(warn.term.cond, { k: 'not', e: { k: 'path', path: 'dev->tags[]' } });
    assert.deepEqual(ops(f, undefined, warn.id), ['92 read req->tag (condition)', '92 read dev->tags[] (condition)']);
  });

  it('short-circuits && so the right-hand call only runs where the left side held', () => {
    const f = fn(fns, 'nvx_check');
    const call = blockWith(f, (o) => o.kind === 'call' && o.callee === 'nvx_try_reset');
    const preds = f.blocks.filter((b) => b.term.k === 'branch' && (b.term.t === call.id || b.term.f === call.id));
    assert.equal(preds.length, 1);
    const p = preds[0]!.term;
    assert.ok(p.k === 'branch' && p.t === call.id);
    assert.deepEqual(p.cond, { k: 'path', path: 'dev->dead' });
    // no branch condition is ever a `logic` expression
    for (const b of [...fns.values()].flatMap((x) => x.blocks)) if (b.term.k === 'branch') assert.notEqual(b.term.cond.k, 'logic');
    // a value computed with && and reads: a temporary set on both sides
    assert.deepEqual(
      ops(f, ['assign']).filter((s) => s.includes('$t1')),
      ['96 assign $t1 = 1', '96 assign $t1 = 0', '96 assign dev->busy = $t1'],
    );
  });

  it('panic() ends the path', () => {
    const f = fn(fns, 'nvx_die');
    assert.ok(f.blocks.some((b) => b.term.k === 'noreturn' && b.term.why === 'panic()'));
  });

  it('keeps conditions symbolic: cmp, is_err, errno, null, bool, ternaries without ops', async () => {
    const m = await lowerText(`
int f(struct s *p, int a)
{
	void *q = p->q;
	int v = a ? 1 : 2;
	if (IS_ERR_OR_NULL(q))
		return -ENOMEM;
	if (a >= 3 || q == NULL)
		return v;
	return false;
}
`);
    const f = fn(m, 'f');
    assert.deepEqual(ops(f, ['assign']), ['4 assign q = p->q', '5 assign v = a ? 1 : 2']);
    const conds = f.blocks.flatMap((b) => (b.term.k === 'branch' ? [b.term.cond] : []));
    assert.deepEqual(conds, [
      { k: 'is_err', e: { k: 'var', name: 'q' }, orNull: true },
      { k: 'cmp', op: '>=', a: { k: 'var', name: 'a' }, b: { k: 'int', value: 3 } },
      { k: 'cmp', op: '==', a: { k: 'var', name: 'q' }, b: { k: 'null' } },
    ]);
    const rets = f.blocks.flatMap((b) => (b.term.k === 'return' ? [b.term.value] : []));
    assert.deepEqual(rets, [
      { k: 'errno', name: 'ENOMEM' },
      { k: 'var', name: 'v' },
      { k: 'bool', value: false },
    ]);
  });

  it('marks the head of a backward goto loop and ends unseen labels as unknown exits', async () => {
    const m = await lowerText(`
int f(struct s *p)
{
retry:
	if (s_busy(p))
		goto retry;
	if (p->bad)
		goto elsewhere;
	return 0;
}
`);
    const f = fn(m, 'f');
    assert.ok(f.blocks.find((b) => b.label === 'retry')?.loopHead);
    assert.ok(f.blocks.some((b) => b.term.k === 'unknown-exit'));
    assert.match(f.diagnostics.join('\n'), /goto elsewhere: label not in the visible code/);
  });
});

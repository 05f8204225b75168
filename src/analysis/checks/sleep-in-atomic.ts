// sleep-in-atomic: a call that may sleep (sleeping locks, msleep/schedule/wait_*, allocations that
// may reclaim, callees whose summary may sleep) under a spinlock, with interrupts off, or in an
// RCU read-side section.

import type { Check, CheckContext, RawFinding } from '../check.js';
import { defineRule, report } from '../rule.js';
import { contextFacts } from '../check.js';

export const sleepInAtomicRule = defineRule({
  id: 'sleep-in-atomic',
  severity: 'error',
  kind: 'path',
  summary: 'a call that may sleep while a spinlock is held, interrupts are off, or in an RCU read section',
  description:
    'Reports a call that may sleep (mutex_lock(), GFP_KERNEL allocations, msleep(), copy_to_user() and the sleeping functions listed in rules/, or a callee whose summary sleeps) on a path where a spinlock, rwlock or raw spinlock is held, interrupts or preemption are disabled, or an RCU read section is open: "BUG: sleeping function called from invalid context". A sleep through a callee is a warning; a callee that sleeps on some of its paths only lowers confidence.',
  help: {
    bad: `spin_lock(&ctx->lock);
buf = kmalloc(len, GFP_KERNEL);\t/* may sleep */
spin_unlock(&ctx->lock);`,
    good: `spin_lock(&ctx->lock);
buf = kmalloc(len, GFP_ATOMIC);
spin_unlock(&ctx->lock);`,
  },
  cwe: [662],
  tags: ['locking', 'atomic-context'],
  messages: {
    direct: '{{why}} while holding {{held}}',
    callee: { text: '{{why}} while holding {{held}}', severity: 'warning' },
  },
});

export const sleepInAtomic: Check = {
  meta: sleepInAtomicRule,
  run(ctx: CheckContext): RawFinding[] {
    const { fn, walk } = ctx;
    const out: RawFinding[] = [];
    for (const e of walk.events) {
      if (e.k !== 'sleep') continue;
      // Hidden code between taking the lock and here may have dropped it.
      if (e.atomic.every((l) => l.gapSince)) continue;
      const held = e.atomic.filter((l) => !l.gapSince);
      const { confidence: c0, facts } = contextFacts(fn, e.viaGap);
      // A callee that sleeps only on some of its paths may not on the one this call takes.
      const confidence = e.sometimes ? 'low' : c0;
      if (e.sometimes) facts.push(`${e.via}() sleeps only on some of its paths`);
      const ctxText = held.map((l) => (l.family === 'rcu' ? 'an RCU read section' : `'${l.obj}' (taken at ${l.line ?? '?'})`)).join(', ');
      out.push(
        report(sleepInAtomicRule, {
          messageId: e.via ? 'callee' : 'direct',
          basis: { weak: e.sometimes ? ['some-paths'] : [] },
          data: { why: e.why, held: ctxText },
          confidence: e.via && confidence === 'high' ? 'medium' : confidence,
          line: e.line,
          function: fn.name,
          objects: [...held.map((l) => l.obj), e.what],
          trace: [...e.trace, { line: e.line, text: e.text, note: e.why }],
          facts: e.via ? [...facts, `${e.via}() may sleep according to its summary`] : facts,
          discriminator: e.what,
        }),
      );
    }
    return out;
  },
};

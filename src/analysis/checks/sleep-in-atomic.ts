// sleep-in-atomic: a call that may sleep (sleeping locks, msleep/schedule/wait_*, allocations that
// may reclaim, callees whose summary may sleep) under a spinlock, with interrupts off, or in an
// RCU read-side section.

import type { Check, CheckContext, RawFinding } from '../check.js';
import { contextFacts } from '../check.js';

export const sleepInAtomic: Check = {
  meta: {
    id: 'sleep-in-atomic',
    severity: 'error',
    description: 'a call that may sleep while a spinlock is held, interrupts are off, or in an RCU read section',
  },
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
      out.push({
        rule: 'sleep-in-atomic',
        severity: e.via ? 'warning' : 'error',
        confidence: e.via && confidence === 'high' ? 'medium' : confidence,
        message: `${e.why} while holding ${ctxText}`,
        line: e.line,
        function: fn.name,
        objects: [...held.map((l) => l.obj), e.what],
        trace: [...e.trace, { line: e.line, text: e.text, note: e.why }],
        facts: e.via ? [...facts, `${e.via}() may sleep according to its summary`] : facts,
        discriminator: e.what,
      });
    }
    return out;
  },
};

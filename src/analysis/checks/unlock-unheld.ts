// unlock-unheld: releasing a lock that is not held on this path (double unlock, a label placed
// before the unlock so an early goto reaches it without the lock).

import type { Check, CheckContext, RawFinding } from '../check.js';

export const unlockUnheld: Check = {
  meta: {
    id: 'unlock-unheld',
    severity: 'error',
    description: 'releasing a lock not held on this path (double unlock, error label before the unlock)',
  },
  run(ctx: CheckContext): RawFinding[] {
    const { fn, walk } = ctx;
    const out: RawFinding[] = [];
    const takes = new Set(walk.events.filter((e) => e.k === 'acquire').map((e) => (e.k === 'acquire' ? e.obj : '')));
    for (const e of walk.events) {
      if (e.k !== 'release-unheld') continue;
      // A release of a lock this function never takes is its caller's lock (foo_unlock() helpers).
      if (!e.double && !takes.has(e.obj)) continue;
      const message = e.double
        ? `double unlock '${e.obj}' (already released at ${e.prevLine ?? '?'})`
        : `unlock of '${e.obj}', which is not held on this path (the function takes it on other paths)`;
      out.push({
        rule: 'unlock-unheld',
        severity: 'error',
        confidence: e.viaGap ? 'medium' : fn.meta.completeness === 'full' ? 'high' : 'medium',
        message: e.via ? `${message}: inside ${e.via}()` : message,
        line: e.line,
        function: fn.name,
        objects: [e.obj],
        trace: [...e.trace, { line: e.line, text: e.text, note: `releases '${e.obj}', not held here` }],
        facts: e.double ? [`released at ${e.prevLine ?? '?'} and again at ${e.line ?? '?'} with no acquire in between`] : [],
        discriminator: e.via,
      });
    }
    return out;
  },
};

// unlock-unheld: releasing a lock that is not held on this path (double unlock, a label placed
// before the unlock so an early goto reaches it without the lock).

import { isCountedSemaphore } from '../semaphores.js';
import type { Check, CheckContext, RawFinding } from '../check.js';
import { defineRule, report } from '../rule.js';
import type { Basis, Weakness } from '../confidence.js';
import type { EngineEvent } from '../engine.js';
import { hasVariableIndex } from '../../c/path.js';

export const unlockUnheldRule = defineRule({
  id: 'unlock-unheld',
  severity: 'error',
  kind: 'path',
  summary: 'releasing a lock not held on this path (double unlock, error label before the unlock)',
  description:
    "Reports a release of a lock that is not held on the path that reaches it: a double unlock, or an error label placed before the unlock that paths jump to before taking the lock. A release of a lock the function never takes on any path is its caller's lock (foo_unlock() helpers) and is not reported.",
  help: {
    bad: `\tif (!buf)
\t\tgoto out_unlock;\t/* the lock is not taken yet */
\tspin_lock(&q->lock);
\tlist_add(&buf->node, &q->list);
out_unlock:
\tspin_unlock(&q->lock);`,
    good: `\tif (!buf)
\t\tgoto out;
\tspin_lock(&q->lock);
\tlist_add(&buf->node, &q->list);
\tspin_unlock(&q->lock);
out:`,
  },
  cwe: [765, 832],
  tags: ['locking'],
  messages: {
    double: "double unlock '{{obj}}' (already released at {{prev}}){{via}}",
    unheld: "unlock of '{{obj}}', which is not held on this path (the function takes it on other paths){{via}}",
  },
});

/**
 * What an unheld release rests on. A semaphore counts: up() without a down() before it, or several
 * in a row, hands out permits (a barrier, a raised limit), unless the function itself took it with
 * down() and gives it back twice.
 */
function releaseBasis(e: Extract<EngineEvent, { k: 'release-unheld' }>, takes: Set<string>, counted: boolean): Basis {
  const weak: Weakness[] = [];
  if (hasVariableIndex(e.obj)) weak.push('may-alias');
  if (e.family !== 'semaphore') return { weak };
  weak.push('counting');
  return { weak, corroboration: e.double && takes.has(e.obj) && !counted ? `the function takes '${e.obj}' with down() and gives it back twice` : null };
}

export const unlockUnheld: Check = {
  meta: unlockUnheldRule,
  run(ctx: CheckContext): RawFinding[] {
    const { fn, walk } = ctx;
    const out: RawFinding[] = [];
    // Taking back a lock the function let go of for its caller (release, sleep, retake) is not taking it.
    const takes = new Set(walk.events.flatMap((e) => (e.k === 'acquire' && !e.retake ? [e.obj] : [])));
    for (const e of walk.events) {
      if (e.k !== 'release-unheld') continue;
      // A release of a lock this function never takes is its caller's lock (foo_unlock() helpers).
      if (!e.double && !takes.has(e.obj)) continue;
      const via = e.via ? `: inside ${e.via}()` : '';
      out.push(
        report(unlockUnheldRule, {
          ...(e.double
            ? { messageId: 'double' as const, data: { obj: e.obj, prev: e.prevLine, via } }
            : { messageId: 'unheld' as const, data: { obj: e.obj, via } }),
          confidence: e.viaGap ? 'medium' : fn.meta.completeness === 'full' ? 'high' : 'medium',
          basis: releaseBasis(e, takes, isCountedSemaphore(ctx.side, ctx.sem, fn, e.obj)),
          line: e.line,
          function: fn.name,
          objects: [e.obj],
          trace: [...e.trace, { line: e.line, text: e.text, note: `releases '${e.obj}', not held here` }],
          facts: e.double ? [`released at ${e.prevLine ?? '?'} and again at ${e.line ?? '?'} with no acquire in between`] : [],
          discriminator: e.via,
        }),
      );
    }
    return out;
  },
};

// double-lock: acquiring a lock already held on this path, directly or inside a callee (self-deadlock).

import { isBinarySemaphore } from '../semaphores.js';
import type { FunctionIR } from '../../c/ir.js';
import { successors } from '../cfg.js';
import type { Check, CheckContext, RawFinding } from '../check.js';
import { contextFacts } from '../check.js';
import { defineRule, report } from '../rule.js';
import { hasVariableIndex } from '../../c/path.js';
import type { Weakness } from '../confidence.js';

export const doubleLockRule = defineRule({
  id: 'double-lock',
  severity: 'error',
  kind: 'path',
  summary: 'acquiring a lock already held on this path, directly or through a callee (self-deadlock)',
  description:
    'Follows every path of the function with the set of locks it holds (including locks a callee takes, from its summary) and reports an acquire of a lock that is already held: a spinlock or mutex taken twice deadlocks the CPU or task at once. A recursive down_read() is a warning: it deadlocks only when a writer queues in between. Lower confidence when the first acquisition is separated from the second by code the patch does not show, or when the callee takes the lock on some of its paths only.',
  help: {
    bad: `spin_lock(&dev->lock);
if (dev->dirty)
\tflush_dirty(dev);\t/* takes dev->lock itself */
spin_unlock(&dev->lock);`,
    good: `spin_lock(&dev->lock);
dirty = dev->dirty;
spin_unlock(&dev->lock);
if (dirty)
\tflush_dirty(dev);`,
  },
  cwe: [764, 833],
  tags: ['locking', 'deadlock'],
  messages: {
    direct: "double lock '{{obj}}' ({{where}})",
    callee: "double lock '{{obj}}' ({{where}}): {{callee}}() takes it again{{at}}",
    recursiveRead: {
      text: "double lock '{{obj}}' ({{where}}){{how}}: recursive down_read() deadlocks when a writer waits in between",
      severity: 'warning',
    },
  },
});

export const doubleLock: Check = {
  meta: doubleLockRule,
  run(ctx: CheckContext): RawFinding[] {
    const { fn, walk } = ctx;
    const out: RawFinding[] = [];
    for (const e of walk.events) {
      if (e.k !== 'double-acquire') continue;
      const facts: string[] = [];
      let { confidence } = contextFacts(fn, e.viaGap);
      facts.push(...contextFacts(fn, e.viaGap).facts);
      if (e.held.gapSince) {
        // Hidden code lies between the two acquisitions; believe the lock is still held only if the
        // visible code after this point releases it (the author expects it held here).
        if (!releasedAfter(fn, e.block, e.obj, e.line)) continue;
        facts.push(`'${e.obj}' is released later on this path, so the code expects it still held here`);
        confidence = 'medium';
      }
      if (e.via && !e.via.always) {
        confidence = confidence === 'high' ? 'medium' : 'low';
        facts.push(`${e.via.callee}() takes it on some of its paths`);
      }
      if (e.via) {
        const s = ctx.summaries.get(e.via.callee);
        if (s) facts.push(`summary of ${e.via.callee}() from ${s.origin}`);
      }
      const where = e.held.fromEntry ? 'held by the caller' : `acquired at ${e.held.line ?? '?'}${e.held.via ? ` inside ${e.held.via}()` : ''}`;
      const readNest = e.held.family === 'rwsem' && e.held.mode === 'read';
      const obj = e.obj;
      const weak: Weakness[] = [];
      // A semaphore may count; one set up with sema_init(&s, 1) and never counted with is a lock
      // when this function takes it twice itself (a callee returning with it may hand it to an
      // I/O completion that ups it).
      if (e.held.family === 'semaphore' && (e.held.via || e.via || !isBinarySemaphore(ctx.side, ctx.sem, fn, obj))) weak.push('counting');
      if (e.via && !e.via.always) weak.push('some-paths');
      if (hasVariableIndex(obj)) weak.push('may-alias');
      const common = {
        basis: { weak },
        confidence,
        line: e.line,
        function: fn.name,
        objects: [obj],
        trace: [...e.trace, { line: e.line, text: e.text, note: e.via ? `calls ${e.via.callee}(), which acquires '${obj}'` : `acquires '${obj}' again` }],
        facts,
        discriminator: e.via?.callee,
      };
      if (readNest) {
        const how = e.via ? `: ${e.via.callee}() takes it again${e.via.line !== null ? ` at line ${e.via.line}` : ''}` : '';
        out.push(report(doubleLockRule, { ...common, messageId: 'recursiveRead', data: { obj, where, how } }));
      } else if (e.via) {
        const at = e.via.line !== null ? ` at line ${e.via.line}` : '';
        out.push(report(doubleLockRule, { ...common, messageId: 'callee', data: { obj, where, callee: e.via.callee, at } }));
      } else {
        out.push(report(doubleLockRule, { ...common, messageId: 'direct', data: { obj, where } }));
      }
    }
    return out;
  },
};

/** Is `obj` released on some path after `line` in `block`, before being taken again? */
function releasedAfter(fn: FunctionIR, start: number, obj: string, line: number | null): boolean {
  const seen = new Set<number>();
  const stack: { b: number; first: boolean }[] = [{ b: start, first: true }];
  while (stack.length) {
    const { b, first } = stack.pop()!;
    if (!first && seen.has(b)) continue;
    seen.add(b);
    const block = fn.blocks[b];
    if (!block) continue;
    let blocked = false;
    for (const op of block.ops) {
      if (first && line !== null && op.line !== null && op.line <= line) continue;
      if (op.kind === 'release' && op.obj === obj) return true;
      if (op.kind === 'acquire' && op.obj === obj) {
        blocked = true;
        break;
      }
    }
    if (blocked) continue;
    for (const s of successors(block.term)) stack.push({ b: s, first: false });
  }
  return false;
}

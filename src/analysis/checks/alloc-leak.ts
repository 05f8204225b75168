// alloc-leak: memory this function allocated (kmalloc(), kzalloc(), kstrdup(), kmem_cache_alloc(),
// vmalloc(), the rules' `op: alloc` calls) is still its own on a return where other returns free it
// or hand it on: usually a rung of an error ladder that forgets one kfree().

import type { Check, CheckContext, RawFinding } from '../check.js';
import { besides, contextFacts, exitLines } from '../check.js';
import type { Exit } from '../engine.js';
import { keptOnSuccess, keptOutsideErrors } from './kept-on-success.js';
import { defineRule, report } from '../rule.js';
import { loopBlocks } from '../objects.js';
import type { FunctionIR } from '../../c/ir.js';

export const allocLeakRule = defineRule({
  id: 'alloc-leak',
  severity: 'warning',
  kind: 'path',
  summary: 'memory allocated here is neither freed nor handed on at a return where other returns free it or hand it on',
  description:
    'Follows each allocation the function makes into a local variable (kmalloc() and friends, kstrdup(), kmemdup(), kmem_cache_alloc(), vmalloc(), kvmalloc(), declared `op: alloc` in rules/) until it is freed or handed on: stored into memory that outlives the call, returned, put on a list, queued to deferred work, or given to a callee that keeps or frees it (its body, or rules/). A return that still holds it while another return frees it or hands it on is a leak. Allocations stored straight into a structure, devm_ allocations and __free() cleanup variables are owned from the start. When the function keeps it on success and frees it on failure, the success handed it on (to a callee that registered it), as for references.',
  help: {
    bad: `buf = kmalloc(len, GFP_KERNEL);
if (!buf)
\treturn -ENOMEM;
name = kstrdup(src, GFP_KERNEL);
if (!name)
\treturn -ENOMEM;\t/* buf is leaked */
dev->buf = buf;
dev->name = name;`,
    good: `buf = kmalloc(len, GFP_KERNEL);
if (!buf)
\treturn -ENOMEM;
name = kstrdup(src, GFP_KERNEL);
if (!name) {
\tkfree(buf);
\treturn -ENOMEM;
}
dev->buf = buf;
dev->name = name;`,
  },
  cwe: [401],
  tags: ['memory'],
  messages: {
    notFreed: "'{{obj}}' allocated with {{primitive}}() at {{line}} is not freed on return at {{where}}",
  },
});

/** Every return that handed `obj` on did so inside a loop (a store, a list add, a keeping callee). */
function handedOnlyInLoops(fn: FunctionIR, obj: string, clean: Exit[]): boolean {
  const ends = clean.flatMap((x) => x.state.allocEnd.get(obj) ?? []);
  if (!ends.some((e) => e.how === 'handed')) return false;
  const loops = loopBlocks(fn);
  return ends.every((e) => e.how !== 'handed' || loops.has(e.block));
}

export const allocLeak: Check = {
  meta: allocLeakRule,
  run(ctx: CheckContext): RawFinding[] {
    const { fn, walk } = ctx;
    const out: RawFinding[] = [];
    const seen = new Set<string>();
    for (const x of walk.exits) for (const a of x.state.allocs.values()) seen.add(a.obj);
    for (const obj of seen) {
      const leaking: Exit[] = [];
      const clean: Exit[] = [];
      for (const x of walk.exits) {
        const a = x.state.allocs.get(obj);
        if (!a) clean.push(x);
        else if (!a.gapSince) leaking.push(x);
      }
      if (!leaking.length) continue;
      // Evidence that the function disposes of it itself: another return freed it or handed it on.
      if (!clean.some((x) => x.state.allocEnd.has(obj))) continue;
      // Kept when it succeeds, freed when it fails: the success gave it to a callee that keeps it.
      if (keptOnSuccess(fn, leaking, clean) || keptOutsideErrors(fn, leaking, clean)) continue;
      // Where a return holds it without having given it to a callee the input does not show, if one does.
      const x = leaking.find((l) => !l.state.allocs.get(obj)!.passed) ?? leaking[0]!;
      const a = x.state.allocs.get(obj)!;
      const { confidence, facts } = contextFacts(
        fn,
        x.trace.some((t) => t.note.includes('gap')),
      );
      out.push(
        report(allocLeakRule, {
          messageId: 'notFreed',
          data: {
            obj,
            primitive: a.primitive,
            line: a.line,
            where: besides(exitLines(leaking, clean), `not held on return at ${exitLines(clean, leaking)}`),
          },
          confidence,
          basis: { weak: [...(a.passed ? (['unknown-callee'] as const) : []), ...(handedOnlyInLoops(fn, obj, clean) ? (['loop-skipped'] as const) : [])] },
          line: x.line,
          function: fn.name,
          objects: [obj],
          trace: x.trace,
          facts: [...facts, `other returns ${[...new Set(clean.flatMap((c) => c.state.allocEnd.get(obj)?.how ?? []))].join(' or ')} it`],
        }),
      );
    }
    return out;
  },
};

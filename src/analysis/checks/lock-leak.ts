// lock-leak: a return path keeps a lock that other return paths release (Smatch's "inconsistent
// returns"), or the function keeps it on every path and nothing hands it off.

import { isCountedSemaphore } from '../semaphores.js';
import type { Check, CheckContext, RawFinding } from '../check.js';
import { contextFacts, exitLines, lines } from '../check.js';
import type { Exit } from '../engine.js';
import type { FunctionIR } from '../../c/ir.js';
import { manyInstances, rootOf, substitute, typedObject } from '../objects.js';
import type { HeldLock } from '../domains/locks.js';
import { exitsForArgs } from '../summary.js';
import { splitByStatus } from '../returns.js';
import { truthOf } from '../values.js';
import { mentions } from '../entry-locks.js';
import { dominates, successors } from '../cfg.js';
import { defineRule, report, type MessageOf } from '../rule.js';

/** Names that say "returns with the lock held" (foo_lock, foo_begin, foo_get, lock_foo ...). */
const ACQUIRER_NAME = /(^|_)(lock|locked|trylock|begin|start|enter|acquire|get|grab|hold|claim|prepare|pin|freeze|suspend)(_|$)/;

export const lockLeakRule = defineRule({
  id: 'lock-leak',
  severity: 'error',
  kind: 'path',
  summary: 'a return path keeps a lock that other paths release, or that the function never hands off',
  description:
    'Follows every path of the function with the locks it holds and compares the returns: a lock held on some returns and released on others is Smatch\'s "inconsistent returns" (usually an error path that jumps past the unlock). A function that returns with a lock held on every path is reported only when nothing explains it: no __acquires() annotation, no handoff in rules/, no function of the input that releases it, no name that says it returns locked. Returns that differ by status (0 locked, an error unlocked) are a conditional lock and are reported as info for the caller to honour.',
  help: {
    bad: `mutex_lock(&dev->mutex);
if (!dev->ready)
\treturn -ENODEV;\t/* returns with dev->mutex held */
dev->count++;
mutex_unlock(&dev->mutex);
return 0;`,
    good: `mutex_lock(&dev->mutex);
if (!dev->ready) {
\tret = -ENODEV;
\tgoto out_unlock;
}
dev->count++;
out_unlock:
mutex_unlock(&dev->mutex);
return ret;`,
  },
  cwe: [667],
  tags: ['locking'],
  messages: {
    inconsistent: "inconsistent returns '{{obj}}': held on return at {{held}}, {{other}} on return at {{free}}",
    heldEverywhere: {
      text: "'{{obj}}' acquired at {{line}} is still held on every return and nothing in the input releases it",
      severity: 'warning',
    },
    conditional: {
      text: "returns holding '{{obj}}' when it returns {{heldWhen}}, not held when it returns {{freeWhen}}: callers must release it",
      severity: 'info',
    },
    withObject: {
      text: "returns the object it locked: '{{obj}}' is held on return at {{held}} with the object it belongs to, which the caller gets",
      severity: 'info',
    },
    byArgument: { text: "returns holding '{{obj}}' depending on its arguments: it is taken only under a test of a parameter", severity: 'info' },
    byOutParam: { text: "returns holding '{{obj}}' when it sets '{{flag}}': callers must release it when told so", severity: 'info' },
    declaredSome: { text: "returns holding '{{obj}}' on some paths: {{why}}", severity: 'info' },
    handoff: { text: "returns holding '{{obj}}': {{why}}", severity: 'info' },
  },
});

export const lockLeak: Check = {
  meta: lockLeakRule,
  run(ctx: CheckContext): RawFinding[] {
    const { fn, walk } = ctx;
    const out: RawFinding[] = [];
    const exits = walk.exits;
    if (!exits.length) return out;
    const objs = new Map<string, HeldLock>();
    for (const x of exits) for (const l of x.state.locks.values()) if (!l.fromEntry && !l.scoped && !objs.has(l.obj)) objs.set(l.obj, l);

    for (const [obj, sample] of objs) {
      if (manyInstances(fn, obj)) continue;
      const holding: Exit[] = [];
      const free: Exit[] = [];
      let hidden = false;
      for (const x of exits) {
        const l = x.state.locks.get(obj);
        if (!l) free.push(x);
        else if (l.gapSince)
          hidden = true; // code we cannot see may release it on this path
        else holding.push(x);
      }
      if (!holding.length) continue;
      const handoff = explainHandoff(ctx, obj, holding, free);
      // `return b;` with `&b->lock` held: a lookup that hands its caller the object locked
      // (bcache's node get, a find-and-lock helper). The caller releases it with the object.
      const root = rootOf(obj);
      if (free.length && root && holding.every((x) => x.value?.k === 'var' && x.value.name === root)) {
        out.push(info(ctx, obj, holding, handoff, { messageId: 'withObject', data: { obj, held: exitLines(holding, free) } }));
        continue;
      }

      if (free.length) {
        // Consistent per return value ("returns 0 locked, an error unlocked") is a conditional lock, not a leak.
        const hc = new Set(holding.map((x) => x.cls));
        const fc = new Set(free.map((x) => x.cls));
        // Only a lock whose taking can fail (a trylock, _killable, a helper that returns with it
        // on success), or that a failing path takes and gives back, is a conditional lock; one
        // taken for good after an early error return is held on every return that took it.
        // `__cond_acquires(obj)` declares it so: nothing to tell the caller that it does not say.
        const declared = fn.annotations.condAcquires.some((c) => c.lock === obj);
        const conditional = declared || !!handoff || free.some((x) => x.state.released.has(obj)) || conditionalAcquire(ctx, obj);
        // And someone must use it so: a static function of a fully visible file that nothing in
        // the input calls (a sysfs handler, a callback) has no caller to release the lock.
        const split = conditional && splitByStatus(fn.returnType, hc, fc);
        if (split && declared) continue;
        // `*locked = true` where it returns holding the lock, false where it returns the same
        // kind of value without: it tells its caller through an out-parameter.
        const flag = outParamTells(fn, holding, free);
        if (flag) {
          out.push(info(ctx, obj, holding, handoff, { messageId: 'byOutParam', data: { obj, flag } }));
          continue;
        }
        const uncalled = split && !handoff && fn.isStatic && fn.meta.completeness === 'full' && !calledInInput(ctx);
        if (split && !uncalled) {
          out.push(info(ctx, obj, holding, handoff, { messageId: 'conditional', data: { obj, heldWhen: [...hc].join('/'), freeWhen: [...fc].join('/') } }));
          continue;
        }
        // A locking helper (by its name or a releasing partner) that takes it only under a test of
        // an argument, held or not at the very same returns: the caller chose (`foo_lock(f, global)`
        // takes the global lock when asked to).
        const failed = (c: string): boolean =>
          c === 'neg' || c === 'errptr' || (c === 'zero' && (fn.returnType.includes('*') || /\bbool\b/.test(fn.returnType)));
        const byArgument =
          !!handoff &&
          acquiredUnderArgument(ctx, obj) &&
          holding.every((h) => h.cls !== 'any' && !failed(h.cls) && free.some((f) => f.line === h.line && f.cls === h.cls));
        if (byArgument) {
          out.push(info(ctx, obj, holding, handoff, { messageId: 'byArgument', data: { obj } }));
          continue;
        }
        // A function that releases it on some returns and not on others is not handing it off,
        // unless rules/ say this very function returns holding it.
        if (handoff?.declared) {
          out.push(info(ctx, obj, holding, handoff, { messageId: 'declaredSome', data: { obj, why: handoff.why } }));
          continue;
        }
        const worst = holding[0]!;
        const ctxFacts = contextFacts(
          fn,
          worst.trace.some((t) => t.note.includes('gap')),
        );
        const { facts } = ctxFacts;
        let { confidence } = ctxFacts;
        if (uncalled) {
          facts.push(`it returns holding '${obj}' only on success, but nothing in the input calls ${fn.name}() to release it`);
          if (confidence === 'high') confidence = 'medium';
        }
        if (hidden) facts.push('some other paths cross hidden code and were not counted');
        if (handoff) facts.push(`not a handoff: ${handoff.why}, but this function also releases it on other returns`);
        // Held on some returns and released (or meant to be: an unlock on the wrong path) on others is
        // the function's own inconsistency; held on some and never taken on the others is how a
        // helper that returns the lock looks, unless something rules that out.
        const releases = free.some((x) => x.state.released.has(obj)) || walk.events.some((e) => e.k === 'release-unheld' && e.obj === obj);
        const errorOverlap = [...hc].find((c) => failed(c) && fc.has(c));
        // A semaphore this function never gives back after taking it counts a permit that goes with
        // the work (released by a completion), or lets others through (a barrier's up() on another
        // path): nothing here says it is used as a mutex.
        const counting =
          sample.family === 'semaphore' &&
          (isCountedSemaphore(ctx.side, ctx.sem, fn, obj) || !free.some((x) => x.state.released.has(obj) && !x.state.entryReleased.has(obj)));
        const corroboration = counting
          ? null
          : errorOverlap
            ? `it returns holding '${obj}' on one ${errorOverlap} return and not on another: a failing helper gives its lock back`
            : noCallerReleases(ctx, obj, handoff);
        out.push(
          report(lockLeakRule, {
            basis: { weak: counting ? ['counting'] : releases ? [] : ['never-released'], corroboration },
            messageId: 'inconsistent',
            data: {
              obj,
              held: exitLines(holding, free),
              other: free.some((x) => x.state.released.has(obj)) ? 'released' : 'not held',
              free: exitLines(free, holding),
            },
            severity: confidence === 'high' ? 'error' : 'warning',
            confidence,
            line: worst.line,
            function: fn.name,
            objects: [obj],
            trace: [
              ...worst.trace,
              { line: sample.line, text: '', note: `'${obj}' acquired at ${sample.line ?? '?'}${sample.via ? ` (inside ${sample.via}())` : ''}` },
            ],
            facts: [...facts, `Locked on: ${lines(holding.map((x) => x.line))}`, `Unlocked on: ${lines(free.map((x) => x.line))}`],
          }),
        );
        continue;
      }

      // Held on every return.
      if (fn.annotations.acquires.includes(obj)) continue; // declared: __acquires(obj)
      if (handoff) {
        out.push(info(ctx, obj, holding, handoff, { messageId: 'handoff', data: { obj, why: handoff.why } }));
        continue;
      }
      if (sample.family === 'context') continue;
      const { confidence, facts } = contextFacts(fn, false);
      out.push(
        report(lockLeakRule, {
          messageId: 'heldEverywhere',
          data: { obj, line: sample.line },
          basis: sample.family === 'semaphore' ? { weak: ['absence', 'counting'] } : { weak: ['absence'], corroboration: noCallerReleases(ctx, obj, handoff) },
          confidence: confidence === 'high' ? 'medium' : 'low',
          line: holding[0]!.line,
          function: fn.name,
          objects: [obj],
          trace: holding[0]!.trace,
          facts: [...facts, 'no __acquires() annotation, no handoff in rules/, no function in the input that releases it'],
        }),
      );
    }
    return out;
  },
};

/**
 * Why no caller can release `obj` for this function, when that can be told from the input: a
 * static function of a fully visible file that nothing calls. (Callers that seem not to release it
 * prove nothing: the release may sit in a completion or another file.)
 */
function noCallerReleases(ctx: CheckContext, obj: string, handoff: Handoff | null): string | null {
  const { fn } = ctx;
  if (handoff || calledInInput(ctx) || addressTaken(ctx) || !fn.isStatic || fn.meta.completeness !== 'full') return null;
  return `${fn.name}() is static and nothing in its file calls it: no caller can release '${obj}'`;
}

/**
 * Is the function used other than by a direct call: passed as an argument (INIT_WORK(.., fn),
 * continue_at(.., fn, ..)), stored, or placed in an ops table? Then it has callers we cannot see.
 */
function addressTaken(ctx: CheckContext): boolean {
  const name = ctx.fn.name;
  const mention = new RegExp(`(?:^|[^\\w])&?${name}(?:$|[^\\w])`);
  if (ctx.fn.unit?.callbacks?.some((c) => c.fn === name)) return true;
  return ctx.side.some((w) =>
    w.fn.blocks.some((b) =>
      b.ops.some(
        (op) =>
          (op.kind === 'call' && op.argText.some((a) => mention.test(a))) ||
          (op.kind === 'assign' && ((op.value.k === 'var' && op.value.name === name) || (op.value.k === 'unknown' && mention.test(op.value.text)))),
      ),
    ),
  );
}

/** Does any function of the input call this one directly? */
function calledInInput(ctx: CheckContext): boolean {
  const name = ctx.fn.name;
  return ctx.side.some((w) => w.fn !== ctx.fn && w.fn.blocks.some((b) => b.ops.some((op) => op.kind === 'call' && op.callee === name)));
}

/** Can taking `obj` fail here: a trylock-style primitive, or a callee that returns with it only on some results? */
function conditionalAcquire(ctx: CheckContext, obj: string): boolean {
  const { fn, summaries, sem } = ctx;
  for (const b of fn.blocks) {
    for (const op of b.ops) {
      if (op.kind === 'acquire' && op.try && op.obj === obj) return true;
      if (op.kind !== 'call' || op.indirect) continue;
      if (op.result && sem.handoffs.some((h) => h.acquire === op.callee)) return true;
      const sum = summaries.get(op.callee);
      const exits = sum ? exitsForArgs(sum, []) : [];
      if (!sum || exits.length < 2) continue;
      const takes = exits.map((e) => e.unknown || e.acquired.some((a) => substitute(a.obj, sum.params, op.argText, sum.locals) === obj));
      if (takes.some(Boolean) && !takes.every(Boolean)) return true;
    }
  }
  return false;
}

/** Is every acquire of `obj` inside a branch on a parameter (`if (global) mutex_lock(..)`)? */
function acquiredUnderArgument(ctx: CheckContext, obj: string): boolean {
  const { fn, walk } = ctx;
  const params = new Set(fn.params.map((p) => p.name));
  const preds = new Map<number, number>();
  for (const b of fn.blocks) for (const s of successors(b.term)) preds.set(s, (preds.get(s) ?? 0) + 1);
  // The sides of such a branch: targets entered only from it (not the join after a one-armed if).
  const sides = fn.blocks.flatMap((b) =>
    b.term.k === 'branch' && mentions(b.term.cond, params) ? [b.term.t, b.term.f].filter((x) => preds.get(x) === 1) : [],
  );
  if (!sides.length) return false;
  const blocks = walk.events.flatMap((e) => (e.k === 'acquire' && e.obj === obj ? [e.block] : []));
  return blocks.length > 0 && blocks.every((b) => sides.some((x) => dominates(walk.cfg, x, b)));
}

interface Handoff {
  why: string;
  strong: boolean; // declared by a rule or learned from a releasing partner, not guessed from the name
  declared: boolean; // rules/ name this function as the one that returns holding the lock
}

/** Why returning with the lock held may be intended: a rule, a releasing partner in the input, the name. */
function explainHandoff(ctx: CheckContext, obj: string, holding: Exit[], _free: Exit[]): Handoff | null {
  const { fn, sem } = ctx;
  const typed = typedObject(fn, obj);
  for (const h of sem.handoffs) {
    if (h.acquire === fn.name || (typed && h.lock === typed)) {
      return { why: `handed off to ${h.release}() (${h.source}${h.why ? `: ${h.why}` : ''})`, strong: true, declared: h.acquire === fn.name };
    }
  }
  // A function of the input that releases a lock of the same type it did not take, or the same
  // lock of its parameters (`&EXT4_SB(sb)->s_lock` in both, where no struct type is known).
  const shape = (f: FunctionIR, o: string): string | null =>
    substitute(
      o,
      f.params.map((p) => p.name),
      f.params.map(() => 'ARG'),
      new Set(),
    );
  const own = shape(fn, obj);
  for (const w of ctx.side) {
    if (w.fn === fn) continue;
    for (const x of w.exits) {
      for (const r of x.state.entryReleased.keys()) {
        if ((typed && typedObject(w.fn, r) === typed) || (own !== null && own !== obj && shape(w.fn, r) === own))
          return { why: `released later by ${w.fn.name}(), which drops '${r}' without taking it`, strong: true, declared: false };
      }
    }
  }
  if (ACQUIRER_NAME.test(fn.name)) return { why: `${fn.name}() is named as a function that returns locked`, strong: false, declared: false };
  void holding;
  return null;
}

type InfoMessage = 'conditional' | 'byArgument' | 'declaredSome' | 'handoff' | 'withObject' | 'byOutParam';

function info(ctx: CheckContext, obj: string, holding: Exit[], h: Handoff | null, msg: MessageOf<typeof lockLeakRule, InfoMessage>): RawFinding {
  return report(lockLeakRule, {
    ...msg,
    confidence: 'medium',
    line: holding[0]!.line,
    function: ctx.fn.name,
    objects: [obj],
    trace: holding[0]!.trace,
    facts: h ? [`handoff: ${h.why}`] : ['conditional lock: the return value tells the caller whether it holds the lock'],
    discriminator: 'handoff',
  });
}

/**
 * A pointer parameter the function sets to a true value on every return that holds the lock, and to
 * false on every return of the same kind that does not (`*mmap_locked = true`): the caller is told
 * whether it holds the lock. Returns the out-parameter, or null.
 */
function outParamTells(fn: FunctionIR, holding: Exit[], free: Exit[]): string | null {
  const held = new Set(holding.map((x) => x.cls));
  const same = free.filter((x) => held.has(x.cls));
  if (!same.length) return null;
  for (const p of fn.params) {
    if (!p.type.includes('*')) continue;
    const slot = `*${p.name}`;
    const truth = (x: Exit): boolean | undefined => {
      const f = x.state.facts.get(slot);
      return f ? truthOf(f) : undefined;
    };
    if (holding.every((x) => truth(x) === true) && same.every((x) => truth(x) === false)) return slot;
  }
  return null;
}

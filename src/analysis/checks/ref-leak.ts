// ref-leak: a reference taken here (get, hold, a lookup that returns a reference, kmap_local_page)
// is not dropped on some return path where it does not escape (returned, stored, queued).

import type { Check, CheckContext, RawFinding } from '../check.js';
import { defineRule, report } from '../rule.js';
import { besides, contextFacts, exitLines } from '../check.js';
import type { Exit } from '../engine.js';
import type { Op } from '../../c/ir.js';
import { MAPPING_PAIRS, wasHanded, type HeldRef } from '../domains/ref-state.js';
import { claimedByFlag, exitClass, keptOnSuccess, keptOutsideErrors, skippedGuardedPut } from './kept-on-success.js';
import { countedInLoops, manyInstances, ownedByFunction, rootOf, structOf } from '../objects.js';

/** Mappings that must be undone in the function that made them. */
const LOCAL_ONLY = MAPPING_PAIRS;

export const refLeakRule = defineRule({
  id: 'ref-leak',
  severity: 'warning',
  kind: 'path',
  summary: 'a reference taken in the function is not dropped on some path where it does not escape',
  description:
    'Counts the references a function takes (kref_get(), refcount_inc(), get_device(), kmap_local_page(), the pairs declared in rules/) and reports a return where one is still held although the function drops it on other returns and it does not escape (stored, returned, handed to a consumer): usually an error path that forgets the put. A pair guessed only from function names lowers confidence.',
  help: {
    bad: `dev = get_device(parent);
if (!dev->driver)
\treturn -ENODEV;\t/* the reference is leaked */
ret = do_probe(dev);
put_device(dev);`,
    good: `dev = get_device(parent);
if (!dev->driver) {
\tput_device(dev);
\treturn -ENODEV;
}
ret = do_probe(dev);
put_device(dev);`,
  },
  cwe: [911, 772],
  tags: ['reference-counting'],
  messages: {
    notReleased: "'{{obj}}' from {{pair}} at {{line}} is not released on return at {{where}}",
  },
});

export const refLeak: Check = {
  meta: refLeakRule,
  run(ctx: CheckContext): RawFinding[] {
    const { fn, walk } = ctx;
    const out: RawFinding[] = [];
    const refs = new Map<string, HeldRef>();
    for (const x of walk.exits) for (const r of x.state.refs.values()) if (!refs.has(r.obj)) refs.set(r.obj, r);
    // References taken only after winning a test_and_set_bit(): the bit's owner's to drop.
    const claimed = claimedByFlag(fn, walk.cfg);
    const claimedLines = new Set(fn.blocks.filter((b) => claimed.has(b.id)).flatMap((b) => b.ops.map((op) => op.line)));
    for (const [obj, sample] of refs) {
      if (claimedLines.has(sample.line)) continue;
      // An array element's reference in a loop (`get_page(v->pages[i])`) stands for several: held
      // on some returns and not on others says nothing about any one of them.
      if (manyInstances(fn, obj) || countedInLoops(fn, obj)) continue;
      // A fresh object's first reference is its creator's to hand on, not a get to balance here.
      if (
        walk.exits.every((x) => {
          const r = x.state.refs.get(obj);
          return !r || (r.init && r.count === 1);
        })
      )
        continue;
      const leaking: Exit[] = [];
      const clean: Exit[] = [];
      for (const x of walk.exits) {
        const r = x.state.refs.get(obj);
        if (!r) clean.push(x);
        // A count the walk lost track of (a get per loop pass) does not prove a leak.
        else if (!r.gapSince && !r.saturated) leaking.push(x);
      }
      if (!leaking.length) continue;
      const local = LOCAL_ONLY.has(sample.pair);
      // Kept when it returns 0 (the new object, or `true` for a bool taking a reference on an
      // object it was given: `sk_filter_charge(sk, fp)`), dropped when it fails: the success
      // handed it on (registered it).
      const given = fn.params.some((p) => p.name === rootOf(obj));
      if (!local && keptOnSuccess(fn, leaking, clean, given)) continue;
      const cls = (x: Exit): Exit['cls'] => exitClass(fn, x);
      const keptOn = new Set(leaking.map(cls));
      // Get or create: the successful returns that made a new object handed it on with its first
      // reference (put it on a list, stored it); one that found an existing object and took a
      // reference on it leaves that reference where it found the object, as the contract says.
      const sameClass = clean.filter((x) => keptOn.has(cls(x) as Exit['cls']));
      if (!local && sameClass.length && sameClass.every((x) => wasHanded(x.state, obj)) && leaking.every((x) => !x.state.refs.get(obj)?.init)) continue;
      // A reference on an object that outlives the call (the caller's, a field's, a global's) taken
      // on some paths and on the others never taken is a conditional get: whatever decided to take
      // it records that (a field set, an object stored). It leaks only where the function itself
      // shows how it disposes of it: another path that took it drops it or hands it on.
      // Returning a failure while holding it is such evidence too: callers of a failed call
      // assume nothing was taken.
      const ptrOrBool = fn.returnType.includes('*') || /\bbool\b/.test(fn.returnType);
      const failure = (c: string): boolean => c === 'neg' || c === 'errptr' || (c === 'zero' && ptrOrBool);
      if (
        !local &&
        !ownedByFunction(fn, obj) &&
        !clean.some((x) => x.state.dropped.has(obj) || wasHanded(x.state, obj)) &&
        !leaking.some((x) => failure(cls(x)))
      )
        continue;
      // A void function (a driver's enable callback) that drops it only inside its error branches and
      // keeps it on every other return: the success is what the reference is for (its disable drops it).
      if (!local && keptOutsideErrors(fn, leaking, clean)) continue;
      // Held on every return: a reference handed to the caller unless the pair cannot outlive the function.
      if (!clean.length && !local) continue;
      // Pairs guessed from names need the function itself to use the put on other paths.
      if (sample.source === 'name' && !clean.length) continue;
      const x = leaking[0]!;
      const refoundBy = refoundByCallee(ctx, obj, sample, leaking);
      const mayPutBy = handedToMayPut(ctx, obj, sample, leaking);
      const { confidence, facts } = contextFacts(
        fn,
        x.trace.some((t) => t.note.includes('gap')),
      );
      out.push(
        report(refLeakRule, {
          messageId: 'notReleased',
          data: {
            obj,
            pair: sample.pair,
            line: sample.line,
            where: clean.length ? besides(exitLines(leaking, clean), `not held on return at ${exitLines(clean, leaking)}`) : exitLines(leaking, clean),
          },
          confidence: sample.source === 'name' && confidence === 'high' ? 'medium' : confidence,
          basis: {
            weak: [
              ...(sample.source === 'name' ? (['name-pair'] as const) : []),
              ...(skippedGuardedPut(fn, obj, ctx.summaries, [x.trace]) ? (['one-function'] as const) : []),
              ...(refoundBy ? (['refound-by-callee'] as const) : []),
              ...(mayPutBy ? (['unknown-callee'] as const) : []),
            ],
          },
          line: x.line,
          function: fn.name,
          objects: [obj],
          trace: x.trace,
          facts: [
            ...facts,
            `pair: ${sample.pair} (${sample.source === 'name' ? 'inferred from the function names' : sample.source === 'rule' ? 'declared in rules/' : 'kernel primitive'})`,
            ...(refoundBy ? [`${refoundBy}() drops a ${sample.pair} reference on a ${structOf(fn, obj)} it finds itself and never took`] : []),
            ...(mayPutBy ? [`${mayPutBy}() is handed '${obj}' and drops a reference on it on some of its paths`] : []),
          ],
        }),
      );
    }
    return out;
  },
};

/**
 * `refcount_inc(&m->ref); up_read(&t->sem); return upgrade(t, idx);` where upgrade() looks the
 * object up again under the lock and drops a reference it never took: the pin was taken for it.
 * Names the callee: a function of the input called after the get, before every leaking return.
 */
function refoundByCallee(ctx: CheckContext, obj: string, ref: HeldRef, leaking: Exit[]): string | null {
  const type = /^[A-Za-z_]\w*$/.test(obj) ? structOf(ctx.fn, obj) : null;
  if (!type) return null;
  for (const op of callsBeforeLeaks(ctx, ref, leaking)) {
    const callee = ctx.side.find((w) => w.fn.name === op.callee);
    const drops = callee?.exits.some((e) =>
      [...e.state.entryPut].some(([o, p]) => p.pair === ref.pair && !callee.fn.params.some((q) => q.name === o) && structOf(callee.fn, o) === type),
    );
    if (drops) return op.callee;
  }
  return null;
}

/** A callee handed the object after the get, before every leaking return, that drops a reference on it on some of its paths. */
function handedToMayPut(ctx: CheckContext, obj: string, ref: HeldRef, leaking: Exit[]): string | null {
  for (const op of callsBeforeLeaks(ctx, ref, leaking)) {
    const sum = ctx.summaries.get(op.callee);
    const mayPut = sum?.refs.mayPut;
    if (mayPut?.length && op.argText.some((a, i) => a === obj && mayPut.includes(sum!.params[i] ?? ''))) return op.callee;
  }
  return null;
}

/** Direct calls after the get and before every leaking return, in the text (a tail call `return upgrade(..)` is). */
function* callsBeforeLeaks(ctx: CheckContext, ref: HeldRef, leaking: Exit[]): Generator<Extract<Op, { kind: 'call' }>> {
  if (ref.line === null) return;
  for (const b of ctx.fn.blocks)
    for (const op of b.ops) {
      if (op.kind !== 'call' || op.indirect || op.line === null || op.line < ref.line) continue;
      if (leaking.every((x) => x.line !== null && x.line >= op.line!)) yield op;
    }
}

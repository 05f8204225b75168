// flag-leak: a flag the function sets and clears on some exits but not on all, or a flag rules/
// declare transient (it must never outlive the function that set it).

import type { Check, CheckContext, RawFinding } from '../check.js';
import { defineRule, report } from '../rule.js';
import { besides, contextFacts, exitLines } from '../check.js';
import { CYCLED, type Exit } from '../engine.js';
import { splitByStatus } from '../returns.js';
import { reassignedInLoop } from '../objects.js';
import { valueOf } from '../values.js';

export const flagLeakRule = defineRule({
  id: 'flag-leak',
  severity: 'warning',
  kind: 'path',
  summary: 'a flag set here is cleared on some exits but not on all (or a transient flag outlives the function)',
  description:
    "Follows the bits a function sets (set_bit(), test_and_set_bit(), flag fields) and reports one that some path sets and clears again, as work done under a busy bit does, but that another return leaves set: the next caller finds the object busy forever. Flags rules/ declare transient must be cleared before every return. A mode switched on one branch and off on another, a bit numbered by a variable and a loop cursor's mark are not leaks.",
  help: {
    bad: `if (test_and_set_bit(DEV_BUSY, &dev->flags))
\treturn -EBUSY;
if (start_io(dev) < 0)
\treturn -EIO;\t/* DEV_BUSY stays set */
clear_bit(DEV_BUSY, &dev->flags);`,
    good: `if (test_and_set_bit(DEV_BUSY, &dev->flags))
\treturn -EBUSY;
ret = start_io(dev);
clear_bit(DEV_BUSY, &dev->flags);
return ret;`,
  },
  cwe: [459],
  tags: ['flags'],
  messages: {
    leftSet: "{{bit}} set in '{{word}}' is left set on return at {{where}}",
  },
});

/**
 * A return that says the call failed: -errno or ERR_PTR; NULL from a pointer, false from a bool;
 * a value the path knows is not 0 from an int (`if (err) return err;`).
 */
function failing(returnType: string, x: Exit): boolean {
  const ptrOrBool = returnType.includes('*') || /\bbool\b/.test(returnType);
  if (x.cls === 'neg' || x.cls === 'errptr' || (x.cls === 'zero' && ptrOrBool)) return true;
  if (ptrOrBool || x.cls !== 'any' || !x.value || !/^(?:(?:static|inline|signed)\s+)*(?:int|long)$/.test(returnType.trim())) return false;
  const f = valueOf(x.value, x.state);
  return f?.t === 'nonzero' || (f?.t === 'ne' && f.c === 'i:0');
}

export const flagLeak: Check = {
  meta: flagLeakRule,
  run(ctx: CheckContext): RawFinding[] {
    const { fn, walk, sem } = ctx;
    const out: RawFinding[] = [];
    const clears = new Set<string>();
    for (const b of fn.blocks)
      for (const op of b.ops) if (op.kind === 'flag' && (op.action === 'clear' || op.action === 'test-clear')) clears.add(`${op.word}:${op.bit}`);
    const keys = new Set<string>();
    for (const x of walk.exits) for (const k of x.state.flags.keys()) if (!k.startsWith(CYCLED)) keys.add(k);
    // Flags some path sets and then clears again: work done under a busy bit.
    const cycled = new Map<string, number[]>();
    const setAt = new Map<string, number[]>();
    for (const e of walk.events) {
      if (e.k !== 'flag-cleared' && e.k !== 'flag-set') continue;
      const m = e.k === 'flag-set' ? setAt : cycled;
      m.set(e.key, [...(m.get(e.key) ?? []), e.line ?? 0]);
    }
    const vars = new Set([...fn.params, ...fn.locals].map((p) => p.name));
    const busyTakes = new Set<string>();
    for (const b of fn.blocks) for (const op of b.ops) if (op.kind === 'flag' && op.action === 'test-set') busyTakes.add(`${op.word}:${op.bit}`);
    for (const key of keys) {
      const [word, bit] = [key.slice(0, key.lastIndexOf(':')), key.slice(key.lastIndexOf(':') + 1)];
      const transient = sem.transientFlags.get(bit);
      if (!clears.has(key) && !transient) continue; // set for good (a state change), not a leak
      if (!transient) {
        // Set on one branch and cleared on another (`if (dio) f |= DIO; else f &= ~DIO;`): a mode
        // the function switches, not a flag it holds while it works.
        if (!cycled.has(key)) continue;
        // A bit numbered by a variable (`set_bit(i, map)`) or in a word a loop cursor points to:
        // another bit or another object on each pass.
        if ((bit.match(/[A-Za-z_]\w*/g) ?? []).some((n) => vars.has(n))) continue;
        // The cursor case clears, early in the loop body, what a previous pass set later on.
        if (reassignedInLoop(fn, word) && Math.max(...cycled.get(key)!) < Math.min(...(setAt.get(key) ?? [0]))) continue;
      }
      // Only exits where this path set the flag count: left set, or set and cleared again. An exit
      // that never set it says nothing about how the function treats it.
      const left: Exit[] = [];
      const cleared: Exit[] = [];
      for (const x of walk.exits) {
        const f = x.state.flags.get(key);
        if (f && !f.gapSince) left.push(x);
        else if (!f && x.state.flags.has(`${CYCLED}${key}`)) cleared.push(x);
      }
      if (!left.length || (!cleared.length && !transient)) continue;
      // A plain set (set_bit(), |=) records state as often as it takes a busy bit: said at info,
      // unless a failing return keeps the bit while returns that did not fail cleared it again (the
      // error path skipped the release). A bit taken with test_and_set_bit() is a busy bit.
      const takenBusy = busyTakes.has(key) || !!transient;
      const failed = left.find((x) => failing(fn.returnType, x));
      const basis = takenBusy
        ? {}
        : {
            weak: ['idiom' as const],
            corroboration:
              failed && cleared.some((x) => !failing(fn.returnType, x))
                ? `the return at ${failed.line ?? '?'} reports a failure and keeps ${bit}, while a return that does not fail clears it`
                : null,
          };
      // Set on success and cleared on failure: handed to whoever finishes the work (a completion).
      if (!transient && splitByStatus(fn.returnType, new Set(left.map((e) => e.cls)), new Set(cleared.map((e) => e.cls)))) continue;
      const x = left[0]!;
      const { confidence, facts } = contextFacts(
        fn,
        x.trace.some((t) => t.note.includes('gap')),
      );
      if (transient) facts.push(`${bit} is transient (${transient})`);
      out.push(
        report(flagLeakRule, {
          messageId: 'leftSet',
          data: {
            bit,
            word,
            where: cleared.length ? besides(exitLines(left, cleared), `not set on return at ${exitLines(cleared, left)}`) : exitLines(left, cleared),
          },
          confidence,
          basis,
          line: (failed ?? x).line,
          function: fn.name,
          objects: [`${word}:${bit}`],
          trace: x.trace,
          facts,
        }),
      );
    }
    return out;
  },
};

// What ref-leak and alloc-leak share: when a function that still holds something at some returns
// is handing it on by contract rather than leaking it. Kept when it returns 0 (or the new object,
// or a bool true for an object it was given), dropped when it fails: the success registered it.
// A void function that drops it only inside its error branches: the rest is what it is for. And
// a put of its own under a test of something else, which the walk cannot tie to the get.

import type { Expr, FunctionIR, Op } from '../../c/ir.js';
import type { SummaryTable } from '../summary.js';
import { rootOf } from '../objects.js';
import type { Exit } from '../engine.js';
import { splitByStatus } from '../returns.js';
import { truthOf, valueOf } from '../values.js';
import { dominates, type CfgInfo } from '../cfg.js';

/** An exit's return class, with a pointer known not to be NULL (`return td;` after `if (!td) return NULL;`) as 'ptr'. */
export function exitClass(fn: FunctionIR, x: Exit): Exit['cls'] {
  const ptr = fn.returnType.includes('*');
  return (ptr && x.cls === 'any' && x.value && truthOf(valueOf(x.value, x.state)) === true ? 'ptr' : x.cls) as Exit['cls'];
}

/**
 * The returns that keep it are the successful ones and those that do not are the failures.
 * `givenBool`: a bool function's `true` keeps a reference on an object its caller gave it.
 */
export function keptOnSuccess(fn: FunctionIR, leaking: Exit[], clean: Exit[], givenBool = false): boolean {
  if (!clean.length) return false;
  const keptOn = new Set(leaking.map((x) => exitClass(fn, x)));
  const cleanOn = new Set(clean.map((x) => exitClass(fn, x)));
  const ptr = fn.returnType.includes('*');
  const bool = /\bbool\b/.test(fn.returnType);
  return (
    keptOn.size === 1 &&
    (ptr ? keptOn.has('ptr') || keptOn.has('any') : bool ? givenBool && keptOn.has('pos') : keptOn.has('zero')) &&
    splitByStatus(fn.returnType, keptOn, cleanOn, false)
  );
}

/** A void function that lets it go only inside its error branches and keeps it on every other return. */
export function keptOutsideErrors(fn: FunctionIR, leaking: Exit[], clean: Exit[]): boolean {
  return fn.returnType.trim().endsWith('void') && clean.length > 0 && clean.every((x) => x.state.err) && leaking.every((x) => !x.state.err);
}

/**
 * The pair of the reference `op` drops on `obj`: a put primitive, or a call of a helper whose
 * summary drops what it is given there (`__sock_put(sk)`). Null when it drops none.
 */
export function putPair(op: Op, obj: string, summaries: SummaryTable): string | null {
  if (op.kind === 'ref') return op.action === 'put' && op.obj === obj ? op.pair : null;
  if (op.kind !== 'call' || op.indirect) return null;
  const sum = summaries.get(op.callee);
  return sum?.refs.puts.find((p) => op.argText[sum.params.indexOf(p.obj)] === obj)?.pair ?? null;
}

/**
 * The lines of the tests under which the function drops the reference in a block of its own,
 * testing something else (`if (args.add_ref) put_net(target);`, `if (nsid >= 0) put_net(net);`):
 * a flag or value it sets along with the get, which the walk cannot tie to it, decides whether the
 * put runs. A path that skipped such a put at its test may be one the code never takes; one that
 * left before reaching it (an error return) is not. `putLines` collects the lines of those puts.
 */
export function putGuardLines(fn: FunctionIR, obj: string, summaries: SummaryTable, putLines?: Set<number>): Set<number> {
  const out = new Set<number>();
  const root = rootOf(obj);
  const isPut = (op: Op): boolean => putPair(op, obj, summaries) !== null;
  const puts = new Set(fn.blocks.filter((b) => b.ops.some(isPut)).map((b) => b.id));
  if (!puts.size || !root) return out;
  const mentions = (e: Expr): boolean => {
    if (e.k === 'var') return e.name === root;
    if (e.k === 'path') return rootOf(e.path) === root;
    if (e.k === 'unknown') return new RegExp(`\\b${root}\\b`).test(e.text);
    return Object.values(e).some((v) => !!v && typeof v === 'object' && 'k' in v && mentions(v as Expr));
  };
  // One side is the put and then rejoins the other, which went around it: not an error branch
  // that drops it and leaves.
  const around = (side: number, other: number): boolean => {
    const b = fn.blocks[side];
    return !!b && puts.has(side) && !puts.has(other) && b.term.k === 'jump' && b.term.to === other;
  };
  for (const b of fn.blocks) {
    const t = b.term;
    if (t.k !== 'branch' || t.line === null || mentions(t.cond)) continue;
    const side = around(t.t, t.f) ? t.t : around(t.f, t.t) ? t.f : null;
    if (side === null) continue;
    out.add(t.line);
    for (const op of fn.blocks[side]!.ops) if (isPut(op) && op.line !== null) putLines?.add(op.line);
  }
  return out;
}

/** Every path in `traces` passed one of the guards (and, reaching the exit without the put, skipped it). */
export function skippedGuardedPut(fn: FunctionIR, obj: string, summaries: SummaryTable, traces: { line: number | null }[][]): boolean {
  const guards = putGuardLines(fn, obj, summaries);
  return guards.size > 0 && traces.every((tr) => tr.some((t) => t.line !== null && guards.has(t.line)));
}

/**
 * Blocks reached only when a test_and_set_bit() found the bit clear: a reference taken there is
 * for whoever clears the bit (`if (!test_and_set_bit(DEFERRED, &f)) sock_hold(sk);` hands one to
 * the deferred handler), not one this function balances.
 */
export function claimedByFlag(fn: FunctionIR, cfg: CfgInfo): Set<number> {
  const out = new Set<number>();
  const claims = new Set<string>();
  for (const b of fn.blocks) for (const op of b.ops) if (op.kind === 'flag' && op.action === 'test-set' && op.result) claims.add(op.result);
  if (!claims.size) return out;
  for (const b of fn.blocks) {
    const t = b.term;
    if (t.k !== 'branch') continue;
    const c = t.cond;
    // The side where the bit was clear: `!r` or `r == 0` true, `r` or `r != 0` false.
    const isClaim = (e: typeof c): boolean => e.k === 'result' && claims.has(e.id);
    const zero = (e: typeof c): boolean => e.k === 'int' && e.value === 0;
    const clear =
      (c.k === 'not' && isClaim(c.e)) || (c.k === 'cmp' && c.op === '==' && isClaim(c.a) && zero(c.b))
        ? t.t
        : isClaim(c) || (c.k === 'cmp' && c.op === '!=' && isClaim(c.a) && zero(c.b))
          ? t.f
          : null;
    if (clear === null) continue;
    for (const x of fn.blocks) if (x.id !== b.id && dominates(cfg, clear, x.id)) out.add(x.id);
  }
  return out;
}

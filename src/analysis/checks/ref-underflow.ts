// ref-underflow: a put with no matching get on the path, or the same reference dropped twice.

import type { Check, CheckContext, RawFinding } from '../check.js';
import { defineRule, report } from '../rule.js';
import { contextFacts } from '../check.js';
import { countedInLoops, lineInLoop, refKey, rootOf } from '../objects.js';
import { isFieldPath } from '../../c/path.js';
import type { FunctionIR, Op } from '../../c/ir.js';
import { claimedByFlag, putGuardLines, putPair } from './kept-on-success.js';
import type { SummaryTable } from '../summary.js';

export const refUnderflowRule = defineRule({
  id: 'ref-underflow',
  severity: 'error',
  kind: 'path',
  summary: 'a put with no matching get on the path, or a double put',
  description:
    "Counts references along every path and reports a reference dropped twice (the second put may free the object under another user), and, as a warning, a put on a path that never took the reference the function takes on other paths. An object taken off a list comes with the list's reference: dropping it is not an underflow.",
  help: {
    bad: `obj = lookup_obj(id);\t/* takes a reference */
if (obj->dead) {
\tobj_put(obj);
\tgoto out;
}
/* ... */
out:
obj_put(obj);\t/* dropped twice on the dead path */`,
    good: `obj = lookup_obj(id);
if (obj->dead)
\tgoto out;
/* ... */
out:
obj_put(obj);`,
  },
  cwe: [911],
  tags: ['reference-counting'],
  messages: {
    double: "'{{obj}}' ({{pair}}) dropped twice: already dropped at {{prev}}",
    unheld: { text: "'{{obj}}' ({{pair}}) dropped on a path where this function did not take it", severity: 'warning' },
  },
});

/**
 * An object reached from a parameter or a global, or through a local assigned once from one
 * (`cw = container_of(work, ...)`): the caller's, with references it may have handed in.
 */
function fromOutside(fn: FunctionIR, obj: string, depth = 0): boolean {
  const root = rootOf(obj);
  if (!root) return false;
  if (fn.params.some((p) => p.name === root) || !fn.locals.some((l) => l.name === root)) return true;
  if (depth > 2) return false;
  const assigns = fn.blocks.flatMap((b) => b.ops.filter((op): op is Extract<Op, { kind: 'assign' }> => op.kind === 'assign' && op.target === root));
  if (assigns.length !== 1) return false;
  const v = assigns[0]!.value;
  if (v.k === 'var') return fromOutside(fn, v.name, depth + 1);
  if (v.k === 'path') return fromOutside(fn, v.path, depth + 1);
  if (v.k !== 'result') return false;
  const op = fn.blocks.flatMap((b) => b.ops).find((o) => (o.kind === 'call' || o.kind === 'list') && o.result === v.id);
  // Taken off a list (`list_first_entry(&dispose, ..)`): the list held it with references of its own.
  if (op?.kind === 'list') return true;
  return op?.kind === 'call' && op.argText.length > 0 && fromOutside(fn, op.argText[0]!, depth + 1);
}

/**
 * A field of an object the function was given or a global (`c->backing`, `st->va`) that the
 * function tests or resets: the structure owns a reference there while it is set
 * (`if (c->backing) { fput(c->backing); c->backing = NULL; }`), so dropping it drops the
 * structure's.
 */
function fieldOwned(fn: FunctionIR, obj: string): boolean {
  if (!isFieldPath(obj) || !fromOutside(fn, obj)) return false;
  return fn.blocks.some((b) => b.ops.some((op) => (op.kind === 'assign' && op.target === obj) || (op.kind === 'access' && op.path === obj && op.inCondition)));
}

/**
 * Two different put helpers on an object the caller handed in (`__put_mle(mle)` for the hash
 * table's reference, then `put_mle_inuse(mle)` for the in-use one): the caller may well have
 * handed both. The same put twice, or a helper's put and then the primitive again, shows the
 * count going below what it was given.
 */
function twoKinds(fn: FunctionIR, a: number | null, b: number | null): boolean {
  if (a === null || b === null || a === b) return false;
  const putter = (line: number): string | null => {
    for (const blk of fn.blocks) {
      for (const op of blk.ops) {
        if (op.line !== line) continue;
        if (op.kind === 'call' && !op.indirect) return op.callee;
      }
    }
    return null;
  };
  const x = putter(a);
  const y = putter(b);
  return !!x && !!y && x !== y;
}

export const refUnderflow: Check = {
  meta: refUnderflowRule,
  run(ctx: CheckContext): RawFinding[] {
    const { fn, walk } = ctx;
    const out: RawFinding[] = [];
    // Where each object's references are taken (the lines tell a name declared twice apart).
    const gets = new Map<string, (number | null)[]>();
    const got = (obj: string, line: number | null): void => void gets.set(obj, [...(gets.get(obj) ?? []), line]);
    // Gets the walk only ever saw taken for a copy stored or queued before them: not this function's.
    const own = new Set(walk.events.flatMap((e) => (e.k === 'ref-taken' && !e.copy ? [e.line] : [])));
    const copies = new Set(walk.events.flatMap((e) => (e.k === 'ref-taken' && e.copy && !own.has(e.line) ? [e.line] : [])));
    const claimed = claimedByFlag(fn, walk.cfg);
    const claimedLines = new Set(fn.blocks.filter((b) => claimed.has(b.id)).flatMap((b) => b.ops.map((op) => op.line)));
    for (const b of fn.blocks) {
      for (const op of b.ops) {
        if (op.kind === 'ref' && op.action === 'get' && !copies.has(op.line) && !claimed.has(b.id)) got(refKey(op.obj, op.member), op.line);
        if (op.kind === 'atomic' && op.family === 'refcount' && (op.action === 'inc' || op.action === 'inc-not-zero')) got(refKey(op.obj, true), op.line);
      }
    }
    // Gets through callees (lookups that return a reference, helpers that take one).
    for (const e of walk.exits) for (const r of e.state.refs.values()) if (!claimedLines.has(r.line)) got(r.obj, r.line);
    for (const e of walk.events) if (e.k === 'ref-taken' && !e.copy && !claimedLines.has(e.line)) got(e.obj, e.line);
    /** The function takes a reference on the variable this put drops (not a namesake in another block). */
    const takes = (obj: string, line: number | null): boolean => (gets.get(obj) ?? []).some((g) => sameDeclaration(fn, obj, g, line));
    // Objects the function takes off a list: the list's reference comes with them, and dropping it
    // is not a put of something never taken (a request unlinked from the pending queue).
    const unlinked = new Set<string>();
    for (const b of fn.blocks) {
      for (const op of b.ops) {
        if (op.kind !== 'list' || !op.node) continue;
        if (op.action === 'del' || op.action === 'del-init' || op.action === 'move' || op.action === 'move-tail') {
          const r = rootOf(op.node);
          if (r) unlinked.add(r);
        }
      }
    }
    for (const e of walk.events) {
      if (e.k === 'double-put') {
        // Two counters of one object (`mm` users and `mm_count`): each put drops its own.
        if (otherPair(fn, e.obj, e.prevLine, e.pair, ctx.summaries)) continue;
        const { confidence, facts } = contextFacts(fn, e.viaGap);
        out.push(
          report(refUnderflowRule, {
            messageId: 'double',
            data: { obj: e.obj, pair: e.pair, prev: e.prevLine },
            confidence,
            basis: {
              weak: [
                ...(e.source === 'name' ? ['name-pair' as const] : []),
                // The first put dropped a caller's reference (or the function takes none at all).
                ...((e.handed || !takes(e.obj, e.line)) &&
                fromOutside(fn, e.obj) &&
                (lineInLoop(fn, e.line) ||
                  lineInLoop(fn, e.prevLine) ||
                  twoKinds(fn, e.line, e.prevLine) ||
                  eachUnderItsTest(fn, e.obj, e.line, e.prevLine, ctx.summaries))
                  ? ['handed-in' as const]
                  : []),
              ],
            },
            line: e.line,
            function: fn.name,
            objects: [e.obj],
            trace: e.trace,
            facts,
            discriminator: 'double',
          }),
        );
      } else if (
        e.k === 'put-unheld' &&
        takes(e.obj, e.line) &&
        !unlinked.has(e.obj) &&
        !countedInLoops(fn, e.obj) &&
        !filledByCallee(fn, e.obj, ctx.summaries)
      ) {
        out.push(
          report(refUnderflowRule, {
            messageId: 'unheld',
            data: { obj: e.obj, pair: e.pair },
            confidence: 'medium',
            basis: {
              weak: [
                ...(e.source === 'name' ? ['name-pair' as const] : []),
                ...(fieldOwned(fn, e.obj) ? ['handed-in' as const] : []),
                ...(putGuardLines(fn, e.obj, ctx.summaries).size ? ['one-function' as const] : []),
              ],
            },
            line: e.line,
            function: fn.name,
            objects: [e.obj],
            trace: e.trace,
            facts: ['the function takes this reference on other paths; this path reaches the put without it'],
            discriminator: 'unheld',
          }),
        );
      }
    }
    return out;
  },
};

/**
 * A variable a callee filled: given its address (`lookup_name(.., &inode)`), or assigned what a
 * call returned that nothing says the references of (`folio = grab_folio(..)`, a page-cache
 * lookup no rule or body in the input describes). The callee may have handed it a reference,
 * which the put then drops.
 */
function filledByCallee(fn: FunctionIR, obj: string, summaries: SummaryTable): boolean {
  const root = rootOf(obj);
  if (!root || root !== obj) return false;
  const calls = new Set<string>();
  for (const b of fn.blocks) for (const op of b.ops) if (op.kind === 'call' && op.result && !summaries.get(op.callee)?.refs.returns) calls.add(op.result);
  return fn.blocks.some((b) =>
    b.ops.some(
      (op) =>
        (op.kind === 'call' && op.argText.includes(`&${root}`)) ||
        (op.kind === 'assign' && op.target === root && op.value.k === 'result' && calls.has(op.value.id)),
    ),
  );
}

/**
 * Whether two lines of a function see the same declaration of the variable `obj` is rooted at:
 * block-scoped namesakes (`struct file *f` in two blocks) are different variables. Each line is
 * taken to see the nearest declaration before it.
 */
function sameDeclaration(fn: FunctionIR, obj: string, a: number | null, b: number | null): boolean {
  const root = rootOf(obj);
  const decls = fn.locals.filter((l) => l.name === root).map((l) => l.line);
  if (decls.length < 2 || a === null || b === null) return true;
  const nearest = (line: number): number => Math.max(-1, ...decls.filter((d): d is number => d !== null && d <= line));
  return nearest(a) === nearest(b);
}

/**
 * Two puts of a caller's object, each in a block of its own under a test of something else
 * (`if (flags & TSQ_DEFERRED) { ..; __sock_put(sk); }` then the same for another flag): one
 * reference handed in per condition, as deferred work that each took one does.
 */
function eachUnderItsTest(fn: FunctionIR, obj: string, a: number | null, b: number | null, summaries: SummaryTable): boolean {
  if (a === null || b === null || a === b) return false;
  const puts = new Set<number>();
  putGuardLines(fn, obj, summaries, puts);
  return puts.has(a) && puts.has(b);
}

/**
 * The put at `line` drops another pair's count of the object than `pair` (`kthread_unuse_mm(mm)`
 * drops `mm_count`, `mmput(mm)` the users): two counters, not one dropped twice.
 */
function otherPair(fn: FunctionIR, obj: string, line: number | null, pair: string, summaries: SummaryTable): boolean {
  if (line === null) return false;
  for (const b of fn.blocks) {
    for (const op of b.ops) {
      const p = op.line === line ? putPair(op, obj, summaries) : null;
      if (p !== null) return p !== pair;
    }
  }
  return false;
}

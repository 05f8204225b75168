// check-then-act: a decision taken on a value that can change before the code acts on it:
//  - atomic_read()/refcount_read()/kref_read() deciding who is last (only the caller whose
//    *_dec_and_test() reaches zero may act);
//  - test_bit() then set_bit() on the same bit with no lock across both (test_and_set_bit() is the
//    fix), and atomic_read() then atomic_set()/inc() decided by it (atomic_cmpxchg() is);
//  - list_empty() outside the lock that the code then takes to work on that list;
//  - a value tested under a lock, the lock dropped, then the value changed without re-checking.
// A second test under the lock before acting (double-checked) makes each of these fine.

import type { Block, Expr, FunctionIR, Op } from '../../c/ir.js';
import type { Semantics } from '../../semantics/index.js';
import { dominates, successors } from '../cfg.js';
import type { RawFinding } from '../check.js';
import type { Site, WalkResult } from '../engine.js';
import type { RaceCheck, RaceContext } from '../races/context.js';
import { typedObject } from '../objects.js';
import { defineRule, report } from '../rule.js';
import type { Lockset } from '../races/lockset.js';
import { acquireStep, opText, releaseAfter, witness } from '../races/witness.js';
import { inScope } from '../races/guards.js';

type Out = { fn: FunctionIR; finding: RawFinding };
type Test = { op: string; value: number | string };
const NONE: Out[] = [];

export const checkThenActRule = defineRule({
  id: 'check-then-act',
  severity: 'warning',
  kind: 'race',
  summary:
    'a decision on a value that can change before the code acts on it (atomic_read() last-reference tests, test_bit then set_bit, unlocked list_empty, re-use after unlock)',
  description:
    'Finds decisions taken on shared state that another CPU can change before the code acts on them: atomic_read()/refcount_read() == 1 deciding who is last (only the caller whose *_dec_and_test() reaches zero may act), test_bit() then set_bit() with no lock across both, atomic_read() deciding an atomic_set()/inc(), list_empty() checked without the lock that is then taken to work on the list, and a value tested under a lock that is changed after the lock was dropped. A second check under the lock (double-checked) makes each of these correct. Each finding comes with a CPU0/CPU1 witness.',
  help: {
    bad: `if (!test_bit(CONN_CLOSING, &conn->flags)) {
\tset_bit(CONN_CLOSING, &conn->flags);
\tschedule_work(&conn->close_work);\t/* two CPUs can both get here */
}`,
    good: `if (!test_and_set_bit(CONN_CLOSING, &conn->flags))
\tschedule_work(&conn->close_work);`,
  },
  cwe: [367, 362],
  tags: ['concurrency', 'race'],
  messages: {
    lastReference:
      'last-reference decision with {{read}} {{test}}: concurrent callers can all read the same count, so none (or several) act; only the caller whose {{family}}_dec_and_test() reaches zero may act',
    readModify:
      '{{read}} {{test}} at {{line}} decides {{modify}}() at {{modLine}}, with no lock across both: another CPU can change {{obj}} in between; use {{fix}}',
    testThenSet:
      'test_bit({{bit}}) at {{line}} then {{set}}({{setBit}}) at {{setLine}} with no lock across both: two CPUs can both see {{bit}} clear and both go on; use test_and_set_bit()',
    unlockedEmpty:
      "list_empty({{head}}) at {{line}} is checked without '{{lock}}', which is then taken to {{use}}() the list at {{useLine}}: the list can change in between",
    staleDecision:
      "'{{path}}' tested under '{{lock}}' at {{line}} but changed at {{changed}} after '{{lock}}' was dropped: another CPU can change it in between (re-check under the lock)",
  },
});

export const checkThenAct: RaceCheck = {
  meta: checkThenActRule,
  run(ctx: RaceContext): Out[] {
    const out: Out[] = [];
    for (const w of ctx.walks) {
      if (!worthLooking(w.fn)) continue;
      const f = new FnView(w);
      const last = f.atomics.size ? lastReference(ctx, f) : NONE;
      for (const x of last) out.push(x);
      const found: Out[] = [];
      if (f.atomics.size) for (const x of readThenModify(f, new Set(last.map((y) => y.finding.line)), ctx)) found.push(x);
      if (f.flags.size) for (const x of testThenSet(f, ctx)) found.push(x);
      if (f.lists.size) for (const x of unlockedEmpty(ctx, f)) found.push(x);
      for (const x of staleDecision(f, ctx.sem)) found.push(x);
      for (const x of found) if (!onStack(ctx, w, x.finding) && !selfOnly(ctx, w, x.finding)) out.push(x);
    }
    return out;
  },
};

/**
 * A local object (a LIST_HEAD() or struct on the stack, not a pointer) that nobody else can name:
 * its tests and changes cannot interleave with another CPU's.
 */
function onStack(ctx: RaceContext, w: WalkResult, x: RawFinding): boolean {
  const obj = x.objects[0];
  if (!obj) return false;
  const path =
    x.discriminator === 'test-then-set' || (x.discriminator === 'stale-decision' && /:[A-Za-z_]\w*$/.test(obj) && !obj.includes('->', obj.lastIndexOf(':')))
      ? obj.slice(0, obj.lastIndexOf(':'))
      : obj;
  const p = path.replace(/^&/, '');
  if (/^[A-Za-z_]\w*$/.test(p)) {
    // A bare name: a local object, not a pointer that may lead to shared data.
    const l = w.fn.locals.find((x) => x.name === p);
    return !!l && !l.type.includes('*') && !/\bstatic\b/.test(l.type);
  }
  return !!ctx.lockset.keys.data(w.fn, p)?.local;
}

/**
 * These witnesses run the same function on both CPUs. When the function only ever runs in one
 * single-instance entry (a work item, tasklet or timer never overlaps itself) and nothing outside
 * that entry changes the object, the interleaving cannot happen.
 */
function selfOnly(ctx: RaceContext, w: WalkResult, x: RawFinding): boolean {
  const ls = ctx.lockset;
  const thread = ls.soleThread(w);
  if (!thread) return false;
  const key = (fn: FunctionIR, path: string): string => ls.keys.data(fn, path)?.key ?? path;
  const obj = x.objects[0];
  if (!obj) return false;
  let match: (fn: FunctionIR, op: Op) => boolean;
  switch (x.discriminator) {
    case 'test-then-set': {
      const i = obj.lastIndexOf(':');
      const k = key(w.fn, obj.slice(0, i));
      const bit = obj.slice(i + 1);
      match = (fn, op) =>
        op.kind === 'flag' &&
        op.bit === bit &&
        (op.action === 'set' || op.action === 'test-set' || op.action === 'change' || op.action === 'test-change') &&
        key(fn, op.word) === k;
      break;
    }
    case 'read-then-modify': {
      const k = key(w.fn, obj);
      // A single consumer that takes one off a count it saw non-zero stays right while the others
      // only add to it (producer/consumer): their changes keep what it decided true.
      const takes = w.fn.blocks.some((b) =>
        b.ops.some((op) => op.kind === 'atomic' && op.line === x.line && key(w.fn, op.obj) === k && (op.action === 'dec' || op.action === 'sub')),
      );
      match = (fn, op) =>
        op.kind === 'atomic' &&
        op.action !== 'read' &&
        key(fn, op.obj) === k &&
        !(takes && onlyAdds(op)) &&
        // Set up before the object is published, or torn down after: no interleaving.
        !ls.byOp.get(op)?.some((r) => r.phase !== null);
      break;
    }
    case 'unlocked-empty': {
      const k = key(w.fn, obj);
      match = (fn, op) => op.kind === 'list' && TAKES.has(op.action) && (key(fn, op.head ?? '') === k || key(fn, op.node ?? '') === k);
      break;
    }
    case 'stale-decision': {
      const i = obj.lastIndexOf(':');
      const flag = i > 0 && !obj.includes('->', i) ? { k: key(w.fn, obj.slice(0, i)), bit: obj.slice(i + 1) } : null;
      const k = key(w.fn, obj);
      match = (fn, op) =>
        flag
          ? op.kind === 'flag' && op.bit === flag.bit && op.action !== 'test' && key(fn, op.word) === flag.k
          : op.kind === 'access' && op.mode === 'write' && key(fn, op.path) === k;
      break;
    }
    default:
      return false;
  }
  for (const o of ctx.walks) {
    if (ls.soleThread(o) === thread) continue;
    for (const b of o.fn.blocks) for (const op of b.ops) if (match(o.fn, op)) return false;
  }
  return true;
}

/** An atomic op that can only make the counter larger (`atomic_inc()`, `atomic_add(n, ..)` of a non-negative amount). */
function onlyAdds(op: Op): boolean {
  if (op.kind !== 'atomic') return false;
  if (op.action === 'inc' || op.action === 'inc-return') return true;
  if (op.action !== 'add' && op.action !== 'add-return') return false;
  return !/\(\s*-/.test(op.text ?? '');
}

/** Only functions that test something and either read a counter, test a bit or a list, or drop a lock can have a check-then-act. */
function worthLooking(fn: FunctionIR): boolean {
  let decides = false;
  let candidate = false;
  for (const b of fn.blocks) {
    if (b.term.k === 'branch') decides = true;
    for (const op of b.ops) {
      if (
        (op.kind === 'atomic' && op.action === 'read') ||
        (op.kind === 'flag' && op.action === 'test') ||
        (op.kind === 'list' && op.action === 'empty') ||
        op.kind === 'release'
      )
        candidate = true;
    }
    if (decides && candidate) return true;
  }
  return false;
}

/** One function's ops with their blocks and lock-state sites, looked up in O(1). */
class FnView {
  readonly fn: FunctionIR;
  private sites: Map<Op, Site> | null = null;
  private blockOfOp: Map<Op, number> | null = null;
  private readonly assigns: Map<string, Op[]> = NO_OPS; // local variable -> assignments
  /** Flag ops by word:bit, list ops by head, atomic ops by counter (the shared empty map when none). */
  readonly flags: Map<string, Op[]> = NO_OPS;
  readonly lists: Map<string, Op[]> = NO_OPS;
  readonly atomics: Map<string, Op[]> = NO_OPS;
  private deciding: Map<string, { block: Block; test: Test | null }[]> | null = null;

  constructor(readonly w: WalkResult) {
    this.fn = w.fn;
    let assigns: Map<string, Op[]> | null = null;
    let flags: Map<string, Op[]> | null = null;
    let lists: Map<string, Op[]> | null = null;
    let atomics: Map<string, Op[]> | null = null;
    for (const b of w.fn.blocks) {
      for (const op of b.ops) {
        if (op.kind === 'assign' && /^[A-Za-z_]\w*$/.test(op.target)) push((assigns ??= new Map()), op.target, op);
        if (op.kind === 'flag') push((flags ??= new Map()), `${op.word}:${op.bit}`, op);
        if (op.kind === 'list' && op.head) push((lists ??= new Map()), op.head, op);
        if (op.kind === 'list' && op.node && op.node !== op.head) push((lists ??= new Map()), op.node, op);
        if (op.kind === 'atomic') push((atomics ??= new Map()), op.obj, op);
      }
    }
    if (assigns) this.assigns = assigns;
    if (flags) this.flags = flags;
    if (lists) this.lists = lists;
    if (atomics) this.atomics = atomics;
  }

  site(op: Op): Site | undefined {
    if (!this.sites) {
      this.sites = new Map();
      for (const s of this.w.sites) this.sites.set(s.op, s);
    }
    return this.sites.get(op);
  }

  block(op: Op): number {
    if (!this.blockOfOp) {
      this.blockOfOp = new Map();
      for (const b of this.fn.blocks) for (const o of b.ops) this.blockOfOp.set(o, b.id);
    }
    return this.blockOfOp.get(op) ?? -1;
  }

  /** An assertion (BUG_ON(x)): one side of the branch ending block `d` stops the machine. */
  asserts(d: number): boolean {
    return successors(this.fn.blocks[d]!.term).some((s) => this.fn.blocks[s]?.term.k === 'noreturn');
  }

  /** Is block `b` only reached through one side of the branch ending block `d`? */
  decidedBy(d: number, b: number): boolean {
    // An assertion decides nothing that runs.
    if (this.asserts(d)) return false;
    return successors(this.fn.blocks[d]!.term).some((s) => s !== d && dominates(this.w.cfg, s, b));
  }

  /** Does `a` run before `b` on every path to `b`? */
  before(a: Op, b: Op): boolean {
    const ba = this.block(a);
    const bb = this.block(b);
    if (ba === bb) {
      const ops = this.fn.blocks[ba]!.ops;
      return ops.indexOf(a) < ops.indexOf(b);
    }
    return dominates(this.w.cfg, ba, bb);
  }

  /** Branches whose condition depends on a result, directly or through a local it was assigned to. */
  decidingBranches(id: string): { block: Block; test: Test | null }[] {
    this.deciding ??= new Map();
    let d = this.deciding.get(id);
    if (!d) this.deciding.set(id, (d = this.findDeciding(id)));
    return d;
  }

  private findDeciding(id: string): { block: Block; test: Test | null }[] {
    const vars = new Map<string, Test | null>();
    for (const [v, list] of this.assigns) {
      for (const op of list) {
        if (op.kind !== 'assign' || !mentions(op.value, (x) => x.k === 'result' && x.id === id)) continue;
        const t = findExpr(op.value, (x) => counterTest(x, id) !== null);
        vars.set(v, t ? counterTest(t, id) : null);
      }
    }
    const out: { block: Block; test: Test | null }[] = [];
    for (const b of this.fn.blocks) {
      if (b.term.k !== 'branch') continue;
      const c = b.term.cond;
      if (mentions(c, (x) => x.k === 'result' && x.id === id)) {
        const t = findExpr(c, (x) => counterTest(x, id) !== null);
        out.push({ block: b, test: t ? counterTest(t, id) : null });
        continue;
      }
      for (const [v, t] of vars) if (mentions(c, (x) => x.k === 'var' && x.name === v)) out.push({ block: b, test: t });
    }
    return out;
  }

  /** Is `op` decided by a branch on `id` (the result of a test op)? */
  decidedByResult(id: string, op: Op): boolean {
    const b = this.block(op);
    return this.decidingBranches(id).some((d) => this.decidedBy(d.block.id, b));
  }

  /** Paths and bits each branch decides on, with the read that produced them (directly or through a local). */
  tested(b: Block): { path: string; read: Op }[] {
    if (b.term.k !== 'branch') return [];
    const cond = b.term.cond;
    const out: { path: string; read: Op }[] = [];
    // `if (d->raw->thread)` tests the thread; `d->raw` is only the way to it.
    const reads = b.ops.filter((op): op is Extract<Op, { kind: 'access' }> => op.kind === 'access' && op.mode === 'read' && !!op.inCondition);
    const onlyOnTheWay = (p: string): boolean =>
      reads.some((r) => r.path.startsWith(`${p}->`)) && !mentions(cond, (x) => (x.k === 'path' && x.path === p) || (x.k === 'var' && x.name === p));
    for (const op of b.ops) {
      if (op.kind === 'access' && op.mode === 'read' && op.inCondition && !onlyOnTheWay(op.path)) out.push({ path: op.path, read: op });
      if (op.kind === 'flag' && op.action === 'test' && op.result && mentions(cond, (x) => x.k === 'result' && x.id === op.result))
        out.push({ path: `${op.word}:${op.bit}`, read: op });
    }
    const vars = new Set<string>();
    mentions(cond, (x) => {
      if (x.k === 'var') vars.add(x.name);
      return false;
    });
    for (const v of vars) {
      for (const a of this.assigns.get(v) ?? []) {
        if (a.kind !== 'assign') continue;
        const ab = this.fn.blocks[this.block(a)]!.ops;
        for (const op of ab) {
          if (op.kind === 'access' && op.mode === 'read' && op.line === a.line && mentions(a.value, (x) => x.k === 'path' && x.path === op.path))
            out.push({ path: op.path, read: op });
          if (op.kind === 'flag' && op.action === 'test' && op.result && mentions(a.value, (x) => x.k === 'result' && x.id === op.result))
            out.push({ path: `${op.word}:${op.bit}`, read: op });
        }
      }
    }
    return out;
  }
}

const NO_OPS = new Map<string, Op[]>();

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}

function mentions(e: Expr, pred: (x: Expr) => boolean): boolean {
  if (pred(e)) return true;
  switch (e.k) {
    case 'not':
      return mentions(e.e, pred);
    case 'cmp':
    case 'logic':
      return mentions(e.a, pred) || mentions(e.b, pred);
    case 'cond':
      return mentions(e.c, pred) || mentions(e.t, pred) || mentions(e.f, pred);
    case 'arith':
      return mentions(e.a, pred) || (!!e.b && mentions(e.b, pred));
    case 'is_err':
      return mentions(e.e, pred);
    default:
      return false;
  }
}

function findExpr(e: Expr, pred: (x: Expr) => boolean): Expr | null {
  if (pred(e)) return e;
  switch (e.k) {
    case 'not':
      return findExpr(e.e, pred);
    case 'cmp':
    case 'logic':
      return findExpr(e.a, pred) ?? findExpr(e.b, pred);
    case 'cond':
      return findExpr(e.c, pred) ?? findExpr(e.t, pred) ?? findExpr(e.f, pred);
    default:
      return null;
  }
}

/** The comparison of a counter read against a constant, if the expression is one. */
function counterTest(e: Expr, id: string): Test | null {
  const isR = (x: Expr): boolean => x.k === 'result' && x.id === id;
  const val = (x: Expr): number | string | null => (x.k === 'int' ? x.value : x.k === 'const' ? x.name : null);
  if (e.k === 'not' && isR(e.e)) return { op: '==', value: 0 };
  if (e.k !== 'cmp') return null;
  if (isR(e.a) && val(e.b) !== null) return { op: e.op, value: val(e.b)! };
  if (isR(e.b) && val(e.a) !== null) return { op: flip(e.op), value: val(e.a)! };
  return null;
}

function flip(op: string): string {
  return op === '<' ? '>' : op === '>' ? '<' : op === '<=' ? '>=' : op === '>=' ? '<=' : op;
}

/** `count == 1` / `count <= 1` / `count < 2` / `count > 1` asks "am I the last one"; refcount reads deciding on zero too. */
function isLastTest(t: Test | null, refcount: boolean): boolean {
  if (!t || typeof t.value !== 'number') return false;
  if ((t.op === '==' || t.op === '!=') && t.value === 1) return true;
  if ((t.op === '<=' || t.op === '>') && t.value === 1) return true;
  if ((t.op === '<' || t.op === '>=') && t.value === 2) return true;
  return refcount && t.value === 0 && (t.op === '==' || t.op === '!=');
}

const DIAGNOSTIC = /\b(WARN|BUG)(_ON)?(_ONCE)?\s*\(|\bwait_event\w*\s*\(|\bwait_var_event\w*\s*\(/;
const MODIFY = new Set(['set', 'inc', 'dec', 'add', 'sub']);

/** Every change of the counter in the input happens under a lock that is also held at this read. */
function serialisedByLock(ls: Lockset, op: Op): boolean {
  const rec = ls.byOp.get(op)?.[0];
  if (!rec?.held.length) return false;
  const mods = (ls.byKey.get(rec.data.key) ?? []).filter((r) => r.kind === 'atomic' && r.mode === 'write' && r.side === rec.side);
  if (!mods.length) return false;
  return rec.held.some((h) => mods.every((m) => m.held.some((x) => x.key === h.key)));
}

function lastReference(ctx: RaceContext, f: FnView): Out[] {
  const out: Out[] = [];
  const fn = f.fn;
  for (const b of fn.blocks)
    for (const op of b.ops) {
      if (op.kind !== 'atomic' || op.action !== 'read' || !op.result) continue;
      if (op.text && DIAGNOSTIC.test(op.text)) continue;
      const refcount = op.family === 'refcount' || op.family === 'kref';
      // A count checked by an assertion (BUG_ON(atomic_read(..) != 1)) decides nothing that runs.
      const dec = f.decidingBranches(op.result).find((d) => isLastTest(d.test, refcount) && !f.asserts(d.block.id));
      if (!dec) continue;
      if (serialisedByLock(ctx.lockset, op)) continue;
      const t = dec.test!;
      const n = t.value as number;
      const body = firstOpLine(fn, dec.block);
      const family = op.family === 'atomic' ? 'atomic' : op.family;
      const drop = decrementOf(ctx, f, op);
      const dropText = (left: number): string => (drop ? `${drop.text}  /* ${op.obj}: ${left} */` : `drop its reference (${op.obj} -> ${left})`);
      const seen = n + (t.op === '<' || t.op === '>=' ? 0 : 1);
      out.push({
        fn,
        finding: report(checkThenActRule, {
          confidence: 'high',
          // Reading the count is an idiom (the sole owner takes a fast path); it decides nothing wrong
          // unless the count is dropped apart from the read by a decrement that does not test it.
          basis: { weak: ['idiom'], corroboration: lastCorroboration(ctx, fn.name, op, drop) },
          messageId: 'lastReference',
          data: { read: `${op.primitive}(&${op.obj})`, test: `${t.op} ${t.value}`, family },
          line: op.line,
          function: fn.name,
          objects: [op.obj],
          trace: [
            { line: op.line, text: op.text ?? op.primitive, note: `reads ${op.obj} without changing it` },
            { line: dec.block.term.line, text: '', note: 'decides on the value read' },
            ...(drop
              ? [
                  {
                    line: drop.line,
                    text: drop.text,
                    note: `the reference is dropped separately${drop.fn !== fn.name ? ` in ${drop.fn}()` : ''}`,
                    function: drop.fn !== fn.name ? drop.fn : undefined,
                  },
                ]
              : []),
          ],
          facts: [
            `${op.obj} is a counter other threads change; a plain read tells nothing about who drops the last reference`,
            ...(drop
              ? [`it is decremented at line ${drop.line ?? '?'}${drop.fn !== fn.name ? ` in ${drop.fn}()` : ''}, apart from the read`]
              : [`no decrement of ${op.obj} in the input: it is dropped elsewhere`]),
          ],
          discriminator: 'last-reference',
          witness: witness(
            [fn.name, fn.name],
            [
              { cpu: 0, fn: fn.name, line: op.line, text: op.text ?? op.primitive, note: `reads ${op.obj} = ${seen}: not the last` },
              { cpu: 1, fn: fn.name, line: op.line, text: op.text ?? op.primitive, note: `reads ${op.obj} = ${seen}: not the last either` },
              { cpu: 0, fn: drop?.fn ?? fn.name, line: drop?.line ?? null, text: dropText(seen - 1), note: 'drops its reference after deciding' },
              { cpu: 1, fn: drop?.fn ?? fn.name, line: drop?.line ?? null, text: dropText(seen - 2), note: 'drops its reference after deciding' },
            ],
            `both CPUs decided they were not last: the last-reference work${body !== null ? ` at line ${body}` : ''} never runs (with other timings both read ${seen - 1} and both run it)`,
          ),
        }),
      });
    }
  return out;
}

/** The decrement of the counter that was read: in the same function, else anywhere on this side. */
/** Where the input takes this bit like a lock (test_and_set_bit(), or gives it back with clear_bit_unlock()). */
function claimedElsewhere(ctx: RaceContext, fn: FunctionIR, word: string, bit: string): string | null {
  const key = ctx.lockset.keys.data(fn, word)?.key ?? word;
  for (const w of ctx.walks) {
    for (const b of w.fn.blocks) {
      for (const op of b.ops) {
        if (op.kind !== 'flag' || op.bit !== bit) continue;
        if ((ctx.lockset.keys.data(w.fn, op.word)?.key ?? op.word) !== key) continue;
        if (op.action === 'test-set' || (op.action === 'clear' && op.ordering === 'release'))
          return `${w.fn.name}() takes ${bit} like a lock (${op.primitive}() at line ${op.line ?? '?'})`;
        // Set elsewhere with a lock held: the input itself treats the bit as that lock's.
        const site = w.sites.find((x) => x.op === op);
        if (op.action === 'set' && w.fn !== fn && site?.held.size) return `${w.fn.name}() sets ${bit} holding a lock (line ${op.line ?? '?'})`;
      }
    }
  }
  return null;
}

/** What makes a last-reference read a race rather than the sole owner's fast path. */
function lastCorroboration(ctx: RaceContext, fn: string, read: Op, drop: { fn: string; line: number | null; tests: boolean } | null): string | null {
  // The deciding function drops the count itself without testing it: two of them can both decide
  // they are not last. A drop elsewhere (a driver, a completion) is how any owner's count falls,
  // and an owner waiting for it to reach 1 ("am I the only holder") decides nothing wrong.
  if (drop && !drop.tests && drop.fn === fn) return `the count is dropped at line ${drop.line ?? '?'} in ${drop.fn}() by a decrement that does not test it`;
  // A count rules/ declare (by type, or by member where the type is not visible, in the rule file's scope).
  const rec = ctx.lockset.byOp.get(read)?.[0];
  if (!rec) return null;
  for (const f of ctx.sem.files) {
    if (!f.rules.counters.length || !inScope(f.rules.applies, [rec])) continue;
    for (const c of f.rules.counters) {
      const member = c.count.split('.').slice(1).join('.');
      if (c.count === rec.data.key || (!rec.data.typed && member === rec.data.member))
        return `${f.path}: ${c.count} is a count that concurrent completions drop${c.why ? ` (${c.why})` : ''}`;
    }
  }
  return null;
}

function decrementOf(ctx: RaceContext, f: FnView, read: Op): { fn: string; line: number | null; text: string; tests: boolean } | null {
  const rec = ctx.lockset.byOp.get(read)?.[0];
  if (!rec) return null;
  let best: { fn: string; line: number | null; text: string; tests: boolean; score: number } | null = null;
  for (const r of ctx.lockset.byKey.get(rec.data.key) ?? []) {
    if (r.kind !== 'atomic' || r.side !== rec.side || !/^(dec|sub)/.test(r.action ?? '')) continue;
    // A decrement that does not test its result is the one that cannot tell who was last.
    const tests = /test/.test(r.action ?? '');
    const score = (r.fn === f.fn ? 2 : 1) + (tests ? 0 : 4);
    if (!best || score > best.score) best = { fn: r.fn.name, line: r.line, text: opText(r.site.op), tests, score };
  }
  return best;
}

function firstOpLine(fn: FunctionIR, b: Block): number | null {
  if (b.term.k !== 'branch') return null;
  const t = fn.blocks[b.term.t];
  return t?.ops.find((o) => o.line !== null)?.line ?? null;
}

/** The block control reaches from `b` through blocks that do nothing but jump. */
function settle(fn: FunctionIR, b: number): number {
  const seen = new Set<number>();
  let cur = b;
  for (;;) {
    const blk = fn.blocks[cur];
    if (!blk || seen.has(cur) || blk.ops.length || blk.term.k !== 'jump') return cur;
    seen.add(cur);
    cur = blk.term.to;
  }
}

/** Is `set` the last thing its block does before joining the branch its test takes when the bit is set? */
function marksOnly(f: FnView, test: Op, set: Op): boolean {
  if (test.kind !== 'flag' || !test.result) return false;
  const fn = f.fn;
  const sb = fn.blocks[f.block(set)];
  if (!sb || sb.ops[sb.ops.length - 1] !== set || sb.term.k !== 'jump') return false;
  const after = settle(fn, sb.term.to);
  for (const b of fn.blocks) {
    const t = b.term;
    if (t.k !== 'branch') continue;
    const c = t.cond;
    const whenSet = c.k === 'result' && c.id === test.result ? t.t : c.k === 'not' && c.e.k === 'result' && c.e.id === test.result ? t.f : null;
    if (whenSet !== null && settle(fn, whenSet) === after) return true;
  }
  return false;
}

/** A lock held from `a` through `b`, taken here or held by every caller, makes the pair atomic. */
function lockedAcross(f: FnView, a: Op, b: Op, ctx: RaceContext): boolean {
  const sa = f.site(a);
  const sb = f.site(b);
  if (!sa || !sb) return false;
  if ([...sa.held].some((l) => sb.held.has(l) && !sb.released.has(l))) return true;
  return ctx.lockset.entryHeld(f.w).some((l) => !sa.released.has(l) && !sb.released.has(l));
}

/**
 * `if (!atomic_read(&x->scheduled)) { queue_delayed_work(..); atomic_set(&x->scheduled, 1); }`: two
 * CPUs that both pass the test set the same value after making calls that do nothing more the
 * second time (rules `idempotent`): what one of them alone would have done.
 */
function onlyIdempotent(f: FnView, deciders: { block: Block }[], set: Op, sem: Semantics): boolean {
  if (set.kind !== 'atomic' || !/,\s*-?\d+\s*\)\s*;?\s*$/.test(set.text ?? '')) return false;
  const region = f.fn.blocks.filter((b) => deciders.some((d) => f.decidedBy(d.block.id, b.id)) && b.id === f.block(set));
  // The work is the calls; a block that returns what it decided (`set; return true;`) is a claim.
  if (!region.length || region.some((b) => b.term.k !== 'jump' || !b.ops.some((op) => op.kind === 'call'))) return false;
  return region.every((b) =>
    b.ops.every(
      (op) =>
        op === set ||
        op.kind === 'access' ||
        op.kind === 'barrier' ||
        (op.kind === 'call' && !op.indirect && sem.idempotent.has(op.callee)) ||
        (op.kind === 'atomic' && op.action === 'read'),
    ),
  );
}

/** atomic_read() deciding an atomic_set()/inc()/dec() of the same counter: another CPU can change it in between. */
function readThenModify(f: FnView, reported: Set<number | null>, ctx: RaceContext): Out[] {
  const out: Out[] = [];
  const fn = f.fn;
  for (const rd of [...f.atomics.values()].flat()) {
    if (rd.kind !== 'atomic' || rd.action !== 'read' || !rd.result || reported.has(rd.line)) continue;
    if (rd.text && DIAGNOSTIC.test(rd.text)) continue;
    const deciders = f.decidingBranches(rd.result).filter((d) => d.test !== null);
    if (!deciders.length) continue;
    for (const m of f.atomics.get(rd.obj) ?? []) {
      if (m.kind !== 'atomic' || !MODIFY.has(m.action) || !f.before(rd, m)) continue;
      if (!deciders.some((d) => f.decidedBy(d.block.id, f.block(m))) || lockedAcross(f, rd, m, ctx)) continue;
      if (m.action === 'set' && onlyIdempotent(f, deciders, m, ctx.sem)) continue;
      const t = deciders[0]!.test!;
      out.push({
        fn,
        finding: report(checkThenActRule, {
          confidence: 'high',
          messageId: 'readModify',
          data: {
            read: `${rd.primitive}(&${rd.obj})`,
            test: `${t.op} ${t.value}`,
            line: rd.line,
            modify: m.primitive,
            modLine: m.line,
            obj: rd.obj,
            fix: m.action === 'set' ? 'atomic_cmpxchg()/atomic_try_cmpxchg()' : 'atomic_add_unless()/atomic_dec_if_positive()/atomic_try_cmpxchg()',
          },
          line: m.line,
          function: fn.name,
          objects: [rd.obj],
          trace: [
            { line: rd.line, text: rd.text ?? rd.primitive, note: `reads ${rd.obj}` },
            { line: m.line, text: m.text ?? m.primitive, note: `changes ${rd.obj} on what it read` },
          ],
          facts: [],
          discriminator: 'read-then-modify',
          witness: witness(
            [fn.name, fn.name],
            [
              { cpu: 0, fn: fn.name, line: rd.line, text: rd.text ?? rd.primitive, note: `${rd.obj} ${t.op} ${t.value}: goes on` },
              { cpu: 1, fn: fn.name, line: rd.line, text: rd.text ?? rd.primitive, note: `${rd.obj} ${t.op} ${t.value}: goes on too` },
              { cpu: 0, fn: fn.name, line: m.line, text: m.text ?? m.primitive, note: `changes ${rd.obj}` },
              { cpu: 1, fn: fn.name, line: m.line, text: m.text ?? m.primitive, note: `changes ${rd.obj} on a value that no longer holds` },
            ],
            `both CPUs acted on the same reading of ${rd.obj}`,
          ),
        }),
      });
    }
  }
  return out;
}

/** Does a function other than `fn` (on the side checked) change the flag word, with any bit op or a store? */
function changedElsewhere(ctx: RaceContext, fn: FunctionIR, word: string): boolean {
  const ls = ctx.lockset;
  const k = ls.keys.data(fn, word)?.key ?? word;
  for (const o of ctx.walks) {
    if (o.fn === fn) continue;
    for (const b of o.fn.blocks)
      for (const op of b.ops) {
        if (op.kind === 'flag' && op.action !== 'test' && (ls.keys.data(o.fn, op.word)?.key ?? op.word) === k) return true;
        if (op.kind === 'access' && op.mode === 'write' && (ls.keys.data(o.fn, op.path)?.key ?? op.path) === k) return true;
      }
  }
  return false;
}

/** How the code names the address of a list head: `&d->list`, or `head` for a pointer variable. */
function addressOf(fn: FunctionIR, head: string): string {
  if (/^[A-Za-z_]\w*$/.test(head)) {
    const d = fn.params.find((p) => p.name === head) ?? fn.locals.find((l) => l.name === head);
    if (d?.type.includes('*')) return head;
  }
  return `&${head}`;
}

/** Is the object a path is reached through still private (fresh, not yet published) when `op` runs? */
function privateAt(ctx: RaceContext, f: FnView, op: Op, path: string): boolean {
  const b = f.block(op);
  if (b < 0) return false;
  return ctx.lockset.phaseAt(f.w, b, f.fn.blocks[b]!.ops.indexOf(op), path) === 'fresh';
}

function testThenSet(f: FnView, ctx: RaceContext): Out[] {
  const fn = f.fn;
  const out: Out[] = [];
  for (const same of f.flags.values())
    for (const s of same) {
      if (s.kind !== 'flag' || s.action !== 'set') continue;
      // An object nobody else can see yet (allocated here, or passed fresh by every caller).
      if (privateAt(ctx, f, s, s.word)) continue;
      // Tests of the same bit that decide this set.
      const tests: Op[] = [];
      for (const t of same) {
        if (t.kind !== 'flag' || t.action !== 'test' || !t.result) continue;
        if (!f.before(t, s) || !f.decidedByResult(t.result, s)) continue;
        tests.push(t);
      }
      if (!tests.length || tests.some((t) => lockedAcross(f, t, s, ctx))) continue;
      // Setting the bit only to go where its being set already leads (`if (test_bit(X)) goto skip;
      // ... set_bit(X); goto skip;`) marks it; it claims nothing that two CPUs could both win.
      if (tests.some((t) => marksOnly(f, t, s))) continue;
      const t = tests.reduce((a, b) => ((b.line ?? 0) > (a.line ?? 0) ? b : a));
      if (t.kind !== 'flag' || !f.site(t) || !f.site(s)) continue;
      // A plain __set_bit() with no lock says the code takes the word as its own; unless something
      // else in the input changes that word, nothing shows it is shared.
      const privateWord = !s.atomic && !f.site(s)!.held.size && !changedElsewhere(ctx, f.fn, s.word);
      out.push({
        fn,
        finding: report(checkThenActRule, {
          ...(privateWord ? { severity: 'info' as const } : {}),
          confidence: f.site(t)!.viaGap || f.site(s)!.viaGap ? 'medium' : 'high',
          messageId: 'testThenSet',
          data: { bit: t.bit, line: t.line, set: s.primitive, setBit: s.bit, setLine: s.line },
          // Testing and setting a state bit is how code under an outer exclusion (a handling bit, a
          // state machine) works; it races when the bit is claimed as a lock elsewhere.
          basis: { weak: ['idiom'], corroboration: claimedElsewhere(ctx, f.fn, s.word, s.bit) },
          line: s.line,
          function: fn.name,
          objects: [`${t.word}:${t.bit}`],
          trace: [
            { line: t.line, text: t.text ?? 'test_bit', note: `tests ${t.bit}` },
            { line: s.line, text: s.text ?? s.primitive, note: `sets ${t.bit}` },
          ],
          facts: privateWord
            ? [`${s.primitive}() is not atomic and no lock is held: the code treats '${s.word}' as private, and nothing else in the input changes it`]
            : [],
          discriminator: 'test-then-set',
          witness: witness(
            [fn.name, fn.name],
            [
              { cpu: 0, fn: fn.name, line: t.line, text: t.text ?? 'test_bit', note: `${t.bit} is clear` },
              { cpu: 1, fn: fn.name, line: t.line, text: t.text ?? 'test_bit', note: `${t.bit} is clear` },
              { cpu: 0, fn: fn.name, line: s.line, text: s.text ?? s.primitive, note: `sets ${t.bit}` },
              { cpu: 1, fn: fn.name, line: s.line, text: s.text ?? s.primitive, note: `sets ${t.bit} too` },
            ],
            `both CPUs believe they own ${t.bit}`,
          ),
        }),
      });
    }
  return out;
}

const TAKES = new Set(['pop', 'first', 'del', 'del-init', 'move', 'move-tail', 'splice', 'splice-init', 'splice-tail', 'splice-tail-init', 'del-all']);

/** Does another function take nodes of this member (`waiter.entry`) off their list? */
function removedElsewhere(ctx: RaceContext, fn: FunctionIR, del: Op): boolean {
  const node = del.kind === 'list' ? del.node : null;
  const typed = node ? typedObject(fn, node) : null;
  if (!typed) return true;
  return ctx.walks.some(
    (w) =>
      w.fn !== fn &&
      w.fn.blocks.some((b) => b.ops.some((op) => op.kind === 'list' && TAKES.has(op.action) && !!op.node && typedObject(w.fn, op.node) === typed)),
  );
}

/** List ops that move a whole list: on an empty one they do nothing. */
const SPLICES_ALL = new Set(['splice', 'splice-init', 'splice-tail', 'splice-tail-init']);

function unlockedEmpty(ctx: RaceContext, f: FnView): Out[] {
  const fn = f.fn;
  const out: Out[] = [];
  for (const same of f.lists.values())
    for (const e of same) {
      if (e.kind !== 'list' || e.action !== 'empty' || e.family === 'llist' || !e.result || !e.head) continue;
      const se = f.site(e);
      if (!se) continue;
      for (const u of same) {
        if (u.kind !== 'list' || !TAKES.has(u.action) || (u.head !== e.head && u.node !== e.head)) continue;
        // `if (!list_empty(&x->node)) { lock; list_del_init(&x->node); }`: the test is on the object's
        // own link, a membership test: others' inserts and removals next to it never make it look
        // empty, and list_del_init() of an entry someone already took off is a no-op. A plain
        // list_del() is fine too when no other function takes such a node off.
        if (u.node === e.head && (u.action === 'del-init' || (u.action === 'del' && !removedElsewhere(ctx, f.fn, u)))) continue;
        // `if (!list_empty(&c->done)) { lock; list_splice_init(&c->done, &tmp); }`: moving all of a
        // list that became empty meanwhile moves nothing; the unlocked test only saves the lock.
        if (u.head === e.head && SPLICES_ALL.has(u.action)) continue;
        const su = f.site(u);
        if (!su || !f.before(e, u) || !f.decidedByResult(e.result, u)) continue;
        const lock = [...su.held].find((l) => !se.held.has(l));
        if (!lock) continue;
        // Double-checked: the emptiness is tested again under the lock before acting.
        const recheck = same.some(
          (x) =>
            x !== e &&
            x.kind === 'list' &&
            x.action === 'empty' &&
            x.head === e.head &&
            !!x.result &&
            f.site(x)?.held.has(lock) &&
            f.before(x, u) &&
            f.decidedByResult(x.result, u),
        );
        if (recheck) continue;
        out.push({
          fn,
          finding: report(checkThenActRule, {
            confidence: se.viaGap ? 'medium' : 'high',
            messageId: 'unlockedEmpty',
            data: { head: addressOf(fn, e.head), line: e.line, lock, use: u.primitive, useLine: u.line },
            line: e.line,
            function: fn.name,
            objects: [e.head, lock],
            trace: [
              { line: e.line, text: e.text ?? 'list_empty', note: 'tests the list unlocked' },
              { line: u.line, text: u.text ?? u.primitive, note: `works on the list under '${lock}'` },
            ],
            facts: [],
            discriminator: 'unlocked-empty',
            witness: witness(
              [fn.name, fn.name],
              [
                { cpu: 0, fn: fn.name, line: e.line, text: e.text ?? 'list_empty', note: 'sees one entry' },
                { cpu: 1, fn: fn.name, line: e.line, text: e.text ?? 'list_empty', note: 'sees the same entry' },
                acquireStep(1, fn, lock, u.line),
                { cpu: 1, fn: fn.name, line: u.line, text: u.text ?? u.primitive, note: `takes it under '${lock}'` },
                ((rel) => ({ cpu: 1 as const, fn: fn.name, line: rel?.line ?? null, text: rel?.text ?? `unlock(${lock})`, note: `releases '${lock}'` }))(
                  releaseAfter(fn, (o) => o === lock, u.line),
                ),
                acquireStep(0, fn, lock, u.line),
                { cpu: 0, fn: fn.name, line: u.line, text: u.text ?? u.primitive, note: `finds the list empty under '${lock}'` },
              ],
              `CPU0 works on a list that became empty after it checked${u.action === 'first' ? ' (list_first_entry() on an empty list returns the head itself)' : ''}`,
            ),
          }),
        });
        break;
      }
    }
  return out;
}

/**
 * A value tested under a lock, the lock dropped, then the value changed on that decision.
 * Read-side sections and per-CPU contexts (rules `globalContexts`) do not count: holding them keeps
 * no other CPU from changing what was tested, so dropping them makes no decision stale that was
 * not stale already.
 */
function staleDecision(f: FnView, sem: Semantics): Out[] {
  const fn = f.fn;
  const out: Out[] = [];
  // A stale decision changes something with a lock released and not held again: without such a change, nothing to find.
  let dropping = false;
  for (const s of f.w.sites) {
    const o = s.op;
    if (!(o.kind === 'access' ? o.mode === 'write' : o.kind === 'flag' && (o.action === 'set' || o.action === 'clear'))) continue;
    for (const l of s.released) if (!s.held.has(l)) dropping = true;
    if (dropping) break;
  }
  if (!dropping || !fn.blocks.some((b) => b.ops.some((o) => o.kind === 'release'))) return out;
  const seen = new Set<string>();
  // Writes of each path (and sets/clears of each bit).
  const writes = new Map<string, Op[]>();
  for (const b of fn.blocks)
    for (const a of b.ops) {
      const target =
        a.kind === 'access' && a.mode === 'write' ? a.path : a.kind === 'flag' && (a.action === 'set' || a.action === 'clear') ? `${a.word}:${a.bit}` : null;
      if (!target) continue;
      const l = writes.get(target) ?? [];
      l.push(a);
      writes.set(target, l);
    }
  if (!writes.size) return out;
  const branches = fn.blocks.filter((b) => b.term.k === 'branch');
  const testsOf = new Map<Block, { path: string; read: Op }[]>(branches.map((b) => [b, f.tested(b)]));
  for (const b of branches) {
    for (const { path, read } of testsOf.get(b)!) {
      const sr = f.site(read);
      if (!sr?.held.size) continue;
      for (const a of writes.get(path) ?? []) {
        if (!f.decidedBy(b.id, f.block(a)) || !f.before(read, a)) continue;
        const sa = f.site(a);
        if (!sa) continue;
        const dropped = [...sr.held].find((l) => !sem.globalContexts.has(l) && sa.released.has(l) && !sa.held.has(l));
        if (!dropped || seen.has(`${path}:${a.line}`)) continue;
        // Re-checked under a lock before the change: fine.
        const recheck = branches.some(
          (b2) =>
            b2 !== b &&
            f.decidedBy(b2.id, f.block(a)) &&
            testsOf.get(b2)!.some((t) => t.path === path && [...(f.site(t.read)?.held ?? [])].some((l) => sa.held.has(l))),
        );
        if (recheck) continue;
        seen.add(`${path}:${a.line}`);
        const unlockLine = releaseLineOf(fn, dropped, read.line, a.line);
        out.push({
          fn,
          finding: report(checkThenActRule, {
            confidence: sa.viaGap ? 'medium' : 'high',
            messageId: 'staleDecision',
            data: { path, lock: dropped, line: read.line, changed: a.line },
            line: a.line,
            function: fn.name,
            objects: [path, dropped],
            trace: [
              { line: read.line, text: read.text ?? path, note: `tests '${path}' under '${dropped}'` },
              ...(unlockLine ? [{ line: unlockLine.line, text: unlockLine.text, note: `releases '${dropped}'` }] : []),
              { line: a.line, text: a.text ?? path, note: `changes '${path}' without '${dropped}'` },
            ],
            facts: [],
            discriminator: 'stale-decision',
            witness: witness(
              [fn.name, fn.name],
              [
                acquireStep(0, fn, dropped, read.line),
                { cpu: 0, fn: fn.name, line: read.line, text: read.text ?? path, note: `decides on '${path}' under '${dropped}'` },
                { cpu: 0, fn: fn.name, line: unlockLine?.line ?? null, text: unlockLine?.text ?? `unlock(${dropped})`, note: 'drops the lock' },
                acquireStep(1, fn, dropped, read.line),
                { cpu: 1, fn: fn.name, line: read.line, text: read.text ?? path, note: 'decides the same way' },
                { cpu: 1, fn: fn.name, line: unlockLine?.line ?? null, text: unlockLine?.text ?? `unlock(${dropped})`, note: 'drops the lock' },
                { cpu: 1, fn: fn.name, line: a.line, text: a.text ?? path, note: `changes '${path}'` },
                { cpu: 0, fn: fn.name, line: a.line, text: a.text ?? path, note: `changes '${path}' on a decision that no longer holds` },
              ],
              `both CPUs acted on one decision about '${path}' taken under '${dropped}': the second change is made on a state the first one already changed`,
            ),
          }),
        });
      }
    }
  }
  return out;
}

/** The release of `lock` between two lines (the one that made the decision stale). */
function releaseLineOf(fn: FunctionIR, lock: string, from: number | null, to: number | null): { line: number | null; text: string } | null {
  let best: { line: number | null; text: string } | null = null;
  for (const b of fn.blocks)
    for (const op of b.ops) {
      if (op.kind !== 'release' || op.obj !== lock || op.line === null) continue;
      if (from !== null && op.line < from) continue;
      if (to !== null && op.line > to) continue;
      if (!best || op.line > (best.line ?? 0)) best = { line: op.line, text: op.text ?? op.primitive };
    }
  return best;
}

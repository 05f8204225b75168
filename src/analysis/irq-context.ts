// Which functions of the input run in interrupt context, and which lock classes are taken there.
// A lock that a hard interrupt handler takes must be taken with interrupts off everywhere else
// (and one a softirq takes, with bottom halves off): otherwise the handler can interrupt the
// holder on its own CPU and spin forever (lockdep's "inconsistent lock state").

import type { FunctionIR } from '../c/ir.js';
import type { Semantics } from '../semantics/index.js';
import type { WalkResult } from './engine.js';
import { typedObject } from './objects.js';
import { spins } from './domains/locks.js';

export type ExecContext = 'hardirq' | 'softirq' | 'process';

/**
 * The context a function's own signature says it runs in. Parameter types of callbacks that the
 * kernel runs in softirq context are the rules' `callbackParams.softirq`.
 */
export function signatureContext(fn: FunctionIR, sem: Semantics): ExecContext | null {
  if (/\birqreturn_t\b/.test(fn.returnType)) return 'hardirq';
  if (/\benum\s+hrtimer_restart\b/.test(fn.returnType)) return 'hardirq';
  const softirq = sem.softirqParamPattern;
  if (fn.params.some((p) => softirq.test(p.type))) return 'softirq';
  // NAPI poll: int poll(struct napi_struct *napi, int budget)
  if (fn.params.length === 2 && /\bstruct\s+napi_struct\s*\*/.test(fn.params[0]!.type) && /\bint\b/.test(fn.params[1]!.type)) return 'softirq';
  return null;
}

/**
 * hrtimer callbacks the input sets up with a `_SOFT` mode, which run in softirq context, not in
 * the hard interrupt: `hrtimer_setup(&t, fn, clock, HRTIMER_MODE_REL_SOFT)`, or
 * `hrtimer_init(&x->t, clock, ..._SOFT)` with `x->t.function = fn` (matched by the timer's field).
 */
function softTimerCallbacks(side: WalkResult[]): Set<string> {
  const out = new Set<string>();
  const softFields = new Set<string>();
  const field = (text: string): string | null => /([A-Za-z_]\w*)\s*$/.exec(text.replace(/^&/, ''))?.[1] ?? null;
  for (const w of side)
    for (const b of w.fn.blocks)
      for (const op of b.ops) {
        if (op.kind !== 'call' || !/^hrtimer_(init|setup)\b/.test(op.callee)) continue;
        if (!op.argText.some((a) => /_SOFT\b/.test(a))) continue;
        if (op.callee.startsWith('hrtimer_setup') && op.argText[1]) out.add(op.argText[1].replace(/^&/, ''));
        const f = op.argText[0] ? field(op.argText[0]) : null;
        if (f) softFields.add(f);
      }
  if (!softFields.size) return out;
  for (const w of side)
    for (const b of w.fn.blocks)
      for (const op of b.ops) {
        if (op.kind !== 'assign' || !/(\.|->)function$/.test(op.target)) continue;
        const f = field(op.target.replace(/(\.|->)function$/, ''));
        const v = op.value.k === 'var' ? op.value.name : op.value.k === 'path' ? op.value.path.replace(/^&/, '') : null;
        if (f && v && softFields.has(f)) out.add(v);
      }
  return out;
}

export interface IrqUse {
  fn: string;
  line: number | null;
  ctx: 'hardirq' | 'softirq';
}

export interface IrqContexts {
  /** Functions known to run in interrupt context (by signature, or called only from such functions). */
  context: Map<string, ExecContext>;
  /** Lock classes (type-qualified, or the plain object when the type is unknown) taken in interrupt context. */
  irqUses: Map<string, IrqUse>;
  /** Per callee: whether every call site in the input has interrupts / bottom halves off. */
  calledWith: Map<string, { sites: number; irqsOff: number; bhOff: number }>;
  /**
   * Functions that say their caller holds a lock (lockdep_assert_held(), lockdep_is_held()) which
   * the input takes with interrupts or bottom halves off: they run with them off too.
   */
  entryOff: Map<string, { irqs: boolean; bh: boolean }>;
}

const cache = new WeakMap<WalkResult[], IrqContexts>();

/** The lock class a lock object belongs to, for matching across functions. */
export function lockClass(fn: FunctionIR, obj: string): string {
  return typedObject(fn, obj) ?? obj;
}

export function irqContexts(side: WalkResult[], sem: Semantics): IrqContexts {
  const hit = cache.get(side);
  if (hit) return hit;
  const context = new Map<string, ExecContext>();
  const callers = new Map<string, Set<string>>();
  const sites: { caller: string; callee: string; irqsOff: boolean; bhOff: boolean }[] = [];
  const soft = softTimerCallbacks(side);
  for (const w of side) {
    const c = soft.has(w.fn.name) ? 'softirq' : signatureContext(w.fn, sem);
    if (c) context.set(w.fn.name, c);
    for (const e of w.events) {
      if (e.k !== 'call-context') continue;
      const set = callers.get(e.callee) ?? new Set<string>();
      set.add(w.fn.name);
      callers.set(e.callee, set);
      sites.push({ caller: w.fn.name, callee: e.callee, irqsOff: e.irqsOff, bhOff: e.bhOff });
    }
  }
  // A static helper called only from interrupt-context functions runs there too.
  const defined = new Map(side.map((w) => [w.fn.name, w.fn]));
  for (let changed = true; changed; ) {
    changed = false;
    for (const [name, fn] of defined) {
      if (context.has(name) || !fn.isStatic) continue;
      const cs = [...(callers.get(name) ?? [])];
      if (!cs.length) continue;
      const ctxs = cs.map((c) => context.get(c));
      if (ctxs.every((c) => c === 'hardirq')) context.set(name, 'hardirq');
      else if (ctxs.every((c) => c === 'hardirq' || c === 'softirq')) context.set(name, 'softirq');
      else continue;
      changed = true;
    }
  }
  const bhLocks = new Set<string>();
  const irqLocks = new Set<string>();
  for (const w of side) {
    for (const e of w.events) {
      if (e.k !== 'lock-context') continue;
      if (e.irq === 'bh') bhLocks.add(lockClass(w.fn, e.obj));
      if (e.irq === 'irq' || e.irq === 'irqsave') irqLocks.add(lockClass(w.fn, e.obj));
    }
  }
  const entryOff = new Map<string, { irqs: boolean; bh: boolean }>();
  for (const w of side) {
    for (const b of w.fn.blocks) {
      for (const op of b.ops) {
        if (op.kind !== 'assert' || (op.what !== 'held' && op.what !== 'claimed') || !op.obj) continue;
        const key = lockClass(w.fn, op.obj);
        const cur = entryOff.get(w.fn.name) ?? { irqs: false, bh: false };
        const irqs = cur.irqs || irqLocks.has(key);
        entryOff.set(w.fn.name, { irqs, bh: cur.bh || irqs || bhLocks.has(key) });
      }
    }
  }
  // Per callee, how many call sites run with interrupts / bottom halves off: disabled at the call,
  // or the caller runs in interrupt context, or every call of the caller has them off in turn.
  const calledWith = new Map<string, { sites: number; irqsOff: number; bhOff: number }>();
  const count = (): void => {
    calledWith.clear();
    for (const x of sites) {
      const cc = context.get(x.caller);
      const up = calledWith.get(x.caller);
      const cw = calledWith.get(x.callee) ?? { sites: 0, irqsOff: 0, bhOff: 0 };
      cw.sites++;
      const eo = entryOff.get(x.caller);
      if (x.irqsOff || cc === 'hardirq' || eo?.irqs || (up && up.sites > 0 && up.irqsOff === up.sites)) cw.irqsOff++;
      if (x.bhOff || x.irqsOff || cc === 'hardirq' || cc === 'softirq' || eo?.bh || (up && up.sites > 0 && up.bhOff === up.sites)) cw.bhOff++;
      calledWith.set(x.callee, cw);
    }
  };
  // A few rounds carry the answer down call chains (callers counted before their callees or not).
  let before = '';
  for (let round = 0; round < 4; round++) {
    count();
    const now = JSON.stringify([...calledWith]);
    if (now === before) break;
    before = now;
  }
  const irqUses = new Map<string, IrqUse>();
  for (const w of side) {
    const c = context.get(w.fn.name);
    if (c !== 'hardirq' && c !== 'softirq') continue;
    for (const e of w.events) {
      if (e.k !== 'lock-context' || !spins(e.family)) continue;
      const key = lockClass(w.fn, e.obj);
      const cur = irqUses.get(key);
      if (!cur || (cur.ctx === 'softirq' && c === 'hardirq')) irqUses.set(key, { fn: w.fn.name, line: e.line, ctx: c });
    }
  }
  const out = { context, irqUses, calledWith, entryOff };
  cache.set(side, out);
  return out;
}

// Which locks a function's caller holds, read from the function itself. The entry state is the
// same on every path, so the first thing each path does with a lock tells it: a path that first
// releases it says "held on entry", one that first takes it says "not held". Only when every
// path agrees is it a fact; when they disagree, one of them is the bug (a label before the
// unlock), unless the acquire depends on a parameter (`if (!locked) spin_lock(..)`): then the
// caller's state follows the argument and nothing can be said.

import type { Block, Expr, FunctionIR, IrqMode, LockFamily, LockMode, Op } from '../c/ir.js';
import { successors } from './cfg.js';

export interface EntryLock {
  obj: string;
  family: LockFamily;
  mode: LockMode;
  irq: IrqMode;
}

export interface EntryLocks {
  /** Held when the function is entered: every path that touches them releases them first. */
  held: EntryLock[];
  /** The caller may or may not hold them, depending on an argument. */
  unknown: Set<string>;
}

export function mentions(e: Expr, names: Set<string>): boolean {
  switch (e.k) {
    case 'var':
      return names.has(e.name);
    // A field of a parameter (`dev->dead`) is the object's state, not what the caller knows.
    case 'not':
    case 'is_err':
    case 'addr':
      return mentions(e.e, names);
    case 'logic':
    case 'cmp':
      return mentions(e.a, names) || mentions(e.b, names);
    case 'arith':
      return mentions(e.a, names) || (!!e.b && mentions(e.b, names));
    case 'cond':
      return mentions(e.c, names) || mentions(e.t, names) || mentions(e.f, names);
    default:
      return false;
  }
}

type Touch = Extract<Op, { kind: 'acquire' | 'release' }>;
const GLOBAL = new Set<LockFamily>(['local_irq', 'local_bh', 'preempt', 'rcu', 'srcu']);
type CallOp = Extract<Op, { kind: 'call' }>;
/** A lock a callee takes or drops on every path, in the caller's terms. */
export interface CallLock {
  kind: 'acquire' | 'release';
  obj: string;
  family: LockFamily;
  mode: LockMode;
  irq: IrqMode;
}

/**
 * `callTouch` says what a call does to a lock of this function (through the callee's summary or
 * a handoff in rules/): a helper that returns locked is an acquire, one that unlocks a release.
 */
export function entryLocks(
  fn: FunctionIR,
  callTouch: (op: CallOp, obj: string) => 'acquire' | 'release' | null = () => null,
  aliases: Map<string, string> = new Map(),
  callLocks: (op: CallOp) => CallLock[] = () => [],
): EntryLocks {
  const objOf = (op: Touch): string => aliases.get(op.obj) ?? op.obj;
  const out: EntryLocks = { held: [], unknown: new Set() };
  if (!fn.meta.entryKnown || !fn.blocks.length) return out;
  const objs = new Map<string, Touch>();
  // Locks taken or dropped through helpers (foo_lock(f) / foo_unlock(f)), in this function's terms.
  const viaCalls: (Touch & { viaCall: true })[] = [];
  for (const b of fn.blocks) {
    for (const op of b.ops) {
      if (op.kind === 'call' && !op.indirect) {
        for (const c of callLocks(op))
          viaCalls.push({ ...op, kind: c.kind, obj: c.obj, family: c.family, mode: c.mode, irq: c.irq, primitive: op.callee, viaCall: true } as Touch & {
            viaCall: true;
          });
        continue;
      }
      if ((op.kind !== 'acquire' && op.kind !== 'release') || op.scoped || objs.has(objOf(op))) continue;
      // Interrupts, bottom halves, preemption, RCU: released first is more often the other half
      // of a lock variant (spin_lock_irqsave ... local_irq_restore) than the caller's state.
      if (GLOBAL.has(op.family)) continue;
      objs.set(objOf(op), op);
    }
  }
  for (const c of viaCalls) if (!objs.has(c.obj) && !GLOBAL.has(c.family)) objs.set(c.obj, c);
  const releases = (obj: string): Touch | undefined =>
    fn.blocks.flatMap((b) => b.ops).find((op): op is Touch => op.kind === 'release' && objOf(op) === obj) ??
    viaCalls.find((c) => c.kind === 'release' && c.obj === obj);
  if (!objs.size) return out;
  const params = new Set(fn.params.map((p) => p.name));
  const preds: number[][] = fn.blocks.map(() => []);
  for (const b of fn.blocks) for (const s of successors(b.term)) if (s < fn.blocks.length) preds[s]!.push(b.id);
  const paramBranchTarget = (b: number): boolean =>
    preds[b]!.some((p) => {
      const t = fn.blocks[p]!.term;
      return t.k === 'branch' && mentions(t.cond, params);
    });

  for (const [obj, sample] of objs) {
    let acqFirst = false;
    let relFirst: Touch | null = null;
    if (sample.kind !== 'release' && !releases(obj)) continue; // taken here and never released here: nothing says the caller holds it
    let paramAcquire = false;
    const seen = new Set<number>();
    const stack = [0];
    while (stack.length) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      const block: Block | undefined = fn.blocks[id];
      if (!block) continue;
      let first: 'acquire' | 'release' | null = null;
      const calls = new Map<string, CallOp>();
      for (const op of block.ops) {
        if ((op.kind === 'acquire' || op.kind === 'release') && objOf(op) === obj) first = op.kind;
        else if (op.kind === 'call') {
          first = op.indirect ? null : callTouch(op, obj);
          // `pte_offset_map_lock(mm, pmd, addr, &ptl)`: the call fills in the lock pointer (and
          // takes that lock): a release through it afterwards is not the caller's.
          if (!first && op.argText.includes(`&${obj}`)) first = 'acquire';
          if (op.result) calls.set(op.result, op);
        } else if (op.kind === 'assign' && op.target === obj && op.value.k === 'result') {
          // `lock = pud_lock(mm, pud)`: a call that returns the lock it took names it so here.
          const c = calls.get(op.value.id);
          if (c && callTouch(c, `${c.callee}(${c.argText.join(', ')})`) === 'acquire') first = 'acquire';
        }
        if (first) break;
      }
      if (first === 'acquire') {
        acqFirst = true;
        if (paramBranchTarget(id)) paramAcquire = true;
        continue;
      }
      if (first === 'release') {
        relFirst ??= sample;
        continue;
      }
      for (const s of successors(block.term)) stack.push(s);
    }
    const rel = relFirst?.kind === 'release' ? relFirst : releases(obj);
    if (relFirst && rel && !acqFirst) out.held.push({ obj, family: rel.family, mode: rel.mode, irq: rel.irq });
    else if (relFirst && paramAcquire) out.unknown.add(obj);
  }
  return out;
}

// The lock domain: which locks a path holds (and how deep, with interrupts or bottom halves off),
// which it released, which it released without taking (its caller's). Transfer for acquire and
// release ops, lock handoffs named in rules/, sparse's annotations and lockdep assertions, and what
// a callee's summary does to locks. The kernel semantics of the lock families (which exclude other
// CPUs, which nest, which make the context atomic, what a trylock returns) are here once, for the
// walker and the interleaving explorer alike.

import type { IrqMode, LockFamily, LockMode, Op } from '../../c/ir.js';
import { entryLocks, type CallLock, type EntryLocks } from '../entry-locks.js';
import { lockAliases } from '../lock-aliases.js';
import { manyInstances, reassignedInLoop } from '../objects.js';
import { addTrace, sortedParts, traceSteps, type Fact, type State } from '../state.js';
import { exitsForArgs, exitsSelected, firesNonzero, firesZero, firesZeroOrNonneg, splitEffects, type ExitEffect, type Summary } from '../summary.js';
import type { CallOp, Trace, WalkContext } from './walk.js';

export interface HeldLock {
  obj: string;
  family: LockFamily;
  mode: LockMode;
  irq: IrqMode;
  flags?: string;
  line: number | null; // where it was acquired
  via?: string; // acquired inside this callee
  count: number; // nesting depth for families that nest (rcu, preempt, read locks)
  gapSince: boolean; // a gap lies between the acquire and here: the hidden code may have released it
  scoped?: boolean;
  typed?: string; // type-qualified name (netfs_inode.wb_lock) when the root's type is known
  fromEntry?: boolean; // assumed held on entry (lockdep_assert_held, __must_hold), not taken here
}

/** Lock effects of a callee as seen by the caller. */
export interface LockEffectSet {
  acquired: { obj: string; family: LockFamily; mode: LockMode; irq: IrqMode; line: number | null }[];
  released: { obj: string; family: LockFamily; mode: LockMode; irq: IrqMode; line: number | null; maybe?: boolean }[];
}

/** The lock domain's part of the walker's state. */
export interface LockState {
  locks: Map<string, HeldLock>;
  /** Locks known not held: released on this path with no gap since. */
  released: Map<string, number | null>; // obj -> release line
  /** True while the path has seen no gap and the entry is known: every lock not in `locks` is known not held. */
  clean: boolean;
  /** Locks this path released without taking them: they were held on entry (obj -> what was released). */
  entryReleased: Map<string, { family: LockFamily; mode: LockMode; irq: IrqMode; line: number | null }>;
}

export type LockEvent =
  /** A callee released a lock this function cannot name (one reached through the callee's own locals). */
  | { k: 'unnamed-release'; line: number | null; callee: string }
  | {
      k: 'double-acquire';
      line: number | null;
      obj: string;
      text: string;
      held: HeldLock;
      via?: { callee: string; line: number | null; always: boolean };
      viaGap: boolean;
      block: number;
      trace: Trace;
    }
  | {
      k: 'release-unheld';
      line: number | null;
      obj: string;
      family: LockFamily;
      text: string;
      double: boolean;
      prevLine: number | null;
      via?: string;
      viaGap: boolean;
      trace: Trace;
    }
  | { k: 'irq-release-mismatch'; line: number | null; obj: string; text: string; held: HeldLock; releasedIrq: IrqMode; trace: Trace }
  | { k: 'irq-enable-nested'; line: number | null; obj: string; text: string; other: HeldLock; trace: Trace }
  | { k: 'flags-reused'; line: number | null; obj: string; text: string; other: HeldLock; flags: string; trace: Trace }
  | { k: 'lock-context'; line: number | null; obj: string; family: LockFamily; irq: IrqMode; irqsOff: boolean; bhOff: boolean; text: string }
  | {
      k: 'acquire';
      line: number | null;
      obj: string;
      family: LockFamily;
      mode: LockMode;
      irq: IrqMode;
      block: number;
      via?: string;
      sometimes?: boolean;
      afterGap: boolean;
      retake?: boolean;
      /** Taken by a trylock: it never waited for the lock. */
      tries?: boolean;
    }
  /**
   * A lock this path waits for while it holds others: the edges of the lock-order graph (which
   * lock is taken under which), as lockdep records its dependencies.
   */
  | {
      k: 'lock-order';
      line: number | null;
      obj: string;
      text: string;
      held: { obj: string; line: number | null; text: string }[];
      /** Taken inside this callee (at `viaLine` there). */
      via?: string;
      viaLine?: number | null;
      /** The callee takes it on some of its paths only. */
      sometimes?: boolean;
    };

/** A lock taken or dropped: by a primitive, a callee's summary or a handoff in rules/. */
export interface LockMove {
  obj: string;
  family: LockFamily;
  mode: LockMode;
  irq: IrqMode;
  line: number | null;
  text: string;
  flags?: string;
}

// ---- the kernel semantics of lock families ---------------------------------------------------

/** Families whose holder keeps other CPUs out (RCU, irq and preempt sections do not). */
export function excludes(family: LockFamily): boolean {
  switch (family) {
    case 'spin':
    case 'raw_spin':
    case 'rwlock':
    case 'mutex':
    case 'rwsem':
    case 'semaphore':
    case 'bit_spin':
    case 'seqlock':
    case 'context':
      return true;
    default:
      return false;
  }
}

/** Spinning locks: the ones an interrupt handler may take, so taking them with interrupts on can deadlock. */
export function spins(family: LockFamily): boolean {
  return family === 'spin' || family === 'raw_spin' || family === 'rwlock';
}

/** Lock families where taking the same lock again nests legally. */
export function nests(family: LockFamily, mode: LockMode): boolean {
  return (
    family === 'rcu' || family === 'srcu' || family === 'preempt' || family === 'local_irq' || family === 'local_bh' || (family === 'rwlock' && mode === 'read')
  );
}

/**
 * Acquisitions that order locks (a CPU waits for them while holding others, so two CPUs taking two
 * of them in opposite orders deadlock): exclusive locks and rw_semaphores; not RCU, irq or preempt
 * sections, not the recursive read side of an rwlock, not a semaphore (which may count).
 */
export function orders(family: LockFamily, mode: LockMode): boolean {
  if (family === 'rwlock') return mode !== 'read';
  return excludes(family) && family !== 'semaphore' && family !== 'context';
}

/** Families whose acquire waits by sleeping. */
export function sleepsToTake(family: LockFamily): boolean {
  return family === 'mutex' || family === 'rwsem' || family === 'semaphore';
}

/** Lock families that make the context atomic (sleeping is a bug while they are held). */
export function isAtomicFamily(l: { family: LockFamily; irq: IrqMode }): boolean {
  switch (l.family) {
    case 'spin':
    case 'raw_spin':
    case 'rwlock':
    case 'bit_spin':
    case 'local_irq':
    case 'local_bh':
    case 'preempt':
    case 'seqlock':
      return true;
    case 'rcu':
      return true; // classic RCU read sections must not sleep (SRCU may)
    default:
      return l.irq === 'irq' || l.irq === 'irqsave';
  }
}

type TryKind = NonNullable<Extract<Op, { kind: 'acquire' }>['try']>;

/** Whether a conditional acquire waits for the lock (the _interruptible/_killable ones) or gives up at once (trylocks). */
export function waitsForLock(kind: TryKind | undefined): boolean {
  return kind === undefined || kind === 'errno';
}

/** What a conditional acquire returns when it took the lock (`ok`) or did not. */
export function tryResult(kind: TryKind | undefined, ok: boolean): number {
  switch (kind) {
    case 'nonzero':
      return ok ? 1 : 0; // spin_trylock, mutex_trylock
    case 'zero':
      return ok ? 0 : 1; // down_trylock
    case 'errno':
      return ok ? 0 : -4; // mutex_lock_interruptible: -EINTR
    default:
      return 0;
  }
}

/** Which known results of a conditional acquire mean it took the lock. */
export function tryTook(kind: TryKind): (f: Fact) => boolean {
  return kind === 'nonzero' ? firesNonzero : kind === 'errno' ? firesZeroOrNonneg : firesZero;
}

/** Are interrupts off on this path (a lock taken with _irq/_irqsave, local_irq_disable)? */
export function irqsDisabled(s: LockState): boolean {
  for (const l of s.locks.values()) if (l.irq === 'irq' || l.irq === 'irqsave' || l.family === 'local_irq') return true;
  return false;
}

/** Are bottom halves off (a _bh lock, local_bh_disable)? */
export function bhDisabled(s: LockState): boolean {
  for (const l of s.locks.values()) if (l.irq === 'bh' || l.family === 'local_bh') return true;
  return false;
}

// ---- the domain ------------------------------------------------------------------------------

const entryLock = (obj: string, line: number | null): HeldLock => ({
  obj,
  family: 'context',
  mode: 'exclusive',
  irq: 'none',
  line,
  count: 1,
  gapSince: false,
  fromEntry: true,
});

export class Locks {
  /** Locals that always point to one lock (`spinlock_t *ptl = &dev->lock`). */
  readonly aliases: Map<string, string>;
  /** Locks the caller holds, read from what every path first does with them. */
  readonly entry: EntryLocks;
  /** Calls named by a handoff in rules/ (they take or drop a lock). */
  readonly handoffCallees: Set<string>;

  constructor(private readonly cx: WalkContext) {
    this.aliases = lockAliases(cx.fn);
    this.entry = entryLocks(
      cx.fn,
      (op, obj) => this.callTouch(op, obj),
      this.aliases,
      (op) => this.callLocks(op),
    );
    this.handoffCallees = new Set(cx.sem.handoffs.flatMap((h) => [h.acquire, h.release]));
  }

  /**
   * The locks held on entry: what every path first releases, and what sparse's annotations
   * (`__must_hold(x)`, `__releases(x)`, `__attribute__((context(x,1,..)))`) or an assertion
   * (lockdep_assert_held(x)) of a lock the function never takes or drops itself say, wherever it
   * stands: it states the caller's lock, also for the declarations that come before it.
   */
  enter(s: LockState): void {
    const fn = this.cx.fn;
    const touched = new Set<string>();
    const asserted: string[] = [];
    for (const b of fn.blocks)
      for (const op of b.ops) {
        if (op.kind === 'acquire' || op.kind === 'release') touched.add(op.obj);
        else if (op.kind === 'assert' && op.what === 'held' && op.obj) asserted.push(op.obj);
      }
    for (const obj of asserted) if (!touched.has(obj) && !s.locks.has(obj)) s.locks.set(obj, entryLock(obj, fn.startLine));
    for (const obj of fn.annotations.mustHold) s.locks.set(obj, entryLock(obj, fn.startLine));
    for (const c of fn.annotations.context) if (c.entry > 0) s.locks.set(c.lock, entryLock(c.lock, fn.startLine));
    for (const obj of fn.annotations.releases) if (!s.locks.has(obj)) s.locks.set(obj, entryLock(obj, fn.startLine));
    for (const l of this.entry.held) {
      if (!s.locks.has(l.obj)) s.locks.set(l.obj, { ...l, line: fn.startLine, count: 1, gapSince: false, fromEntry: true });
    }
  }

  /** What a call does to one of our locks, by the callee's summary or a handoff in rules/. */
  private callTouch(op: CallOp, obj: string): 'acquire' | 'release' | null {
    const typed = this.cx.typed(obj);
    for (const h of this.cx.sem.handoffs) {
      if (h.lock !== obj && h.lock !== typed) continue;
      if (h.acquire === op.callee) return 'acquire';
      if (h.release === op.callee) return 'release';
    }
    const sum = op.callee === this.cx.fn.name ? undefined : this.cx.summaries.get(op.callee);
    if (!sum) return null;
    const mapped = (r: { obj: string }): boolean => this.cx.mapArgs(sum, op, r.obj) === obj;
    if (sum.acquires.some(mapped) || sum.exits.some((e) => e.acquired.some(mapped)) || sum.contract.acquires.some((o) => mapped({ obj: o }))) return 'acquire';
    if (sum.exits.some((e) => e.released.some(mapped)) || sum.contract.releases.some((o) => mapped({ obj: o }))) return 'release';
    return null;
  }

  /** The locks a callee takes or drops on all its known exits (lock/unlock wrappers), in our terms. */
  private callLocks(op: CallOp): CallLock[] {
    const sum = op.callee === this.cx.fn.name ? undefined : this.cx.summaries.get(op.callee);
    const exits = sum ? exitsForArgs(sum, []) : [];
    if (!sum || !exits.length || exits.some((e) => e.unknown)) return [];
    const { common } = splitEffects(exits);
    const out: CallLock[] = [];
    for (const [kind, list] of [
      ['acquire', common.acquired],
      ['release', common.released],
    ] as const) {
      for (const r of list) {
        const obj = this.cx.mapArgs(sum, op, r.obj);
        if (obj) out.push({ kind, obj, family: r.family, mode: r.mode, irq: r.irq });
      }
    }
    return out;
  }

  /** An acquire op: a plain, conditional (trylock, _interruptible) or sparse-marker acquire. */
  acquireOp(s: State, op: Extract<Op, { kind: 'acquire' }>): string {
    const a = this.aliases.has(op.obj) ? { ...op, obj: this.aliases.get(op.obj)! } : op;
    let held: HeldLock | undefined;
    if (a.try) {
      this.cx.pend(s, a.result, { fires: tryTook(a.try), op: a, line: a.line });
      if (waitsForLock(a.try) && sleepsToTake(a.family)) {
        this.cx.sleep.check(s, { line: a.line, what: a.primitive, why: `${a.primitive}() sleeps`, text: a.text ?? a.primitive });
      }
    } else if (a.marker && (held = this.findHeld(s, a.obj))) {
      // `__acquire(&l); spin_unlock(&l)`: sparse's count of a lock held, which stays held for it.
      s.locks.set(held.obj, { ...held, count: held.count + 1 });
    } else {
      this.acquire(s, { obj: a.obj, family: a.family, mode: a.mode, irq: a.irq, line: a.line, text: a.text ?? a.primitive, flags: a.flags, scoped: a.scoped });
    }
    return a.obj;
  }

  releaseOp(s: State, op: Extract<Op, { kind: 'release' }>): void {
    const obj = this.aliases.get(op.obj) ?? op.obj;
    // `__release(x)` of a context this path does not hold: the caller's, ended here for sparse.
    if (op.marker && !this.findHeld(s, obj)) s.entryReleased.set(obj, { family: op.family, mode: op.mode, irq: op.irq, line: op.line });
    else this.release(s, { obj, family: op.family, mode: op.mode, irq: op.irq, line: op.line, text: op.text ?? op.primitive });
  }

  /**
   * might_lock(x): the lock may be taken here (on a rare path the code does not show): taking it
   * while it is held is a self-deadlock, and the locks held now are ordered before it.
   */
  mightLock(s: State, obj: string, line: number | null, text: string): void {
    const held = this.findHeld(s, obj);
    if (held && !nests(held.family, held.mode)) {
      this.cx.emit({ k: 'double-acquire', line, obj, text, held, viaGap: s.viaGap, block: this.cx.block, trace: traceSteps(s) }, `dbl:${obj}:${line}:`);
      return;
    }
    if (held) return;
    this.order(s, { obj, line, text });
    // For callers: lockdep counts it as taken on every call that reaches it, whichever path would.
    // Its family as the function takes it elsewhere, if it does (else a plain context).
    let family: LockFamily = 'context';
    for (const b of this.cx.fn.blocks) for (const op of b.ops) if (op.kind === 'acquire' && op.obj === obj) family = op.family;
    this.cx.emit({ k: 'acquire', line, obj, family, mode: 'exclusive', irq: 'none', block: this.cx.block, afterGap: s.viaGap }, `acq:${obj}:${line}:might`);
  }

  /** lockdep_assert_held(x) of a lock this path does not hold: the caller holds it; the function relies on it. */
  assertHeld(s: LockState, obj: string, line: number | null): void {
    if (!s.locks.has(obj)) s.locks.set(obj, entryLock(obj, line));
  }

  acquire(s: State, a: LockMove & { via?: { callee: string; line: number | null; always: boolean }; scoped?: boolean; tries?: boolean }): void {
    const cx = this.cx;
    const { obj, family, mode, irq, line, text, flags, via, scoped, tries } = a;
    const irqsOff = irqsDisabled(s);
    const bhOff = irqsOff || bhDisabled(s);
    if (!via) cx.emit({ k: 'lock-context', line, obj, family, irq, irqsOff, bhOff, text }, `ctx:${obj}:${line}:${irqsOff}:${bhOff}`);
    // Through a callee, its summary's may-sleep already said so at this call.
    // A trylock that succeeded took it without waiting.
    if (!via && !tries && sleepsToTake(family)) {
      cx.sleep.check(s, { line, what: text, why: `taking ${family === 'rwsem' ? 'a rw_semaphore' : `a ${family}`} may sleep`, text });
    }
    const held = s.locks.get(obj);
    // Taking back the caller's lock after dropping it (around a sleep): it is the caller's again.
    const retake = !held && s.entryReleased.has(obj);
    if (!held)
      cx.emit(
        { k: 'acquire', line, obj, family, mode, irq, block: cx.block, via: via?.callee, afterGap: s.viaGap, retake, ...(tries ? { tries } : {}) },
        `acq:${obj}:${line}:${via?.callee ?? ''}`,
      );
    if (!held && !tries && orders(family, mode))
      this.order(s, { obj, line, text, ...(via ? { via: via.callee, viaLine: via.line, sometimes: !via.always } : {}) });
    if (held) {
      // A nesting lock (rcu_read_lock) taken again, also over the caller's that an annotation
      // names (`__acquires(RCU)`, held as a plain context): one more level, not a deadlock.
      if (nests(family, mode) && (nests(held.family, held.mode) || held.family === 'context')) {
        s.locks.set(obj, { ...held, count: held.count + 1 });
      } else if (manyInstances(cx.fn, obj) || reassignedInLoop(cx.fn, obj)) {
        // `&tbl[i].lock` in a loop: another element of the array, as far as we can tell.
      } else {
        cx.emit(
          { k: 'double-acquire', line, obj, text, held, via, viaGap: s.viaGap, block: cx.block, trace: traceSteps(s) },
          `dbl:${obj}:${line}:${via?.callee ?? ''}`,
        );
        // A recursive read of a rw_semaphore succeeds unless a writer queues: both reads are released later.
        if (family === 'rwsem' && mode === 'read' && held.mode === 'read') s.locks.set(obj, { ...held, count: held.count + 1 });
      }
      return;
    }
    if (flags && irq === 'irqsave') {
      const other = [...s.locks.values()].find((l) => l.flags === flags && l.irq === 'irqsave');
      if (other) cx.emit({ k: 'flags-reused', line, obj, text, other, flags, trace: traceSteps(s) }, `flags:${obj}:${line}`);
    }
    addTrace(s, line, text, via ? `acquires '${obj}' inside ${via.callee}()` : `acquires '${obj}'`);
    s.locks.set(obj, {
      obj,
      family,
      mode,
      irq,
      flags,
      line,
      count: 1,
      gapSince: false,
      scoped,
      via: via?.callee,
      typed: cx.typed(obj),
      ...(retake ? { fromEntry: true } : {}),
    });
    s.released.delete(obj);
    if (retake) s.entryReleased.delete(obj);
    cx.errors.retaken(s, obj);
  }

  /** Record the locks held while this one is waited for (lock-order edges). */
  private order(s: State, e: { obj: string; line: number | null; text: string; via?: string; viaLine?: number | null; sometimes?: boolean }): void {
    const held = [...s.locks.values()].filter((l) => l.obj !== e.obj && orders(l.family, l.mode) && !l.gapSince);
    if (!held.length) return;
    const key = held
      .map((l) => l.obj)
      .sort()
      .join(',');
    this.cx.emit(
      {
        k: 'lock-order',
        ...e,
        held: held.map((l) => ({ obj: l.obj, line: l.line, text: l.via ? `${l.via}()` : l.fromEntry ? '(held by the caller)' : '' })),
      },
      `ord:${e.obj}:${e.line}:${e.via ?? ''}:${key}`,
    );
  }

  findHeld(s: LockState, obj: string): HeldLock | undefined {
    const direct = s.locks.get(obj);
    if (direct) return direct;
    const t = this.cx.typed(obj);
    if (t) for (const l of s.locks.values()) if (l.typed === t || l.obj === t) return l;
    // `base = lock_timer_base(timer, ..)`, annotated `__acquires(timer->base->lock)`, released as
    // `&base->lock`: a local named after the field it was loaded from stands for that field.
    const m = s.locks.size ? /^&([A-Za-z_]\w*)(->.+)$/.exec(obj) : null;
    if (m && this.cx.isLocal(m[1]!)) {
      for (const l of s.locks.values()) if (l.family === 'context' && !l.fromEntry && l.obj.endsWith(`->${m[1]}${m[2]}`)) return l;
    }
    return undefined;
  }

  release(s: State, r: LockMove & { via?: string }): void {
    const cx = this.cx;
    const { obj, family, mode, irq, line, text, via } = r;
    const held = this.findHeld(s, obj);
    cx.errors.cleanup(s, line, text, obj, 'release');
    if (held) {
      if (!via && !held.fromEntry && held.family !== 'context' && held.irq !== irq) {
        // spin_lock_irqsave + spin_unlock_irq, spin_lock_irq + spin_unlock, spin_lock + spin_unlock_irq...
        cx.emit({ k: 'irq-release-mismatch', line, obj, text, held, releasedIrq: irq, trace: traceSteps(s) }, `irqrel:${obj}:${line}`);
      }
      if (irq === 'irq') {
        const other = [...s.locks.values()].find((l) => l !== held && (l.irq === 'irq' || l.irq === 'irqsave' || l.family === 'local_irq'));
        if (other) cx.emit({ k: 'irq-enable-nested', line, obj, text, other, trace: traceSteps(s) }, `irqnest:${obj}:${line}`);
      }
      if (held.count > 1) s.locks.set(held.obj, { ...held, count: held.count - 1 });
      else s.locks.delete(held.obj);
      // local_irq_save + spin_lock ... spin_unlock_irqrestore: the restoring variant ends the
      // interrupts-off section opened by hand.
      if ((irq === 'irq' || irq === 'irqsave') && held.irq === 'none') {
        const off = [...s.locks.values()].find((l) => l.family === 'local_irq');
        if (off) {
          if (off.count > 1) s.locks.set(off.obj, { ...off, count: off.count - 1 });
          else s.locks.delete(off.obj);
        }
      }
      // spin_lock_bh + spin_unlock ... local_bh_enable (and the same for interrupts): the plain
      // unlock leaves the section the locking variant opened, which the code closes by hand.
      const section = held.irq === 'bh' ? 'bh' : held.irq === 'irq' || held.irq === 'irqsave' ? 'irq' : null;
      if (irq === 'none' && !via && section && this.closesByHand(section)) {
        const cur = s.locks.get(section);
        s.locks.set(section, {
          obj: section,
          family: section === 'bh' ? 'local_bh' : 'local_irq',
          mode: 'exclusive',
          irq: held.irq,
          line: held.line,
          count: (cur?.count ?? 0) + 1,
          gapSince: false,
          ...(held.flags ? { flags: held.flags } : {}),
        });
      }
      if (held.fromEntry) s.entryReleased.set(obj, { family, mode, irq, line });
      s.released.set(obj, line);
      addTrace(s, line, text, via ? `releases '${obj}' inside ${via}()` : `releases '${obj}'`);
      return;
    }
    // The same unlock on a later pass over a reassigned cursor, or a cursor's lock taken on another
    // pass: another object each time.
    const cursor = reassignedInLoop(cx.fn, obj);
    if (manyInstances(cx.fn, obj) || (cursor && (!s.released.has(obj) || s.released.get(obj) === line))) {
      s.released.set(obj, line);
      return;
    }
    if (s.released.has(obj)) {
      cx.emit(
        { k: 'release-unheld', line, obj, family, text, double: true, prevLine: s.released.get(obj) ?? null, via, viaGap: s.viaGap, trace: traceSteps(s) },
        `unheld:${obj}:${line}:${via ?? ''}`,
      );
      return;
    }
    // Whether the caller holds it follows an argument (`if (!locked) spin_lock(..)`): not known here.
    // Nor for a lock pointer a call fills in (`pte_offset_map_lock(mm, pmd, addr, &ptl)`), which
    // may take the lock it stores there.
    if (s.clean && !this.entry.unknown.has(obj) && !this.filledByCall(obj)) {
      cx.emit(
        { k: 'release-unheld', line, obj, family, text, double: false, prevLine: null, via, viaGap: false, trace: traceSteps(s) },
        `unheld:${obj}:${line}:${via ?? ''}`,
      );
    }
    // Not known to be held or free here: it was held on entry (or taken in a gap).
    s.entryReleased.set(obj, { family, mode, irq, line });
    s.released.set(obj, line);
    addTrace(s, line, text, `releases '${obj}' (held on entry)`);
  }

  private byHand: Set<string> | null = null;
  /** Does the function itself end a bottom-half (`bh`) or interrupt (`irq`) section with local_bh_enable()/local_irq_*()? */
  private closesByHand(section: 'bh' | 'irq'): boolean {
    if (!this.byHand) {
      this.byHand = new Set();
      for (const b of this.cx.fn.blocks)
        for (const op of b.ops) if (op.kind === 'release' && (op.family === 'local_bh' || op.family === 'local_irq')) this.byHand.add(op.obj);
    }
    return this.byHand.has(section);
  }

  private filled: Set<string> | null = null;
  /** A lock pointer whose address the function hands to a call. */
  private filledByCall(obj: string): boolean {
    if (!this.filled) {
      this.filled = new Set();
      for (const b of this.cx.fn.blocks)
        for (const op of b.ops) if (op.kind === 'call') for (const a of op.argText) if (a.startsWith('&')) this.filled.add(a.slice(1));
    }
    return this.filled.has(obj);
  }

  /** A call named by a handoff in rules/: it takes the lock (when its result says so) or drops it. */
  handoff(s: State, op: CallOp, text: string): void {
    for (const h of this.cx.sem.handoffs) {
      if (h.acquire === op.callee) {
        const obj = h.lock;
        if (op.result)
          this.cx.pend(s, op.result, {
            fires: (f) => f.t !== 'errptr' && f.t !== 'bad' && f.t !== 'null' && f.t !== 'zero' && f.t !== 'neg',
            op: { ...op, kind: 'acquire', obj, family: 'context', mode: 'exclusive', irq: 'none', primitive: op.callee } as Op,
            // A pointer returned with the lock held is the object: not NULL once it is not an error.
            means: (f) => (f.t === 'noterr' ? { t: 'valid' } : undefined),
            line: op.line,
          });
        else this.acquire(s, { obj, family: 'context', mode: 'exclusive', irq: 'none', line: op.line, text });
      }
      if (h.release === op.callee && s.locks.has(h.lock))
        this.release(s, { obj: h.lock, family: 'context', mode: 'exclusive', irq: 'none', line: op.line, text });
    }
  }

  /** Locks the callee takes itself: a self-deadlock when we hold them, else part of our summary. */
  calleeAcquires(s: State, op: CallOp, sum: Summary, text: string): void {
    const cx = this.cx;
    for (const a of sum.acquires) {
      const obj = cx.mapArgs(sum, op, a.obj);
      if (!obj || nests(a.family, a.mode)) continue;
      const held = s.locks.get(obj);
      // A callee that needs the lock held (it drops and takes back its caller's lock, as
      // `__releases(x) __acquires(x)` says) takes it again only after letting it go.
      const retakes = sum.requires.some((r) => r.obj === a.obj);
      if (held && !nests(held.family, held.mode) && !retakes) {
        cx.emit(
          {
            k: 'double-acquire',
            line: op.line,
            obj,
            text,
            held,
            via: { callee: op.callee, line: a.line, always: a.always },
            viaGap: s.viaGap,
            block: cx.block,
            trace: traceSteps(s),
          },
          `dbl:${obj}:${op.line}:${op.callee}`,
        );
      } else if (!held) {
        if (!a.tries && orders(a.family, a.mode)) this.order(s, { obj, line: op.line, text, via: op.callee, viaLine: a.line, sometimes: !a.always });
        // Taken inside the callee: part of this function's summary too (callers two levels up),
        // unless it takes back the caller's lock this function dropped.
        cx.emit(
          {
            k: 'acquire',
            line: op.line,
            obj,
            family: a.family,
            mode: a.mode,
            irq: a.irq,
            block: cx.block,
            via: op.callee,
            sometimes: !a.always,
            afterGap: s.viaGap,
            retake: s.entryReleased.has(obj),
          },
          `acq:${obj}:${op.line}:${op.callee}`,
        );
      }
    }
  }

  /**
   * The locks a callee holds or has dropped when it returns: those of every exit now, those that
   * depend on its return value once the caller's tests select an exit. A callee with exits the
   * unit cannot see leaves its locks unknown, except what its annotations promise.
   */
  calleeExits(s: State, op: CallOp, sum: Summary, exits: Summary['exits'], text: string): void {
    const cx = this.cx;
    if (exits.some((e) => e.unknown)) {
      const c = sum.contract;
      const promised = new Set([...c.acquires, ...c.releases]);
      this.havoc(
        s,
        sum.touches.filter((r) => !promised.has(r.obj)).flatMap((r) => cx.mapArgs(sum, op, r.obj) ?? []),
        op.line,
        text,
        op.callee,
      );
      const refs = (objs: string[]): LockEffectSet['acquired'] =>
        objs.flatMap((o) => {
          const obj = cx.mapArgs(sum, op, o);
          return obj ? [{ obj, family: 'context' as const, mode: 'exclusive' as const, irq: 'none' as const, line: null }] : [];
        });
      this.applyEffects(s, { acquired: refs(c.acquires), released: refs(c.releases) }, op.line, op.callee);
      return;
    }
    const { common, byClass } = splitEffects(exits);
    const map = (e: LockEffectSet['acquired']): LockEffectSet['acquired'] =>
      e.flatMap((r) => {
        const obj = cx.mapArgs(sum, op, r.obj);
        return obj ? [{ ...r, obj }] : [];
      });
    this.applyEffects(s, { acquired: map(common.acquired), released: map(common.released) }, op.line, op.callee);
    if ([...common.released, ...byClass.flatMap((e) => e.released)].some((r) => !r.maybe && !cx.mapArgs(sum, op, r.obj)))
      cx.emit({ k: 'unnamed-release', line: op.line, callee: op.callee }, `unrel:${op.line}:${op.callee}`);
    if (op.result && byClass.length) {
      // Effects that depend on the return value wait until the caller's tests select exits that
      // all have them (`if (ret <= 0)` selects the zero and the negative exits, which unlock alike).
      const groups = new Map<string, { exits: Set<ExitEffect>; e: ExitEffect }>();
      for (const e of byClass) {
        const k = effectKey(e);
        const g = groups.get(k);
        if (g) g.exits.add(exits.find((x) => x.cls === e.cls)!);
        else groups.set(k, { exits: new Set([exits.find((x) => x.cls === e.cls)!]), e });
      }
      for (const { exits: mine, e } of groups.values()) {
        cx.pend(s, op.result, {
          fires: (f) => {
            const sel = exitsSelected(exits, f);
            return sel.size > 0 && [...sel].every((x) => mine.has(x));
          },
          alive: (f) => [...exitsSelected(exits, f)].some((x) => mine.has(x)),
          effect: { acquired: map(e.acquired), released: map(e.released) },
          via: op.callee,
          line: op.line,
        });
      }
    }
  }

  /**
   * A call whose effect on these locks is unknown: held ones may have been dropped, free ones
   * taken. Like a gap, limited to the locks the callee touches.
   */
  private havoc(s: State, objs: string[], line: number | null, text: string, callee: string): void {
    if (!objs.length) return;
    s.viaGap = true;
    s.clean = false;
    for (const obj of objs) {
      const l = s.locks.get(obj);
      if (l && !l.gapSince) s.locks.set(obj, { ...l, gapSince: true });
      s.released.delete(obj);
    }
    addTrace(s, line, text, `${callee}() is only partly visible: its effect on ${objs.map((o) => `'${o}'`).join(', ')} is unknown`);
  }

  applyEffects(s: State, e: LockEffectSet, line: number | null, callee: string): void {
    for (const r of e.released) {
      // A release that may undo the callee's own hidden acquire: drops it if held, says nothing otherwise.
      if (r.maybe && !this.findHeld(s, r.obj)) continue;
      this.release(s, { obj: r.obj, family: r.family, mode: r.mode, irq: r.irq, line, text: `${callee}()`, via: callee });
    }
    for (const a of e.acquired) {
      if (s.locks.has(a.obj)) continue; // reported as a double lock through `acquires`
      this.acquire(s, { obj: a.obj, family: a.family, mode: a.mode, irq: a.irq, line, text: `${callee}()`, via: { callee, line: a.line, always: true } });
    }
  }

  /** Code the patch does not show: what was held may have been released, what was free taken. */
  gap(s: LockState): void {
    s.clean = false;
    s.released.clear();
    for (const [k, l] of s.locks) if (!l.gapSince) s.locks.set(k, { ...l, gapSince: true });
  }
}

/** The lock domain's part of a state's key: states that agree on it (and the other domains) join. */
export function lockKeyParts(s: LockState, out: string[]): void {
  sortedParts(s.locks, (k, l) => `L${k}/${l.mode}/${l.irq}/${l.count}/${l.gapSince ? 'g' : ''}/${l.flags ?? ''}`, out);
  sortedParts(s.released, (k) => `U${k}`, out);
  out.push(s.clean ? 'C' : 'c');
  sortedParts(s.entryReleased, (k) => `N${k}`, out);
}

/** Exits with equal keys have the same lock effects. */
function effectKey(e: ExitEffect): string {
  const refs = (l: ExitEffect['acquired']): string =>
    l
      .map((r) => `${r.obj}/${r.mode}/${r.irq}`)
      .sort()
      .join(',');
  return `${e.unknown ? '?' : ''}+${refs(e.acquired)}-${refs(e.released)}`;
}

// The path-sensitive walker: runs one function's IR over its CFG with an abstract state (locks,
// references, flags, value facts), merging equal states at each block and iterating loops to a
// fixpoint under a budget. It does not judge: it records what happened (events) and how each path
// ended (exits); the checks in checks/ decide what to report.

import type { Block, Expr, FunctionIR, IrqMode, LockFamily, LockMode, Op } from '../c/ir.js';
import type { Semantics } from '../semantics/index.js';
import { analyzeCfg, dominates, type CfgInfo } from './cfg.js';
import { parsePath } from '../c/path.js';
import { KeyResolver } from './races/keys.js';
import { derefs, manyInstances, reassignedInLoop, refKey, rootOf, substitute, typedObject } from './objects.js';
import {
  addTrace,
  cloneOwning,
  cloneState,
  initialState,
  MAPPING_PAIRS,
  markHanded,
  wasHanded,
  REF_COUNT_CAP,
  OWN,
  isAtomicFamily,
  joinFacts,
  nests,
  refOf,
  stateKeys,
  traceSteps,
  type Fact,
  type HeldLock,
  type HeldRef,
  type LockEffectSet,
  type Pending,
  type State,
} from './state.js';
import {
  classOfReturn,
  exitsForArgs,
  exitsSelected,
  firesNonnull,
  firesNonzero,
  firesZero,
  firesZeroOrNonneg,
  implementations,
  splitEffects,
  type RetClass,
  type Summary,
  type SummaryTable,
} from './summary.js';
import { assign, assume, forgetAfterCall, forgetAtLoop, freshResult, isNullOrErr, learnNonNull, truthOf, valueOf } from './values.js';
import { gfpSleeps } from './gfp.js';
import { liveness, type Liveness } from './liveness.js';
import { entryLocks, type CallLock, type EntryLocks } from './entry-locks.js';
import { lockAliases } from './lock-aliases.js';

type Trace = ReturnType<typeof traceSteps>;

/** Prefix of a flag key in State.flags for a flag this path set and then cleared again. */
export const CYCLED = '~';

export type EngineEvent =
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
  | { k: 'call-context'; line: number | null; callee: string; irqsOff: boolean; bhOff: boolean }
  | {
      k: 'sleep';
      line: number | null;
      what: string;
      why: string;
      atomic: HeldLock[];
      via?: string;
      sometimes?: boolean;
      viaGap: boolean;
      text: string;
      trace: Trace;
    }
  | { k: 'may-sleep'; line: number | null; what: string; why: string; root: SleepRoot; block: number } // anywhere (for summaries)
  /** handed: the path never took it, both puts drop references the function was given (how many, the code does not show). */
  | {
      k: 'double-put';
      line: number | null;
      obj: string;
      pair: string;
      source: PairSource;
      handed: boolean;
      prevLine: number | null;
      text: string;
      viaGap: boolean;
      via?: string;
      trace: Trace;
    }
  | { k: 'put-unheld'; line: number | null; obj: string; pair: string; source: PairSource; text: string; via?: string; trace: Trace }
  | {
      k: 'err-fallthrough';
      line: number | null;
      subject: string;
      branchLine: number | null;
      cleanup: { line: number | null; text: string; obj: string; kind: string };
      use: { line: number | null; text: string; what: string };
      trace: Trace;
    }
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
    }
  | { k: 'flag-set'; line: number | null; key: string }
  | { k: 'flag-cleared'; line: number | null; key: string } // a flag this path had set, cleared again
  /** copy: taken for a copy stored or queued earlier on the path, not kept by this function. */
  | { k: 'ref-taken'; line: number | null; obj: string; pair: string; copy?: boolean };

/** Where a get/put pair is known from: a kernel primitive, rules/, or only its functions' names. */
export type PairSource = 'primitive' | 'rule' | 'name';

/** A lock taken or dropped: by a primitive, a callee's summary or a handoff in rules/. */
interface LockMove {
  obj: string;
  family: LockFamily;
  mode: LockMode;
  irq: IrqMode;
  line: number | null;
  text: string;
  flags?: string;
}

/** A reference taken or dropped: on what object, by which pair, where. */
interface RefMove {
  obj: string;
  pair: string;
  source: PairSource;
  line: number | null;
  text: string;
  /** The callee that moves it, when it is a callee. */
  via?: string;
  /** The count is a member of the object (`&grp->kref` counts `grp`). */
  member?: boolean;
}

/** Whether `obj` was dropped through one of its embedded counts (`obj#&obj->count` keys). */
function droppedByCount(s: State, obj: string): boolean {
  for (const k of s.dropped.keys()) if (k.startsWith(`${obj}#`)) return true;
  return false;
}

/** Where a sleep comes from: the sleeping call itself and the callees leading to it. */
export interface SleepRoot {
  why: string;
  line: number | null;
  via: string[]; // callee chain from this function's call down to the function that sleeps
  always: boolean; // on every path through the callees (false: only on some)
  /** The caller's locks released before the sleep (this function's terms): a sleep with them dropped. */
  drops: string[];
}

export interface Exit {
  line: number | null;
  value: Expr | null;
  cls: RetClass;
  state: State;
  trace: Trace;
  /** The returned variable held a reference: the caller gets it. */
  returnedRef?: HeldRef;
}

/** The lock state at an op, over every path that reaches it: what the race checks work from. */
export interface Site {
  block: number;
  index: number;
  op: Op;
  held: Set<string>; // held on every path reaching the op
  released: Set<string>; // released earlier on every path reaching it (known not held)
  clean: boolean; // every path reaching it started at a known entry and crossed no gap
  viaGap: boolean; // some path to it crossed a gap
}

export interface WalkResult {
  fn: FunctionIR;
  cfg: CfgInfo;
  exits: Exit[];
  events: EngineEvent[];
  sites: Site[];
  budgetExceeded: boolean;
  visits: number;
}

export interface EngineOptions {
  sem: Semantics;
  summaries: SummaryTable;
  /** Block visits allowed per function before giving up (and saying so). */
  budget?: number;
}

/**
 * States of one shape (same locks, refs, flags, pending effects; different value facts) walked
 * exactly at a block before further ones are joined into one (widening): enough to unroll
 * `for (try = 0; try < 2; try++)` at a loop head and to keep a few correlated branches apart
 * elsewhere, while a counter's 0, 1, 2 ... converges to "non-negative".
 */
const EXACT_AT_LOOP_HEAD = 3;
const EXACT_ELSEWHERE = 8;
const HARD_STATES_PER_BLOCK = 256;

export function walkFunction(fn: FunctionIR, opts: EngineOptions): WalkResult {
  const cfg = analyzeCfg(fn);
  const w = new Walker(fn, opts, cfg);
  w.run();
  return { fn, cfg, exits: w.exits, events: w.events, sites: [...w.sites.values()], budgetExceeded: w.exhausted, visits: w.visits };
}

class Walker {
  exits: Exit[] = [];
  events: EngineEvent[] = [];
  exhausted = false;
  visits = 0;
  readonly sites = new Map<string, Site>();
  private readonly seen = new Map<number, Set<string>>();
  private readonly shapes = new Map<number, Map<string, { n: number; acc: State }>>();
  private readonly eventKeys = new Set<string>();
  private readonly budget: number;
  private block = 0;

  private readonly live: Liveness;
  private readonly fixedParams: Set<string>;
  private readonly entry: EntryLocks;
  /** Locals that always point to one lock (`spinlock_t *ptl = &dev->lock`). */
  private readonly aliases: Map<string, string>;
  /** Calls named by a handoff in rules/ (they take or drop a lock). */
  private readonly handoffCallees: Set<string>;
  /** Call results that carry a new reference (from the callee's summary). */
  private readonly resultRefs = new Map<string, { pair: string; source: 'primitive' | 'rule' | 'name'; callee: string }>();
  /** Results of gets that return the object they took a reference on. */
  private readonly getResults = new Map<string, string>();

  private readonly localNames: Set<string>;

  constructor(
    private readonly fn: FunctionIR,
    private readonly o: EngineOptions,
    private readonly cfg: CfgInfo,
  ) {
    this.budget = o.budget ?? 20000;
    this.localNames = new Set([...fn.params.map((p) => p.name), ...fn.locals.map((l) => l.name)]);
    this.live = liveness(fn);
    this.fixedParams = new Set(fn.params.map((p) => p.name).filter((p) => !fn.blocks.some((b) => b.ops.some((op) => op.kind === 'assign' && op.target === p))));
    this.aliases = lockAliases(fn);
    this.entry = entryLocks(
      fn,
      (op, obj) => this.callTouch(op, obj),
      this.aliases,
      (op) => this.callLocks(op),
    );
    this.handoffCallees = new Set(o.sem.handoffs.flatMap((h) => [h.acquire, h.release]));
  }

  run(): void {
    if (!this.fn.blocks.length) return;
    const init = initialState(this.fn.meta.entryKnown);
    this.applyAnnotations(init);
    // Locks the caller holds, read from what every path first does with them.
    for (const l of this.entry.held) {
      if (!init.locks.has(l.obj)) init.locks.set(l.obj, { ...l, line: this.fn.startLine, count: 1, gapSince: false, fromEntry: true });
    }
    const queue: { b: number; s: State }[] = [{ b: 0, s: init }];
    for (let qi = 0; qi < queue.length; qi++) {
      const { b, s } = queue[qi]!;
      const block = this.fn.blocks[b];
      if (!block) continue;
      let st = this.prune(s, b);
      const seen = this.seen.get(b) ?? new Set<string>();
      this.seen.set(b, seen);
      const keys = stateKeys(st);
      let key = keys.full;
      if (seen.has(key)) continue;
      const shapes = this.shapes.get(b) ?? new Map<string, { n: number; acc: State }>();
      this.shapes.set(b, shapes);
      const shape = keys.shape;
      const sh = shapes.get(shape);
      if (!sh) shapes.set(shape, { n: 1, acc: st });
      else {
        sh.acc = joinFacts(sh.acc, st);
        if (++sh.n > (block.loopHead ? EXACT_AT_LOOP_HEAD : EXACT_ELSEWHERE)) {
          // Widening: walk on with what all the states of this shape agree on.
          st = sh.acc;
          key = stateKeys(st).full;
          if (seen.has(key)) continue;
        }
      }
      if (++this.visits > this.budget) {
        this.exhausted = true;
        return;
      }
      if (seen.size >= HARD_STATES_PER_BLOCK) {
        this.exhausted = true;
        continue;
      }
      seen.add(key);
      this.block = b;
      const ops = block.ops;
      for (let i = 0; i < ops.length; i++) {
        const op = ops[i]!;
        this.record(b, i, op, st);
        st = this.transfer(op, st);
      }
      for (const next of this.terminate(block, st)) {
        // Back to a loop head: fields and globals may have changed on their own since the last pass.
        if (this.fn.blocks[next.b]?.loopHead && dominates(this.cfg, next.b, b)) {
          const s2 = cloneOwning(next.s, OWN.facts | OWN.released | OWN.dropped);
          forgetAtLoop(s2, this.isLocal);
          forgetLoadedObjects(s2);
          next.s = s2;
        }
        queue.push(next);
      }
    }
  }

  /** A local variable or parameter of this function (else a global, which any call may change). */
  private readonly isLocal = (name: string): boolean => this.localNames.has(name);

  /** What a call does to one of our locks, by the callee's summary or a handoff in rules/. */
  private callTouch(op: Extract<Op, { kind: 'call' }>, obj: string): 'acquire' | 'release' | null {
    const typed = this.typed(obj);
    for (const h of this.o.sem.handoffs) {
      if (h.lock !== obj && h.lock !== typed) continue;
      if (h.acquire === op.callee) return 'acquire';
      if (h.release === op.callee) return 'release';
    }
    const sum = op.callee === this.fn.name ? undefined : this.o.summaries.get(op.callee);
    if (!sum) return null;
    const mapped = (r: { obj: string }): boolean => this.mapArgs(sum, op, r.obj) === obj;
    if (sum.acquires.some(mapped) || sum.exits.some((e) => e.acquired.some(mapped)) || sum.contract.acquires.some((o) => mapped({ obj: o }))) return 'acquire';
    if (sum.exits.some((e) => e.released.some(mapped)) || sum.contract.releases.some((o) => mapped({ obj: o }))) return 'release';
    return null;
  }

  /** The locks a callee takes or drops on all its known exits (lock/unlock wrappers), in our terms. */
  private callLocks(op: Extract<Op, { kind: 'call' }>): CallLock[] {
    const sum = op.callee === this.fn.name ? undefined : this.o.summaries.get(op.callee);
    const exits = sum ? exitsForArgs(sum, []) : [];
    if (!sum || !exits.length || exits.some((e) => e.unknown)) return [];
    const { common } = splitEffects(exits);
    const out: CallLock[] = [];
    for (const [kind, list] of [
      ['acquire', common.acquired],
      ['release', common.released],
    ] as const) {
      for (const r of list) {
        const obj = this.mapArgs(sum, op, r.obj);
        if (obj) out.push({ kind, obj, family: r.family, mode: r.mode, irq: r.irq });
      }
    }
    return out;
  }

  /** Drop value facts about variables and results the code from block `b` on never reads. */
  private prune(s: State, b: number): State {
    const live = this.live.liveIn[b];
    if (!live) return s;
    let out: State | null = null;
    for (const [k, f] of s.facts) {
      // What a path knows of a parameter the body never assigns stays known to the end: the summary
      // tells exits apart by it (puts only where it is not NULL, a release only when `locked` is 0).
      if (live.has(k) || ((f.t === 'null' || f.t === 'zero' || f.t === 'int' || f.t === 'nonzero') && this.fixedParams.has(k))) continue;
      out ??= cloneOwning(s, OWN.facts | OWN.rfacts | OWN.pending);
      out.facts.delete(k);
    }
    if (!s.rfacts.size && !s.pending.size) return out ?? s;
    const cur = out ?? s;
    const aliased = new Set<string>();
    for (const f of cur.facts.values()) if (f.t === 'result') aliased.add(f.id);
    for (const id of s.rfacts.keys()) {
      if (live.has(`#${id}`) || aliased.has(id)) continue;
      out ??= cloneOwning(s, OWN.facts | OWN.rfacts | OWN.pending);
      out.rfacts.delete(id);
    }
    for (const id of s.pending.keys()) {
      if (live.has(`#${id}`) || aliased.has(id)) continue;
      out ??= cloneOwning(s, OWN.facts | OWN.rfacts | OWN.pending);
      out.pending.delete(id);
    }
    return out ?? s;
  }

  /**
   * Sparse annotations: __must_hold(x) means x is held on entry (and exit). So does an assertion
   * (lockdep_assert_held(x)) of a lock the function never takes or drops itself, wherever it
   * stands: it states the caller's lock, also for the declarations that come before it.
   */
  private applyAnnotations(s: State): void {
    const touched = new Set<string>();
    const asserted: string[] = [];
    for (const b of this.fn.blocks)
      for (const op of b.ops) {
        if (op.kind === 'acquire' || op.kind === 'release') touched.add(op.obj);
        else if (op.kind === 'assert' && op.what === 'held' && op.obj) asserted.push(op.obj);
      }
    for (const obj of asserted) {
      if (!touched.has(obj) && !s.locks.has(obj))
        s.locks.set(obj, { obj, family: 'context', mode: 'exclusive', irq: 'none', line: this.fn.startLine, count: 1, gapSince: false, fromEntry: true });
    }
    for (const obj of this.fn.annotations.mustHold) {
      s.locks.set(obj, { obj, family: 'context', mode: 'exclusive', irq: 'none', line: this.fn.startLine, count: 1, gapSince: false, fromEntry: true });
    }
    for (const c of this.fn.annotations.context) {
      if (c.entry > 0)
        s.locks.set(c.lock, {
          obj: c.lock,
          family: 'context',
          mode: 'exclusive',
          irq: 'none',
          line: this.fn.startLine,
          count: 1,
          gapSince: false,
          fromEntry: true,
        });
    }
    for (const obj of this.fn.annotations.releases) {
      if (!s.locks.has(obj))
        s.locks.set(obj, { obj, family: 'context', mode: 'exclusive', irq: 'none', line: this.fn.startLine, count: 1, gapSince: false, fromEntry: true });
    }
  }

  /** Intersect the lock state seen at an op over all paths. */
  private record(block: number, index: number, op: Op, s: State): void {
    if (op.kind !== 'access' && op.kind !== 'list' && op.kind !== 'flag' && op.kind !== 'atomic' && op.kind !== 'call' && op.kind !== 'ref') return;
    const key = `${block}:${index}`;
    const cur = this.sites.get(key);
    if (!cur) {
      this.sites.set(key, { block, index, op, held: new Set(s.locks.keys()), released: new Set(s.released.keys()), clean: s.clean, viaGap: s.viaGap });
      return;
    }
    for (const h of cur.held) if (!s.locks.has(h)) cur.held.delete(h);
    for (const r of cur.released) if (!s.released.has(r)) cur.released.delete(r);
    cur.clean &&= s.clean;
    cur.viaGap ||= s.viaGap;
  }

  private emit(e: EngineEvent, key: string): void {
    if (this.eventKeys.has(key)) return;
    this.eventKeys.add(key);
    this.events.push(e);
  }

  // ---- ops -------------------------------------------------------------------------------------

  private transfer(op: Op, s0: State): State {
    if (inert(op, s0)) {
      // Most ops (reads and writes of fields, barriers, plain atomics) leave the state as it is.
      if (op.kind === 'access') this.access(s0, op);
      return s0;
    }
    const s = this.copyFor(op, s0);
    if ('result' in op && op.result) freshResult(s, op.result);
    switch (op.kind) {
      case 'acquire': {
        const a = this.aliases.has(op.obj) ? { ...op, obj: this.aliases.get(op.obj)! } : op;
        let held: HeldLock | undefined;
        if (a.try) {
          this.pend(s, a.result, { fires: a.try === 'nonzero' ? firesNonzero : a.try === 'errno' ? firesZeroOrNonneg : firesZero, op: a, line: a.line });
          // The _interruptible/_killable ones wait for the lock (the trylocks do not).
          if (a.try === 'errno' && (a.family === 'mutex' || a.family === 'rwsem' || a.family === 'semaphore')) {
            this.sleepCheck(s, { line: a.line, what: a.primitive, why: `${a.primitive}() sleeps`, text: a.text ?? a.primitive });
          }
        } else if (a.marker && (held = this.findHeld(s, a.obj))) {
          // `__acquire(&l); spin_unlock(&l)`: sparse's count of a lock held, which stays held for it.
          s.locks.set(held.obj, { ...held, count: held.count + 1 });
        } else {
          this.acquire(s, {
            obj: a.obj,
            family: a.family,
            mode: a.mode,
            irq: a.irq,
            line: a.line,
            text: a.text ?? a.primitive,
            flags: a.flags,
            scoped: a.scoped,
          });
        }
        this.derefed(s, a.obj);
        break;
      }
      case 'release': {
        const obj = this.aliases.get(op.obj) ?? op.obj;
        // `__release(x)` of a context this path does not hold: the caller's, ended here for sparse.
        if (op.marker && !this.findHeld(s, obj)) s.entryReleased.set(obj, { family: op.family, mode: op.mode, irq: op.irq, line: op.line });
        else this.release(s, { obj, family: op.family, mode: op.mode, irq: op.irq, line: op.line, text: op.text ?? op.primitive });
        break;
      }
      case 'flag':
        this.flag(s, op);
        break;
      case 'ref':
        this.ref(s, op);
        break;
      case 'alloc': {
        const sl = op.gfp ? gfpSleeps(op.gfp, s, this.o.sem) : undefined;
        if (sl) this.sleepCheck(s, { line: op.line, what: op.primitive, why: `${op.primitive}(${op.gfp}) may sleep`, text: op.text ?? op.primitive });
        if (op.obj && op.result) assign(s, op.obj, { k: 'result', id: op.result });
        break;
      }
      case 'free':
        this.cleanup(s, op.line, op.text ?? op.primitive, op.obj, 'free');
        this.freeRefs(s, op.obj, op.line, op.text ?? op.primitive);
        break;
      case 'atomic':
        this.refcount(s, op);
        break;
      case 'call':
        this.call(s, op);
        break;
      case 'access':
        this.access(s, op);
        break;
      case 'assign':
        assign(s, op.target, op.value);
        // A variable given a new value no longer names the object it was an alias of.
        if (/^[A-Za-z_]\w*$/.test(op.target)) unalias(s, op.target);
        if (op.value.k === 'result' && /^[A-Za-z_]\w*$/.test(op.target)) {
          // `x = lookup()` where the callee returns a new reference: x holds it.
          const rr = this.resultRefs.get(op.value.id);
          if (rr) this.takeRef(s, { obj: op.target, pair: rr.pair, source: rr.source, line: op.line, text: op.text ?? rr.callee, via: rr.callee });
          // `child = of_node_get(np)`: the get returns its argument; child names the reference now.
          const src = this.getResults.get(op.value.id);
          const status = !!src && this.isStatusVariable(op.target);
          if (status) {
            // `ret = foo_get(dev)`: an int is a status, not the object; it failed when non-zero or negative.
            const list = s.pending.get(op.value.id);
            if (list?.some((p) => p.undo))
              s.pending.set(
                op.value.id,
                list.map((p) => (p.undo ? { ...p, fires: failedStatus } : p)),
              );
          }
          const k = src && src !== op.target && !status ? refOf(s, src) : undefined;
          if (k && k !== op.target) {
            const r = s.refs.get(k)!;
            if (r.count > 1 && !r.saturated) {
              // `fallback = of_node_get(cur)` while the iterator holds cur: one reference each.
              s.refs.set(k, { ...r, count: r.count - 1 });
              s.refs.set(op.target, { ...r, obj: op.target, count: 1, aliases: [k] });
            } else {
              s.refs.delete(k);
              s.refs.set(op.target, { ...r, obj: op.target, aliases: [...(r.aliases ?? []), k].filter((a) => a !== op.target) });
            }
          }
        } else if (op.value.k === 'result' && isMemory(op.target)) {
          // `e->np = of_node_get(np)`: the reference this get took is the stored copy's.
          const src = this.getResults.get(op.value.id);
          const k = src ? refOf(s, src) : undefined;
          if (k) handOne(s, k, op.line);
        }
        s.dropped.delete(op.target); // a new value: earlier puts were of the old one
        if (s.dropped.size && /^[A-Za-z_]\w*$/.test(op.target)) {
          for (const k of [...s.dropped.keys()]) if (derefs(k, op.target)) s.dropped.delete(k); // and of what it pointed to
        }
        // `b = next_node()`: a lock released through the old `b` is not the new one's.
        if (s.released.size && /^[A-Za-z_]\w*$/.test(op.target)) {
          for (const k of [...s.released.keys()]) if (derefs(k, op.target)) s.released.delete(k);
        }
        if (s.err && op.target === s.err.subject) s.err = null;
        this.escape(s, op.target, op.value);
        break;
      case 'assert':
        if (op.what === 'might-sleep') {
          this.sleepCheck(s, { line: op.line, what: op.primitive, why: 'might_sleep()', text: op.text ?? op.primitive });
        } else if (op.what === 'held' && op.obj && !this.isHeld(s, op.obj)) {
          // lockdep_assert_held: the caller holds it; the function relies on it.
          s.locks.set(op.obj, { obj: op.obj, family: 'context', mode: 'exclusive', irq: 'none', line: op.line, count: 1, gapSince: false, fromEntry: true });
        }
        break;
      case 'gap':
        this.gap(s, op.line);
        break;
      case 'list':
        // A node put on a list escapes: whoever takes it off owns the reference.
        if (op.node && (op.action === 'add' || op.action === 'add-tail' || op.action === 'move' || op.action === 'move-tail')) {
          const root = rootOf(op.node);
          const k = root ? refOf(s, root) : undefined;
          if (k) {
            s.refs.delete(k);
            markHanded(s, k, op.line);
          }
        }
        break;
      default:
        break;
    }
    return s;
  }

  /**
   * The state an op works on: a full copy, or for the two most common ops only the maps they may
   * change (an assignment: facts, puts, references; a call with no summary or handoff: facts).
   */
  private copyFor(op: Op, s0: State): State {
    if (op.kind === 'assign') {
      const v = op.value;
      if (v.k === 'result' && (this.resultRefs.has(v.id) || this.getResults.has(v.id))) return cloneState(s0);
      return cloneOwning(s0, OWN.facts | OWN.rfacts | OWN.pending | OWN.dropped | OWN.refs | OWN.released);
    }
    if (
      op.kind === 'call' &&
      (op.indirect ? !implementations(this.fn, op.callee).length : !this.o.summaries.has(op.callee) && !this.o.sem.deferrers.has(op.callee)) &&
      !this.handoffCallees.has(op.callee)
    ) {
      return cloneOwning(s0, OWN.facts | OWN.rfacts | OWN.pending);
    }
    return cloneState(s0);
  }

  private pend(s: State, id: string | undefined, p: Pending): void {
    if (!id) return; // result ignored: the effect never happens as far as we can tell
    s.pending.set(id, [...(s.pending.get(id) ?? []), p]);
  }

  private fire(s: State, p: Pending): void {
    if (p.undo) {
      const k = refOf(s, p.undo);
      const cur = k ? s.refs.get(k) : undefined;
      if (k && cur) {
        if (cur.count > 1) s.refs.set(k, { ...cur, count: cur.count - 1 });
        else s.refs.delete(k);
        addTrace(s, p.line, '', `the get of '${k}' failed: no reference taken`);
      }
      return;
    }
    const op = p.op;
    if (op?.kind === 'acquire')
      this.acquire(s, { obj: op.obj, family: op.family, mode: op.mode, irq: op.irq, line: op.line, text: op.text ?? op.primitive, flags: op.flags });
    else if (op?.kind === 'ref')
      this.takeRef(s, { obj: op.obj, pair: op.pair, source: op.source, line: op.line, text: op.text ?? op.primitive, member: op.member });
    else if (op?.kind === 'flag') this.setFlag(s, `${op.word}:${op.bit}`, op.line, op.text ?? op.primitive);
    if (p.effect) this.applyEffects(s, p.effect, p.line, p.via ?? '?');
  }

  /**
   * A lock inside what a pointer points to (`&t->mtx`), or the lock a pointer points to
   * (`spin_lock(root_lock)`), was taken or dropped: the pointer is not NULL here, so a later
   * `if (t)` is decided.
   */
  private derefed(s: State, obj: string): void {
    const p = parsePath(obj);
    const bare = !!p && !p.addr && !p.derefs && !p.steps.length;
    const root = p?.root.k === 'var' && (p.steps[0]?.op === '->' || bare) ? p.root.name : null;
    if (!root || !this.isPointerLocal(root)) return;
    const cur = s.facts.get(root);
    if (cur && cur.t !== 'result') return;
    const fire = learnNonNull(s, root);
    if (fire) for (const p of fire) this.fire(s, p);
  }

  private isPointerLocal(name: string): boolean {
    const d = this.fn.locals.find((l) => l.name === name) ?? this.fn.params.find((p) => p.name === name);
    return !!d && d.type.includes('*');
  }

  /** A local of an integer type (not bool, not a pointer): holds a status or a count. */
  private isStatusVariable(name: string): boolean {
    const d = this.fn.locals.find((l) => l.name === name) ?? this.fn.params.find((p) => p.name === name);
    return !!d && !d.type.includes('*') && !/\bbool\b/.test(d.type) && /\b(int|long|short|s8|s16|s32|s64|ssize_t)\b/.test(d.type);
  }

  private isHeld(s: State, obj: string): boolean {
    return s.locks.has(obj);
  }

  private typed(obj: string): string | undefined {
    return typedObject(this.fn, obj) ?? undefined;
  }

  private acquire(s: State, a: LockMove & { via?: { callee: string; line: number | null; always: boolean }; scoped?: boolean }): void {
    const { obj, family, mode, irq, line, text, flags, via, scoped } = a;
    const irqsOff = irqsDisabled(s);
    const bhOff = irqsOff || bhDisabled(s);
    if (!via) this.emit({ k: 'lock-context', line, obj, family, irq, irqsOff, bhOff, text }, `ctx:${obj}:${line}:${irqsOff}:${bhOff}`);
    // Through a callee, its summary's may-sleep already said so at this call.
    if (!via && (family === 'mutex' || family === 'rwsem' || family === 'semaphore')) {
      this.sleepCheck(s, { line, what: text, why: `taking ${family === 'rwsem' ? 'a rw_semaphore' : `a ${family}`} may sleep`, text });
    }
    const held = s.locks.get(obj);
    // Taking back the caller's lock after dropping it (around a sleep): it is the caller's again.
    const retake = !held && s.entryReleased.has(obj);
    if (!held)
      this.emit(
        { k: 'acquire', line, obj, family, mode, irq, block: this.block, via: via?.callee, afterGap: s.viaGap, retake },
        `acq:${obj}:${line}:${via?.callee ?? ''}`,
      );
    if (held) {
      // A nesting lock (rcu_read_lock) taken again, also over the caller's that an annotation
      // names (`__acquires(RCU)`, held as a plain context): one more level, not a deadlock.
      if (nests(family, mode) && (nests(held.family, held.mode) || held.family === 'context')) {
        s.locks.set(obj, { ...held, count: held.count + 1 });
      } else if (manyInstances(this.fn, obj) || reassignedInLoop(this.fn, obj)) {
        // `&tbl[i].lock` in a loop: another element of the array, as far as we can tell.
      } else {
        this.emit(
          { k: 'double-acquire', line, obj, text, held, via, viaGap: s.viaGap, block: this.block, trace: traceSteps(s) },
          `dbl:${obj}:${line}:${via?.callee ?? ''}`,
        );
        // A recursive read of a rw_semaphore succeeds unless a writer queues: both reads are released later.
        if (family === 'rwsem' && mode === 'read' && held.mode === 'read') s.locks.set(obj, { ...held, count: held.count + 1 });
      }
      return;
    }
    if (flags && irq === 'irqsave') {
      const other = [...s.locks.values()].find((l) => l.flags === flags && l.irq === 'irqsave');
      if (other) this.emit({ k: 'flags-reused', line, obj, text, other, flags, trace: traceSteps(s) }, `flags:${obj}:${line}`);
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
      typed: this.typed(obj),
      ...(retake ? { fromEntry: true } : {}),
    });
    s.released.delete(obj);
    if (retake) s.entryReleased.delete(obj);
  }

  private findHeld(s: State, obj: string): HeldLock | undefined {
    const direct = s.locks.get(obj);
    if (direct) return direct;
    const t = this.typed(obj);
    if (t) for (const l of s.locks.values()) if (l.typed === t || l.obj === t) return l;
    return undefined;
  }

  private release(s: State, r: LockMove & { via?: string }): void {
    const { obj, family, mode, irq, line, text, via } = r;
    const held = this.findHeld(s, obj);
    this.cleanup(s, line, text, obj, 'release');
    if (held) {
      if (!via && !held.fromEntry && held.family !== 'context' && irqMismatch(held.irq, irq)) {
        this.emit({ k: 'irq-release-mismatch', line, obj, text, held, releasedIrq: irq, trace: traceSteps(s) }, `irqrel:${obj}:${line}`);
      }
      if (irq === 'irq') {
        const other = [...s.locks.values()].find((l) => l !== held && (l.irq === 'irq' || l.irq === 'irqsave' || l.family === 'local_irq'));
        if (other) this.emit({ k: 'irq-enable-nested', line, obj, text, other, trace: traceSteps(s) }, `irqnest:${obj}:${line}`);
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
      if (held.fromEntry) s.entryReleased.set(obj, { family, mode, irq, line });
      s.released.set(obj, line);
      addTrace(s, line, text, via ? `releases '${obj}' inside ${via}()` : `releases '${obj}'`);
      return;
    }
    // The same unlock on a later pass over a reassigned cursor, or a cursor's lock taken on another
    // pass: another object each time.
    const cursor = reassignedInLoop(this.fn, obj);
    if (manyInstances(this.fn, obj) || (cursor && (!s.released.has(obj) || s.released.get(obj) === line))) {
      s.released.set(obj, line);
      return;
    }
    if (s.released.has(obj)) {
      this.emit(
        { k: 'release-unheld', line, obj, family, text, double: true, prevLine: s.released.get(obj) ?? null, via, viaGap: s.viaGap, trace: traceSteps(s) },
        `unheld:${obj}:${line}:${via ?? ''}`,
      );
      return;
    }
    // Whether the caller holds it follows an argument (`if (!locked) spin_lock(..)`): not known here.
    if (s.clean && !this.entry.unknown.has(obj)) {
      this.emit(
        { k: 'release-unheld', line, obj, family, text, double: false, prevLine: null, via, viaGap: false, trace: traceSteps(s) },
        `unheld:${obj}:${line}:${via ?? ''}`,
      );
    }
    // Not known to be held or free here: it was held on entry (or taken in a gap).
    s.entryReleased.set(obj, { family, mode, irq, line });
    s.released.set(obj, line);
    addTrace(s, line, text, `releases '${obj}' (held on entry)`);
  }

  private setFlag(s: State, key: string, line: number | null, text: string): void {
    s.flags.set(key, { key, line, gapSince: false });
    s.flags.delete(`${CYCLED}${key}`);
    this.emit({ k: 'flag-set', line, key }, `flag:${key}:${line}`);
    addTrace(s, line, text, `sets ${key.replace(':', ' bit ')}`);
  }

  /** A flag this path set, cleared again: remembered (as `~key`) so exits can tell "set, then cleared" from "never set". */
  private clearFlag(s: State, key: string, line: number | null, text: string, note: string): void {
    const f = s.flags.get(key);
    if (!f) return;
    s.flags.delete(key);
    s.flags.set(`${CYCLED}${key}`, { ...f, line });
    addTrace(s, line, text, note);
    this.emit({ k: 'flag-cleared', line, key }, `fclr:${key}`);
  }

  private flag(s: State, op: Extract<Op, { kind: 'flag' }>): void {
    const key = `${op.word}:${op.bit}`;
    const text = op.text ?? op.primitive;
    switch (op.action) {
      case 'set':
        this.setFlag(s, key, op.line, text);
        break;
      case 'test-set':
        // Set by us only where the old value was 0.
        this.pend(s, op.result, { fires: firesZero, op, line: op.line });
        break;
      case 'clear':
      case 'test-clear':
        this.clearFlag(s, key, op.line, text, `clears ${op.bit}`);
        break;
      case 'test':
        if (op.result && s.flags.has(key)) s.rfacts.set(op.result, { t: 'nonzero' });
        break;
      default:
        break;
    }
  }

  private takeRef(s: State, r: RefMove & { init?: boolean }): void {
    const { pair, source, line, text, via, init } = r;
    const obj = refKey(r.obj, r.member);
    const cur = s.refs.get(obj);
    // Stored first, referenced second (`j->log = log; get_file(log);`, `sg_set_page(sge, p); get_page(p);`):
    // the reference is the stored copy's, owned where it was stored.
    if (!cur && wasHanded(s, obj)) {
      this.emit({ k: 'ref-taken', line, obj, pair, copy: true }, `rtc:${obj}:${line}`);
      addTrace(s, line, text, `takes a reference for the copy stored earlier: ${obj} (${pair})`);
      return;
    }
    // `get_page(v->pages[i])` in a loop: the name stands for several objects, each taken once.
    const many = !!cur && (manyInstances(this.fn, obj) || reassignedInLoop(this.fn, obj));
    const count = many ? cur.count : (cur?.count ?? 0) + 1;
    const saturated = !!cur?.saturated || count > REF_COUNT_CAP;
    const copies = cur ? cur.aliases : this.copySource(obj);
    s.refs.set(obj, {
      obj,
      pair,
      line,
      source,
      count: Math.min(count, REF_COUNT_CAP),
      gapSince: false,
      ...(init && !cur ? { init: true } : {}),
      ...(saturated ? { saturated } : {}),
      ...(copies?.length ? { aliases: copies } : {}),
    });
    s.dropped.delete(obj);
    this.emit({ k: 'ref-taken', line, obj, pair }, `rt:${obj}:${line}`);
    addTrace(s, line, text, via ? `takes a reference: ${obj} (${pair}) inside ${via}()` : `takes a reference: ${obj} (${pair})`);
  }

  /**
   * `struct sock *sk = (struct sock *)msk;` then a get on `sk`: the only value `sk` ever has is
   * `msk`'s, so storing or returning `msk` hands the reference on (until `msk` is reassigned).
   */
  private copySource(obj: string): string[] | undefined {
    if (!/^[A-Za-z_]\w*$/.test(obj)) return undefined;
    if (!this.copySources) {
      // Per variable: the local it is assigned from, when that is its only assignment ('' otherwise).
      const m = new Map<string, string>();
      for (const b of this.fn.blocks) {
        for (const op of b.ops) {
          if (op.kind !== 'assign' || !/^[A-Za-z_]\w*$/.test(op.target)) continue;
          const from = op.value.k === 'var' && this.isLocal(op.value.name) ? op.value.name : '';
          m.set(op.target, m.has(op.target) ? '' : from);
        }
      }
      this.copySources = m;
    }
    const from = this.copySources.get(obj);
    return from ? [from] : undefined;
  }

  private copySources: Map<string, string> | null = null;

  private keys: KeyResolver | null = null;
  /** The struct member a lock is, however it is reached (the race checks' typed key); null when a type is not shown. */
  private memberKey(obj: string): string | null {
    this.keys ??= new KeyResolver([this.fn]);
    const k = this.keys.data(this.fn, obj);
    return k?.typed ? k.key : null;
  }

  /**
   * Freed with its count: a fresh object never published (`kfree(candidate)`) takes the
   * references on it with it, so none is kept.
   */
  private freeRefs(s: State, obj: string, line: number | null, text: string): void {
    const k = refOf(s, obj);
    if (!k) return;
    s.refs.delete(k);
    s.dropped.set(k, line);
    addTrace(s, line, text, `frees ${k} with its references`);
  }

  private ref(s: State, op: Extract<Op, { kind: 'ref' }>): void {
    const text = op.text ?? op.primitive;
    if (this.o.sem.sleeps(op.primitive)) this.sleepCheck(s, { line: op.line, what: op.primitive, why: `${op.primitive}() may sleep`, text });
    if (op.action === 'get') {
      if (op.succeeds && op.result) {
        const fires = { zero: firesZero, nonzero: firesNonzero, nonnull: firesNonnull, errno: firesZeroOrNonneg }[op.succeeds];
        this.pend(s, op.result, { fires, op, line: op.line });
        // obj = the variable the result went to: the assign that follows links it.
        return;
      }
      this.takeRef(s, { obj: op.obj, pair: op.pair, source: op.source, line: op.line, text, member: op.member });
      if (op.result && MAPPING_PAIRS.has(op.pair)) s.rfacts.set(op.result, { t: 'valid' }); // a mapping is never NULL
      if (op.result) {
        this.getResults.set(op.result, refKey(op.obj, op.member));
        // A pair guessed from names says nothing of its result: when the code tests it, a NULL,
        // false or negative result is a get that failed (`if (!foo_get(buf)) return -EFAULT;`).
        if (op.source === 'name') this.pend(s, op.result, { fires: failedGet, undo: refKey(op.obj, op.member), line: op.line });
      }
      return;
    }
    if (op.action === 'keep') {
      // Stored by the callee with the reference: no longer this function's to drop.
      const k = refOf(s, op.obj);
      if (k) s.refs.delete(k);
      markHanded(s, k ?? op.obj, op.line);
      if (k) addTrace(s, op.line, text, `hands the reference on: ${k} kept by ${op.primitive}()`);
      return;
    }
    if (op.step) {
      // The iterator's next step drops the previous cursor's reference, if one is held.
      const k = refOf(s, refKey(op.obj, op.member));
      const cur = k ? s.refs.get(k) : undefined;
      if (k && cur) {
        if (cur.count > 1) s.refs.set(k, { ...cur, count: cur.count - 1 });
        else s.refs.delete(k);
      }
      return;
    }
    this.putRef(s, { obj: op.obj, pair: op.pair, source: op.source, line: op.line, text, member: op.member });
  }

  private putRef(s: State, r: RefMove): void {
    const { pair, source, line, text, via, member } = r;
    const obj = refOf(s, refKey(r.obj, member)) ?? refKey(r.obj, member);
    if (!s.refs.has(obj)) this.undecidedGet(s, obj);
    const cur = s.refs.get(obj);
    // `of_node_put(port)` after the loop ran out: the cursor is NULL there, the put does nothing.
    if (!cur && !member && truthOf(valueOf({ k: 'var', name: r.obj }, s)) === false) return;
    // A put known only by its name proves nothing about a reference this path did not take.
    if (!cur && source === 'name') return;
    this.cleanup(s, line, text, obj, 'put');
    if (cur) {
      if (cur.count > 1) s.refs.set(obj, { ...cur, count: cur.count - 1 });
      else s.refs.delete(obj);
      // The last of a count the walk lost track of proves nothing about a put that follows.
      if (!cur.saturated || cur.count > 1) s.dropped.set(obj, line);
      addTrace(s, line, text, via ? `drops the reference: ${obj} inside ${via}()` : `drops the reference: ${obj}`);
      return;
    }
    // Stored on this path (`w->task = t`), then dropped: the store was a copy of a pointer this
    // function still owned, and this put gives that reference back.
    if (wasHanded(s, obj) && !s.dropped.has(obj)) {
      s.dropped.delete(`>${obj}`);
      s.dropped.set(obj, line);
      addTrace(s, line, text, `drops the reference: ${obj} (stored earlier as a copy)`);
      return;
    }
    // Per-element puts (`put_page(v->pages[i])` in a loop, `css_put(w->css)` over a list cursor):
    // another object on each pass, neither a double put nor a put of something not taken.
    const cursor = reassignedInLoop(this.fn, obj);
    if (manyInstances(this.fn, obj) || (cursor && (!s.dropped.has(obj) || s.dropped.get(obj) === line))) {
      s.dropped.set(obj, line);
      return;
    }
    // Two counts embedded in one structure (`&d->kref`, `&d->io_ref`, `&acc->total.kobj`) are two
    // objects: dropping each once is no double put; the same one twice, or the structure itself, is.
    const count = member ? `${obj}#${r.obj}` : null;
    if (s.dropped.has(obj) && (!count || s.dropped.has(count) || !droppedByCount(s, obj))) {
      this.emit(
        {
          k: 'double-put',
          line,
          obj,
          pair,
          source,
          handed: s.entryPut.has(obj),
          prevLine: s.dropped.get(count ?? obj) ?? s.dropped.get(obj) ?? null,
          text,
          viaGap: s.viaGap,
          via,
          trace: traceSteps(s),
        },
        `dput:${obj}:${line}`,
      );
    } else if (!s.dropped.has(obj)) {
      if (s.clean) this.emit({ k: 'put-unheld', line, obj, pair, source, text, via, trace: traceSteps(s) }, `punheld:${obj}:${line}`);
      s.entryPut.set(obj, { pair, source, line, ...(member && r.obj !== obj ? { count: r.obj } : {}) });
    }
    s.dropped.set(obj, line);
    if (count) s.dropped.set(count, line);
  }

  /**
   * A put of what a lookup returned, where the path never tested whether the lookup succeeded:
   * the code knows it did, so the reference was taken.
   */
  private undecidedGet(s: State, obj: string): void {
    for (const [id, list] of s.pending) {
      const p = list.find(
        (x) => x.op?.kind === 'ref' && x.op.action === 'get' && (refOf(s, refKey(x.op.obj, x.op.member)) ?? refKey(x.op.obj, x.op.member)) === obj,
      );
      if (!p) continue;
      const left = list.filter((x) => x !== p);
      if (left.length) s.pending.set(id, left);
      else s.pending.delete(id);
      this.fire(s, p);
      return;
    }
  }

  /** refcount_t is a reference count by type: increments are gets, decrements puts. */
  private refcount(s: State, op: Extract<Op, { kind: 'atomic' }>): void {
    const text = op.text ?? op.primitive;
    // A fresh object's first reference: kref_init(&r->ref), refcount_set(&r->count, 1).
    if (op.action === 'set' && (op.family === 'kref' || (op.family === 'refcount' && /,\s*1\s*\)\s*;?\s*$/.test(text)))) {
      this.takeRef(s, { obj: op.obj, pair: op.family, source: 'primitive', line: op.line, text, member: true, init: true });
      return;
    }
    if (op.family !== 'refcount') return;
    switch (op.action) {
      case 'inc':
        this.takeRef(s, { obj: op.obj, pair: 'refcount', source: 'primitive', line: op.line, text, member: true });
        break;
      case 'inc-not-zero':
        if (op.result)
          this.pend(s, op.result, {
            fires: firesNonzero,
            op: {
              kind: 'ref',
              action: 'get',
              obj: op.obj,
              pair: 'refcount',
              source: 'primitive',
              member: true,
              primitive: op.primitive,
              line: op.line,
              row: op.row,
              text,
            },
            line: op.line,
          });
        break;
      case 'dec':
      case 'dec-and-test':
        this.putRef(s, { obj: op.obj, pair: 'refcount', source: 'primitive', line: op.line, text, member: true });
        break;
      case 'sub-and-test':
        // Drops as many as it is told: a put of what this path holds, otherwise no count to check.
        if (refOf(s, refKey(op.obj, true))) this.putRef(s, { obj: op.obj, pair: 'refcount', source: 'primitive', line: op.line, text, member: true });
        break;
      default:
        break;
    }
  }

  /** Error-path bookkeeping for a release/put/free. */
  private cleanup(s: State, line: number | null, text: string, obj: string, kind: 'release' | 'put' | 'free'): void {
    const e = s.err;
    if (!e) return;
    if (!e.fellThrough) {
      if (!e.cleanup && dominates(this.cfg, e.succ, this.block)) s.err = { ...e, cleanup: { line, text, obj, kind } };
      return;
    }
    if (e.cleanup && e.cleanup.obj === obj) {
      this.emit(
        {
          k: 'err-fallthrough',
          line: e.line ?? line,
          subject: e.subject,
          branchLine: e.line,
          cleanup: e.cleanup,
          use: { line, text, what: `${kind === 'release' ? 'releases' : kind === 'put' ? 'drops' : 'frees'} '${obj}' again` },
          trace: traceSteps(s),
        },
        `eft:${e.succ}`,
      );
    }
  }

  private sleepCheck(s: State, c: { line: number | null; what: string; why: string; text: string; via?: string; root?: SleepRoot }): void {
    const { line, what, why, text, via, root } = c;
    // The locks our own caller holds that this path (or the callee, before it sleeps) has dropped.
    const drops = [...new Set([...(root?.drops ?? []), ...s.entryReleased.keys()])];
    this.emit(
      { k: 'may-sleep', line, what, why, root: { ...(root ?? { why, line, via: [], always: true }), drops }, block: this.block },
      `msl:${line}:${what}`,
    );
    const dropped = new Set(root?.drops ?? []);
    const atomic = [...s.locks.values()].filter((l) => isAtomicFamily(l) && !dropped.has(l.obj));
    if (!atomic.length) return;
    this.emit(
      { k: 'sleep', line, what, why, atomic, via, sometimes: root ? !root.always : false, viaGap: s.viaGap, text, trace: traceSteps(s) },
      `sleep:${line}:${what}:${via ?? ''}`,
    );
  }

  /**
   * An ops-table call whose every implementation in the unit does the same to locks and
   * references: a call of the first of them.
   */
  private resolveIndirect(op: Extract<Op, { kind: 'call' }>): Extract<Op, { kind: 'call' }> | null {
    const impls = implementations(this.fn, op.callee);
    if (!impls.length) return null;
    const sums = impls.map((f) => (f === this.fn.name ? undefined : this.o.summaries.get(f)));
    if (sums.some((x) => !x)) return null;
    const shape = (x: Summary): string => {
      const pos = x.params.map((_, i) => `$${i}`);
      const at = (o: string): string => substitute(o, x.params, pos, x.locals) ?? '?';
      return JSON.stringify([
        x.acquires.map((a) => at(a.obj)).sort(),
        x.exits.map((e) => [e.cls, !!e.unknown, e.acquired.map((a) => at(a.obj)).sort(), e.released.map((r) => at(r.obj)).sort()]).sort(),
        x.refs.gets.map((g) => at(g.obj)).sort(),
        x.refs.puts.map((g) => at(g.obj)).sort(),
      ]);
    };
    const first = shape(sums[0]!);
    if (sums.some((x) => shape(x!) !== first)) return null;
    return { ...op, callee: impls[0]!, indirect: false };
  }

  private call(s: State, op0: Extract<Op, { kind: 'call' }>): void {
    const op = op0.indirect ? (this.resolveIndirect(op0) ?? op0) : op0;
    const text = op.text ?? `${op.callee}()`;
    // `lookup(..., &x)` may store a new object in x: what was dropped before was the old one.
    if (s.dropped.size) for (const a of op.argText) if (/^&[A-Za-z_]\w*$/.test(a) && s.dropped.has(a.slice(1))) s.dropped.delete(a.slice(1));
    if (!op.indirect) {
      const irqsOff = irqsDisabled(s);
      const bhOff = irqsOff || bhDisabled(s);
      this.emit({ k: 'call-context', line: op.line, callee: op.callee, irqsOff, bhOff }, `cctx:${op.callee}:${op.line}:${irqsOff}:${bhOff}`);
    }
    if (!op.indirect && this.o.sem.sleeps(op.callee)) this.sleepCheck(s, { line: op.line, what: op.callee, why: `${op.callee}() may sleep`, text });
    if (!op.indirect && this.o.sem.deferrers.has(op.callee)) this.defer(s, op, text);
    for (const h of this.o.sem.handoffs) {
      if (h.acquire === op.callee) {
        const obj = h.lock;
        if (op.result)
          this.pend(s, op.result, {
            fires: (f) => f.t !== 'errptr' && f.t !== 'bad' && f.t !== 'null' && f.t !== 'zero' && f.t !== 'neg',
            op: { ...op, kind: 'acquire', obj, family: 'context', mode: 'exclusive', irq: 'none', primitive: op.callee } as Op,
            line: op.line,
          });
        else this.acquire(s, { obj, family: 'context', mode: 'exclusive', irq: 'none', line: op.line, text });
      }
      if (h.release === op.callee && s.locks.has(h.lock))
        this.release(s, { obj: h.lock, family: 'context', mode: 'exclusive', irq: 'none', line: op.line, text });
    }
    const sum = op.indirect || op.callee === this.fn.name ? undefined : this.o.summaries.get(op.callee);
    if (sum) this.applySummary(s, op, sum);
    forgetAfterCall(s, op.argText, this.isLocal);
    // `of_parse_phandle_with_args(.., &args)`, `grab_folios(.., folio)` with a local array: the
    // callee may fill it anew; what was dropped through it was the old value.
    // (A plain call's state shares its `dropped` map with the one before it: copy before changing.)
    if (s.dropped.size) {
      for (const a of op.argText) {
        const m = /^(&?)([A-Za-z_]\w*)$/.exec(a);
        const v = m?.[2];
        if (!v || !this.isLocal(v) || (!m[1] && !this.fn.locals.some((l) => l.name === v && l.type.includes('[')))) continue;
        const stale = [...s.dropped.keys()].filter((k) => rootOf(k.startsWith('>') ? k.slice(1) : k) === v);
        if (!stale.length) continue;
        s.dropped = new Map(s.dropped);
        for (const k of stale) s.dropped.delete(k);
      }
    }
    // Passing an error pointer into a call after the error branch fell through uses it.
    if (s.err?.fellThrough && op.argText.some((a) => a === s.err!.subject)) {
      // Only a dereference is certain misuse; passing it on is not reported.
    }
  }

  /**
   * `queue_work(wq, &v->work)`: the object goes to another context that finishes the work. The
   * busy bits this path set in it and the reference it holds on it are that work's now.
   */
  private defer(s: State, op: Extract<Op, { kind: 'call' }>, text: string): void {
    const roots = new Set(op.argText.map((a) => rootOf(a)).filter((r): r is string => !!r));
    if (!roots.size) return;
    for (const key of [...s.flags.keys()]) {
      const root = rootOf(key.slice(0, key.lastIndexOf(':')));
      if (!root || !roots.has(root)) continue;
      s.flags.delete(key);
      addTrace(s, op.line, text, `hands ${key.slice(key.lastIndexOf(':') + 1)} to the deferred work`);
    }
    for (const root of roots) {
      const k = refOf(s, root);
      // Queued first, referenced second (`if (!mod_timer(&n->timer, t)) neigh_hold(n);`): the
      // get that follows is the work's.
      if (!k) {
        markHanded(s, root, op.line);
        continue;
      }
      s.refs.delete(k);
      markHanded(s, k, op.line);
      addTrace(s, op.line, text, `hands the reference on: ${k} goes with the deferred work`);
    }
  }

  private mapArgs(sum: Summary, op: Extract<Op, { kind: 'call' }>, obj: string): string | null {
    const m = substitute(obj, sum.params, op.argText, sum.locals);
    return m ? this.ownLockName(m) : m;
  }

  /** The locks this function takes or drops itself, with the struct member each one is. */
  private ownLocks: Map<string, string | null> | null = null;
  /**
   * A callee's lock in our terms, reached through a back-pointer (`wait_permit(&pool->limiter)`
   * releasing `&limiter->pool->lock`, i.e. `&pool->limiter.pool->lock`): the lock this function
   * takes or drops itself that is the same struct member, when exactly one is.
   */
  private ownLockName(obj: string): string {
    if (!this.ownLocks) {
      this.ownLocks = new Map();
      for (const b of this.fn.blocks) {
        for (const op of b.ops)
          if ((op.kind === 'acquire' || op.kind === 'release') && !this.ownLocks.has(op.obj)) this.ownLocks.set(op.obj, this.memberKey(op.obj));
      }
    }
    // Only a second dereference from the same root can lead back to it.
    if (!this.ownLocks.size || this.ownLocks.has(obj) || obj.split('->').length < 3) return obj;
    const c = this.memberKey(obj);
    if (!c) return obj;
    const root = rootOf(obj);
    const same = [...this.ownLocks].filter(([l, lc]) => lc === c && rootOf(l) === root);
    return same.length === 1 ? same[0]![0] : obj;
  }

  private applySummary(s: State, op: Extract<Op, { kind: 'call' }>, sum: Summary): void {
    const text = op.text ?? `${op.callee}()`;
    // Locks the callee takes while we hold them: self-deadlock.
    for (const a of sum.acquires) {
      const obj = this.mapArgs(sum, op, a.obj);
      if (!obj || nests(a.family, a.mode)) continue;
      const held = s.locks.get(obj);
      // A callee that needs the lock held (it drops and takes back its caller's lock, as
      // `__releases(x) __acquires(x)` says) takes it again only after letting it go.
      const retakes = sum.requires.some((r) => r.obj === a.obj);
      if (held && !nests(held.family, held.mode) && !retakes) {
        this.emit(
          {
            k: 'double-acquire',
            line: op.line,
            obj,
            text,
            held,
            via: { callee: op.callee, line: a.line, always: a.always },
            viaGap: s.viaGap,
            block: this.block,
            trace: traceSteps(s),
          },
          `dbl:${obj}:${op.line}:${op.callee}`,
        );
      } else if (!held) {
        // Taken inside the callee: part of this function's summary too (callers two levels up),
        // unless it takes back the caller's lock this function dropped.
        this.emit(
          {
            k: 'acquire',
            line: op.line,
            obj,
            family: a.family,
            mode: a.mode,
            irq: a.irq,
            block: this.block,
            via: op.callee,
            sometimes: !a.always,
            afterGap: s.viaGap,
            retake: s.entryReleased.has(obj),
          },
          `acq:${obj}:${op.line}:${op.callee}`,
        );
      }
    }
    // Flags the callee clears (a completion helper clearing the caller's busy bit).
    for (const k of sum.flagClears) {
      const at = k.lastIndexOf(':');
      const word = this.mapArgs(sum, op, k.slice(0, at));
      if (word) this.clearFlag(s, `${word}:${k.slice(at + 1)}`, op.line, text, `clears ${k.slice(at + 1)} inside ${op.callee}()`);
    }
    // References the callee moves.
    for (const g of sum.refs.gets) {
      const obj = this.mapArgs(sum, op, g.obj);
      if (obj) this.takeRef(s, { obj, pair: g.pair, source: g.source, line: op.line, text, via: op.callee, init: g.init });
    }
    for (const f of sum.frees ?? []) {
      const obj = this.mapArgs(sum, op, f);
      if (obj) this.freeRefs(s, obj, op.line, `${text} (frees ${obj} inside ${op.callee}())`);
    }
    for (const p of sum.refs.puts) {
      // An embedded count (`&sqd->free_refs`) stays that count: not the object's other ones.
      const count = p.count ? this.mapArgs(sum, op, p.count) : null;
      const obj = count ?? this.mapArgs(sum, op, p.obj);
      if (obj) this.putRef(s, { obj, pair: p.pair, source: p.source, line: op.line, text, via: op.callee, ...(count ? { member: true } : {}) });
    }
    if (sum.refs.returns && op.result) this.resultRefs.set(op.result, { pair: sum.refs.returns.pair, source: sum.refs.returns.source, callee: op.callee });
    if (sum.maySleep) {
      const r = sum.maySleep;
      const root: SleepRoot = {
        why: r.why,
        line: r.line,
        via: [op.callee, ...r.via],
        always: r.always,
        drops: r.drops.flatMap((d) => this.mapArgs(sum, op, d) ?? []),
      };
      const through =
        root.via.length > 1
          ? ` through ${root.via
              .slice(1)
              .map((f) => `${f}()`)
              .join(' -> ')}`
          : '';
      this.sleepCheck(s, {
        line: op.line,
        what: op.callee,
        why: `${op.callee}() may sleep (${r.why}${r.line !== null ? ` at line ${r.line}` : ''}${through}${r.always ? '' : ', on some of its paths'})`,
        text,
        via: op.callee,
        root,
      });
    }
    // The exits this call can reach: what the arguments say rules some out (`stop(x, false)`).
    const exits = exitsForArgs(
      sum,
      op.args.map((a) => valueOf(a, s)),
    );
    if (exits.some((e) => e.unknown)) {
      // Some of its exits cannot be seen (a partial body): what it does to its locks is unknown,
      // except what its annotations promise.
      const c = sum.contract;
      const promised = new Set([...c.acquires, ...c.releases]);
      this.havoc(
        s,
        sum.touches.filter((r) => !promised.has(r.obj)).flatMap((r) => this.mapArgs(sum, op, r.obj) ?? []),
        op.line,
        text,
        op.callee,
      );
      const refs = (objs: string[]): LockEffectSet['acquired'] =>
        objs.flatMap((o) => {
          const obj = this.mapArgs(sum, op, o);
          return obj ? [{ obj, family: 'context' as const, mode: 'exclusive' as const, irq: 'none' as const, line: null }] : [];
        });
      this.applyEffects(s, { acquired: refs(c.acquires), released: refs(c.releases) }, op.line, op.callee);
      return;
    }
    const { common, byClass } = splitEffects(exits);
    const map = (e: LockEffectSet['acquired']): LockEffectSet['acquired'] =>
      e.flatMap((r) => {
        const obj = this.mapArgs(sum, op, r.obj);
        return obj ? [{ ...r, obj }] : [];
      });
    this.applyEffects(s, { acquired: map(common.acquired), released: map(common.released) }, op.line, op.callee);
    if (op.result && byClass.length) {
      // Effects that depend on the return value wait until the caller's tests select one exit.
      const all = exits;
      for (const e of byClass) {
        const mine = all.find((x) => x.cls === e.cls)!;
        this.pend(s, op.result, {
          fires: (f) => {
            const sel = exitsSelected(all, f);
            return sel.size === 1 && sel.has(mine);
          },
          alive: (f) => exitsSelected(all, f).has(mine),
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

  private applyEffects(s: State, e: LockEffectSet, line: number | null, callee: string): void {
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

  private access(s: State, op: Extract<Op, { kind: 'access' }>): void {
    const e = s.err;
    if (!e?.fellThrough || !e.cleanup) return;
    const p = op.path.replace(/^&/, '');
    // The failed value, or memory the error branch freed.
    const used = derefs(p, e.subject) ? e.subject : e.cleanup.kind === 'free' && derefs(p, e.cleanup.obj) ? e.cleanup.obj : null;
    if (used) {
      this.emit(
        {
          k: 'err-fallthrough',
          line: e.line,
          subject: e.subject,
          branchLine: e.line,
          cleanup: e.cleanup,
          use: { line: op.line, text: op.text ?? op.path, what: used === e.subject ? `dereferences '${used}'` : `uses '${used}' after freeing it` },
          trace: traceSteps(s),
        },
        `eft:${e.succ}`,
      );
    }
  }

  /** A reference stored into memory or returned leaves the function's responsibility. */
  private escape(s: State, target: string, value: Expr): void {
    // The variable itself, or the address of a member of what it points to (`*res = &td->dev`).
    const name =
      value.k === 'var'
        ? value.name
        : value.k === 'path' && value.path.startsWith('&')
          ? rootOf(value.path)
          : // `*obuf = *ibuf`: a copy of the whole object carries the reference with it.
            value.k === 'path' && /^\*[A-Za-z_]\w*$/.test(value.path) && /^\*[A-Za-z_]\w*$/.test(target)
            ? value.path.slice(1)
            : null;
    const from = name ? refOf(s, name) : undefined;
    // `&obj->member` in a local is a pointer into the object, not its owner; in a value temporary
    // (`$t1`, a ternary's value) it is what the expression hands on.
    if (from && value.k === 'path' && !target.startsWith('$') && !isMemory(target)) return;
    if (!from) {
      // A ref'd variable overwritten by a NULL/error result is a failed get.
      const t = refOf(s, target);
      if (t && isNullOrErr(s, target)) s.refs.delete(t);
      // Stored before any reference is taken: a get that follows is for the stored copy.
      if (name && value.k === 'var' && isMemory(target)) markHanded(s, name, null);
      return;
    }
    if (isMemory(target)) {
      s.refs.delete(from);
      markHanded(s, from, null);
    } else {
      // Copy to another local: follow the new name, the old one still names it.
      const r = s.refs.get(from)!;
      s.refs.delete(from);
      s.refs.set(target, { ...r, obj: target, aliases: [...(r.aliases ?? []), from].filter((a) => a !== target) });
    }
  }

  private gap(s: State, line: number | null): void {
    s.viaGap = true;
    s.clean = false;
    s.released.clear();
    s.dropped.clear();
    for (const [k, l] of s.locks) if (!l.gapSince) s.locks.set(k, { ...l, gapSince: true });
    for (const [k, r] of s.refs) if (!r.gapSince) s.refs.set(k, { ...r, gapSince: true });
    for (const [k, f] of s.flags) if (!f.gapSince) s.flags.set(k, { ...f, gapSince: true });
    addTrace(s, line, '...', 'code not shown in the patch (gap)');
  }

  // ---- terminators -------------------------------------------------------------------------------

  private terminate(block: Block, s: State): { b: number; s: State }[] {
    const t = block.term;
    switch (t.k) {
      case 'jump': {
        if (t.why !== 'goto' || t.line === null) return this.edge(block.id, t.to, s, t.why);
        // An unwinding ladder's goto is where a path picks its cleanup: the trace says which.
        const st = cloneOwning(s, 0);
        addTrace(st, t.line, t.label ? `goto ${t.label}` : 'goto', 'jumps to the label');
        return this.edge(block.id, t.to, st, t.why);
      }
      case 'branch':
        return this.branch(block, t, s);
      case 'switch': {
        const out: { b: number; s: State }[] = [];
        for (const c of t.cases) out.push(...this.edge(block.id, c.to, s, 'case'));
        return out;
      }
      case 'return': {
        for (const st of this.splitReturn(t.value, s)) this.exit(t, st);
        return [];
      }
      default:
        return []; // unknown-exit, noreturn: the path ends, it is not a return
    }
  }

  /**
   * A returned value that still decides pending effects (`return mutex_trylock(&f->lock);`, a
   * callee that returns 0 holding its lock): one exit per outcome, so the summary says "returns 1
   * holding it, 0 without" rather than nothing.
   */
  private splitReturn(value: Expr | null, s: State): State[] {
    if (!value || !s.pending.size) return [s];
    const id =
      value.k === 'result'
        ? value.id
        : value.k === 'var'
          ? (() => {
              const f = s.facts.get(value.name);
              return f?.t === 'result' ? f.id : undefined;
            })()
          : undefined;
    const pend = id ? s.pending.get(id) : undefined;
    if (!pend?.some((p) => p.op || p.effect) || valueOf(value, s) !== undefined) return [s];
    const zero: Expr = { k: 'cmp', op: '==', a: value, b: { k: 'int', value: 0 } };
    const other: { e: Expr; outcome: boolean }[] = this.fn.returnType.includes('*')
      ? [
          { e: { k: 'is_err', e: value, orNull: true }, outcome: false },
          { e: { k: 'is_err', e: value, orNull: false }, outcome: true },
        ]
      : pend.some((p) => p.fires({ t: 'int', v: 0 }))
        ? [{ e: { k: 'cmp', op: '<', a: value, b: { k: 'int', value: 0 } }, outcome: true }] // 0 on success, -errno otherwise
        : [{ e: { k: 'cmp', op: '==', a: value, b: { k: 'int', value: 1 } }, outcome: true }]; // 1 on success (trylock)
    const out: State[] = [];
    for (const c of [{ e: zero, outcome: true }, ...other]) {
      const r = assume(c.e, c.outcome, s, cloneState);
      if (!r) continue;
      const st = r.state === s ? cloneState(s) : r.state;
      for (const p of r.fire) this.fire(st, p);
      out.push(st);
    }
    return out.length ? out : [s];
  }

  /**
   * The variables whose object a return value hands to the caller: `obj`, `&obj->member`, either
   * arm of `obj ? &obj->ns : NULL`, and, in a function returning a pointer, a conversion of it
   * through a call the unit cannot see (`container_of(dev, ...)`, `to_port(dev)`, `dst_rtable(dst)`).
   */
  private returnedVars(e: Expr, s: State): string[] {
    switch (e.k) {
      case 'var': {
        // `port = container_of(dev, ...); return port;`: the variable holds the conversion's value.
        const f = s.facts.get(e.name);
        return f?.t === 'result' ? [e.name, ...this.returnedVars({ k: 'result', id: f.id }, s)] : [e.name];
      }
      case 'path':
        return e.path.startsWith('&') ? [rootOf(e.path) ?? ''] : [];
      case 'addr':
        return this.returnedVars(e.e, s);
      case 'cond':
        return [...this.returnedVars(e.t, s), ...this.returnedVars(e.f, s)];
      case 'result': {
        if (!this.fn.returnType.includes('*')) return [];
        // `return get_net(container_of(ns, struct net, ns))`: the get returns the object it took.
        const got = this.getResults.get(e.id);
        if (got) return [got];
        const op = this.producers().get(e.id);
        if (op?.kind !== 'call' || op.indirect || this.o.summaries.has(op.callee) || !op.args.length) return [];
        const first = op.args[0]!;
        return first.k === 'var' ? [first.name] : first.k === 'path' && first.path.startsWith('&') ? [rootOf(first.path) ?? ''] : [];
      }
      default:
        return [];
    }
  }

  private producerMap: Map<string, Op> | null = null;
  /** The op that produced each result id. */
  private producers(): Map<string, Op> {
    if (!this.producerMap) {
      this.producerMap = new Map();
      for (const b of this.fn.blocks) for (const op of b.ops) if ('result' in op && op.result) this.producerMap.set(op.result, op);
    }
    return this.producerMap;
  }

  private exit(t: Extract<Block['term'], { k: 'return' }>, s: State): void {
    {
      const st = cloneState(s);
      const rk = t.value
        ? this.returnedVars(t.value, st)
            .map((v) => refOf(st, v))
            .find((k) => k && st.refs.has(k))
        : undefined;
      // `return lookup_get(..)`: the callee's new reference passes straight to our caller.
      const passed = t.value?.k === 'result' ? this.resultRefs.get(t.value.id) : undefined;
      const returnedRef = rk
        ? st.refs.get(rk)
        : passed
          ? { obj: '$return', pair: passed.pair, source: passed.source, line: t.line, count: 1, gapSince: false }
          : undefined;
      if (returnedRef && rk) {
        st.refs.delete(returnedRef.obj); // returned: the caller owns it
        markHanded(st, returnedRef.obj, t.line);
      }
      const cls = classOfReturn(t.value, st);
      addTrace(st, t.line, t.value ? 'return' : 'return', `returns${t.value ? ` (${cls})` : ''}`);
      this.exits.push({ line: t.line, value: t.value, cls, state: st, trace: traceSteps(st), ...(returnedRef ? { returnedRef } : {}) });
    }
  }

  private edge(from: number, to: number, s: State, why: string): { b: number; s: State }[] {
    const e = s.err;
    if (e && !e.fellThrough && dominates(this.cfg, e.succ, from) && !dominates(this.cfg, e.succ, to)) {
      const st = cloneState(s);
      // Leaving the error side: by falling into the code after it (not by goto/break/continue).
      st.err = why === 'fall' && e.cleanup ? { ...e, fellThrough: true } : null;
      if (st.err) addTrace(st, e.cleanup?.line ?? null, e.cleanup?.text ?? '', 'the error branch falls through to the code after it');
      return [{ b: to, s: st }];
    }
    return [{ b: to, s }];
  }

  private branch(block: Block, t: Extract<Block['term'], { k: 'branch' }>, s: State): { b: number; s: State }[] {
    const out: { b: number; s: State }[] = [];
    const errSide = errorSide(t.cond, this.fn);
    for (const outcome of [true, false]) {
      // Learning from the condition changes value facts only; effects it releases need a full copy.
      const r = assume(t.cond, outcome, s, (x) => cloneOwning(x, OWN.facts | OWN.rfacts | OWN.pending));
      if (!r) continue;
      const failedGet = [...r.state.refs].some(([k, ref]) => isNullOrErr(r.state, k) || ref.aliases?.some((a) => isNullOrErr(r.state, a)));
      const st = r.fire.length || failedGet ? cloneState(r.state) : r.state === s ? cloneOwning(s, 0) : r.state;
      for (const p of r.fire) this.fire(st, p);
      // A failed get: the reference variable is NULL or an error here.
      if (failedGet) for (const [k, ref] of [...st.refs]) if (isNullOrErr(st, k) || ref.aliases?.some((a) => isNullOrErr(st, a))) st.refs.delete(k);
      const target = outcome ? t.t : t.f;
      if (errSide && errSide.outcome === outcome && (!st.err || (!st.err.fellThrough && !st.err.cleanup))) {
        st.err = { subject: errSide.subject, line: t.line, succ: target, cleanup: null, fellThrough: false };
      }
      if (t.why !== 'loop' && t.why !== 'iterator') addTrace(st, t.line, '', `condition ${outcome ? 'true' : 'false'}`);
      const jump = outcome ? t.gotoT : t.gotoF;
      if (jump) addTrace(st, jump.line, `goto ${jump.label}`, 'jumps to the label');
      out.push(...this.edge(block.id, target, st, 'branch'));
    }
    return out;
  }
}

/** A get's result that says it failed: NULL, false, an error pointer, a negative errno. */
const failedGet = (f: Fact): boolean => f.t === 'null' || f.t === 'zero' || f.t === 'errptr' || f.t === 'bad' || f.t === 'neg' || (f.t === 'int' && f.v <= 0);
/** The same for a status kept in an int: non-zero or negative. */
const failedStatus = (f: Fact): boolean => f.t === 'neg' || f.t === 'nonzero' || f.t === 'errptr' || (f.t === 'int' && f.v < 0);

/** An op that cannot change this state: no copy is made for it. */
function inert(op: Op, s: State): boolean {
  switch (op.kind) {
    case 'access':
    case 'barrier':
    case 'unknown':
      return true;
    case 'atomic':
      return op.family !== 'refcount' && !(op.family === 'kref' && op.action === 'set') && !(op.result && knowsResult(s, op.result));
    case 'list':
      if (op.result && knowsResult(s, op.result)) return false;
      return !(op.node && s.refs.size && (op.action === 'add' || op.action === 'add-tail' || op.action === 'move' || op.action === 'move-tail'));
    default:
      return false;
  }
}

/** Does the state hold anything about an op result (a fact, a pending effect, a variable aliasing it)? */
function knowsResult(s: State, id: string): boolean {
  if (s.rfacts.has(id) || s.pending.has(id)) return true;
  for (const f of s.facts.values()) if (f.t === 'result' && f.id === id) return true;
  return false;
}

/** Are interrupts off on this path (a lock taken with _irq/_irqsave, local_irq_disable)? */
function irqsDisabled(s: State): boolean {
  for (const l of s.locks.values()) if (l.irq === 'irq' || l.irq === 'irqsave' || l.family === 'local_irq') return true;
  return false;
}

/** Are bottom halves off (a _bh lock, local_bh_disable)? */
function bhDisabled(s: State): boolean {
  for (const l of s.locks.values()) if (l.irq === 'bh' || l.family === 'local_bh') return true;
  return false;
}

function irqMismatch(acquired: IrqMode, released: IrqMode): boolean {
  if (acquired === released) return false;
  // spin_lock_irqsave + spin_unlock_irq, spin_lock_irq + spin_unlock, spin_lock + spin_unlock_irq...
  return true;
}

/** Which side of a branch is the error side, and on what variable: IS_ERR(x), !x, x < 0, x != 0. */
function errorSide(c: Expr, fn: FunctionIR): { subject: string; outcome: boolean } | null {
  const isPtr = (name: string): boolean => {
    const d = fn.locals.find((l) => l.name === name) ?? fn.params.find((p) => p.name === name);
    return !!d && d.type.includes('*');
  };
  if (c.k === 'is_err' && c.e.k === 'var') return { subject: c.e.name, outcome: true };
  if (c.k === 'not') {
    if (c.e.k === 'is_err' && c.e.e.k === 'var') return { subject: c.e.e.name, outcome: false };
    if (c.e.k === 'var' && isPtr(c.e.name)) return { subject: c.e.name, outcome: true };
  }
  if (c.k === 'cmp' && c.a.k === 'var') {
    const zero = c.b.k === 'int' && c.b.value === 0;
    const nul = c.b.k === 'null';
    if (zero && c.op === '<') return { subject: c.a.name, outcome: true };
    if ((zero || nul) && c.op === '==' && isPtr(c.a.name)) return { subject: c.a.name, outcome: true };
  }
  return null;
}

export type { Pending };

/** An assignment target in memory (a field, an element, a dereference), not a local variable. */
function isMemory(target: string): boolean {
  return target.includes('->') || target.includes('.') || target.includes('[') || target.startsWith('*');
}

/**
 * Another pass of a loop: an object reached through a pointer loaded from memory (`last->b->lock`,
 * with `last->b` rewritten by a memmove() in the loop) may be another object now, so what was
 * released or dropped through that name on the last pass says nothing about this one.
 */
function forgetLoadedObjects(s: State): void {
  const loaded = (k: string): boolean => k.replace(/^[>&]+/, '').split('->').length > 2;
  for (const k of [...s.released.keys()]) if (loaded(k)) s.released.delete(k);
  for (const k of [...s.dropped.keys()]) if (loaded(k)) s.dropped.delete(k);
}

/** `name` is assigned a new value: it stops naming the object it was an alias of. */
function unalias(s: State, name: string): void {
  for (const [k, r] of s.refs) if (r.aliases?.includes(name)) s.refs.set(k, { ...r, aliases: r.aliases.filter((a) => a !== name) });
}

/** One of the references held on `k` goes with a stored copy. */
function handOne(s: State, k: string, line: number | null): void {
  const r = s.refs.get(k)!;
  if (r.count > 1) s.refs.set(k, { ...r, count: r.count - 1 });
  else {
    s.refs.delete(k);
    markHanded(s, k, line);
  }
}

// The path-sensitive walker: runs one function's IR over its CFG with an abstract state (locks,
// references, flags, value facts), merging equal states at each block and iterating loops to a
// fixpoint under a budget. It does not judge: it records what happened (events) and how each path
// ended (exits); the checks in checks/ decide what to report.

import type { Block, Expr, FunctionIR, IrqMode, LockFamily, LockMode, Op } from '../c/ir.js';
import type { Semantics } from '../semantics/index.js';
import { analyzeCfg, dominates, type CfgInfo } from './cfg.js';
import { substitute, typedObject } from './objects.js';
import {
  addTrace, cloneState, initialState, isAtomicFamily, nests, stateKey, traceSteps,
  type HeldLock, type LockEffectSet, type Pending, type State,
} from './state.js';
import {
  classesAllowed, classOfReturn, firesNonnull, firesNonzero, firesZero, splitEffects,
  type RetClass, type Summary, type SummaryTable,
} from './summary.js';
import { assign, assume, forgetPaths, freshResult, isNullOrErr } from './values.js';
import { gfpSleeps } from './gfp.js';

type Trace = ReturnType<typeof traceSteps>;

export type EngineEvent =
  | { k: 'double-acquire'; line: number | null; obj: string; text: string; held: HeldLock; via?: { callee: string; line: number | null; always: boolean }; viaGap: boolean; block: number; trace: Trace }
  | { k: 'release-unheld'; line: number | null; obj: string; text: string; double: boolean; prevLine: number | null; via?: string; viaGap: boolean; trace: Trace }
  | { k: 'irq-release-mismatch'; line: number | null; obj: string; text: string; held: HeldLock; releasedIrq: IrqMode; trace: Trace }
  | { k: 'irq-enable-nested'; line: number | null; obj: string; text: string; other: HeldLock; trace: Trace }
  | { k: 'flags-reused'; line: number | null; obj: string; text: string; other: HeldLock; flags: string; trace: Trace }
  | { k: 'lock-context'; line: number | null; obj: string; family: LockFamily; irq: IrqMode; irqsOff: boolean; text: string }
  | { k: 'sleep'; line: number | null; what: string; why: string; atomic: HeldLock[]; via?: string; viaGap: boolean; text: string; trace: Trace }
  | { k: 'may-sleep'; line: number | null; what: string; why: string } // anywhere (for summaries)
  | { k: 'double-put'; line: number | null; obj: string; pair: string; prevLine: number | null; text: string; viaGap: boolean; trace: Trace }
  | { k: 'put-unheld'; line: number | null; obj: string; pair: string; text: string; trace: Trace }
  | { k: 'err-fallthrough'; line: number | null; subject: string; branchLine: number | null; cleanup: { line: number | null; text: string; obj: string; kind: string }; use: { line: number | null; text: string; what: string }; trace: Trace }
  | { k: 'acquire'; line: number | null; obj: string; family: LockFamily; mode: LockMode; irq: IrqMode; block: number; via?: string }
  | { k: 'flag-set'; line: number | null; key: string };

export interface Exit {
  line: number | null;
  value: Expr | null;
  cls: RetClass;
  state: State;
  trace: Trace;
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

const STATES_PER_BLOCK = 24; // beyond this, value facts are dropped at the block (widening)
const HARD_STATES_PER_BLOCK = 96;

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
  private readonly eventKeys = new Set<string>();
  private readonly budget: number;
  private block = 0;

  constructor(private readonly fn: FunctionIR, private readonly o: EngineOptions, private readonly cfg: CfgInfo) {
    this.budget = o.budget ?? 20000;
  }

  run(): void {
    if (!this.fn.blocks.length) return;
    const init = initialState(this.fn.meta.entryKnown);
    this.applyAnnotations(init);
    const queue: { b: number; s: State }[] = [{ b: 0, s: init }];
    while (queue.length) {
      const { b, s } = queue.shift()!;
      if (++this.visits > this.budget) {
        this.exhausted = true;
        return;
      }
      const block = this.fn.blocks[b];
      if (!block) continue;
      let st = s;
      const seen = this.seen.get(b) ?? new Set<string>();
      this.seen.set(b, seen);
      let key = stateKey(st);
      if (seen.size >= STATES_PER_BLOCK) {
        // Widening: forget value facts so loops over counters converge.
        st = cloneState(st);
        st.facts.clear();
        st.rfacts.clear();
        key = stateKey(st, false);
      }
      if (seen.has(key)) continue;
      if (seen.size >= HARD_STATES_PER_BLOCK) {
        this.exhausted = true;
        continue;
      }
      seen.add(key);
      this.block = b;
      block.ops.forEach((op, i) => {
        this.record(b, i, op, st);
        st = this.transfer(op, st);
      });
      for (const next of this.terminate(block, st)) queue.push(next);
    }
  }

  /** Sparse annotations: __must_hold(x) means x is held on entry (and exit). */
  private applyAnnotations(s: State): void {
    for (const obj of this.fn.annotations.mustHold) {
      s.locks.set(obj, { obj, family: 'context', mode: 'exclusive', irq: 'none', line: this.fn.startLine, count: 1, gapSince: false, fromEntry: true });
    }
    for (const c of this.fn.annotations.context) {
      if (c.entry > 0) s.locks.set(c.lock, { obj: c.lock, family: 'context', mode: 'exclusive', irq: 'none', line: this.fn.startLine, count: 1, gapSince: false, fromEntry: true });
    }
    for (const obj of this.fn.annotations.releases) {
      if (!s.locks.has(obj)) s.locks.set(obj, { obj, family: 'context', mode: 'exclusive', irq: 'none', line: this.fn.startLine, count: 1, gapSince: false, fromEntry: true });
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
    const s = cloneState(s0);
    if ('result' in op && op.result) freshResult(s, op.result);
    switch (op.kind) {
      case 'acquire':
        if (op.try) {
          this.pend(s, op.result, { fires: op.try === 'nonzero' ? firesNonzero : firesZero, op, line: op.line });
          if (op.family === 'mutex' || op.family === 'rwsem' || op.family === 'semaphore') {
            if (op.try === 'zero') this.sleepCheck(s, op.line, op.primitive, `${op.primitive}() sleeps`, op.text ?? op.primitive);
          }
        } else {
          this.acquire(s, op.obj, op.family, op.mode, op.irq, op.line, op.text ?? op.primitive, op.flags, undefined, op.scoped);
        }
        break;
      case 'release':
        this.release(s, op.obj, op.family, op.mode, op.irq, op.line, op.text ?? op.primitive);
        break;
      case 'flag':
        this.flag(s, op);
        break;
      case 'ref':
        this.ref(s, op);
        break;
      case 'alloc': {
        const sl = op.gfp ? gfpSleeps(op.gfp, s) : undefined;
        if (sl) this.sleepCheck(s, op.line, op.primitive, `${op.primitive}(${op.gfp}) may sleep`, op.text ?? op.primitive);
        if (op.obj && op.result) assign(s, op.obj, { k: 'result', id: op.result });
        break;
      }
      case 'free':
        this.cleanup(s, op.line, op.text ?? op.primitive, op.obj, 'free');
        break;
      case 'call':
        this.call(s, op);
        break;
      case 'access':
        this.access(s, op);
        break;
      case 'assign':
        assign(s, op.target, op.value);
        if (s.err && op.target === s.err.subject) s.err = null;
        this.escape(s, op.target, op.value);
        break;
      case 'assert':
        if (op.what === 'might-sleep') {
          this.sleepCheck(s, op.line, op.primitive, 'might_sleep()', op.text ?? op.primitive);
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
          for (const k of [...s.refs.keys()]) if (op.node.startsWith(`${k}->`) || op.node.startsWith(`${k}.`) || op.node === k) s.refs.delete(k);
        }
        break;
      default:
        break;
    }
    return s;
  }

  private pend(s: State, id: string | undefined, p: Pending): void {
    if (!id) return; // result ignored: the effect never happens as far as we can tell
    s.pending.set(id, [...(s.pending.get(id) ?? []), p]);
  }

  private fire(s: State, p: Pending): void {
    const op = p.op;
    if (op?.kind === 'acquire') this.acquire(s, op.obj, op.family, op.mode, op.irq, op.line, op.text ?? op.primitive, op.flags);
    else if (op?.kind === 'ref') this.takeRef(s, op.obj, op.pair, op.source, op.line, op.text ?? op.primitive);
    else if (op?.kind === 'flag') this.setFlag(s, `${op.word}:${op.bit}`, op.line, op.text ?? op.primitive);
    if (p.effect) this.applyEffects(s, p.effect, p.line, p.via ?? '?');
  }

  private isHeld(s: State, obj: string): boolean {
    return s.locks.has(obj);
  }

  private typed(obj: string): string | undefined {
    return typedObject(this.fn, obj) ?? undefined;
  }

  private acquire(s: State, obj: string, family: LockFamily, mode: LockMode, irq: IrqMode, line: number | null, text: string,
    flags?: string, via?: { callee: string; line: number | null; always: boolean }, scoped?: boolean): void {
    const irqsOff = [...s.locks.values()].some((l) => l.irq === 'irq' || l.irq === 'irqsave' || l.family === 'local_irq');
    if (!via) this.emit({ k: 'lock-context', line, obj, family, irq, irqsOff, text }, `ctx:${obj}:${line}:${irqsOff}`);
    if (family === 'mutex' || family === 'rwsem' || family === 'semaphore') {
      this.sleepCheck(s, line, text, `taking ${family === 'rwsem' ? 'a rw_semaphore' : `a ${family}`} may sleep`, text, via?.callee);
    }
    const held = s.locks.get(obj);
    if (!held) this.emit({ k: 'acquire', line, obj, family, mode, irq, block: this.block, via: via?.callee }, `acq:${obj}:${line}:${via?.callee ?? ''}`);
    if (held) {
      if (nests(family, mode) && nests(held.family, held.mode)) {
        s.locks.set(obj, { ...held, count: held.count + 1 });
      } else {
        this.emit({ k: 'double-acquire', line, obj, text, held, via, viaGap: s.viaGap, block: this.block, trace: traceSteps(s) },
          `dbl:${obj}:${line}:${via?.callee ?? ''}`);
      }
      return;
    }
    if (flags && irq === 'irqsave') {
      const other = [...s.locks.values()].find((l) => l.flags === flags && l.irq === 'irqsave');
      if (other) this.emit({ k: 'flags-reused', line, obj, text, other, flags, trace: traceSteps(s) }, `flags:${obj}:${line}`);
    }
    addTrace(s, line, text, via ? `acquires '${obj}' inside ${via.callee}()` : `acquires '${obj}'`);
    s.locks.set(obj, { obj, family, mode, irq, flags, line, count: 1, gapSince: false, scoped, via: via?.callee, typed: this.typed(obj) });
    s.released.delete(obj);
  }

  private findHeld(s: State, obj: string): HeldLock | undefined {
    const direct = s.locks.get(obj);
    if (direct) return direct;
    const t = this.typed(obj);
    if (t) for (const l of s.locks.values()) if (l.typed === t || l.obj === t) return l;
    return undefined;
  }

  private release(s: State, obj: string, family: LockFamily, mode: LockMode, irq: IrqMode, line: number | null, text: string, via?: string): void {
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
      if (held.fromEntry) s.entryReleased.set(obj, { family, mode, irq, line });
      s.released.set(obj, line);
      addTrace(s, line, text, via ? `releases '${obj}' inside ${via}()` : `releases '${obj}'`);
      return;
    }
    if (s.released.has(obj)) {
      this.emit({ k: 'release-unheld', line, obj, text, double: true, prevLine: s.released.get(obj) ?? null, via, viaGap: s.viaGap, trace: traceSteps(s) },
        `unheld:${obj}:${line}:${via ?? ''}`);
      return;
    }
    if (s.clean) {
      this.emit({ k: 'release-unheld', line, obj, text, double: false, prevLine: null, via, viaGap: false, trace: traceSteps(s) },
        `unheld:${obj}:${line}:${via ?? ''}`);
    }
    // Not known to be held or free here: it was held on entry (or taken in a gap).
    s.entryReleased.set(obj, { family, mode, irq, line });
    s.released.set(obj, line);
    addTrace(s, line, text, `releases '${obj}' (held on entry)`);
  }

  private setFlag(s: State, key: string, line: number | null, text: string): void {
    s.flags.set(key, { key, line, gapSince: false });
    this.emit({ k: 'flag-set', line, key }, `flag:${key}:${line}`);
    addTrace(s, line, text, `sets ${key.replace(':', ' bit ')}`);
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
        if (s.flags.delete(key)) addTrace(s, op.line, text, `clears ${op.bit}`);
        break;
      case 'test':
        if (op.result && s.flags.has(key)) s.rfacts.set(op.result, { t: 'nonzero' });
        break;
      default:
        break;
    }
  }

  private takeRef(s: State, obj: string, pair: string, source: 'primitive' | 'rule' | 'name', line: number | null, text: string): void {
    const cur = s.refs.get(obj);
    s.refs.set(obj, { obj, pair, line, source, count: (cur?.count ?? 0) + 1, gapSince: false });
    s.dropped.delete(obj);
    addTrace(s, line, text, `takes a reference: ${obj} (${pair})`);
  }

  private ref(s: State, op: Extract<Op, { kind: 'ref' }>): void {
    const text = op.text ?? op.primitive;
    if (op.action === 'get') {
      if (op.succeeds && op.result) {
        this.pend(s, op.result, { fires: op.succeeds === 'zero' ? firesZero : op.succeeds === 'nonzero' ? firesNonzero : firesNonnull, op, line: op.line });
        // obj = the variable the result went to: the assign that follows links it.
        return;
      }
      this.takeRef(s, op.obj, op.pair, op.source, op.line, text);
      return;
    }
    const cur = s.refs.get(op.obj);
    this.cleanup(s, op.line, text, op.obj, 'put');
    if (cur) {
      if (cur.count > 1) s.refs.set(op.obj, { ...cur, count: cur.count - 1 });
      else s.refs.delete(op.obj);
      s.dropped.set(op.obj, op.line);
      addTrace(s, op.line, text, `drops the reference: ${op.obj}`);
      return;
    }
    if (s.dropped.has(op.obj)) {
      this.emit({ k: 'double-put', line: op.line, obj: op.obj, pair: op.pair, prevLine: s.dropped.get(op.obj) ?? null, text, viaGap: s.viaGap, trace: traceSteps(s) },
        `dput:${op.obj}:${op.line}`);
    } else if (s.clean) {
      this.emit({ k: 'put-unheld', line: op.line, obj: op.obj, pair: op.pair, text, trace: traceSteps(s) }, `punheld:${op.obj}:${op.line}`);
    }
    s.dropped.set(op.obj, op.line);
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
      this.emit({ k: 'err-fallthrough', line: e.line ?? line, subject: e.subject, branchLine: e.line, cleanup: e.cleanup,
        use: { line, text, what: `${kind === 'release' ? 'releases' : kind === 'put' ? 'drops' : 'frees'} '${obj}' again` }, trace: traceSteps(s) },
      `eft:${e.line}:${line}`);
    }
  }

  private sleepCheck(s: State, line: number | null, what: string, why: string, text: string, via?: string): void {
    this.emit({ k: 'may-sleep', line, what, why }, `msl:${line}:${what}`);
    const atomic = [...s.locks.values()].filter(isAtomicFamily);
    if (!atomic.length) return;
    this.emit({ k: 'sleep', line, what, why, atomic, via, viaGap: s.viaGap, text, trace: traceSteps(s) }, `sleep:${line}:${what}:${via ?? ''}`);
  }

  private call(s: State, op: Extract<Op, { kind: 'call' }>): void {
    const text = op.text ?? `${op.callee}()`;
    if (!op.indirect && this.o.sem.sleeps(op.callee)) this.sleepCheck(s, op.line, op.callee, `${op.callee}() may sleep`, text);
    for (const h of this.o.sem.handoffs) {
      if (h.acquire === op.callee) {
        const obj = h.lock;
        if (op.result) this.pend(s, op.result, { fires: (f) => f.t !== 'errptr' && f.t !== 'null' && f.t !== 'zero' && f.t !== 'neg', op: { ...op, kind: 'acquire', obj, family: 'context', mode: 'exclusive', irq: 'none', primitive: op.callee } as Op, line: op.line });
        else this.acquire(s, obj, 'context', 'exclusive', 'none', op.line, text);
      }
      if (h.release === op.callee && s.locks.has(h.lock)) this.release(s, h.lock, 'context', 'exclusive', 'none', op.line, text);
    }
    const sum = op.indirect || op.callee === this.fn.name ? undefined : this.o.summaries.get(op.callee);
    if (sum) this.applySummary(s, op, sum);
    forgetPaths(s);
    // Passing an error pointer into a call after the error branch fell through uses it.
    if (s.err?.fellThrough && op.argText.some((a) => a === s.err!.subject)) {
      // Only a dereference is certain misuse; passing it on is not reported.
    }
  }

  private mapArgs(sum: Summary, op: Extract<Op, { kind: 'call' }>, obj: string): string | null {
    return substitute(obj, sum.params, op.argText, sum.locals);
  }

  private applySummary(s: State, op: Extract<Op, { kind: 'call' }>, sum: Summary): void {
    const text = op.text ?? `${op.callee}()`;
    // Locks the callee takes while we hold them: self-deadlock.
    for (const a of sum.acquires) {
      const obj = this.mapArgs(sum, op, a.obj);
      if (!obj || nests(a.family, a.mode)) continue;
      const held = s.locks.get(obj);
      if (held && !nests(held.family, held.mode)) {
        this.emit({ k: 'double-acquire', line: op.line, obj, text, held, via: { callee: op.callee, line: a.line, always: a.always }, viaGap: s.viaGap, block: this.block, trace: traceSteps(s) },
          `dbl:${obj}:${op.line}:${op.callee}`);
      }
    }
    if (sum.maySleep) this.sleepCheck(s, op.line, op.callee, `${op.callee}() may sleep (${sum.maySleep.why}${sum.maySleep.line !== null ? ` at line ${sum.maySleep.line}` : ''})`, text, op.callee);
    if (!sum.exitsKnown && !sum.exits.length) return;
    const { common, byClass } = splitEffects(sum.exits);
    const map = (e: LockEffectSet['acquired']): LockEffectSet['acquired'] =>
      e.flatMap((r) => {
        const obj = this.mapArgs(sum, op, r.obj);
        return obj ? [{ ...r, obj }] : [];
      });
    this.applyEffects(s, { acquired: map(common.acquired), released: map(common.released) }, op.line, op.callee);
    if (op.result && byClass.length && !byClass.some((e) => e.cls === 'any')) {
      for (const e of byClass) {
        this.pend(s, op.result, {
          fires: (f) => [...classesAllowed(f)].every((c) => c === e.cls || (c === 'ptr' && e.cls === 'pos')),
          effect: { acquired: map(e.acquired), released: map(e.released) },
          via: op.callee,
          line: op.line,
        });
      }
    }
  }

  private applyEffects(s: State, e: LockEffectSet, line: number | null, callee: string): void {
    for (const r of e.released) this.release(s, r.obj, r.family, r.mode, r.irq, line, `${callee}()`, callee);
    for (const a of e.acquired) {
      if (s.locks.has(a.obj)) continue; // reported as a double lock through `acquires`
      this.acquire(s, a.obj, a.family, a.mode, a.irq, line, `${callee}()`, undefined, { callee, line: a.line, always: true });
    }
  }

  private access(s: State, op: Extract<Op, { kind: 'access' }>): void {
    const e = s.err;
    if (!e?.fellThrough || !e.cleanup) return;
    const p = op.path.replace(/^&/, '');
    if (p.startsWith(`${e.subject}->`) || p.startsWith(`${e.subject}[`) || p.startsWith(`(*${e.subject})`)) {
      this.emit({ k: 'err-fallthrough', line: e.line, subject: e.subject, branchLine: e.line, cleanup: e.cleanup,
        use: { line: op.line, text: op.text ?? op.path, what: `dereferences '${e.subject}'` }, trace: traceSteps(s) }, `eft:${e.line}:${op.line}`);
    }
  }

  /** A reference stored into memory or returned leaves the function's responsibility. */
  private escape(s: State, target: string, value: Expr): void {
    if (value.k !== 'var' || !s.refs.has(value.name)) {
      // A ref'd variable overwritten by a NULL/error result is a failed get.
      if (s.refs.has(target) && isNullOrErr(s, target)) s.refs.delete(target);
      return;
    }
    if (target.includes('->') || target.includes('.') || target.includes('[') || target.startsWith('*')) s.refs.delete(value.name);
    else {
      // Copy to another local: follow the new name.
      const r = s.refs.get(value.name)!;
      s.refs.delete(value.name);
      s.refs.set(target, { ...r, obj: target });
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
      case 'jump':
        return this.edge(block.id, t.to, s, t.why);
      case 'branch':
        return this.branch(block, t, s);
      case 'switch': {
        const out: { b: number; s: State }[] = [];
        for (const c of t.cases) out.push(...this.edge(block.id, c.to, s, 'case'));
        return out;
      }
      case 'return': {
        const st = cloneState(s);
        if (t.value?.k === 'var' && st.refs.has(t.value.name)) st.refs.delete(t.value.name); // returned: the caller owns it
        const cls = classOfReturn(t.value, st);
        addTrace(st, t.line, t.value ? 'return' : 'return', `returns${t.value ? ` (${cls})` : ''}`);
        this.exits.push({ line: t.line, value: t.value, cls, state: st, trace: traceSteps(st) });
        return [];
      }
      default:
        return []; // unknown-exit, noreturn: the path ends, it is not a return
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
      const r = assume(t.cond, outcome, s, cloneState);
      if (!r) continue;
      const st = r.state === s ? cloneState(s) : r.state;
      for (const p of r.fire) this.fire(st, p);
      // A failed get: the reference variable is NULL or an error here.
      for (const k of [...st.refs.keys()]) if (isNullOrErr(st, k)) st.refs.delete(k);
      const target = outcome ? t.t : t.f;
      if (errSide && errSide.outcome === outcome && (!st.err || (!st.err.fellThrough && !st.err.cleanup))) {
        st.err = { subject: errSide.subject, line: t.line, succ: target, cleanup: null, fellThrough: false };
      }
      if (t.why !== 'loop' && t.why !== 'iterator') addTrace(st, t.line, '', `condition ${outcome ? 'true' : 'false'}`);
      out.push(...this.edge(block.id, target, st, 'branch'));
    }
    return out;
  }
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

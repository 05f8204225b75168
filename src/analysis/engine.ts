// The path-sensitive walker: runs one function's IR over its CFG with an abstract state, merging
// equal states at each block and iterating loops to a fixpoint under a budget. The state is the
// domains' (domains/: locks, references, flags, sleep/atomic context, error paths) plus the value
// facts (values.ts); the walker dispatches each op to the domains that understand it and applies
// callee summaries through them. It does not judge: it records what happened (events) and how each
// path ended (exits); the checks in checks/ decide what to report.

import { BUDGETS } from '../budgets.js';
import type { Block, Expr, FunctionIR, Op } from '../c/ir.js';
import type { Semantics } from '../semantics/index.js';
import { analyzeCfg, dominates, type CfgInfo } from './cfg.js';
import { parsePath, printPath } from '../c/path.js';
import { KeyResolver } from './races/keys.js';
import { rootOf, substitute, typedObject, derefs, valueDefs } from './objects.js';
import { addTrace, cloneOwning, cloneState, initialState, OWN, joinFacts, sortedParts, traceSteps, valueKeyParts, type Pending, type State } from './state.js';
import { classOfReturn, exitsForArgs, implementations, RETURNED_LOCK, type RetClass, type Summary, type SummaryTable } from './summary.js';
import { assign, assume, forgetAfterCall, forgetAtLoop, freshResult, learnNonNull, valueOf } from './values.js';
import { liveness, type Liveness } from './liveness.js';
import { ErrorPaths, errorKeyParts } from './domains/error-paths.js';
import { CYCLED, Flags, flagKeyParts } from './domains/flags.js';
import { Locks, lockKeyParts, waitsForLock } from './domains/locks.js';
import { refKeyParts, type HeldRef } from './domains/ref-state.js';
import { Refs } from './domains/refs.js';
import { Memory, memoryKeyParts } from './domains/memory.js';
import { SleepContext } from './domains/sleep.js';
import { isPointerLocal, type CallOp, type EngineEvent, type Trace, type WalkContext } from './domains/walk.js';

export { CYCLED };
export type { EngineEvent };
export type { PairSource } from './domains/refs.js';
export type { SleepRoot } from './domains/sleep.js';
export type { Pending };

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
  /** Milliseconds allowed per walk before giving up (default BUDGETS.functionMs). */
  budgetMs?: number;
  /**
   * Assume a call keeps the fields of the objects it is handed (`work(dev)` leaves `dev->flag` as
   * tested before it). Unsound, so findings never come from it: a second walk with it tells
   * which findings need a callee to change such a field on their path.
   */
  keepHandedFields?: boolean;
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

/**
 * The part of a state that decides what happens next. States with equal keys at the same block are
 * merged (only one is walked on); the trace is not part of the key. `shape` leaves out the value
 * facts (states of one shape are joined when too many reach a block).
 */
export function stateKeys(s: State): { shape: string; full: string } {
  const parts: string[] = [];
  lockKeyParts(s, parts);
  refKeyParts(s, parts);
  memoryKeyParts(s, parts);
  flagKeyParts(s, parts);
  sortedParts(s.pending, (k) => `P${k}`, parts);
  errorKeyParts(s, parts);
  parts.push(s.viaGap ? 'G' : '');
  const shape = parts.join('|');
  if (!s.facts.size && !s.rfacts.size) return { shape, full: shape };
  const vals: string[] = [];
  valueKeyParts(s, vals);
  return { shape, full: `${shape}#${vals.join('|')}` };
}

class Walker implements WalkContext {
  exits: Exit[] = [];
  events: EngineEvent[] = [];
  exhausted = false;
  visits = 0;
  readonly sites = new Map<string, Site>();
  private readonly seen = new Map<number, Set<string>>();
  private readonly shapes = new Map<number, Map<string, { n: number; acc: State }>>();
  private readonly eventKeys = new Set<string>();
  private readonly budget: number;
  private readonly deadline: number;
  private readonly keepHandedFields: boolean;
  private readonly exactElsewhere: number;
  private current = 0;

  // Facts computed once per function, shared by the domains.
  private readonly live: Liveness;
  private readonly fixedParams: Set<string>;
  private readonly localNames: Set<string>;
  readonly sem: Semantics;
  readonly summaries: SummaryTable;

  readonly locks: Locks;
  readonly refs: Refs;
  readonly memory: Memory;
  readonly flags: Flags;
  readonly sleep: SleepContext;
  readonly errors: ErrorPaths;

  constructor(
    readonly fn: FunctionIR,
    o: EngineOptions,
    readonly cfg: CfgInfo,
  ) {
    this.budget = o.budget ?? BUDGETS.functionVisits;
    this.deadline = performance.now() + (o.budgetMs ?? BUDGETS.functionMs);
    this.keepHandedFields = !!o.keepHandedFields;
    // The second look keeps more correlated branches apart: it runs only where a finding was made.
    this.exactElsewhere = o.keepHandedFields ? EXACT_ELSEWHERE * 8 : EXACT_ELSEWHERE;
    this.sem = o.sem;
    this.summaries = o.summaries;
    this.localNames = new Set([...fn.params.map((p) => p.name), ...fn.locals.map((l) => l.name)]);
    this.live = liveness(fn);
    this.fixedParams = new Set(fn.params.map((p) => p.name).filter((p) => !fn.blocks.some((b) => b.ops.some((op) => op.kind === 'assign' && op.target === p))));
    this.refs = new Refs(this);
    this.memory = new Memory(this);
    this.flags = new Flags(this);
    this.sleep = new SleepContext(this);
    this.errors = new ErrorPaths(this);
    this.locks = new Locks(this); // last: reading the entry locks asks the summaries through mapArgs
  }

  get block(): number {
    return this.current;
  }

  run(): void {
    if (!this.fn.blocks.length) return;
    const init = initialState(this.fn.meta.entryKnown);
    this.locks.enter(init);
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
        if (++sh.n > (block.loopHead ? EXACT_AT_LOOP_HEAD : this.exactElsewhere)) {
          // Widening: walk on with what all the states of this shape agree on.
          st = sh.acc;
          key = stateKeys(st).full;
          if (seen.has(key)) continue;
        }
      }
      // The clock is read every 64 visits: a visit is short, a clock read is not free.
      if (++this.visits > this.budget || ((this.visits & 63) === 0 && performance.now() > this.deadline)) {
        this.exhausted = true;
        return;
      }
      if (seen.size >= HARD_STATES_PER_BLOCK) {
        this.exhausted = true;
        continue;
      }
      seen.add(key);
      this.current = b;
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
  readonly isLocal = (name: string): boolean => this.localNames.has(name);

  typed(obj: string): string | undefined {
    return typedObject(this.fn, obj) ?? undefined;
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

  emit(e: EngineEvent, key: string): void {
    if (this.eventKeys.has(key)) return;
    this.eventKeys.add(key);
    this.events.push(e);
  }

  pend(s: State, id: string | undefined, p: Pending): void {
    if (!id) return; // result ignored: the effect never happens as far as we can tell
    s.pending.set(id, [...(s.pending.get(id) ?? []), p]);
  }

  fire(s: State, p: Pending): void {
    if (p.undo) {
      this.refs.undo(s, { ...p, undo: p.undo });
      return;
    }
    const op = p.op;
    if (op?.kind === 'acquire')
      this.locks.acquire(s, {
        obj: op.obj,
        family: op.family,
        mode: op.mode,
        irq: op.irq,
        line: op.line,
        text: op.text ?? op.primitive,
        flags: op.flags,
        ...(op.try && !waitsForLock(op.try) ? { tries: true } : {}),
      });
    else if (op?.kind === 'ref')
      this.refs.take(s, { obj: op.obj, pair: op.pair, source: op.source, line: op.line, text: op.text ?? op.primitive, member: op.member });
    else if (op?.kind === 'flag') this.flags.set(s, `${op.word}:${op.bit}`, op.line, op.text ?? op.primitive);
    if (p.effect) this.locks.applyEffects(s, p.effect, p.line, p.via ?? '?');
  }

  // ---- ops -------------------------------------------------------------------------------------

  private transfer(op: Op, s0: State): State {
    if (inert(op, s0)) {
      // Most ops (reads and writes of fields, barriers, plain atomics) leave the state as it is.
      if (op.kind === 'access') {
        this.errors.access(s0, op);
        this.refs.used(s0, op.path, op.line, op.text ?? op.path);
      }
      return s0;
    }
    const s = this.copyFor(op, s0);
    if ('result' in op && op.result) freshResult(s, op.result);
    switch (op.kind) {
      case 'acquire':
        this.refs.used(s, op.obj, op.line, op.text ?? op.primitive);
        this.derefed(s, this.locks.acquireOp(s, op));
        break;
      case 'release':
        this.refs.used(s, op.obj, op.line, op.text ?? op.primitive);
        this.locks.releaseOp(s, op);
        break;
      case 'flag':
        this.flags.flagOp(s, op);
        break;
      case 'ref':
        this.refs.refOp(s, op);
        if (op.action === 'keep') this.memory.hand(s, op.obj, op.line, op.text ?? op.primitive);
        break;
      case 'alloc':
        this.sleep.allocOp(s, op);
        this.memory.allocOp(op);
        if (op.obj && op.result) assign(s, op.obj, { k: 'result', id: op.result });
        break;
      case 'free':
        this.errors.cleanup(s, op.line, op.text ?? op.primitive, op.obj, 'free');
        this.freed(s, op.obj, op.line, op.text ?? op.primitive);
        break;
      case 'atomic':
        this.refs.atomicOp(s, op);
        break;
      case 'call':
        this.call(s, op);
        break;
      case 'access':
        this.errors.access(s, op);
        this.refs.used(s, op.path, op.line, op.text ?? op.path);
        break;
      case 'assign':
        assign(s, op.target, op.value);
        this.bindReturnedLock(s, op);
        this.refs.assign(s, op);
        this.memory.assign(s, op);
        // `b = next_node()`: a lock released through the old `b` is not the new one's.
        if (s.released.size && /^[A-Za-z_]\w*$/.test(op.target)) {
          for (const k of [...s.released.keys()]) if (derefs(k, op.target)) s.released.delete(k);
        }
        this.errors.assigned(s, op.target);
        break;
      case 'assert':
        if (op.what === 'might-sleep') this.sleep.check(s, { line: op.line, what: op.primitive, why: 'might_sleep()', text: op.text ?? op.primitive });
        else if (op.what === 'held' && op.obj) this.locks.assertHeld(s, op.obj, op.line);
        else if (op.what === 'might-lock' && op.obj) this.locks.mightLock(s, op.obj, op.line, op.text ?? op.primitive);
        break;
      case 'gap':
        this.gap(s, op.line);
        break;
      case 'list':
        this.refs.listOp(s, op);
        this.memory.listOp(s, op);
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
      if (v.k === 'result' && this.refs.movesOnAssign(v.id)) return cloneState(s0);
      return cloneOwning(s0, OWN.facts | OWN.rfacts | OWN.pending | OWN.dropped | OWN.refs | OWN.released);
    }
    if (
      op.kind === 'call' &&
      (op.indirect ? !implementations(this.fn, op.callee).length : !this.summaries.has(op.callee) && !this.sem.deferrers.has(op.callee)) &&
      !this.locks.handoffCallees.has(op.callee)
    ) {
      return cloneOwning(s0, OWN.facts | OWN.rfacts | OWN.pending);
    }
    return cloneState(s0);
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
    if (!root || !isPointerLocal(this.fn, root)) return;
    const cur = s.facts.get(root);
    if (cur && cur.t !== 'result') return;
    const fire = learnNonNull(s, root);
    if (fire) for (const p of fire) this.fire(s, p);
  }

  /**
   * An ops-table call whose every implementation in the unit does the same to locks and
   * references: a call of the first of them.
   */
  private resolveIndirect(op: Extract<Op, { kind: 'call' }>): Extract<Op, { kind: 'call' }> | null {
    const impls = implementations(this.fn, op.callee);
    if (!impls.length) return null;
    const sums = impls.map((f) => (f === this.fn.name ? undefined : this.summaries.get(f)));
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

  private call(s: State, op0: CallOp): void {
    const op = op0.indirect ? (this.resolveIndirect(op0) ?? op0) : op0;
    const text = op.text ?? `${op.callee}()`;
    this.refs.beforeCall(s, op);
    this.sleep.call(s, op, text);
    if (!op.indirect && this.sem.deferrers.has(op.callee)) this.defer(s, op, text);
    this.locks.handoff(s, op, text);
    const sum = op.indirect || op.callee === this.fn.name ? undefined : this.summaries.get(op.callee);
    if (sum) this.applySummary(s, op, sum, text);
    this.memory.passed(s, op, !!sum);
    // A helper that queues what it is given (an asynchronous registration): deferred here too.
    if (sum?.defers?.length)
      this.defer(
        s,
        op,
        text,
        sum.defers.flatMap((p) => this.mapArgs(sum, op, p) ?? []),
      );
    forgetAfterCall(s, op.argText, this.isLocal, this.keepHandedFields);
    this.refs.afterCall(s, op);
  }

  /**
   * `queue_work(wq, &v->work)`: the object goes to another context that finishes the work. The
   * busy bits this path set in it and the reference it holds on it are that work's now.
   */
  private defer(s: State, op: CallOp, text: string, args: string[] = op.argText): void {
    const roots = new Set(args.map((a) => rootOf(a)).filter((r): r is string => !!r));
    if (!roots.size) return;
    this.flags.defer(s, roots, op.line, text);
    this.refs.defer(s, roots, op.line, text);
    this.memory.defer(s, roots, op.line, text);
  }

  /** An object freed here or inside a callee: its references and the bits set in it go with it. */
  private freed(s: State, obj: string, line: number | null, text: string): void {
    this.refs.free(s, obj, line, text);
    this.memory.free(s, obj, line, text);
    this.flags.freed(s, obj);
  }

  /** What a callee's summary does, domain by domain; lock effects last (they may wait on the result). */
  private applySummary(s: State, op: CallOp, sum: Summary, text: string): void {
    this.locks.calleeAcquires(s, op, sum, text);
    this.flags.callee(s, op, sum, text);
    for (const f of sum.frees ?? []) {
      const obj = this.mapArgs(sum, op, f);
      if (obj) this.freed(s, obj, op.line, `${text} (frees ${obj} inside ${op.callee}())`);
    }
    this.refs.callee(s, op, sum, text);
    this.memory.callee(s, op, sum, text);
    this.sleep.callee(s, op, sum, text);
    // The exits this call can reach: what the arguments say rules some out (`stop(x, false)`).
    const exits = exitsForArgs(
      sum,
      op.args.map((a) => valueOf(a, s)),
    );
    this.locks.calleeExits(s, op, sum, exits, text);
  }

  /** A callee's object (in its parameters' terms) in this function's terms. */
  mapArgs(sum: Summary, op: Extract<Op, { kind: 'call' }>, obj: string): string | null {
    // The lock it returns is named as the call's value is (lock-aliases.ts spells `ptl =
    // pmd_lock(mm, pmd)` that way).
    if (obj === RETURNED_LOCK) {
      if (op.indirect) return null;
      const name = `${op.callee}(${op.argText.join(', ')})`;
      if (op.result) this.returnedLocks.set(op.result, name);
      return name;
    }
    const m = substitute(obj, sum.params, op.argText, sum.locals);
    if (m) return this.ownLockName(m);
    // A callee's local naming a value of its parameters is ours when we name the same value.
    if (!sum.localDefs?.size) return m;
    const via = substitute(obj, sum.params, op.argText, sum.locals, sum.localDefs);
    if (!via) return null;
    this.ownDefs ??= new Map([...valueDefs(this.fn, new Set(this.fn.params.map((p) => p.name)))].map(([l, t]) => [t, l]));
    const p = parsePath(via);
    const base = p?.root.k === 'call' ? p.root.text : p?.root.k === 'paren' ? printPath(p.root.inner) : null;
    const mine = base !== null ? this.ownDefs.get(base) : undefined;
    return p && mine ? printPath({ ...p, root: { k: 'var', name: mine } }) : null;
  }

  /** Call results that are the lock the call returned holding, with the name it was taken under. */
  private readonly returnedLocks = new Map<string, string>();
  /** Lock objects the function's own lock and unlock calls name. */
  private namedLocks: Set<string> | null = null;

  /** A name the function's lock calls use that is not one spelling of another value (lock-aliases.ts). */
  private isLockName(name: string): boolean {
    if (!this.namedLocks) {
      const aliases = this.locks.aliases;
      this.namedLocks = new Set();
      for (const b of this.fn.blocks)
        for (const o of b.ops) if ((o.kind === 'acquire' || o.kind === 'release') && !aliases.has(o.obj)) this.namedLocks.add(o.obj);
    }
    return this.namedLocks.has(name);
  }

  /**
   * `lock = pud_lock(mm, pud)` or `vmf->ptl = pmd_lock(..)`, where the function then unlocks
   * through that name (`spin_unlock(lock)`), the name not being one spelling of one value
   * (lock-aliases.ts): the lock held under the call's text is held under that name from here on.
   */
  private bindReturnedLock(s: State, op: Extract<Op, { kind: 'assign' }>): void {
    if (op.value.k !== 'result') return;
    const taken = this.returnedLocks.get(op.value.id);
    if (!taken) return;
    if (!this.isLockName(op.target) || s.locks.has(op.target)) return;
    const held = s.locks.get(taken);
    if (!held) {
      // Taken only on some of its returns (`ptl = pmd_trans_huge_lock(..); if (!ptl) return 0;`):
      // the effect waiting for the test takes it under this name.
      const list = s.pending.get(op.value.id);
      if (list?.some((p) => p.effect?.acquired.some((a) => a.obj === taken)))
        s.pending.set(
          op.value.id,
          list.map((p) =>
            p.effect ? { ...p, effect: { ...p.effect, acquired: p.effect.acquired.map((a) => (a.obj === taken ? { ...a, obj: op.target } : a)) } } : p,
          ),
        );
      return;
    }
    s.locks = new Map(s.locks);
    s.locks.delete(taken);
    s.locks.set(op.target, { ...held, obj: op.target });
  }

  /** Our own locals that name a value of our parameters, by that value's text. */
  private ownDefs: Map<string, string> | null = null;

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

  private keys: KeyResolver | null = null;
  /** The struct member a lock is, however it is reached (the race checks' typed key); null when a type is not shown. */
  private memberKey(obj: string): string | null {
    this.keys ??= new KeyResolver([this.fn]);
    const k = this.keys.data(this.fn, obj);
    return k?.typed ? k.key : null;
  }

  private gap(s: State, line: number | null): void {
    s.viaGap = true;
    this.locks.gap(s);
    this.refs.gap(s);
    this.memory.gap(s);
    this.flags.gap(s);
    addTrace(s, line, '...', 'code not shown in the patch (gap)');
  }

  // ---- terminators -------------------------------------------------------------------------------

  private terminate(block: Block, s: State): { b: number; s: State }[] {
    const t = block.term;
    switch (t.k) {
      case 'jump': {
        if (t.why !== 'goto' || t.line === null) return [this.edge(block.id, t.to, s, t.why)];
        // An unwinding ladder's goto is where a path picks its cleanup: the trace says which.
        const st = cloneOwning(s, 0);
        addTrace(st, t.line, t.label ? `goto ${t.label}` : 'goto', 'jumps to the label');
        return [this.edge(block.id, t.to, st, t.why)];
      }
      case 'branch':
        return this.branch(block, t, s);
      case 'switch':
        return t.cases.map((c) => this.edge(block.id, c.to, s, 'case'));
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

  private exit(t: Extract<Block['term'], { k: 'return' }>, s: State): void {
    const st = cloneState(s);
    if (t.value && st.allocs.size) this.memory.returned(st, t, this.refs.returnedVars(t.value, st));
    const returnedRef = this.refs.returned(st, t);
    const cls = classOfReturn(t.value, st);
    addTrace(st, t.line, 'return', `returns${t.value ? ` (${cls})` : ''}`);
    this.exits.push({ line: t.line, value: t.value, cls, state: st, trace: traceSteps(st), ...(returnedRef ? { returnedRef } : {}) });
  }

  private edge(from: number, to: number, s: State, why: string): { b: number; s: State } {
    return { b: to, s: this.errors.edge(from, to, s, why) };
  }

  private branch(block: Block, t: Extract<Block['term'], { k: 'branch' }>, s: State): { b: number; s: State }[] {
    const out: { b: number; s: State }[] = [];
    for (const outcome of [true, false]) {
      // Learning from the condition changes value facts only; effects it releases need a full copy.
      const r = assume(t.cond, outcome, s, (x) => cloneOwning(x, OWN.facts | OWN.rfacts | OWN.pending));
      if (!r || this.memory.impossible(t.cond, outcome, s)) continue;
      const failedGet = this.refs.failedGets(r.state);
      const failedAlloc = this.memory.failed(r.state);
      const st = r.fire.length || failedGet || failedAlloc ? cloneState(r.state) : r.state === s ? cloneOwning(s, 0) : r.state;
      for (const p of r.fire) this.fire(st, p);
      // A failed get or allocation: the variable is NULL or an error here.
      if (failedGet) this.refs.dropFailedGets(st);
      if (failedAlloc) this.memory.dropFailed(st);
      const target = outcome ? t.t : t.f;
      this.errors.branch(st, t.cond, outcome, target, t.line);
      if (t.why !== 'loop' && t.why !== 'iterator') addTrace(st, t.line, '', `condition ${outcome ? 'true' : 'false'}`);
      const jump = outcome ? t.gotoT : t.gotoF;
      if (jump) addTrace(st, jump.line, `goto ${jump.label}`, 'jumps to the label');
      out.push(this.edge(block.id, target, st, 'branch'));
    }
    return out;
  }
}

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
      return !(
        op.node &&
        (s.refs.size || s.allocs.size) &&
        (op.action === 'add' || op.action === 'add-tail' || op.action === 'move' || op.action === 'move-tail')
      );
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

// Executing one thread's IR over the shared world, one step at a time. A step runs the thread up to
// and including its next *visible* operation (one that touches shared state: a lock, a flag, a
// list, an atomic, a field of a shared object, a call the model gives meaning to) and then on, up
// to the next visible operation, so that other threads only ever interleave at visible points.
// Conditions the world does not decide (unknown calls, hidden code) fork the step: both sides are
// explored. What the step had to assume (hidden code, unknown calls, invisible function ends) is
// recorded, so a finding can say what it rests on.

import type { Block, Expr, FunctionIR, Op } from '../../c/ir.js';
import { successors } from '../cfg.js';
import { parsePath, printStep, rootVar, type AccessPath } from '../../c/path.js';
import { completionCall, isCompletionCall } from './waits.js';
import { mayBeShared } from './shared.js';
import { liveVariables } from './live.js';
import type { CallOp, Exec, Frame, Hooks, State, StepEvent, Thread, ThreadSpec, Violation } from './types.js';
import { ANY, NULL, type World, containerOf, fieldLoc, int, objectOf, ptr, truth, type Loc, type Value } from './world.js';
import { excludes, tryResult, waitsForLock } from '../domains/locks.js';

const MAX_OPS_PER_STEP = 4000;

const MAX_DEPTH = 8;
/** Loops whose condition nothing decides (iterators over unknown collections) run at most this often. */
export const LOOP_BOUND = 2;

export interface StepResult {
  state: State;
  event: StepEvent | null;
  assumptions: string[];
  violation: Violation | null;
}

export interface ExecEnv {
  fns: Map<string, FunctionIR>;
  hooks: Hooks;
  /** Members more than one thread may touch (shared.ts); ops on the others are not scheduling points. */
  shared?: Set<string>;
  /** Callees worth following (shared.ts: relevance); all are when absent. */
  follow?: (fn: FunctionIR) => boolean;
}

class Abort extends Error {}

/** A fresh frame for `fn`, parameters bound by position (then by name from `bind`). */
export function newFrame(fn: FunctionIR, w: World, tid: number, args: Value[] = [], bind: Record<string, Value> = {}): Frame {
  const f: Frame = { fn, b: 0, i: 0, env: new Map(), storage: new Set(), res: new Map(), took: [], iters: new Map(), loops: new Map(), came: 'call' };
  fn.params.forEach((p, k) => {
    const v = args[k] ?? bind[p.name];
    if (v) f.env.set(p.name, v);
  });
  for (const [name, v] of Object.entries(bind)) if (!f.env.has(name)) f.env.set(name, v);
  for (const l of fn.locals) {
    if (isStorageType(l.type)) {
      f.storage.add(l.name);
      f.env.set(l.name, ptr(w.create(l.name, structName(l.type), tid)));
    }
  }
  return f;
}

function isStorageType(t: string): boolean {
  if (t.includes('*')) return false;
  return /^(const\s+)?(struct|union)\s/.test(t) || /^(LIST_HEAD|LLIST_HEAD|HLIST_HEAD|BIO_EMPTY_LIST|DEFINE_WAIT)/.test(t) || t.includes('[');
}

function structName(t: string): string | null {
  const m = /(?:struct|union)\s+(\w+)/.exec(t);
  return m ? m[1]! : null;
}

function isPointerType(t: string | undefined): boolean {
  return !!t && t.includes('*');
}

/** Locks a function releases that no path from its visible start took: held when the visible code begins. */
export function entryHeldLocks(fn: FunctionIR): Extract<Op, { kind: 'release' }>[] {
  if (fn.meta.entryKnown) return [];
  const taken = new Map<number, Set<string>>(); // may-taken on entry to each block
  const out = new Map<string, Extract<Op, { kind: 'release' }>>();
  const work: number[] = [0];
  taken.set(0, new Set());
  const seen = new Set<string>();
  while (work.length) {
    const b = work.pop()!;
    const cur = new Set(taken.get(b));
    const block = fn.blocks[b];
    if (!block) continue;
    for (const op of block.ops) {
      if (op.kind === 'acquire') cur.add(op.obj);
      if (op.kind === 'release' && !cur.has(op.obj) && excludes(op.family) && !out.has(op.obj)) out.set(op.obj, op);
    }
    for (const s of successors(block.term)) {
      const prev = taken.get(s) ?? new Set<string>();
      const merged = new Set([...prev, ...cur]);
      const key = `${s}:${[...merged].sort().join(',')}`;
      if (seen.has(key)) continue;
      seen.add(key);
      taken.set(s, merged);
      work.push(s);
    }
  }
  return [...out.values()];
}

/** A thread from its spec, positioned at its start (locks its hidden start holds are taken). */
export function newThread(spec: ThreadSpec, w: World, id: number): Thread {
  if ('script' in spec) return { id, role: spec.role, entry: spec.entry, frames: [], script: { steps: spec.script, pc: 0 }, done: false };
  const frame = newFrame(spec.fn, w, id, spec.args ?? [], spec.bind ?? {});
  const t: Thread = { id, role: spec.role, entry: spec.fn.name, frames: [frame], done: false };
  return t;
}

/** Take the locks a thread's partial entry function holds when its visible code starts. */
export function takeEntryLocks(s: State, tid: number, env: ExecEnv): string[] {
  const t = s.threads[tid]!;
  const f = t.frames[0];
  if (!f) return [];
  const notes: string[] = [];
  const x = new Runner(s, tid, env);
  for (const op of entryHeldLocks(f.fn)) {
    const loc = x.lockLoc(op.obj);
    if (!loc) continue;
    s.world.acquire(loc, tid, op.mode === 'read');
    f.took.push(loc);
    notes.push(`${f.fn.name}() holds '${op.obj}' where its visible code starts (it releases it at line ${op.line ?? '?'} without taking it)`);
  }
  return notes;
}

function cloneFrame(f: Frame): Frame {
  return {
    ...f,
    env: new Map(f.env),
    storage: f.storage,
    res: new Map(f.res),
    took: [...f.took],
    iters: new Map([...f.iters].map(([k, v]) => [k, { left: [...v.left], current: v.current }])),
    loops: new Map(f.loops),
  };
}

export function cloneThread(t: Thread): Thread {
  return { ...t, frames: t.frames.map(cloneFrame), ...(t.script ? { script: { ...t.script } } : {}) };
}

/** Threads in a state never change (a step moves a copy), so their keys are computed once. */
const keys = new WeakMap<Thread, string>();

export function threadKey(t: Thread): string {
  let k = keys.get(t);
  if (k === undefined) {
    k = computeThreadKey(t);
    keys.set(t, k);
  }
  return k;
}

function computeThreadKey(t: Thread): string {
  if (t.done) return 'done';
  return (
    (t.script ? `s${t.script.pc}${t.script.calling !== undefined ? `c${t.script.calling}` : ''}:` : '') +
    t.frames
      .map((f) => {
        const env = [...f.env]
          .map(([k, v]) => `${k}=${vk(v)}`)
          .sort()
          .join(',');
        const res = [...f.res]
          .map(([k, v]) => `${k}=${vk(v)}`)
          .sort()
          .join(',');
        const it = [...f.iters].map(([k, v]) => `${k}:${v.current ?? '-'}:${v.left.join('+')}`).join(',');
        const lp = [...f.loops].map(([k, v]) => `${k}:${v}`).join(',');
        return `${f.fn.name}@${f.b}.${f.i}[${env}|${res}|${f.took.join(',')}|${it}|${lp}|${f.came}]`;
      })
      .join('>')
  );
}

const vk = (v: Value): string => (v.t === 'ptr' ? `&${v.loc}` : v.t === 'int' ? String(v.v) : v.t);

/**
 * One branch of a step in progress: its own copy of the world and of the moving thread.
 * `step()` drives a worklist of these until each has run one visible op and reached the next.
 */
class Runner implements Exec {
  w: World;
  thread: Thread;
  events: StepEvent[] = [];
  assumptions: string[] = [];
  violation: Violation | null = null;
  visibleDone = false;
  blocked: string | null = null;
  ops = 0;
  spawned: ThreadSpec[] = [];
  private pendingNote: string | null = null;
  private touched: Loc[] = [];
  private modelled = false;
  line: number | null = null;

  constructor(
    public s: State,
    public tid: number,
    private readonly env: ExecEnv,
  ) {
    this.w = s.world;
    this.thread = s.threads[tid]!;
  }

  get state(): State {
    return this.s;
  }

  get frame(): Frame | null {
    return this.thread.frames[this.thread.frames.length - 1] ?? null;
  }

  fork(): Runner {
    const w = this.w.clone();
    const threads = this.s.threads.map((t, i) => (i === this.tid ? cloneThread(t) : t));
    const r = new Runner({ world: w, threads }, this.tid, this.env);
    r.events = [...this.events];
    r.assumptions = [...this.assumptions];
    r.visibleDone = this.visibleDone;
    r.ops = this.ops;
    r.spawned = [...this.spawned];
    r.line = this.line;
    return r;
  }

  // ---- Exec (the hooks' view) --------------------------------------------------------------------

  note(text: string): void {
    this.pendingNote = this.pendingNote ? `${this.pendingNote}; ${text}` : text;
  }

  assume(text: string): void {
    if (!this.assumptions.includes(text)) this.assumptions.push(text);
  }

  violate(v: Omit<Violation, 'thread' | 'function' | 'line'> & { line?: number | null }): void {
    if (this.violation) return;
    this.violation = { ...v, thread: this.tid, function: this.frame?.fn.name ?? this.thread.entry, line: v.line ?? this.line };
  }

  spawn(spec: ThreadSpec): void {
    this.spawned.push(spec);
  }

  locOf(path: string): Loc | null {
    return this.loc(path);
  }

  touch(loc: Loc): void {
    this.touched.push(loc);
  }

  value(e: Expr): Value {
    return this.eval(e);
  }

  // ---- variables and paths -------------------------------------------------------------------

  private declared(name: string): { type: string } | undefined {
    const f = this.frame!;
    return f.fn.locals.find((l) => l.name === name) ?? f.fn.params.find((p) => p.name === name);
  }

  /** The value of a variable: the frame's, a model binding, a hidden local, or a global. */
  variable(name: string): Value {
    const f = this.frame!;
    const v = f.env.get(name);
    if (v) return v;
    if (this.declared(name)) return ANY;
    const bound = this.env.hooks.bind?.(this, name);
    if (bound) {
      f.env.set(name, bound);
      return bound;
    }
    if (!f.fn.meta.entryKnown) {
      // Declared in the part of the function the patch does not show: its own storage.
      const loc = this.w.create(name, null, this.tid);
      f.env.set(name, ptr(loc));
      f.storage.add(name);
      return ptr(loc);
    }
    const g = `g:${name}`;
    if (!this.w.objects.has(g)) this.w.objects.set(g, { label: name, type: null });
    return ptr(g);
  }

  private isStorage(name: string): boolean {
    const f = this.frame!;
    if (f.storage.has(name)) return true;
    if (f.env.has(name) || this.declared(name)) return false;
    const v = this.variable(name);
    return f.storage.has(name) || (v.t === 'ptr' && v.loc.startsWith('g:') && !v.loc.includes('.'));
  }

  /** A pointer value to follow; unknown pointers become fresh objects, stored back so later reads agree. */
  private deref(v: Value, label: string, storeBack: (v: Value) => void): Loc {
    if (v.t === 'ptr') {
      const o = this.w.object(v.loc);
      if (o?.freed) {
        this.violate({ invariant: 'use-after-free', message: `uses ${o.label} after it was freed`, objects: [label], sequential: o.freedBy === this.tid });
        throw new Abort();
      }
      return v.loc;
    }
    if (v.t === 'any') {
      const loc = this.w.create(label, null);
      storeBack(ptr(loc));
      return loc;
    }
    this.violate({
      invariant: v.t === 'err' ? 'err-ptr-deref' : 'null-deref',
      message: `dereferences '${label}', which is ${v.t === 'err' ? 'an error pointer' : 'NULL'} here`,
      objects: [label],
      sequential: true,
    });
    throw new Abort();
  }

  private rootLoc(p: AccessPath, text: string): { loc: Loc | null; value: Value; store: (v: Value) => void } {
    const f = this.frame!;
    const r = p.root;
    if (r.k === 'var') {
      const name = r.name;
      const value = this.variable(name);
      if (this.isStorage(name) && value.t === 'ptr') return { loc: value.loc, value, store: () => undefined };
      return { loc: null, value, store: (v) => f.env.set(name, v) };
    }
    if (r.k === 'call') {
      const key = `call:${r.text}`;
      const value = f.env.get(key) ?? ANY;
      return { loc: null, value, store: (v) => f.env.set(key, v) };
    }
    const inner = r.inner;
    const l = this.pathLoc(inner, text);
    if (inner.addr) return { loc: null, value: l ? ptr(l) : ANY, store: () => undefined };
    if (!l) return { loc: null, value: ANY, store: () => undefined };
    return { loc: l, value: this.w.load(l), store: (v) => this.w.store(l, v) };
  }

  /** The location a parsed path designates (ignoring a leading &). */
  private pathLoc(p: AccessPath, text: string): Loc | null {
    const root = this.rootLoc(p, text);
    let loc = root.loc;
    let value = root.value;
    let store = root.store;
    let label = p.root.k === 'var' ? p.root.name : text;
    if (!p.steps.length) {
      // A bare name: the object it is (storage) or the one it points to.
      if (loc === null) loc = this.deref(value, label, store);
    }
    for (const s of p.steps) {
      if (s.op === '->' || loc === null) {
        const base = loc !== null && s.op === '->' ? this.w.load(loc) : value;
        const from = loc;
        const st = loc !== null && s.op === '->' ? (v: Value) => this.w.store(from!, v) : store;
        loc = this.deref(base, label, st);
      } else {
        const o = this.w.object(loc);
        if (o?.freed) {
          this.violate({ invariant: 'use-after-free', message: `uses ${o.label} after it was freed`, objects: [label], sequential: o.freedBy === this.tid });
          throw new Abort();
        }
      }
      loc = fieldLoc(loc, s.field);
      label = `${label}${printStep(s)}`;
      value = this.w.load(loc);
      const here = loc;
      store = (v) => this.w.store(here, v);
    }
    for (let k = 0; k < p.derefs; k++) {
      const from = loc!;
      loc = this.deref(this.w.load(from), `*${label}`, (v) => this.w.store(from, v));
    }
    return loc;
  }

  /** The location a normalised object text names: a list head, a flag word, a counter, a lock. */
  loc(text: string): Loc | null {
    const p = parsePath(text);
    if (!p) return null;
    const l = this.pathLoc(p, text);
    if (l && this.w.object(l)?.stack !== this.tid) this.touched.push(l);
    return l;
  }

  lockLoc(obj: string): Loc | null {
    return this.loc(obj);
  }

  /** The value a path expression reads. */
  private pathValue(text: string): Value {
    const p = parsePath(text);
    if (!p) return ANY;
    if (p.addr) {
      const l = this.pathLoc(p, text);
      return l ? ptr(l) : ANY;
    }
    if (!p.steps.length && !p.derefs && p.root.k === 'var') return this.variable(p.root.name);
    if (!p.steps.length && !p.derefs && p.root.k === 'call') return this.frame!.env.get(`call:${p.root.text}`) ?? ANY;
    const l = this.pathLoc(p, text);
    return l ? this.w.load(l) : ANY;
  }

  /** Is a path about this thread's own stack (never seen by another thread)? */
  private isLocal(text: string | null): boolean {
    if (!text) return true;
    const p = parsePath(text);
    if (!p) return false;
    const root = rootVar(p);
    if (!root) return false;
    const f = this.frame!;
    const v = f.env.get(root);
    if (f.storage.has(root)) return true;
    if (v?.t === 'ptr' && p.steps.length === 0) return this.w.object(v.loc)?.stack === this.tid;
    if (v?.t === 'ptr') return this.w.object(v.loc)?.stack === this.tid && p.steps.every((s) => s.op === '.');
    return false;
  }

  // ---- expressions -----------------------------------------------------------------------------

  eval(e: Expr): Value {
    switch (e.k) {
      case 'var':
        return this.variable(e.name);
      case 'path':
        return this.pathValue(e.path);
      case 'int':
        return int(e.value);
      case 'bool':
        return int(e.value ? 1 : 0);
      case 'null':
        return NULL;
      case 'errno':
        return int(-1);
      case 'errptr':
        return { t: 'err' };
      case 'result':
        return this.frame!.res.get(e.id) ?? ANY;
      case 'not': {
        const t = truth(this.eval(e.e));
        return t === null ? ANY : int(t ? 0 : 1);
      }
      case 'logic': {
        const a = truth(this.eval(e.a));
        if (e.op === '&&' && a === false) return int(0);
        if (e.op === '||' && a === true) return int(1);
        const b = truth(this.eval(e.b));
        if (a === null || b === null) return e.op === '&&' && b === false ? int(0) : e.op === '||' && b === true ? int(1) : ANY;
        return int((e.op === '&&' ? a && b : a || b) ? 1 : 0);
      }
      case 'cmp':
        return compare(e.op, this.eval(e.a), this.eval(e.b));
      case 'is_err': {
        const v = this.eval(e.e);
        if (v.t === 'err') return int(1);
        if (v.t === 'null') return int(e.orNull ? 1 : 0);
        if (v.t === 'ptr') return int(0);
        if (v.t === 'int') return int(v.v < 0 && v.v > -4096 ? 1 : 0);
        return ANY;
      }
      case 'arith': {
        const a = this.eval(e.a);
        const b = e.b ? this.eval(e.b) : null;
        if (a.t !== 'int' || (b && b.t !== 'int')) return ANY;
        return arith(e.op, a.v, b?.t === 'int' ? b.v : null);
      }
      case 'addr':
        if (e.e.k === 'var') {
          const v = this.variable(e.e.name);
          return this.isStorage(e.e.name) ? v : ANY;
        }
        return ANY;
      case 'cond': {
        const c = truth(this.eval(e.c));
        if (c === null) return ANY;
        return this.eval(c ? e.t : e.f);
      }
      default:
        return ANY; // const, str, opaque, unknown
    }
  }

  /** After a branch on a condition nothing decided: make the chosen outcome true of the variables in it. */
  private refine(c: Expr, outcome: boolean): void {
    const f = this.frame!;
    const set = (target: Expr, v: Value): void => {
      if (target.k === 'var') f.env.set(target.name, v);
      else if (target.k === 'result') f.res.set(target.id, v);
    };
    const typeOf = (t: Expr): string | undefined => (t.k === 'var' ? this.declared(t.name)?.type : undefined);
    if (c.k === 'not') return this.refine(c.e, !outcome);
    if (c.k === 'var' || c.k === 'result') {
      if (this.eval(c).t !== 'any') return;
      if (isPointerType(typeOf(c))) set(c, outcome ? ptr(this.w.create(c.k === 'var' ? c.name : 'result', null)) : NULL);
      else set(c, int(outcome ? 1 : 0));
      return;
    }
    if (c.k === 'is_err' && (c.e.k === 'var' || c.e.k === 'result')) {
      if (this.eval(c.e).t !== 'any') return;
      set(c.e, outcome ? { t: 'err' } : ptr(this.w.create(c.e.k === 'var' ? c.e.name : 'result', null)));
      return;
    }
    if (c.k === 'cmp' && (c.a.k === 'var' || c.a.k === 'result') && this.eval(c.a).t === 'any') {
      const b = this.eval(c.b);
      if (b.t === 'int' && ((c.op === '==' && outcome) || (c.op === '!=' && !outcome))) set(c.a, b);
      else if (b.t === 'null' && ((c.op === '==' && outcome) || (c.op === '!=' && !outcome))) set(c.a, NULL);
      else if (b.t === 'int' && b.v === 0 && c.op === '<') set(c.a, int(outcome ? -1 : 0));
    }
  }

  // ---- stepping --------------------------------------------------------------------------------

  /** Is the thread's next operation visible to other threads? (The terminator never is.) */
  atVisible(): boolean {
    const t = this.thread;
    if (t.done) return false;
    if (t.script && !t.frames.length) return true;
    const f = this.frame;
    if (!f) return false;
    const block = f.fn.blocks[f.b];
    if (!block || f.i >= block.ops.length) return false;
    return this.visible(block.ops[f.i]!);
  }

  private visible(op: Op): boolean {
    const h = this.env.hooks;
    const sh = (...paths: (string | null)[]): boolean => mayBeShared(this.env.shared, paths);
    switch (op.kind) {
      case 'acquire':
      case 'release':
        return excludes(op.family) && sh(op.obj) && !this.isLocal(op.obj);
      case 'flag':
        return sh(op.word) && !this.isLocal(op.word);
      case 'list':
        return sh(op.head, op.node, op.target) && !(this.isLocal(op.head) && this.isLocal(op.node) && this.isLocal(op.target));
      case 'atomic':
        return sh(op.obj) && !this.isLocal(op.obj);
      case 'access':
        return sh(op.path) && !this.isLocal(op.path);
      case 'free':
        return true;
      case 'call':
        return !!h.calls?.has(op.callee) || (!op.indirect && isCompletionCall(op.callee));
      case 'ref':
        return !!h.calls?.has(op.primitive);
      case 'gap':
        return !!h.gap;
      default:
        return false;
    }
  }

  /** Run one op or terminator. Returns forks (other outcomes) to explore besides this runner. */
  advance(): Runner[] {
    const t = this.thread;
    if (t.script && !t.frames.length) return this.scriptStep();
    const f = this.frame!;
    const block = f.fn.blocks[f.b];
    if (!block) {
      this.finish();
      return [];
    }
    if (++this.ops > MAX_OPS_PER_STEP) {
      this.assume(`${f.fn.name}() ran ${MAX_OPS_PER_STEP} operations without touching shared state: stopped there`);
      this.finish();
      return [];
    }
    if (f.i < block.ops.length) {
      const op = block.ops[f.i]!;
      const vis = this.visible(op);
      this.line = op.line;
      this.touched = [];
      this.modelled = false;
      f.i++;
      try {
        this.op(op, f);
      } catch (e) {
        if (!(e instanceof Abort)) throw e;
        this.finish();
        return [];
      }
      if (vis && !this.blocked) this.record(op, f);
      return [];
    }
    this.line = block.term.line;
    try {
      return this.terminator(block, f);
    } catch (e) {
      if (!(e instanceof Abort)) throw e;
      this.finish();
      return [];
    }
  }

  private record(op: Op, f: Frame): void {
    this.visibleDone = true;
    const note = this.pendingNote ?? describeOp(op);
    this.pendingNote = null;
    const text = op.kind === 'gap' ? hiddenText(f, op.id) : (op.text ?? ('primitive' in op ? op.primitive : op.kind));
    this.events.push({
      thread: this.tid,
      function: f.fn.name,
      line: op.line,
      text,
      note,
      locs: [...new Set(this.touched)],
      mode: modeOf(op),
      ...(isTest(op) || this.readsList(op) ? { test: true } : {}),
      ...(op.kind === 'acquire' ? { dir: 'take' as const } : op.kind === 'release' ? { dir: 'drop' as const } : {}),
      ...(this.modelled ? { modelled: true } : {}),
    });
  }

  /** A plain read of a whole list (`list = md->rescued`): what it saw decides what the thread does. */
  private readsList(op: Op): boolean {
    return op.kind === 'access' && op.mode === 'read' && this.touched.some((l) => this.w.lists.has(l));
  }

  private scriptStep(): Runner[] {
    const sc = this.thread.script!;
    const stepDef = sc.steps[sc.pc];
    if (!stepDef) {
      this.thread.done = true;
      return [];
    }
    this.touched = [];
    const ok = stepDef.enabled ? stepDef.enabled(this) : true;
    if (ok !== true) {
      this.blocked = ok;
      return [];
    }
    stepDef.run?.(this);
    const call = stepDef.call?.(this) ?? null;
    sc.pc++;
    this.visibleDone = true;
    this.events.push({
      thread: this.tid,
      function: this.thread.entry,
      line: null,
      text: stepDef.text,
      note: this.pendingNote ?? '',
      locs: [...new Set(this.touched)],
      mode: 'write',
      modelled: true,
    });
    this.pendingNote = null;
    if (call) {
      sc.calling = sc.pc - 1;
      this.thread.frames.push(newFrame(call.fn, this.w, this.tid, call.args ?? [], call.bind ?? {}));
      return [];
    }
    if (sc.pc >= sc.steps.length) this.thread.done = true;
    return [];
  }

  private finish(): void {
    this.thread.frames = [];
    this.thread.done = true;
  }

  private jump(f: Frame, to: number, why: string): void {
    f.b = to;
    f.i = 0;
    f.came = why;
    // Op results are used by the block that made them (its ops and its branch), and locals the
    // code will not read again are dead: kept, they would only keep equal states apart.
    if (f.res.size) f.res = new Map();
    const live = liveVariables(f.fn)[to];
    if (live) for (const k of [...f.env.keys()]) if (!live.has(k) && !f.storage.has(k) && !k.startsWith('call:')) f.env.delete(k);
  }

  private terminator(block: Block, f: Frame): Runner[] {
    const t = block.term;
    switch (t.k) {
      case 'jump':
        this.jump(f, t.to, t.why);
        return [];
      case 'branch': {
        if (t.why === 'iterator') {
          const it = f.iters.get(block.id);
          if (it) {
            this.jump(f, it.current !== null ? t.t : t.f, 'branch');
            if (it.current === null) f.iters.delete(block.id);
            return [];
          }
        }
        const v = truth(this.eval(t.cond));
        if (v !== null) {
          this.jump(f, v ? t.t : t.f, 'branch');
          return [];
        }
        const bounded = t.why === 'loop' || t.why === 'iterator';
        if (bounded) {
          const n = (f.loops.get(block.id) ?? 0) + 1;
          f.loops.set(block.id, n);
          if (n > LOOP_BOUND) {
            this.assume(`${f.fn.name}(): the loop at line ${t.line ?? '?'} depends on nothing the model knows: explored for at most ${LOOP_BOUND} iterations`);
            this.jump(f, t.f, 'branch');
            return [];
          }
        }
        const other = this.fork();
        other.refine(t.cond, false);
        other.jump(other.frame!, t.f, 'branch');
        this.refine(t.cond, true);
        this.jump(f, t.t, 'branch');
        return [other];
      }
      case 'switch': {
        const v = this.eval(t.on);
        const matches = t.cases.filter(
          (c) =>
            c.match !== 'default' &&
            c.match.some((m) => {
              const mv = this.eval(m);
              return v.t === 'int' && mv.t === 'int' && mv.v === v.v;
            }),
        );
        if (v.t === 'int' && t.cases.every((c) => c.match === 'default' || c.match.every((m) => this.eval(m).t === 'int'))) {
          const target = matches[0] ?? t.cases.find((c) => c.match === 'default');
          if (target) this.jump(f, target.to, 'case');
          else this.finishFrame(ANY);
          return [];
        }
        const targets = [...new Set(t.cases.map((c) => c.to))];
        const forks = targets.slice(1).map((to) => {
          const r = this.fork();
          r.jump(r.frame!, to, 'case');
          return r;
        });
        this.jump(f, targets[0]!, 'case');
        return forks;
      }
      case 'return':
        this.finishFrame(t.value ? this.eval(t.value) : ANY);
        return [];
      case 'unknown-exit': {
        // The function goes on in code we cannot see: it returns something, and drops the locks it took.
        for (const l of f.took) this.w.release(l, this.tid);
        if (f.took.length)
          this.assume(
            `the end of ${f.fn.name}() is not visible: the locks it took there (${f.took.map((l) => this.w.describe(l)).join(', ')}) are assumed released by it`,
          );
        else this.assume(`the end of ${f.fn.name}() is not visible: its return value is not known`);
        f.took = [];
        this.finishFrame(ANY);
        return [];
      }
      default:
        this.finish();
        return [];
    }
  }

  private finishFrame(v: Value): void {
    const t = this.thread;
    const done = t.frames.pop()!;
    const caller = this.frame;
    if (!caller) {
      const sc = t.script;
      if (sc && sc.calling !== undefined) {
        sc.steps[sc.calling]?.onReturn?.(this, v);
        sc.calling = undefined;
        if (sc.pc < sc.steps.length) return;
      }
      t.done = true;
      return;
    }
    // Locks a callee returns holding stay with the caller (helpers that return locked).
    caller.took.push(...done.took.filter((l) => this.w.heldBy(this.tid).includes(l)));
    if (done.ret) caller.res.set(done.ret, v);
  }

  // ---- operations ------------------------------------------------------------------------------

  private op(op: Op, f: Frame): void {
    switch (op.kind) {
      case 'acquire':
        return this.acquire(op, f);
      case 'release': {
        if (!excludes(op.family)) return;
        const loc = this.lockLoc(op.obj);
        if (!loc) return;
        if (!this.w.release(loc, this.tid)) {
          this.assume(`${f.fn.name}() releases '${op.obj}' at line ${op.line ?? '?'} without having taken it (taken in code not shown)`);
        }
        for (const fr of this.thread.frames) fr.took = fr.took.filter((l) => l !== loc);
        this.note(`releases ${this.w.describe(loc)}`);
        return;
      }
      case 'flag': {
        const word = this.loc(op.word);
        if (!word) return;
        const was = this.w.testBit(word, op.bit);
        const set = (on: boolean): void => void this.w.setBit(word, op.bit, on);
        switch (op.action) {
          case 'set':
            set(true);
            this.note(`sets ${op.bit}`);
            break;
          case 'clear':
            set(false);
            this.note(`clears ${op.bit}`);
            break;
          case 'change':
            set(!was);
            break;
          case 'test':
            this.note(`${op.bit} is ${was ? 'set' : 'clear'}`);
            break;
          case 'test-set':
            set(true);
            this.note(`${op.bit} was ${was ? 'set' : 'clear'}; sets it`);
            break;
          case 'test-clear':
            set(false);
            this.note(`${op.bit} was ${was ? 'set' : 'clear'}; clears it`);
            break;
          case 'test-change':
            set(!was);
            break;
        }
        if (op.result) f.res.set(op.result, int(was ? 1 : 0));
        return;
      }
      case 'list':
        return this.list(op, f);
      case 'atomic':
        return this.atomic(op, f);
      case 'ref':
        if (this.env.hooks.calls?.has(op.primitive))
          this.modelCall(
            op.primitive,
            [this.pathValue(op.obj)],
            { ...op, kind: 'call', callee: op.primitive, indirect: false, args: [], argText: [op.obj] } as CallOp,
            f,
          );
        return;
      case 'alloc': {
        const loc = this.w.create(op.obj ? lastName(op.obj) : op.primitive, null);
        if (op.result) f.res.set(op.result, ptr(loc));
        return;
      }
      case 'free': {
        const v = this.pathValue(op.obj);
        if (v.t !== 'ptr') return;
        const id = objectOf(v.loc);
        const o = this.w.objects.get(id);
        if (!o) return;
        if (o.freed) {
          this.violate({ invariant: 'double-free', message: `frees ${o.label} a second time`, objects: [op.obj], sequential: o.freedBy === this.tid });
          throw new Abort();
        }
        this.w.objects.set(id, { ...o, freed: true, freedBy: this.tid });
        this.note(`frees ${o.label}`);
        return;
      }
      case 'call':
        return this.call(op, f);
      case 'access': {
        const l = this.loc(op.path);
        if (l) this.note(`${op.mode === 'read' ? 'reads' : 'writes'} ${this.w.describe(l)}`);
        return;
      }
      case 'assign':
        return this.assign(op.target, op.value, f);
      case 'gap': {
        const gap = f.fn.meta.gaps.find((g) => g.id === op.id);
        const where = gap && gap.fromLine !== null ? `lines ${gap.fromLine}-${gap.toLine}` : 'code';
        this.hiddenRelease(f, where);
        if (this.env.hooks.gap?.(this, op.id)) {
          this.modelled = true;
          return;
        }
        this.assume(`${f.fn.name}(): the ${where} the patch does not show are assumed not to touch the modelled state`);
        this.note('code not shown');
        return;
      }
      case 'unknown':
        this.assume(`${f.fn.name}(): line ${op.line ?? '?'} was not understood (${op.reason}): skipped`);
        return;
      default:
        return;
    }
  }

  /**
   * Locks the frame holds across hidden code that no visible code releases later: the hidden code
   * is where they are dropped (a function does not keep a lock it never visibly gives back).
   */
  private hiddenRelease(f: Frame, where: string): void {
    if (!f.took.length) return;
    const later = new Set<Loc>();
    const seen = new Set<number>();
    const visit = (b: number, from: number): void => {
      const block = f.fn.blocks[b];
      if (!block) return;
      for (const op of block.ops.slice(from)) {
        if (op.kind !== 'release') continue;
        const saved = this.touched.length;
        try {
          const l = this.lockLoc(op.obj);
          if (l) later.add(l);
        } catch (e) {
          if (!(e instanceof Abort)) throw e;
          this.violation = null;
        }
        this.touched.length = saved;
      }
      for (const s of successors(block.term))
        if (!seen.has(s)) {
          seen.add(s);
          visit(s, 0);
        }
    };
    visit(f.b, f.i);
    for (const l of [...f.took]) {
      if (later.has(l)) continue;
      this.w.release(l, this.tid);
      f.took = f.took.filter((x) => x !== l);
      this.assume(
        `${f.fn.name}(): ${this.w.describe(l)} is held into the ${where} the patch does not show and never released in the code it shows: assumed released there`,
      );
    }
  }

  private acquire(op: Extract<Op, { kind: 'acquire' }>, f: Frame): void {
    if (!excludes(op.family)) {
      if (op.result) f.res.set(op.result, int(tryResult(op.try, true)));
      return;
    }
    const loc = this.lockLoc(op.obj);
    if (!loc) return;
    const shared = op.mode === 'read';
    const l = this.w.lockInfo(loc);
    const mine = l.owner === this.tid || l.readers.includes(this.tid);
    if (!waitsForLock(op.try)) {
      // A trylock: takes the lock if it is free, else fails at once.
      const ok = !mine && this.w.canAcquire(loc, this.tid, shared);
      if (ok) {
        this.w.acquire(loc, this.tid, shared);
        f.took.push(loc);
      }
      if (op.result) f.res.set(op.result, int(tryResult(op.try, ok)));
      this.note(ok ? `takes ${this.w.describe(loc)}` : `${this.w.describe(loc)} is busy: the trylock fails`);
      return;
    }
    if (mine || !this.w.canAcquire(loc, this.tid, shared)) {
      const holder = l.owner ?? l.readers[0];
      this.blocked = mine ? `${this.w.describe(loc)}, which it already holds` : `${this.w.describe(loc)}, held by CPU${holder}`;
      f.i--; // the acquire is still to do
      return;
    }
    this.w.acquire(loc, this.tid, shared);
    f.took.push(loc);
    if (op.result) f.res.set(op.result, int(tryResult(op.try, true)));
    this.note(`takes ${this.w.describe(loc)}`);
  }

  private list(op: Extract<Op, { kind: 'list' }>, f: Frame): void {
    const w = this.w;
    const head = op.head ? this.loc(op.head) : null;
    const isBio = op.family === 'bio_list';
    // A node argument: for bio_list the bio itself, otherwise the list_head/llist_node inside an entry.
    const nodeLoc = (): Loc | null => (op.node ? this.loc(op.node) : null);
    const entryValue = (n: Loc | undefined): Value => {
      if (n === undefined) return NULL;
      if (isBio || op.family === 'llist') return ptr(n);
      return ptr(containerOf(n));
    };
    const label = (h: Loc | null): string => (h ? w.describe(h) : '?');
    switch (op.action) {
      case 'add':
      case 'add-tail': {
        const n = nodeLoc();
        if (!head || !n) return;
        w.addNode(head, n, op.action === 'add' && !isBio ? 'head' : 'tail');
        this.note(`puts ${w.describe(containerOf(n))} on ${label(head)}`);
        return;
      }
      case 'del':
      case 'del-init': {
        const n = nodeLoc();
        if (n) w.unlink(n);
        return;
      }
      case 'move':
      case 'move-tail': {
        const n = nodeLoc();
        const to = op.target ? this.loc(op.target) : head;
        if (n && to) w.addNode(to, n, op.action === 'move' ? 'head' : 'tail');
        return;
      }
      case 'splice':
      case 'splice-init':
      case 'splice-tail':
      case 'splice-tail-init': {
        const to = op.target ? this.loc(op.target) : null;
        if (!head || !to) return;
        const n = w.list(head).length;
        w.splice(head, to, op.action.startsWith('splice-tail') ? 'tail' : 'head');
        this.note(`moves ${n} entr${n === 1 ? 'y' : 'ies'} from ${label(head)} to ${label(to)}`);
        return;
      }
      case 'pop': {
        if (!head) return;
        const items = w.list(head);
        const first = items[0];
        if (first !== undefined) w.lists.set(head, items.slice(1));
        // ploop-style pop helpers of a list_head list return the entry; llist_del_first the node.
        if (op.result) f.res.set(op.result, first === undefined ? NULL : isBio || op.family === 'llist' ? ptr(first) : ptr(containerOf(first)));
        this.note(first === undefined ? `${label(head)} is empty` : `takes ${w.describe(containerOf(first))} off ${label(head)}`);
        return;
      }
      case 'first': {
        if (!head) return;
        const items = w.list(head);
        const pick = /last/.test(op.primitive) ? items[items.length - 1] : items[0];
        if (op.result) f.res.set(op.result, entryValue(pick));
        return;
      }
      case 'empty': {
        if (!head) return;
        const empty = w.list(head).length === 0;
        if (op.result) f.res.set(op.result, int(empty ? 1 : 0));
        this.note(`${label(head)} is ${empty ? 'empty' : 'not empty'}`);
        return;
      }
      case 'init':
        if (head) w.lists.set(head, []);
        return;
      case 'del-all': {
        if (!head) return;
        const items = w.list(head);
        const chain = w.create(`${label(head)} (taken)`, null, this.tid);
        w.lists.set(chain, items);
        w.lists.set(head, []);
        if (op.result) f.res.set(op.result, items.length ? ptr(chain) : NULL);
        this.note(`takes ${items.length} entr${items.length === 1 ? 'y' : 'ies'} off ${label(head)}`);
        return;
      }
      case 'iterate': {
        if (!head) return;
        if (f.came !== 'loop' && f.came !== 'continue') f.iters.set(f.b, { left: [...w.list(head)], current: null });
        const it = f.iters.get(f.b);
        if (it) {
          it.current = it.left.shift() ?? null;
          // The cursor assignment that follows gets this node.
          (it as { entry?: boolean }).entry = /_entry/.test(op.primitive) && !isBio;
        }
        return;
      }
      default:
        return;
    }
  }

  private atomic(op: Extract<Op, { kind: 'atomic' }>, f: Frame): void {
    const loc = this.loc(op.obj);
    if (!loc) return;
    const w = this.w;
    const cur = w.counts.get(loc);
    const set = (v: number | undefined): void => {
      if (v === undefined) w.counts.delete(loc);
      else w.counts.set(loc, v);
    };
    const res = (v: Value): void => {
      if (op.result) f.res.set(op.result, v);
    };
    const known = cur !== undefined;
    const name = w.describe(loc);
    switch (op.action) {
      case 'inc':
        set(known ? cur + 1 : undefined);
        break;
      case 'dec':
        set(known ? cur - 1 : undefined);
        break;
      case 'read':
        res(known ? int(cur) : ANY);
        this.note(known ? `reads ${name} = ${cur}` : `reads ${name}`);
        return;
      case 'set': {
        const m = /,\s*(-?\d+)\s*\)\s*;?$/.exec(op.text ?? '');
        set(m ? Number(m[1]) : undefined);
        break;
      }
      case 'dec-and-test':
      case 'sub-and-test': {
        const d = op.action === 'dec-and-test' ? 1 : null;
        if (known && d !== null) {
          set(cur - d);
          res(int(cur - d === 0 ? 1 : 0));
          this.note(`drops ${name} to ${cur - d}${cur - d === 0 ? ': the last one' : ''}`);
        } else {
          set(undefined);
          res(ANY);
        }
        return;
      }
      case 'inc-and-test':
        if (known) {
          set(cur + 1);
          res(int(cur + 1 === 0 ? 1 : 0));
        } else res(ANY);
        return;
      case 'inc-not-zero':
        if (known) {
          if (cur !== 0) set(cur + 1);
          res(int(cur !== 0 ? 1 : 0));
        } else res(ANY);
        return;
      case 'inc-return':
      case 'dec-return':
        if (known) {
          const v = cur + (op.action === 'inc-return' ? 1 : -1);
          set(v);
          res(int(v));
        } else res(ANY);
        return;
      default:
        set(undefined);
        res(ANY);
        return;
    }
    this.note(
      `${op.action === 'set' ? 'sets' : op.action === 'inc' ? 'increments' : op.action === 'dec' ? 'decrements' : 'changes'} ${name}${w.counts.has(loc) ? ` (now ${w.counts.get(loc)})` : ''}`,
    );
  }

  private call(op: CallOp, f: Frame): void {
    const h = this.env.hooks;
    if (h.calls?.has(op.callee)) {
      this.modelCall(
        op.callee,
        op.args.map((a) => this.eval(a)),
        op,
        f,
      );
      return;
    }
    if (!op.indirect && isCompletionCall(op.callee)) {
      const loc = op.argText[0] ? this.loc(op.argText[0]) : null;
      if (!loc) return;
      const r = completionCall(this.w, op.callee, loc);
      if ('blocked' in r) {
        this.blocked = r.blocked;
        f.i--;
        return;
      }
      this.note(r.note);
      if (op.result) f.res.set(op.result, r.value);
      return;
    }
    if (!op.indirect && /^(container_of|list_entry|llist_entry|hlist_entry|list_entry_rcu|container_of_const)$/.test(op.callee)) {
      const v = op.args[0] ? this.eval(op.args[0]) : ANY;
      if (op.result) f.res.set(op.result, v.t === 'ptr' ? ptr(containerOf(v.loc)) : ANY);
      return;
    }
    const callee = op.indirect ? undefined : this.env.fns.get(op.callee);
    if (callee && this.env.follow && !this.env.follow(callee)) {
      if (op.result) f.res.set(op.result, ANY);
      this.assume(`${callee.name}() touches nothing another thread of the scenario touches: not followed (its result is not known)`);
      return;
    }
    if (callee?.blocks.length && this.thread.frames.length < MAX_DEPTH && !this.thread.frames.some((fr) => fr.fn === callee)) {
      const args = op.args.map((a) => this.eval(a));
      const frame = newFrame(callee, this.w, this.tid, args);
      if (op.result) frame.ret = op.result;
      this.thread.frames.push(frame);
      if (!callee.meta.entryKnown) this.assume(`${callee.name}() is entered where its visible code starts`);
      return;
    }
    if (op.result) f.res.set(op.result, ANY);
    if (!op.indirect && !/^(WARN|BUG|pr_|printk|dev_|PL_|trace_|might_sleep|cond_resched|lockdep_)/.test(op.callee)) {
      this.assume(`${op.indirect ? 'an indirect call' : `${op.callee}()`} is not in the input nor modelled: assumed to leave the modelled state alone`);
    }
  }

  private modelCall(callee: string, args: Value[], op: CallOp, f: Frame): void {
    const eff = this.env.hooks.call?.(this, callee, args, op);
    if (!eff) {
      if (op.result) f.res.set(op.result, ANY);
      return;
    }
    if ('blocked' in eff) {
      this.blocked = eff.blocked;
      f.i--;
      return;
    }
    if (eff.note) this.note(eff.note);
    this.modelled = true;
    if (op.result) f.res.set(op.result, eff.value ?? ANY);
  }

  private assign(target: string, value: Expr, f: Frame): void {
    // The cursor of an iterator loop: the node (or entry) the loop is at.
    if (value.k === 'unknown' && value.text.startsWith('next ')) {
      const it = f.iters.get(f.b);
      if (it) {
        const entry = (it as { entry?: boolean }).entry;
        f.env.set(target, it.current === null ? NULL : ptr(entry ? containerOf(it.current) : it.current));
        return;
      }
    }
    const p = parsePath(target);
    const isVar = p && p.root.k === 'var' && !p.steps.length && !p.derefs && !p.addr;
    if (isVar && f.storage.has(target)) {
      // Struct assignment: `list = md->rescued` copies the list and everything else below it.
      const from =
        value.k === 'path'
          ? this.loc(value.path)
          : value.k === 'var' && f.storage.has(value.name)
            ? ((f.env.get(value.name) as { loc: Loc } | undefined)?.loc ?? null)
            : null;
      const to = f.env.get(target);
      if (from && to?.t === 'ptr') this.w.copyTree(from, to.loc);
      return;
    }
    const v = this.eval(value);
    if (isVar) {
      f.env.set(target, v);
      return;
    }
    const l = this.loc(target);
    if (l) this.w.store(l, v);
  }
}

function lastName(path: string): string {
  const m = /(\w+)\W*$/.exec(path);
  return m ? m[1]! : path;
}

function compare(op: string, a: Value, b: Value): Value {
  const eqKnown = (): boolean | null => {
    if (a.t === 'any' || b.t === 'any') return null;
    if (a.t === 'ptr' && b.t === 'ptr') return a.loc === b.loc;
    if (a.t === 'int' && b.t === 'int') return a.v === b.v;
    if ((a.t === 'null' && b.t === 'int' && b.v === 0) || (b.t === 'null' && a.t === 'int' && a.v === 0)) return true;
    if (a.t === b.t) return a.t === 'null' ? true : null;
    return false;
  };
  if (op === '==' || op === '!=') {
    const e = eqKnown();
    if (e === null) return ANY;
    return int((op === '==') === e ? 1 : 0);
  }
  if (a.t !== 'int' || b.t !== 'int') return ANY;
  const r = op === '<' ? a.v < b.v : op === '<=' ? a.v <= b.v : op === '>' ? a.v > b.v : a.v >= b.v;
  return int(r ? 1 : 0);
}

function arith(op: string, a: number, b: number | null): Value {
  if (b === null) return op === '-' ? int(-a) : op === '~' ? int(~a) : ANY;
  switch (op) {
    case '+':
      return int(a + b);
    case '-':
      return int(a - b);
    case '*':
      return int(a * b);
    case '/':
      return b ? int(Math.trunc(a / b)) : ANY;
    case '%':
      return b ? int(a % b) : ANY;
    case '&':
      return int(a & b);
    case '|':
      return int(a | b);
    case '^':
      return int(a ^ b);
    case '<<':
      return int(a << b);
    case '>>':
      return int(a >> b);
    default:
      return ANY;
  }
}

const READS = new Set(['test', 'empty', 'first', 'iterate', 'read']);

function modeOf(op: Op): StepEvent['mode'] {
  if (op.kind === 'acquire' || op.kind === 'release') return 'lock';
  if ((op.kind === 'flag' || op.kind === 'list' || op.kind === 'atomic') && READS.has(op.action)) return 'read';
  if (op.kind === 'access') return op.mode;
  return 'write';
}

function isTest(op: Op): boolean {
  if (op.kind === 'flag') return op.action.startsWith('test');
  if (op.kind === 'list') return op.action === 'empty';
  if (op.kind === 'atomic') return op.action === 'read' || op.action.endsWith('-test') || op.action === 'inc-not-zero';
  return op.kind === 'access' && op.inCondition;
}

function hiddenText(f: Frame, id: number): string {
  const g = f.fn.meta.gaps.find((x) => x.id === id);
  return g && g.fromLine !== null ? `(lines ${g.fromLine}-${g.toLine} not shown)` : '(code not shown)';
}

function describeOp(op: Op): string {
  switch (op.kind) {
    case 'acquire':
      return `takes ${op.obj}`;
    case 'release':
      return `releases ${op.obj}`;
    default:
      return '';
  }
}

/**
 * All outcomes of letting thread `tid` take its next step, or what it waits for when it cannot.
 * Spawned threads are appended to the state's threads.
 */
export function step(s: State, tid: number, env: ExecEnv): { results: StepResult[]; blocked: string | null } {
  const base = new Runner({ world: s.world.clone(), threads: s.threads.map((t, i) => (i === tid ? cloneThread(t) : t)) }, tid, env);
  const work: Runner[] = [base];
  const results: StepResult[] = [];
  let blocked: string | null = null;
  while (work.length) {
    const r = work.pop()!;
    for (;;) {
      if (r.thread.done || r.violation) break;
      if (r.visibleDone && r.atVisible()) break;
      const forks = r.advance();
      work.push(...forks);
      if (r.blocked) break;
    }
    if (r.blocked && !r.visibleDone) {
      blocked ??= r.blocked;
      // Blocked at its first visible op. Positioned there already: this step cannot happen now.
      // Got there through local work and choices of its own: that position is a state of its own
      // (a thread can choose its way into a wait).
      if (r.ops <= 1) continue;
    }
    const threads = [...r.s.threads];
    for (const spec of r.spawned) {
      threads.push(newThread(spec, r.w, threads.length));
      r.assumptions.push(...takeEntryLocks({ world: r.w, threads }, threads.length - 1, env));
    }
    const event = r.events[r.events.length - 1] ?? null;
    results.push({
      state: { world: r.w, threads },
      event: r.events.length > 1 ? mergeEvents(r.events) : event,
      assumptions: r.assumptions,
      violation: r.violation,
    });
  }
  return { results, blocked: results.some((x) => x.event) ? null : blocked };
}

function mergeEvents(evs: StepEvent[]): StepEvent {
  const last = evs[evs.length - 1]!;
  return {
    ...last,
    note: evs
      .map((e) => e.note)
      .filter(Boolean)
      .join('; '),
    locs: [...new Set(evs.flatMap((e) => e.locs))],
    modelled: evs.some((e) => e.modelled),
  };
}

export function isLockEvent(e: StepEvent): boolean {
  return e.mode === 'lock';
}

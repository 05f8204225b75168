// Where an object is not shared: while it is being set up (allocated here, or its locks are
// initialised here) and before it is published (put on a list, stored where others can reach it,
// handed to a thread or a registry), and while it is torn down (freed later on every path, or past
// the decrement that dropped its last reference). Accesses there need no lock.

import type { Expr, FunctionIR, Op } from '../../c/ir.js';
import type { Semantics } from '../../semantics/index.js';
import { dominates, successors } from '../cfg.js';
import type { WalkResult } from '../engine.js';

export type Phase = 'fresh' | 'teardown';

/** Calls named like allocators (`foo_alloc_pio`, `alloc_disk_node`, `blk_alloc_queue_node`) return a fresh object. */
const ALLOC_NAME = /(^|_)[kv]*z?alloc(_|$)/;

/** What the lifecycle of one function needs from the rest of the input. */
export interface LifeContext {
  /** Functions of the input that return a fresh, unpublished object (allocator wrappers). */
  allocators: Set<string>;
  /** Parameters every caller in the input passes a still-private object for. */
  privateParams: Set<string>;
  /**
   * The rules: calls that initialise an object's own locks, counters and queues, only done before
   * it is shared (`initializers`); calls that make it reachable by others (named with a
   * `publishWords` word); calls that free it (`freers`); calls that wait for its other users (work,
   * timers, threads, interrupts) to stop for good (`quiescers`).
   */
  sem: Semantics;
}

const NO_SET = new Set<string>();
const PUB_CODES = [null, null, 'born', 'publish'] as const;

export function rootOfPath(p: string): string | null {
  const m = /^&?\(?\*?([A-Za-z_]\w*)/.exec(p.trim());
  return m ? m[1]! : null;
}

/** Is `p` a member of the object R points to (or of R itself, for a global)? */
function inObject(p: string, r: string): boolean {
  const q = p.replace(/^&/, '').replace(/^\(\*?([A-Za-z_]\w*)\)/, '$1');
  return q.startsWith(`${r}->`) || q.startsWith(`${r}.`) || q.startsWith(`${r}[`);
}

function mentionsResult(e: Expr, id: string): boolean {
  switch (e.k) {
    case 'result':
      return e.id === id;
    case 'not':
      return mentionsResult(e.e, id);
    case 'cmp':
    case 'logic':
      return mentionsResult(e.a, id) || mentionsResult(e.b, id);
    default:
      return false;
  }
}

/** One object's facts; its tables are kept here (one map of roots, not one map per table). */
interface RootFacts {
  bornAtEntry: boolean;
  fresh: Uint8Array | null; // op -> fresh before the op
  freed: Uint8Array | null; // op -> freed later on every path
  lastRef: Set<number> | null; // blocks past its last-reference decrement
  freshIn: (boolean | undefined)[] | null; // block -> fresh on entry
  pub: Uint8Array | null; // op -> does it publish (0: not asked yet, then PUB_CODES)
}

const stackCache = new WeakMap<FunctionIR, string[]>();
const NO_NAMES: string[] = [];

/** Locals that are objects on the stack (not pointers, not static) whose address is passed to a call. */
function stackObjects(fn: FunctionIR): string[] {
  let out = stackCache.get(fn);
  if (out) return out;
  let passed: Set<string> | null = null;
  for (const b of fn.blocks)
    for (const o of b.ops) if (o.kind === 'call') for (const a of o.argText) if (a.charCodeAt(0) === 38) (passed ??= new Set()).add(a.slice(1).trim());
  out = NO_NAMES;
  if (passed)
    for (const l of fn.locals)
      if (passed.has(l.name) && !l.type.includes('*') && !/\bstatic\b/.test(l.type)) (out === NO_NAMES ? (out = []) : out).push(l.name);
  stackCache.set(fn, out);
  return out;
}

/** Is the call one that returns a fresh object (an allocator wrapper of the input, or named like one)? */
function allocCall(op: Op, ctx: LifeContext): boolean {
  if (op.kind === 'call') return !!op.result && !op.indirect && (ctx.allocators.has(op.callee) || ALLOC_NAME.test(op.callee));
  // A wrapper named like a getter is lowered as the get of an inferred pair; it still allocates.
  return op.kind === 'ref' && op.action === 'get' && !!op.result && ctx.allocators.has(op.primitive);
}

/** Does the function allocate, initialise, free, drop a last reference or quiesce anything at all? */
function anyPhases(fn: FunctionIR, ctx: LifeContext): boolean {
  if (ctx.privateParams.size || stackObjects(fn).length) return true;
  for (const b of fn.blocks) {
    for (const op of b.ops) {
      if (op.kind === 'alloc' || op.kind === 'free') return true;
      if (op.kind === 'atomic' && (op.action === 'dec-and-test' || op.action === 'set')) return true;
      if (op.kind === 'call' && (ctx.sem.initializers.has(op.callee) || ctx.sem.freers.has(op.callee) || ctx.sem.quiescers.has(op.callee))) return true;
      if (allocCall(op, ctx)) return true;
    }
  }
  return false;
}

export class Lifecycle {
  /** The lifecycle facts of a function, or null when it has none (most functions). */
  static of(w: WalkResult, ctx: LifeContext): Lifecycle | null {
    if (!anyPhases(w.fn, ctx)) return null;
    const life = new Lifecycle(w, ctx);
    // No object with a phase and nothing quiesced: every answer would be 'none'.
    return life.roots.size || life.quiesce.length ? life : null;
  }

  private readonly fn: FunctionIR;
  private readonly roots = new Map<string, RootFacts>();
  /** Where each block's ops start in the per-op tables below (one flat table per root, not a row per block). */
  private readonly offsets: number[] = [];
  private readonly opCount: number;
  /** Quiescing calls: the roots they name (or every global), and where they are. */
  private readonly quiesce: { op: Op; block: number; index: number; roots: Set<string> }[] = [];
  private allocResults: Set<string> = NO_SET; // shared and empty until one is found
  private globals: Set<string>;
  private readonly sem: Semantics;
  /** Roots stored into one another (or reached through one another): private together, published together. */
  private readonly clusters = new Map<string, Set<string>>();

  constructor(
    private readonly w: WalkResult,
    ctx: LifeContext,
  ) {
    this.fn = w.fn;
    this.sem = ctx.sem;
    const fn = this.fn;
    let at = 0;
    for (const b of fn.blocks) {
      this.offsets[b.id] = at;
      at += b.ops.length;
    }
    this.opCount = at;
    const declared = (r: string): boolean => fn.params.some((d) => d.name === r) || fn.locals.some((d) => d.name === r);
    this.globals = NO_SET;
    for (const b of this.fn.blocks)
      for (const op of b.ops) {
        if ((op.kind === 'alloc' && op.result) || allocCall(op, ctx))
          (this.allocResults === NO_SET ? (this.allocResults = new Set()) : this.allocResults).add((op as { result?: string }).result!);
      }
    for (const p of ctx.privateParams) this.root(p, true);
    // A struct on the stack whose address is handed on: private until it is published.
    for (const l of stackObjects(this.fn)) this.root(l, true);
    const pathRoots: string[] = [];
    for (const b of this.fn.blocks) {
      for (const op of b.ops) {
        if (op.kind === 'alloc' && op.obj) {
          if (/^[A-Za-z_]\w*$/.test(op.obj)) this.root(op.obj, false);
          else pathRoots.push(op.obj);
        }
        if (op.kind === 'assign' && op.value.k === 'result' && this.allocResults.has(op.value.id)) {
          if (/^[A-Za-z_]\w*$/.test(op.target)) this.root(op.target, false);
          else pathRoots.push(op.target);
        }
        const init = initTarget(op, ctx.sem);
        if (init) {
          const r = rootOfPath(init);
          if (r) {
            if (!declared(r)) (this.globals === NO_SET ? (this.globals = new Set()) : this.globals).add(r);
            this.root(r, true);
          }
        }
        if (op.kind === 'free' || (op.kind === 'call' && ctx.sem.freers.has(op.callee))) {
          const obj = op.kind === 'free' ? op.obj : (op.argText[0] ?? '');
          if (/^[A-Za-z_]\w*$/.test(obj)) this.root(obj, false);
        }
        if (op.kind === 'call' && ctx.sem.quiescers.has(op.callee)) {
          const roots = new Set(op.argText.map(rootOfPath).filter((r): r is string => !!r));
          this.quiesce.push({ op, block: b.id, index: b.ops.indexOf(op), roots });
        }
        if (op.kind === 'atomic' && op.action === 'dec-and-test') {
          const r = rootOfPath(op.obj);
          if (r) this.root(r, false);
        }
      }
    }
    // An object allocated into a member of a fresh object (`md->disk = alloc_disk()`) is private
    // with it; allocated into a member of a shared one, it is published by that very store.
    for (const p of pathRoots) {
      const q = p.replace(/^&/, '');
      const base = rootOfPath(q);
      if (base && this.roots.has(base) && /^[A-Za-z_]\w*(->[A-Za-z_]\w*)+$/.test(q)) {
        this.root(q, false);
        this.join(q, base);
      }
    }
    // A fresh object stored into another fresh one stays private until that one is published.
    for (const b of this.fn.blocks) {
      for (const op of b.ops) {
        if (op.kind !== 'assign' || op.value.k !== 'var' || !this.roots.has(op.value.name)) continue;
        const t = rootOfPath(op.target);
        if (t && t !== op.value.name && /->|\./.test(op.target) && this.roots.has(t)) this.join(op.value.name, t);
      }
    }
    for (const r of this.roots.keys()) {
      const facts = this.roots.get(r)!;
      facts.fresh = this.forward(r);
      facts.freed = this.backward(r);
      const past = this.pastLastRef(r);
      facts.lastRef = past.size ? past : null;
    }
  }

  private join(a: string, b: string): void {
    const ca = this.clusters.get(a) ?? new Set([a]);
    const cb = this.clusters.get(b) ?? new Set([b]);
    if (ca === cb) return;
    for (const x of cb) ca.add(x);
    for (const x of ca) this.clusters.set(x, ca);
  }

  private clusterOf(r: string): Set<string> | undefined {
    return this.clusters.get(r);
  }

  /**
   * Does every return hand back a fresh object (or NULL, an error pointer, 0)? Then the function
   * is an allocator wrapper: its callers get an object nobody else has.
   */
  returnsFresh(): boolean {
    let any = false;
    for (const b of this.fn.blocks) {
      if (!this.w.cfg.reachable.has(b.id) || b.term.k !== 'return') continue;
      const v = b.term.value;
      if (!v || v.k === 'null' || v.k === 'errptr' || (v.k === 'int' && v.value === 0)) continue;
      if (v.k === 'var' && this.roots.has(v.name) && this.freshAtEnd(v.name, b.id)) {
        any = true;
        continue;
      }
      return false;
    }
    return any;
  }

  private freshAtEnd(r: string, b: number): boolean {
    const inOf = this.roots.get(r)?.freshIn;
    return inOf ? this.outFresh(b, r, inOf, false) : false;
  }

  private root(r: string, atEntry: boolean): void {
    const cur = this.roots.get(r);
    // An object allocated here is not born at entry, whatever initialises it later.
    if (!cur) this.roots.set(r, { bornAtEntry: atEntry && !this.isAllocated(r), fresh: null, freed: null, lastRef: null, freshIn: null, pub: null });
  }

  private isAllocated(r: string): boolean {
    return this.fn.blocks.some((b) => b.ops.some((o) => o.kind === 'alloc' && o.obj === r));
  }

  /** The phase of the object `base` (a variable, or a member path allocated here) when the op at block:index runs. */
  phase(block: number, index: number, base: string): Phase | null {
    const top = rootOfPath(base);
    const root = top === base ? top : this.roots.has(base) ? base : null;
    if (!root) return null;
    if (top && this.quiesced(block, index, top)) return 'teardown';
    if (!this.roots.has(root)) return null;
    const at = this.fn.blocks[block] && index >= 0 && index < this.fn.blocks[block]!.ops.length ? this.offsets[block]! + index : -1;
    const facts = this.roots.get(root)!;
    if (at >= 0 && facts.fresh?.[at]) return 'fresh';
    if ((at >= 0 && facts.freed?.[at]) || facts.lastRef?.has(block)) return 'teardown';
    return null;
  }

  /** Past a call that stopped the object's other users (its work, timer, threads, interrupt), on every path. */
  private quiesced(block: number, index: number, root: string): boolean {
    if (!this.quiesce.length) return false;
    const declared = this.fn.params.some((p) => p.name === root) || this.fn.locals.some((l) => l.name === root);
    for (const q of this.quiesce) {
      if (!(q.roots.has(root) || !declared)) continue;
      if (q.block === block ? q.index < index : dominates(this.w.cfg, q.block, block)) return true;
    }
    return false;
  }

  /** Root -> op -> answer (one map per root: roots are few, ops many). */

  /**
   * Does the op make `r` reachable by others (or re-point `r` at another object)? Asked once per op
   * and root. An object is published with the objects it is private together with.
   */
  private publishes(op: Op, r: string, block: number, index: number): 'publish' | 'born' | null {
    const facts = this.roots.get(r);
    const m = facts ? (facts.pub ??= new Uint8Array(this.opCount)) : null;
    const at = this.offsets[block]! + index;
    const c = m ? m[at]! : 0;
    if (c) return PUB_CODES[c]!;
    const own = this.findPublish(op, r);
    let v: 'publish' | 'born' | null = own === 'repoint' ? 'publish' : own;
    if (v === null) for (const x of this.clusterOf(r) ?? []) if (x !== r && this.findPublish(op, x) === 'publish') v = 'publish';
    if (m) m[at] = v === null ? 1 : v === 'born' ? 2 : 3;
    return v;
  }

  private findPublish(op: Op, r: string): 'publish' | 'born' | 'repoint' | null {
    switch (op.kind) {
      case 'list':
        if (op.node && inObject(op.node, r) && ['add', 'add-tail', 'move', 'move-tail', 'replace'].includes(op.action)) return 'publish';
        return null;
      case 'assign': {
        if (op.target === r) return op.value.k === 'result' && this.allocResults.has(op.value.id) ? 'born' : 'repoint';
        const v0 = op.value;
        // `x->done = &c` hands out the address of a stack object like a pointer.
        const v = v0.k === 'addr' && v0.e.k === 'var' ? v0.e : v0;
        if (v.k === 'var' && v.name === r && !this.isLocal(op.target)) {
          // Stored into itself or into an object private with it: still nobody else's.
          const t = rootOfPath(op.target);
          if (t && /->|\./.test(op.target) && (t === r || this.clusterOf(r)?.has(t))) return null;
          return 'publish';
        }
        return null;
      }
      case 'call': {
        if (!this.sem.publishPattern.test(op.callee) || this.sem.initializers.has(op.callee)) return null;
        if (this.globals.has(r)) return 'publish'; // threads and registrations reach every global
        return op.argText.some((a) => a === r || a === `&${r}` || inObject(a, r)) ? 'publish' : null;
      }
      case 'alloc':
        return op.obj === r ? 'born' : null;
      default:
        return null;
    }
  }

  private isLocal(target: string): boolean {
    if (/->|\.|\[|\*/.test(target)) return false;
    return this.fn.locals.some((l) => l.name === target) || this.fn.params.some((p) => p.name === target);
  }

  /** Fresh before each op: on every path the object was born and not yet published. */
  private forward(r: string): Uint8Array {
    const fn = this.fn;
    const atEntry = this.roots.get(r)!.bornAtEntry;
    const inOf: (boolean | undefined)[] = [];
    const out = new Uint8Array(this.opCount);
    const preds = this.w.cfg.preds;
    this.roots.get(r)!.freshIn = inOf;
    for (let iter = 0, changed = true; changed && iter < 50; iter++) {
      changed = false;
      for (const b of fn.blocks) {
        if (!this.w.cfg.reachable.has(b.id)) continue;
        let v: boolean;
        if (b.id === 0) v = atEntry;
        else {
          v = preds[b.id]!.length > 0;
          for (const p of preds[b.id]!) if (this.w.cfg.reachable.has(p) && !this.outFresh(p, r, inOf)) v = false;
        }
        if (inOf[b.id] !== v) {
          inOf[b.id] = v;
          changed = true;
        }
      }
    }
    for (const b of fn.blocks) {
      let v = inOf[b.id] ?? false;
      const at = this.offsets[b.id]!;
      for (let i = 0; i < b.ops.length; i++) {
        if (v) out[at + i] = 1;
        const p = this.publishes(b.ops[i]!, r, b.id, i);
        if (p === 'born') v = true;
        else if (p === 'publish') v = false;
      }
    }
    return out;
  }

  /** Fresh at the end of block `b`, from its entry value (`unknown` where none is computed yet). */
  private outFresh(b: number, r: string, inOf: (boolean | undefined)[], unknown = true): boolean {
    let v = inOf[b] ?? unknown; // during the fixpoint: top
    const ops = this.fn.blocks[b]!.ops;
    for (let i = 0; i < ops.length; i++) {
      const p = this.publishes(ops[i]!, r, b, i);
      if (p === 'born') v = true;
      else if (p === 'publish') v = false;
    }
    return v;
  }

  /** Freed later on every path from each op (before the function returns). */
  private backward(r: string): Uint8Array {
    const fn = this.fn;
    const frees = (op: Op): boolean => (op.kind === 'free' && op.obj === r) || (op.kind === 'call' && this.sem.freers.has(op.callee) && op.argText[0] === r);
    const repoints = (op: Op): boolean => op.kind === 'assign' && op.target === r;
    const inOf = new Map<number, boolean>();
    const outOf = (b: number): boolean => {
      const t = fn.blocks[b]!.term;
      if (t.k === 'return' || t.k === 'unknown-exit') return false;
      if (t.k === 'noreturn') return true;
      const succ = successors(t);
      return succ.length > 0 && succ.every((s) => (inOf.has(s) ? inOf.get(s)! : true));
    };
    const through = (b: number, v: boolean, upto = -1): boolean => {
      const ops = fn.blocks[b]!.ops;
      for (let i = ops.length - 1; i > upto; i--) {
        if (frees(ops[i]!)) v = true;
        else if (repoints(ops[i]!)) v = false;
      }
      return v;
    };
    for (let iter = 0, changed = true; changed && iter < 50; iter++) {
      changed = false;
      for (let b = fn.blocks.length - 1; b >= 0; b--) {
        const v = through(b, outOf(b));
        if (inOf.get(b) !== v) {
          inOf.set(b, v);
          changed = true;
        }
      }
    }
    const out = new Uint8Array(this.opCount);
    for (const b of fn.blocks) {
      // One backward pass per block: freed-later before each op.
      const at = this.offsets[b.id]!;
      let v = outOf(b.id);
      for (let i = b.ops.length - 1; i >= 0; i--) {
        if (v) out[at + i] = 1;
        const op = b.ops[i]!;
        if (frees(op)) v = true;
        else if (repoints(op)) v = false;
      }
    }
    return out;
  }

  /** Blocks only reached past the decrement that dropped the object's last reference. */
  private pastLastRef(r: string): Set<number> {
    const out = new Set<number>();
    const fn = this.fn;
    for (const b of fn.blocks) {
      for (const op of b.ops) {
        if (op.kind !== 'atomic' || op.action !== 'dec-and-test' || !op.result || rootOfPath(op.obj) !== r) continue;
        if (!(op.family === 'refcount' || op.family === 'kref' || op.family === 'atomic')) continue;
        for (const d of fn.blocks) {
          if (d.term.k !== 'branch' || !mentionsResult(d.term.cond, op.result)) continue;
          const c = d.term.cond;
          const side = c.k === 'result' ? d.term.t : c.k === 'not' && c.e.k === 'result' ? d.term.f : null;
          if (side === null) continue;
          for (const x of fn.blocks) if (dominates(this.w.cfg, side, x.id)) out.add(x.id);
        }
      }
    }
    return out;
  }
}

/** The object an init call sets up (`spin_lock_init(&s->lock)` -> `&s->lock`). */
function initTarget(op: Op, sem: Semantics): string | null {
  if (op.kind === 'call' && sem.initializers.has(op.callee)) return op.argText[0] ?? null;
  if (op.kind === 'atomic' && op.action === 'set' && (op.family === 'refcount' || op.family === 'kref')) return op.obj;
  return null;
}

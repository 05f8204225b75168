// The memory domain: allocations this path made (kmalloc(), kstrdup(), kmem_cache_alloc(), the
// rules' `op: alloc` calls) that are still its own, and how the ones that are not any more went:
// freed, or handed on (stored in memory reachable after the call, returned, put on a list,
// queued, given to a callee whose body or rules/ say it keeps or frees them). alloc-leak reads
// the exits. Allocations stored straight into memory (`d->buf = kmalloc(..)`) or made with a
// cleanup attribute (`__free(kfree)`, freed at scope exit) are owned from the start.

import type { Block, Expr, Op } from '../../c/ir.js';
import { derefs, rootOf } from '../objects.js';
import { addTrace, sortedParts, type State } from '../state.js';
import type { Summary } from '../summary.js';
import { isNullOrErr } from '../values.js';
import { isMemory } from './refs.js';
import type { CallOp, WalkContext } from './walk.js';

export interface HeldAlloc {
  /** The variable holding it; `names` are its other names on this path (`buf = p`). */
  obj: string;
  names: string[];
  primitive: string;
  line: number | null;
  gapSince: boolean;
  /** Given to a callee that may have kept or freed it (its name): a leak after that is said at info. */
  passed?: string;
}

export interface MemoryState {
  allocs: Map<string, HeldAlloc>;
  /** How allocations stopped being this path's, and in which block (for evidence). */
  allocEnd: Map<string, { how: 'freed' | 'handed'; block: number }>;
}

const IDENT = /^[A-Za-z_]\w*$/;

export class Memory {
  /** Allocation results not yet assigned (`r1` until `p = r1`). */
  private readonly results = new Map<string, { primitive: string; line: number | null }>();

  constructor(private readonly cx: WalkContext) {}

  /** Only what the caller must give back itself (rules `release`) is followed. */
  allocOp(op: Extract<Op, { kind: 'alloc' }>): void {
    if (op.result && op.release) this.results.set(op.result, { primitive: op.primitive, line: op.line });
  }

  /**
   * Given to a callee that may have kept or freed it (one the unit cannot see, or a member of it
   * given to any callee): a leak after that rests on that callee (said at info).
   */
  passed(s: State, op: CallOp, summarized: boolean): void {
    if (!s.allocs.size || (!op.indirect && this.cx.sem.borrows(op.callee))) return;
    for (const arg of op.argText) {
      // The allocation itself or a member of it (`rb_link_node(&n->node, ..)` links it in). A
      // callee the input shows says what it does with the allocation itself, but not with a
      // member it may turn back into the object (`free_ws(&ws->list)` with container_of()).
      const r = rootOf(arg);
      const interior = !!r && arg.startsWith('&') && derefs(arg.replace(/^&/, ''), r);
      const a = r && ((arg === r && !summarized) || interior) ? this.find(s, r) : undefined;
      if (!a || a.passed) continue;
      s.allocs = new Map(s.allocs);
      s.allocs.set(a.obj, { ...a, passed: op.callee });
    }
  }

  /** The allocation a name holds on this path. */
  private find(s: MemoryState, name: string): HeldAlloc | undefined {
    const direct = s.allocs.get(name);
    if (direct) return direct;
    for (const a of s.allocs.values()) if (a.names.includes(name)) return a;
    return undefined;
  }

  private end(s: State, a: HeldAlloc, how: 'freed' | 'handed', line: number | null, text: string): void {
    s.allocs = new Map(s.allocs);
    s.allocs.delete(a.obj);
    s.allocEnd = new Map(s.allocEnd);
    s.allocEnd.set(a.obj, { how, block: this.cx.block });
    addTrace(s, line, text, how === 'freed' ? `frees ${a.obj}` : `hands ${a.obj} on`);
  }

  assign(s: State, op: Extract<Op, { kind: 'assign' }>): void {
    const v = op.value;
    const target = op.target;
    const local = IDENT.test(target) && this.cx.isLocal(target);
    // A name given a new value stops naming what it held.
    if (local && (s.allocs.size || s.allocEnd.size)) this.forgetName(s, target);
    if (v.k === 'result') {
      const r = this.results.get(v.id);
      if (r && local) {
        s.allocs = new Map(s.allocs);
        s.allocs.set(target, { obj: target, names: [], primitive: r.primitive, line: r.line, gapSince: false });
        if (s.allocEnd.has(target)) {
          s.allocEnd = new Map(s.allocEnd);
          s.allocEnd.delete(target);
        }
        addTrace(s, op.line, op.text ?? r.primitive, `allocates ${target} (${r.primitive})`);
      }
      return;
    }
    if (!s.allocs.size) return;
    // `t->name = n`, `*out = buf`, `priv->rx = &q->head`, `g->workers = workers + i * cnt`:
    // stored where it outlives the function.
    const from = pointerRoot(v);
    const a = from ? this.find(s, from) : undefined;
    if (!a) return;
    // Into memory, or into a global (`fib_info_hash = new_hash`).
    if (isMemory(target) || (IDENT.test(target) && !this.cx.isLocal(target))) this.end(s, a, 'handed', op.line, op.text ?? target);
    else if (local && v.k === 'var') {
      s.allocs = new Map(s.allocs);
      s.allocs.set(a.obj, { ...a, names: [...a.names, target] });
    }
  }

  private forgetName(s: State, name: string): void {
    for (const a of s.allocs.values()) {
      if (a.obj === name) {
        // Overwritten while held: what it held is lost to this analysis (not claimed as a leak).
        s.allocs = new Map(s.allocs);
        s.allocs.delete(name);
        if (a.names.length) s.allocs.set(a.names[0]!, { ...a, obj: a.names[0]!, names: a.names.slice(1) });
        return;
      }
      if (a.names.includes(name)) {
        s.allocs = new Map(s.allocs);
        s.allocs.set(a.obj, { ...a, names: a.names.filter((n) => n !== name) });
        return;
      }
    }
  }

  free(s: State, obj: string, line: number | null, text: string): void {
    const a = IDENT.test(obj) ? this.find(s, obj) : undefined;
    if (a) this.end(s, a, 'freed', line, text);
  }

  /** Kept by a callee or put on a list or queued: handed on. */
  hand(s: State, obj: string, line: number | null, text: string): void {
    const r = rootOf(obj);
    const a = r ? this.find(s, r) : undefined;
    if (a) this.end(s, a, 'handed', line, text);
  }

  listOp(s: State, op: Extract<Op, { kind: 'list' }>): void {
    if (op.node && (op.action === 'add' || op.action === 'add-tail' || op.action === 'move' || op.action === 'move-tail'))
      this.hand(s, op.node, op.line, op.text ?? op.primitive);
  }

  /** A callee's summary: the parameters it keeps or queues (its frees: the walker's freed()). */
  callee(s: State, op: CallOp, sum: Summary, text: string): void {
    if (!s.allocs.size) return;
    for (const p of [...(sum.keeps ?? []), ...(sum.defers ?? [])]) {
      const obj = this.cx.mapArgs(sum, op, p);
      if (obj && IDENT.test(obj)) this.hand(s, obj, op.line, text);
    }
    // It may free it (depending on what the caller passed) or give it to a callee that may keep
    // it: what follows rests on that callee.
    for (const p of [...(sum.mayFree ?? []), ...(sum.mayKeep ?? [])]) {
      if (sum.frees?.includes(p)) continue;
      const obj = this.cx.mapArgs(sum, op, p);
      const a = obj && IDENT.test(obj) ? this.find(s, obj) : undefined;
      if (!a || a.passed) continue;
      s.allocs = new Map(s.allocs);
      s.allocs.set(a.obj, { ...a, passed: op.callee });
    }
  }

  /** Queued to deferred work with the object it is in. */
  defer(s: State, roots: Set<string>, line: number | null, text: string): void {
    for (const r of roots) this.hand(s, r, line, text);
  }

  /**
   * A fresh allocation is no other pointer the function had before it: `bh != &bhs`,
   * `sgs != stack_sgs`, `table != old_table` are true while it is held under that name.
   */
  impossible(cond: Expr, outcome: boolean, s: MemoryState): boolean {
    if (!s.allocs.size) return false;
    let c = cond;
    let want = outcome;
    while (c.k === 'not') {
      c = c.e;
      want = !want;
    }
    if (c.k !== 'cmp' || (c.op !== '==' && c.op !== '!=')) return false;
    const name = (e: Expr): string | null => (e.k === 'var' ? e.name : null);
    const other = (e: Expr): boolean => e.k === 'var' || e.k === 'addr' || (e.k === 'path' && e.path.startsWith('&'));
    for (const [x, y] of [
      [c.a, c.b],
      [c.b, c.a],
    ] as const) {
      const n = name(x);
      const a = n ? this.find(s, n) : undefined;
      if (!a || !other(y) || (y.k === 'var' && (y.name === a.obj || a.names.includes(y.name)))) continue;
      // Equal is impossible: `==` true or `!=` false.
      return c.op === '==' ? want : !want;
    }
    return false;
  }

  /** A branch where the allocation's variable is NULL: it failed, nothing to free. */
  failed(s: State): boolean {
    for (const a of s.allocs.values()) if (isNullOrErr(s, a.obj)) return true;
    return false;
  }

  dropFailed(s: State): void {
    for (const a of [...s.allocs.values()])
      if (isNullOrErr(s, a.obj)) {
        s.allocs = new Map(s.allocs);
        s.allocs.delete(a.obj);
      }
  }

  /** At a return: the allocations the returned value carries go to the caller. */
  returned(s: State, t: Extract<Block['term'], { k: 'return' }>, names: string[]): void {
    for (const n of names) {
      const a = this.find(s, n);
      if (a) this.end(s, a, 'handed', t.line, 'return');
    }
    // `return &p->member` is caught by its root in names; a path rooted at it also carries it.
    for (const a of [...s.allocs.values()]) if (names.some((n) => derefs(n, a.obj))) this.end(s, a, 'handed', t.line, 'return');
  }

  gap(s: MemoryState): void {
    if (!s.allocs.size) return;
    // Copied, never changed in place: states share these maps (state.ts).
    s.allocs = new Map([...s.allocs].map(([k, a]) => [k, a.gapSince ? a : { ...a, gapSince: true }]));
  }
}

/** The variable a pointer-valued expression is based on: `p`, `&p->x`, `p + i`. */
function pointerRoot(e: Expr): string | null {
  switch (e.k) {
    case 'var':
      return e.name;
    case 'path':
      return e.path.startsWith('&') ? rootOf(e.path) : null;
    case 'arith':
      return e.op === '+' || e.op === '-' ? pointerRoot(e.a) : null;
    case 'cond':
      return pointerRoot(e.t) ?? pointerRoot(e.f);
    default:
      return null;
  }
}

export function memoryKeyParts(s: MemoryState, out: string[]): void {
  sortedParts(s.allocs, (k, a) => `A${k}/${a.names.join(',')}/${a.gapSince ? 'g' : ''}${a.passed ? 'p' : ''}`, out);
  sortedParts(s.allocEnd, (k, e) => `Z${k}/${e.how}`, out);
}

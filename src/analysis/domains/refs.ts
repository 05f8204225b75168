// The reference domain: per object, the references this path holds (counted, saturating at
// REF_COUNT_CAP), the ones it dropped or handed on (stored, queued, returned), and the ones it
// dropped without taking them (its caller's). Transfer for get/put ops, refcount_t and kref
// atomics, frees, assignments that copy or store a reference, list adds, deferred work, and what a
// callee's summary gets or puts.

import type { Block, Expr, Op } from '../../c/ir.js';
import { derefs, manyInstances, onStackMember, ownedByFunction, reassignedInLoop, refKey, rootOf } from '../objects.js';
import { addTrace, traceSteps, type Fact, type Pending, type State } from '../state.js';
import { firesNonnull, firesNonzero, firesZero, firesZeroOrNonneg, type Summary } from '../summary.js';
import { isNullOrErr, truthOf, valueOf } from '../values.js';
import { MAPPING_PAIRS, REF_COUNT_CAP, markHanded, markHandedOne, refOf, takeHandedOne, wasHanded, type HeldRef, type RefState } from './ref-state.js';
import type { CallOp, Trace, WalkContext } from './walk.js';

/** Where a get/put pair is known from: a kernel primitive, rules/, or only its functions' names. */
export type PairSource = 'primitive' | 'rule' | 'name';

export type RefEvent =
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
  /** A dereference of an object after a put that may have been its last (own: the function's own last reference). */
  | { k: 'use-after-put'; line: number | null; obj: string; pair: string; putLine: number | null; putText: string; own: boolean; text: string; trace: Trace }
  /** copy: taken for a copy stored or queued earlier on the path, not kept by this function. */
  | { k: 'ref-taken'; line: number | null; obj: string; pair: string; copy?: boolean };

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

/** A get's result that says it failed: NULL, false, an error pointer, a negative errno. */
const failedGet = (f: Fact): boolean => f.t === 'null' || f.t === 'zero' || f.t === 'errptr' || f.t === 'bad' || f.t === 'neg' || (f.t === 'int' && f.v <= 0);
/** The same for a status kept in an int: non-zero or negative. */
const failedStatus = (f: Fact): boolean => f.t === 'neg' || f.t === 'nonzero' || f.t === 'errptr' || (f.t === 'int' && f.v < 0);

const IDENT = /^[A-Za-z_]\w*$/;

export class Refs {
  /** Call results that carry a new reference (from the callee's summary). */
  private readonly resultRefs = new Map<string, { pair: string; source: PairSource; callee: string; count?: number }>();
  /** Results of gets that return the object they took a reference on. */
  private readonly getResults = new Map<string, string>();
  /** Per variable: the local it is assigned from, when that is its only assignment ('' otherwise). */
  private copySources: Map<string, string> | null = null;
  private producerMap: Map<string, Op> | null = null;

  constructor(private readonly cx: WalkContext) {}

  /** An assignment from this result moves a reference (the walker copies the whole state for it). */
  movesOnAssign(id: string): boolean {
    return this.resultRefs.has(id) || this.getResults.has(id);
  }

  refOp(s: State, op: Extract<Op, { kind: 'ref' }>): void {
    const cx = this.cx;
    const text = op.text ?? op.primitive;
    if (cx.sem.sleeps(op.primitive)) cx.sleep.check(s, { line: op.line, what: op.primitive, why: `${op.primitive}() may sleep`, text });
    if (op.action === 'get') {
      if (op.succeeds && op.result) {
        const fires = { zero: firesZero, nonzero: firesNonzero, nonnull: firesNonnull, errno: firesZeroOrNonneg }[op.succeeds];
        cx.pend(s, op.result, { fires, op, line: op.line });
        // obj = the variable the result went to: the assign that follows links it.
        return;
      }
      this.take(s, { obj: op.obj, pair: op.pair, source: op.source, line: op.line, text, member: op.member });
      if (op.result && MAPPING_PAIRS.has(op.pair)) s.rfacts.set(op.result, { t: 'valid' }); // a mapping is never NULL
      if (op.result) {
        this.getResults.set(op.result, refKey(op.obj, op.member));
        // A pair guessed from names says nothing of its result: when the code tests it, a NULL,
        // false or negative result is a get that failed (`if (!foo_get(buf)) return -EFAULT;`).
        if (op.source === 'name') cx.pend(s, op.result, { fires: failedGet, undo: refKey(op.obj, op.member), line: op.line });
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
    this.put(s, { obj: op.obj, pair: op.pair, source: op.source, line: op.line, text, member: op.member });
  }

  /** A pending get whose result says it failed: no reference was taken. */
  undo(s: State, p: Pending & { undo: string }): void {
    const k = refOf(s, p.undo);
    const cur = k ? s.refs.get(k) : undefined;
    if (k && cur) {
      if (cur.count > 1) s.refs.set(k, { ...cur, count: cur.count - 1 });
      else s.refs.delete(k);
      addTrace(s, p.line, '', `the get of '${k}' failed: no reference taken`);
    }
  }

  take(s: State, r: RefMove & { init?: boolean }): void {
    const cx = this.cx;
    const { pair, source, line, text, via, init } = r;
    const obj = refKey(r.obj, r.member);
    const cur = s.refs.get(obj);
    // Stored first, referenced second (`j->log = log; get_file(log);`, `sg_set_page(sge, p); get_page(p);`):
    // the reference is the stored copy's, owned where it was stored. So is one taken for a field
    // of an object already stored where others find it (`iocb->private = priv; ..
    // mmgrab(priv->mm);`): the object owns it.
    const root = rootOf(obj);
    // `mr->r_sock = rs; sock_hold(rds_rs_to_sk(rs));`: an accessor of the stored object is it.
    const accessorOf = /^[A-Za-z_]\w*\(\s*([A-Za-z_]\w*)\s*\)$/.exec(obj)?.[1];
    const ownerStored = (!!root && obj.startsWith(`${root}->`) && wasHanded(s, root)) || (!!accessorOf && wasHanded(s, accessorOf));
    if (!cur && (wasHanded(s, obj) || ownerStored)) {
      cx.emit({ k: 'ref-taken', line, obj, pair, copy: true }, `rtc:${obj}:${line}`);
      addTrace(s, line, text, `takes a reference for the copy stored earlier: ${obj} (${pair})`);
      return;
    }
    // `get_page(v->pages[i])` in a loop: the name stands for several objects, each taken once.
    const many = !!cur && (manyInstances(cx.fn, obj) || reassignedInLoop(cx.fn, obj));
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
    if (s.lastPut.has(obj)) {
      s.lastPut = new Map(s.lastPut);
      s.lastPut.delete(obj);
    }
    cx.errors.retaken(s, obj);
    cx.emit({ k: 'ref-taken', line, obj, pair }, `rt:${obj}:${line}`);
    addTrace(s, line, text, via ? `takes a reference: ${obj} (${pair}) inside ${via}()` : `takes a reference: ${obj} (${pair})`);
  }

  /**
   * `struct sock *sk = (struct sock *)msk;` then a get on `sk`: the only value `sk` ever has is
   * `msk`'s, so storing or returning `msk` hands the reference on (until `msk` is reassigned).
   */
  private copySource(obj: string): string[] | undefined {
    if (!IDENT.test(obj)) return undefined;
    if (!this.copySources) {
      const m = new Map<string, string>();
      for (const b of this.cx.fn.blocks) {
        for (const op of b.ops) {
          if (op.kind !== 'assign' || !IDENT.test(op.target)) continue;
          const from = op.value.k === 'var' && this.cx.isLocal(op.value.name) ? op.value.name : '';
          m.set(op.target, m.has(op.target) ? '' : from);
        }
      }
      this.copySources = m;
    }
    const from = this.copySources.get(obj);
    return from ? [from] : undefined;
  }

  /**
   * Freed with its count: a fresh object never published (`kfree(candidate)`) takes the
   * references on it with it, so none is kept.
   */
  free(s: State, obj: string, line: number | null, text: string): void {
    const k = refOf(s, obj);
    if (!k) return;
    s.refs.delete(k);
    s.dropped.set(k, line);
    addTrace(s, line, text, `frees ${k} with its references`);
  }

  put(s: State, r: RefMove): void {
    const cx = this.cx;
    const { pair, source, line, text, via, member } = r;
    // A counted object's put may be its last: its memory goes with it.
    if (s.allocs.size) cx.memory.free(s, rootOf(r.obj) ?? r.obj, line, text);
    const obj = refOf(s, refKey(r.obj, member)) ?? refKey(r.obj, member);
    if (!s.refs.has(obj)) this.undecidedGet(s, obj);
    const cur = s.refs.get(obj);
    // `of_node_put(port)` after the loop ran out: the cursor is NULL there, the put does nothing.
    if (!cur && !member && truthOf(valueOf({ k: 'var', name: r.obj }, s)) === false) return;
    // A put known only by its name proves nothing about a reference this path did not take.
    if (!cur && source === 'name') return;
    cx.errors.cleanup(s, line, text, obj, 'put', !!cur);
    // Puts that may free the object: a plain one (put_device(), fput()) or kref_put() with its release.
    const mayFree = source !== 'name' && (!member || pair === 'kref');
    if (cur) {
      if (cur.count > 1) s.refs.set(obj, { ...cur, count: cur.count - 1 });
      else s.refs.delete(obj);
      // Its own last one on an object only it can reach (a lookup's result): nothing else keeps it.
      if (mayFree && cur.count === 1 && !cur.saturated && !cur.aliases?.length && ownedByFunction(cx.fn, obj))
        this.putLast(s, obj, { line, text, pair, own: true });
      // The last of a count the walk lost track of proves nothing about a put that follows, nor
      // the last held one when another went to a callee that may have taken its own.
      const handedOne = cur.count === 1 && takeHandedOne(s, obj);
      if ((!cur.saturated || cur.count > 1) && !handedOne) s.dropped.set(obj, line);
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
    const cursor = reassignedInLoop(cx.fn, obj);
    if (manyInstances(cx.fn, obj) || (cursor && (!s.dropped.has(obj) || s.dropped.get(obj) === line))) {
      s.dropped.set(obj, line);
      return;
    }
    // Two counts embedded in one structure (`&d->kref`, `&d->io_ref`, `&acc->total.kobj`) are two
    // objects: dropping each once is no double put; the same one twice, or the structure itself, is.
    const count = member ? `${obj}#${r.obj}` : null;
    if (s.dropped.has(obj) && (!count || s.dropped.has(count) || !droppedByCount(s, obj))) {
      cx.emit(
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
      // A put of a variable this path knows is NULL (`adap = NULL` where the get did not run):
      // the put does nothing, it drops no one's reference.
      const none = IDENT.test(obj) && isNullOrErr(s, obj) && valueOf({ k: 'var', name: obj }, s)?.t !== 'errptr';
      if (s.clean && !none) cx.emit({ k: 'put-unheld', line, obj, pair, source, text, via, trace: traceSteps(s) }, `punheld:${obj}:${line}`);
      if (mayFree) this.putLast(s, obj, { line, text, pair, own: false });
      s.entryPut.set(obj, { pair, source, line, ...(member && r.obj !== obj ? { count: r.obj } : {}) });
    }
    s.dropped.set(obj, line);
    if (count) s.dropped.set(count, line);
  }

  private putLast(s: State, obj: string, p: { line: number | null; text: string; pair: string; own: boolean }): void {
    s.lastPut = new Map(s.lastPut);
    s.lastPut.set(obj, p);
  }

  /** A dereference (a field read or written, a lock inside it) of an object whose last reference may be gone. */
  used(s: State, path: string, line: number | null, text: string): void {
    if (!s.lastPut.size) return;
    const p = path.replace(/^&/, '');
    for (const [obj, put] of s.lastPut) {
      if (!IDENT.test(obj) || !derefs(p, obj) || line === put.line) continue;
      this.cx.emit(
        { k: 'use-after-put', line, obj, pair: put.pair, putLine: put.line, putText: put.text, own: put.own, text, trace: traceSteps(s) },
        `uap:${obj}:${line}`,
      );
    }
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
      this.cx.fire(s, p);
      return;
    }
  }

  /** refcount_t is a reference count by type: increments are gets, decrements puts. */
  atomicOp(s: State, op: Extract<Op, { kind: 'atomic' }>): void {
    const text = op.text ?? op.primitive;
    // A fresh object's first reference: kref_init(&r->ref), refcount_set(&r->count, 1).
    if (op.action === 'set' && (op.family === 'kref' || (op.family === 'refcount' && /,\s*1\s*\)\s*;?\s*$/.test(text)))) {
      this.take(s, { obj: op.obj, pair: op.family, source: 'primitive', line: op.line, text, member: true, init: true });
      return;
    }
    if (op.family !== 'refcount') return;
    switch (op.action) {
      case 'inc':
        this.take(s, { obj: op.obj, pair: 'refcount', source: 'primitive', line: op.line, text, member: true });
        break;
      case 'inc-not-zero':
        if (op.result)
          this.cx.pend(s, op.result, {
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
        this.put(s, { obj: op.obj, pair: 'refcount', source: 'primitive', line: op.line, text, member: true });
        break;
      case 'sub-and-test':
        // Drops as many as it is told: a put of what this path holds, otherwise no count to check.
        if (refOf(s, refKey(op.obj, true))) this.put(s, { obj: op.obj, pair: 'refcount', source: 'primitive', line: op.line, text, member: true });
        break;
      default:
        break;
    }
  }

  /** An assignment: copies, stores and new values of the variables that name references. */
  assign(s: State, op: Extract<Op, { kind: 'assign' }>): void {
    const ident = IDENT.test(op.target);
    // A variable given a new value no longer names the object it was an alias of.
    if (ident) unalias(s, op.target);
    if (op.value.k === 'result' && ident) {
      // `x = lookup()` where the callee returns a new reference: x holds it.
      const rr = this.resultRefs.get(op.value.id);
      if (rr)
        for (let i = 0; i < (rr.count ?? 1); i++)
          this.take(s, { obj: op.target, pair: rr.pair, source: rr.source, line: op.line, text: op.text ?? rr.callee, via: rr.callee });
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
    if (isMemory(op.target)) this.slotReplaced(s, op.target, op.line, op.text ?? op.target);
    s.dropped.delete(op.target); // a new value: earlier puts were of the old one
    if (ident && s.lastPut.has(op.target)) {
      s.lastPut = new Map(s.lastPut);
      s.lastPut.delete(op.target);
    }
    if (s.dropped.size && ident) {
      for (const k of [...s.dropped.keys()]) if (derefs(k, op.target)) s.dropped.delete(k); // and of what it pointed to
    }
    this.escape(s, op.target, op.value);
  }

  /**
   * `old = page_folio(*pagep); ...; *pagep = new;`: the slot the object came from held a reference
   * on it (a caller's array, a field), and replacing it gives that reference to this function: one
   * more to drop (a put for the slot and one for its own get is no double put).
   */
  private slotReplaced(s: State, slot: string, line: number | null, text: string): void {
    if (!s.refs.size) return;
    for (const [k, r] of s.refs) {
      if (r.saturated || this.slotOf(k) !== slot) continue;
      s.refs.set(k, { ...r, count: Math.min(r.count + 1, REF_COUNT_CAP) });
      addTrace(s, line, text, `replaces the slot '${slot}' held: its reference on ${k} is this function's now`);
    }
  }

  /** The memory slot a variable's only value was loaded from (`*pagep`, `d->cur`), also through a conversion (`page_folio(*pagep)`). */
  private slotOf(name: string): string | undefined {
    if (!IDENT.test(name)) return undefined;
    if (!this.slots) {
      const m = new Map<string, string>();
      const calls = new Map<string, Extract<Op, { kind: 'call' }>>();
      for (const b of this.cx.fn.blocks) for (const op of b.ops) if (op.kind === 'call' && op.result) calls.set(op.result, op);
      for (const b of this.cx.fn.blocks) {
        for (const op of b.ops) {
          if (op.kind !== 'assign' || !IDENT.test(op.target)) continue;
          const v = op.value;
          const conv = v.k === 'result' ? calls.get(v.id) : undefined;
          const from =
            v.k === 'path' && isMemory(v.path)
              ? v.path
              : conv && !conv.indirect && !this.cx.summaries.has(conv.callee) && conv.argText.length === 1 && isMemory(conv.argText[0]!)
                ? conv.argText[0]!
                : '';
          m.set(op.target, m.has(op.target) ? '' : from);
        }
      }
      this.slots = m;
    }
    return this.slots.get(name) || undefined;
  }

  private slots: Map<string, string> | null = null;

  /** A local of an integer type (not bool, not a pointer): holds a status or a count. */
  private isStatusVariable(name: string): boolean {
    const fn = this.cx.fn;
    const d = fn.locals.find((l) => l.name === name) ?? fn.params.find((p) => p.name === name);
    return !!d && !d.type.includes('*') && !/\bbool\b/.test(d.type) && /\b(int|long|short|s8|s16|s32|s64|ssize_t)\b/.test(d.type);
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
    // `mddev->pers = pers` after try_module_get(pers->owner): what the stored object reaches
    // through its fields goes with it.
    if (name && value.k === 'var' && isMemory(target)) handMembers(s, name, null);
    // `&obj->member` in a local is a pointer into the object, not its owner; in a value temporary
    // (`$t1`, a ternary's value) it is what the expression hands on.
    if (from && value.k === 'path' && !target.startsWith('$') && !isMemory(target)) return;
    if (!from) {
      // A ref'd variable overwritten by a NULL/error result is a failed get.
      const t = refOf(s, target);
      if (t && isNullOrErr(s, target)) s.refs.delete(t);
      // Stored before any reference is taken: a get that follows is for the stored copy. Not a
      // member of a struct on this function's stack (`desc.pg_dreq = dreq`), which dies with it.
      if (name && value.k === 'var' && isMemory(target) && !onStackMember(this.cx.fn, target)) markHanded(s, name, null);
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

  /** A node put on a list escapes: whoever takes it off owns the reference. */
  listOp(s: State, op: Extract<Op, { kind: 'list' }>): void {
    if (!op.node || !(op.action === 'add' || op.action === 'add-tail' || op.action === 'move' || op.action === 'move-tail')) return;
    const root = rootOf(op.node);
    const k = root ? refOf(s, root) : undefined;
    if (k) {
      s.refs.delete(k);
      markHanded(s, k, op.line);
    }
  }

  /**
   * The references held on objects queued to deferred work go with the work, and so do those on
   * global objects (`try_module_get(THIS_MODULE)` before queueing: the work drops it when done).
   */
  defer(s: State, roots: Set<string>, line: number | null, text: string): void {
    for (const k of [...s.refs.keys()]) {
      const r = rootOf(k);
      if (!r || this.cx.isLocal(r) || roots.has(r)) continue;
      s.refs.delete(k);
      markHanded(s, k, line);
      addTrace(s, line, text, `hands the reference on: ${k} goes with the deferred work`);
    }
    for (const root of roots) {
      const k = refOf(s, root);
      // Queued first, referenced second (`if (!mod_timer(&n->timer, t)) neigh_hold(n);`): the
      // get that follows is the work's.
      if (!k) {
        markHanded(s, root, line);
        continue;
      }
      s.refs.delete(k);
      markHanded(s, k, line);
      addTrace(s, line, text, `hands the reference on: ${k} goes with the deferred work`);
    }
  }

  /** `lookup(..., &x)` may store a new object in x: what was dropped before was the old one. */
  beforeCall(s: State, op: CallOp): void {
    if (s.dropped.size) for (const a of op.argText) if (/^&[A-Za-z_]\w*$/.test(a) && s.dropped.has(a.slice(1))) s.dropped.delete(a.slice(1));
  }

  /**
   * `of_parse_phandle_with_args(.., &args)`, `grab_folios(.., folio)` with a local array: the
   * callee may fill it anew; what was dropped through it was the old value. (A plain call's state
   * shares its `dropped` map with the one before it: copy before changing.)
   */
  afterCall(s: State, op: CallOp): void {
    if (!s.dropped.size) return;
    const fn = this.cx.fn;
    for (const a of op.argText) {
      const m = /^(&?)([A-Za-z_]\w*)$/.exec(a);
      const v = m?.[2];
      if (!v || !this.cx.isLocal(v) || (!m[1] && !fn.locals.some((l) => l.name === v && l.type.includes('[')))) continue;
      const stale = [...s.dropped.keys()].filter((k) => rootOf(k.startsWith('>') ? k.slice(1) : k) === v);
      if (!stale.length) continue;
      s.dropped = new Map(s.dropped);
      for (const k of stale) s.dropped.delete(k);
    }
  }

  /** References a callee's summary takes, drops or returns, in our terms (its frees: the walker's freed()). */
  callee(s: State, op: CallOp, sum: Summary, text: string): void {
    const cx = this.cx;
    for (const g of sum.refs.gets) {
      const obj = cx.mapArgs(sum, op, g.obj);
      if (obj) this.take(s, { obj, pair: g.pair, source: g.source, line: op.line, text, via: op.callee, init: g.init });
    }
    for (const p of sum.refs.puts) {
      // An embedded count (`&sqd->free_refs`) stays that count: not the object's other ones.
      const count = p.count ? cx.mapArgs(sum, op, p.count) : null;
      const obj = count ?? cx.mapArgs(sum, op, p.obj);
      if (obj) this.put(s, { obj, pair: p.pair, source: p.source, line: op.line, text, via: op.callee, ...(count ? { member: true } : {}) });
    }
    // A summary from rules/ (mined from a tree) was made without the code its body hands
    // parameters to: what it may keep (`d_obtain_alias()` consuming its inode) is handed on, as
    // to a callee nothing is known of.
    for (const p of new Set(sum.source === 'rule' ? [...(sum.keeps ?? []), ...(sum.mayKeep ?? [])] : (sum.keeps ?? []))) {
      const obj = cx.mapArgs(sum, op, p);
      if (!obj || !IDENT.test(obj)) continue;
      const k = refOf(s, obj);
      // One reference goes with what the callee kept; others the path holds (`kref_get()` for a
      // completion that drops one) stay this function's. As with a store, a put of the object
      // later may give the kept one back: the summary cannot tell whether the callee took its own.
      const r = k ? s.refs.get(k) : undefined;
      if (k && r && r.count > 1 && !r.saturated) {
        s.refs.set(k, { ...r, count: r.count - 1 });
        markHandedOne(s, k, op.line);
      } else {
        if (k) s.refs.delete(k);
        markHanded(s, k ?? obj, op.line);
      }
      if (k) addTrace(s, op.line, text, `hands the reference on: ${k} kept by ${op.callee}()`);
      handMembers(s, obj, op.line);
    }
    if (sum.refs.returns && op.result)
      this.resultRefs.set(op.result, {
        pair: sum.refs.returns.pair,
        source: sum.refs.returns.source,
        callee: op.callee,
        ...(sum.refs.returns.count ? { count: sum.refs.returns.count } : {}),
      });
  }

  /** A branch where a variable holding a reference is NULL or an error: the get failed. */
  failedGets(s: State): boolean {
    for (const [k, ref] of s.refs) if (isNullOrErr(s, k) || ref.aliases?.some((a) => isNullOrErr(s, a))) return true;
    return false;
  }

  dropFailedGets(s: State): void {
    for (const [k, ref] of [...s.refs]) if (isNullOrErr(s, k) || ref.aliases?.some((a) => isNullOrErr(s, a))) s.refs.delete(k);
  }

  /** At a return: the reference the returned value carries passes to the caller. */
  returned(s: State, t: Extract<Block['term'], { k: 'return' }>): HeldRef | undefined {
    const rk = t.value
      ? this.returnedVars(t.value, s)
          .map((v) => refOf(s, v))
          .find((k) => k && s.refs.has(k))
      : undefined;
    // `return lookup_get(..)`: the callee's new reference passes straight to our caller.
    const passed = t.value?.k === 'result' ? this.resultRefs.get(t.value.id) : undefined;
    const ref = rk
      ? s.refs.get(rk)
      : passed
        ? { obj: '$return', pair: passed.pair, source: passed.source, line: t.line, count: 1, gapSince: false }
        : undefined;
    if (ref && rk) {
      s.refs.delete(ref.obj); // returned: the caller owns it
      markHanded(s, ref.obj, t.line);
    }
    return ref;
  }

  /**
   * The variables whose object a return value hands to the caller: `obj`, `&obj->member`, either
   * arm of `obj ? &obj->ns : NULL`, and, in a function returning a pointer, a conversion of it
   * through a call the unit cannot see (`container_of(dev, ...)`, `to_port(dev)`, `dst_rtable(dst)`).
   */
  returnedVars(e: Expr, s: State): string[] {
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
        if (!this.cx.fn.returnType.includes('*')) return [];
        // `return get_net(container_of(ns, struct net, ns))`: the get returns the object it took.
        const got = this.getResults.get(e.id);
        if (got) return [got];
        const op = this.producers().get(e.id);
        if (op?.kind !== 'call' || op.indirect || this.cx.summaries.has(op.callee) || !op.args.length) return [];
        const first = op.args[0]!;
        return first.k === 'var' ? [first.name] : first.k === 'path' && first.path.startsWith('&') ? [rootOf(first.path) ?? ''] : [];
      }
      default:
        return [];
    }
  }

  /** The op that produced each result id. */
  private producers(): Map<string, Op> {
    if (!this.producerMap) {
      this.producerMap = new Map();
      for (const b of this.cx.fn.blocks) for (const op of b.ops) if ('result' in op && op.result) this.producerMap.set(op.result, op);
    }
    return this.producerMap;
  }

  /** Code the patch does not show: what was dropped says nothing any more, what is held may not be. */
  gap(s: RefState): void {
    s.dropped.clear();
    if (s.lastPut.size) s.lastPut = new Map();
    for (const [k, r] of s.refs) if (!r.gapSince) s.refs.set(k, { ...r, gapSince: true });
  }
}

/** Whether `obj` was dropped through one of its embedded counts (`obj#&obj->count` keys). */
function droppedByCount(s: RefState, obj: string): boolean {
  for (const k of s.dropped.keys()) if (k.startsWith(`${obj}#`)) return true;
  return false;
}

/** An assignment target in memory (a field, an element, a dereference), not a local variable. */
export function isMemory(target: string): boolean {
  return target.includes('->') || target.includes('.') || target.includes('[') || target.startsWith('*');
}

/** `name` is assigned a new value: it stops naming the object it was an alias of. */
function unalias(s: RefState, name: string): void {
  for (const [k, r] of s.refs) if (r.aliases?.includes(name)) s.refs.set(k, { ...r, aliases: r.aliases.filter((a) => a !== name) });
}

/** References held on objects reached through `name`'s fields (`pers->owner`) go with `name`. */
function handMembers(s: RefState, name: string, line: number | null): void {
  for (const k of [...s.refs.keys()]) {
    if (k === name || !derefs(k, name)) continue;
    s.refs.delete(k);
    markHanded(s, k, line);
  }
}

/** One of the references held on `k` goes with a stored copy. */
function handOne(s: RefState, k: string, line: number | null): void {
  const r = s.refs.get(k)!;
  if (r.count > 1) s.refs.set(k, { ...r, count: r.count - 1 });
  else {
    s.refs.delete(k);
    markHanded(s, k, line);
  }
}

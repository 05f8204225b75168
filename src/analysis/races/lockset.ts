// The lock state at every access to shared data, over both images of a patch: locks held on the
// path (and how: taken here, asserted, taken by a callee, held by every caller in the input, or
// released later without being taken, so held on entry), and locks known not to be held (released
// earlier on the path, or never taken by a thread/callback entry). Callers' locks are translated
// into the callee's terms through the arguments, so `mutex_lock(&eq->lock); link(eq, cq)` means
// `&eq->lock` is held for the `eq` inside link().

import type { FunctionIR, Op } from '../../c/ir.js';
import type { Semantics } from '../../semantics/index.js';
import { successors } from '../cfg.js';
import type { Site, WalkResult } from '../engine.js';
import { type KeyResolver, lockKey, type DataKey } from './keys.js';
import { Lifecycle, type Phase } from './lifecycle.js';

export type Side = 'pre' | 'post';

/** Why a lock is believed held at an access. */
export type HeldHow =
  | { k: 'here'; line: number | null; text: string } // taken in this function
  | { k: 'assert'; line: number | null; text: string } // lockdep_assert_held(), __must_hold(): the caller holds it
  | { k: 'callee'; line: number | null; text: string; callee: string } // a callee returns with it held
  | { k: 'caller'; caller: string; line: number | null; text: string; outer: HeldHow } // every caller in the input holds it
  | { k: 'later'; line: number | null; text: string; shown: boolean }; // released later without being taken: held on entry (shown: the entry is visible, so a caller took it)

export interface HeldLock {
  key: string;
  base: string | null; // the object holding the lock, in this function's terms (null: not nameable here)
  obj: string; // as written (`&eq->lock`)
  how: HeldHow;
}

export interface FreeLock {
  key: string;
  base: string | null;
  obj: string;
  line: number | null; // where it was released on the path (null: never taken since entry)
  text: string;
}

/** Locks known free on entry: every lock (a thread/callback entry), or the ones callers released. */
export interface EntryFree {
  all: boolean;
  except: Set<string>; // keys excluded from `all` (a caller holds them)
  locks: FreeLock[];
  assumed: boolean; // no caller in the input: assumed entered without locks
  /** Assumed so for a function only handed as an argument to this callee, which may call it back in its caller's context. */
  callback?: string;
  why: string;
  /** The call this way in goes through (the nearest caller). */
  via?: { caller: string; line: number | null; text: string };
  /** The call is (or a caller's call up the way is) inside a wait_event() condition: a peek the waiter re-evaluates. */
  peek?: boolean;
}

export type AccessKind = 'field' | 'list' | 'flag' | 'atomic';

export interface AccessRecord {
  side: Side;
  fn: FunctionIR;
  walk: WalkResult;
  site: Site;
  data: DataKey;
  path: string;
  kind: AccessKind;
  mode: 'read' | 'write';
  via: 'plain' | 'once' | 'rcu' | 'acquire' | 'release' | 'list' | 'llist' | 'atomic';
  action?: string; // list/flag/atomic action
  inCondition: boolean;
  line: number | null;
  text: string;
  held: HeldLock[];
  free: FreeLock[];
  entry: EntryFree[]; // how the function is entered with locks known free (when every path here comes from the entry without a gap)
  phase: Phase | null; // set-up before publication, or tear-down
  diagnostic: boolean; // inside WARN_ON(), printk() and the like: not a decision
  waitCond: boolean; // inside a wait_event() condition: re-evaluated after every wake-up, a peek
  /** Cached: the statement as one place of evidence (see guards.ts). */
  place?: string;
}

// Shared empty lists: most accesses hold or have released nothing, and records are many.
const NO_ENTRY: EntryFree[] = [];
const NO_HELD: HeldLock[] = [];
const NO_FREE: FreeLock[] = [];
const NO_LATER = new Map<Site, Map<string, { obj: string; line: number | null; text: string }>>();
const NO_KEYS = new Set<string>();
const WRITE_LIST = new Set([
  'add',
  'add-tail',
  'del',
  'del-init',
  'move',
  'move-tail',
  'splice',
  'splice-init',
  'splice-tail',
  'splice-tail-init',
  'pop',
  'init',
  'del-all',
  'replace',
]);

/** List actions that link an entry onto the head they name, and those that unlink it from its current head. */
const ADDS = new Set(['add', 'add-tail']);
const UNLINKS = new Set(['del', 'del-init', 'move', 'move-tail']);

/** Names kernel code gives helpers that run with a lock the caller holds. */
const LOCKED_HELPER = /(^__)|(_locked|_nolock)$/;

interface FnInfo {
  side: Side;
  walk: WalkResult;
  callers: { caller: FnInfo; site: Site }[];
  registered: string | null; // the registrar its address was passed to
  addressTaken: boolean;
  handedTo?: string; // the callee its address was passed to
  heldAtEntry?: HeldLock[];
  entryFree?: EntryFree[];
  releasedLater?: Map<Site, Map<string, { obj: string; line: number | null; text: string }>>;
  lifecycle?: Lifecycle | null;
  roots?: Set<FnInfo>;
}

export class Lockset {
  readonly records: AccessRecord[] = [];
  /** The records of each counter op (atomic_read() ...), for the checks that start from one. */
  readonly byOp = new Map<Op, AccessRecord[]>();
  /** The records of each data key, both images. */
  readonly byKey = new Map<string, AccessRecord[]>();
  /** The records of each function, by name and side (`post\0name`). */
  readonly byFn = new Map<string, AccessRecord[]>();
  /**
   * Unlinks that name only the entry (`list_del(&req->node)`), filed under the head the input puts
   * that kind of entry on: evidence for the head's lock when made under it, never reported (the
   * entry may sit on a private list by then).
   */
  readonly unlinks = new Map<string, AccessRecord[]>();
  /** A lock key -> how the code writes it (`&ploop->bat_lock`), for messages. */
  readonly lockText = new Map<string, string>();
  /** An entry's list member (`nvme_cmd.entry`) -> the one shared head the input adds it to, or null for several. */
  private readonly nodeHeads = new Map<string, DataKey | null>();
  private readonly infos = new Map<WalkResult, FnInfo>();
  private readonly byName = new Map<Side, Map<string, FnInfo>>();

  constructor(
    sides: { side: Side; walks: WalkResult[] }[],
    readonly keys: KeyResolver,
    readonly sem: Semantics,
    private readonly instancesOf: (fn: FunctionIR) => number | undefined = () => undefined,
  ) {
    for (const { side, walks } of sides) {
      const byName = new Map<string, FnInfo>();
      this.byName.set(side, byName);
      const infos: FnInfo[] = [];
      const callbacks: { fn: FnInfo; via: FnInfo; param: string }[] = [];
      for (const w of walks) {
        // Every field from the start: one shape for all, filled in later.
        const info: FnInfo = {
          side,
          walk: w,
          callers: [],
          registered: null,
          addressTaken: false,
          heldAtEntry: undefined,
          entryFree: undefined,
          releasedLater: undefined,
          lifecycle: undefined,
          roots: undefined,
        };
        this.infos.set(w, info);
        infos.push(info);
        if (!byName.has(w.fn.name)) byName.set(w.fn.name, info);
      }
      for (const info of infos) {
        for (const b of info.walk.fn.blocks) {
          for (const op of b.ops) {
            if (op.kind !== 'call') continue;
            const args = op.argText;
            for (let i = 0; i < args.length; i++) {
              const a = args[i]!;
              const t = byName.get(a.charCodeAt(0) === 38 /* & */ ? a.slice(1) : a);
              if (!t) continue;
              t.addressTaken = true;
              t.handedTo ??= op.callee;
              // Functions whose address is handed to the kernel as a thread, work item or callback
              // (rules `registrars.entry`) start with no locks held.
              if (sem.entryRegistrars.has(op.callee)) t.registered = op.callee;
              // Handed to a function of the input that calls it through that parameter: those calls are its callers.
              const via = byName.get(op.callee);
              const param = via?.walk.fn.params[i]?.name;
              if (via && param) callbacks.push({ fn: t, via, param });
            }
          }
        }
        for (const s of info.walk.sites) {
          if (s.op.kind !== 'call') continue;
          const callee = byName.get(s.op.callee);
          if (callee && callee !== info) callee.callers.push({ caller: info, site: s });
        }
      }
      for (const { fn: t, via, param } of callbacks) {
        for (const s of via.walk.sites) {
          if (s.op.kind === 'call' && s.op.indirect && s.op.callee === param && via !== t && !t.callers.some((c) => c.site === s))
            t.callers.push({ caller: via, site: s });
        }
      }
      this.mapNodeHeads(infos);
      const allocators = this.allocatorsOf(infos);
      const stack = new Set<FnInfo>(); // empty again after each function
      for (const info of infos) this.lifecycleOf(info, allocators, stack);
      for (const info of infos) this.collect(side, info);
    }
  }

  /** The calls of a function in the input (direct, and callbacks through a helper's parameter). */
  callSites(w: WalkResult): { caller: WalkResult; args: string[]; line: number | null }[] {
    return (this.infos.get(w)?.callers ?? []).map(({ caller, site }) => ({
      caller: caller.walk,
      args: site.op.kind === 'call' ? site.op.argText : [],
      line: site.op.line,
    }));
  }

  /** The locks every caller in the input holds when it calls the function (in its own terms). */
  entryHeld(w: WalkResult): string[] {
    const info = this.infos.get(w);
    return info ? this.heldAtEntry(info).map((h) => h.obj) : [];
  }

  /** A function of one side by name. */
  fnNamed(side: Side, name: string): WalkResult | undefined {
    return this.byName.get(side)?.get(name)?.walk;
  }

  /**
   * Is the function an entry that never runs concurrently with itself: a work item, kthread work,
   * tasklet or timer handler (by its registrar, rules `registrars.single`, or its one parameter,
   * `callbackParams.single`), or a thread the rules declare with `instances: 1`? Rules that declare
   * more instances win.
   */
  private singleInstance(info: FnInfo): boolean {
    const fn = info.walk.fn;
    const declared = this.instancesOf(fn);
    if (declared !== undefined) return declared === 1;
    if (info.registered) return this.sem.singleRegistrars.has(info.registered);
    return fn.params.length === 1 && this.sem.singleParamPattern.test(fn.params[0]!.type);
  }

  /** The entries the function is reached from in the input: itself when it is one, else its callers' entries. */
  private rootsOf(info: FnInfo, stack: Set<FnInfo>, cut = { hit: false }): Set<FnInfo> {
    if (info.roots) return info.roots;
    const out = new Set<FnInfo>();
    const single = this.singleInstance(info);
    if (single || !info.callers.length || info.addressTaken || info.registered) out.add(info);
    stack.add(info);
    const mine = { hit: false };
    for (const { caller } of info.callers) {
      if (stack.has(caller)) {
        mine.hit = true;
        continue;
      }
      for (const r of this.rootsOf(caller, stack, mine)) out.add(r);
    }
    stack.delete(info);
    // Inside a cycle the answer misses what reaches the members still on the stack: kept only at the top.
    if (!mine.hit || !stack.size) info.roots = out;
    if (mine.hit) cut.hit = true;
    return out;
  }

  /**
   * The single-instance entry (work item, tasklet, timer, `instances: 1` thread) that every way
   * into the function in the input comes from, or null. Two runs of such a function never overlap:
   * the same function on two CPUs is not a possible interleaving.
   */
  soleThread(w: WalkResult): string | null {
    const info = this.infos.get(w);
    if (!info) return null;
    const roots = this.rootsOf(info, new Set());
    if (roots.size !== 1) return null;
    const [root] = [...roots];
    return this.singleInstance(root!) ? root!.walk.fn.name : null;
  }

  private readonly knownMemo = new WeakMap<WalkResult, { own: Set<string>; callers: Set<string> }>();

  /**
   * The locks a function knows about, by key: `own`, those it takes, releases or asserts itself on
   * some path; `callers`, those some caller in the input holds when it calls it (in its own terms).
   * An access without one of them deviates from what the function or its callers do elsewhere;
   * without any, the function may simply not be part of that lock's protocol.
   */
  knownLocks(w: WalkResult): { own: Set<string>; callers: Set<string> } {
    let out = this.knownMemo.get(w);
    if (out) return out;
    out = { own: new Set<string>(), callers: new Set<string>() };
    const fn = w.fn;
    for (const b of fn.blocks) {
      for (const op of b.ops) {
        if (op.kind === 'acquire' || op.kind === 'release') out.own.add(this.lockOf(fn, op.obj).key);
        else if (op.kind === 'assert' && op.what === 'held' && op.obj) out.own.add(this.lockOf(fn, op.obj).key);
      }
    }
    for (const o of [...fn.annotations.mustHold, ...fn.annotations.releases, ...fn.annotations.acquires]) out.own.add(this.lockOf(fn, o).key);
    const info = this.infos.get(w);
    for (const { caller, site } of info?.callers ?? []) {
      const args = site.op.kind === 'call' ? site.op.argText : [];
      for (const o of site.held) {
        const t = this.translate(o, caller.walk.fn, fn, args);
        out.callers.add(t ? this.lockOf(fn, t).key : this.lockOf(caller.walk.fn, o).key);
      }
    }
    this.knownMemo.set(w, out);
    return out;
  }

  /** A lock's key and holder by the data key of its object (which depends on nothing else), or by text when it has none. */
  private readonly lockByData = new Map<DataKey, { key: string; base: string | null }>();
  private readonly lockByText = new Map<string, { key: string; base: string | null }>();

  private lockOf(fn: FunctionIR, obj: string): { key: string; base: string | null } {
    const d = this.keys.data(fn, obj);
    let out = d ? this.lockByData.get(d) : this.lockByText.get(obj);
    if (!out) {
      const { key, base } = lockKey(d, obj);
      out = { key, base: this.sem.globalContexts.has(key) ? '' : base };
      if (d) this.lockByData.set(d, out);
      else this.lockByText.set(obj, out);
    }
    if (!this.lockText.has(out.key)) this.lockText.set(out.key, obj);
    return out;
  }

  /** How a lock is held, by the acquire or assert that explains it (an op names its lock and function). */
  private readonly howByOp = new Map<Op, HeldHow>();
  /** The rest (no op of the function explains it), by function, lock and line. */
  private readonly howByLine = new Map<WalkResult, Map<string, HeldHow>>();

  /**
   * How a lock held at a site (engine object text) came to be held. The answer is the same for
   * every line after one acquire or assert and before the next, so it is kept by that op (by line
   * only when no op of the function explains it).
   */
  private howHeld(w: WalkResult, obj: string, line: number | null): HeldHow {
    const ix = lockOps(w.fn);
    const acq = lastBefore(ix.acquires.get(obj), line);
    const asr = lastBefore(ix.asserts.get(obj), line);
    const best = acq && (!asr || (acq.line ?? 0) >= (asr.line ?? 0)) ? acq : asr;
    if (best) {
      let h = this.howByOp.get(best);
      if (!h) this.howByOp.set(best, (h = this.findHow(w, obj, line, best)));
      return h;
    }
    let m = this.howByLine.get(w);
    if (!m) this.howByLine.set(w, (m = new Map()));
    const k = `${obj}\0${line}`;
    let h = m.get(k);
    if (!h) m.set(k, (h = this.findHow(w, obj, line, null)));
    return h;
  }

  private findHow(w: WalkResult, obj: string, line: number | null, best: Op | null): HeldHow {
    const fn = w.fn;
    if (best?.kind === 'acquire') return { k: 'here', line: best.line, text: best.text ?? `${best.primitive}(${obj})` };
    if (best?.kind === 'assert') return { k: 'assert', line: best.line, text: best.text ?? `${best.primitive}(${obj})` };
    if (fn.annotations.mustHold.includes(obj) || fn.annotations.context.some((c) => c.lock === obj && c.entry > 0)) {
      return { k: 'assert', line: fn.startLine, text: `__must_hold(${obj})` };
    }
    for (const e of w.events) {
      if (e.k === 'acquire' && e.obj === obj && e.via && (line === null || e.line === null || e.line <= line)) {
        return { k: 'callee', line: e.line, text: `${e.via}()`, callee: e.via };
      }
    }
    return { k: 'here', line: null, text: obj };
  }

  /** A caller's lock object in the callee's terms, through the call's arguments. Null when the callee cannot name it. */
  private translate(obj: string, caller: FunctionIR, callee: FunctionIR, args: string[]): string | null {
    const p = obj.replace(/^&/, '');
    const amp = obj.startsWith('&') ? '&' : '';
    for (let i = 0; i < args.length && i < callee.params.length; i++) {
      const a = args[i]!.trim();
      const param = callee.params[i]!.name;
      if (a.startsWith('&')) {
        const a0 = a.slice(1);
        if (p === a0) return `${amp}*${param}`;
        if (p.startsWith(`${a0}.`)) return `${amp}${param}->${p.slice(a0.length + 1)}`;
      } else if (/^[A-Za-z_][\w>.\-[\]]*$/.test(a)) {
        if (p.startsWith(`${a}->`)) return `${amp}${param}->${p.slice(a.length + 2)}`;
      }
    }
    const root = /^\(?\*?([A-Za-z_]\w*)/.exec(p)?.[1];
    if (!root) return null;
    const declared = caller.params.some((x) => x.name === root) || caller.locals.some((x) => x.name === root);
    return declared ? null : obj; // a global means the same everywhere
  }

  /** Locks held by every caller in the input when they call this function, in its own terms. */
  private heldAtEntry(info: FnInfo, stack = new Set<FnInfo>()): HeldLock[] {
    if (info.heldAtEntry) return info.heldAtEntry;
    if (!info.callers.length || info.registered) return (info.heldAtEntry = NO_HELD);
    if (stack.has(info)) return NO_HELD;
    stack.add(info);
    let acc: HeldLock[] | null = null;
    for (const { caller, site } of info.callers) {
      const args = site.op.kind === 'call' ? site.op.argText : [];
      const here: HeldLock[] = [];
      const outer: { obj: string; how: HeldHow }[] = [];
      for (const o of site.held) outer.push({ obj: o, how: this.howHeld(caller.walk, o, site.op.line) });
      for (const h of this.heldAtEntry(caller, stack)) outer.push(h);
      for (const o of outer) {
        const t = this.translate(o.obj, caller.walk.fn, info.walk.fn, args);
        const k = t ? this.lockOf(info.walk.fn, t) : { key: this.lockOf(caller.walk.fn, o.obj).key, base: null };
        if (here.some((h) => h.key === k.key)) continue;
        here.push({
          key: k.key,
          base: k.base,
          obj: t ?? o.obj,
          how: { k: 'caller', caller: caller.walk.fn.name, line: site.op.line, text: site.op.text ?? `${info.walk.fn.name}()`, outer: o.how },
        });
      }
      if (!acc) acc = here;
      else
        acc = acc
          .filter((a) => here.some((h) => h.key === a.key))
          .map((a) => {
            const h = here.find((x) => x.key === a.key)!;
            return h.base === a.base ? a : { ...a, base: null };
          });
    }
    stack.delete(info);
    info.heldAtEntry = acc?.length ? acc : NO_HELD;
    return info.heldAtEntry;
  }

  /**
   * The ways a function is entered with locks known free: as a thread/callback (every lock free),
   * as a root with no caller in the input (assumed so), or through each caller, with what that
   * caller has released or never took at the call. A lock free on one of them is not held on that path.
   */
  private entryFree(info: FnInfo, stack = new Set<FnInfo>()): EntryFree[] {
    if (info.entryFree) return info.entryFree;
    const fn = info.walk.fn;
    if (!fn.meta.entryKnown) return (info.entryFree = NO_ENTRY);
    if (info.registered) {
      return (info.entryFree = [
        { all: true, except: NO_KEYS, locks: NO_FREE, assumed: false, why: `${fn.name}() is started by ${info.registered}() with no locks held` },
      ]);
    }
    if (!info.callers.length) {
      if (LOCKED_HELPER.test(fn.name) || fn.annotations.mustHold.length || fn.annotations.releases.length) return (info.entryFree = NO_ENTRY);
      // Rebuilt from hunks, the file's other functions (its callers among them) are not shown.
      if (fn.origin === 'hunks') return (info.entryFree = NO_ENTRY);
      const why = info.addressTaken
        ? `${fn.name}() is called back through a pointer; assumed entered without this code's locks`
        : `no caller of ${fn.name}() in the input; assumed entered without locks`;
      return (info.entryFree = [
        { all: true, except: NO_KEYS, locks: NO_FREE, assumed: true, why, ...(info.addressTaken && info.handedTo ? { callback: info.handedTo } : {}) },
      ]);
    }
    if (stack.has(info)) return [];
    stack.add(info);
    const out: EntryFree[] = [];
    for (const { caller, site } of info.callers) {
      const args = site.op.kind === 'call' ? site.op.argText : [];
      const where = `${caller.walk.fn.name}() calls it at line ${site.op.line ?? '?'}`;
      const via = { caller: caller.walk.fn.name, line: site.op.line, text: site.op.text ?? `${fn.name}()` };
      const peekCall = waitConds(caller.walk.fn, this.sem).length > 0 && inWaitCond(caller.walk.fn, this.sem, site.op.line, `${fn.name}(`);
      const held: string[] = [];
      for (const o of site.held) held.push(this.lockOf(caller.walk.fn, o).key);
      const locks: FreeLock[] = [];
      for (const o of site.released) {
        const t = this.translate(o, caller.walk.fn, fn, args);
        if (!t) continue;
        const k = this.lockOf(fn, t);
        const line = releaseLine(caller.walk.fn, o, site.op.line);
        locks.push({ key: k.key, base: k.base, obj: t, line, text: textAt(caller.walk.fn, line, o) ?? `unlock ${o}` });
      }
      if (locks.length)
        out.push({
          all: false,
          except: NO_KEYS,
          locks,
          assumed: false,
          why: `${where} after releasing it${peekCall ? ', in a wait_event() condition' : ''}`,
          via,
          peek: peekCall,
        });
      if (!site.clean) continue;
      const ups = this.entryFree(caller, stack);
      if (!ups.length) continue;
      // What the caller holds at the call, taken or held on entry: the same for each way into it.
      const upHeld = new Set<string>(held);
      for (const h of this.heldAtEntry(caller)) upHeld.add(h.key);
      for (const up of ups) {
        if (up.all) {
          out.push({
            all: true,
            except: new Set([...up.except, ...upHeld]),
            locks: NO_FREE,
            assumed: up.assumed,
            ...(up.callback ? { callback: up.callback } : {}),
            why: `${where} without it (${up.why})`,
            via,
            peek: peekCall || !!up.peek,
          });
        } else {
          const ls: FreeLock[] = [];
          for (const l of up.locks) {
            if (upHeld.has(l.key)) continue;
            const t = this.translate(l.obj, caller.walk.fn, fn, args);
            if (t) ls.push({ ...l, ...this.lockOf(fn, t), obj: t });
          }
          if (ls.length)
            out.push({
              all: false,
              except: NO_KEYS,
              locks: ls,
              assumed: up.assumed,
              ...(up.callback ? { callback: up.callback } : {}),
              why: `${where} without it (${up.why})`,
              via,
              peek: peekCall || !!up.peek,
            });
        }
        if (out.length >= 8) break; // enough ways in to show one; the rest add nothing
      }
    }
    stack.delete(info);
    info.entryFree = out;
    return out;
  }

  /** Locks released later on every path from each op, before being taken again: held there, from entry. */
  private releasedLater(info: FnInfo): Map<Site, Map<string, { obj: string; line: number | null; text: string }>> {
    if (info.releasedLater) return info.releasedLater;
    const fn = info.walk.fn;
    // Only a lock released without being taken in this function can be held on entry; without one, nothing to find.
    const ix = lockOps(fn);
    let unpaired = false;
    for (const o of ix.releases.keys()) if (!ix.acquires.has(o)) unpaired = true;
    if (!unpaired && !ix.unlined) return (info.releasedLater = NO_LATER);
    type Rel = Map<string, { obj: string; line: number | null; text: string }>;
    // Backward must-analysis; null = top (paths that end where we cannot see).
    const inOf = new Map<number, Rel | null>();
    const step = (op: Op, s: Rel | null): Rel | null => {
      if (op.kind === 'release') {
        const out: Rel | null = s ? new Map(s) : null;
        out?.set(this.lockOf(fn, op.obj).key, { obj: op.obj, line: op.line, text: op.text ?? `${op.primitive}(${op.obj})` });
        return out;
      }
      if (op.kind === 'acquire' && s) {
        const out = new Map(s);
        out.delete(this.lockOf(fn, op.obj).key);
        return out;
      }
      return s;
    };
    const outOf = (b: number): Rel | null => {
      const t = fn.blocks[b]!.term;
      if (t.k === 'return') return new Map();
      if (t.k === 'unknown-exit' || t.k === 'noreturn') return null;
      let acc: Rel | null = null;
      for (const s of successors(t)) {
        const v = inOf.has(s) ? inOf.get(s)! : null;
        if (!v) continue;
        if (!acc) acc = new Map(v);
        else for (const k of [...acc.keys()]) if (!v.has(k)) acc.delete(k);
      }
      return acc;
    };
    for (let iter = 0, changed = true; changed && iter < 50; iter++) {
      changed = false;
      for (let b = fn.blocks.length - 1; b >= 0; b--) {
        let v = outOf(b);
        const ops = fn.blocks[b]!.ops;
        for (let i = ops.length - 1; i >= 0; i--) v = step(ops[i]!, v);
        const old = inOf.get(b);
        if (!inOf.has(b) || !sameKeys(old ?? null, v)) {
          inOf.set(b, v);
          changed = true;
        }
      }
    }
    const out = new Map<Site, Rel>();
    for (const s of info.walk.sites) {
      let v = outOf(s.block);
      const ops = fn.blocks[s.block]!.ops;
      for (let i = ops.length - 1; i > s.index; i--) v = step(ops[i]!, v);
      out.set(s, v ?? new Map());
    }
    info.releasedLater = out;
    return out;
  }

  /** Which shared head each kind of entry is added to (`list_add(&c->entry, &q->pending)`), by the entry's member key. */
  private mapNodeHeads(infos: FnInfo[]): void {
    for (const { walk } of infos)
      for (const b of walk.fn.blocks)
        for (const op of b.ops) {
          if (op.kind !== 'list' || !op.head || !op.node || !ADDS.has(op.action)) continue;
          const node = this.keys.data(walk.fn, op.node);
          const head = this.keys.data(walk.fn, op.head);
          if (!node?.typed || !head || head.local) continue;
          const seen = this.nodeHeads.get(node.key);
          if (seen === undefined) this.nodeHeads.set(node.key, head);
          else if (seen && seen.key !== head.key) this.nodeHeads.set(node.key, null);
        }
  }

  /** The shared head an entry unlinked by its member alone comes off, when the input adds such entries to one head. */
  private unlinkedFrom(fn: FunctionIR, op: Op): DataKey | null {
    if (op.kind !== 'list' || op.head || !op.node || !UNLINKS.has(op.action)) return null;
    const node = this.keys.data(fn, op.node);
    return (node?.typed && this.nodeHeads.get(node.key)) || null;
  }

  /**
   * Functions of one side that return a fresh object on every path that returns one (allocator
   * wrappers), found to a fixpoint so that wrappers of wrappers count.
   */
  private allocatorsOf(infos: FnInfo[]): Set<string> {
    const out = new Set<string>();
    const cands = infos.filter((i) => i.walk.fn.returnType.includes('*'));
    const callees = new Map<FnInfo, Set<string>>();
    for (const i of cands) {
      const c = new Set<string>();
      for (const b of i.walk.fn.blocks)
        for (const op of b.ops) {
          if (op.kind === 'call') c.add(op.callee);
          else if (op.kind === 'ref') c.add(op.primitive);
        }
      callees.set(i, c);
    }
    // After the first pass, only a function that calls a wrapper found in the last one can change.
    let added: Set<string> | null = null;
    for (let pass = 0; pass < 4; pass++) {
      const now = new Set<string>();
      for (const i of cands) {
        if (out.has(i.walk.fn.name)) continue;
        if (added && ![...added].some((a) => callees.get(i)!.has(a))) continue;
        if (Lifecycle.of(i.walk, { allocators: out, privateParams: new Set(), sem: this.sem })?.returnsFresh()) now.add(i.walk.fn.name);
      }
      if (!now.size) break;
      for (const n of now) out.add(n);
      added = now;
    }
    return out;
  }

  /**
   * The parameters of a function that every caller in the input passes a still-private object for
   * (fresh before the call), when it has callers and is not called back through a pointer.
   */
  private privateParams(info: FnInfo, allocators: Set<string>, stack: Set<FnInfo>): Set<string> {
    const fn = info.walk.fn;
    if (!info.callers.length || info.addressTaken || info.registered || fn.origin === 'hunks') return NO_KEYS;
    const out = new Set<string>();
    for (let i = 0; i < fn.params.length; i++) {
      const p = fn.params[i]!;
      if (!p.type.includes('*')) continue;
      const all = info.callers.every(({ caller, site }) => {
        if (site.op.kind !== 'call' || stack.has(caller)) return false;
        let a = site.op.argText[i]?.trim();
        if (a?.startsWith('&')) {
          // The address of a struct on the caller's stack.
          a = a.slice(1);
          const l = caller.walk.fn.locals.find((x) => x.name === a);
          if (!l || l.type.includes('*') || /\bstatic\b/.test(l.type)) return false;
        }
        if (!a || !/^[A-Za-z_]\w*$/.test(a)) return false;
        const life = this.lifecycleOf(caller, allocators, stack);
        return life?.phase(site.block, site.index, a) === 'fresh';
      });
      if (all) out.add(p.name);
    }
    return out;
  }

  private lifecycleOf(info: FnInfo, allocators: Set<string>, stack: Set<FnInfo>): Lifecycle | null {
    if (info.lifecycle !== undefined) return info.lifecycle;
    stack.add(info);
    const privateParams = this.privateParams(info, allocators, stack);
    stack.delete(info);
    return (info.lifecycle = Lifecycle.of(info.walk, { allocators, privateParams, sem: this.sem }));
  }

  /** The phase (set-up or tear-down) of the object a path is reached through, at an op of a function. */
  phaseAt(w: WalkResult, block: number, index: number, path: string): Phase | null {
    const life = this.infos.get(w)?.lifecycle;
    if (!life) return null;
    const d = this.keys.data(w.fn, path);
    return d ? life.phase(block, index, d.base) : null;
  }

  private collect(side: Side, info: FnInfo): void {
    const w = info.walk;
    const fn = w.fn;
    // The function's lock facts, computed at its first access of shared data (most have none).
    let entryHeld: HeldLock[] | null = null;
    let entry: EntryFree[] = NO_ENTRY;
    let later: Map<Site, Map<string, { obj: string; line: number | null; text: string }>> = NO_LATER;
    const life = info.lifecycle ?? null;
    // The function's held and free locks, one object per lock and how (or release line): few per function, kept flat.
    let heldMemo: HeldLock[] | null = null;
    let freeMemo: { obj: string; at: number | null; f: FreeLock }[] | null = null;
    let laterMemo: { r: object; h: HeldLock }[] | null = null;
    // Sites with the same lock state share one list: interned by content (the locks are memoised objects).
    let heldLists: HeldLock[][] | null = null;
    let freeLists: FreeLock[][] | null = null;
    const first = this.records.length;
    let waits = false; // does the function wait on a condition at all (asked at its first shared access)
    for (const site of w.sites) {
      const op = site.op;
      // The data the op reads or writes: one path, or a list's head and target.
      let p0: string | null = null;
      let p1: string | null = null;
      switch (op.kind) {
        case 'access':
          p0 = op.path;
          break;
        case 'list':
          p0 = op.head ? op.head : null;
          p1 = op.target ? op.target : null;
          break;
        case 'flag':
          if (op.atomic) continue;
          p0 = op.word;
          break;
        case 'atomic':
          p0 = op.obj;
          break;
        default:
          continue;
      }
      let d0 = p0 !== null ? this.keys.data(fn, p0) : null;
      let d1 = p1 !== null ? this.keys.data(fn, p1) : null;
      if (d0?.local) d0 = null;
      if (d1?.local) d1 = null;
      const dn = this.nodeHeads.size ? this.unlinkedFrom(fn, op) : null;
      if (!d0 && !d1 && !dn) continue;
      if (!entryHeld) {
        entryHeld = this.heldAtEntry(info);
        entry = this.entryFree(info);
        later = this.releasedLater(info);
        waits = waitConds(fn, this.sem).length > 0;
      }
      // The lock state is the site's: computed once for every access it makes.
      let held: HeldLock[] = NO_HELD;
      const rel = later.size ? later.get(site) : undefined;
      if (site.held.size || entryHeld.length || rel?.size) {
        const tmp = scratchHeld;
        tmp.length = 0;
        for (const o of site.held) {
          const how = this.howHeld(w, o, op.line);
          let h: HeldLock | undefined;
          if (heldMemo) for (const x of heldMemo) if (x.how === how && x.obj === o) h = x;
          if (!h) {
            const lk = this.lockOf(fn, o);
            (heldMemo ??= []).push((h = { key: lk.key, base: lk.base, obj: o, how }));
          }
          addHeld(tmp, h);
        }
        for (const h of entryHeld) addHeld(tmp, h);
        if (rel)
          for (const [k, r] of rel) {
            if (hasKey(tmp, k)) continue;
            let h: HeldLock | undefined;
            if (laterMemo) for (const x of laterMemo) if (x.r === r && x.h.key === k) h = x.h;
            if (!h) {
              h = { key: k, base: this.lockOf(fn, r.obj).base, obj: r.obj, how: { k: 'later', line: r.line, text: r.text, shown: fn.meta.entryKnown } };
              (laterMemo ??= []).push({ r, h });
            }
            addHeld(tmp, h);
          }
        if (tmp.length) held = intern((heldLists ??= []), tmp);
      }
      let free: FreeLock[] = NO_FREE;
      if (site.released.size) {
        const tmp = scratchFree;
        tmp.length = 0;
        for (const o of site.released) {
          const k = this.lockOf(fn, o);
          let isHeld = false;
          for (const h of held) if (h.key === k.key && (h.base === null || k.base === null || h.base === k.base)) isHeld = true;
          if (isHeld) continue;
          let f: FreeLock | undefined;
          if (freeMemo) for (const x of freeMemo) if (x.at === op.line && x.obj === o) f = x.f;
          if (!f) {
            const line = releaseLine(fn, o, op.line);
            f = { ...k, obj: o, line, text: textAt(fn, line, o) ?? `unlock ${o}` };
            (freeMemo ??= []).push({ obj: o, at: op.line, f });
          }
          tmp.push(f);
        }
        if (tmp.length) free = intern((freeLists ??= []), tmp);
      }
      const diag = diagnostic(op.text ?? (p0 ?? p1)!);
      const ent = site.clean ? entry : NO_ENTRY;
      if (d0) {
        let kind: AccessKind, mode: 'read' | 'write', via: AccessRecord['via'], action: string | undefined, inCondition: boolean;
        switch (op.kind) {
          case 'access':
            kind = 'field';
            mode = op.mode;
            via = op.via;
            action = undefined;
            inCondition = op.inCondition;
            break;
          case 'list':
            kind = 'list';
            mode = WRITE_LIST.has(op.action) ? 'write' : 'read';
            via = op.family === 'llist' ? 'llist' : 'list';
            action = op.action;
            inCondition = op.action === 'empty';
            break;
          case 'flag':
            kind = 'flag';
            mode = op.action === 'test' ? 'read' : 'write';
            via = 'plain';
            action = op.action;
            inCondition = op.action === 'test';
            break;
          default:
            kind = 'atomic';
            mode = (op as { action: string }).action === 'read' ? 'read' : 'write';
            via = 'atomic';
            action = (op as { action: string }).action;
            inCondition = false;
        }
        this.add(this.record(side, w, site, d0, p0!, kind, mode, via, action, inCondition, held, free, ent, life, diag, waits));
      }
      if (d1 && op.kind === 'list') {
        this.add(
          this.record(side, w, site, d1, p1!, 'list', 'write', op.family === 'llist' ? 'llist' : 'list', op.action, false, held, free, ent, life, diag, waits),
        );
      }
      if (dn && op.kind === 'list') {
        const rec = this.record(
          side,
          w,
          site,
          dn,
          (op as { node: string }).node,
          'list',
          'write',
          'list',
          op.action,
          false,
          held,
          free,
          ent,
          life,
          diag,
          false,
        );
        const same = this.unlinks.get(dn.key);
        if (same) same.push(rec);
        else this.unlinks.set(dn.key, [rec]);
      }
    }
    // This function's records, filed once under its name: they are the last ones added.
    if (this.records.length > first) {
      const fk = `${side}\0${fn.name}`;
      const mine = this.byFn.get(fk);
      if (mine) for (let i = first; i < this.records.length; i++) mine.push(this.records[i]!);
      else this.byFn.set(fk, this.records.slice(first));
    }
  }

  /** File a record: in the list of all, by data key, and by op for counters. */
  private add(rec: AccessRecord): void {
    this.records.push(rec);
    if (rec.kind === 'atomic') {
      const list = this.byOp.get(rec.site.op);
      if (list) list.push(rec);
      else this.byOp.set(rec.site.op, [rec]);
    }
    const same = this.byKey.get(rec.data.key);
    if (same) same.push(rec);
    else this.byKey.set(rec.data.key, [rec]);
  }

  private record(
    side: Side,
    w: WalkResult,
    site: Site,
    data: DataKey,
    path: string,
    kind: AccessKind,
    mode: 'read' | 'write',
    via: AccessRecord['via'],
    action: string | undefined,
    inCondition: boolean,
    held: HeldLock[],
    free: FreeLock[],
    entry: EntryFree[],
    life: Lifecycle | null,
    diag: boolean,
    waits: boolean,
  ): AccessRecord {
    const fn = w.fn;
    const op = site.op;
    return {
      side,
      fn,
      walk: w,
      site,
      data,
      path,
      kind,
      mode,
      via,
      action,
      inCondition,
      line: op.line,
      text: op.text ?? path,
      held,
      free,
      entry,
      phase: life ? life.phase(site.block, site.index, data.base) : null,
      diagnostic: diag,
      waitCond: waits && inWaitCond(fn, this.sem, op.line, path),
      place: undefined,
    };
  }
}

/** Scratch lists for a site's lock state, copied only when no site before had the same. */
const scratchHeld: HeldLock[] = [];
const scratchFree: FreeLock[] = [];

/** The list of `lists` with the same elements as `tmp` (by identity), or a copy of `tmp` added to them. */
function intern<T>(lists: T[][], tmp: T[]): T[] {
  for (let i = lists.length - 1; i >= 0; i--) {
    const l = lists[i]!;
    if (l.length !== tmp.length) continue;
    let same = true;
    for (let j = 0; j < l.length && same; j++) if (l[j] !== tmp[j]) same = false;
    if (same) return l;
  }
  const out = tmp.slice();
  lists.push(out);
  return out;
}

/** Reads inside WARN_ON()/BUG_ON()/printk are diagnostics, not decisions. */
export const DIAGNOSTIC =
  /\b(WARN|BUG)(_ON)?(_ONCE|_RATELIMIT|_SMP)?\s*\(|\bpr_(debug|info|notice|warn|err|crit)\b|\bdev_(dbg|info|notice|warn|err)\b|\bprintk\b|\bseq_printf\b|\btrace_\w+\(/;

function diagnostic(text: string): boolean {
  // Most statements name none of these: a cheap test first.
  return /WARN|BUG|pr_|dev_|printk|seq_printf|trace_/.test(text) && DIAGNOSTIC.test(text);
}

function addHeld(held: HeldLock[], h: HeldLock): void {
  for (const x of held) if (x.key === h.key && x.base === h.base) return;
  held.push(h);
}

function hasKey(held: HeldLock[], key: string): boolean {
  for (const x of held) if (x.key === key) return true;
  return false;
}

function sameKeys(a: Map<string, unknown> | null, b: Map<string, unknown> | null): boolean {
  if (a === null || b === null) return a === b;
  return a.size === b.size && [...a.keys()].every((x) => b.has(x));
}

/** A function's lock ops by object, in source order (built once per function). */
interface LockOps {
  acquires: Map<string, Op[]>;
  asserts: Map<string, Op[]>;
  releases: Map<string, Op[]>;
  unlined: boolean; // a release whose line is unknown
}

const lockOpsCache = new WeakMap<FunctionIR, LockOps>();
const NO_OPS = new Map<string, Op[]>();
/** Most functions take no lock: one shared, empty index. */
const NO_LOCK_OPS: LockOps = { acquires: NO_OPS, asserts: NO_OPS, releases: NO_OPS, unlined: false };

function lockOps(fn: FunctionIR): LockOps {
  let ix = lockOpsCache.get(fn);
  if (ix) return ix;
  let acquires: Map<string, Op[]> | null = null;
  let asserts: Map<string, Op[]> | null = null;
  let releases: Map<string, Op[]> | null = null;
  let unlined = false;
  const add = (m: Map<string, Op[]>, k: string, op: Op): void => {
    const l = m.get(k);
    if (l) l.push(op);
    else m.set(k, [op]);
  };
  for (const b of fn.blocks) {
    for (const op of b.ops) {
      if (op.kind === 'acquire') add((acquires ??= new Map()), op.obj, op);
      else if (op.kind === 'assert' && op.what === 'held' && op.obj) add((asserts ??= new Map()), op.obj, op);
      else if (op.kind === 'release') {
        if (op.line !== null) add((releases ??= new Map()), op.obj, op);
        else unlined = true;
      }
    }
  }
  if (!acquires && !asserts && !releases && !unlined) ix = NO_LOCK_OPS;
  else {
    ix = { acquires: acquires ?? NO_OPS, asserts: asserts ?? NO_OPS, releases: releases ?? NO_OPS, unlined };
    for (const m of [ix.acquires, ix.asserts, ix.releases]) for (const l of m.values()) if (l.length > 1) l.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  }
  lockOpsCache.set(fn, ix);
  return ix;
}

/** The last op at or before `line` (any, when lines are unknown). */
function lastBefore(ops: Op[] | undefined, line: number | null): Op | null {
  if (!ops?.length) return null;
  if (line === null) return ops[ops.length - 1]!;
  let lo = 0;
  let hi = ops.length - 1;
  let best: Op | null = null;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const l = ops[mid]!.line;
    if (l === null || l <= line) {
      best = ops[mid]!;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return best;
}

/** The release of `obj` closest before `line` in source order. */
export function releaseLine(fn: FunctionIR, obj: string, line: number | null): number | null {
  if (line === null) return null;
  const op = lastBefore(lockOps(fn).releases.get(obj), line);
  return op?.line ?? null;
}

function textAt(fn: FunctionIR, line: number | null, obj: string): string | null {
  if (line === null) return null;
  const op = lockOps(fn)
    .releases.get(obj)
    ?.find((o) => o.line === line);
  return op ? (op.text ?? (op.kind === 'release' ? `${op.primitive}(${obj})` : obj)) : null;
}

/** The wait_event() conditions of a function: the lines they span and their text. */
export interface WaitCond {
  from: number;
  to: number;
  text: string;
}

/** Per rules, since the waits are theirs (`waiters`). */
const waitCache = new WeakMap<Semantics, WeakMap<FunctionIR, WaitCond[]>>();
const NO_WAITS: WaitCond[] = [];

/**
 * The condition of a wait_event() is lowered before the call, on the call's lines: from the call's
 * line up to the line before the next statement after it (the first op or terminator past the call
 * on a later line). The waits are the rules' `waiters`: their second argument is a condition the
 * waiter re-evaluates after every wake-up.
 */
export function waitConds(fn: FunctionIR, sem: Semantics): WaitCond[] {
  let cache = waitCache.get(sem);
  if (!cache) waitCache.set(sem, (cache = new WeakMap()));
  let out = cache.get(fn);
  if (out) return out;
  const waiter = sem.waiterPattern;
  out = NO_WAITS;
  for (const b of fn.blocks) {
    for (let i = 0; i < b.ops.length; i++) {
      const op = b.ops[i]!;
      if (op.kind !== 'call' || op.line === null || !waiter.test(op.callee) || op.argText.length < 2) continue;
      let next: number | null = null;
      for (let j = i + 1; j < b.ops.length && next === null; j++) {
        const l = b.ops[j]!.line;
        if (l !== null && l > op.line) next = l;
      }
      if (next === null) {
        const tl = b.term.line;
        if (tl !== null && tl > op.line) next = tl;
        else
          for (const s of successors(b.term)) {
            const first = fn.blocks[s]?.ops.find((o) => o.line !== null && o.line > op.line!);
            if (first && (next === null || first.line! < next)) next = first.line;
          }
      }
      if (out === NO_WAITS) out = [];
      out.push({ from: op.line, to: next !== null ? next - 1 : op.line + 20, text: op.argText.slice(1).join(',').replace(/\s+/g, '') });
    }
  }
  cache.set(fn, out);
  return out;
}

/** Is an op on `line` that mentions `what` (a path, or `callee(`) part of a wait_event() condition? */
export function inWaitCond(fn: FunctionIR, sem: Semantics, line: number | null, what: string): boolean {
  if (line === null) return false;
  const ws = waitConds(fn, sem);
  if (!ws.length) return false;
  const w = what.replace(/^&/, '').replace(/\s+/g, '');
  return ws.some((c) => line >= c.from && line <= c.to && c.text.includes(w));
}

// Which locks are held at every access to shared data, including locks held by all callers in the
// input and locks the function releases later without taking them (taken in code it does not show);
// and from that, which lock guards which field: declared in rules/, or inferred from the counts.

import type { FunctionIR, Op } from '../../c/ir.js';
import type { Semantics } from '../../semantics/index.js';
import { successors } from '../cfg.js';
import type { Site, WalkResult } from '../engine.js';
import { dataKey, lockKey, type DataKey } from './keys.js';

export type Side = 'pre' | 'post';

export interface AccessRecord {
  side: Side;
  fn: FunctionIR;
  site: Site;
  data: DataKey;
  path: string;
  mode: 'read' | 'write';
  via: 'plain' | 'once' | 'rcu' | 'acquire' | 'release' | 'list' | 'llist';
  inCondition: boolean;
  line: number | null;
  text: string;
  held: Set<string>; // lock keys held here (own path, callers, released-later)
  free: Set<string> | 'all'; // lock keys known not held here
  heldHow: Map<string, string>; // key -> why we believe it is held ("taken at 120", "caller zram_thread() holds it")
  /** Lines where the path released each free lock (for messages and witnesses). */
  releasedAt: Map<string, number | null>;
}

export interface Guard {
  data: DataKey; // the field (key form of its first record)
  lock: string; // lock key
  lockField: string; // member name of the lock (for matching untyped mentions)
  sameStruct: boolean; // the lock lives in the same struct as the field (per-object lock)
  source: 'rule' | 'inferred';
  why: string;
  held: number;
  free: number;
  functions: number;
}

const WRITE_LIST = new Set(['add', 'add-tail', 'del', 'del-init', 'move', 'move-tail', 'splice', 'splice-init', 'splice-tail', 'splice-tail-init', 'pop', 'init', 'del-all', 'replace']);

/** Functions whose address is handed to the kernel as a thread, work item or callback start with no locks held. */
const ENTRY_REGISTRARS = /^(kthread_(run|create|create_on_node|run_on_cpu)|INIT_WORK|INIT_DELAYED_WORK|INIT_RCU_WORK|timer_setup|setup_timer|request_irq|request_threaded_irq|devm_request_irq|devm_request_threaded_irq|tasklet_init|tasklet_setup|kthread_init_work|init_completion|call_rcu|queue_work|schedule_work)$/;

interface FnInfo {
  walk: WalkResult;
  callers: { caller: FnInfo; site: Site }[];
  registered: boolean; // its address is passed to a thread/work/irq registrar
  heldAtEntry?: Map<string, string>;
  freeAtEntry?: Set<string> | 'all';
  releasedLater?: Map<string, Set<string>>; // "block:index" -> keys released later on every path
}

export class Lockset {
  readonly records: AccessRecord[] = [];
  /** A lock key -> how the code writes it (`&ploop->bat_lock`), for messages. */
  readonly lockText = new Map<string, string>();
  private readonly infos = new Map<WalkResult, FnInfo>();

  constructor(sides: { side: Side; walks: WalkResult[] }[], readonly types: Map<string, string>) {
    for (const { side, walks } of sides) {
      const byName = new Map<string, FnInfo>();
      const infos: FnInfo[] = [];
      for (const w of walks) {
        const info: FnInfo = { walk: w, callers: [], registered: false };
        this.infos.set(w, info);
        infos.push(info);
        if (!byName.has(w.fn.name)) byName.set(w.fn.name, info);
      }
      for (const info of infos) {
        for (const s of info.walk.sites) {
          if (s.op.kind !== 'call') continue;
          const callee = byName.get(s.op.callee);
          if (callee && callee !== info) callee.callers.push({ caller: info, site: s });
          if (ENTRY_REGISTRARS.test(s.op.callee)) {
            for (const a of s.op.argText) {
              const t = byName.get(a.replace(/^&/, ''));
              if (t) t.registered = true;
            }
          }
        }
      }
      for (const info of infos) this.collect(side, info);
    }
  }

  private lockKeys(fn: FunctionIR, objs: Iterable<string>): Set<string> {
    const out = new Set<string>();
    for (const o of objs) out.add(this.key(fn, o));
    return out;
  }

  private key(fn: FunctionIR, obj: string): string {
    const k = lockKey(fn, obj, this.types);
    if (!this.lockText.has(k)) this.lockText.set(k, obj);
    return k;
  }

  /** How to show a guard's lock for one access (`&piwb->lock` for a per-object lock). */
  showLock(g: Guard, r: AccessRecord): string {
    if (g.sameStruct) return `&${r.data.root}->${g.lockField}`;
    return this.lockText.get(g.lock) ?? g.lock;
  }

  /** Locks held by every caller in the input when they call this function (in lock-key terms). */
  private heldAtEntry(info: FnInfo, stack = new Set<FnInfo>()): Map<string, string> {
    if (info.heldAtEntry) return info.heldAtEntry;
    if (!info.callers.length || stack.has(info)) return new Map();
    stack.add(info);
    let acc: Map<string, string> | null = null;
    for (const { caller, site } of info.callers) {
      const here = new Map<string, string>();
      for (const k of this.lockKeys(caller.walk.fn, site.held)) here.set(k, `its caller ${caller.walk.fn.name}() holds it at line ${site.op.line ?? '?'}`);
      for (const [k, why] of this.heldAtEntry(caller, stack)) if (!here.has(k)) here.set(k, why);
      if (!acc) acc = here;
      else for (const k of [...acc.keys()]) if (!here.has(k)) acc.delete(k);
    }
    stack.delete(info);
    info.heldAtEntry = acc ?? new Map();
    return info.heldAtEntry;
  }

  /** Locks known free when the function is entered: from every caller, or 'all' for thread/callback entries. */
  private freeAtEntry(info: FnInfo, stack = new Set<FnInfo>()): Set<string> | 'all' {
    if (info.freeAtEntry) return info.freeAtEntry;
    if (!info.callers.length) return (info.freeAtEntry = info.registered && info.walk.fn.meta.entryKnown ? 'all' : new Set());
    if (stack.has(info)) return new Set();
    stack.add(info);
    let acc: Set<string> | 'all' | null = null;
    for (const { caller, site } of info.callers) {
      const held = this.lockKeys(caller.walk.fn, site.held);
      let here: Set<string> | 'all' = this.lockKeys(caller.walk.fn, site.released);
      if (site.clean) {
        const up = this.freeAtEntry(caller, stack);
        if (up === 'all') here = 'all';
        else for (const k of up) if (!held.has(k)) (here as Set<string>).add(k);
      }
      if (here === 'all') {
        if (held.size) here = new Set(); // 'all but the held ones' is not representable: stay conservative
      }
      acc = intersect(acc, here);
    }
    stack.delete(info);
    info.freeAtEntry = acc ?? new Set();
    return info.freeAtEntry;
  }

  /** Locks released later on every path from each op, before being taken again: they are held there. */
  private releasedLater(info: FnInfo): Map<string, Set<string>> {
    if (info.releasedLater) return info.releasedLater;
    const fn = info.walk.fn;
    const key = (o: string): string => lockKey(fn, o, this.types);
    // Backward must-analysis; null = top (paths that end where we cannot see).
    const inOf = new Map<number, Set<string> | null>();
    const transfer = (b: number, out: Set<string> | null): Set<string> | null => {
      let s = out ? new Set(out) : null;
      const ops = fn.blocks[b]!.ops;
      for (let i = ops.length - 1; i >= 0; i--) s = step(ops[i]!, s, key);
      return s;
    };
    const outOf = (b: number): Set<string> | null => {
      const t = fn.blocks[b]!.term;
      if (t.k === 'return') return new Set();
      if (t.k === 'unknown-exit' || t.k === 'noreturn') return null;
      let acc: Set<string> | null = null;
      let first = true;
      for (const s of successors(t)) {
        const v = inOf.has(s) ? inOf.get(s)! : null;
        if (first) {
          acc = v ? new Set(v) : null;
          first = false;
        } else if (v && acc) {
          for (const x of [...acc]) if (!v.has(x)) acc.delete(x);
        } else if (v && !acc) {
          acc = new Set(v);
        }
      }
      return acc;
    };
    for (let iter = 0, changed = true; changed && iter < 50; iter++) {
      changed = false;
      for (let b = fn.blocks.length - 1; b >= 0; b--) {
        const v = transfer(b, outOf(b));
        const old = inOf.get(b);
        if (!inOf.has(b) || !eq(old ?? null, v)) {
          inOf.set(b, v);
          changed = true;
        }
      }
    }
    const out = new Map<string, Set<string>>();
    for (const s of info.walk.sites) {
      let v = outOf(s.block);
      const ops = fn.blocks[s.block]!.ops;
      for (let i = ops.length - 1; i > s.index; i--) v = step(ops[i]!, v, key);
      out.set(`${s.block}:${s.index}`, v ?? new Set());
    }
    info.releasedLater = out;
    return out;
  }

  private collect(side: Side, info: FnInfo): void {
    const fn = info.walk.fn;
    const entryHeld = this.heldAtEntry(info);
    const entryFree = this.freeAtEntry(info);
    const later = this.releasedLater(info);
    for (const site of info.walk.sites) {
      const acc = accessOf(site.op);
      for (const a of acc) {
        const data = dataKey(fn, a.path, this.types);
        if (!data || data.local) continue;
        const held = new Set<string>();
        const heldHow = new Map<string, string>();
        for (const o of site.held) {
          const k = this.key(fn, o);
          held.add(k);
          heldHow.set(k, 'held on every path to it');
        }
        for (const [k, why] of entryHeld) if (!held.has(k)) { held.add(k); heldHow.set(k, why); }
        for (const k of later.get(`${site.block}:${site.index}`) ?? []) if (!held.has(k)) { held.add(k); heldHow.set(k, 'released later without being taken again: held here'); }
        const releasedAt = new Map<string, number | null>();
        let free: Set<string> | 'all';
        const rel = [...site.released].map((o) => lockKey(fn, o, this.types)).filter((k) => !held.has(k));
        if (site.clean && entryFree === 'all') free = 'all';
        else {
          free = new Set(rel);
          if (site.clean && entryFree !== 'all') for (const k of entryFree) if (!held.has(k)) free.add(k);
        }
        for (const o of site.released) releasedAt.set(lockKey(fn, o, this.types), releaseLine(info.walk, o, site));
        this.records.push({
          side, fn, site, data, path: a.path, mode: a.mode, via: a.via, inCondition: a.inCondition,
          line: site.op.line, text: site.op.text ?? a.path, held, free, heldHow, releasedAt,
        });
      }
    }
  }

  /** Is `lock` (a guard) held at this record? Matches untyped mentions by member and root. */
  holds(r: AccessRecord, g: Guard): boolean {
    return [...r.held].some((h) => lockMatches(g, r, h));
  }

  isFree(r: AccessRecord, g: Guard): boolean {
    if (this.holds(r, g)) return false;
    if (r.free === 'all') return true;
    return [...r.free].some((h) => lockMatches(g, r, h));
  }

  /** Guards per field: from rules/ first, then inferred where the evidence is strong enough. */
  guards(sem: Semantics): Map<string, Guard[]> {
    const byField = new Map<string, AccessRecord[]>();
    for (const r of this.records) {
      if (r.via === 'llist') continue; // lockless by design
      const list = byField.get(r.data.key) ?? [];
      list.push(r);
      byField.set(r.data.key, list);
    }
    const out = new Map<string, Guard[]>();
    for (const [key, recs] of byField) {
      const data = recs[0]!.data;
      const gs: Guard[] = [];
      for (const g of sem.guards) {
        const [fs, ...fm] = g.field.split('.');
        if (!(g.field === key || (fm.join('.') === data.field && (data.typed ? key.startsWith(`${fs}.`) : true)))) continue;
        const [ls, ...lm] = g.lock.split('.');
        const sameStruct = ls === fs;
        gs.push({
          data, lock: g.lock, lockField: lm[lm.length - 1] ?? g.lock, sameStruct, source: 'rule',
          why: `${g.source}: ${g.field} is guarded by ${g.lock}${g.why ? ` (${g.why})` : ''}`, held: 0, free: 0, functions: 0,
        });
      }
      if (!gs.length) gs.push(...infer(this, data, recs));
      for (const g of gs) {
        g.held = recs.filter((r) => this.holds(r, g)).length;
        g.free = recs.filter((r) => this.isFree(r, g)).length;
      }
      if (gs.length) out.set(key, gs);
    }
    return out;
  }
}

/** A lock is a guard of a field when it is held at enough of its accesses, in more than one place. */
function infer(ls: Lockset, data: DataKey, recs: AccessRecord[]): Guard[] {
  const considered = recs.filter((r) => r.via !== 'once' && r.via !== 'rcu');
  const cands = new Set<string>();
  for (const r of considered) for (const h of r.held) cands.add(h);
  const out: Guard[] = [];
  for (const lock of cands) {
    if (['rcu', 'rcu_bh', 'rcu_sched', 'irq', 'bh', 'preempt'].includes(lock)) continue;
    const lockField = lock.split(/->|\./).pop() ?? lock;
    const g: Guard = { data, lock, lockField, sameStruct: false, source: 'inferred', why: '', held: 0, free: 0, functions: 0 };
    const heldRecs = considered.filter((r) => r.held.has(lock));
    const freeRecs = considered.filter((r) => !r.held.has(lock) && ls.isFree(r, g));
    const fns = new Set(heldRecs.map((r) => r.fn.name));
    const ratio = heldRecs.length / Math.max(1, heldRecs.length + freeRecs.length);
    // Enough evidence: three locked accesses (or two in two functions) and a clear majority.
    if (heldRecs.length < 2 || (heldRecs.length < 3 && fns.size < 2) || ratio < 0.6) continue;
    g.functions = fns.size;
    g.why = `inferred: '${lock}' is held at ${heldRecs.length} of ${heldRecs.length + freeRecs.length} accesses to ${data.key} whose lock state is known, in ${fns.size} function${fns.size === 1 ? '' : 's'}`;
    out.push(g);
  }
  return out;
}

function lockMatches(g: Guard, r: AccessRecord, heldKey: string): boolean {
  if (heldKey === g.lock) return true;
  const parts = heldKey.split(/->|\./);
  const member = parts[parts.length - 1];
  if (member !== g.lockField) return false;
  if (g.source === 'inferred') return false; // inferred guards are keys already
  if (g.sameStruct) {
    // A per-object lock: the same object the field is reached through.
    const root = parts[0];
    return root === r.data.root || (r.data.typed && heldKey === `${r.data.key.split('.')[0]}.${g.lockField}`);
  }
  return true;
}

function intersect(a: Set<string> | 'all' | null, b: Set<string> | 'all'): Set<string> | 'all' {
  if (a === null) return b === 'all' ? 'all' : new Set(b);
  if (a === 'all') return b === 'all' ? 'all' : new Set(b);
  if (b === 'all') return a;
  return new Set([...a].filter((x) => b.has(x)));
}

function eq(a: Set<string> | null, b: Set<string> | null): boolean {
  if (a === null || b === null) return a === b;
  return a.size === b.size && [...a].every((x) => b.has(x));
}

/** Backward step: a release makes the lock "released later"; an acquire ends that. */
function step(op: Op, s: Set<string> | null, key: (o: string) => string): Set<string> | null {
  if (op.kind === 'release') {
    const out = s ? new Set(s) : null;
    out?.add(key(op.obj));
    return out;
  }
  if (op.kind === 'acquire') {
    if (!s) return s;
    const out = new Set(s);
    out.delete(key(op.obj));
    return out;
  }
  return s;
}

/** The data an op reads or writes. */
function accessOf(op: Op): { path: string; mode: 'read' | 'write'; via: AccessRecord['via']; inCondition: boolean }[] {
  switch (op.kind) {
    case 'access':
      return [{ path: op.path, mode: op.mode, via: op.via, inCondition: op.inCondition }];
    case 'list': {
      const via = op.family === 'llist' ? 'llist' : 'list';
      const out: ReturnType<typeof accessOf> = [];
      if (op.head) out.push({ path: op.head, mode: WRITE_LIST.has(op.action) ? 'write' : 'read', via, inCondition: op.action === 'empty' });
      if (op.target) out.push({ path: op.target, mode: 'write', via, inCondition: false });
      return out;
    }
    case 'flag':
      // Atomic bitops are lockless on their own; plain |= / &= ~ are read-modify-write.
      return op.atomic ? [] : [{ path: op.word, mode: op.action === 'test' ? 'read' : 'write', via: 'plain', inCondition: op.action === 'test' }];
    default:
      return [];
  }
}

function releaseLine(w: WalkResult, obj: string, site: Site): number | null {
  // The release op closest before the site in source order.
  let best: number | null = null;
  for (const b of w.fn.blocks) for (const op of b.ops) {
    if (op.kind === 'release' && op.obj === obj && op.line !== null && site.op.line !== null && op.line <= site.op.line) {
      if (best === null || op.line > best) best = op.line;
    }
  }
  return best;
}

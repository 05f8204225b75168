// Which lock guards which field: declared by a maintainer in rules/, written on the member
// (`__guarded_by(&lock)`, `__rcu`), or inferred from the code at hand the way RacerX and Engler's
// "bugs as deviant behaviour" do: a lock held at most accesses to a field, in more than one
// function, guards it. Inference speaks only with enough evidence, and says how much it had.

import type { FunctionIR } from '../../c/ir.js';
import type { Semantics } from '../../semantics/index.js';
import type { DataKey } from './keys.js';
import { rootOfPath } from './lifecycle.js';
import type { AccessRecord, EntryFree, Lockset } from './lockset.js';

export interface Guard {
  data: DataKey; // the field (key form of its first record)
  kind: 'lock' | 'rcu'; // rcu: an __rcu pointer, read under rcu_read_lock() or the update lock
  lock: string; // lock key ('rcu' for kind rcu)
  lockField: string; // member name of the lock (for matching mentions whose type is unknown)
  perObject: boolean; // the lock lives in the same object as the field (`dev->lock` for `dev->queue`)
  /** comment: a struct comment says so ("protected by ->lock"): trusted as much as an inferred guard. */
  source: 'rule' | 'annotation' | 'comment' | 'inferred';
  why: string;
  confidence: 'high' | 'medium';
  held: number; // accesses (distinct sites) with the lock held
  free: number; // accesses with the lock known not held
  functions: string[]; // functions that hold it at an access
}

/** Does a held lock (key, base) match a guard for this access? */
export function lockMatches(g: Guard, r: AccessRecord, key: string, base: string | null): boolean {
  if (g.kind === 'rcu') return key === 'rcu' || key === 'rcu_bh' || key === 'rcu_sched';
  const sameObject = base === null || base === r.data.base;
  if (key === g.lock) return !g.perObject || sameObject;
  if (g.source === 'inferred') return false; // inferred guards are keys already
  // A rule or annotation names `struct.lock`; a mention whose type is unknown matches by member.
  const member = key.split(/->|\./).pop();
  if (member !== g.lockField) return false;
  if (g.perObject) return sameObject;
  return true;
}

export function holds(r: AccessRecord, g: Guard): boolean {
  return r.held.some((h) => lockMatches(g, r, h.key, h.base));
}

export function isFree(r: AccessRecord, g: Guard): boolean {
  if (holds(r, g)) return false;
  if (r.free.some((f) => lockMatches(g, r, f.key, f.base))) return true;
  return !!freeEntry(r, g);
}

/** A way into the function on which the guard is not held (a caller that does not hold it, or a thread entry). */
export function freeEntry(r: AccessRecord, g: Guard): EntryFree | null {
  for (const e of r.entry) {
    if (e.all ? !anyMatch(g, r, e.except) : e.locks.some((f) => lockMatches(g, r, f.key, f.base))) return e;
  }
  return null;
}

/** Every way into the function on which the guard is not held. */
export function freeEntries(r: AccessRecord, g: Guard): EntryFree[] {
  return r.entry.filter((e) => (e.all ? !anyMatch(g, r, e.except) : e.locks.some((f) => lockMatches(g, r, f.key, f.base))));
}

function anyMatch(g: Guard, r: AccessRecord, keys: Set<string>): boolean {
  if (keys.has(g.lock)) return true;
  for (const k of keys) if (lockMatches(g, r, k, null)) return true;
  return false;
}

/** A list_empty()/llist_empty() test is a READ_ONCE peek of the head; a wait_event() condition is re-evaluated by the waiter. */
export function isPeek(r: AccessRecord): boolean {
  return r.via === 'once' || (r.kind === 'list' && r.action === 'empty') || r.waitCond;
}

/** Every way in without the guard goes through a call inside a wait_event() condition. */
export function peekEntry(r: AccessRecord, g: Guard): boolean {
  if (r.free.some((f) => lockMatches(g, r, f.key, f.base))) return false;
  const ways = freeEntries(r, g);
  return ways.length > 0 && ways.every((e) => e.peek);
}

/** Records that are evidence about a field's lock: plain, unmarked accesses of shared state. */
function evidence(r: AccessRecord): boolean {
  if (r.kind === 'atomic' || r.via === 'llist' || isPeek(r) || r.phase) return false;
  if (r.via === 'rcu' && r.mode === 'read') return false;
  return !r.diagnostic;
}

/** Distinct places: the same statement on both images of a patch counts once. */
function place(r: AccessRecord): string {
  return (r.place ??= `${r.fn.name}\0${r.text}`);
}

export function guardsOf(ls: Lockset, sem: Semantics): Map<string, Guard[]> {
  const out = new Map<string, Guard[]>();
  for (const [key, all] of ls.byKey) {
    const recs = all.filter((r) => r.kind !== 'atomic' && r.via !== 'llist');
    if (!recs.length) continue;
    const data = recs[0]!.data;
    const gs: Guard[] = ruleGuards(sem, key, data, recs);
    for (const g of annotationGuards(ls, recs)) gs.push(g);
    let ev: AccessRecord[] | null = null;
    if (!gs.some((g) => g.kind === 'lock'))
      for (const g of infer(data, (ev = recs.filter(evidence)), (ls.unlinks.get(key) ?? []).filter(evidence), sem)) gs.push(g);
    // An inferred guard was counted when it was inferred.
    for (const g of gs) if (g.source !== 'inferred') count(g, (ev ??= recs.filter(evidence)));
    if (gs.length) out.set(key, gs);
  }
  return out;
}

function count(g: Guard, ev: AccessRecord[]): void {
  const held = new Set<string>();
  const free = new Set<string>();
  const fns = new Set<string>();
  for (const r of ev) {
    if (holds(r, g)) {
      held.add(place(r));
      fns.add(r.fn.name);
    } else if (isFree(r, g)) free.add(place(r));
  }
  g.held = held.size;
  g.free = free.size;
  g.functions = [...fns];
}

/** `drivers/md/dm-ploop*`, `ploop_*`: shell-style globs of rules' `applies`. */
const globs = new Map<string, RegExp>();

function glob(pattern: string): RegExp {
  let re = globs.get(pattern);
  if (!re)
    globs.set(
      pattern,
      (re = new RegExp(
        `^${pattern
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '.*')
          .replace(/\?/g, '.')}$`,
      )),
    );
  return re;
}

/** Does a rule file speak about this code (its `applies` paths or functions; none: everywhere)? */
/** Does a rule file speak about this function (its `applies` paths or functions; none: everywhere)? */
export function appliesToFn(applies: { paths: string[]; functions: string[] } | undefined, fn: { file: string | null; name: string }): boolean {
  if (!applies || (!applies.paths.length && !applies.functions.length)) return true;
  return (fn.file !== null && applies.paths.some((p) => glob(p).test(fn.file!))) || applies.functions.some((f) => glob(f).test(fn.name));
}

/** How many threads may run a function at once, as the rules in scope declare it (`threads`), if they do. */
export function declaredInstances(sem: Semantics, fn: { file: string | null; name: string }): number | undefined {
  let out: number | undefined;
  for (const f of sem.files) {
    if (!f.rules.threads.length || !appliesToFn(f.rules.applies, fn)) continue;
    for (const t of f.rules.threads) if (t.functions.includes(fn.name)) out = Math.max(out ?? 0, t.instances);
  }
  return out;
}

export function inScope(applies: { paths: string[]; functions: string[] } | undefined, recs: AccessRecord[]): boolean {
  if (!applies || (!applies.paths.length && !applies.functions.length)) return true;
  const paths = applies.paths.map(glob);
  const fns = applies.functions.map(glob);
  // A field's records come function by function: each function asked once.
  let last: FunctionIR | null = null;
  for (const r of recs) {
    const fn = r.fn;
    if (fn === last) continue;
    last = fn;
    if (fn.file !== null) for (const p of paths) if (p.test(fn.file)) return true;
    for (const f of fns) if (f.test(fn.name)) return true;
  }
  return false;
}

function ruleGuards(sem: Semantics, key: string, data: DataKey, recs: AccessRecord[]): Guard[] {
  const out: Guard[] = [];
  const scoped = sem.files.filter((f) => f.rules.guards.length && inScope(f.rules.applies, recs));
  for (const g of scoped.flatMap((f) => f.rules.guards.map((x) => ({ ...x, source: f.path })))) {
    const [fs, ...fm] = g.field.split('.');
    const member = fm.join('.');
    const match = g.field === key || (!data.typed && member === data.member) || (data.typed && data.container === fs && data.member.startsWith(`${member}.`));
    if (!match) continue;
    const [ls, ...lm] = g.lock.split('.');
    out.push({
      data,
      kind: 'lock',
      lock: g.lock,
      lockField: lm[lm.length - 1] ?? g.lock,
      perObject: ls === fs,
      source: 'rule',
      confidence: 'high',
      why: `${g.source}: ${g.field} is guarded by ${g.lock}${g.why ? ` (${g.why})` : ''}`,
      held: 0,
      free: 0,
      functions: [],
    });
  }
  return out;
}

function annotationGuards(ls: Lockset, recs: AccessRecord[]): Guard[] {
  const r = recs.find((x) => x.data.decl);
  const d = r?.data.decl;
  if (!r || !d) return [];
  const out: Guard[] = [];
  const data = r.data;
  if (d.guardedBy) {
    // `__guarded_by(&lock)` names a member of the same struct; a global lock is named bare too.
    const name = d.guardedBy.replace(/^&/, '').trim();
    const sibling = data.container && !data.global && /^[A-Za-z_]\w*$/.test(name) && ls.keys.member(data.container, name);
    const lock = sibling ? `${data.container}.${name}` : name;
    const member = `${data.container ? `${data.container}.` : ''}${d.name}`;
    const at = d.line !== null ? ` at ${d.file ? `${d.file}:` : 'line '}${d.line}` : '';
    out.push({
      data,
      kind: 'lock',
      lock,
      lockField: name.split(/->|\./).pop() ?? name,
      perObject: !!sibling,
      source: d.guardComment ? 'comment' : 'annotation',
      confidence: d.guardComment ? 'medium' : 'high',
      why: d.guardComment
        ? `comment: ${member} is documented as guarded by '${name}' ("${d.guardComment.slice(0, 80)}")${at}`
        : `annotation: ${member} is declared __guarded_by(${d.guardedBy})${at}`,
      held: 0,
      free: 0,
      functions: [],
    });
  }
  if (d.rcu) {
    out.push({
      data,
      kind: 'rcu',
      lock: 'rcu',
      lockField: 'rcu',
      perObject: false,
      source: 'annotation',
      confidence: 'high',
      why: `annotation: ${data.container ? `${data.container}.` : ''}${d.name} is an __rcu pointer${d.line !== null ? ` (${d.file ? `${d.file}:` : 'line '}${d.line})` : ''}`,
      held: 0,
      free: 0,
      functions: [],
    });
  }
  return out;
}

/**
 * A lock is a guard of a field when it is held at enough of its accesses, in more than one function.
 * `unlinks` (a list's entries taken off by member alone) count only where they hold the lock: the
 * object whose lock it is goes unnamed, and an unlocked one may be on a private list by then.
 */
function infer(data: DataKey, ev: AccessRecord[], unlinks: AccessRecord[], sem: Semantics): Guard[] {
  const cands = new Map<string, string>(); // key -> lock member
  const instance = new Set<string>();
  // A global (not reached through a pointer) is one object: a lock of which every caller may hold
  // another instance (`c->lock` for the c at hand) cannot be what keeps two CPUs off it.
  const oneObject = data.global && !data.base.includes('->');
  for (const r of ev) {
    for (const h of r.held) {
      if (sem.globalContexts.has(h.key)) continue; // an execution context keeps no other CPU out
      if (oneObject && h.base) {
        const root = rootOfPath(h.base);
        if (root && (r.fn.params.some((p) => p.name === root) || r.fn.locals.some((l) => l.name === root))) instance.add(h.key);
      }
      if (cands.has(h.key)) continue;
      // A lock inside the object the field points to cannot guard the pointer that leads to it.
      if (h.base !== null && h.base === r.path.replace(/^&/, '')) continue;
      cands.set(h.key, h.key.split(/->|\./).pop() ?? h.key);
    }
  }
  for (const k of instance) cands.delete(k);
  // A lock only unlinks hold is no candidate: they support a guard the head's own accesses suggest.
  const out: Guard[] = [];
  for (const [lock, lockField] of cands) {
    const perObject =
      !!data.container &&
      lock.startsWith(`${data.container}${data.container.endsWith('->') ? '' : '.'}`) &&
      !lock.slice(data.container.length + 1).includes('->');
    const g: Guard = { data, kind: 'lock', lock, lockField, perObject, source: 'inferred', why: '', confidence: 'medium', held: 0, free: 0, functions: [] };
    const held = new Set<string>();
    const free = new Set<string>();
    const fns = new Set<string>();
    const freeFns = new Set<string>();
    let inside = 0;
    for (const r of ev) {
      if (holds(r, g)) {
        held.add(place(r));
        fns.add(r.fn.name);
        if (r.held.some((h) => h.key === lock && h.base !== null && h.base === r.path.replace(/^&/, ''))) inside++;
      } else if (isFree(r, g)) {
        free.add(place(r));
        freeFns.add(r.fn.name);
      }
    }
    for (const r of unlinks)
      if (r.held.some((h) => h.key === lock)) {
        held.add(place(r));
        fns.add(r.fn.name);
      }
    const total = held.size + free.size;
    // Enough evidence: locked accesses in at least two functions, and a clear majority of the places
    // (or twice as many functions locking as not).
    if (fns.size < 2 || held.size < 2 || (held.size < 0.6 * total && fns.size < 2 * freeFns.size) || inside) continue;
    g.held = held.size;
    g.free = free.size;
    g.functions = [...fns].sort();
    g.confidence = fns.size >= 3 && free.size * 4 <= held.size ? 'high' : 'medium';
    const shown =
      g.functions
        .slice(0, 4)
        .map((f) => `${f}()`)
        .join(', ') + (g.functions.length > 4 ? ', ...' : '');
    g.why = `inferred: '${lock}' is held at ${held.size} of ${total} accesses to ${data.key} whose lock state is known, in ${fns.size} functions (${shown})`;
    out.push(g);
  }
  // The strongest first: most functions, then fewest unlocked places.
  return out.sort((a, b) => b.functions.length - a.functions.length || a.free - b.free);
}

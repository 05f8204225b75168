// unguarded-access: a read or write of a guarded field with its guard not held on that path.
// The guard comes from rules/, from an annotation on the member, from a struct comment, or is
// inferred from the locks held at the field's other accesses. Lockless idioms are told apart: marked peeks (READ_ONCE,
// list_empty) are reported at info, RCU reads under rcu_read_lock() and llists not at all, nor
// objects being set up before they are published or torn down after their last reference.

import type { Expr, FunctionIR } from '../../c/ir.js';
import { rootOf } from '../../c/path.js';
import type { RawFinding } from '../check.js';
import type { RaceCheck, RaceContext } from '../races/context.js';
import { defineRule, report, type MessageOf } from '../rule.js';
import { freeEntries, freeEntry, holds, isFree, isPeek, lockMatches, peekEntry, type Guard } from '../races/guards.js';
import type { AccessRecord, HeldLock, Lockset } from '../races/lockset.js';
import { lockSteps, unlockStep, witness, type Step } from '../races/witness.js';
import type { Confidence, Severity, Witness } from '../types.js';

/** RCU accessors that say the update side's lock is held, or that only look at the pointer value. */

const RCU_GUARD = (r: AccessRecord): Guard => ({
  data: r.data,
  kind: 'rcu',
  lock: 'rcu',
  lockField: 'rcu',
  perObject: false,
  source: 'inferred',
  confidence: 'medium',
  why: `'${r.path}' is read with rcu_dereference(), so it is an RCU-protected pointer`,
  held: 0,
  free: 0,
  functions: [],
});

export const unguardedAccessRule = defineRule({
  id: 'unguarded-access',
  severity: 'warning',
  kind: 'race',
  summary: 'a read or write of a guarded field while its guard is not held on that path',
  description:
    'Computes the locks held at every access of a shared field (through callers, for functions called with a lock held) and finds each field\'s guard: declared in rules/, written as __guarded_by()/__rcu/lockdep_assert_held() (on the struct in the file, its local headers or the kernel tree\'s include/), said by a struct comment ("protected by ->lock", "protects a, b", kernel-doc), or inferred when most accesses with a known lock state hold the same lock. Reports an access made without the guard, with the path that released it or the caller that did not take it and a CPU0/CPU1 witness. A guard only inferred or commented (except a write against a comment), a READ_ONCE() peek or a wait_event() condition makes the finding info. Plain accesses to an __rcu pointer are warnings.',
  help: {
    bad: `spin_lock(&q->lock);
list_add_tail(&req->node, &q->pending);
spin_unlock(&q->lock);
/* ... elsewhere ... */
if (!list_empty(&q->pending))\t/* q->pending read without q->lock */
\treq = list_first_entry(&q->pending, struct req, node);`,
    good: `spin_lock(&q->lock);
req = list_first_entry_or_null(&q->pending, struct req, node);
if (req)
\tlist_del_init(&req->node);
spin_unlock(&q->lock);`,
  },
  cwe: [362],
  tags: ['concurrency', 'race', 'locking'],
  messages: {
    unguarded: "{{verb}} '{{path}}' without holding '{{lock}}' ({{evidence}})",
    rcuOutside: "rcu_dereference() of '{{path}}' outside rcu_read_lock() and without the update-side lock ({{why}})",
    rcuPlain: "{{verb}} the __rcu pointer '{{path}}' directly: use rcu_dereference()/rcu_assign_pointer() under the right lock ({{why}})",
  },
});

export const unguardedAccess: RaceCheck = {
  meta: unguardedAccessRule,
  run(ctx: RaceContext) {
    const out: { fn: FunctionIR; finding: RawFinding }[] = [];
    const groups = new Map<string, { r: AccessRecord; g: Guard; all: AccessRecord[] }>();
    const weakness = new Map<AccessRecord, string | null>();
    const score = (r: AccessRecord): number => rank(r) + (weakness.get(r) ? 0 : 10);
    for (const r of ctx.lockset.records) {
      if (r.side !== ctx.side || r.kind === 'atomic' || r.via === 'llist' || r.phase || r.diagnostic) continue;
      const g = violated(ctx, r);
      if (!g) continue;
      weakness.set(r, weakEvidence(ctx.lockset, r, g));
      const k = `${r.fn.name}\0${r.data.key}\0${g.lock}`;
      const cur = groups.get(k);
      // One finding per function and field: the best-evidenced access, writes first, then reads that decide something.
      if (!cur) groups.set(k, { r, g, all: [r] });
      else {
        cur.all.push(r);
        if (score(r) > score(cur.r)) cur.r = r;
      }
    }
    for (const { r, g, all } of groups.values()) out.push({ fn: r.fn, finding: accessFinding(ctx, r, g, all, weakness.get(r) ?? null) });
    return out;
  },
};

const NO_GUARDS: Guard[] = [];

/** A guard only presumed (a majority vote, or a comment that may be stale): its violations need the same second look. */
const presumed = (g: Guard): boolean => g.source === 'inferred' || g.source === 'comment';
const lockGuardsOf = new WeakMap<Guard[], Guard[]>();

/** A field's lock guards (asked for each of its records). */
function lockGuards(gs: Guard[]): Guard[] {
  if (!gs.length) return gs;
  let out = lockGuardsOf.get(gs);
  if (!out) lockGuardsOf.set(gs, (out = gs.filter((g) => g.kind === 'lock')));
  return out;
}

/** The guard an access breaks, if any: none of the field's guards is held and one is known free. */
function violated(ctx: RaceContext, r: AccessRecord): Guard | null {
  const gs = ctx.guards.get(r.data.key) ?? NO_GUARDS;
  const locks = lockGuards(gs);
  const rcuDeclared = gs.find((g) => g.kind === 'rcu');
  // A plain pointer stored into an __rcu slot is published without the barrier rcu_assign_pointer()
  // gives: readers take no lock, so holding the update lock does not help.
  if (rcuDeclared && r.via === 'plain' && r.kind === 'field' && r.mode === 'write' && !r.phase && !sameAddressSpace(ctx.lockset, r)) return rcuDeclared;
  const lockHeld = locks.some((g) => holds(r, g));
  if (lockHeld) return null;
  if (r.via === 'rcu' && r.mode === 'read') {
    // rcu_dereference(): fine under rcu_read_lock(), or with the update lock held.
    if (r.site.op.kind === 'access' && r.site.op.protected) return null;
    const g = rcuDeclared ?? RCU_GUARD(r);
    return isFree(r, g) ? g : null;
  }
  if (rcuDeclared && r.via !== 'rcu' && r.kind === 'field') {
    // A plain load or store of an __rcu pointer bypasses the accessors (sparse's address-space check).
    if (sameAddressSpace(ctx.lockset, r)) return null;
    // Without its update lock (when one is known) nothing makes the plain load safe: sparse's report.
    return !locks.length || locks.some((g) => isFree(r, g)) ? rcuDeclared : null;
  }
  const g = locks.find((x) => isFree(r, x));
  if (!g) return null;
  if (closedBeforeDrain(ctx.lockset, r, g)) return null;
  if (presumed(g) && stateExcludes(ctx.lockset, r, g)) return null;
  if (r.mode === 'read' && presumed(g) && excludesWriters(ctx.lockset, r)) return null;
  // A read races only with a writer: an inferred guard needs a write somewhere that is not set-up.
  if (r.mode === 'read' && presumed(g) && !hasWriter(ctx.lockset, r)) return null;
  // Everything that could conflict runs in the same work item as this access: nothing overlaps it.
  if (presumed(g) && oneThread(ctx.lockset, r)) return null;
  return g;
}

/**
 * Sparse's rule for `__rcu`: a plain access is wrong only where the pointer value crosses between
 * RCU's address space and the normal one. A store of NULL, a copy from one `__rcu` slot to another
 * (`*pprev = n->next` while unlinking, `new->next = head->first` before publishing) and a test
 * against NULL (`x->p == NULL`) keep it where it is.
 */
function sameAddressSpace(ls: Lockset, r: AccessRecord): boolean {
  const fn = r.fn;
  // Which space a place is in: an __rcu member or variable, what an `__rcu **` points at; unknown
  // where the declaration is not in view (a struct of a header the file reaches indirectly).
  const space = (t: string): Space => {
    const s = t.replace(/^\*\s*/, '').replace(/\[\]$/, '');
    if (/^[A-Za-z_]\w*$/.test(s)) {
      const d = fn.locals.find((l) => l.name === s) ?? fn.params.find((p) => p.name === s) ?? fn.unit?.globals.find((g) => g.name === s);
      return d ? (d.rcu ? 'rcu' : 'normal') : 'unknown';
    }
    const d = ls.keys.data(fn, t)?.decl;
    return d ? (d.rcu ? 'rcu' : 'normal') : 'unknown';
  };
  const valueSpace = (e: Expr): Space => {
    if (e.k === 'null' || (e.k === 'int' && e.value === 0)) return 'rcu'; // NULL belongs to both
    if (e.k === 'path') return space(e.path);
    if (e.k === 'var') return space(e.name);
    if (e.k === 'result' || e.k === 'addr') return 'normal';
    if (e.k === 'cond') {
      const t = valueSpace(e.t);
      const f = valueSpace(e.f);
      return t === f ? t : t === 'normal' || f === 'normal' ? 'normal' : 'unknown';
    }
    return 'unknown';
  };
  const reads = (e: Expr): boolean =>
    (e.k === 'path' && e.path === r.path) || (e.k === 'var' && e.name === r.path) || (e.k === 'cond' && (reads(e.t) || reads(e.f)));
  for (const op of fn.blocks[r.site.block]?.ops ?? []) {
    if (op.kind !== 'assign' || op.line !== r.line) continue;
    const v = op.value;
    // Only a value known to come from (or go to) the normal space crosses over.
    if (r.mode === 'write' && op.target === r.path) return valueSpace(v) !== 'normal';
    if (r.mode === 'read' && reads(v)) return space(op.target) !== 'normal';
    if (r.mode === 'read' && v.k === 'cmp' && [v.a, v.b].some((e) => e.k === 'path' && e.path === r.path) && [v.a, v.b].some((e) => e.k === 'null'))
      return true;
  }
  return false;
}

type Space = 'rcu' | 'normal' | 'unknown';

/**
 * A read holding a lock that every write of the field holds as well (writers take both locks,
 * readers either one) cannot overlap a write, whichever lock the majority vote picked. A global
 * context (rules `globalContexts`) is not such a lock: it keeps no other CPU out.
 */
const writesMemo = new WeakMap<AccessRecord[], Map<string, AccessRecord[]>>();

function excludesWriters(ls: Lockset, r: AccessRecord): boolean {
  const all = ls.byKey.get(r.data.key);
  if (!all) return false;
  // The field's writes on one side, the same for each of its reads: found once.
  let bySide = writesMemo.get(all);
  if (!bySide) writesMemo.set(all, (bySide = new Map()));
  let writes = bySide.get(r.side);
  if (!writes) bySide.set(r.side, (writes = all.filter((c) => c.side === r.side && c.mode === 'write' && !c.phase && c.kind !== 'atomic')));
  if (!writes.length) return false;
  const rel = (base: string | null, rec: AccessRecord): string => (base !== null && base === rec.data.base ? 'same' : 'other');
  return r.held.some((h) => !ls.sem.globalContexts.has(h.key) && writes.every((c) => c.held.some((x) => x.key === h.key && rel(x.base, c) === rel(h.base, r))));
}

/** A store of a constant (`lo->lo_state = Lo_rundown`, `d->dying = true`) made by the op at a record's site. */
function storesConstant(w: AccessRecord): boolean {
  const fn = w.walk.fn;
  // An identifier nothing declares (not a local, parameter or global variable) is an enumerator or a macro.
  const constant = (name: string): boolean =>
    !fn.params.some((p) => p.name === name) && !fn.locals.some((l) => l.name === name) && !fn.unit?.globals.some((g) => g.name === name);
  return !!fn.blocks[w.site.block]?.ops.some(
    (o) =>
      o.kind === 'assign' &&
      o.target === w.path &&
      o.line === w.line &&
      (o.value.k === 'int' || o.value.k === 'const' || o.value.k === 'bool' || o.value.k === 'null' || (o.value.k === 'var' && constant(o.value.name))),
  );
}

/**
 * State-machine exclusion: under the guard, the function (or the caller that calls it right after
 * dropping the guard) moved a state field of the object to a constant (`lo->lo_state =
 * Lo_rundown`), then dropped the guard; every other access of the field under the guard, elsewhere
 * in the input, first reads that state field under the guard (and bails unless it is the state
 * it wants). While the state says so, nobody else takes that path: the access is the function's.
 * Only where the whole file is seen, and with at least one such access seen.
 */
function stateExcludes(ls: Lockset, r: AccessRecord, g: Guard): boolean {
  if (g.kind !== 'lock' || r.fn.origin === 'hunks' || r.line === null) return false;
  // Where the guard was dropped: on this path, or by each caller just before the call.
  const closers: { fn: string; base: string; before: number }[] = [];
  if (r.free.some((f) => lockMatches(g, r, f.key, f.base))) closers.push({ fn: r.fn.name, base: r.data.base, before: r.line });
  else {
    const ways = freeEntries(r, g);
    if (!ways.length) return false;
    // A caller that dropped the guard before the call is also entered without it; its release is what counts.
    const released = new Set(ways.filter((e) => !e.all && e.via).map((e) => `${e.via!.caller}\0${e.via!.line}`));
    for (const e of ways) {
      if (e.all && e.via && released.has(`${e.via.caller}\0${e.via.line}`)) continue;
      if (e.all || !e.via || e.via.line === null) return false;
      const caller = ls.fnNamed(r.side, e.via.caller)?.fn;
      const i = r.fn.params.findIndex((p) => p.name === r.data.root);
      const site = caller?.blocks.flatMap((b) => b.ops).find((o) => o.kind === 'call' && o.line === e.via!.line && o.callee === r.fn.name);
      const arg = i >= 0 && site?.kind === 'call' ? site.argText[i]?.trim() : undefined;
      if (!arg || !/^[A-Za-z_]\w*$/.test(arg) || r.data.base !== r.data.root) return false;
      closers.push({ fn: e.via.caller, base: arg, before: e.via.line });
    }
  }
  // The state each closer set under the guard before letting go of it.
  const states = new Set<string>();
  for (const c of closers) {
    let found = false;
    for (const w of ls.byFn.get(`${r.side}\0${c.fn}`) ?? []) {
      if (w.kind !== 'field' || w.mode !== 'write' || w.data.base !== c.base) continue;
      if (w.line === null || w.line >= c.before || !holds(w, g) || !storesConstant(w)) continue;
      states.add(w.data.key);
      found = true;
    }
    if (!found) return false;
  }
  const closing = new Set(closers.map((c) => c.fn).concat(r.fn.name));
  let others = 0;
  for (const c of ls.byKey.get(r.data.key) ?? []) {
    if (c.side !== r.side || c.phase || c.kind === 'atomic' || closing.has(c.fn.name)) continue;
    if (c.mode !== 'write' && r.mode !== 'write') continue;
    if (!holds(c, g)) continue; // outside the guard: lock-free by design or a finding of its own
    if (c.line === null || !checksState(ls, c.walk, c.data.base, c.line, states, g, 0)) return false;
    others++;
  }
  return others > 0;
}

/** Does the function read one of the state fields of `base` under the guard before `line`, or does every caller before calling it? */
function checksState(ls: Lockset, w: AccessRecord['walk'], base: string, line: number, states: Set<string>, g: Guard, depth: number): boolean {
  for (const k of states) {
    for (const t of ls.byKey.get(k) ?? []) {
      if (t.walk === w && t.mode === 'read' && t.data.base === base && t.line !== null && t.line <= line && holds(t, g)) return true;
    }
  }
  if (depth >= 4) return false;
  const i = w.fn.params.findIndex((p) => p.name === base);
  const sites = i >= 0 ? ls.callSites(w) : [];
  return (
    sites.length > 0 &&
    sites.every((s) => {
      const a = s.args[i]?.trim();
      return !!a && /^[A-Za-z_]\w*$/.test(a) && s.line !== null && checksState(ls, s.caller, a, s.line, states, g, depth + 1);
    })
  );
}

const ADDS = new Set(['add', 'add-tail']);

/**
 * The "closed list" protocol: the function set a flag of the list's object under the guard
 * (`piwb->completed = true`), dropped it, and now drains the list without it; every other change of
 * the list in the input is an add made under the guard after reading that flag under it. Nobody can
 * add once the flag is set, so the drain is alone. Only where the whole file is seen, and at least
 * one such adder is: unseen adders may not check.
 */
function closedBeforeDrain(ls: Lockset, r: AccessRecord, g: Guard): boolean {
  if (r.kind !== 'list' || g.kind !== 'lock' || r.fn.origin === 'hunks') return false;
  if (!r.free.some((f) => lockMatches(g, r, f.key, f.base))) return false;
  // The flag set under the guard earlier in this function, in the same object.
  const flags = new Set<string>();
  for (const w of ls.byFn.get(`${r.side}\0${r.fn.name}`) ?? []) {
    if (w.fn !== r.fn || w.kind !== 'field' || w.mode !== 'write' || w.data.base !== r.data.base) continue;
    if (w.line === null || r.line === null || w.line >= r.line || !holds(w, g)) continue;
    const set = w.walk.fn.blocks[w.site.block]?.ops.some(
      (o) =>
        o.kind === 'assign' &&
        o.target === w.path &&
        o.line === w.line &&
        ((o.value.k === 'bool' && o.value.value) || (o.value.k === 'int' && o.value.value !== 0)),
    );
    if (set) flags.add(w.data.key);
  }
  if (!flags.size) return false;
  let adders = 0;
  for (const c of ls.byKey.get(r.data.key) ?? []) {
    if (c.side !== r.side || c.fn === r.fn || c.phase || c.mode !== 'write') continue;
    if (c.kind !== 'list' || !ADDS.has(c.action ?? '') || !holds(c, g)) return false;
    const checked = [...flags]
      .flatMap((k) => ls.byKey.get(k) ?? [])
      .some(
        (f) =>
          f.fn === c.fn &&
          f.side === c.side &&
          f.mode === 'read' &&
          f.data.base === c.data.base &&
          holds(f, g) &&
          f.line !== null &&
          c.line !== null &&
          f.line <= c.line,
      );
    if (!checked) return false;
    adders++;
  }
  return adders > 0;
}

/**
 * Do all the accesses that conflict with this one (writes, or any access when this is a write) run
 * in the same single-instance entry (a work item, tasklet or timer that never overlaps itself)?
 * For a test of one bit, only changes of that bit conflict: a read-modify-write of another bit of
 * the word under the lock leaves it as it was.
 */
function oneThread(ls: Lockset, r: AccessRecord): boolean {
  const t = ls.soleThread(r.walk);
  if (!t) return false;
  const bit = r.kind === 'flag' && r.mode === 'read' && r.site.op.kind === 'flag' ? r.site.op.bit : null;
  for (const c of ls.byKey.get(r.data.key) ?? []) {
    if (c === r || c.side !== r.side || c.phase || c.kind === 'atomic') continue;
    if (c.mode !== 'write' && r.mode !== 'write') continue;
    if (bit !== null) {
      const cbit = c.site.op.kind === 'flag' ? c.site.op.bit : flagBitAt(c);
      if (cbit !== null && cbit !== bit) continue;
    }
    if (ls.soleThread(c.walk) !== t) return false;
  }
  return true;
}

/** The bit a plain store of a flag word changes, when the same statement is a flag op (`x->flags &= ~B`). */
function flagBitAt(c: AccessRecord): string | null {
  if (c.kind !== 'field') return null;
  for (const op of c.walk.fn.blocks[c.site.block]?.ops ?? []) {
    if (op.kind === 'flag' && op.line === c.line && op.word === c.path && op.action !== 'test') return op.bit;
  }
  return null;
}

/**
 * Why an inferred guard's violation is weak evidence, or null when it is strong. An inferred guard
 * is only a majority vote; it is worth a warning where the function itself knows the lock (takes,
 * releases or asserts it on some path) or where the lock is known to have been dropped on the way
 * here (released earlier on this path, or by a caller just before the call). A write is also worth
 * one where some caller holds the lock when calling (another calls it without: the deviant way in),
 * or where a known thread entry reaches it without the lock. Otherwise the access is likely
 * lock-free by design (stable while configured, I/O paths, sysfs show methods, callbacks): said at
 * info. For a read, callers that hold the lock count only when a known thread entry (not an
 * assumed one) reaches it without.
 */
function weakEvidence(ls: Lockset, r: AccessRecord, g: Guard): string | null {
  if (!presumed(g) || g.kind !== 'lock') return null;
  if (r.free.some((f) => lockMatches(g, r, f.key, f.base))) return null;
  const ways = freeEntries(r, g);
  if (!ways.length || ways.some((e) => !e.all)) return null; // a caller released it before the call
  const known = ls.knownLocks(r.walk);
  if (known.own.has(g.lock)) return null;
  const assumed = ways.every((e) => e.assumed);
  const byCallers = known.callers.has(g.lock);
  // Handed as an argument to a function the input does not show (`read_metadata(store, add_cb,
  // ctx)`): it may call it back while its own caller holds the lock, or before anything is shared.
  const callback = ways.every((e) => e.callback) ? ways[0]!.callback : undefined;
  if (callback) return `the only way in without '${g.lock}' is as a callback handed to ${callback}(), whose context the input does not show`;
  if (r.mode === 'write' && (byCallers || !assumed)) return null;
  if (r.mode === 'read' && byCallers && !assumed) return null;
  const why = assumed
    ? `that it runs without it rests only on an assumption (${byCallers ? 'some callers hold it; the others are entry points nothing in the input calls' : 'no caller in the input holds or drops it'})`
    : `only reads '${r.path}', which is often stable by design while the object is in use`;
  return `${r.fn.name}() never takes '${g.lock}' itself, and ${why}: the access may be lock-free by design`;
}

const writerMemo = new WeakMap<AccessRecord[], boolean>();

function hasWriter(ls: Lockset, r: AccessRecord): boolean {
  const all = ls.byKey.get(r.data.key);
  if (!all) return false;
  let v = writerMemo.get(all);
  if (v === undefined) writerMemo.set(all, (v = all.some((c) => c.mode === 'write' && !c.phase && c.kind !== 'atomic')));
  return v;
}

function rank(r: AccessRecord): number {
  return r.mode === 'write' ? 3 : isPeek(r) ? 0 : r.inCondition ? 2 : 1;
}

function verbOf(r: AccessRecord): string {
  if (r.kind === 'list') return r.mode === 'write' ? 'changes the list' : 'reads the list';
  return r.mode === 'write' ? 'writes' : 'reads';
}

function accessFinding(ctx: RaceContext, r: AccessRecord, g: Guard, all: AccessRecord[], weak: string | null): RawFinding {
  const ls = ctx.lockset;
  const lock = showLock(ls, g, r);
  const verb = verbOf(r);
  const released = g.kind === 'lock' ? r.free.find((f) => lockMatches(g, r, f.key, f.base)) : r.free.find((f) => f.key === 'rcu');
  const peek = isPeek(r) || (g.kind === 'lock' && peekEntry(r, g));
  const entry = released ? null : freeEntry(r, g);
  const assumedEntry = !!entry?.assumed;
  let severity: Severity = peek || weak ? 'info' : 'warning';
  let confidence: Confidence = presumed(g) ? g.confidence : 'high';
  if (assumedEntry && confidence === 'high') confidence = 'medium';
  // Code the patch does not show lowers confidence, unless this path itself shows the release.
  if (!released && (r.site.viaGap || r.fn.meta.completeness === 'partial')) confidence = confidence === 'high' ? 'medium' : 'low';
  const lines = [...new Set(all.map((a) => a.line))].filter((l) => l !== null).join(', ');
  const facts: string[] = [`guard: ${g.why}`];
  if (g.kind === 'rcu' && r.via !== 'rcu')
    facts.push(`'${r.path}' is ${r.mode === 'write' ? 'written' : 'read'} with a plain access, not through the RCU accessors, and no update-side lock is held`);
  else if (released) facts.push(`'${lock}' was released at line ${released.line ?? '?'} on this path`);
  else if (entry) facts.push(`'${lock}' is not held here: ${entry.why}`);
  else facts.push(`'${lock}' is not held here`);
  if (lines.includes(',')) facts.push(`unlocked at lines ${lines}`);
  if (weak) facts.push(`weak evidence: ${weak}`);
  if (peek) {
    facts.push(
      r.waitCond || !isPeek(r)
        ? 'part of a wait_event() condition: the waiter re-evaluates it after every wake-up, so a stale value only ends or repeats the wait early; what it then does must be re-checked under the lock'
        : r.kind === 'list'
          ? 'list_empty() is a READ_ONCE peek: fine as a hint, wrong if it decides what is done to the list'
          : 'a READ_ONCE/WRITE_ONCE access: fine as a hint, wrong if it decides anything',
    );
  }
  let msg: MessageOf<typeof unguardedAccessRule, keyof typeof unguardedAccessRule.messages>;
  if (g.kind === 'rcu') {
    msg =
      r.via === 'rcu' ? { messageId: 'rcuOutside', data: { path: r.path, why: g.why } } : { messageId: 'rcuPlain', data: { verb, path: r.path, why: g.why } };
    if (r.via !== 'rcu') severity = 'warning';
  } else {
    const evidence = g.source === 'inferred' ? `${g.lock} held at ${g.held} of ${g.held + g.free} accesses with a known lock state` : g.why;
    msg = { messageId: 'unguarded', data: { verb, path: r.path, lock, evidence } };
  }
  // An inferred guard stands only on a second fact: this path shows the object shared under that
  // very lock before dropping it (loaded from, or published to, shared memory). Dropping a lock and
  // then using what it guarded is otherwise also how correct code owns what it took off a list, or
  // peeks before re-checking under the lock; and a function that asserts a lock touches many fields
  // the lock does not guard (configuration read-only after set-up), so an assertion is no guard.
  const basis =
    g.kind === 'rcu' && r.via !== 'rcu' && r.mode === 'read' && (r.inCondition || passedOn(r))
      ? { weak: ['idiom' as const] } // a NULL test, or the pointer handed to a function or macro that may read it properly
      : // rcu_dereference() where callers may hold rcu_read_lock() (a receive handler's softirq);
        // not in a function that sleeps, which no read side may call.
        g.kind === 'rcu' && r.via === 'rcu' && assumedEntry && !r.walk.events.some((e) => e.k === 'may-sleep')
        ? { weak: ['entry-context' as const] }
        : // A comment that names the lock is the declaration a write breaks; a read may be a hint it allows.
          presumed(g) && !(g.source === 'comment' && r.mode === 'write')
          ? {
              weak: ['inferred-guard' as const],
              corroboration: (released ? sharedUnderLock(ctx, r, g, lock, released.line) : null) ?? lostUpdate(ctx, r, g, lock),
            }
          : {};
  return report(unguardedAccessRule, {
    ...msg,
    severity,
    confidence,
    basis,
    line: r.line,
    function: r.fn.name,
    objects: [r.data.key, g.lock],
    trace: [
      ...(released ? [{ line: released.line, text: released.text, note: `releases '${lock}'` }] : []),
      ...(entry?.via ? [{ line: entry.via.line, text: entry.via.text, note: `calls ${r.fn.name}() without '${lock}'`, function: entry.via.caller }] : []),
      { line: r.line, text: r.text, note: `${verb} '${r.path}' without '${lock}'` },
    ],
    facts,
    witness: g.kind === 'lock' ? buildWitness(ctx, r, g, lock, released ? { line: released.line, text: released.text } : null, entry?.via ?? null) : undefined,
  });
}

/** The access is an argument of a call on its line (the pointer handed on, not read through). */
function passedOn(r: AccessRecord): boolean {
  const plain = (t: string): string => t.replace(/\[[^\]]*\]/g, '[]').replace(/^&/, '');
  return r.fn.blocks.some((b) =>
    b.ops.some(
      (op, i) =>
        op.line === r.line &&
        ((op.kind === 'call' && op.argText.some((a) => plain(a) === r.path)) ||
          // The value `rcu_assign_pointer(dst, src->ptr)` moves from one __rcu slot to another.
          (op.kind === 'access' &&
            op.mode === 'write' &&
            op.via === 'rcu' &&
            b.ops.slice(i + 1).some((x) => x.kind === 'assign' && x.target === op.path && x.value.k === 'path' && plain(x.value.path) === r.path))),
    ),
  );
}

/**
 * A read-modify-write of the field (`n++`, `n -= k`, `flags |= f`) without the lock, where other
 * functions write it holding the lock: one of the two updates can be lost. A plain store or a read
 * is also what set-up, tear-down and hint reads look like; an unlocked increment of a counter that
 * is otherwise changed under a lock is not.
 */
function lostUpdate(ctx: RaceContext, r: AccessRecord, g: Guard, lock: string): string | null {
  if (r.mode !== 'write' || r.kind !== 'field' || r.line === null) return null;
  const recs = ctx.lockset.records;
  const reads = recs.some((x) => x.fn === r.fn && x.side === r.side && x.line === r.line && x.path === r.path && x.mode === 'read');
  if (!reads) return null;
  const other = recs.find((x) => x.fn !== r.fn && x.side === r.side && x.data.key === r.data.key && x.mode === 'write' && holds(x, g));
  return other
    ? `'${r.path}' is updated in place here (read, then written) while ${other.fn.name}() writes it holding '${lock}' (line ${other.line ?? '?'}): one of the updates can be lost`
    : null;
}

/**
 * The object reached through a local was shared under the guard on this path before the lock was
 * dropped: loaded from shared memory (`dev = table[i]`) and not unlinked since, or stored there
 * (`table[i] = dev`, published). Then another CPU can reach it while this one touches it.
 */
function sharedUnderLock(ctx: RaceContext, r: AccessRecord, g: Guard, lock: string, releasedAt: number | null): string | null {
  const v = rootOf(r.path);
  if (!v || r.line === null || releasedAt === null || releasedAt > r.line || !r.fn.locals.some((l) => l.name === v)) return null;
  const ops = r.fn.blocks.flatMap((b) => b.ops);
  const lockedAt = (line: number, path: string, mode?: 'read' | 'write'): boolean =>
    ctx.lockset.records.some((x) => x.fn === r.fn && x.side === r.side && x.line === line && x.path === path && (!mode || x.mode === mode) && holds(x, g));
  const unlinked = (slot: string, from: number): boolean =>
    ops.some(
      (op) =>
        op.line !== null &&
        op.line > from &&
        op.line < r.line! &&
        ((op.kind === 'assign' && (op.target === slot || op.target === v)) ||
          (op.kind === 'list' && !!op.node && rootOf(op.node) === v && /^(del|move|splice)/.test(op.action)) ||
          (op.kind === 'free' && op.obj === v)),
    );
  for (const op of ops) {
    if (op.kind !== 'assign' || op.line === null || op.line >= releasedAt) continue;
    if (op.target === v && op.value.k === 'path' && lockedAt(op.line, op.value.path) && !unlinked(op.value.path, op.line)) {
      return `'${v}' was loaded from '${op.value.path}' under '${lock}' at line ${op.line}, and is still there when the lock is dropped`;
    }
    if (op.value.k === 'var' && op.value.name === v && op.target !== v && lockedAt(op.line, op.target, 'write')) {
      return `'${v}' was published in '${op.target}' under '${lock}' at line ${op.line} before the lock was dropped`;
    }
  }
  return null;
}

/**
 * How to show a guard's lock for one access, in the terms of the function reported: `&piwb->lock`
 * for a per-object lock, with its whole member path (`&ep->wq.lock`); a lock of another object as
 * the code writes it where that names something in scope here, else by its key (`foo_client.lock`).
 */
function showLock(ls: Lockset, g: Guard, r: AccessRecord): string {
  if (g.kind === 'rcu') return 'rcu_read_lock()';
  if (g.perObject) {
    const c = r.data.container;
    const sep = c.endsWith('->') ? '' : '.';
    const member = c && g.lock.startsWith(`${c}${sep}`) ? g.lock.slice(c.length + sep.length) : g.lockField;
    return `&${r.data.base}${r.data.global && c === r.data.base ? '.' : '->'}${member}`;
  }
  // How this function itself writes the lock, when it takes or drops it somewhere.
  for (const f of r.free) if (f.key === g.lock) return f.obj;
  for (const b of r.fn.blocks)
    for (const op of b.ops) {
      if ((op.kind === 'acquire' || op.kind === 'release') && ls.keys.lock(r.fn, op.obj).key === g.lock) return op.obj;
    }
  const text = ls.lockText.get(g.lock);
  if (text && inScope(r, text)) return text;
  return g.lock;
}

/** Does the object a lock expression starts from exist in the reported function (a parameter, a local, a global)? */
function inScope(r: AccessRecord, text: string): boolean {
  const root = /^\s*&?\(?\*?([A-Za-z_]\w*)/.exec(text)?.[1];
  if (!root) return false;
  const fn = r.fn;
  if (fn.params.some((p) => p.name === root) || fn.locals.some((l) => l.name === root)) return true;
  if (fn.unit?.globals.some((x) => x.name === root)) return true;
  // A bare name nothing here declares is a global of a header (`&epmutex`); a path from one is another function's variable.
  return /^\s*&?\s*[A-Za-z_]\w*\s*$/.test(text);
}

/** CPU0 does the unlocked access; CPU1 works on the same field under the guard (another site, or the rule). */
function buildWitness(
  ctx: RaceContext,
  r: AccessRecord,
  g: Guard,
  lock: string,
  released: { line: number | null; text: string } | null,
  via: { caller: string; line: number | null; text: string } | null,
): Witness | undefined {
  const ls = ctx.lockset;
  const other = conflicting(ls, r, g);
  const steps: Step[] = [];
  // What puts CPU0 there without the lock: its own unlock, or the caller that never took it.
  const cpu0Release: Step | null = released
    ? { cpu: 0, fn: r.fn.name, line: released.line, text: released.text, note: `drops '${lock}'` }
    : via
      ? { cpu: 0, fn: via.caller, line: via.line, text: via.text, note: `calls ${r.fn.name}() without '${lock}'` }
      : null;
  const access0: Step = { cpu: 0, fn: r.fn.name, line: r.line, text: r.text, note: `${verbOf(r)} '${r.path}' without '${lock}'` };
  const what = r.kind === 'list' ? 'the list' : `'${r.path}'`;
  if (other) {
    const { c, h } = other;
    const fnOf = (name: string): FunctionIR | undefined => ls.fnNamed(c.side, name)?.fn;
    const take = lockSteps(1, c.fn.name, h);
    const access1: Step = { cpu: 1, fn: c.fn.name, line: c.line, text: c.text, note: `${verbOf(c)} '${c.path}' under '${lock}'` };
    const unlock1 = unlockStep(1, c.fn, h, c.line, fnOf);
    if (cpu0Release) steps.push(cpu0Release);
    steps.push(...take, access1, access0);
    if (unlock1) steps.push(unlock1);
    const breaks =
      r.mode === 'write'
        ? `CPU0 changes ${what} while CPU1 is inside its '${lock}' section working on it: ${r.kind === 'list' ? 'the list links can be corrupted or an entry lost' : 'one of the two updates is lost, or CPU1 acts on a value that changed under it'}`
        : `CPU0 reads ${what} while CPU1 is changing it under '${lock}': CPU0 can see a half-done update and acts on a value nothing orders against CPU1's`;
    return witness([r.fn.name, c.fn.name], steps, breaks);
  }
  if (g.source === 'inferred') return undefined;
  // Only the rule or the annotation says who else uses it.
  const userFn = '(any other user)';
  if (cpu0Release) steps.push(cpu0Release);
  steps.push({ cpu: 1, fn: userFn, line: null, text: `lock(${lock})`, note: `takes '${lock}' (${g.why})` });
  steps.push({
    cpu: 1,
    fn: userFn,
    line: null,
    text: r.kind === 'list' ? `list_add/list_del on ${r.path}` : `update ${r.path}`,
    note: `changes ${what} under '${lock}'`,
  });
  steps.push(access0);
  steps.push({ cpu: 1, fn: userFn, line: null, text: `unlock(${lock})`, note: `releases '${lock}'` });
  return witness([r.fn.name, userFn], steps, `CPU0 and CPU1 use ${what} at the same time; only CPU1 holds '${lock}'`);
}

type Candidate = { c: AccessRecord; h: HeldLock; score: number };
const candidateCache = new WeakMap<Lockset, Map<string, Candidate[]>>();

/** The best other access under the guard, on the same image: another function, a visible acquire, a write. */
function conflicting(ls: Lockset, r: AccessRecord, g: Guard): { c: AccessRecord; h: HeldLock } | null {
  // The accesses under the guard, best first, are the same for every finding on the field: ranked once.
  let cache = candidateCache.get(ls);
  if (!cache) candidateCache.set(ls, (cache = new Map()));
  const ck = `${r.side}\0${r.data.key}\0${g.lock}\0${r.mode === 'write' ? 'any' : 'writes'}`;
  let list = cache.get(ck);
  if (!list) {
    list = [];
    for (const c of ls.byKey.get(r.data.key) ?? []) {
      if (c.side !== r.side || c.phase || c.kind === 'atomic') continue;
      if (!(c.mode === 'write' || r.mode === 'write')) continue;
      const h = c.held.find((x) => x.key === g.lock || x.key.split(/->|\./).pop() === g.lockField);
      if (!h || !holds(c, g)) continue;
      list.push({ c, h, score: (h.how.k === 'here' && h.how.line !== null ? 3 : h.how.k === 'caller' ? 2 : 0) + (c.mode === 'write' ? 1 : 0) });
    }
    list.sort((a, b) => b.score - a.score);
    cache.set(ck, list);
  }
  // Another function beats any score in the same one.
  return list.find((x) => x.c !== r && x.c.fn !== r.fn) ?? list.find((x) => x.c !== r) ?? null;
}

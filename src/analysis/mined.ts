// Summaries of functions defined elsewhere in the kernel, written down by `kreview semantics mine`
// (rules `functions`): what a summary of the body says, in the function's own parameter names, and
// back. A mined summary serves a call exactly as the body would had it been in the input.

import type { FunctionIR } from '../c/ir.js';
import type { Semantics } from '../semantics/index.js';
import type { FunctionFacts } from '../semantics/schema.js';
import { rootOf } from './objects.js';
import { exitsForArgs, noContract, type LockRef, type RetClass, type Summary } from './summary.js';

type Lock = FunctionFacts['takes'][number];

/** Identifiers of an object's text: a lock reached through a callee local means nothing to a caller. */
const IDENTS = /[A-Za-z_]\w*/g;

/**
 * What a function's summary tells its callers, or null when it cannot be told whole: an exit it
 * cannot see, a partial body, effects that depend on what the caller passes, or nothing to tell.
 */
export function factsOf(sum: Summary, at: string, fn: FunctionIR, sem: Semantics): FunctionFacts | null {
  const globals = sem.globalContexts;
  if (!sum.exitsKnown || sum.partial || sum.exits.some((e) => e.unknown)) return null;
  // As a caller that knows nothing of its arguments sees it: exits told apart only by what the
  // caller passed are folded into what they agree on.
  const exits = exitsForArgs(sum, []).map(({ when: _, ...e }) => e);
  if (!exits.length) return null;
  const portable = (obj: string): boolean => !(obj.match(IDENTS) ?? []).some((id) => sum.locals.has(id) && !sum.params.includes(id));
  const params = (list: string[] | undefined): string[] => (list ?? []).filter((p) => sum.params.includes(p));
  const classes = exits.map((e) => e.cls);
  // A lock with the classes of the exits it holds on (all of them: no `on`).
  const byObj = (pick: (e: (typeof exits)[number]) => LockRef[]): Lock[] => {
    const out = new Map<string, Lock>();
    for (const e of exits) {
      for (const r of pick(e)) {
        if (!portable(r.obj)) continue;
        const cur = out.get(r.obj) ?? { lock: r.obj, family: r.family, mode: r.mode, irq: r.irq, on: [] };
        cur.on!.push(e.cls);
        out.set(r.obj, cur);
      }
    }
    return [...out.values()].map((l) => (l.on!.length === classes.length ? { ...l, on: undefined } : l));
  };
  let takes = byObj((e) => e.acquired);
  let drops = byObj((e) => e.released);
  // A lock dropped on some exits only depends on the result in ways a caller's walk must see.
  if (drops.some((d) => d.on)) return null;
  // Only what a caller can rely on whatever its context: a wrapper that leaves a lock taken and
  // releases nothing else, or one that releases and takes nothing back. A body that also releases
  // another object (a lock reached through a pointer it looked up, `&base->lock` for
  // `&timer->base->lock`) or takes back what it drops has effects a name cannot carry.
  // Its own unlocks, and those its callees do for it (`end_creating(dentry)` dropping the parent
  // directory's lock that `start_creating(parent)` took, through the new dentry).
  const released = new Set([
    ...fn.blocks.flatMap((b) => b.ops.flatMap((op) => (op.kind === 'release' ? [op.obj] : []))),
    ...exits.flatMap((e) => e.released.map((r) => r.obj)),
  ]);
  const taken = new Set(sum.acquires.map((a) => a.obj));
  if ([...released].some((o) => !globals.has(o) && !takes.some((t) => t.lock === o))) takes = [];
  // So does one whose callee releases a lock it cannot name at all (reached through that callee's
  // own locals: `__debugfs_create_file()` ends with `end_creating(dentry)` for its new dentry).
  if (sum.unnamedRelease) takes = [];
  if (drops.some((d) => taken.has(d.lock))) drops = [];
  // Interrupt, bottom-half, preemption and RCU sections pair across functions in ways the name of
  // one does not say (irqs restored by the caller of a grab helper): a `_bh` wrapper's section
  // goes with the lock it takes, the rest is left out.
  const local = takes.filter((t) => !globals.has(t.lock));
  for (const [family, irq] of [
    ['local_bh', 'bh'],
    ['local_irq', 'irq'],
  ] as const) {
    if (takes.some((t) => t.family === family && !t.on) && local.length === 1 && local[0]!.irq === 'none') local[0] = { ...local[0]!, irq };
  }
  takes = local;
  drops = drops.filter((d) => !globals.has(d.lock));
  const dropped = new Set(drops.map((d) => d.lock));
  const needs = sum.requires
    .filter((r) => !dropped.has(r.obj) && !globals.has(r.obj) && portable(r.obj))
    .map((r) => ({ lock: r.obj, family: r.family, mode: r.mode, irq: r.irq }));
  const known = (x: { source: string }): boolean => x.source !== 'name';
  // References: a function that sets up an object's own counters (`refcount_set()` beside
  // `spin_lock_init()`) initialises it, takes nothing; one that both takes and drops moves
  // references between objects (`replace_page_cache_folio()`: the cache's on the old folio goes,
  // one on the new is taken), whose they are, no caller can tell.
  const initialised = new Set(
    fn.blocks.flatMap((b) => b.ops.flatMap((op) => (op.kind === 'call' && sem.initializers.has(op.callee) ? op.argText.map((a) => rootOf(a) ?? '') : []))),
  );
  let gets = sum.refs.gets.filter((g) => known(g) && !g.init && portable(g.obj) && !initialised.has(rootOf(g.obj) ?? ''));
  let puts = sum.refs.puts.filter((p) => known(p) && portable(p.obj));
  if (gets.length && puts.length) gets = puts = [];
  // A sleep after dropping the caller's locks is not one under them: left out rather than misread.
  const sleep = sum.maySleep && !sum.maySleep.drops.length ? sum.maySleep : null;
  const facts: FunctionFacts = {
    at,
    params: sum.params,
    exits: classes,
    takes,
    drops: drops.map(({ on: _, ...d }) => d),
    needs,
    ...(sleep ? { sleeps: { why: sleep.why, via: sleep.via, always: sleep.always } } : {}),
    gets: gets.map((g) => ({ obj: g.obj, pair: g.pair })),
    puts: puts.map((p) => ({ obj: p.obj, pair: p.pair, ...(p.count && portable(p.count) ? { count: p.count } : {}) })),
    ...(sum.refs.returns && known(sum.refs.returns) ? { returns: sum.refs.returns.pair } : {}),
    frees: params(sum.frees),
    mayFree: params(sum.mayFree),
    keeps: params(sum.keeps),
    mayKeep: params(sum.mayKeep),
    defers: params(sum.defers),
    clears: sum.flagClears.filter(portable),
  };
  const says =
    facts.takes.length ||
    facts.drops.length ||
    facts.needs.length ||
    facts.sleeps ||
    facts.gets.length ||
    facts.puts.length ||
    facts.returns ||
    facts.frees.length ||
    facts.keeps.length ||
    facts.defers.length;
  return says ? facts : null;
}

/** The summary a mined entry stands for; `origin` says where it was mined. */
export function summaryOfFacts(name: string, f: FunctionFacts, origin: string): Summary {
  const ref = (l: Omit<Lock, 'on'>): LockRef => ({ obj: l.lock, family: l.family, mode: l.mode, irq: l.irq, line: null });
  const holds = (l: Lock, cls: RetClass): boolean => !l.on || l.on.includes(cls);
  return {
    name,
    source: 'rule',
    origin,
    params: f.params,
    locals: new Set(),
    acquires: f.takes.map((l) => ({ ...ref(l), always: !l.on, ...(l.on ? { tries: true } : {}) })),
    exits: f.exits.map((cls) => ({
      cls,
      acquired: f.takes.filter((l) => holds(l, cls)).map(ref),
      released: f.drops.map(ref),
      lines: [],
    })),
    exitsKnown: true,
    touches: [...f.takes, ...f.drops].map(ref),
    requires: [...f.drops, ...f.needs].map(ref),
    refs: {
      gets: f.gets.map((g) => ({ obj: g.obj, pair: g.pair, source: 'rule', line: null })),
      puts: f.puts.map((p) => ({ obj: p.obj, pair: p.pair, source: 'rule', line: null, ...(p.count ? { count: p.count } : {}) })),
      returns: f.returns ? { pair: f.returns, source: 'rule', line: null } : null,
    },
    maySleep: f.sleeps ? { why: f.sleeps.why, line: null, via: f.sleeps.via, always: f.sleeps.always, drops: [] } : null,
    partial: false,
    contract: noContract(),
    flagClears: f.clears,
    frees: f.frees,
    mayFree: f.mayFree,
    keeps: f.keeps,
    mayKeep: f.mayKeep,
    defers: f.defers,
  };
}

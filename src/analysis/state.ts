// The abstract state the engine carries along a path: held locks, references, flags we set,
// facts about values, effects waiting on a result (trylock success), and how we got here.
// States are treated as immutable: every transfer clones what it changes.

import type { IrqMode, LockFamily, LockMode, Op } from '../c/ir.js';

export interface HeldLock {
  obj: string;
  family: LockFamily;
  mode: LockMode;
  irq: IrqMode;
  flags?: string;
  line: number | null; // where it was acquired
  via?: string; // acquired inside this callee
  count: number; // nesting depth for families that nest (rcu, preempt, read locks)
  gapSince: boolean; // a gap lies between the acquire and here: the hidden code may have released it
  scoped?: boolean;
  typed?: string; // type-qualified name (netfs_inode.wb_lock) when the root's type is known
  fromEntry?: boolean; // assumed held on entry (lockdep_assert_held, __must_hold), not taken here
}

export interface HeldRef {
  obj: string;
  pair: string;
  line: number | null;
  source: 'primitive' | 'rule' | 'name';
  count: number;
  gapSince: boolean;
  /** Other variables that name the same object (`child = of_node_get(np)`: held as child, also np). */
  aliases?: string[];
}

/** The key of the reference a variable names, directly or as an alias. */
export function refOf(s: State, name: string): string | undefined {
  if (s.refs.has(name)) return name;
  for (const [k, r] of s.refs) if (r.aliases?.includes(name)) return k;
  return undefined;
}

export interface SetFlag {
  key: string; // word:bit
  line: number | null;
  gapSince: boolean;
}

/** What is known about a variable's or result's value on this path. */
export type Fact =
  | { t: 'int'; v: number } // known constant (errno constants are negative)
  | { t: 'zero' }
  | { t: 'nonzero' }
  | { t: 'neg' } // < 0
  | { t: 'nonneg' } // >= 0
  | { t: 'null' }
  | { t: 'errptr' }
  | { t: 'valid' } // non-NULL, not an error pointer
  | { t: 'nonnull' } // non-NULL (may still be an error pointer)
  | { t: 'noterr' } // not an error pointer (may still be NULL): !IS_ERR(x)
  | { t: 'result'; id: string }; // aliases the value an op produced

/** Lock effects of a callee as seen by the caller. */
export interface LockEffectSet {
  acquired: { obj: string; family: LockFamily; mode: LockMode; irq: IrqMode; line: number | null }[];
  released: { obj: string; family: LockFamily; mode: LockMode; irq: IrqMode; line: number | null; maybe?: boolean }[];
}

/**
 * An effect that happens only if a result turns out a certain way: a trylock that succeeded, a get
 * that did not fail, a callee that returns 0 holding its lock.
 */
export interface Pending {
  fires: (f: Fact) => boolean;
  /** Whether it can still fire once `f` is known (default: not once a fact settles the result). */
  alive?: (f: Fact) => boolean;
  op?: Op; // the acquire or get
  effect?: LockEffectSet; // a callee's effects for the matching return values
  via?: string;
  line: number | null;
}

/** A path that took an error branch and cleaned up there (error-path-fallthrough). */
export interface ErrorBranch {
  subject: string; // the variable tested (wreq, ret)
  line: number | null; // the branch
  succ: number; // the first block of the error side (its dominance region is the error branch)
  cleanup: { line: number | null; text: string; obj: string; kind: 'release' | 'put' | 'free' } | null;
  fellThrough: boolean; // left the error side by falling through to the code after it
}

/** A persistent list of trace steps (shared tails, cheap to extend). */
export interface TraceNode {
  line: number | null;
  text: string;
  note: string;
  fn?: string;
  prev: TraceNode | null;
}

export interface State {
  locks: Map<string, HeldLock>;
  /** Locks known not held: released on this path with no gap since. */
  released: Map<string, number | null>; // obj -> release line
  /** True while the path has seen no gap and the entry is known: every lock not in `locks` is known not held. */
  clean: boolean;
  /** Locks this path released without taking them: they were held on entry (obj -> what was released). */
  entryReleased: Map<string, { family: LockFamily; mode: LockMode; irq: IrqMode; line: number | null }>;
  refs: Map<string, HeldRef>;
  /** Refs dropped on this path (obj -> line), for double puts. */
  dropped: Map<string, number | null>;
  /** References this path dropped without taking them: the caller's (obj -> pair). */
  entryPut: Map<string, { pair: string; line: number | null }>;
  flags: Map<string, SetFlag>; // flags this function set (by us) and has not cleared
  facts: Map<string, Fact>; // variable or path -> fact
  rfacts: Map<string, Fact>; // result id -> fact
  pending: Map<string, Pending[]>; // result id -> effects
  err: ErrorBranch | null;
  viaGap: boolean; // the path crossed a gap
  trace: TraceNode | null;
}

export function initialState(entryKnown: boolean): State {
  return {
    locks: new Map(),
    released: new Map(),
    clean: entryKnown,
    entryReleased: new Map(),
    refs: new Map(),
    dropped: new Map(),
    entryPut: new Map(),
    flags: new Map(),
    facts: new Map(),
    rfacts: new Map(),
    pending: new Map(),
    err: null,
    viaGap: false,
    trace: null,
  };
}

/** Shallow copy: maps are copied, their values are immutable records. */
export function cloneState(s: State): State {
  return {
    locks: new Map(s.locks),
    released: new Map(s.released),
    clean: s.clean,
    entryReleased: new Map(s.entryReleased),
    refs: new Map(s.refs),
    dropped: new Map(s.dropped),
    entryPut: new Map(s.entryPut),
    flags: new Map(s.flags),
    facts: new Map(s.facts),
    rfacts: new Map(s.rfacts),
    pending: new Map(s.pending),
    err: s.err,
    viaGap: s.viaGap,
    trace: s.trace,
  };
}

export function addTrace(s: State, line: number | null, text: string, note: string, fn?: string): void {
  s.trace = { line, text, note, fn, prev: s.trace };
}

export function traceSteps(s: State, limit = 40): { line: number | null; text: string; note: string; function?: string }[] {
  const out: { line: number | null; text: string; note: string; function?: string }[] = [];
  for (let n = s.trace; n && out.length < limit; n = n.prev) out.push({ line: n.line, text: n.text, note: n.note, ...(n.fn ? { function: n.fn } : {}) });
  return out.reverse();
}

function factKey(f: Fact): string {
  return f.t === 'int' ? `i${f.v}` : f.t === 'result' ? `r${f.id}` : f.t;
}

/**
 * The part of a state that decides what happens next. States with equal keys at the same block are
 * merged (only one is walked on); the trace is not part of the key.
 */
export function stateKey(s: State, withFacts = true): string {
  const parts: string[] = [];
  for (const [k, l] of [...s.locks].sort()) parts.push(`L${k}/${l.mode}/${l.irq}/${l.count}/${l.gapSince ? 'g' : ''}/${l.flags ?? ''}`);
  for (const k of [...s.released.keys()].sort()) parts.push(`U${k}`);
  parts.push(s.clean ? 'C' : 'c');
  for (const k of [...s.entryReleased.keys()].sort()) parts.push(`N${k}`);
  for (const [k, r] of [...s.refs].sort()) parts.push(`R${k}/${r.count}/${r.gapSince ? 'g' : ''}`);
  for (const k of [...s.dropped.keys()].sort()) parts.push(`D${k}`);
  for (const k of [...s.entryPut.keys()].sort()) parts.push(`Q${k}`);
  for (const [k, f] of [...s.flags].sort()) parts.push(`F${k}/${f.gapSince ? 'g' : ''}`);
  if (withFacts) {
    for (const [k, f] of [...s.facts].sort()) parts.push(`V${k}=${factKey(f)}`);
    for (const [k, f] of [...s.rfacts].sort()) parts.push(`X${k}=${factKey(f)}`);
  }
  for (const k of [...s.pending.keys()].sort()) parts.push(`P${k}`);
  if (s.err) parts.push(`E${s.err.subject}@${s.err.line}/${s.err.cleanup ? 'c' : ''}/${s.err.fellThrough ? 'f' : ''}`);
  parts.push(s.viaGap ? 'G' : '');
  return parts.join('|');
}

/** The least fact implied by both (undefined: nothing is known on both paths). */
export function joinFact(a: Fact, b: Fact): Fact | undefined {
  if (factKey(a) === factKey(b)) return a;
  if (a.t === 'result' || b.t === 'result') return undefined;
  const sign = (f: Fact): 'neg' | 'zero' | 'pos' | undefined =>
    f.t === 'int' ? (f.v < 0 ? 'neg' : f.v === 0 ? 'zero' : 'pos') : f.t === 'neg' ? 'neg' : f.t === 'zero' || f.t === 'null' ? 'zero' : undefined;
  const sa = sign(a);
  const sb = sign(b);
  if (sa === 'neg' && sb === 'neg') return { t: 'neg' };
  if (sa === 'zero' && sb === 'zero') return { t: 'zero' };
  const nonneg = (f: Fact, x: string | undefined): boolean => x === 'zero' || x === 'pos' || f.t === 'nonneg';
  if (nonneg(a, sa) && nonneg(b, sb)) return { t: 'nonneg' };
  const truthy = (f: Fact): boolean => f.t === 'nonzero' || f.t === 'neg' || f.t === 'valid' || f.t === 'nonnull' || f.t === 'errptr' || (f.t === 'int' && f.v !== 0);
  if ((a.t === 'valid' || a.t === 'nonnull') && (b.t === 'valid' || b.t === 'nonnull')) return { t: 'nonnull' };
  const notErr = (f: Fact): boolean => f.t === 'valid' || f.t === 'noterr' || f.t === 'null' || f.t === 'zero' || (f.t === 'int' && f.v === 0);
  if (notErr(a) && notErr(b)) return { t: 'noterr' };
  if (truthy(a) && truthy(b)) return { t: 'nonzero' };
  return undefined;
}

/**
 * Join two states of the same shape (equal `stateKey(s, false)`): keep the value facts both agree
 * on, weakened to what both imply. Used where too many states reach one block (loops over counters).
 */
export function joinFacts(into: State, other: State): State {
  const out = cloneState(into);
  const meet = (a: Map<string, Fact>, b: Map<string, Fact>): void => {
    for (const [k, f] of [...a]) {
      const g = b.get(k);
      const j = g ? joinFact(f, g) : undefined;
      if (j) a.set(k, j);
      else a.delete(k);
    }
  };
  meet(out.facts, other.facts);
  meet(out.rfacts, other.rfacts);
  out.trace = other.trace;
  return out;
}

/** Lock families where taking the same lock again nests legally. */
export function nests(family: LockFamily, mode: LockMode): boolean {
  return family === 'rcu' || family === 'srcu' || family === 'preempt' || family === 'local_irq' || family === 'local_bh'
    || (family === 'rwlock' && mode === 'read');
}

/** Lock families that make the context atomic (sleeping is a bug while they are held). */
export function isAtomicFamily(l: HeldLock): boolean {
  switch (l.family) {
    case 'spin': case 'raw_spin': case 'rwlock': case 'bit_spin': case 'local_irq': case 'local_bh':
    case 'preempt': case 'seqlock':
      return true;
    case 'rcu':
      return true; // classic RCU read sections must not sleep (SRCU may)
    default:
      return l.irq === 'irq' || l.irq === 'irqsave';
  }
}

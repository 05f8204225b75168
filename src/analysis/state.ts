// The abstract state the engine carries along a path: held locks, references, flags we set,
// facts about values, effects waiting on a result (trylock success), and how we got here.
// States are treated as immutable: every transfer clones what it changes.

import type { Op } from '../c/ir.js';
import type { ErrorPathState } from './domains/error-paths.js';
import type { FlagState } from './domains/flags.js';
import type { LockEffectSet, LockState } from './domains/locks.js';
import type { MemoryState } from './domains/memory.js';
import type { RefState } from './domains/ref-state.js';

/** What is known about a variable's or result's value on this path. */
export type Fact =
  | { t: 'int'; v: number } // known constant (errno constants are negative)
  | { t: 'zero' }
  | { t: 'nonzero' }
  | { t: 'neg' } // < 0
  | { t: 'nonneg' } // >= 0
  | { t: 'nonpos' } // <= 0: zero or a negative errno (`if (ret <= 0) return ret;`)
  | { t: 'null' }
  | { t: 'errptr' }
  | { t: 'valid' } // non-NULL, not an error pointer
  | { t: 'nonnull' } // non-NULL (may still be an error pointer)
  | { t: 'noterr' } // not an error pointer (may still be NULL): !IS_ERR(x)
  | { t: 'bad' } // NULL or an error pointer: IS_ERR_OR_NULL(x)
  | { t: 'const'; name: string } // equals a named constant (a macro or enumerator: PAGE_SIZE, REQ_OP_READ)
  | { t: 'ne'; c: string } // differs from a constant: 'i:3' (an integer), 'n:PAGE_SIZE' (a named one)
  | { t: 'result'; id: string }; // aliases the value an op produced

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
  /** The result's value once the effect fired, when firing says more than the fact that fired it. */
  means?: (f: Fact) => Fact | undefined;
  /** A reference taken before its result was known, forgotten when the result says it failed. */
  undo?: string;
  via?: string;
  line: number | null;
}

/** A persistent list of trace steps (shared tails, cheap to extend). */
export interface TraceNode {
  line: number | null;
  text: string;
  note: string;
  fn?: string;
  prev: TraceNode | null;
}

/**
 * The whole state: each domain's part (domains/), the value facts (values.ts) and how the path got
 * here.
 */
export interface State extends LockState, RefState, MemoryState, FlagState, ErrorPathState {
  facts: Map<string, Fact>; // variable or path -> fact
  rfacts: Map<string, Fact>; // result id -> fact
  pending: Map<string, Pending[]>; // result id -> effects
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
    lastPut: new Map(),
    allocs: new Map(),
    allocEnd: new Map(),
    flags: new Map(),
    facts: new Map(),
    rfacts: new Map(),
    pending: new Map(),
    err: null,
    viaGap: false,
    trace: null,
  };
}

/** A map's copy; an empty one without walking the iterator protocol. */
function copy<K, V>(m: Map<K, V>): Map<K, V> {
  return m.size ? new Map(m) : new Map();
}

/** Shallow copy: maps are copied, their values are immutable records. */
export function cloneState(s: State): State {
  return {
    locks: copy(s.locks),
    released: copy(s.released),
    clean: s.clean,
    entryReleased: copy(s.entryReleased),
    refs: copy(s.refs),
    dropped: copy(s.dropped),
    entryPut: copy(s.entryPut),
    // Replaced, never changed in place, by their domains: shared between copies.
    lastPut: s.lastPut,
    allocs: s.allocs,
    allocEnd: s.allocEnd,
    flags: copy(s.flags),
    facts: copy(s.facts),
    rfacts: copy(s.rfacts),
    pending: copy(s.pending),
    err: s.err,
    viaGap: s.viaGap,
    trace: s.trace,
  };
}

/** Maps a copy may own (bits for cloneOwning). */
export const OWN = { facts: 1, rfacts: 2, pending: 4, dropped: 8, refs: 16, released: 32 } as const;

/**
 * A copy that owns only the maps named by `own` (OWN bits); the rest are shared with `s` and must
 * not be changed through the copy. For the common ops that touch one or two maps (an assignment,
 * a plain call, learning from a branch). Same object shape as cloneState, for the engine's speed.
 */
export function cloneOwning(s: State, own: number): State {
  return {
    locks: s.locks,
    released: own & OWN.released ? copy(s.released) : s.released,
    clean: s.clean,
    entryReleased: s.entryReleased,
    refs: own & OWN.refs ? copy(s.refs) : s.refs,
    dropped: own & OWN.dropped ? copy(s.dropped) : s.dropped,
    entryPut: s.entryPut,
    lastPut: s.lastPut,
    allocs: s.allocs,
    allocEnd: s.allocEnd,
    flags: s.flags,
    facts: own & OWN.facts ? copy(s.facts) : s.facts,
    rfacts: own & OWN.rfacts ? copy(s.rfacts) : s.rfacts,
    pending: own & OWN.pending ? copy(s.pending) : s.pending,
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
  return f.t === 'int' ? `i${f.v}` : f.t === 'result' ? `r${f.id}` : f.t === 'const' ? `c${f.name}` : f.t === 'ne' ? `n${f.c}` : f.t;
}

/** Keys of a map, sorted, each rendered by `f` (maps are small: usually empty or one entry). */
export function sortedParts<V>(m: Map<string, V>, f: (k: string, v: V) => string, out: string[]): void {
  if (m.size === 0) return;
  if (m.size === 1) {
    for (const [k, v] of m) out.push(f(k, v));
    return;
  }
  for (const k of [...m.keys()].sort()) out.push(f(k, m.get(k)!));
}

/** The value facts' part of a state's key (left out of its shape: see the walker's widening). */
export function valueKeyParts(s: State, out: string[]): void {
  sortedParts(s.facts, (k, f) => `V${k}=${factKey(f)}`, out);
  sortedParts(s.rfacts, (k, f) => `X${k}=${factKey(f)}`, out);
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
  const nonpos = (f: Fact, x: string | undefined): boolean => x === 'zero' || x === 'neg' || f.t === 'nonpos';
  if (nonpos(a, sa) && nonpos(b, sb)) return { t: 'nonpos' };
  const truthy = (f: Fact): boolean =>
    f.t === 'nonzero' || f.t === 'neg' || f.t === 'valid' || f.t === 'nonnull' || f.t === 'errptr' || (f.t === 'int' && f.v !== 0);
  if ((a.t === 'valid' || a.t === 'nonnull') && (b.t === 'valid' || b.t === 'nonnull')) return { t: 'nonnull' };
  const bad = (f: Fact): boolean => f.t === 'bad' || f.t === 'null' || f.t === 'errptr' || f.t === 'zero';
  if (bad(a) && bad(b)) return { t: 'bad' };
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
  const out = cloneOwning(into, OWN.facts | OWN.rfacts);
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

// Facts about values along a path: evaluating a branch condition, and learning from the side taken.
// This is what keeps correlated branches apart (`if (try) lock(); ... if (try) unlock();`) and what
// decides that a trylock succeeded on one side of an `if`.

import type { Expr } from '../c/ir.js';
import { formatExpr } from '../c/format.js';
import { MAPPING_PAIRS, refOf } from './domains/ref-state.js';
import type { Fact, Pending, State } from './state.js';

// Conditions the facts below cannot take apart (`gfp & __GFP_DIRECT_RECLAIM`, `n > 1`,
// `IS_ENABLED(CONFIG_X)`, `static_branch_unlikely(&key)`) are remembered whole, by their text,
// until something they read may have changed: an assignment to one of their inputs, a call that
// can reach it, or another pass of a loop.

interface CondInputs {
  /** Variables and field paths the condition reads (what an assignment or a call may change). */
  reads: string[];
  /**
   * Names read inside a side-effect-free call (`static_branch_unlikely(&key)`, `time_after(jiffies,
   * t)`): a global there is a setting the function does not change, a local may be.
   */
  inPure: string[];
}

const condInputs = new Map<string, CondInputs>();
const WORD = /[A-Za-z_]\w*/g;
/** An upper-case name is a macro or enum constant (`READ`, `__GFP_IO`), not something that changes. */
const CONSTANT_NAME = /^_*[A-Z][A-Z0-9_]*$/;

/** The fact key of a condition remembered whole, or null when it cannot be (it reads an op result). */
export function condKey(e: Expr): string | null {
  if (e.k !== 'arith' && e.k !== 'cmp' && e.k !== 'unknown') return null;
  if (!stable(e)) return null;
  const key = `?${formatExpr(e)}`;
  if (!condInputs.has(key)) {
    if (condInputs.size > 100000) condInputs.clear();
    const reads = new Set<string>();
    const inPure = new Set<string>();
    inputs(e, reads, inPure);
    condInputs.set(key, { reads: [...reads], inPure: [...inPure] });
  }
  return key;
}

/**
 * The key under which a bit test of a word (`x & BIT`, `test_bit(BIT, &x)`) is remembered: the
 * same bit of the same word tests the same until the word changes (an assignment to it, a call
 * that may change it, a set or clear of that bit).
 */
export function bitKey(word: string, bit: string): string | null {
  const id = `${word}\u0000${bit}`;
  const hit = bitKeys.get(id);
  if (hit !== undefined) return hit;
  const b: Expr = /^[A-Za-z_]\w*$/.test(bit) ? { k: 'var', name: bit } : { k: 'unknown', text: bit };
  const k = condKey({ k: 'arith', op: '&', a: { k: 'path', path: word.replace(/^&/, '') }, b });
  if (bitKeys.size > 100000) bitKeys.clear();
  bitKeys.set(id, k);
  return k;
}

const bitKeys = new Map<string, string | null>();

/** Free of op results and hidden conditions: the same text is the same value. */
function stable(e: Expr): boolean {
  switch (e.k) {
    case 'result':
    case 'opaque':
      return false;
    case 'not':
    case 'is_err':
    case 'addr':
      return stable(e.e);
    case 'errptr':
      return stable(e.arg);
    case 'logic':
    case 'cmp':
      return stable(e.a) && stable(e.b);
    case 'arith':
      return stable(e.a) && (!e.b || stable(e.b));
    case 'cond':
      return stable(e.c) && stable(e.t) && stable(e.f);
    default:
      return true;
  }
}

function inputs(e: Expr, out: Set<string>, pure: Set<string>): void {
  switch (e.k) {
    case 'var':
      if (!CONSTANT_NAME.test(e.name)) out.add(e.name);
      return;
    case 'path':
      out.add(e.path.replace(/^&/, ''));
      return;
    case 'not':
    case 'is_err':
    case 'addr':
      inputs(e.e, out, pure);
      return;
    case 'errptr':
      inputs(e.arg, out, pure);
      return;
    case 'logic':
    case 'cmp':
      inputs(e.a, out, pure);
      inputs(e.b, out, pure);
      return;
    case 'arith':
      inputs(e.a, out, pure);
      if (e.b) inputs(e.b, out, pure);
      return;
    case 'cond':
      inputs(e.c, out, pure);
      inputs(e.t, out, pure);
      inputs(e.f, out, pure);
      return;
    case 'unknown': {
      // A side-effect-free call's text: the names it reads, not the functions it names or
      // upper-case constants (`IS_ENABLED(CONFIG_X)` reads nothing that changes).
      for (const m of e.text.matchAll(WORD)) {
        const after = e.text.slice(m.index! + m[0].length).trimStart();
        if (after.startsWith('(') || CONSTANT_NAME.test(m[0])) continue;
        pure.add(m[0]);
      }
      return;
    }
    default:
      return;
  }
}

/** Does a change to `target` (a variable or a path) change `input`? */
function touches(input: string, target: string): boolean {
  if (input === target) return true;
  const c = input.charCodeAt(target.length);
  return input.startsWith(target) && (c === 45 /* - of -> */ || c === 46 /* . */ || c === 91) /* [ */;
}

function forgetConds(s: State, gone: (input: string) => boolean, pureGone: (input: string) => boolean = gone): void {
  for (const k of [...s.facts.keys()]) {
    if (k.charCodeAt(0) !== 63 /* ? */) continue;
    const c = condInputs.get(k);
    if (!c || c.reads.some(gone) || c.inPure.some(pureGone)) s.facts.delete(k);
  }
}

function putCond(s: State, key: string, outcome: boolean): boolean {
  const old = s.facts.get(key);
  const t = truthOf(old);
  if (t !== undefined) return t === outcome;
  s.facts.set(key, outcome ? { t: 'nonzero' } : { t: 'zero' });
  return true;
}

function condValue(e: Expr, s: State): Fact | undefined {
  const k = condKey(e);
  return k ? s.facts.get(k) : undefined;
}

/** The truth of a fact, when it is decided. */
export function truthOf(f: Fact | undefined): boolean | undefined {
  if (!f) return undefined;
  switch (f.t) {
    case 'int':
      return f.v !== 0;
    case 'ne':
      return f.c === 'i:0' ? true : undefined;
    case 'zero':
    case 'null':
      return false;
    case 'nonzero':
    case 'neg':
    case 'errptr':
    case 'valid':
    case 'nonnull':
      return true;
    default:
      return undefined;
  }
}

/** Resolve variable aliases of op results. */
function lookup(s: State, key: string): Fact | undefined {
  const f = s.facts.get(key);
  if (f?.t === 'result') return s.rfacts.get(f.id);
  return f;
}

/** The fact an expression evaluates to, when the path decides it. */
export function valueOf(e: Expr, s: State): Fact | undefined {
  switch (e.k) {
    case 'int':
      return { t: 'int', v: e.value };
    case 'bool':
      return { t: 'int', v: e.value ? 1 : 0 };
    case 'null':
      return { t: 'null' };
    case 'errno':
      return { t: 'neg' };
    case 'errptr':
      return { t: 'errptr' };
    case 'str':
      return { t: 'valid' };
    case 'const':
      return { t: 'const', name: e.name };
    case 'var':
      return lookup(s, e.name);
    case 'path':
      return lookup(s, e.path);
    case 'result':
      return s.rfacts.get(e.id);
    case 'addr':
      return { t: 'valid' };
    case 'not': {
      const t = truthOf(valueOf(e.e, s));
      return t === undefined ? undefined : { t: 'int', v: t ? 0 : 1 };
    }
    case 'logic': {
      const a = truthOf(valueOf(e.a, s));
      const b = truthOf(valueOf(e.b, s));
      if (e.op === '&&') {
        if (a === false || b === false) return { t: 'int', v: 0 };
        if (a === true && b === true) return { t: 'int', v: 1 };
      } else {
        if (a === true || b === true) return { t: 'int', v: 1 };
        if (a === false && b === false) return { t: 'int', v: 0 };
      }
      return undefined;
    }
    case 'cond': {
      const c = truthOf(valueOf(e.c, s));
      return c === undefined ? undefined : valueOf(c ? e.t : e.f, s);
    }
    case 'is_err': {
      const v = valueOf(e.e, s);
      if (!v) return undefined;
      if (v.t === 'errptr' || (v.t === 'bad' && e.orNull)) return { t: 'int', v: 1 };
      if (v.t === 'null' || (v.t === 'int' && v.v === 0) || v.t === 'zero') return { t: 'int', v: e.orNull ? 1 : 0 };
      if (v.t === 'valid') return { t: 'int', v: 0 };
      if (v.t === 'noterr' && !e.orNull) return { t: 'int', v: 0 };
      return undefined;
    }
    case 'cmp': {
      // Two names for one value: a variable copied from another (`hdr = addr`) compares equal.
      if (e.op === '==' || e.op === '!=') {
        const sa = slotOf(e.a, s);
        const sb = slotOf(e.b, s);
        if (sa?.kind === 'result' && sb?.kind === 'result' && sa.id === sb.id) return { t: 'int', v: e.op === '==' ? 1 : 0 };
        // Two mappings held at once are two addresses.
        if (e.a.k === 'var' && e.b.k === 'var' && s.refs.size) {
          const ra = refOf(s, e.a.name);
          const rb = refOf(s, e.b.name);
          if (ra && rb && ra !== rb && MAPPING_PAIRS.has(s.refs.get(ra)!.pair) && MAPPING_PAIRS.has(s.refs.get(rb)!.pair))
            return { t: 'int', v: e.op === '==' ? 0 : 1 };
        }
      }
      return compare(e.op, valueOf(e.a, s), valueOf(e.b, s)) ?? condValue(e, s);
    }
    case 'unknown':
      return condValue(e, s);
    case 'arith': {
      const a = valueOf(e.a, s);
      const b = e.b ? valueOf(e.b, s) : undefined;
      if (a?.t !== 'int' || (e.b && b?.t !== 'int')) return condValue(e, s);
      const x = a.v;
      const y = b?.t === 'int' ? b.v : 0;
      switch (e.op) {
        case '+':
          return { t: 'int', v: x + y };
        case '-':
          return e.b ? { t: 'int', v: x - y } : { t: 'int', v: -x };
        case '*':
          return { t: 'int', v: x * y };
        case '&':
          return { t: 'int', v: x & y };
        case '|':
          return { t: 'int', v: x | y };
        case '~':
          return { t: 'int', v: ~x };
        default:
          return condValue(e, s);
      }
    }
    default:
      return undefined;
  }
}

function compare(op: string, a: Fact | undefined, b: Fact | undefined): Fact | undefined {
  if (!a || !b) return undefined;
  const bool = (v: boolean): Fact => ({ t: 'int', v: v ? 1 : 0 });
  if (a.t === 'int' && b.t === 'int') {
    switch (op) {
      case '==':
        return bool(a.v === b.v);
      case '!=':
        return bool(a.v !== b.v);
      case '<':
        return bool(a.v < b.v);
      case '<=':
        return bool(a.v <= b.v);
      case '>':
        return bool(a.v > b.v);
      case '>=':
        return bool(a.v >= b.v);
    }
  }
  // Equality with constants by name, and facts that rule one value out.
  if (op === '==' || op === '!=') {
    const eq = sameConstant(a, b);
    if (eq !== undefined) return bool(op === '==' ? eq : !eq);
    // One is zero, the other is not (`err == -ENOSPC` where err is known 0): unequal.
    const ta = truthOf(a);
    const tb = truthOf(b);
    if (ta !== undefined && tb !== undefined && ta !== tb) return bool(op === '!=');
  }
  // Comparisons with zero/NULL decided by sign or nullness facts.
  const zeroB = (b.t === 'int' && b.v === 0) || b.t === 'null' || b.t === 'zero';
  if (zeroB) {
    const ta = truthOf(a);
    if (op === '==' && ta !== undefined) return bool(!ta);
    if (op === '!=' && ta !== undefined) return bool(ta);
    if (a.t === 'neg') return op === '<' || op === '<=' || op === '!=' ? bool(true) : bool(false);
    if (a.t === 'nonneg') return op === '>=' ? bool(true) : op === '<' ? bool(false) : undefined;
    if (a.t === 'nonpos') return op === '<=' ? bool(true) : op === '>' ? bool(false) : undefined;
    if (a.t === 'zero' || a.t === 'null' || (a.t === 'int' && a.v === 0)) return bool(op === '==' || op === '<=' || op === '>=');
  }
  return undefined;
}

/** The key of a constant a fact pins a value to ('i:3', 'n:PAGE_SIZE'). */
function constKey(f: Fact): string | undefined {
  if (f.t === 'int') return `i:${f.v}`;
  if (f.t === 'const') return `n:${f.name}`;
  if (f.t === 'zero' || f.t === 'null') return 'i:0';
  return undefined;
}

/**
 * Whether two facts say equal values: a constant against itself, or against a fact that rules it
 * out. Two different named constants may still have one value: undecided.
 */
function sameConstant(a: Fact, b: Fact): boolean | undefined {
  if (a.t === 'ne' || b.t === 'ne') {
    const [n, o] = a.t === 'ne' ? [a, b] : [b, a];
    return n.t === 'ne' && constKey(o) === n.c ? false : undefined;
  }
  if (a.t === 'const' && b.t === 'const' && a.name === b.name) return true;
  return undefined;
}

/** A place a fact can be attached to: a variable/path, or an op result. */
type Slot = { kind: 'key'; key: string } | { kind: 'result'; id: string };

function slotOf(e: Expr, s: State): Slot | null {
  if (e.k === 'result') return { kind: 'result', id: e.id };
  const key = e.k === 'var' ? e.name : e.k === 'path' ? e.path : null;
  if (key === null) return null;
  const f = s.facts.get(key);
  if (f?.t === 'result') return { kind: 'result', id: f.id };
  return { kind: 'key', key };
}

function getSlot(s: State, slot: Slot): Fact | undefined {
  return slot.kind === 'result' ? s.rfacts.get(slot.id) : s.facts.get(slot.key);
}

/** Record a fact; a result that becomes decided releases its pending effects. */
function setSlot(s: State, slot: Slot, f: Fact, fire: Pending[]): void {
  if (slot.kind === 'key') {
    s.facts.set(slot.key, f);
    return;
  }
  s.rfacts.set(slot.id, f);
  const pend = s.pending.get(slot.id);
  if (!pend) return;
  // Effects whose condition is not decided by this fact stay pending (`ret >= 0` does not say zero).
  const left = pend.filter((p) => {
    if (p.fires(f)) {
      fire.push(p);
      // What the effect says of the result once it happened (`!IS_ERR()` of a pointer that comes
      // with a lock: the object, not NULL).
      const m = p.means?.(f);
      if (m) s.rfacts.set(slot.id, m);
      return false;
    }
    return p.alive ? p.alive(f) : !decides(f);
  });
  if (left.length) s.pending.set(slot.id, left);
  else s.pending.delete(slot.id);
}

/** Facts that settle whether a result is zero, and its sign or error-pointer-ness. */
function decides(f: Fact): boolean {
  return f.t !== 'nonneg' && f.t !== 'nonpos' && f.t !== 'const' && !(f.t === 'ne' && f.c !== 'i:0');
}

/** Does the new fact contradict what is known? */
export function contradicts(old: Fact | undefined, f: Fact): boolean {
  if (!old) return false;
  const to = truthOf(old);
  const tn = truthOf(f);
  if (to !== undefined && tn !== undefined && to !== tn) return true;
  if (old.t === 'int' && f.t === 'int') return old.v !== f.v;
  if (f.t === 'ne' && constKey(old) === f.c) return true;
  if (old.t === 'ne' && constKey(f) === old.c) return true;
  if (old.t === 'int' && f.t === 'neg') return old.v >= 0;
  if (old.t === 'int' && f.t === 'nonneg') return old.v < 0;
  if (old.t === 'neg' && (f.t === 'nonneg' || (f.t === 'int' && f.v >= 0))) return true;
  if (old.t === 'nonneg' && (f.t === 'neg' || (f.t === 'int' && f.v < 0))) return true;
  if (old.t === 'int' && f.t === 'nonpos') return old.v > 0;
  if (old.t === 'nonpos' && f.t === 'int') return f.v > 0;
  if (old.t === 'errptr' && (f.t === 'valid' || f.t === 'noterr')) return true;
  if ((old.t === 'bad' && f.t === 'valid') || (old.t === 'valid' && f.t === 'bad')) return true;
  if ((old.t === 'valid' || old.t === 'noterr') && f.t === 'errptr') return true;
  return false;
}

/** Keep the more precise of two compatible facts. */
function refineFact(old: Fact | undefined, f: Fact): Fact {
  if (!old) return f;
  // The code's own test against a named constant says more for the tests that follow than a
  // number it cannot compare with the name.
  if ((f.t === 'const' || (f.t === 'ne' && f.c.startsWith('n:'))) && old.t === 'int') return f;
  if (old.t === 'int' || old.t === 'errptr' || old.t === 'null' || old.t === 'const') return old;
  if (f.t === 'ne' && old.t !== 'ne') return old; // what is known says more than what it is not
  if ((old.t === 'neg' || old.t === 'valid') && (f.t === 'nonzero' || f.t === 'nonnull' || f.t === 'noterr')) return old;
  // Not an error pointer and not NULL: a valid pointer.
  if ((old.t === 'noterr' && (f.t === 'nonzero' || f.t === 'nonnull')) || ((old.t === 'nonzero' || old.t === 'nonnull') && f.t === 'noterr'))
    return { t: 'valid' };
  if (old.t === 'noterr' && f.t === 'zero') return { t: 'null' };
  // At most zero, then told not zero (or not negative): the sign settles.
  if ((old.t === 'nonpos' && f.t === 'nonzero') || (old.t === 'nonzero' && f.t === 'nonpos')) return { t: 'neg' };
  if ((old.t === 'nonpos' && f.t === 'nonneg') || (old.t === 'nonneg' && f.t === 'nonpos')) return { t: 'zero' };
  // NULL or an error, then told which: keep the sharper one.
  if (old.t === 'bad' && (f.t === 'noterr' || f.t === 'zero' || f.t === 'null')) return { t: 'null' };
  if (old.t === 'bad' && (f.t === 'nonnull' || f.t === 'nonzero' || f.t === 'errptr')) return { t: 'errptr' };
  if (f.t === 'bad' && old.t === 'noterr') return { t: 'null' };
  if (f.t === 'bad' && (old.t === 'nonnull' || old.t === 'nonzero')) return { t: 'errptr' };
  return f;
}

export interface Assumed {
  state: State;
  fire: Pending[]; // pending effects that now happen (trylock succeeded ...)
}

/**
 * The state on the side of a branch where `e` is `outcome`, or null when the path already decided
 * the opposite (the side is infeasible). `s` is not modified.
 */
export function assume(e: Expr, outcome: boolean, s0: State, clone: (s: State) => State): Assumed | null {
  const known = truthOf(valueOf(e, s0));
  if (known !== undefined) return known === outcome ? { state: s0, fire: [] } : null;
  const s = clone(s0);
  const fire: Pending[] = [];
  if (!learn(e, outcome, s, fire)) return null;
  return { state: s, fire };
}

/**
 * Learn in place that a pointer variable is not NULL (the code dereferenced it: `spin_lock(&t->lock)`).
 * Returns the effects that fire, or null when the path said it was NULL (the path is impossible).
 */
export function learnNonNull(s: State, name: string): Pending[] | null {
  const fire: Pending[] = [];
  return learn({ k: 'var', name }, true, s, fire) ? fire : null;
}

function put(s: State, e: Expr, f: Fact, fire: Pending[]): boolean {
  const slot = slotOf(e, s);
  if (!slot) return true;
  const old = getSlot(s, slot);
  if (contradicts(old, f)) return false;
  setSlot(s, slot, refineFact(old, f), fire);
  return true;
}

function learn(e: Expr, outcome: boolean, s: State, fire: Pending[]): boolean {
  switch (e.k) {
    case 'var':
    case 'path':
    case 'result':
      return put(s, e, outcome ? { t: 'nonzero' } : { t: 'zero' }, fire);
    case 'not':
      return learn(e.e, !outcome, s, fire);
    case 'logic': {
      if (e.op === '&&' && outcome) return learn(e.a, true, s, fire) && learn(e.b, true, s, fire);
      if (e.op === '||' && !outcome) return learn(e.a, false, s, fire) && learn(e.b, false, s, fire);
      // `!(err && global)` with global known true: err is false (and `a || b` with a false: b).
      const known = e.op === '&&';
      const ta = truthOf(valueOf(e.a, s));
      const tb = truthOf(valueOf(e.b, s));
      if (ta === known) return learn(e.b, !known, s, fire);
      if (tb === known) return learn(e.a, !known, s, fire);
      return true;
    }
    case 'is_err':
      if (outcome) return put(s, e.e, e.orNull ? { t: 'bad' } : { t: 'errptr' }, fire);
      return put(s, e.e, e.orNull ? { t: 'valid' } : { t: 'noterr' }, fire);
    case 'arith':
    case 'unknown': {
      const k = condKey(e);
      return k ? putCond(s, k, outcome) : true;
    }
    case 'cmp': {
      const k = condKey(e);
      if (k && !putCond(s, k, outcome)) return false;
      let { a, b } = e;
      let op = e.op;
      if (isConst(a) && !isConst(b)) {
        [a, b] = [b, a];
        op = flip(op);
      }
      if (!outcome) op = negate(op);
      if (b.k === 'const') {
        // `len == PAGE_SIZE`: remembered by name, so a second test of it is decided.
        if (op === '==') return put(s, a, { t: 'const', name: b.name }, fire);
        if (op === '!=') return put(s, a, { t: 'ne', c: `n:${b.name}` }, fire);
        return true;
      }
      const c = constValue(b);
      if (c === undefined) return true;
      if (c === 0) {
        switch (op) {
          case '==':
            return put(s, a, { t: 'zero' }, fire);
          case '!=':
            return put(s, a, { t: 'nonzero' }, fire);
          case '<':
            return put(s, a, { t: 'neg' }, fire);
          case '>=':
            return put(s, a, { t: 'nonneg' }, fire);
          case '>':
            return put(s, a, { t: 'nonzero' }, fire) && put(s, a, { t: 'nonneg' }, fire);
          case '<=':
            return put(s, a, { t: 'nonpos' }, fire);
        }
      }
      if (op === '==') return put(s, a, { t: 'int', v: c }, fire);
      if (op === '!=' && valueOf(a, s) === undefined) return put(s, a, { t: 'ne', c: `i:${c}` }, fire);
      if (op === '!=' || op === '<' || op === '>' || op === '<=' || op === '>=') {
        // Only learn what the comparison settles against a known constant.
        const cur = valueOf(a, s);
        if (cur?.t === 'int') {
          const r = compare(op, cur, { t: 'int', v: c });
          return r?.t === 'int' ? r.v === 1 : true;
        }
        if ((op === '>' || op === '>=') && c >= 0) return put(s, a, { t: 'nonzero' }, fire);
        if ((op === '<' || op === '<=') && c <= 0) return put(s, a, { t: 'neg' }, fire);
      }
      return true;
    }
    default:
      return true;
  }
}

function isConst(e: Expr): boolean {
  return e.k === 'int' || e.k === 'null' || e.k === 'bool' || e.k === 'errno' || e.k === 'const';
}

function constValue(e: Expr): number | undefined {
  if (e.k === 'int') return e.value;
  if (e.k === 'null') return 0;
  if (e.k === 'bool') return e.value ? 1 : 0;
  return undefined;
}

type CmpOp = '==' | '!=' | '<' | '<=' | '>' | '>=';
function flip(op: CmpOp): CmpOp {
  return op === '<' ? '>' : op === '>' ? '<' : op === '<=' ? '>=' : op === '>=' ? '<=' : op;
}
function negate(op: CmpOp): CmpOp {
  return op === '==' ? '!=' : op === '!=' ? '==' : op === '<' ? '>=' : op === '>=' ? '<' : op === '>' ? '<=' : '>';
}

/** Facts learned from an assignment `target = value`. */
export function assign(s: State, target: string, value: Expr): void {
  for (const k of [...s.facts.keys()]) if (k === target || k.startsWith(`${target}->`) || k.startsWith(`${target}.`)) s.facts.delete(k);
  // A side-effect-free call reads through the names it is given (`sk_fullsock(sk)` reads
  // sk->sk_state): a store below one of them changes its answer too.
  forgetConds(
    s,
    (i) => touches(i, target),
    (i) => touches(i, target) || touches(target, i),
  );
  if (value.k === 'result') {
    s.facts.set(target, { t: 'result', id: value.id });
    return;
  }
  if (value.k === 'var') {
    const f = s.facts.get(value.name);
    if (f) s.facts.set(target, f);
    return;
  }
  const f = valueOf(value, s);
  if (f) s.facts.set(target, f);
}

/** An op produced its result again (loops): forget what was known about the old value. */
export function freshResult(s: State, id: string): void {
  // Variables still holding the old value keep what was known about it.
  const old = s.rfacts.get(id);
  for (const [k, f] of [...s.facts]) {
    if (f.t !== 'result' || f.id !== id) continue;
    if (old) s.facts.set(k, old);
    else s.facts.delete(k);
  }
  s.rfacts.delete(id);
  s.pending.delete(id);
}

/** A plain path text: `dev`, `dev->sub.x`, `q->lock[]`. */
const PLAIN_PATH = /^[A-Za-z_][\w>.\-[\]]*$/;
const TERNARY = /^([^?:()]+)\?([^?:()]+):([^?:()]+)$/;
const CAST = /^\(\s*(?:const\s+|volatile\s+)*(?:struct\s+|union\s+|enum\s+)?[A-Za-z_]\w*\s*\**\s*\)\s*/;

/**
 * The values an argument hands the callee: `c ? a : b` hands a or b (not what c reads), a cast
 * hands what it casts.
 */
function argValues(a: string): string[] {
  const t = a.trim().replace(CAST, '');
  const m = TERNARY.exec(t);
  return m ? [m[2]!.trim(), m[3]!.trim()] : [t];
}

/**
 * What a call may change: memory it can reach. A field path is forgotten when the call is handed
 * its object (`f(dev)` for `dev->x`, `f(&dev->sub)` for `dev->sub.y`, `f(p->next)` for
 * `p->next->x`) or when it is not rooted in a local or parameter (a global); a local only when the
 * call gets its address (`f(&len)`). Fields of objects the call is not given keep what the path
 * knows, so `if (p->m) lock(p->m); work(x); if (p->m) unlock(p->m);` stays correlated.
 */
export function forgetAfterCall(s: State, argText: string[], isLocal: (name: string) => boolean, keepHandedFields = false): void {
  const handed: string[] = [];
  const addressOf = new Set<string>();
  for (const a0 of argText.flatMap(argValues)) {
    const amp = a0.startsWith('&');
    const a = amp ? a0.slice(1) : a0;
    if (PLAIN_PATH.test(a)) {
      handed.push(a);
      if (amp) addressOf.add(a);
    } else {
      // An expression (a cast, container_of(), p + 1): whatever its names lead to.
      for (const m of a.matchAll(WORD)) handed.push(m[0]);
    }
  }
  const gone = (k: string): boolean => {
    const root = /^[A-Za-z_]\w*/.exec(k)?.[0];
    if (!root || !isLocal(root)) return true;
    if (k === root) return addressOf.has(root);
    // Assuming callees leave alone the fields of what they are handed (see EngineOptions), only a
    // field whose own address the call gets may change.
    if (keepHandedFields) return [...addressOf].some((h) => h !== root && touches(k, h));
    return handed.some((h) => h !== k && touches(k, h)) || addressOf.has(k);
  };
  for (const k of [...s.facts.keys()]) {
    if (k.charCodeAt(0) === 63 /* ? */) continue;
    if (gone(k)) s.facts.delete(k);
  }
  for (const k of [...s.facts.keys()]) {
    if (k.charCodeAt(0) !== 63) continue;
    const c = condInputs.get(k);
    if (!c || c.reads.some(gone) || c.inPure.some((i) => isLocal(i) && gone(i))) s.facts.delete(k);
  }
}

/**
 * Another pass of a loop: what changes on its own (fields, globals, jiffies) is unknown again. A
 * test of locals only (`try && nr > 1`) keeps its outcome: assignments in the loop forget it.
 */
export function forgetAtLoop(s: State, isLocal: (name: string) => boolean): void {
  for (const k of [...s.facts.keys()]) {
    if (k.charCodeAt(0) === 63 /* ? */) {
      const c = condInputs.get(k);
      if (!c?.reads.every(isLocal) || !c.inPure.every(isLocal)) s.facts.delete(k);
    } else if (k.includes('->') || k.includes('.') || k.includes('[')) s.facts.delete(k);
  }
}

/** Is the value of `name` known to be NULL/zero or an error pointer on this path? */
export function isNullOrErr(s: State, name: string): boolean {
  const f = lookup(s, name);
  return !!f && (f.t === 'null' || f.t === 'zero' || f.t === 'errptr' || f.t === 'bad' || (f.t === 'int' && f.v === 0));
}

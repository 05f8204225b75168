// Function summaries: what a call does to the caller's locks, whether it may sleep, which locks it
// needs held. Built from bodies in the input (callees first), then rules/ (lock handoffs), then
// sparse annotations.

import type { Expr, FunctionIR, IrqMode, LockFamily, LockMode } from '../c/ir.js';
import type { Fact, State } from './state.js';
import { contradicts, truthOf, valueOf } from './values.js';

export interface LockRef {
  obj: string; // in the callee's terms (its parameter names)
  family: LockFamily;
  mode: LockMode;
  irq: IrqMode;
  line: number | null;
  /** A release whose lock may have been taken in code we cannot see (the callee's hidden start): not held afterwards, but not necessarily the caller's. */
  maybe?: boolean;
}

/** How a return value classifies, for effects that depend on it ("returns 0 with the lock held"). */
export type RetClass = 'void' | 'zero' | 'neg' | 'pos' | 'errptr' | 'ptr' | 'any';

export interface ExitEffect {
  cls: RetClass;
  acquired: LockRef[];
  released: LockRef[];
  lines: (number | null)[]; // the return statements
  /** Its lock state is not known: the path to it crosses hidden code, or the exit itself is hidden (a return in a gap, an invisible end). */
  unknown?: boolean;
  /**
   * What the paths to it know of parameters the function never assigns (`locked` is 0): a call
   * whose arguments rule that out does not reach this exit (stop_sync_thread(mddev, false)).
   */
  when?: { param: string; fact: Fact }[];
}

/**
 * Exits of one return class folded into one: what every one of them agrees on (an unknown one
 * makes the whole unknown). Exits whose parameter facts differ are kept apart.
 */
export function mergeExits(list: ExitEffect[]): ExitEffect[] {
  const byKey = new Map<string, ExitEffect>();
  for (const e of list) {
    const key = `${e.cls}\0${(e.when ?? []).map((w) => `${w.param}=${JSON.stringify(w.fact)}`).join(',')}`;
    const cur = byKey.get(key);
    if (!cur) {
      byKey.set(key, { ...e, acquired: [...e.acquired], released: [...e.released], lines: [...e.lines] });
      continue;
    }
    cur.unknown ||= e.unknown;
    cur.acquired = cur.unknown ? [] : cur.acquired.filter((a) => e.acquired.some((b) => b.obj === a.obj));
    cur.released = cur.unknown ? [] : cur.released.filter((a) => e.released.some((b) => b.obj === a.obj));
    cur.lines.push(...e.lines);
  }
  return [...byKey.values()];
}

/**
 * The exits a call can reach, given what the caller knows of its arguments, one per return class:
 * exits whose parameter facts the arguments contradict are left out.
 */
export function exitsForArgs(sum: Summary, args: (Fact | undefined)[]): ExitEffect[] {
  if (!sum.exits.some((e) => e.when?.length)) return sum.exits;
  const reach = sum.exits.filter((e) =>
    (e.when ?? []).every((w) => {
      const i = sum.params.indexOf(w.param);
      return i < 0 || !contradicts(args[i], w.fact);
    }),
  );
  const kept = reach.length ? reach : sum.exits;
  return mergeExits(kept.map((e) => ({ ...e, when: undefined })));
}

/** A summary's name for the lock a function returns holding, as its value (`pmd_lock()`). */
export const RETURNED_LOCK = '$return';

export interface Summary {
  name: string;
  source: 'body' | 'rule' | 'annotation';
  origin: string; // "body in the input (full)", "rules/netfs.yaml", "__acquires annotation"
  params: string[];
  locals: Set<string>;
  /**
   * Locals that only ever name a value of the parameters (`inode = file_inode(iocb->ki_filp)`):
   * its text, so a lock on the local means the same object to a caller that computes it too.
   */
  localDefs?: Map<string, string>;
  /** Locks it takes while not holding them; `always` when every path from its entry takes it. */
  acquires: (LockRef & { always: boolean; tries?: boolean })[];
  /** One entry per return class seen on its known exits. */
  exits: ExitEffect[];
  exitsKnown: boolean; // false when its end (or a path to it) is not visible
  /** Every lock it takes or releases anywhere: what an unknown exit may have changed. */
  touches: LockRef[];
  /** Locks that must be held when it is called (released without being taken, __must_hold, lockdep_assert_held). */
  requires: LockRef[];
  /** References it moves: takes on a parameter's object, drops the caller's, returns a new one. */
  refs: {
    gets: { obj: string; pair: string; source: 'primitive' | 'rule' | 'name'; line: number | null; init?: boolean }[];
    puts: { obj: string; pair: string; source: 'primitive' | 'rule' | 'name'; line: number | null; count?: string }[];
    /** Parameters whose reference it drops on some of its exits only (a completion that may run now or later). */
    mayPut?: string[];
    /** count: how many it returns, when more than one (an object set up with one for its completion too). */
    returns: { pair: string; source: 'primitive' | 'rule' | 'name'; line: number | null; count?: number } | null;
  };
  /** The sleeping call it (or a callee, `via`) makes: its reason and line in the function that sleeps. */
  maySleep: { why: string; line: number | null; via: string[]; always: boolean; drops: string[] } | null;
  partial: boolean;
  /** What its sparse annotations promise (callee terms), whatever its visible body shows. */
  contract: Contract;
  /** Flags it may clear (`word:bit`, callee terms): a caller's flag cleared through a helper. */
  flagClears: string[];
  /** Parameters it frees on every path (`fuse_file_free(ff)` ends in kfree(ff)): their references go with them. */
  frees?: string[];
  /** Parameters it frees on some of its paths only (the caller's flags decide). */
  mayFree?: string[];
  /** Parameters it stores where they outlive the call (a field, a list): a caller's reference on them goes with them. */
  keeps?: string[];
  /** Parameters it gives to a callee that may keep them (one the input does not show). */
  mayKeep?: string[];
  /** A callee releases a lock this function cannot name: what it takes may be given back there. */
  unnamedRelease?: boolean;
  /** Parameters it queues to deferred work (itself or through a callee). */
  defers?: string[];
}

export interface Contract {
  acquires: string[]; // __acquires(x), context(x, 0, 1): returns holding x
  releases: string[]; // __releases(x), context(x, 1, 0): returns without x, which the caller held
  mustHold: string[]; // __must_hold(x), context(x, 1, 1)
  condAcquires: { lock: string; when: 'nonzero' | 'zero' }[]; // __cond_acquires(x): returns holding x when it succeeds
  mustNotHold: string[]; // __must_not_hold(x): takes x itself, so its caller must not hold it
}

/** No annotations: what a summary from rules/ or a guessed counterpart promises. */
export function noContract(): Contract {
  return { acquires: [], releases: [], mustHold: [], condAcquires: [], mustNotHold: [] };
}

/** The promise a function's annotations make. */
export function contractOf(a: FunctionIR['annotations']): Contract {
  const c: Contract = {
    acquires: [...a.acquires],
    releases: [...a.releases],
    mustHold: [...a.mustHold],
    condAcquires: [...a.condAcquires],
    mustNotHold: [...a.mustNotHold],
  };
  for (const x of a.context) {
    const list = x.entry === 0 && x.exit > 0 ? c.acquires : x.entry > 0 && x.exit === 0 ? c.releases : x.entry > 0 && x.exit > 0 ? c.mustHold : null;
    if (list && !list.includes(x.lock)) list.push(x.lock);
  }
  return c;
}

export function hasContract(c: Contract): boolean {
  return !!(c.acquires.length || c.releases.length || c.mustHold.length || c.condAcquires.length || c.mustNotHold.length);
}

/** A function the input only declares, from the annotations on its prototype. */
export function annotationSummary(d: NonNullable<FunctionIR['declared']>[number]): Summary | null {
  const contract = contractOf(d.annotations);
  if (!hasContract(contract)) return null;
  const ref = (obj: string): LockRef => ({ obj, family: 'context', mode: 'exclusive', irq: 'none', line: d.line });
  const names = [
    ...contract.acquires.map((o) => `__acquires(${o})`),
    ...contract.releases.map((o) => `__releases(${o})`),
    ...contract.mustHold.map((o) => `__must_hold(${o})`),
    ...contract.condAcquires.map((c) => `__cond_acquires(${c.lock})`),
    ...contract.mustNotHold.map((o) => `__must_not_hold(${o})`),
  ];
  const released = contract.releases.map(ref);
  // A conditional acquire holds on the exits its success value classifies as; not on the others.
  const cond = contract.condAcquires;
  const held = (cls: RetClass): LockRef[] => [
    ...contract.acquires.map(ref),
    ...cond.filter((c) => (c.when === 'zero' ? cls === 'zero' : cls !== 'zero' && cls !== 'neg' && cls !== 'errptr')).map((c) => ref(c.lock)),
  ];
  const classes: RetClass[] = cond.length ? (cond.some((c) => c.when === 'zero') ? ['zero', 'neg'] : ['pos', 'zero']) : ['any'];
  return {
    name: d.name,
    source: 'annotation',
    origin: `${names.join(' ')} on its declaration${d.line !== null ? ` (line ${d.line})` : ''}`,
    params: d.params.map((p) => p.name),
    locals: new Set(),
    // `__must_not_hold(x)`: it takes x (and lets it go), as might_lock() says: a caller holding x deadlocks.
    acquires: [
      ...contract.acquires.map((o) => ({ ...ref(o), always: true })),
      ...cond.map((c) => ({ ...ref(c.lock), always: true, tries: true })),
      ...contract.mustNotHold.map((o) => ({ ...ref(o), always: true })),
    ],
    exits: classes.map((cls) => ({ cls, acquired: held(cls), released, lines: [] })),
    exitsKnown: true,
    touches: [...contract.acquires, ...contract.releases, ...cond.map((c) => c.lock)].map(ref),
    requires: [...contract.releases, ...contract.mustHold].map(ref),
    refs: { gets: [], puts: [], returns: null },
    maySleep: null,
    partial: false,
    contract,
    flagClears: [],
  };
}

export function classOfFact(f: Fact | undefined): RetClass {
  if (!f) return 'any';
  switch (f.t) {
    case 'int':
      return f.v === 0 ? 'zero' : f.v < 0 ? 'neg' : 'pos';
    case 'zero':
    case 'null':
      return 'zero';
    case 'neg':
      return 'neg';
    case 'errptr':
      return 'errptr';
    case 'valid':
    case 'nonnull':
      return 'ptr';
    default:
      return 'any';
  }
}

export function classOfReturn(e: Expr | null, s: State): RetClass {
  if (!e) return 'void';
  return classOfFact(valueOf(e, s));
}

/** The return classes a fact about a result allows. */
export function classesAllowed(f: Fact): Set<RetClass> {
  switch (f.t) {
    case 'int':
      return new Set(f.v === 0 ? ['zero'] : f.v < 0 ? ['neg'] : ['pos']);
    case 'zero':
    case 'null':
      return new Set(['zero']);
    case 'nonzero':
      return new Set(['neg', 'pos', 'ptr', 'errptr']);
    case 'neg':
      return new Set(['neg']);
    case 'nonneg':
      return new Set(['zero', 'pos']);
    case 'nonpos':
      return new Set(['zero', 'neg']);
    case 'errptr':
      return new Set(['errptr']);
    case 'valid':
      return new Set(['ptr', 'pos']);
    case 'nonnull':
      return new Set(['ptr', 'pos', 'errptr']);
    case 'noterr':
      return new Set(['zero', 'ptr', 'pos']);
    case 'bad':
      return new Set(['zero', 'errptr']);
    default:
      return new Set(['zero', 'neg', 'pos', 'ptr', 'errptr']);
  }
}

/**
 * Which of a callee's exits a fact about its result selects: each allowed class goes to the exit
 * of that class, or (when none) to the exit whose value was not classified (`any`).
 */
export function exitsSelected<E extends { cls: RetClass }>(exits: E[], f: Fact): Set<E> {
  const out = new Set<E>();
  for (const c of classesAllowed(f)) {
    const e =
      exits.find((x) => x.cls === c) ??
      (c === 'pos' ? exits.find((x) => x.cls === 'ptr') : c === 'ptr' ? exits.find((x) => x.cls === 'pos') : undefined) ??
      exits.find((x) => x.cls === 'any');
    if (e) out.add(e);
  }
  return out;
}

export const firesNonzero = (f: Fact): boolean => truthOf(f) === true;
export const firesZero = (f: Fact): boolean => truthOf(f) === false;
/** Zero or a negative errno: not negative is zero. */
export const firesZeroOrNonneg = (f: Fact): boolean => truthOf(f) === false || f.t === 'nonneg';
export const firesNonnull = (f: Fact): boolean => f.t === 'valid' || f.t === 'nonnull' || (truthOf(f) === true && f.t !== 'errptr' && f.t !== 'neg');

/** Lock effects every known exit agrees on, and the rest per return class. */
export function splitEffects(exits: ExitEffect[]): { common: { acquired: LockRef[]; released: LockRef[] }; byClass: ExitEffect[] } {
  if (!exits.length) return { common: { acquired: [], released: [] }, byClass: [] };
  // An exit with unknown effects agrees on nothing.
  if (exits.some((e) => e.unknown))
    return { common: { acquired: [], released: [] }, byClass: exits.filter((e) => e.unknown || e.acquired.length || e.released.length) };
  const inAll = (pick: (e: ExitEffect) => LockRef[]): LockRef[] => pick(exits[0]!).filter((r) => exits.every((e) => pick(e).some((x) => x.obj === r.obj)));
  const common = { acquired: inAll((e) => e.acquired), released: inAll((e) => e.released) };
  const has = (list: LockRef[], r: LockRef): boolean => list.some((x) => x.obj === r.obj);
  const byClass = exits
    .map((e) => ({
      ...e,
      acquired: e.acquired.filter((r) => !has(common.acquired, r)),
      released: e.released.filter((r) => !has(common.released, r)),
    }))
    .filter((e) => e.acquired.length || e.released.length);
  return { common, byClass };
}

export class SummaryTable {
  private readonly map = new Map<string, Summary>();

  get(name: string): Summary | undefined {
    return this.map.get(name);
  }

  set(s: Summary): void {
    this.map.set(s.name, s);
  }

  has(name: string): boolean {
    return this.map.has(name);
  }

  all(): Summary[] {
    return [...this.map.values()];
  }
}

/** Names of the functions a function calls (direct calls, and ops-table calls the unit resolves). */
export function calleesOf(fn: FunctionIR): Set<string> {
  const out = new Set<string>();
  for (const b of fn.blocks) {
    for (const op of b.ops) {
      if (op.kind !== 'call') continue;
      if (!op.indirect) out.add(op.callee);
      else for (const f of implementations(fn, op.callee)) out.add(f);
    }
  }
  return out;
}

/**
 * The functions an ops-table call (`q->ops->unlock(q)`, `ops.release(x)`) may reach: those the
 * unit places in a table under that member name (`.unlock = foo_unlock`).
 */
export function implementations(fn: FunctionIR, callee: string): string[] {
  const cbs = fn.unit?.callbacks;
  if (!cbs?.length) return [];
  let byMember = implCache.get(cbs);
  if (!byMember) {
    byMember = new Map();
    for (const c of cbs) byMember.set(c.member, [...new Set([...(byMember.get(c.member) ?? []), c.fn])]);
    implCache.set(cbs, byMember);
  }
  const m = /(?:->|\.)([A-Za-z_]\w*)$/.exec(callee);
  return (m && byMember.get(m[1]!)) || [];
}
const implCache = new WeakMap<object, Map<string, string[]>>();

/** Callees first: a post-order of the call graph among `fns` (recursion is cut where it closes). */
export function bottomUp(fns: FunctionIR[]): FunctionIR[] {
  const byName = new Map<string, FunctionIR>();
  for (const f of fns) if (!byName.has(f.name)) byName.set(f.name, f);
  const done = new Set<string>();
  const onStack = new Set<string>();
  const out: FunctionIR[] = [];
  const visit = (f: FunctionIR): void => {
    if (done.has(f.name) || onStack.has(f.name)) return;
    onStack.add(f.name);
    for (const c of calleesOf(f)) {
      const g = byName.get(c);
      if (g) visit(g);
    }
    onStack.delete(f.name);
    done.add(f.name);
    out.push(f);
  };
  for (const f of fns) visit(f);
  // Several definitions with one name (hunk fragments of two files): keep them all, in order.
  for (const f of fns) if (!out.includes(f)) out.push(f);
  return out;
}

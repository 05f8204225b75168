// A callee's summary from its walked body: the locks it takes, what it holds or has released at each
// kind of return, what it needs held, whether it may sleep.

import type { Block, FunctionIR } from '../c/ir.js';
import { dominates } from './cfg.js';
import type { WalkResult } from './engine.js';
import {
  contractOf,
  implementations,
  mergeExits,
  RETURNED_LOCK,
  type ExitEffect,
  type LockRef,
  type RetClass,
  type Summary,
  type SummaryTable,
} from './summary.js';
import { onStackMember, rootOf, valueDefs } from './objects.js';
import { lockAliases } from './lock-aliases.js';
import { subscript } from '../c/path.js';
import { isMemory } from './domains/refs.js';
import { isNullOrErr, valueOf } from './values.js';

export function summarize(
  w: WalkResult,
  callees?: SummaryTable,
  deferrers: ReadonlySet<string> = new Set(),
  borrows: (callee: string) => boolean = () => false,
): Summary {
  const fn = w.fn;
  const returnBlocks = fn.blocks.filter((b: Block) => b.term.k === 'return' && w.cfg.reachable.has(b.id)).map((b) => b.id);
  const acquires = new Map<string, LockRef & { always: boolean; tries?: boolean }>();
  for (const e of w.events) {
    // Taking back the caller's lock is not taking a lock the caller does not hold.
    if (e.k !== 'acquire' || e.retake) continue;
    // On every path: it dominates every return, and no hidden code before it may return first.
    const always = !e.sometimes && !e.afterGap && fn.meta.entryKnown && returnBlocks.length > 0 && returnBlocks.every((r) => dominates(w.cfg, e.block, r));
    const cur = acquires.get(e.obj);
    if (!cur || (always && !cur.always))
      acquires.set(e.obj, { obj: e.obj, family: e.family, mode: e.mode, irq: e.irq, line: e.line, always, ...(e.tries ? { tries: true } : {}) });
  }

  // Group exits by return class; within a class keep what every exit of it agrees on. What a
  // partial function shows is a fact only where no hidden code can undo it: an exit reached
  // through a gap has unknown effects (the gap may release what is held, take what is not), a
  // release without a visible acquire may undo a hidden one, and a gap or an invisible end may
  // hold further returns.
  const raw: ExitEffect[] = [];
  const add = (e: ExitEffect): void => void raw.push(e);
  // Parameters the body never assigns: what a path knows of them is what the caller passed.
  const fixed = fn.params.map((p) => p.name).filter((p) => !fn.blocks.some((b) => b.ops.some((op) => op.kind === 'assign' && op.target === p)));
  const whenOf = (st: (typeof w.exits)[number]['state']): ExitEffect['when'] => {
    const out: NonNullable<ExitEffect['when']> = [];
    for (const p of fixed) {
      const f = st.facts.get(p);
      if (f && (f.t === 'int' || f.t === 'zero' || f.t === 'null' || f.t === 'nonzero')) out.push({ param: p, fact: f });
    }
    return out.length ? out : undefined;
  };
  const promised = contractOf(fn.annotations);
  const promisedRef = (obj: string): LockRef => ({ obj, family: 'context', mode: 'exclusive', irq: 'none', line: fn.startLine });
  // `if (ret <= 0) goto out; ... out: unlock; return ret;` returns zero or an errno there: an exit
  // of each class, so a caller's own `ret <= 0` (or `ret < 0`) test selects it.
  const classesOf = (x: (typeof w.exits)[number]): RetClass[] =>
    x.cls === 'any' && x.value && valueOf(x.value, x.state)?.t === 'nonpos' ? ['zero', 'neg'] : [x.cls];
  for (const x of w.exits) {
    if (x.state.viaGap) {
      for (const cls of classesOf(x)) add({ cls, acquired: [], released: [], lines: [x.line], unknown: true, when: whenOf(x.state) });
      continue;
    }
    const acquired: LockRef[] = [...x.state.locks.values()]
      .filter((l) => !l.fromEntry && !l.scoped)
      .map((l) => ({ obj: l.obj, family: l.family, mode: l.mode, irq: l.irq, line: l.line }));
    const released: LockRef[] = [...x.state.entryReleased].map(([obj, r]) => ({ obj, ...r, ...(fn.meta.entryKnown ? {} : { maybe: true }) }));
    // What the annotations promise holds on every exit, also where the body hides the release in
    // a callback or a continuation (`closure_call(cl, journal_write_unlocked, ...)`, which
    // unlocks). `__releases(x) __acquires(x)` together drop and retake: no change for the caller.
    for (const obj of promised.releases) {
      const held = x.state.locks.get(obj);
      if (!promised.acquires.includes(obj) && (!held || held.fromEntry) && !released.some((r) => r.obj === obj)) released.push(promisedRef(obj));
    }
    // Where the body takes the lock itself, its paths say when it holds (a trylock annotated as
    // __acquires() does not hold on its failure returns).
    for (const obj of promised.acquires) {
      if (!promised.releases.includes(obj) && !acquires.has(obj) && !x.state.locks.has(obj) && !x.state.entryReleased.has(obj)) acquired.push(promisedRef(obj));
    }
    pairThroughLocal(acquired, released, fn);
    for (const cls of classesOf(x)) add({ cls, acquired, released, lines: [x.line], when: whenOf(x.state) });
  }
  const hiddenExits = !fn.meta.exitKnown || fn.meta.gaps.length > 0 || w.budgetExceeded;
  if (hiddenExits) add({ cls: 'any', acquired: [], released: [], lines: [], unknown: true });
  const exits = mergeExits(raw);

  const touches = new Map<string, LockRef>();
  for (const b of fn.blocks) {
    for (const op of b.ops) {
      if ((op.kind === 'acquire' || op.kind === 'release') && !touches.has(op.obj))
        touches.set(op.obj, { obj: op.obj, family: op.family, mode: op.mode, irq: op.irq, line: op.line });
    }
  }
  for (const a of acquires.values()) if (!touches.has(a.obj)) touches.set(a.obj, a);
  for (const x of w.exits) for (const [obj, r] of x.state.entryReleased) if (!touches.has(obj)) touches.set(obj, { obj, ...r });

  const refs = refMoves(w);

  const requires = new Map<string, LockRef>();
  for (const x of w.exits) {
    // With the start hidden, a release may undo an acquire we cannot see: not a requirement.
    if (fn.meta.entryKnown) for (const [obj, r] of x.state.entryReleased) requires.set(obj, { obj, ...r });
    for (const l of x.state.locks.values()) if (l.fromEntry) requires.set(l.obj, { obj: l.obj, family: l.family, mode: l.mode, irq: l.irq, line: l.line });
  }
  const contract = contractOf(fn.annotations);
  for (const obj of [...contract.mustHold, ...contract.releases])
    if (!requires.has(obj)) requires.set(obj, { obj, family: 'context', mode: 'exclusive', irq: 'none', line: fn.startLine });
  // An annotation says it takes the lock even when the visible body does not show where;
  // `__must_not_hold(x)` says it takes x (and lets it go): a caller holding x deadlocks.
  for (const obj of [...contract.acquires, ...contract.mustNotHold])
    if (!acquires.has(obj)) acquires.set(obj, { obj, family: 'context', mode: 'exclusive', irq: 'none', line: fn.startLine, always: true });

  // `ptl = pmd_lockptr(mm, pmd); spin_lock(ptl); return ptl;`: the lock it returns holding is
  // the value it returns. Callers name it as they name that value (the call), so it is said as
  // RETURNED_LOCK, which mapArgs() turns into the call's text.
  const returned = returnedLock(w, exits);
  if (returned) {
    const rename = (r: LockRef): LockRef => (r.obj === returned ? { ...r, obj: RETURNED_LOCK } : r);
    for (const [k, a] of [...acquires]) if (k === returned) acquires.set(k, { ...a, obj: RETURNED_LOCK });
    for (const e of exits) e.acquired = e.acquired.map(rename);
    const t = touches.get(returned);
    if (t) touches.set(returned, rename(t));
  }

  // Prefer a sleep on every path (its block dominates every return) to one on some paths.
  const sleeps = w.events.filter((e): e is Extract<typeof e, { k: 'may-sleep' }> => e.k === 'may-sleep');
  const everyPath = (e: (typeof sleeps)[number]): boolean =>
    e.root.always && fn.meta.entryKnown && returnBlocks.length > 0 && returnBlocks.every((r) => dominates(w.cfg, e.block, r));
  // A sleep with the caller's locks still held matters more to callers than one after dropping them.
  const sleep = sleeps.find((e) => everyPath(e) && !e.root.drops.length) ?? sleeps.find((e) => !e.root.drops.length) ?? sleeps.find(everyPath) ?? sleeps[0];
  return {
    name: fn.name,
    source: 'body',
    origin: `its body in the input (${fn.meta.completeness}${fn.meta.missing.length ? `: missing ${fn.meta.missing.join(', ')}` : ''})`,
    params: fn.params.map((p) => p.name),
    locals: new Set(fn.locals.map((l) => l.name)),
    localDefs: valueDefs(fn, new Set(fn.params.map((p) => p.name))),
    ...(w.events.some((e) => e.k === 'unnamed-release') ? { unnamedRelease: true } : {}),
    acquires: [...acquires.values()],
    exits,
    exitsKnown: !hiddenExits,
    touches: [...touches.values()],
    requires: [...requires.values()],
    refs,
    maySleep: sleep ? { why: sleep.root.why, line: sleep.root.line, via: sleep.root.via, always: everyPath(sleep), drops: sleep.root.drops } : null,
    partial: fn.meta.completeness !== 'full',
    contract: contractOf(fn.annotations),
    frees: freedParams(w, returnBlocks),
    mayFree: freedParams(w, returnBlocks, true),
    keeps: keptParams(w, callees),
    defers: deferredParams(w, deferrers, callees),
    mayKeep: passedOnParams(w, borrows, callees),
    flagClears: [
      ...new Set(
        fn.blocks.flatMap((b) =>
          b.ops.flatMap((op) => (op.kind === 'flag' && (op.action === 'clear' || op.action === 'test-clear') ? [`${op.word}:${op.bit}`] : [])),
        ),
      ),
    ],
  };
}

/**
 * References the function moves for its caller, on every known exit: taken on an object reached
 * from a parameter and kept, dropped without being taken here (the caller's), or returned
 * (every exit that does not report a failure returns a variable holding one).
 */
function refMoves(w: WalkResult): Summary['refs'] {
  const fn = w.fn;
  const params = new Set(fn.params.map((p) => p.name));
  const exits = w.exits;
  const none: Summary['refs'] = { gets: [], puts: [], returns: null };
  // Hidden code may take or drop references itself: only a fully visible function moves them for sure.
  if (!exits.length || !fn.meta.exitKnown || !fn.meta.entryKnown || fn.meta.gaps.length || w.budgetExceeded) return none;
  const fromParam = (obj: string): boolean => {
    const r = rootOf(obj);
    return !!r && params.has(r);
  };
  // A helper that tolerates NULL (`if (ops) module_put(ops->owner)`) moves the reference on every
  // exit where the object is not NULL: callers pass held, non-NULL objects.
  const moving = (obj: string): typeof exits => exits.filter((x) => !isNullOrErr(x.state, rootOf(obj) ?? obj));
  const onEvery = (obj: string, has: (x: (typeof exits)[number]) => boolean): boolean => {
    const xs = moving(obj);
    return xs.length > 0 && xs.every(has);
  };
  const gets = new Map<string, Summary['refs']['gets'][number]>();
  const puts = new Map<string, Summary['refs']['puts'][number]>();
  for (const x of exits) {
    for (const r of x.state.refs.values()) {
      if (gets.has(r.obj) || r.gapSince || !fromParam(r.obj) || !onEvery(r.obj, (y) => y.state.refs.has(r.obj))) continue;
      gets.set(r.obj, { obj: r.obj, pair: r.pair, source: r.source, line: r.line, ...(r.init ? { init: true } : {}) });
    }
    for (const [obj, p] of x.state.entryPut) {
      if (puts.has(obj) || !fromParam(obj) || !onEvery(obj, (y) => y.state.entryPut.has(obj))) continue;
      puts.set(obj, { obj, pair: p.pair, source: p.source, line: p.line, ...(p.count ? { count: p.count } : {}) });
    }
  }
  const mayPut = new Set<string>();
  for (const x of exits)
    for (const obj of x.state.entryPut.keys()) {
      const r = rootOf(obj);
      if (!puts.has(obj) && r && params.has(r) && obj === r) mayPut.add(r);
    }
  const failure = (c: string): boolean => c === 'neg' || c === 'errptr' || c === 'zero' || c === 'void';
  const success = exits.filter((x) => !failure(x.cls));
  const returned = success.length && success.every((x) => x.returnedRef) ? success[0]!.returnedRef! : null;
  // `kref_init(&r->kref); kref_get(&r->kref); return r;`: one for the caller, one for the
  // completion. Said when every such exit returns the same, exactly counted, number.
  const counts = new Set(success.map((x) => (x.returnedRef?.saturated ? 0 : (x.returnedRef?.count ?? 1))));
  const count = counts.size === 1 ? [...counts][0]! : 1;
  return {
    gets: [...gets.values()],
    puts: [...puts.values()],
    returns: returned ? { pair: returned.pair, source: returned.source, line: returned.line, ...(count > 1 ? { count } : {}) } : null,
    ...(mayPut.size ? { mayPut: [...mayPut] } : {}),
  };
}

/** Parameters a free op releases on every path to a return (the free's block dominates them all). */
/**
 * Parameters it frees on every path where they are not NULL (past a WARN_ON() that fired, it may
 * give up). With `some`: the ones it frees on some path (`if (flags & MALLOC) kvfree(p)`).
 */
function freedParams(w: WalkResult, returnBlocks: number[], some = false): string[] {
  const fn = w.fn;
  if ((!some && !returnBlocks.length) || !fn.meta.entryKnown || !fn.meta.exitKnown) return [];
  const params = new Set(fn.params.map((p) => p.name));
  const out = new Set<string>();
  // Returns reached only when the parameter is NULL (`if (!pl) return;`) free nothing to free.
  const blockOf = new Map<number | null, number[]>();
  for (const b of fn.blocks) if (b.term.k === 'return') blockOf.set(b.term.line, [...(blockOf.get(b.term.line) ?? []), b.id]);
  const nullOnly = (p: string, r: number): boolean => {
    const line = fn.blocks[r]?.term.line ?? null;
    const xs = w.exits.filter((x) => x.line === line && (blockOf.get(line) ?? []).includes(r));
    return xs.length > 0 && xs.every((x) => isNullOrErr(x.state, p));
  };
  // `struct foo *wreq = priv;`: a local whose only value is a parameter stands for it.
  const standsFor = new Map<string, string>();
  for (const b of fn.blocks)
    for (const op of b.ops)
      if (op.kind === 'assign' && !params.has(op.target) && op.value.k === 'var' && params.has(op.value.name))
        standsFor.set(op.target, standsFor.has(op.target) ? '' : op.value.name);
  for (const b of fn.blocks) for (const op of b.ops) if (op.kind === 'assign' && standsFor.has(op.target) && op.value.k !== 'var') standsFor.set(op.target, '');
  const paramOf = (obj: string): string | undefined => (params.has(obj) ? obj : standsFor.get(obj) || undefined);
  // Returns past a WARN_ON() that fired: the kernel reports a bug there and gives up.
  const warned = fn.blocks.flatMap((b) => (b.term.k === 'branch' && b.term.warns ? [b.term.t] : []));
  const onWarning = (r: number): boolean => warned.some((s) => dominates(w.cfg, s, r));
  for (const b of fn.blocks) {
    for (const op of b.ops) {
      if (op.kind !== 'free') continue;
      const p = paramOf(op.obj);
      if (p && (some || returnBlocks.every((r) => dominates(w.cfg, b.id, r) || nullOnly(op.obj, r) || onWarning(r)))) out.add(p);
    }
  }
  return [...out];
}

/**
 * Parameters it stores where they outlive the call: assigned into memory (`fc->priv = priv`), put
 * on a list (`list_add_tail(&req->list, &q->pending)`), handed to a callee rules/ say keeps them or
 * to one whose summary says so.
 * A reference the caller took on such an object goes with the stored pointer.
 */
function keptParams(w: WalkResult, callees?: SummaryTable): string[] {
  const fn = w.fn;
  const params = new Set(fn.params.map((p) => p.name));
  // A parameter assigned a new value inside is not the caller's object any more.
  for (const b of fn.blocks) for (const op of b.ops) if (op.kind === 'assign' && params.has(op.target)) params.delete(op.target);
  const out = new Set<string>();
  const locals = new Set([...fn.params.map((p) => p.name), ...fn.locals.map((l) => l.name)]);
  // Memory, or a global variable (`fib_info_hash = hash`); not a member of a struct or array on
  // the function's own stack (`key.folio = folio` for a wait key), which ends with the call.
  const outlives = (target: string): boolean => (isMemory(target) && !onStackMember(fn, target)) || (/^[A-Za-z_]\w*$/.test(target) && !locals.has(target));
  for (const b of fn.blocks) {
    for (const op of b.ops) {
      if (op.kind === 'assign' && outlives(op.target) && op.value.k === 'var' && params.has(op.value.name)) out.add(op.value.name);
      else if (op.kind === 'list' && op.node && (op.action === 'add' || op.action === 'add-tail') && params.has(rootOf(op.node) ?? ''))
        out.add(rootOf(op.node)!);
      else if (op.kind === 'ref' && op.action === 'keep' && params.has(op.obj)) out.add(op.obj);
      else if (op.kind === 'call' && callees) {
        // Through a callee that keeps it (for an ops-table call: every implementation in the unit).
        const names = op.indirect ? implementations(fn, op.callee) : [op.callee];
        const sums = names.map((n) => (n === fn.name ? undefined : callees.get(n)));
        if (!sums.length || sums.some((x) => !x)) continue;
        op.argText.forEach((a, i) => {
          if (params.has(a) && sums.every((x) => x!.keeps?.includes(x!.params[i] ?? ''))) out.add(a);
        });
      }
    }
  }
  return [...out];
}

/**
 * Parameters it queues to deferred work (`queue_delayed_work(wq, &args->work, ..)` in a helper
 * that starts an asynchronous registration), itself or through a callee that does: what the
 * caller holds for the work goes with it.
 */
function deferredParams(w: WalkResult, deferrers: ReadonlySet<string>, callees?: SummaryTable): string[] {
  const fn = w.fn;
  const params = new Set(fn.params.map((p) => p.name));
  const out = new Set<string>();
  for (const b of fn.blocks) {
    for (const op of b.ops) {
      if (op.kind !== 'call' || op.indirect) continue;
      const sum = callees?.get(op.callee);
      op.argText.forEach((a, i) => {
        const r = rootOf(a);
        if (!r || !params.has(r)) return;
        if (deferrers.has(op.callee) || (sum && op.callee !== fn.name && sum.defers?.includes(sum.params[i] ?? ''))) out.add(r);
      });
    }
  }
  return [...out];
}

/**
 * Parameters it gives to a callee that may keep them: one the unit does not show (not a rules/
 * borrower), or one whose own summary says so. What a caller allocated and passed here may have
 * been kept.
 */
function passedOnParams(w: WalkResult, borrows: (callee: string) => boolean, callees?: SummaryTable): string[] {
  const fn = w.fn;
  const params = new Set(fn.params.map((p) => p.name));
  const out = new Set<string>();
  for (const b of fn.blocks) {
    for (const op of b.ops) {
      if (op.kind !== 'call') continue;
      const sum = op.indirect || op.callee === fn.name ? undefined : callees?.get(op.callee);
      if (!op.indirect && !sum && borrows(op.callee)) continue;
      op.argText.forEach((a, i) => {
        // A member of it (`rb_link_node(&tm->node, ..)`) links the whole object in, whoever the callee.
        const r = rootOf(a);
        if (r && params.has(r) && a.startsWith('&') && a !== `&${r}`) {
          out.add(r);
          return;
        }
        if (!params.has(a)) return;
        const q = sum?.params[i] ?? '';
        if (!sum || sum.mayKeep?.includes(q) || sum.keeps?.includes(q)) out.add(a);
      });
    }
  }
  return [...out];
}

/**
 * `base = lock_timer_base(timer, ..)` (annotated `__acquires(timer->base->lock)`), then
 * `raw_spin_unlock(&base->lock)`: the release through a local named after the field it was
 * loaded from is the release of the lock the annotation named. Neither is left for callers.
 */
function pairThroughLocal(acquired: LockRef[], released: LockRef[], fn: FunctionIR): void {
  const params = new Set(fn.params.map((p) => p.name));
  for (let i = released.length - 1; i >= 0; i--) {
    const m = /^&([A-Za-z_]\w*)(->.+)$/.exec(released[i]!.obj);
    if (!m || params.has(m[1]!) || !fn.locals.some((l) => l.name === m[1])) continue;
    const j = acquired.findIndex((a) => a.family === 'context' && a.obj.endsWith(`->${m[1]}${m[2]}`));
    if (j < 0) continue;
    acquired.splice(j, 1);
    released.splice(i, 1);
  }
}

/**
 * The lock held on every return that holds anything, where each such return gives the lock
 * itself back (`return ptl;` with `ptl` the lock, directly or as the one spelling the function
 * uses for it); null otherwise.
 */
function returnedLock(w: WalkResult, exits: ExitEffect[]): string | null {
  const holding = w.exits.filter((x) => x.state.locks.size);
  if (!holding.length || !exits.some((e) => e.acquired.length)) return null;
  const aliases = lockAliases(w.fn);
  let lock: string | null = null;
  for (const x of holding) {
    const v = x.value?.k === 'var' ? x.value.name : x.value?.k === 'path' ? x.value.path : null;
    if (!v) return null;
    const named = canonicalIndexes(aliases.get(v) ?? v);
    const held = [...x.state.locks.values()].filter((l) => !l.fromEntry && !l.scoped);
    if (held.length !== 1 || canonicalIndexes(held[0]!.obj) !== named || (lock !== null && lock !== held[0]!.obj)) return null;
    lock = held[0]!.obj;
  }
  return lock;
}

/** `&t->slots[i]` as lock objects spell it: a variable index is any element, `[]`. */
function canonicalIndexes(text: string): string {
  return text.replace(/\[([^[\]]*)\]/g, (_, i: string) => subscript(i.trim()));
}

// Which members can be seen by more than one thread of a scenario: a static partial-order
// reduction. An operation on a member only one thread's code ever touches commutes with everything
// the other threads do, so it need not be a scheduling point. Members are told apart by name (the
// last field of the path), which is conservative: two structs' `lock` members count as one.

import type { FunctionIR, Op } from '../../c/ir.js';
import { parsePath, type AccessPath } from '../../c/path.js';

/** The member an object path ends in (`lock` of `&md->md_lock`? `md_lock`), null for a bare name. */
export function memberOf(path: string | null | undefined): string | null {
  if (!path) return null;
  const p: AccessPath | null = parsePath(path);
  if (!p) return null;
  let q = p;
  while (!q.steps.length && q.root.k === 'paren') q = q.root.inner;
  const last = q.steps[q.steps.length - 1];
  return last ? last.field : null;
}

function opPaths(op: Op): (string | null)[] {
  switch (op.kind) {
    case 'acquire':
    case 'release':
      return [op.obj];
    case 'flag':
      return [op.word];
    case 'list':
      return [op.head, op.node, op.target];
    case 'atomic':
      return [op.obj];
    case 'access':
      return [op.path];
    case 'assign':
      return [op.target];
    default:
      return [];
  }
}

function reach(fn: FunctionIR, fns: Map<string, FunctionIR>, out: Set<FunctionIR>): void {
  if (out.has(fn) || out.size > 400) return;
  out.add(fn);
  for (const b of fn.blocks)
    for (const op of b.ops)
      if (op.kind === 'call' && !op.indirect) {
        const g = fns.get(op.callee);
        if (g) reach(g, fns, out);
      }
}

/**
 * Members that two of the scenario's threads may both touch. `threads` lists, per thread, the
 * functions of the input it runs (a function two threads run appears for both); `extra` names the
 * members the model's own steps (scripts, hooks) touch.
 */
export function sharedMembers(threads: FunctionIR[][], fns: Map<string, FunctionIR>, extra: string[] = []): Set<string> {
  const by = new Map<string, Set<number>>();
  threads.forEach((entries, i) => {
    const all = new Set<FunctionIR>();
    for (const e of entries) reach(e, fns, all);
    for (const f of all)
      for (const b of f.blocks)
        for (const op of b.ops) {
          for (const p of opPaths(op)) {
            const m = memberOf(p);
            if (m) (by.get(m) ?? by.set(m, new Set()).get(m)!).add(i);
          }
        }
  });
  const out = new Set(extra);
  for (const [m, who] of by) if (who.size > 1) out.add(m);
  return out;
}

/** Can an op on these paths be seen by another thread? Bare names (a pointer to who knows what) always can. */
export function mayBeShared(shared: Set<string> | undefined, paths: (string | null | undefined)[]): boolean {
  if (!shared) return true;
  const named = paths.filter((p): p is string => !!p);
  if (!named.length) return true;
  return named.some((p) => {
    const m = memberOf(p);
    return m === null || shared.has(m);
  });
}

/**
 * Does a callee matter to the scenario: does it (or what it calls) touch a shared member or make a
 * call the model or the explorer gives meaning to? One that does not is not followed: its effects
 * cannot reach another thread (its result is not known).
 */
export function relevance(fns: Map<string, FunctionIR>, shared: Set<string>, meaningful: (callee: string) => boolean): (fn: FunctionIR) => boolean {
  const memo = new Map<FunctionIR, boolean>();
  return (fn) => {
    const hit = memo.get(fn);
    if (hit !== undefined) return hit;
    const all = new Set<FunctionIR>();
    reach(fn, fns, all);
    let yes = false;
    outer: for (const f of all)
      for (const b of f.blocks)
        for (const op of b.ops) {
          if (op.kind === 'call' && !op.indirect && meaningful(op.callee)) {
            yes = true;
            break outer;
          }
          if (op.kind === 'ref' && meaningful(op.primitive)) {
            yes = true;
            break outer;
          }
          for (const p of opPaths(op)) {
            const m = memberOf(p);
            if (m !== null && shared.has(m)) {
              yes = true;
              break outer;
            }
          }
        }
    memo.set(fn, yes);
    return yes;
  };
}

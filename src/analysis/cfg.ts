// Graph facts about a function's CFG that the engine and checks need: successors, predecessors,
// dominators (which blocks every path from the entry passes through) and reachability.

import type { Block, FunctionIR, Terminator } from '../c/ir.js';

export function successors(t: Terminator): number[] {
  switch (t.k) {
    case 'jump':
      return [t.to];
    case 'branch':
      return t.t === t.f ? [t.t] : [t.t, t.f];
    case 'switch':
      return [...new Set(t.cases.map((c) => c.to))];
    default:
      return [];
  }
}

export interface CfgInfo {
  preds: number[][];
  /** Immediate dominator of each block (-1: unreachable; the entry is its own). */
  idom: Int32Array;
  /** Entry and exit times of each block in a walk of the dominator tree: a dominates b iff b's span is inside a's. */
  pre: Int32Array;
  post: Int32Array;
  reachable: Set<number>;
}

export function analyzeCfg(fn: FunctionIR): CfgInfo {
  const n = fn.blocks.length;
  const preds: number[][] = Array.from({ length: n }, () => []);
  for (const b of fn.blocks) for (const s of successors(b.term)) if (s < n) preds[s]!.push(b.id);

  const reachable = new Set<number>();
  const stack = [0];
  while (stack.length) {
    const b = stack.pop()!;
    if (reachable.has(b) || b >= n) continue;
    reachable.add(b);
    for (const s of successors(fn.blocks[b]!.term)) stack.push(s);
  }

  // Immediate dominators (Cooper, Harvey and Kennedy's iteration over the reverse postorder):
  // linear in memory, where sets of dominators per block grow with the square of a long function.
  const order = reversePostorder(fn.blocks);
  const rpo = new Int32Array(n).fill(-1);
  order.forEach((b, i) => {
    rpo[b] = i;
  });
  const idom = new Int32Array(n).fill(-1);
  if (n) idom[0] = 0;
  const intersect = (a: number, b: number): number => {
    while (a !== b) {
      while (rpo[a]! > rpo[b]!) a = idom[a]!;
      while (rpo[b]! > rpo[a]!) b = idom[b]!;
    }
    return a;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (const b of order) {
      if (b === 0) continue;
      let d = -1;
      for (const p of preds[b]!) if (idom[p] !== -1) d = d === -1 ? p : intersect(p, d);
      if (d !== -1 && idom[b] !== d) {
        idom[b] = d;
        changed = true;
      }
    }
  }
  // Number the dominator tree depth first (without recursion: long functions make deep trees).
  const children: number[][] = Array.from({ length: n }, () => []);
  for (let b = 1; b < n; b++) if (idom[b] !== -1) children[idom[b]!]!.push(b);
  const pre = new Int32Array(n).fill(-1);
  const post = new Int32Array(n).fill(-1);
  let clock = 0;
  if (n) {
    const walk: [number, number][] = [[0, 0]];
    pre[0] = clock++;
    while (walk.length) {
      const top = walk[walk.length - 1]!;
      const kids = children[top[0]]!;
      if (top[1] < kids.length) {
        const c = kids[top[1]++]!;
        pre[c] = clock++;
        walk.push([c, 0]);
      } else {
        post[top[0]] = clock++;
        walk.pop();
      }
    }
  }
  return { preds, idom, pre, post, reachable };
}

function reversePostorder(blocks: Block[]): number[] {
  const seen = new Set<number>();
  const out: number[] = [];
  const visit = (b: number): void => {
    // Explicit stack: CFGs of long functions can be deep.
    const stack: [number, number][] = [[b, 0]];
    seen.add(b);
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const succ = blocks[top[0]] ? successors(blocks[top[0]]!.term) : [];
      if (top[1] < succ.length) {
        const s = succ[top[1]++]!;
        if (!seen.has(s) && s < blocks.length) {
          seen.add(s);
          stack.push([s, 0]);
        }
      } else {
        out.push(top[0]);
        stack.pop();
      }
    }
  };
  if (blocks.length) visit(0);
  return out.reverse();
}

/** Does every path from the entry to `b` pass through `a` (both reachable; a block dominates itself)? */
export function dominates(info: CfgInfo, a: number, b: number): boolean {
  const pa = info.pre[a] ?? -1;
  const pb = info.pre[b] ?? -1;
  return pa >= 0 && pb >= 0 && pa <= pb && info.post[b]! <= info.post[a]!;
}

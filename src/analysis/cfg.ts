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
  /** dom[b] = set of blocks dominating b (including b); undefined for unreachable blocks. */
  dom: (Set<number> | undefined)[];
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

  // Iterative dominator sets (functions are small; clarity over Lengauer-Tarjan).
  const order = reversePostorder(fn.blocks);
  const dom: (Set<number> | undefined)[] = new Array(n).fill(undefined);
  if (n) dom[0] = new Set([0]);
  let changed = true;
  while (changed) {
    changed = false;
    for (const b of order) {
      if (b === 0) continue;
      let acc: Set<number> | undefined;
      for (const p of preds[b]!) {
        const dp = dom[p];
        if (!dp) continue;
        if (!acc) acc = new Set(dp);
        else for (const x of acc) if (!dp.has(x)) acc.delete(x);
      }
      if (!acc) continue;
      acc.add(b);
      const old = dom[b];
      if (!old || old.size !== acc.size || [...acc].some((x) => !old.has(x))) {
        dom[b] = acc;
        changed = true;
      }
    }
  }
  return { preds, dom, reachable };
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

export function dominates(info: CfgInfo, a: number, b: number): boolean {
  return !!info.dom[b]?.has(a);
}

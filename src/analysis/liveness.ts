// Which local variables and op results a block may still read: value facts about anything else
// cannot change what happens next, so the engine drops them at block entry. Without this, a loop
// counter that is dead after its loop (`i` of an inner loop) keeps the states of an outer loop
// apart and forces widening that also forgets the facts that matter (`if (try) lock ... if (try) unlock`).

import type { Block, Expr, FunctionIR, Op, Terminator } from '../c/ir.js';
import { BUDGETS } from '../budgets.js';
import { successors } from './cfg.js';
import { bitKey, condKey } from './values.js';

export interface Liveness {
  /** Per block: the variables, field paths and result ids read on some path from its entry before being redefined. */
  liveIn: Set<string>[];
}

const IDENT = /[A-Za-z_]\w*/g;

/**
 * Names an expression reads: variables by name, field paths by their text, op results as `#id`,
 * and conditions remembered whole (values.ts condKey) by their key.
 */
function exprUses(e: Expr, out: Set<string>): void {
  const k = condKey(e);
  if (k) out.add(k);
  switch (e.k) {
    case 'var':
      out.add(e.name);
      return;
    case 'path':
      out.add(e.path);
      out.add(e.path.replace(/^[&*(]+/, '').split(/->|\.|\[/)[0]!);
      return;
    case 'result':
      out.add(`#${e.id}`);
      return;
    case 'errptr':
      exprUses(e.arg, out);
      return;
    case 'not':
    case 'is_err':
    case 'addr':
      exprUses(e.e, out);
      return;
    case 'logic':
    case 'cmp':
      exprUses(e.a, out);
      exprUses(e.b, out);
      return;
    case 'arith':
      exprUses(e.a, out);
      if (e.b) exprUses(e.b, out);
      return;
    case 'cond':
      exprUses(e.c, out);
      exprUses(e.t, out);
      exprUses(e.f, out);
      return;
    case 'unknown':
      for (const m of e.text.match(IDENT) ?? []) out.add(m);
      return;
    default:
      return;
  }
}

function opUses(op: Op, out: Set<string>): void {
  switch (op.kind) {
    case 'assign':
      exprUses(op.value, out);
      break;
    case 'call':
      for (const a of op.args) exprUses(a, out);
      break;
    case 'flag': {
      const k = op.action === 'test' ? bitKey(op.word, op.bit) : null;
      if (k) out.add(k);
      break;
    }
    case 'alloc':
      if (op.gfp) for (const m of op.gfp.match(IDENT) ?? []) out.add(m);
      break;
    // A put or free of a pointer the path knows is NULL does nothing (`of_node_put(cursor)` after the loop ran out).
    case 'ref':
    case 'free': {
      const m = /^[A-Za-z_]\w*/.exec(op.obj);
      if (m) out.add(m[0]);
      break;
    }
    default:
      break;
  }
}

function termUses(t: Terminator, out: Set<string>): void {
  if (t.k === 'branch') exprUses(t.cond, out);
  else if (t.k === 'switch') {
    exprUses(t.on, out);
    for (const c of t.cases) if (c.match !== 'default') for (const m of c.match) exprUses(m, out);
  } else if (t.k === 'return' && t.value) exprUses(t.value, out);
}

/** Variables a block defines before reading them, and what it reads first (backwards over its ops). */
function useDef(b: Block): { use: Set<string>; def: Set<string> } {
  const use = new Set<string>();
  const def = new Set<string>();
  termUses(b.term, use);
  for (let i = b.ops.length - 1; i >= 0; i--) {
    const op = b.ops[i]!;
    // A plain variable or a field path is (re)defined by an assignment to it.
    const d = op.kind === 'assign' ? op.target : null;
    const r = 'result' in op && op.result ? `#${op.result}` : null;
    for (const x of [d, r])
      if (x) {
        use.delete(x);
        def.add(x);
      }
    opUses(op, use);
  }
  return { use, def };
}

/**
 * Live sets per block. Their total size grows with blocks times names: past
 * `BUDGETS.livenessEntries` (a function of 20,000 `if`s) nothing is pruned, which only keeps more
 * facts, and the engine's own visit budget bounds the walk.
 */
export function liveness(fn: FunctionIR): Liveness {
  const n = fn.blocks.length;
  const ud = fn.blocks.map(useDef);
  const liveIn: Set<string>[] = ud.map((x) => new Set(x.use));
  let total = liveIn.reduce((a, s) => a + s.size, 0);
  const succ = fn.blocks.map((b) => successors(b.term).filter((s) => s < n));
  let changed = true;
  while (changed) {
    changed = false;
    for (let b = n - 1; b >= 0; b--) {
      const cur = liveIn[b]!;
      const { def } = ud[b]!;
      for (const s of succ[b]!) {
        for (const x of liveIn[s]!) {
          if (!def.has(x) && !cur.has(x)) {
            cur.add(x);
            changed = true;
            if (++total > BUDGETS.livenessEntries) return { liveIn: [] };
          }
        }
      }
    }
  }
  return { liveIn };
}

// Which variables a block of a function may still read, for the explorer: the interpreter reads a
// variable whenever an op names it, as a value or as the root of the object it acts on (a list
// head, a lock, a flag word). Variables no later code reads are dropped, so that two states that
// differ only in them are one state. (The engine's liveness.ts counts value uses only.)

import type { Block, Expr, FunctionIR, Op } from '../../c/ir.js';
import { successors } from '../cfg.js';
import { parsePath, rootVar } from '../../c/path.js';

const IDENT = /[A-Za-z_]\w*/g;

function pathRoots(text: string | null | undefined, out: Set<string>): void {
  if (!text) return;
  const p = parsePath(text);
  const r = p ? rootVar(p) : null;
  if (r) out.add(r);
  // Call roots (`container_of(w, ...)->x`) and anything unparsed: every name in it.
  if (p?.root.k !== 'var') for (const m of text.match(IDENT) ?? []) out.add(m);
}

function exprRoots(e: Expr, out: Set<string>): void {
  switch (e.k) {
    case 'var':
      out.add(e.name);
      return;
    case 'path':
      pathRoots(e.path, out);
      return;
    case 'errptr':
      exprRoots(e.arg, out);
      return;
    case 'not':
    case 'is_err':
    case 'addr':
      exprRoots(e.e, out);
      return;
    case 'logic':
    case 'cmp':
      exprRoots(e.a, out);
      exprRoots(e.b, out);
      return;
    case 'arith':
      exprRoots(e.a, out);
      if (e.b) exprRoots(e.b, out);
      return;
    case 'cond':
      exprRoots(e.c, out);
      exprRoots(e.t, out);
      exprRoots(e.f, out);
      return;
    case 'unknown':
      for (const m of e.text.match(IDENT) ?? []) out.add(m);
      return;
    default:
      return;
  }
}

function opReads(op: Op, out: Set<string>): void {
  switch (op.kind) {
    case 'acquire':
    case 'release':
      pathRoots(op.obj, out);
      if (op.flags) out.add(op.flags);
      return;
    case 'flag':
      pathRoots(op.word, out);
      return;
    case 'list':
      pathRoots(op.head, out);
      pathRoots(op.node, out);
      pathRoots(op.target, out);
      return;
    case 'atomic':
    case 'ref':
    case 'free':
      pathRoots(op.obj, out);
      return;
    case 'access':
      pathRoots(op.path, out);
      return;
    case 'alloc':
      return;
    case 'call':
      for (const a of op.args) exprRoots(a, out);
      for (const a of op.argText) pathRoots(a, out);
      return;
    case 'assign':
      exprRoots(op.value, out);
      // `x->f = v` reads x; `x = v` does not.
      if (/->|\.|\[|^\*/.test(op.target)) pathRoots(op.target, out);
      return;
    default:
      return;
  }
}

function blockReads(b: Block): { use: Set<string>; def: Set<string> } {
  const use = new Set<string>();
  const def = new Set<string>();
  const t = b.term;
  if (t.k === 'branch') exprRoots(t.cond, use);
  else if (t.k === 'switch') {
    exprRoots(t.on, use);
    for (const c of t.cases) if (c.match !== 'default') for (const m of c.match) exprRoots(m, use);
  } else if (t.k === 'return' && t.value) exprRoots(t.value, use);
  for (let i = b.ops.length - 1; i >= 0; i--) {
    const op = b.ops[i]!;
    if (op.kind === 'assign' && /^[A-Za-z_]\w*$/.test(op.target)) {
      use.delete(op.target);
      def.add(op.target);
    }
    opReads(op, use);
  }
  return { use, def };
}

const cache = new WeakMap<FunctionIR, Set<string>[]>();

/** The variables each block may read before writing them, on some path from its entry. */
export function liveVariables(fn: FunctionIR): Set<string>[] {
  const hit = cache.get(fn);
  if (hit) return hit;
  const ud = fn.blocks.map(blockReads);
  const live = ud.map((x) => new Set(x.use));
  const succ = fn.blocks.map((b) => successors(b.term));
  for (let changed = true; changed; ) {
    changed = false;
    for (let b = fn.blocks.length - 1; b >= 0; b--) {
      for (const s of succ[b]!) {
        for (const x of live[s] ?? []) {
          if (!ud[b]!.def.has(x) && !live[b]!.has(x)) {
            live[b]!.add(x);
            changed = true;
          }
        }
      }
    }
  }
  cache.set(fn, live);
  return live;
}

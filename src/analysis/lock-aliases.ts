// Two spellings of one lock in a function, made one object:
//   spinlock_t *ptl = &dev->lock;            spin_lock(ptl) ... spin_unlock(&dev->lock)
//   spinlock_t *lock = group_lock_ptr(sb, g); spin_lock(lock) ... spin_unlock(group_lock_ptr(sb, g))
//   struct sbi *sbi = SBI(inode->sb);         spin_lock(&SBI(inode->sb)->lk) ... spin_unlock(&sbi->lk)
// A local pointer assigned once (and nothing else, not through its address) from an address, a
// field or an accessor call is that value everywhere in the function. A local that is the lock itself always takes the other
// spelling (its name means nothing to callers); a local that is the root of a lock's path does so
// only where the function also writes the other spelling.

import type { Expr, FunctionIR, Op } from '../c/ir.js';
import { parsePath, printPath, rootOf } from '../c/path.js';

type CallOp = Extract<Op, { kind: 'call' }>;

/** The text a value names when it is a stable expression: `&dev->lock`, `dev->lockp`, `acc(sb, g)`. */
function valueText(e: Expr, calls: Map<string, CallOp>): string | null {
  if (e.k === 'path') return e.path;
  if (e.k === 'addr' && e.e.k === 'var') return `&${e.e.name}`;
  if (e.k === 'addr' && e.e.k === 'path') return `&${e.e.path}`;
  if (e.k === 'result') {
    const c = calls.get(e.id);
    if (c && !c.indirect) return `${c.callee}(${c.argText.join(', ')})`;
  }
  return null;
}

/** The path with its root variable replaced by an expression's text. */
function reroot(obj: string, root: string, text: string): string | null {
  const p = parsePath(obj);
  const e = parsePath(text);
  if (!p || !e || p.root.k !== 'var' || p.root.name !== root || p.derefs || !p.steps.length || p.steps[0]!.op !== '->') return null;
  if (e.addr) {
    // `&s->inner` rooted: `&x->f` becomes `&s->inner.f`.
    const [first, ...rest] = p.steps;
    return printPath({ ...p, root: e.root, steps: [...e.steps, { op: '.', field: (first as { field: string }).field }, ...rest] });
  }
  return printPath({ ...p, root: e.root, steps: [...e.steps, ...p.steps] });
}

/** lock object as written -> the one spelling used for it in the function. */
export function lockAliases(fn: FunctionIR): Map<string, string> {
  const pointers = new Set(fn.locals.filter((l) => l.type.includes('*')).map((l) => l.name));
  const calls = new Map<string, CallOp>();
  const objs = new Set<string>();
  for (const b of fn.blocks)
    for (const op of b.ops) {
      if (op.kind === 'call' && op.result) calls.set(op.result, op);
      else if (op.kind === 'acquire' || op.kind === 'release') objs.add(op.obj);
    }
  const seen = new Map<string, string | null>();
  for (const b of fn.blocks) {
    for (const op of b.ops) {
      // `pte_offset_map_lock(mm, pmd, addr, &ptl)` sets it too: not one value.
      if (op.kind === 'call') for (const a of op.argText) if (a.startsWith('&') && pointers.has(a.slice(1))) seen.set(a.slice(1), null);
      if (op.kind !== 'assign' || !pointers.has(op.target)) continue;
      const a = valueText(op.value, calls);
      const cur = seen.get(op.target);
      // Two different values, or anything else assigned: not one object.
      seen.set(op.target, cur === undefined ? a : cur === a ? a : null);
    }
  }
  const out = new Map<string, string>();
  for (const [v, a] of seen) {
    if (!a) continue;
    if (objs.has(v)) out.set(v, a);
    for (const o of objs) {
      if (o === v || rootOf(o) !== v) continue;
      const other = reroot(o, v, a);
      if (other && objs.has(other)) out.set(o, other);
    }
  }
  return out;
}

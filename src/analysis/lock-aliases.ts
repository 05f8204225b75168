// Locals that name a lock: `spinlock_t *ptl = &dev->lock; spin_lock(ptl); ... spin_unlock(&dev->lock);`.
// A local pointer assigned the address of one lock (and nothing else) is that lock everywhere in
// the function, so both spellings are one object.

import type { Expr, FunctionIR } from '../c/ir.js';

function addressText(e: Expr): string | null {
  if (e.k === 'path' && e.path.startsWith('&')) return e.path;
  if (e.k === 'addr' && e.e.k === 'var') return `&${e.e.name}`;
  if (e.k === 'addr' && e.e.k === 'path') return `&${e.e.path}`;
  return null;
}

/** local variable -> the lock object it always points to. */
export function lockAliases(fn: FunctionIR): Map<string, string> {
  const locals = new Set(fn.locals.filter((l) => l.type.includes('*')).map((l) => l.name));
  const seen = new Map<string, string | null>();
  for (const b of fn.blocks) {
    for (const op of b.ops) {
      if (op.kind !== 'assign' || !locals.has(op.target)) continue;
      const a = addressText(op.value);
      const cur = seen.get(op.target);
      // Two different addresses, or anything else assigned: not one lock.
      seen.set(op.target, cur === undefined ? a : cur === a ? a : null);
    }
  }
  const out = new Map<string, string>();
  for (const [v, a] of seen) if (a) out.set(v, a);
  return out;
}

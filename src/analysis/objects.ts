// Objects across function boundaries: a callee's `&p->lock` is the caller's `&dev->lock` when the
// caller passed `dev` for `p`; and `&ictx->wb_lock` is `netfs_inode.wb_lock` when `ictx` is a
// `struct netfs_inode *`, which is how rules/ name objects.

import type { FunctionIR } from '../c/ir.js';

const ROOT = /^(&?)([A-Za-z_]\w*)(.*)$/s;

/** The variable an object path starts from (`&ploop->bat_lock` -> `ploop`). */
export function rootOf(obj: string): string | null {
  const m = ROOT.exec(obj);
  return m ? m[2]! : null;
}

/** Is `path` a dereference of `name` (`name->x`, `name[..]`, `*name`)? */
export function derefs(path: string, name: string): boolean {
  const p = path.replace(/^&/, '');
  return p.startsWith(`${name}->`) || p.startsWith(`${name}[`) || p === `*${name}` || p.startsWith(`(*${name})`);
}

/**
 * Rewrite a callee object in the caller's terms. `params` are the callee's parameter names, `args`
 * the caller's normalised argument texts. Returns null when the object is rooted in a callee local
 * (it means nothing to the caller). Objects rooted in globals come back unchanged.
 */
export function substitute(obj: string, params: string[], args: string[], calleeLocals: Set<string>): string | null {
  const m = ROOT.exec(obj);
  if (!m) return obj;
  const [, amp, root, rest] = m as unknown as [string, string, string, string];
  const i = params.indexOf(root);
  if (i < 0) return calleeLocals.has(root) ? null : obj;
  const arg = args[i];
  if (arg === undefined || arg === '') return null;
  if (!rest) return `${amp}${arg}`;
  // &arg (address of a struct) followed by ->field becomes arg.field
  if (arg.startsWith('&') && rest.startsWith('->')) return `${amp}${arg.slice(1)}.${rest.slice(2)}`;
  if (/^[A-Za-z_][\w>.\-[\]]*$/.test(arg)) return `${amp}${arg}${rest}`;
  return `${amp}(${arg})${rest}`;
}

/** The struct type a variable points to, from the function's declarations (`struct md_page *` -> `md_page`). */
export function structOf(fn: FunctionIR, name: string): string | null {
  const decl = fn.params.find((p) => p.name === name) ?? fn.locals.find((l) => l.name === name);
  if (!decl) return null;
  const m = /\b(?:struct|union)\s+([A-Za-z_]\w*)/.exec(decl.type);
  return m ? m[1]! : null;
}

/**
 * Type-qualified form of an object: `&ictx->wb_lock` -> `netfs_inode.wb_lock` when `ictx` is a
 * `struct netfs_inode *`. Null when the root's type is unknown.
 */
export function typedObject(fn: FunctionIR, obj: string): string | null {
  const m = /^&?([A-Za-z_]\w*)(?:->|\.)([A-Za-z_]\w*)(.*)$/.exec(obj);
  if (!m) return null;
  const t = structOf(fn, m[1]!);
  return t ? `${t}.${m[2]}${m[3]!.replace(/->/g, '.')}` : null;
}

/**
 * The object a reference counts. A count embedded in a structure (`&grp->kref`, `&pdev->dev`,
 * `member`) is a reference on the structure, so kref_get(&grp->kref) pairs with grp_put(grp) and
 * returning `grp` hands it on; a pointer member (`ps->sk`) names the object it points to.
 */
export function refKey(obj: string, member = false): string {
  if (!member) return obj;
  // The object that embeds the count is the last one dereferenced: `&d->parent->ref` counts
  // `d->parent`, `&p->refs[i]` and `&p->dev.kobj` count `p`.
  const p = obj.replace(/^&/, '');
  const at = p.lastIndexOf('->');
  if (at > 0) return p.slice(0, at);
  return rootOf(obj) ?? obj;
}

/**
 * An array element's lock (`&q->ring[i].lock`) in a function with loops: the name stands for
 * several locks, so taking or dropping it twice on one path, or holding it on some returns, says
 * nothing about any one of them.
 */
export function manyInstances(fn: FunctionIR, obj: string): boolean {
  return obj.includes('[]') && fn.blocks.some((b) => b.loopHead);
}

const loopVarsCache = new WeakMap<FunctionIR, Set<string>>();

/** Variables assigned inside a loop (iterator cursors, `pos = pos->next`): each pass names another object. */
export function loopAssigned(fn: FunctionIR): Set<string> {
  const hit = loopVarsCache.get(fn);
  if (hit) return hit;
  const n = fn.blocks.length;
  const succ = fn.blocks.map((b) => {
    const t = b.term;
    return t.k === 'jump' ? [t.to] : t.k === 'branch' ? [t.t, t.f] : t.k === 'switch' ? t.cases.map((c) => c.to) : [];
  });
  // A block is in a loop when it can reach itself.
  const inLoop = (start: number): boolean => {
    const seen = new Set<number>();
    const stack = [...succ[start]!];
    while (stack.length) {
      const b = stack.pop()!;
      if (b === start) return true;
      if (seen.has(b) || b >= n) continue;
      seen.add(b);
      stack.push(...succ[b]!);
    }
    return false;
  };
  const out = new Set<string>();
  if (fn.blocks.some((b) => b.loopHead)) {
    for (const b of fn.blocks) {
      const targets = b.ops.filter((op) => op.kind === 'assign' && /^[A-Za-z_]\w*$/.test(op.target)).map((op) => (op.kind === 'assign' ? op.target : ''));
      if (targets.length && inLoop(b.id)) for (const t of targets) out.add(t);
    }
  }
  loopVarsCache.set(fn, out);
  return out;
}

/** A lock rooted at a variable that a loop reassigns: taking it again on a later pass is another object's. */
export function reassignedInLoop(fn: FunctionIR, obj: string): boolean {
  const r = rootOf(obj);
  return !!r && obj !== r && loopAssigned(fn).has(r);
}

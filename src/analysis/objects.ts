// Objects across function boundaries: a callee's `&p->lock` is the caller's `&dev->lock` when the
// caller passed `dev` for `p`; and `&ictx->wb_lock` is `netfs_inode.wb_lock` when `ictx` is a
// `struct netfs_inode *`, which is how rules/ name objects.

import type { FunctionIR, Op } from '../c/ir.js';
import { hasVariableIndex, parsePath, printPath, printStep, rootOf } from '../c/path.js';

export { rootOf };

/** Is `path` a dereference of `name` (`name->x`, `name[..]`, `*name`, `(*name)->x`)? */
export function derefs(path: string, name: string): boolean {
  const p = parsePath(path);
  if (!p) return false;
  if (p.root.k === 'var') return p.root.name === name && (p.derefs > 0 || p.steps[0]?.op === '->' || p.steps[0]?.op === '[]');
  if (p.root.k === 'paren') {
    const q = p.root.inner;
    return q.root.k === 'var' && q.root.name === name && q.derefs > 0 && !q.addr;
  }
  return false;
}

/** A plain path text that needs no parentheses before `->`: `dev`, `dev->parent`, `q->lock[READ]`. */
const PLAIN = /^[A-Za-z_][\w>.\-[\]]*$/;

/**
 * Rewrite a callee object in the caller's terms. `params` are the callee's parameter names, `args`
 * the caller's normalised argument texts. Returns null when the object is rooted in a callee local
 * (it means nothing to the caller). Objects rooted in globals come back unchanged.
 */
export function substitute(obj: string, params: string[], args: string[], calleeLocals: Set<string>, localDefs?: Map<string, string>): string | null {
  const p = parsePath(obj);
  if (!p) return obj;
  // A local that only names a value of the parameters: that value, in the caller's terms.
  const def = p.root.k === 'var' ? localDefs?.get(p.root.name) : undefined;
  if (def !== undefined) {
    const inner = parsePath(def);
    if (!inner) return null;
    const whole = inner.addr || inner.derefs ? { ...p, root: { k: 'paren' as const, inner } } : { ...p, root: inner.root, steps: [...inner.steps, ...p.steps] };
    return substitute(printPath(whole), params, args, calleeLocals);
  }
  if (p.root.k !== 'var') {
    if (p.root.k === 'call') {
      // An accessor's value (`&EXT4_I(inode)->i_data_sem`): its arguments in the caller's terms.
      const text = p.root.text;
      const open = text.indexOf('(');
      const inner = splitArgs(text.slice(open + 1, -1)).map((a) => substitute(a, params, args, calleeLocals));
      if (inner.some((a) => a === null)) return null;
      return printPath({ ...p, root: { k: 'call', text: `${text.slice(0, open)}(${inner.join(', ')})` } });
    }
    const inner = substitute(printPath(p.root.inner), params, args, calleeLocals);
    return inner === null ? null : printPath({ ...p, root: { k: 'paren', inner: parsePath(inner) ?? p.root.inner } });
  }
  const root = p.root.name;
  const i = params.indexOf(root);
  if (i < 0) return calleeLocals.has(root) ? null : obj;
  const arg = args[i];
  if (arg === undefined || arg === '') return null;
  const amp = p.addr ? '&' : '';
  let derefs = p.derefs;
  let base = arg;
  // *p with p = &x is x.
  while (derefs > 0 && base.startsWith('&')) {
    base = base.slice(1);
    derefs--;
  }
  const stars = '*'.repeat(derefs);
  const rest = p.steps.map(printStep).join('');
  if (!rest) return `${amp}${stars}${derefs && !PLAIN.test(base) ? `(${base})` : base}`;
  // &arg (address of a struct) followed by ->field becomes arg.field
  if (base.startsWith('&') && rest.startsWith('->')) return `${amp}${stars}${base.slice(1)}.${rest.slice(2)}`;
  if (PLAIN.test(base)) return `${amp}${stars}${base}${rest}`;
  return `${amp}${stars}(${base})${rest}`;
}

/** The top-level comma-separated parts of an argument list's text. */
function splitArgs(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (c === ',' && depth === 0) {
      out.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  if (s.trim()) out.push(s.slice(start).trim());
  return out;
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
  const p = parsePath(obj);
  if (p?.root.k !== 'var' || p.derefs || !p.steps.length || p.steps[0]!.op === '[]') return null;
  const t = structOf(fn, p.root.name);
  return t ? `${t}${p.steps.map((s) => (s.op === '[]' ? printStep(s) : `.${s.field}`)).join('')}` : null;
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
  const p = parsePath(obj);
  if (!p) return obj.replace(/^&/, '');
  let last = -1;
  p.steps.forEach((s, i) => {
    if (s.op === '->') last = i;
  });
  if (last > 0) return printPath({ ...p, addr: false, steps: p.steps.slice(0, last) });
  return rootOf(obj) ?? obj;
}

/**
 * An array element's lock (`&q->ring[i].lock`) in a function with loops: the name stands for
 * several locks, so taking or dropping it twice on one path, or holding it on some returns, says
 * nothing about any one of them.
 */
export function manyInstances(fn: FunctionIR, obj: string): boolean {
  return hasVariableIndex(obj) && fn.blocks.some((b) => b.loopHead);
}

const loopVarsCache = new WeakMap<FunctionIR, Set<string>>();

/** Blocks of the function that lie on a cycle (a loop body, a `goto retry`). */
export function loopBlocks(fn: FunctionIR): Set<number> {
  const hit = loopBlockCache.get(fn);
  if (hit) return hit;
  const succ = fn.blocks.map((b) => {
    const t = b.term;
    return t.k === 'jump' ? [t.to] : t.k === 'branch' ? [t.t, t.f] : t.k === 'switch' ? t.cases.map((c) => c.to) : [];
  });
  const out = new Set<number>();
  if (fn.blocks.some((b) => b.loopHead)) {
    for (const b of fn.blocks) {
      const seen = new Set<number>();
      const stack = [...succ[b.id]!];
      while (stack.length) {
        const x = stack.pop()!;
        if (x === b.id) {
          out.add(b.id);
          break;
        }
        if (seen.has(x) || x >= fn.blocks.length) continue;
        seen.add(x);
        stack.push(...succ[x]!);
      }
    }
  }
  loopBlockCache.set(fn, out);
  return out;
}

const loopBlockCache = new WeakMap<FunctionIR, Set<number>>();

/** Is some op on `line` inside a loop? */
export function lineInLoop(fn: FunctionIR, line: number | null): boolean {
  if (line === null) return false;
  const loops = loopBlocks(fn);
  return loops.size > 0 && fn.blocks.some((b) => loops.has(b.id) && b.ops.some((op) => op.line === line));
}

/**
 * Gets and puts of one object both inside loops (`for each CRTC turned on: get`, `for i < n_off:
 * put`): how many each loop takes or drops depends on its trip count, which the walk does not
 * correlate; neither a leak nor an underflow is proven.
 */
export function countedInLoops(fn: FunctionIR, obj: string): boolean {
  // A cursor or a per-pass value names another object each pass: counted exactly.
  const root = rootOf(obj);
  if (!root || loopAssigned(fn).has(root) || hasVariableIndex(obj)) return false;
  let get = false;
  let put = false;
  for (const b of fn.blocks) {
    for (const op of b.ops) {
      if (op.kind !== 'ref' || refKey(op.obj, op.member) !== obj || !lineInLoop(fn, op.line)) continue;
      if (op.action === 'get') get = true;
      else if (op.action === 'put') put = true;
    }
  }
  return get && put;
}

/** Variables assigned inside a loop (iterator cursors, `pos = pos->next`): each pass names another object. */
export function loopAssigned(fn: FunctionIR): Set<string> {
  const hit = loopVarsCache.get(fn);
  if (hit) return hit;
  const loops = loopBlocks(fn);
  const out = new Set<string>();
  for (const b of fn.blocks) {
    // An iterator macro (`xas_for_each(&xas, page, last)`) steps the plain variables it is given.
    if (b.term.k === 'branch' && b.term.why === 'iterator' && b.term.cond.k === 'unknown') {
      const open = b.term.cond.text.indexOf('(');
      for (const a of b.term.cond.text.slice(open + 1, -1).split(',')) if (/^\s*[A-Za-z_]\w*\s*$/.test(a)) out.add(a.trim());
    }
    if (!loops.has(b.id)) continue;
    for (const op of b.ops) if (op.kind === 'assign' && /^[A-Za-z_]\w*$/.test(op.target)) out.add(op.target);
  }
  loopVarsCache.set(fn, out);
  return out;
}

/** A lock rooted at a variable that a loop reassigns: taking it again on a later pass is another object's. */
export function reassignedInLoop(fn: FunctionIR, obj: string): boolean {
  const p = parsePath(obj);
  // Named through a call (`sg_page(sge)`, `per_cpu_ptr(c->slots, cpu)->dst`): another object
  // whenever any variable in its arguments changes from pass to pass.
  if (p?.root.k === 'call') {
    const assigned = loopAssigned(fn);
    return assigned.size > 0 && [...p.root.text.matchAll(/([A-Za-z_]\w*)\s*(\()?/g)].some((m) => !m[2] && assigned.has(m[1]!));
  }
  const r = rootOf(obj);
  return !!r && obj !== r && loopAssigned(fn).has(r);
}

/**
 * Is the object named only by the function's own locals (a lookup's or a mapping's result), so
 * nothing outside it can drop the reference once it returns? Field paths and objects reached from
 * parameters or globals outlive the call.
 */
export function ownedByFunction(fn: FunctionIR, obj: string): boolean {
  const root = rootOf(obj);
  if (!root || obj.replace(/^&/, '') !== root) return false;
  return fn.locals.some((l) => l.name === root) && !fn.params.some((p) => p.name === root) && !borrowed(fn, root);
}

/**
 * A local that walks a list or takes a pointer out of a longer-lived structure names an object
 * that outlives the call (`list_for_each_entry(d, &global_list, ..)`, `d = p->child`).
 */
function borrowed(fn: FunctionIR, name: string): boolean {
  const params = new Set(fn.params.map((p) => p.name));
  const locals = new Set(fn.locals.map((l) => l.name));
  for (const b of fn.blocks) {
    for (const op of b.ops) {
      if (op.kind !== 'assign' || op.target !== name) continue;
      const v = op.value;
      if (v.k === 'unknown' && v.text.startsWith('next ')) return true;
      if (v.k === 'path' && !v.path.startsWith('&')) {
        const r = rootOf(v.path);
        if (r && (params.has(r) || !locals.has(r))) return true;
      }
    }
  }
  return false;
}

/**
 * Locals assigned once, from a value of the names in `over` only (`inode = file_inode(iocb->ki_filp)`,
 * `host = file->f_mapping->host`): local -> that value's text. Names in `over` must not be assigned
 * either. A direct call's value counts: the same accessor of the same object gives the same object.
 */
export function valueDefs(fn: FunctionIR, over: Set<string>): Map<string, string> {
  const out = new Map<string, string>();
  const assigned = new Map<string, Op[]>();
  const calls = new Map<string, Op>();
  for (const b of fn.blocks)
    for (const op of b.ops) {
      if (op.kind === 'assign') {
        const list = assigned.get(op.target);
        if (list) list.push(op);
        else assigned.set(op.target, [op]);
      } else if (op.kind === 'call' && op.result) calls.set(op.result, op);
    }
  for (const name of over) if (assigned.has(name)) return out;
  const raw = new Map<string, string>();
  for (const l of fn.locals) {
    const ops = assigned.get(l.name);
    if (ops?.length !== 1) continue;
    const op = ops[0]!;
    if (op.kind !== 'assign') continue;
    const v = op.value;
    if (v.k === 'path') raw.set(l.name, v.path);
    else if (v.k === 'var') raw.set(l.name, v.name);
    else if (v.k === 'result') {
      const c = calls.get(v.id);
      if (c?.kind === 'call' && !c.indirect) raw.set(l.name, `${c.callee}(${c.argText.join(', ')})`);
    }
  }
  // Through other such locals (`file = iocb->ki_filp; inode = file_inode(file)`), to a fixpoint.
  for (let changed = true; changed; ) {
    changed = false;
    for (const [l, text] of raw) {
      if (out.has(l)) continue;
      if (namesOnly(text, over)) {
        out.set(l, text);
        changed = true;
        continue;
      }
      const spelled = text.replace(NAME, (m, sep: string | undefined, name: string, call: string | undefined) => {
        const d = !sep && !call ? out.get(name) : undefined;
        return d === undefined ? m : /[^\w>.\-(),\s]/.test(d) ? `(${d})` : d;
      });
      if (spelled !== text && namesOnly(spelled, over)) {
        out.set(l, spelled);
        changed = true;
      }
    }
  }
  return out;
}

const NAME = /(->|\.)?\s*([A-Za-z_]\w*)(\s*\()?/g;

/** Every variable the text reads is one of `names` (fields, called functions and constants aside). */
function namesOnly(text: string, names: Set<string>): boolean {
  let any = false;
  for (const m of text.matchAll(NAME)) {
    if (m[1] || m[3] || /^_*[A-Z][A-Z0-9_]*$/.test(m[2]!)) continue;
    if (!names.has(m[2]!)) return false;
    any = true;
  }
  return any;
}

/** A member of a struct or array on the function's own stack (`desc.pg_dreq`, `key.folio`): it ends with the call. */
export function onStackMember(fn: FunctionIR, target: string): boolean {
  const r = rootOf(target);
  const local = r ? fn.locals.find((l) => l.name === r) : undefined;
  return !!local && (target.startsWith(`${r}.`) || target.startsWith(`${r}[`)) && (!local.type.includes('*') || local.type.includes('['));
}

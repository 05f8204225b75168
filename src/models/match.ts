// Finding the code a model cares about in the IR: rules name fields as `struct.field`
// (`md_page.wait_llist`); the code names them through variables (`&md->wait_llist`).

import type { FunctionIR, Op } from '../c/ir.js';
import { structOf } from '../analysis/objects.js';

/** Does a normalised path name the field `struct.field`? The struct must agree when the root's type is known. */
export function namesField(fn: FunctionIR, path: string | null, typed: string): boolean {
  if (!path) return false;
  const [struct, ...rest] = typed.split('.');
  const field = rest.join('.');
  const p = path.replace(/^&/, '');
  const m = /^([A-Za-z_]\w*)(?:->|\.)(.+)$/.exec(p);
  if (!m) return false;
  if (m[2]!.replace(/->/g, '.') !== field) return false;
  const t = structOf(fn, m[1]!);
  return t === null || t === struct || m[1] === struct;
}

export function* opsOf(fn: FunctionIR): Generator<Op> {
  for (const b of fn.blocks) yield* b.ops;
}

/** Functions reachable from `fn` through calls to functions of the input (itself included). */
export function reachable(fn: FunctionIR, fns: Map<string, FunctionIR>): FunctionIR[] {
  const out: FunctionIR[] = [];
  const seen = new Set<string>();
  const walk = (f: FunctionIR, depth: number): void => {
    if (seen.has(f.name) || depth > 8) return;
    seen.add(f.name);
    out.push(f);
    for (const op of opsOf(f))
      if (op.kind === 'call' && !op.indirect) {
        const g = fns.get(op.callee);
        if (g) walk(g, depth + 1);
      }
  };
  walk(fn, 0);
  return out;
}

/** Does `fn` (or a function it calls) contain an op matching `pred`? */
export function reaches(fn: FunctionIR, fns: Map<string, FunctionIR>, pred: (op: Op, f: FunctionIR) => boolean): boolean {
  return reachable(fn, fns).some((f) => [...opsOf(f)].some((op) => pred(op, f)));
}

/** The member a function links entries of `struct` through (`page_req->list` -> `list`). */
export function nodeMember(fns: FunctionIR[], struct: string, fallback: string): string {
  for (const f of fns) {
    for (const op of opsOf(f)) {
      if (op.kind !== 'list' || !op.node) continue;
      const m = /^([A-Za-z_]\w*)->(\w+)$/.exec(op.node.replace(/^&/, ''));
      if (m && structOf(f, m[1]!) === struct) return m[2]!;
    }
  }
  return fallback;
}

/** Bind a function's parameters by their struct type. */
export function bindByType(
  fn: FunctionIR,
  byStruct: Record<string, import('../analysis/interleave/world.js').Value>,
): Record<string, import('../analysis/interleave/world.js').Value> {
  const out: Record<string, import('../analysis/interleave/world.js').Value> = {};
  for (const p of fn.params) {
    const t = structOf(fn, p.name);
    if (t && byStruct[t] && p.type.includes('*')) out[p.name] = byStruct[t]!;
  }
  return out;
}

export function field(typed: string): string {
  return typed.split('.').slice(1).join('.');
}

export function struct(typed: string): string {
  return typed.split('.')[0]!;
}

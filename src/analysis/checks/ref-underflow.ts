// ref-underflow: a put with no matching get on the path, or the same reference dropped twice.

import type { Check, CheckContext, RawFinding } from '../check.js';
import { contextFacts } from '../check.js';
import { refKey, rootOf } from '../objects.js';

export const refUnderflow: Check = {
  meta: {
    id: 'ref-underflow',
    severity: 'warning',
    description: 'a put with no matching get on the path, or a double put',
  },
  run(ctx: CheckContext): RawFinding[] {
    const { fn, walk } = ctx;
    const out: RawFinding[] = [];
    const gets = new Set<string>();
    for (const b of fn.blocks) {
      for (const op of b.ops) {
        if (op.kind === 'ref' && op.action === 'get') gets.add(refKey(op.obj, op.member));
        if (op.kind === 'atomic' && op.family === 'refcount' && (op.action === 'inc' || op.action === 'inc-not-zero')) gets.add(refKey(op.obj, true));
      }
    }
    // Gets through callees (lookups that return a reference, helpers that take one).
    for (const e of walk.exits) for (const r of e.state.refs.values()) gets.add(r.obj);
    for (const e of walk.events) if (e.k === 'ref-taken') gets.add(e.obj);
    // Objects the function takes off a list: the list's reference comes with them, and dropping it
    // is not a put of something never taken (a request unlinked from the pending queue).
    const unlinked = new Set<string>();
    for (const b of fn.blocks) {
      for (const op of b.ops) {
        if (op.kind !== 'list' || !op.node) continue;
        if (op.action === 'del' || op.action === 'del-init' || op.action === 'move' || op.action === 'move-tail') {
          const r = rootOf(op.node);
          if (r) unlinked.add(r);
        }
      }
    }
    for (const e of walk.events) {
      if (e.k === 'double-put') {
        const { confidence, facts } = contextFacts(fn, e.viaGap);
        out.push({
          rule: 'ref-underflow', severity: 'error', confidence,
          message: `'${e.obj}' (${e.pair}) dropped twice: already dropped at ${e.prevLine ?? '?'}`,
          line: e.line, function: fn.name, objects: [e.obj], trace: e.trace, facts, discriminator: 'double',
        });
      } else if (e.k === 'put-unheld' && gets.has(e.obj) && !unlinked.has(e.obj)) {
        out.push({
          rule: 'ref-underflow', severity: 'warning', confidence: 'medium',
          message: `'${e.obj}' (${e.pair}) dropped on a path where this function did not take it`,
          line: e.line, function: fn.name, objects: [e.obj], trace: e.trace,
          facts: ['the function takes this reference on other paths; this path reaches the put without it'],
          discriminator: 'unheld',
        });
      }
    }
    return out;
  },
};

// double-lock: acquiring a lock already held on this path, directly or inside a callee (self-deadlock).

import type { FunctionIR } from '../../c/ir.js';
import { successors } from '../cfg.js';
import type { Check, CheckContext, RawFinding } from '../check.js';
import { contextFacts } from '../check.js';

export const doubleLock: Check = {
  meta: {
    id: 'double-lock',
    severity: 'error',
    description: 'acquiring a lock already held on this path, directly or through a callee (self-deadlock)',
  },
  run(ctx: CheckContext): RawFinding[] {
    const { fn, walk } = ctx;
    const out: RawFinding[] = [];
    for (const e of walk.events) {
      if (e.k !== 'double-acquire') continue;
      const facts: string[] = [];
      let { confidence } = contextFacts(fn, e.viaGap);
      facts.push(...contextFacts(fn, e.viaGap).facts);
      if (e.held.gapSince) {
        // Hidden code lies between the two acquisitions; believe the lock is still held only if the
        // visible code after this point releases it (the author expects it held here).
        if (!releasedAfter(fn, e.block, e.obj, e.line)) continue;
        facts.push(`'${e.obj}' is released later on this path, so the code expects it still held here`);
        confidence = 'medium';
      }
      if (e.via && !e.via.always) {
        confidence = confidence === 'high' ? 'medium' : 'low';
        facts.push(`${e.via.callee}() takes it on some of its paths`);
      }
      if (e.via) {
        const s = ctx.summaries.get(e.via.callee);
        if (s) facts.push(`summary of ${e.via.callee}() from ${s.origin}`);
      }
      const where = e.held.fromEntry ? 'held by the caller' : `acquired at ${e.held.line ?? '?'}${e.held.via ? ` inside ${e.held.via}()` : ''}`;
      const message = e.via
        ? `double lock '${e.obj}' (${where}): ${e.via.callee}() takes it again${e.via.line !== null ? ` at line ${e.via.line}` : ''}`
        : `double lock '${e.obj}' (${where})`;
      const readNest = e.held.family === 'rwsem' && e.held.mode === 'read';
      out.push({
        rule: 'double-lock',
        severity: readNest ? 'warning' : 'error',
        confidence,
        message: readNest ? `${message}: recursive down_read() deadlocks when a writer waits in between` : message,
        line: e.line,
        function: fn.name,
        objects: [e.obj],
        trace: [...e.trace, { line: e.line, text: e.text, note: e.via ? `calls ${e.via.callee}(), which acquires '${e.obj}'` : `acquires '${e.obj}' again` }],
        facts,
        discriminator: e.via?.callee,
      });
    }
    return out;
  },
};

/** Is `obj` released on some path after `line` in `block`, before being taken again? */
function releasedAfter(fn: FunctionIR, start: number, obj: string, line: number | null): boolean {
  const seen = new Set<number>();
  const stack: { b: number; first: boolean }[] = [{ b: start, first: true }];
  while (stack.length) {
    const { b, first } = stack.pop()!;
    if (!first && seen.has(b)) continue;
    seen.add(b);
    const block = fn.blocks[b];
    if (!block) continue;
    let blocked = false;
    for (const op of block.ops) {
      if (first && line !== null && op.line !== null && op.line <= line) continue;
      if (op.kind === 'release' && op.obj === obj) return true;
      if (op.kind === 'acquire' && op.obj === obj) {
        blocked = true;
        break;
      }
    }
    if (blocked) continue;
    for (const s of successors(block.term)) stack.push({ b: s, first: false });
  }
  return false;
}

// Two-thread witnesses: the concrete interleaving behind a race finding, as Lockdep shows a
// deadlock (CPU0 | CPU1, one step per row).

import type { FunctionIR } from '../../c/ir.js';
import type { Witness } from '../types.js';

export interface Step {
  cpu: 0 | 1;
  fn: string;
  line: number | null;
  text: string;
  note: string;
}

export function witness(fns: [string, string], steps: Step[], breaks: string, extra: Partial<Witness> = {}): Witness {
  return {
    threads: [
      { id: 'CPU0', name: 'thread A', function: fns[0] },
      { id: 'CPU1', name: 'thread B', function: fns[1] },
    ],
    steps: steps.map((s) => ({ thread: `CPU${s.cpu}`, line: s.line, function: s.fn, text: s.text, note: s.note })),
    breaks,
    ...extra,
  };
}

/** The source text of the op at a line (for steps whose op we did not keep). */
export function textAt(fn: FunctionIR, line: number | null, pred: (t: string) => boolean = () => true): string | null {
  if (line === null) return null;
  for (const b of fn.blocks) for (const op of b.ops) if (op.line === line && op.text && pred(op.text)) return op.text;
  return null;
}

/** The line where `fn` takes a lock (by object text) before `line`, nearest first. */
export function acquireBefore(fn: FunctionIR, lockMatches: (obj: string) => boolean, line: number | null): { line: number | null; text: string } | null {
  let best: { line: number | null; text: string } | null = null;
  for (const b of fn.blocks) {
    for (const op of b.ops) {
      if (op.kind !== 'acquire' || !lockMatches(op.obj)) continue;
      if (line !== null && op.line !== null && op.line > line) continue;
      if (!best || (op.line ?? 0) > (best.line ?? 0)) best = { line: op.line, text: op.text ?? op.primitive };
    }
  }
  return best;
}

/** The first release of a lock after `line`. */
export function releaseAfter(fn: FunctionIR, lockMatches: (obj: string) => boolean, line: number | null): { line: number | null; text: string } | null {
  let best: { line: number | null; text: string } | null = null;
  for (const b of fn.blocks) {
    for (const op of b.ops) {
      if (op.kind !== 'release' || !lockMatches(op.obj)) continue;
      if (line !== null && op.line !== null && op.line < line) continue;
      if (!best || (op.line ?? Infinity) < (best.line ?? Infinity)) best = { line: op.line, text: op.text ?? op.primitive };
    }
  }
  return best;
}

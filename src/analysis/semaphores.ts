// Semaphores used as counters. down()/up() on a semaphore inside a loop hands out or takes back
// several permits (raising a limit, draining a budget): whatever function does it, the unit uses
// that semaphore as a counter, so an unmatched up() or a down() kept past a return elsewhere is
// the counting at work, not a lock misused.

import type { WalkResult } from './engine.js';
import { lineInLoop, typedObject } from './objects.js';

const cache = new WeakMap<WalkResult[], Set<string>>();

/** The semaphores (by `struct.field`, or by name for globals) some function of the side counts with in a loop. */
export function countedSemaphores(side: WalkResult[]): Set<string> {
  const hit = cache.get(side);
  if (hit) return hit;
  const out = new Set<string>();
  for (const w of side) {
    for (const b of w.fn.blocks) {
      for (const op of b.ops) {
        if ((op.kind !== 'acquire' && op.kind !== 'release') || op.family !== 'semaphore') continue;
        if (lineInLoop(w.fn, op.line)) out.add(typedObject(w.fn, op.obj) ?? op.obj);
      }
    }
  }
  cache.set(side, out);
  return out;
}

/** Is `obj` (in `fn`'s terms) a semaphore the side counts with? */
export function isCountedSemaphore(side: WalkResult[], fn: WalkResult['fn'], obj: string): boolean {
  const counted = countedSemaphores(side);
  return counted.size > 0 && counted.has(typedObject(fn, obj) ?? obj);
}

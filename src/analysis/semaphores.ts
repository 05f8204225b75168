// Semaphores used as counters. down()/up() on a semaphore inside a loop hands out or takes back
// several permits (raising a limit, draining a budget): whatever function does it, the unit uses
// that semaphore as a counter, so an unmatched up() or a down() kept past a return elsewhere is
// the counting at work, not a lock misused.

import type { Semantics } from '../semantics/index.js';
import type { WalkResult } from './engine.js';
import { lineInLoop, typedObject } from './objects.js';

const cache = new WeakMap<WalkResult[], Set<string>>();

/** The semaphores (by `struct.field`, or by name for globals) some function of the side counts with in a loop. */
export function countedSemaphores(side: WalkResult[], sem: Semantics): Set<string> {
  const hit = cache.get(side);
  if (hit) return hit;
  const out = new Set<string>();
  for (const w of side) {
    for (const b of w.fn.blocks) {
      for (const op of b.ops) {
        // sema_init(&s, n) with n other than 1: a counter or a signal from the start.
        if (op.kind === 'call' && sem.semaphoreInits.has(op.callee) && op.argText[0] && op.argText[1] !== undefined && op.argText[1].trim() !== '1') {
          out.add(typedObject(w.fn, op.argText[0]) ?? op.argText[0]);
          continue;
        }
        if ((op.kind !== 'acquire' && op.kind !== 'release') || op.family !== 'semaphore') continue;
        if (lineInLoop(w.fn, op.line)) out.add(typedObject(w.fn, op.obj) ?? op.obj);
      }
    }
  }
  cache.set(side, out);
  return out;
}

/** Is `obj` (in `fn`'s terms) a semaphore the side counts with? */
export function isCountedSemaphore(side: WalkResult[], sem: Semantics, fn: WalkResult['fn'], obj: string): boolean {
  const counted = countedSemaphores(side, sem);
  return counted.size > 0 && counted.has(typedObject(fn, obj) ?? obj);
}

/**
 * Is `obj` a semaphore the side initialises with a count of 1 (`sema_init(&s, 1)`), never counts
 * with and always ups where it downs: a mutual-exclusion lock, so taking it twice is a self-deadlock.
 */
export function isBinarySemaphore(side: WalkResult[], sem: Semantics, fn: WalkResult['fn'], obj: string): boolean {
  const key = typedObject(fn, obj) ?? obj;
  if (countedSemaphores(side, sem).has(key)) return false;
  // Upped by a function that never downs it (an I/O completion): held across contexts, not a lock.
  const ofKey = (w: WalkResult, o: string): boolean => (typedObject(w.fn, o) ?? o) === key;
  const handedOff = side.some((w) => {
    const ops = w.fn.blocks.flatMap((b) => b.ops);
    return ops.some((op) => op.kind === 'release' && ofKey(w, op.obj)) && !ops.some((op) => op.kind === 'acquire' && ofKey(w, op.obj));
  });
  if (handedOff) return false;
  return side.some((w) =>
    w.fn.blocks.some((b) =>
      b.ops.some(
        (op) =>
          op.kind === 'call' &&
          sem.semaphoreInits.has(op.callee) &&
          op.argText[1]?.trim() === '1' &&
          (typedObject(w.fn, op.argText[0] ?? '') ?? op.argText[0]) === key,
      ),
    ),
  );
}

// The success/failure convention of kernel return values, shared by the checks that accept
// "returns 0 holding it, an error without it" (conditional locks, references handed on).

import type { RetClass } from './summary.js';

/**
 * Does the return value tell the caller whether it holds the resource (a lock, a reference)? Only
 * when the split follows the success/failure convention of the return type: kept on success,
 * given back on failure (0 or a pointer with it, -errno / ERR_PTR / NULL without; true with it,
 * false without), or the trylock shape (1 with it, 0 without). "Returns 0 locked and 1 unlocked"
 * is an ordinary leak.
 */
export function splitByStatus(returnType: string, held: Set<RetClass>, free: Set<RetClass>, trylockShape = true): boolean {
  if (held.has('void') || free.has('void')) return false;
  if ([...held].some((c) => free.has(c))) return false;
  const ptr = returnType.includes('*');
  const bool = /\bbool\b/.test(returnType);
  // Only a status says whether the lock is held: an errno-style int, a pointer, a bool. A count
  // or a size (unsigned, u32, size_t) that happens to be 0 on the locked path says nothing.
  const status = ptr || bool || /^(?:(?:static|inline|signed|__must_check)\s+)*(?:int|long|ssize_t|s32|s64)$/.test(returnType.trim());
  if (!status) return false;
  const failure = (c: RetClass): boolean => c === 'neg' || c === 'errptr' || (c === 'zero' && (ptr || bool));
  // An unclassified value (`return ret`, `return req`) on one side only, against definite
  // failures or definite successes on the other: "0 locked, anything else unlocked".
  if ([...held].every((c) => !failure(c)) && [...free].every(failure)) return true;
  if (!held.has('any') && [...held].every((c) => !failure(c)) && [...free].every((c) => c === 'any' || failure(c))) return true;
  if (held.has('any') || free.has('any')) return false;
  // int foo_trylock(): 1 with the lock, 0 without.
  return trylockShape && [...held].every((c) => c === 'pos') && [...free].every((c) => c === 'zero');
}

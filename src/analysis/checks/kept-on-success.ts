// What ref-leak and alloc-leak share: when a function that still holds something at some returns
// is handing it on by contract rather than leaking it. Kept when it returns 0 (or the new object,
// or a bool true for an object it was given), dropped when it fails: the success registered it.
// A void function that drops it only inside its error branches: the rest is what it is for.

import type { FunctionIR } from '../../c/ir.js';
import type { Exit } from '../engine.js';
import { splitByStatus } from '../returns.js';
import { truthOf, valueOf } from '../values.js';

/** An exit's return class, with a pointer known not to be NULL (`return td;` after `if (!td) return NULL;`) as 'ptr'. */
export function exitClass(fn: FunctionIR, x: Exit): Exit['cls'] {
  const ptr = fn.returnType.includes('*');
  return (ptr && x.cls === 'any' && x.value && truthOf(valueOf(x.value, x.state)) === true ? 'ptr' : x.cls) as Exit['cls'];
}

/**
 * The returns that keep it are the successful ones and those that do not are the failures.
 * `givenBool`: a bool function's `true` keeps a reference on an object its caller gave it.
 */
export function keptOnSuccess(fn: FunctionIR, leaking: Exit[], clean: Exit[], givenBool = false): boolean {
  if (!clean.length) return false;
  const keptOn = new Set(leaking.map((x) => exitClass(fn, x)));
  const cleanOn = new Set(clean.map((x) => exitClass(fn, x)));
  const ptr = fn.returnType.includes('*');
  const bool = /\bbool\b/.test(fn.returnType);
  return (
    keptOn.size === 1 &&
    (ptr ? keptOn.has('ptr') || keptOn.has('any') : bool ? givenBool && keptOn.has('pos') : keptOn.has('zero')) &&
    splitByStatus(fn.returnType, keptOn, cleanOn, false)
  );
}

/** A void function that lets it go only inside its error branches and keeps it on every other return. */
export function keptOutsideErrors(fn: FunctionIR, leaking: Exit[], clean: Exit[]): boolean {
  return fn.returnType.trim().endsWith('void') && clean.length > 0 && clean.every((x) => x.state.err) && leaking.every((x) => !x.state.err);
}

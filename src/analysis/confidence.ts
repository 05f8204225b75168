// What a finding may claim: the one place the policy is written and applied.
//
// A warning or an error is what the visible code and the rules prove on a feasible path. A finding
// that rests on any of the weaknesses below is said at info, unless a second, independent fact
// corroborates it (the check names that fact, and it goes into the finding's facts). Checks say
// what their finding rests on; report() (rule.ts) applies this policy to every finding it makes.

import type { Severity } from './types.js';

export type Weakness =
  /** A get/put pair known only from the function names: no rule declares it, no body shows it. */
  | 'name-pair'
  /** A field's guard inferred from how most of its accesses hold a lock, not declared or annotated. */
  | 'inferred-guard'
  /** A callee that does it on some of its paths only. */
  | 'some-paths'
  /** Objects named through a variable index (`&q->lock[i]`): they may or may not be the same one. */
  | 'may-alias'
  /** A semaphore: down() twice is how a counting semaphore is used. */
  | 'counting'
  /** Only the absence of evidence (nothing in the input releases it), from a view of part of the kernel. */
  | 'absence'
  /** A lock the function takes (or a callee takes for it) and never releases on any path: a helper handing it to its caller. */
  | 'never-released'
  /** A pattern that is also a common correct idiom (reading a count the caller may own alone). */
  | 'idiom'
  /** References the function was handed (a caller's, or one a structure field owns): how many, the code does not show. */
  | 'handed-in'
  /** Both halves on paths of one function, which conditions the walk cannot relate may keep apart. */
  | 'one-function'
  /** A callee the input does not show was given the object: it may have kept or freed it. */
  | 'unknown-callee'
  /** Handed on only inside a loop: the path that keeps it is the one where the loop runs no pass. */
  | 'loop-skipped'
  /** Found only on paths where a callee changed a field of an object it was handed. */
  | 'callee-changes-field'
  /** A callee on the path finds an object of this type again itself and drops a reference it never took. */
  | 'refound-by-callee'
  /** The context callers run the function in (bottom halves, interrupts, RCU), when no caller is in the input and nothing in it shows. */
  | 'entry-context';

const WHY: Record<Weakness, string> = {
  'name-pair': 'a get/put pair guessed from the function names (no rule declares it, no body in the input shows it)',
  'inferred-guard': 'a guard inferred from how most accesses hold the lock, not declared',
  'some-paths': 'a callee that does it on some of its paths only',
  'may-alias': 'objects named through a variable index, which may be different ones',
  counting: 'a semaphore, which may count rather than exclude',
  absence: 'the absence of a release in the input, which holds only part of the kernel',
  'never-released': 'a lock this function never releases on any path, as a helper that returns it to its caller does',
  idiom: 'a pattern that is also a common correct idiom',
  'handed-in': 'references the function was handed (by its caller, or owned by a structure field), whose number the code does not show',
  'unknown-callee': 'a callee that was given the object and may have kept or freed it (one the input does not show, or one that frees it on some of its paths)',
  'loop-skipped': 'a loop that hands it on, which the path that keeps it skips only when the loop runs no pass at all',
  'one-function': 'two paths of one function, which conditions the walk cannot relate (a field tested again after a call) may keep apart',
  'callee-changes-field':
    'a path that is only possible if a callee changes a field this function tested before handing it the object (the same test gives the same answer otherwise)',
  'entry-context':
    'the context its callers run it in (bottom halves, interrupts or an RCU read side), which the input does not show: no caller of it is in the input',
  'refound-by-callee':
    'a callee on the path that looks an object of this type up again and drops a reference on it that it never took: the one taken here, handed over',
};

export interface Basis {
  /** What the finding rests on that the code does not prove. */
  weak?: Weakness[];
  /** A second, independent fact that makes it stand anyway. */
  corroboration?: string | null;
}

/** The severity a finding may have, and what to add to its facts about why. */
export function judged(severity: Severity, basis: Basis): { severity: Severity; facts: string[] } {
  const weak = [...new Set(basis.weak ?? [])];
  if (!weak.length || severity === 'info') return { severity, facts: [] };
  if (basis.corroboration) return { severity, facts: [`rests on ${weak.map((w) => WHY[w]).join('; ')}, corroborated: ${basis.corroboration}`] };
  return { severity: 'info', facts: weak.map((w) => `info: rests on ${WHY[w]}`) };
}

/** The same policy, for a weakness found after the finding was made (by a second look at its function). */
export function weakened<T extends { severity: Severity; facts: string[] }>(f: T, weak: Weakness): void {
  const p = judged(f.severity, { weak: [weak] });
  f.severity = p.severity;
  f.facts.push(...p.facts);
}

// Whether an allocation's GFP mask lets it sleep (direct reclaim), decided on the path's facts
// where the mask depends on a variable (`try ? GFP_NOIO : GFP_NOWAIT`).

import type { Semantics } from '../semantics/index.js';
import type { State } from './state.js';
import { bitKey, truthOf } from './values.js';

/**
 * true: may sleep; false: does not; undefined: cannot tell. The flags are the rules' `gfp.sleeping`
 * and `gfp.atomic`.
 */
export function gfpSleeps(gfp: string, s: State | undefined, sem: Semantics): boolean | undefined {
  // `(cond) ? A : B`, written so that no two parts can match the same spaces (linear on any text).
  const t = /^(?:\(\s*)?(!?)\s*([A-Za-z_]\w*)\s*(?:\)\s*)?\?([^:]+):(.+)$/.exec(gfp.trim());
  if (t) {
    const f = s?.facts.get(t[2]!);
    const v = f && f.t !== 'result' ? truthOf(f) : undefined;
    const pick = v === undefined ? undefined : (t[1] === '!' ? !v : v) ? t[3]! : t[4]!;
    if (pick !== undefined) return gfpSleeps(pick, undefined, sem);
    const a = gfpSleeps(t[3]!, undefined, sem);
    const b = gfpSleeps(t[4]!, undefined, sem);
    return a || b ? true : a === false && b === false ? false : undefined;
  }
  // A mask in a variable the path added direct reclaim to (`gfp |= __GFP_DIRECT_RECLAIM`, or
  // tested it: `if (gfp & __GFP_DIRECT_RECLAIM)`).
  if (s && /^[A-Za-z_]\w*$/.test(gfp.trim())) {
    const k = bitKey(gfp.trim(), '__GFP_DIRECT_RECLAIM');
    const f = k ? s.facts.get(k) : undefined;
    const v = truthOf(f?.t === 'result' ? s.rfacts.get(f.id) : f);
    if (v !== undefined) return v;
  }
  if (sem.gfpAtomicPattern.test(gfp) && !/__GFP_DIRECT_RECLAIM/.test(gfp)) return false;
  if (sem.gfpSleepingPattern.test(gfp)) return true;
  return undefined;
}

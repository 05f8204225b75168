// Whether an allocation's GFP mask lets it sleep (direct reclaim), decided on the path's facts
// where the mask depends on a variable (`try ? GFP_NOIO : GFP_NOWAIT`).

import type { State } from './state.js';
import { truthOf } from './values.js';

const SLEEPING = /\b(GFP_KERNEL|GFP_NOIO|GFP_NOFS|GFP_USER|GFP_HIGHUSER\w*|GFP_KERNEL_ACCOUNT|__GFP_DIRECT_RECLAIM|__GFP_RECLAIM|GFP_DMA32|GFP_DMA)\b/;
const ATOMIC = /\b(GFP_ATOMIC|GFP_NOWAIT|__GFP_HIGH|GFP_NOWAIT\w*)\b/;

/** true: may sleep; false: does not; undefined: cannot tell. */
export function gfpSleeps(gfp: string, s?: State): boolean | undefined {
  const t = /^\s*\(?\s*(!?)\s*([A-Za-z_]\w*)\s*\)?\s*\?\s*([^:]+):\s*(.+)$/.exec(gfp);
  if (t) {
    const f = s?.facts.get(t[2]!);
    const v = f && f.t !== 'result' ? truthOf(f) : undefined;
    const pick = v === undefined ? undefined : (t[1] === '!' ? !v : v) ? t[3]! : t[4]!;
    if (pick !== undefined) return gfpSleeps(pick);
    const a = gfpSleeps(t[3]!);
    const b = gfpSleeps(t[4]!);
    return a || b ? true : a === false && b === false ? false : undefined;
  }
  if (ATOMIC.test(gfp) && !/__GFP_DIRECT_RECLAIM/.test(gfp)) return false;
  if (SLEEPING.test(gfp)) return true;
  return undefined;
}

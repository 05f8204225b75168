// ref-leak: a reference taken here (get, hold, a lookup that returns a reference, kmap_local_page)
// is not dropped on some return path where it does not escape (returned, stored, queued).

import type { Check, CheckContext, RawFinding } from '../check.js';
import { contextFacts, lines } from '../check.js';
import type { Exit } from '../engine.js';
import type { HeldRef } from '../state.js';
import { splitByStatus } from '../returns.js';

/** Mappings that must be undone in the function that made them. */
const LOCAL_ONLY = new Set(['kmap_local', 'kmap_atomic']);

export const refLeak: Check = {
  meta: {
    id: 'ref-leak',
    severity: 'warning',
    description: 'a reference taken in the function is not dropped on some path where it does not escape',
  },
  run(ctx: CheckContext): RawFinding[] {
    const { fn, walk } = ctx;
    const out: RawFinding[] = [];
    const refs = new Map<string, HeldRef>();
    for (const x of walk.exits) for (const r of x.state.refs.values()) if (!refs.has(r.obj)) refs.set(r.obj, r);
    for (const [obj, sample] of refs) {
      const leaking: Exit[] = [];
      const clean: Exit[] = [];
      for (const x of walk.exits) {
        const r = x.state.refs.get(obj);
        if (!r) clean.push(x);
        else if (!r.gapSince) leaking.push(x);
      }
      if (!leaking.length) continue;
      const local = LOCAL_ONLY.has(sample.pair);
      // Kept when it returns 0, dropped with an error: the success handed it on (registered it).
      const keptOn = new Set(leaking.map((x) => x.cls));
      if (!local && clean.length && keptOn.size === 1 && keptOn.has('zero') && !fn.returnType.includes('*')
        && splitByStatus(fn.returnType, keptOn, new Set(clean.map((x) => x.cls)), false)) continue;
      // Held on every return: a reference handed to the caller unless the pair cannot outlive the function.
      if (!clean.length && !local) continue;
      // Pairs guessed from names need the function itself to use the put on other paths.
      if (sample.source === 'name' && !clean.length) continue;
      const x = leaking[0]!;
      const { confidence, facts } = contextFacts(fn, x.trace.some((t) => t.note.includes('gap')));
      out.push({
        rule: 'ref-leak',
        // A pair guessed from names counts once the function itself drops it on other paths.
        severity: 'warning',
        confidence: sample.source === 'name' && confidence === 'high' ? 'medium' : confidence,
        message: `'${obj}' from ${sample.pair} at ${sample.line ?? '?'} is not released on return at ${lines(leaking.map((e) => e.line))}${clean.length ? ` (not held on return at ${lines(clean.map((e) => e.line))})` : ''}`,
        line: x.line,
        function: fn.name,
        objects: [obj],
        trace: x.trace,
        facts: [...facts, `pair: ${sample.pair} (${sample.source === 'name' ? 'inferred from the function names' : sample.source === 'rule' ? 'declared in rules/' : 'kernel primitive'})`],
      });
    }
    return out;
  },
};

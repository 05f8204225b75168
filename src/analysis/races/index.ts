// Race analysis over both images of a patch: lock state at every access, guards from rules/,
// annotations and inference, then the race checks on each side.

import type { FunctionIR } from '../../c/ir.js';
import type { Semantics } from '../../semantics/index.js';
import type { RawFinding } from '../check.js';
import { checkThenAct } from '../checks/check-then-act.js';
import { unguardedAccess } from '../checks/unguarded-access.js';
import { unorderedPublish } from '../checks/unordered-publish.js';
import type { WalkResult } from '../engine.js';
import type { RaceCheck } from './context.js';
import { declaredInstances, guardsOf, type Guard } from './guards.js';
import { KeyResolver } from './keys.js';
import { Lockset, type Side } from './lockset.js';

export const raceChecks: RaceCheck[] = [unguardedAccess, checkThenAct, unorderedPublish];

export interface RaceResult {
  lockset: Lockset;
  guards: Map<string, Guard[]>;
  findings: Record<Side, { fn: FunctionIR; finding: RawFinding }[]>;
}

export function analyzeRaces(sides: { side: Side; walks: WalkResult[] }[], sem: Semantics, checks: RaceCheck[] = raceChecks): RaceResult {
  const keys = new KeyResolver(sides.flatMap((s) => s.walks.map((w) => w.fn)));
  const lockset = new Lockset(sides, keys, sem, (fn) => declaredInstances(sem, fn));
  const guards = guardsOf(lockset, sem);
  const findings: RaceResult['findings'] = { pre: [], post: [] };
  for (const { side, walks } of sides) {
    const found: { fn: FunctionIR; finding: RawFinding }[] = [];
    for (const c of checks) found.push(...c.run({ side, walks, lockset, guards, sem }));
    findings[side].push(...oneReportPerAccess(found));
  }
  return { lockset, guards, findings };
}

/**
 * An unguarded access that is also the act of a check-then-act is one bug: the check-then-act
 * finding says more (what was decided, where the lock went), so it keeps the guard's facts and the
 * unguarded-access finding on the same line goes.
 */
function oneReportPerAccess(found: { fn: FunctionIR; finding: RawFinding }[]): { fn: FunctionIR; finding: RawFinding }[] {
  const acts = new Map<FunctionIR, Map<number, RawFinding>>();
  for (const f of found) {
    if (f.finding.rule !== 'check-then-act' || f.finding.line === null) continue;
    let m = acts.get(f.fn);
    if (!m) acts.set(f.fn, (m = new Map()));
    if (!m.has(f.finding.line)) m.set(f.finding.line, f.finding);
  }
  return found.filter(({ fn, finding }) => {
    if (finding.rule !== 'unguarded-access' || finding.line === null) return true;
    const act = acts.get(fn)?.get(finding.line);
    if (!act) return true;
    act.facts.push(`also an unguarded access: ${finding.message}`);
    return false;
  });
}

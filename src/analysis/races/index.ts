// Race analysis over both images of a patch: lock state at every access, guards from rules/ and
// inference, then the race checks on each side.

import type { FunctionIR } from '../../c/ir.js';
import type { Semantics } from '../../semantics/index.js';
import type { RawFinding } from '../check.js';
import { checkThenAct } from '../checks/check-then-act.js';
import { unguardedAccess } from '../checks/unguarded-access.js';
import { unorderedPublish } from '../checks/unordered-publish.js';
import type { WalkResult } from '../engine.js';
import type { RaceCheck } from './context.js';
import { typeMapOf } from './keys.js';
import { Lockset, type Guard, type Side } from './lockset.js';

export const raceChecks: RaceCheck[] = [unguardedAccess, checkThenAct, unorderedPublish];

export interface RaceResult {
  lockset: Lockset;
  guards: Map<string, Guard[]>;
  findings: Record<Side, { fn: FunctionIR; finding: RawFinding }[]>;
}

export function analyzeRaces(sides: { side: Side; walks: WalkResult[] }[], sem: Semantics, checks: RaceCheck[] = raceChecks): RaceResult {
  const types = typeMapOf(sides.flatMap((s) => s.walks.map((w) => w.fn)));
  const lockset = new Lockset(sides, types);
  const guards = lockset.guards(sem);
  const findings: RaceResult['findings'] = { pre: [], post: [] };
  for (const { side, walks } of sides) {
    for (const c of checks) findings[side].push(...c.run({ side, walks, lockset, guards, sem }));
  }
  return { lockset, guards, findings };
}

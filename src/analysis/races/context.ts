// What the race checks see: the lock state at every access of both images, the guards known or
// inferred from them, and the walks of the side being checked.

import type { FunctionIR } from '../../c/ir.js';
import type { Semantics } from '../../semantics/index.js';
import type { RawFinding } from '../check.js';
import type { RuleDeclaration } from '../rule.js';
import type { WalkResult } from '../engine.js';
import type { Guard } from './guards.js';
import type { Lockset, Side } from './lockset.js';

export interface RaceContext {
  side: Side;
  walks: WalkResult[]; // the side being checked
  lockset: Lockset; // accesses of both images
  guards: Map<string, Guard[]>; // data key -> guards
  sem: Semantics;
}

export interface RaceCheck {
  meta: RuleDeclaration;
  run(ctx: RaceContext): { fn: FunctionIR; finding: RawFinding }[];
}

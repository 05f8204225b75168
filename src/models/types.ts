// What a subsystem model is: it reads its rules file and the functions of the input, and sets up
// scenarios: a small world (the subsystem's shared objects), the threads that run concurrently
// (functions of the input executed from their IR, plus what the patch does not show, written as
// scripts), and the invariants that must hold. The explorer (src/analysis/interleave/) runs them.

import type { FunctionIR } from '../c/ir.js';
import type { Hooks, ThreadSpec } from '../analysis/interleave/types.js';
import type { World } from '../analysis/interleave/world.js';
import type { Semantics } from '../semantics/index.js';
import type { LoadedRuleFile } from '../semantics/load.js';

export interface ModelInput {
  side: 'pre' | 'post';
  /** Every function of this image, by name (the explorer inlines calls to them). */
  fns: Map<string, FunctionIR>;
  sem: Semantics;
}

export interface Scenario {
  /** Stable within the model: it is part of the finding's fingerprint. */
  id: string;
  title: string;
  /** What must hold, in words (shown with the finding). */
  invariant: string;
  /** The function a finding is reported on when the violation does not name one of the input. */
  subject: FunctionIR;
  /** What the scenario rests on: rule entries, what the model supplies for code the patch hides. */
  facts: string[];
  /** Normalised objects the finding is about (fingerprint). */
  objects: string[];
  /** Build the initial world; return the threads that start running. */
  setup(w: World): ThreadSpec[];
  hooks: Hooks;
  /**
   * The functions of the input each of the scenario's threads runs (a function two threads run is
   * listed for both), and the members the model's own steps touch: what only one thread ever
   * touches is not a scheduling point (src/analysis/interleave/shared.ts).
   */
  roles: FunctionIR[][];
  sharedMembers: string[];
  /** The finding's message for a deadlock (the default names the blocked threads). */
  deadlockMessage?: (waits: { thread: number; role: string; waits: string; line: number | null }[]) => string;
}

export interface Model {
  name: string; // 'dm-ploop'
  subsystem: string; // the `subsystem:` of its rules file
  description: string;
  scenarios(input: ModelInput, rules: LoadedRuleFile): Scenario[];
}

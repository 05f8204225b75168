// What the path walker (engine.ts) gives each analysis domain, and the events the domains emit.
// A domain (locks, references, flags, sleep/atomic context, error paths) owns its part of the
// state, its transfer functions for the ops it understands, its part of the state key (states with
// equal keys join) and what a callee's summary does to it. The walker orchestrates: it walks the
// CFG, dispatches each op to the domains and applies callee summaries through them.

import type { FunctionIR, Op } from '../../c/ir.js';
import type { Semantics } from '../../semantics/index.js';
import type { CfgInfo } from '../cfg.js';
import type { Pending, State } from '../state.js';
import type { Summary, SummaryTable } from '../summary.js';
import type { ErrorPathEvent, ErrorPaths } from './error-paths.js';
import type { FlagEvent, Flags } from './flags.js';
import type { LockEvent, Locks } from './locks.js';
import type { Memory } from './memory.js';
import type { RefEvent, Refs } from './refs.js';
import type { SleepContext, SleepEvent } from './sleep.js';

/** A path's steps as the findings show them. */
export type Trace = { line: number | null; text: string; note: string; function?: string }[];

export type EngineEvent = LockEvent | RefEvent | FlagEvent | SleepEvent | ErrorPathEvent;

export type CallOp = Extract<Op, { kind: 'call' }>;

/** Per-function facts (computed once) and the walker's services, shared by every domain. */
export interface WalkContext {
  readonly fn: FunctionIR;
  readonly sem: Semantics;
  readonly summaries: SummaryTable;
  readonly cfg: CfgInfo;
  /** The block being walked. */
  readonly block: number;
  emit(e: EngineEvent, key: string): void;
  /** Record an effect that happens when the result `id` turns out a certain way. */
  pend(s: State, id: string | undefined, p: Pending): void;
  /** Carry out a pending effect now that its result is known. */
  fire(s: State, p: Pending): void;
  /** A local variable or parameter of this function (else a global, which any call may change). */
  isLocal(name: string): boolean;
  /** The type-qualified name of an object (netfs_inode.wb_lock), when its root's type is known. */
  typed(obj: string): string | undefined;
  /** A callee's object (in its parameters' terms) in this function's terms. */
  mapArgs(sum: Summary, op: CallOp, obj: string): string | null;
  readonly locks: Locks;
  readonly refs: Refs;
  readonly memory: Memory;
  readonly flags: Flags;
  readonly sleep: SleepContext;
  readonly errors: ErrorPaths;
}

/** Whether a variable is declared as a pointer in the function. */
export function isPointerLocal(fn: FunctionIR, name: string): boolean {
  const d = fn.locals.find((l) => l.name === name) ?? fn.params.find((p) => p.name === name);
  return !!d && d.type.includes('*');
}

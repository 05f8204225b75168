// Types shared by the interpreter, the explorer and the subsystem models.

import type { Expr, FunctionIR, Op } from '../../c/ir.js';
import type { Loc, Value, World } from './world.js';

export type CallOp = Extract<Op, { kind: 'call' }>;

/** One activation of a function of the input, executed from its IR. */
export interface Frame {
  fn: FunctionIR;
  b: number; // block
  i: number; // next op in the block (ops.length: the terminator)
  env: Map<string, Value>;
  storage: Set<string>; // variables whose value is their own stack object (structs, list heads)
  res: Map<string, Value>; // op results
  ret?: string; // result id in the caller that receives the return value
  took: Loc[]; // locks this frame acquired and still holds
  /** Iterator loops: nodes still to visit, by loop head block; the current node, or null when done. */
  iters: Map<number, { left: Loc[]; current: Loc | null }>;
  loops: Map<number, number>; // visits of loop heads whose condition is not known (bounded)
  came: string; // why control entered the current block ('loop' / 'continue' for back-edges)
}

/** A step of a thread the model writes itself (what the patch does not show: other subsystems, the block layer). */
export interface ScriptStep {
  text: string;
  /** True when the step can run now, or what it waits for. */
  enabled?: (x: Exec) => true | string;
  run?: (x: Exec) => void;
  /** Run a function of the input on this thread (its IR, frame by frame) before the next step. */
  call?: (x: Exec) => { fn: FunctionIR; args?: Value[]; bind?: Record<string, Value> } | null;
  /** What the called function returned. */
  onReturn?: (x: Exec, v: Value) => void;
}

export interface Thread {
  id: number;
  role: string; // 'pio runner', 'md writeback completion'
  entry: string; // the function (or script) it runs, for the witness header
  frames: Frame[];
  script?: { steps: ScriptStep[]; pc: number; calling?: number };
  done: boolean;
}

export interface State {
  world: World;
  threads: Thread[];
}

/** What a step shows in a witness. */
export interface StepEvent {
  thread: number;
  function: string;
  line: number | null;
  text: string;
  note: string;
  /** Shared locations the step touched (a witness keeps the steps other threads see). */
  locs: string[];
  /** How it touched them: a read (a test, a peek), a change, or taking/dropping a lock. */
  mode: 'read' | 'write' | 'lock';
  /** For lock steps: taking or dropping it. */
  dir?: 'take' | 'drop';
  /** A read that decides a branch (a flag test, list_empty(), a condition). */
  test?: boolean;
  /** The model gave the step a meaning of its own (a dispatch, supplied hidden code). */
  modelled?: boolean;
}

export interface Violation {
  invariant: string; // stable id: 'stranded-pio', 'use-after-free', 'bio-ended-early' ...
  message: string;
  thread: number;
  function: string;
  line: number | null;
  objects: string[];
  /** A violation any single thread could hit alone (NULL/ERR_PTR dereference): the engine's business. */
  sequential?: boolean;
  /** The shared locations the broken invariant is about (a witness shows the steps that led there). */
  locs?: string[];
}

/** What the executing thread can do to the world, given to model hooks. */
export interface Exec {
  w: World;
  /** Every thread, as it was when this step began (read only). */
  state: State;
  thread: Thread;
  frame: Frame | null;
  line: number | null;
  note(text: string): void;
  /** An assumption the step makes (the hidden code, an unknown call): shown with the finding. */
  assume(text: string): void;
  violate(v: Omit<Violation, 'thread' | 'function' | 'line'> & { line?: number | null }): void;
  spawn(spec: ThreadSpec): void;
  /** The location a normalised path names in the current frame. */
  locOf(path: string): Loc | null;
  /** Say the step touches a shared location (the witness keeps steps other threads see). */
  touch(loc: Loc): void;
  value(e: Expr): Value;
}

export type CallEffect = { blocked: string } | { value?: Value; note?: string };

export type ThreadSpec = { role: string; fn: FunctionIR; args?: Value[]; bind?: Record<string, Value> } | { role: string; entry: string; script: ScriptStep[] };

/** How a subsystem model takes part in execution. Every hook is optional. */
export interface Hooks {
  /** Calls the model gives meaning to (visible steps: they may block or change the model's state). */
  calls?: Set<string>;
  call?(x: Exec, callee: string, args: Value[], op: CallOp): CallEffect | undefined;
  /** Code a patch does not show: the model may supply what it must hold (and says so). */
  gap?(x: Exec, id: number): boolean;
  /** A name the visible code uses but does not declare (a partial function's hidden locals, parameters). */
  bind?(x: Exec, name: string): Value | undefined;
  /** Invariants checked after every step. */
  check?(s: State): (Omit<Violation, 'thread' | 'function' | 'line'> & { thread?: number; line?: number | null; function?: string }) | null;
  /** Invariants checked when every thread has finished. */
  final?(s: State): (Omit<Violation, 'thread' | 'function' | 'line'> & { thread?: number; line?: number | null; function?: string }) | null;
}

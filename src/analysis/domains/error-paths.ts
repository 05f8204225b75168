// The error-path domain: a path that took an error branch (`if (IS_ERR(x))`, `if (ret < 0)`,
// `if (!p)`), cleaned up there (a release, put or free) and then fell through into the code after
// the branch instead of leaving: that code then uses the failed value or repeats the cleanup.

import type { Expr, FunctionIR, Op } from '../../c/ir.js';
import { dominates } from '../cfg.js';
import { derefs, rootOf } from '../objects.js';
import { addTrace, cloneState, traceSteps, type State } from '../state.js';
import { isPointerLocal, type Trace, type WalkContext } from './walk.js';

/** A path that took an error branch and cleaned up there (error-path-fallthrough). */
export interface ErrorBranch {
  subject: string; // the variable tested (wreq, ret)
  line: number | null; // the branch
  succ: number; // the first block of the error side (its dominance region is the error branch)
  cleanup: { line: number | null; text: string; obj: string; kind: 'release' | 'put' | 'free' } | null;
  fellThrough: boolean; // left the error side by falling through to the code after it
}

export interface ErrorPathState {
  err: ErrorBranch | null;
}

export type ErrorPathEvent = {
  k: 'err-fallthrough';
  line: number | null;
  subject: string;
  branchLine: number | null;
  cleanup: { line: number | null; text: string; obj: string; kind: string };
  use: { line: number | null; text: string; what: string };
  trace: Trace;
};

export class ErrorPaths {
  /** Each branch condition's error side, worked out once (branches are walked many times). */
  private readonly sides = new WeakMap<Expr, { subject: string; outcome: boolean } | null>();

  constructor(private readonly cx: WalkContext) {}

  /**
   * A release, put or free: the error side's cleanup, or a repeat of it after falling through.
   * `held`: the path still holds what this one drops (a second reference the error side's put
   * did not reach), so a repeat is no double drop.
   */
  cleanup(s: State, line: number | null, text: string, obj: string, kind: 'release' | 'put' | 'free', held = false): void {
    const e = s.err;
    if (!e) return;
    if (!e.fellThrough) {
      if (!e.cleanup && dominates(this.cx.cfg, e.succ, this.cx.block)) s.err = { ...e, cleanup: { line, text, obj, kind } };
      return;
    }
    if (e.cleanup && e.cleanup.obj === obj && !held) {
      this.cx.emit(
        {
          k: 'err-fallthrough',
          line: e.line ?? line,
          subject: e.subject,
          branchLine: e.line,
          cleanup: e.cleanup,
          use: { line, text, what: `${kind === 'release' ? 'releases' : kind === 'put' ? 'drops' : 'frees'} '${obj}' again` },
          trace: traceSteps(s),
        },
        `eft:${e.succ}`,
      );
    }
  }

  /** An access after falling through: of the failed value, or of memory the error branch freed. */
  access(s: State, op: Extract<Op, { kind: 'access' }>): void {
    const e = s.err;
    if (!e?.fellThrough || !e.cleanup) return;
    const p = op.path.replace(/^&/, '');
    const used = derefs(p, e.subject) ? e.subject : e.cleanup.kind === 'free' && derefs(p, e.cleanup.obj) ? e.cleanup.obj : null;
    if (used) {
      this.cx.emit(
        {
          k: 'err-fallthrough',
          line: e.line,
          subject: e.subject,
          branchLine: e.line,
          cleanup: e.cleanup,
          use: { line: op.line, text: op.text ?? op.path, what: used === e.subject ? `dereferences '${used}'` : `uses '${used}' after freeing it` },
          trace: traceSteps(s),
        },
        `eft:${e.succ}`,
      );
    }
  }

  /**
   * The object the error side cleaned up is taken again (the next pass of a loop locks it anew):
   * a release or put after this is of the new hold, not the cleanup repeated.
   */
  retaken(s: ErrorPathState, obj: string): void {
    if (s.err?.fellThrough && s.err.cleanup?.obj === obj) s.err = null;
  }

  /** The tested variable gets a new value: the error branch is over. */
  assigned(s: ErrorPathState, target: string): void {
    if (s.err && target === s.err.subject) s.err = null;
    // The cleaned-up variable holds a new object (`inode = iget(..)` on the next pass): a later
    // release is of that one.
    else if (s.err?.fellThrough && s.err.cleanup && rootOf(s.err.cleanup.obj) === target) s.err = null;
  }

  /** Entering the error side of a branch on `cond` (taken when it is `outcome`, into block `target`). */
  branch(s: State, cond: Expr, outcome: boolean, target: number, line: number | null): void {
    let side = this.sides.get(cond);
    if (side === undefined) this.sides.set(cond, (side = errorSide(cond, this.cx.fn)));
    if (side && side.outcome === outcome && (!s.err || (!s.err.fellThrough && !s.err.cleanup))) {
      s.err = { subject: side.subject, line, succ: target, cleanup: null, fellThrough: false };
    }
  }

  /**
   * An edge: leaving the error side by falling into the code after it, not by goto, break or
   * continue, nor by reaching the end of a loop body (the next pass starts anew, like continue).
   */
  edge(from: number, to: number, s: State, why: string): State {
    const e = s.err;
    const cfg = this.cx.cfg;
    if (!e || e.fellThrough || !dominates(cfg, e.succ, from) || dominates(cfg, e.succ, to)) return s;
    const st = cloneState(s);
    const backEdge = !!this.cx.fn.blocks[to]?.loopHead && dominates(cfg, to, from);
    st.err = why === 'fall' && e.cleanup && !backEdge ? { ...e, fellThrough: true } : null;
    if (st.err) addTrace(st, e.cleanup?.line ?? null, e.cleanup?.text ?? '', 'the error branch falls through to the code after it');
    return st;
  }
}

export function errorKeyParts(s: ErrorPathState, out: string[]): void {
  if (s.err) out.push(`E${s.err.subject}@${s.err.line}/${s.err.cleanup ? 'c' : ''}/${s.err.fellThrough ? 'f' : ''}`);
}

/** Which side of a branch is the error side, and on what variable: IS_ERR(x), !x, x < 0, x != 0. */
function errorSide(c: Expr, fn: FunctionIR): { subject: string; outcome: boolean } | null {
  if (c.k === 'is_err' && c.e.k === 'var') return { subject: c.e.name, outcome: true };
  if (c.k === 'not') {
    if (c.e.k === 'is_err' && c.e.e.k === 'var') return { subject: c.e.e.name, outcome: false };
    if (c.e.k === 'var' && isPointerLocal(fn, c.e.name)) return { subject: c.e.name, outcome: true };
  }
  if (c.k === 'cmp' && c.a.k === 'var') {
    const zero = c.b.k === 'int' && c.b.value === 0;
    const nul = c.b.k === 'null';
    if (zero && c.op === '<') return { subject: c.a.name, outcome: true };
    if ((zero || nul) && c.op === '==' && isPointerLocal(fn, c.a.name)) return { subject: c.a.name, outcome: true };
  }
  return null;
}

// The sleep/atomic-context domain: whether a path may sleep where it holds a spinlock, has
// interrupts or bottom halves off or is in an RCU read section. It keeps no state of its own (the
// context is what the lock domain holds); it judges sleeping calls, sleeping allocations and
// sleeping callees (through their summaries), and records where the function may sleep for its
// own summary and in what context each call is made.

import type { Op } from '../../c/ir.js';
import { gfpSleeps } from '../gfp.js';
import { traceSteps, type State } from '../state.js';
import type { Summary } from '../summary.js';
import { bhDisabled, irqsDisabled, isAtomicFamily, type HeldLock } from './locks.js';
import type { CallOp, Trace, WalkContext } from './walk.js';

/** Where a sleep comes from: the sleeping call itself and the callees leading to it. */
export interface SleepRoot {
  why: string;
  line: number | null;
  via: string[]; // callee chain from this function's call down to the function that sleeps
  always: boolean; // on every path through the callees (false: only on some)
  /** The caller's locks released before the sleep (this function's terms): a sleep with them dropped. */
  drops: string[];
}

export type SleepEvent =
  | {
      k: 'sleep';
      line: number | null;
      what: string;
      why: string;
      atomic: HeldLock[];
      via?: string;
      sometimes?: boolean;
      viaGap: boolean;
      text: string;
      trace: Trace;
    }
  | { k: 'call-context'; line: number | null; callee: string; irqsOff: boolean; bhOff: boolean }
  | { k: 'may-sleep'; line: number | null; what: string; why: string; root: SleepRoot; block: number }; // anywhere (for summaries)

export class SleepContext {
  constructor(private readonly cx: WalkContext) {}

  check(s: State, c: { line: number | null; what: string; why: string; text: string; via?: string; root?: SleepRoot }): void {
    const cx = this.cx;
    const { line, what, why, text, via, root } = c;
    // The locks our own caller holds that this path (or the callee, before it sleeps) has dropped.
    const drops = [...new Set([...(root?.drops ?? []), ...s.entryReleased.keys()])];
    cx.emit({ k: 'may-sleep', line, what, why, root: { ...(root ?? { why, line, via: [], always: true }), drops }, block: cx.block }, `msl:${line}:${what}`);
    const dropped = new Set(root?.drops ?? []);
    const atomic = [...s.locks.values()].filter((l) => isAtomicFamily(l) && !dropped.has(l.obj));
    if (!atomic.length) return;
    cx.emit(
      { k: 'sleep', line, what, why, atomic, via, sometimes: root ? !root.always : false, viaGap: s.viaGap, text, trace: traceSteps(s) },
      `sleep:${line}:${what}:${via ?? ''}`,
    );
  }

  /** An allocation with a GFP mask that lets it sleep; a pool that then never fails. */
  allocOp(s: State, op: Extract<Op, { kind: 'alloc' }>): void {
    if (!op.gfp || !gfpSleeps(op.gfp, s, this.cx.sem)) return;
    this.check(s, { line: op.line, what: op.primitive, why: `${op.primitive}(${op.gfp}) may sleep`, text: op.text ?? op.primitive });
    if (op.sleepingNeverFails && op.result) s.rfacts.set(op.result, { t: 'valid' });
  }

  /** A direct call: the context it is made in (for the irq-context checks) and whether rules/ say it sleeps. */
  call(s: State, op: CallOp, text: string): void {
    if (op.indirect) return;
    const irqsOff = irqsDisabled(s);
    const bhOff = irqsOff || bhDisabled(s);
    this.cx.emit({ k: 'call-context', line: op.line, callee: op.callee, irqsOff, bhOff }, `cctx:${op.callee}:${op.line}:${irqsOff}:${bhOff}`);
    if (this.cx.sem.sleeps(op.callee)) this.check(s, { line: op.line, what: op.callee, why: `${op.callee}() may sleep`, text });
  }

  /** A callee whose summary says it may sleep (directly or further down). */
  callee(s: State, op: CallOp, sum: Summary, text: string): void {
    const r = sum.maySleep;
    if (!r) return;
    const root: SleepRoot = {
      why: r.why,
      line: r.line,
      via: [op.callee, ...r.via],
      always: r.always,
      drops: r.drops.flatMap((d) => this.cx.mapArgs(sum, op, d) ?? []),
    };
    const through =
      root.via.length > 1
        ? ` through ${root.via
            .slice(1)
            .map((f) => `${f}()`)
            .join(' -> ')}`
        : '';
    this.check(s, {
      line: op.line,
      what: op.callee,
      why: `${op.callee}() may sleep (${r.why}${r.line !== null ? ` at line ${r.line}` : ''}${through}${r.always ? '' : ', on some of its paths'})`,
      text,
      via: op.callee,
      root,
    });
  }
}

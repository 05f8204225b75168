// Two-thread witnesses: the concrete interleaving behind a race finding, as Lockdep shows a
// deadlock (CPU0 | CPU1, one step per row, in order, with the line of each step), ending with the
// state that breaks.

import type { FunctionIR, Op } from '../../c/ir.js';
import type { Witness } from '../types.js';
import type { HeldLock, HeldHow } from './lockset.js';

export interface Step {
  cpu: 0 | 1;
  fn: string; // the function the step is in (a caller of the thread's function, for caller-held locks)
  line: number | null;
  text: string;
  note: string;
}

export function witness(fns: [string, string], steps: Step[], breaks: string, extra: Partial<Witness> = {}): Witness {
  return {
    threads: [
      { id: 'CPU0', name: 'thread A', function: fns[0] },
      { id: 'CPU1', name: 'thread B', function: fns[1] },
    ],
    steps: steps.map((s) => ({ thread: `CPU${s.cpu}`, line: s.line, function: s.fn, text: s.text, note: s.note })),
    breaks,
    ...extra,
  };
}

/** The acquire that pairs with a release as written (`spin_unlock_irqrestore(&l, f)` -> `spin_lock_irqsave(&l, f)`). */
export function acquireFor(release: string): string {
  const m = /^\s*([A-Za-z_]\w*)\s*\(([\s\S]*)\)\s*;?\s*$/.exec(release);
  if (!m) return `lock(${release})`;
  const name = m[1]!
    .replace(/unlock_irqrestore$/, 'lock_irqsave')
    .replace(/unlock/, 'lock')
    .replace(/^up_read$/, 'down_read')
    .replace(/^up_write$/, 'down_write')
    .replace(/^up$/, 'down');
  return `${name}(${m[2]})`;
}

/**
 * The steps by which a thread running `fn` came to hold a lock at an access: its own acquire, a
 * callee's, its caller's (and the call), or an acquire before the code shown.
 */
export function lockSteps(cpu: 0 | 1, fn: string, h: HeldLock): Step[] {
  return stepsFor(cpu, fn, h.obj, h.how);
}

function stepsFor(cpu: 0 | 1, fn: string, obj: string, how: HeldHow): Step[] {
  switch (how.k) {
    case 'here':
      return [{ cpu, fn, line: how.line, text: how.line === null ? `lock(${obj})` : how.text, note: `takes '${obj}'` }];
    case 'callee':
      return [{ cpu, fn, line: how.line, text: how.text, note: `takes '${obj}' inside ${how.callee}()` }];
    case 'assert':
      return [{ cpu, fn: `caller of ${fn}`, line: null, text: `lock(${obj}) [${how.text.trim()}]`, note: `the caller holds '${obj}', as ${fn}() asserts` }];
    case 'later':
      return [
        {
          cpu,
          fn: how.shown ? `caller of ${fn}` : fn,
          line: null,
          text: `${acquireFor(how.text)} [${how.shown ? 'by the caller' : 'before the code shown'}; released at ${how.line ?? '?'}]`,
          note: `holds '${obj}' on entry: it is released at line ${how.line ?? '?'} without being taken`,
        },
      ];
    case 'caller':
      return [...stepsFor(cpu, how.caller, obj, how.outer), { cpu, fn: how.caller, line: how.line, text: how.text, note: `calls ${fn}() with '${obj}' held` }];
  }
}

/** The step that lets the lock go again after `line`, if the code shows it. */
export function unlockStep(cpu: 0 | 1, fnIR: FunctionIR, h: HeldLock, line: number | null, callers: (name: string) => FunctionIR | undefined): Step | null {
  const how = h.how;
  if (how.k === 'later') return how.line !== null ? { cpu, fn: fnIR.name, line: how.line, text: how.text, note: `releases '${h.obj}'` } : null;
  if (how.k === 'caller') {
    const c = callers(how.caller);
    const rel = c ? releaseAfter(c, (o) => memberOf(o) === memberOf(h.obj), how.line) : null;
    return rel ? { cpu, fn: how.caller, line: rel.line, text: rel.text, note: `releases '${h.obj}'` } : null;
  }
  if (how.k === 'assert') return null;
  const rel = releaseAfter(fnIR, (o) => memberOf(o) === memberOf(h.obj), line);
  return rel ? { cpu, fn: fnIR.name, line: rel.line, text: rel.text, note: `releases '${h.obj}'` } : null;
}

function memberOf(obj: string): string {
  return obj.replace(/^&/, '').split(/->|\./).pop() ?? obj;
}

/** The acquire of a lock (as written) nearest before `line`, as a step. */
export function acquireStep(cpu: 0 | 1, fn: FunctionIR, obj: string, line: number | null): Step {
  let best: Op | null = null;
  for (const b of fn.blocks)
    for (const op of b.ops) {
      if (op.kind !== 'acquire' || op.obj !== obj || op.line === null) continue;
      if (line !== null && op.line > line) continue;
      if (!best || op.line > (best.line ?? 0)) best = op;
    }
  return best
    ? { cpu, fn: fn.name, line: best.line, text: opText(best), note: `takes '${obj}'` }
    : { cpu, fn: fn.name, line: null, text: `lock(${obj}) [before the code shown]`, note: `holds '${obj}'` };
}

/** The first release of a lock after `line`. */
export function releaseAfter(fn: FunctionIR, lockMatches: (obj: string) => boolean, line: number | null): { line: number | null; text: string } | null {
  let best: { line: number | null; text: string } | null = null;
  for (const b of fn.blocks) {
    for (const op of b.ops) {
      if (op.kind !== 'release' || !lockMatches(op.obj)) continue;
      if (line !== null && op.line !== null && op.line < line) continue;
      if (!best || (op.line ?? Infinity) < (best.line ?? Infinity)) best = { line: op.line, text: op.text ?? op.primitive };
    }
  }
  return best;
}

/** The source text of an op, or a short rendering of it. */
export function opText(op: Op): string {
  if (op.text) return op.text.trim();
  switch (op.kind) {
    case 'access':
      return op.path;
    case 'atomic':
      return `${op.primitive}(&${op.obj})`;
    case 'flag':
      return `${op.primitive}(${op.bit}, &${op.word})`;
    case 'list':
      return `${op.primitive}(...)`;
    case 'call':
      return `${op.callee}(...)`;
    default:
      return op.kind;
  }
}

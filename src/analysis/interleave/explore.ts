// Bounded exhaustive exploration of the interleavings of a few threads, breadth first with state
// hashing, so the first invariant violation (or the first state where every thread is blocked) it
// meets is reached by a shortest interleaving. Threads only interleave at visible operations (see
// thread.ts), which is a partial-order reduction: local work commutes with everything.

import type { FunctionIR } from '../../c/ir.js';
import type { Hooks, State, StepEvent, Thread, Violation } from './types.js';
import { step, threadKey, type ExecEnv } from './thread.js';

export interface ExploreOptions {
  maxStates?: number;
  /** Wall-clock budget for one exploration. */
  deadlineMs?: number;
  /** Report states where every unfinished thread waits (default true). */
  deadlocks?: boolean;
  /** Members more than one thread may touch (see shared.ts); all are scheduling points when absent. */
  shared?: Set<string>;
  /** Callees worth following (shared.ts); all are when absent. */
  follow?: (fn: FunctionIR) => boolean;
}

export interface Blocked {
  thread: number;
  waits: string;
  /** Where it waits: the innermost function of the input it is in, the line and the statement. */
  function: string | null;
  line: number | null;
  text: string | null;
}

export interface Exploration {
  verdict: 'violation' | 'deadlock' | 'safe' | 'budget';
  violation?: Violation;
  blocked?: Blocked[];
  /** The steps of the shortest interleaving that breaks, in order. */
  path: StepEvent[];
  /** What the steps on that interleaving assumed (hidden code, unknown calls). */
  assumptions: string[];
  threads: { id: number; role: string; entry: string }[];
  states: number;
  ms: number;
}

interface Node {
  state: State | null; // dropped once expanded: only the path back is kept
  parent: number;
  event: StepEvent | null;
  assumptions: string[];
}

function stateKey(s: State): string {
  return `${s.world.key()}#${s.threads.map(threadKey).join('|')}`;
}

const summary = (ts: Thread[]): Exploration['threads'] => ts.map((t) => ({ id: t.id, role: t.role, entry: t.entry }));

export function explore(init: State, fns: ExecEnv['fns'], hooks: Hooks, opts: ExploreOptions = {}): Exploration {
  const maxStates = opts.maxStates ?? 50_000;
  // States bound the work (the same answer on any machine); the clock is only a safety net.
  const deadline = Date.now() + (opts.deadlineMs ?? 8000);
  const env: ExecEnv = { fns, hooks, ...(opts.shared ? { shared: opts.shared } : {}), ...(opts.follow ? { follow: opts.follow } : {}) };
  const nodes: Node[] = [{ state: init, parent: -1, event: null, assumptions: [] }];
  const seen = new Set<string>([stateKey(init)]);
  const t0 = Date.now();
  const finish = (verdict: Exploration['verdict'], at: number, extra: Partial<Exploration> = {}): Exploration => {
    const path: StepEvent[] = [];
    const assumptions: string[] = [];
    for (let n = at; n >= 0; n = nodes[n]!.parent) {
      const node = nodes[n]!;
      if (node.event) path.unshift(node.event);
      for (const a of node.assumptions) if (!assumptions.includes(a)) assumptions.unshift(a);
    }
    return { verdict, path, assumptions, threads: summary((nodes[at]!.state ?? init).threads), states: nodes.length, ms: Date.now() - t0, ...extra };
  };
  for (let at = 0; at < nodes.length; at++) {
    if (nodes.length > maxStates || (at % 256 === 0 && Date.now() > deadline)) {
      return { verdict: 'budget', path: [], assumptions: [], threads: summary(init.threads), states: nodes.length, ms: Date.now() - t0 };
    }
    const s = nodes[at]!.state!;
    const live = s.threads.filter((t) => !t.done);
    if (!live.length) {
      const v = hooks.final?.(s);
      if (v) return finish('violation', at, { violation: complete(v, s) });
      continue;
    }
    const blocked: Blocked[] = [];
    let moved = false;
    for (const t of live) {
      const r = step(s, t.id, env);
      if (r.blocked) blocked.push({ thread: t.id, waits: r.blocked, ...where(t) });
      for (const res of r.results) {
        moved = true;
        const bad = res.violation && !res.violation.sequential ? res.violation : (hooks.check?.(res.state) ?? null);
        const key = stateKey(res.state);
        if (!bad && seen.has(key)) continue;
        seen.add(key);
        nodes.push({ state: res.state, parent: at, event: res.event, assumptions: res.assumptions });
        if (bad) return finish('violation', nodes.length - 1, { violation: complete(bad, res.state, res.event) });
      }
    }
    if (!moved && opts.deadlocks !== false) return finish('deadlock', at, { blocked });
    if (at > 0) nodes[at]!.state = null;
  }
  return { verdict: 'safe', path: [], assumptions: [], threads: summary(init.threads), states: nodes.length, ms: Date.now() - t0 };
}

function where(t: Thread): { function: string | null; line: number | null; text: string | null } {
  const f = t.frames[t.frames.length - 1];
  if (!f) return { function: null, line: null, text: t.script?.steps[t.script.pc]?.text ?? null };
  const op = f.fn.blocks[f.b]?.ops[f.i];
  return { function: f.fn.name, line: op?.line ?? null, text: op?.text ?? null };
}

type PartialViolation = NonNullable<ReturnType<NonNullable<Hooks['check']>>> | Violation;

function complete(v: PartialViolation, s: State, ev?: StepEvent | null): Violation {
  const thread = v.thread ?? ev?.thread ?? 0;
  return {
    ...v,
    thread,
    function: v.function ?? ev?.function ?? s.threads[thread]?.entry ?? '?',
    line: v.line ?? ev?.line ?? null,
  };
}

// The subsystem models as a stage of the analysis: set up every scenario whose functions the image
// holds, explore its interleavings, and turn the shortest one that breaks an invariant (or blocks
// every thread) into a finding with its witness.

import type { FunctionIR } from '../c/ir.js';
import { models as allModels, type Model, type Scenario } from '../models/index.js';
import type { Semantics } from '../semantics/index.js';
import type { RawFinding } from './check.js';
import { explore, type Exploration, type ExploreOptions } from './interleave/explore.js';
import { relevance, sharedMembers } from './interleave/shared.js';
import { isCompletionCall } from './interleave/waits.js';
import { newThread, takeEntryLocks } from './interleave/thread.js';
import type { State, StepEvent } from './interleave/types.js';
import { World } from './interleave/world.js';
import type { Witness } from './types.js';
import { defineRule, report } from './rule.js';

export const modelViolationRule = defineRule({
  id: 'model-violation',
  severity: 'warning',
  kind: 'model',
  summary: "an interleaving of the code's own functions that breaks an invariant of a subsystem model",
  description:
    "Runs the functions the input holds that may run concurrently (as the subsystem model in src/models/ and its rules/ file describe: who submits, completes, works and waits) over the model's shared state, explores their interleavings and reports the shortest one that breaks one of the model's invariants: a wakeup lost, a bio completed before its last piece, a counter dropped before the work it counts. The finding carries the witness as one column per CPU and the invariant it breaks.",
  help: {
    bad: `/* completion side */
llist_for_each_entry_safe(pio, n, llist_del_all(&md->wait_llist), node)
\tdispatch(pio);
clear_bit(MD_WRITEBACK, &md->status);\t/* a pio parked in between is never woken */`,
    good: `clear_bit(MD_WRITEBACK, &md->status);
smp_mb__after_atomic();
llist_for_each_entry_safe(pio, n, llist_del_all(&md->wait_llist), node)
\tdispatch(pio);`,
  },
  cwe: [362],
  tags: ['concurrency', 'model'],
  messages: {
    violation: '{{message}}',
  },
});

export const deadlockRule = defineRule({
  id: 'deadlock',
  severity: 'error',
  kind: 'model',
  summary: 'an interleaving in which every thread of a subsystem model waits for another: no thread can go on',
  description:
    "Explores the interleavings of the input's functions over a subsystem model and reports a state in which every thread is blocked (on a lock, a completion, a bio only another blocked thread would resubmit), with the waits of each CPU and the steps that led there.",
  help: {
    bad: `/* the only thread that resubmits md->rescued */
static void wq_work(struct work_struct *work)
{
\tsplit_and_process(md, bio);\t/* blocks on a target waiting for a rescued bio */
\tresubmit_rescued(md);
}`,
    good: `static void wq_work(struct work_struct *work)
{
\tresubmit_rescued(md);\t/* resubmit first: nothing waits behind this thread */
\tsplit_and_process(md, bio);
}`,
  },
  cwe: [833],
  tags: ['concurrency', 'deadlock', 'model'],
  messages: {
    blocked: '{{message}}',
  },
});

export interface ModelRun {
  model: string;
  scenario: string;
  side: 'pre' | 'post';
  verdict: Exploration['verdict'];
  states: number;
  ms: number;
}

export interface ModelAnalysis {
  findings: { fn: FunctionIR; finding: RawFinding }[];
  runs: ModelRun[];
  notes: string[];
}

export interface ModelOptions extends ExploreOptions {
  models?: Model[];
}

/** Run one scenario: its world, its threads, the exploration. */
export function runScenario(sc: Scenario, fns: Map<string, FunctionIR>, opts: ExploreOptions = {}): { ex: Exploration; entry: string[] } {
  const world = new World();
  const specs = sc.setup(world);
  const state: State = { world, threads: [] };
  for (const s of specs) state.threads.push(newThread(s, world, state.threads.length));
  const entry: string[] = [];
  state.threads.forEach((_, i) => entry.push(...takeEntryLocks(state, i, { fns, hooks: sc.hooks })));
  const shared = sharedMembers(sc.roles, fns, sc.sharedMembers);
  const follow = relevance(fns, shared, (callee) => !!sc.hooks.calls?.has(callee) || isCompletionCall(callee));
  return { ex: explore(state, fns, sc.hooks, { shared, follow, ...opts }), entry };
}

export function analyzeModels(side: 'pre' | 'post', fns: FunctionIR[], sem: Semantics, opts: ModelOptions = {}): ModelAnalysis {
  const out: ModelAnalysis = { findings: [], runs: [], notes: [] };
  const byName = new Map<string, FunctionIR>();
  for (const f of fns) if (!byName.has(f.name) && f.blocks.length) byName.set(f.name, f);
  const best = new Map<string, { fn: FunctionIR; finding: RawFinding; steps: number }>();
  for (const model of opts.models ?? allModels) {
    const rules = sem.subsystem(model.subsystem);
    if (!rules) continue;
    for (const sc of model.scenarios({ side, fns: byName, sem }, rules)) {
      const { ex, entry } = runScenario(sc, byName, opts);
      out.runs.push({ model: model.name, scenario: sc.id, side, verdict: ex.verdict, states: ex.states, ms: ex.ms });
      if (ex.verdict === 'budget') {
        out.notes.push(`model ${model.name}: ${sc.title}: exploration budget exhausted after ${ex.states} states (${ex.ms} ms); no verdict`);
        continue;
      }
      const f = toFinding(model, sc, ex, entry, byName);
      if (!f) continue;
      const key = `${f.finding.rule}\0${f.finding.function}\0${f.finding.discriminator}`;
      const cur = best.get(key);
      if (!cur || ex.path.length < cur.steps) best.set(key, { ...f, steps: ex.path.length });
    }
  }
  for (const { fn, finding } of best.values()) out.findings.push({ fn, finding });
  return out;
}

function toFinding(model: Model, sc: Scenario, ex: Exploration, entry: string[], fns: Map<string, FunctionIR>): { fn: FunctionIR; finding: RawFinding } | null {
  let rule: string;
  let message: string;
  let fn: FunctionIR;
  let line: number | null;
  let invariant: string;
  if (ex.verdict === 'violation' && ex.violation) {
    const v = ex.violation;
    rule = 'model-violation';
    fn = fns.get(v.function) ?? sc.subject;
    line = v.line;
    message = v.message;
    invariant = v.invariant;
  } else if (ex.verdict === 'deadlock' && ex.blocked) {
    rule = 'deadlock';
    const waits = ex.blocked.map((b) => ({ ...b, role: ex.threads[b.thread]?.role ?? '?' }));
    const mine = waits.find((b) => b.function && fns.has(b.function)) ?? waits[0];
    fn = (mine?.function && fns.get(mine.function)) || sc.subject;
    line = mine?.line ?? null;
    message = sc.deadlockMessage?.(waits) ?? `deadlock: ${waits.map((b) => `CPU${b.thread} (${b.role}) waits for ${b.waits}`).join('; ')}`;
    invariant = 'progress';
  } else {
    return null;
  }
  const witness: Witness = {
    threads: ex.threads.map((t) => ({ id: `CPU${t.id}`, name: t.role, function: t.entry })),
    steps: shown(withWaits(ex), ex.violation?.locs).map((e) => step(e)),
    breaks: rule === 'deadlock' ? `${ex.blocked!.map((b) => `CPU${b.thread} waits for ${b.waits}`).join('; ')}: no thread can go on` : message,
    model: model.name,
    invariant: sc.invariant,
  };
  const partial = [...new Set(ex.path.map((e) => e.function))].map((n) => fns.get(n)).filter((f): f is FunctionIR => !!f && f.meta.completeness === 'partial');
  const facts = [
    `model ${model.name}: ${sc.title}`,
    ...sc.facts,
    ...entry,
    ...ex.assumptions,
    `explored ${ex.states} states in ${ex.ms} ms; this is a shortest interleaving that breaks it`,
  ];
  const common = {
    data: { message },
    confidence: partial.length ? ('medium' as const) : ('high' as const),
    line,
    function: fn.name,
    objects: sc.objects,
    trace: ex.path.filter((e) => e.function === fn.name).map((e) => ({ line: e.line, text: e.text, note: e.note })),
    facts,
    discriminator: `${model.name}:${invariant}`,
    witness,
  };
  const finding =
    rule === 'deadlock' ? report(deadlockRule, { ...common, messageId: 'blocked' }) : report(modelViolationRule, { ...common, messageId: 'violation' });
  return { fn, finding };
}

/** A deadlock's path ends with what each blocked thread waits in (a step it cannot take). */
function withWaits(ex: Exploration): StepEvent[] {
  if (ex.verdict !== 'deadlock' || !ex.blocked) return ex.path;
  const waits: StepEvent[] = ex.blocked.map((b) => ({
    thread: b.thread,
    function: b.function ?? ex.threads[b.thread]?.entry ?? '?',
    line: b.line,
    text: b.text ?? '(waits)',
    note: `waits for ${b.waits}`,
    locs: [],
    mode: 'read',
    modelled: true,
  }));
  return [...ex.path, ...waits];
}

/**
 * The steps a reader needs, as a dynamic slice of the interleaving: the last step and what the
 * model gave a meaning; the steps that change what those touched; the tests a thread made before a
 * step that matters (when another thread changes what they read); and the locks held around them.
 */
function shown(path: StepEvent[], about: string[] = []): StepEvent[] {
  const keep = new Set<number>();
  path.forEach((e, i) => {
    if (i === path.length - 1 || e.modelled || e.locs.some((l) => about.includes(l))) keep.add(i);
  });
  const writers = new Map<string, Set<number>>(); // loc -> threads that change it
  for (const e of path) if (e.mode === 'write') for (const l of e.locs) (writers.get(l) ?? writers.set(l, new Set()).get(l)!).add(e.thread);
  for (let changed = true; changed; ) {
    changed = false;
    const locs = new Set([...keep].flatMap((i) => path[i]!.locs));
    path.forEach((e, i) => {
      if (keep.has(i) || e.mode === 'lock') return;
      const touches = e.locs.some((l) => locs.has(l));
      const laterKept = [...keep].some((k) => k > i && path[k]!.thread === e.thread);
      const racyRead = e.mode === 'read' && e.test && laterKept && e.locs.some((l) => [...(writers.get(l) ?? [])].some((t) => t !== e.thread));
      if ((e.mode === 'write' && touches) || racyRead) {
        keep.add(i);
        changed = true;
      }
    });
  }
  // Locks a thread holds while it takes a kept step: the acquire and its release.
  const held = new Map<string, number>(); // thread:loc -> index of the acquire
  const pairs: [number, number | null][] = [];
  path.forEach((e, i) => {
    if (e.mode !== 'lock') return;
    for (const l of e.locs) {
      const k = `${e.thread}:${l}`;
      if (e.dir === 'take') held.set(k, i);
      else {
        // A drop with no take in the path: held since the thread's visible code began.
        pairs.push([held.get(k) ?? -1, i]);
        held.delete(k);
      }
    }
  });
  for (const a of held.values()) pairs.push([a, null]);
  for (const [a, r] of pairs) {
    const t = path[a >= 0 ? a : r!]!.thread;
    if ([...keep].some((k) => path[k]!.thread === t && k > a && (r === null || k < r))) {
      if (a >= 0) keep.add(a);
      if (r !== null) keep.add(r);
    }
  }
  const out = path.filter((_, i) => keep.has(i));
  // One row per statement: a read and a write of `x++` are one step.
  return out.filter((e, i) => !(i > 0 && out[i - 1]!.thread === e.thread && out[i - 1]!.line === e.line && out[i - 1]!.text === e.text));
}

function step(e: StepEvent): Witness['steps'][number] {
  const text = e.text.replace(/\s+/g, ' ').replace(/;\s*$/, '').trim();
  return { thread: `CPU${e.thread}`, line: e.line, function: e.function, text: text.length > 72 ? `${text.slice(0, 69)}...` : text, note: e.note };
}

// zram (and any `completions` rule): an object is split into pieces of work that worker threads
// take off a shared queue; a counter on the object says how many pieces are still to do, and the
// thread that drops it to zero completes the object (for zram: page requests of one bio; the last
// one ends the bio). Invariant: the object completes only after all its pieces are done, and no
// piece is worked on after it completed (the bio's pages belong to its submitter again).
//
// Threads: two workers run the worker function of the input (rules: `threads`) over a queue that
// already holds the pieces of one object; without one, each runs the function that does the work
// on a list holding one piece.

import type { FunctionIR, Op } from '../c/ir.js';
import type { Exec, ThreadSpec } from '../analysis/interleave/types.js';
import { ANY, int, objectOf, ptr, type Loc, type Value, type World } from '../analysis/interleave/world.js';
import type { RuleFile } from '../semantics/schema.js';
import { field, namesField, nodeMember, opsOf, reachable, struct } from './match.js';
import type { Model, ModelInput, Scenario } from './types.js';

type Completion = RuleFile['completions'][number];

const PIECES = 2;
const at = (l: number | null): string => (l !== null ? ` (line ${l})` : '');

export const zram: Model = {
  name: 'zram',
  subsystem: 'zram',
  description: 'page requests of a bio written by worker threads; the last one ends the bio',
  scenarios(input, rules) {
    const r = rules.rules;
    const out: Scenario[] = [];
    for (const c of r.completions) {
      const doesWork = (f: FunctionIR): boolean =>
        reachable(f, input.fns).some((g) => [...opsOf(g)].some((op) => op.kind === 'call' && op.callee === c.work.call));
      const workers = r.threads
        .flatMap((t) => t.functions.map((n) => ({ role: t.role, fn: input.fns.get(n) })))
        .filter((x): x is { role: string; fn: FunctionIR } => !!x.fn && doesWork(x.fn));
      if (workers.length) {
        out.push(scenario(input, rules.path, c, workers[0]!.fn, workers[0]!.role, 'queue'));
        continue;
      }
      // No worker loop in the input: the function that does the work, on a list handed to it.
      const consumer = [...input.fns.values()].find(
        (f) => [...opsOf(f)].some((op) => op.kind === 'call' && op.callee === c.work.call) && f.params.some((p) => /list_head\s*\*/.test(p.type)),
      );
      if (consumer) out.push(scenario(input, rules.path, c, consumer, 'worker', 'list'));
    }
    return out;
  },
};

function counterOps(fn: FunctionIR, c: Completion): Extract<Op, { kind: 'atomic' }>[] {
  return [...opsOf(fn)].filter(
    (op): op is Extract<Op, { kind: 'atomic' }> => op.kind === 'atomic' && /dec|sub/.test(op.action) && namesField(fn, op.obj, c.counter),
  );
}

function scenario(input: ModelInput, rulesPath: string, c: Completion, entry: FunctionIR, role: string, mode: 'queue' | 'list'): Scenario {
  const objStruct = struct(c.counter);
  const itemStruct = struct(c.item);
  const fns = reachable(entry, input.fns);
  const member = nodeMember(fns, itemStruct, 'list');
  const via = c.complete.via ? field(c.complete.via) : null;
  // "Nobody completed it" can only be told when the code that would complete it is all visible.
  const completesVisibly =
    fns.every((f) => f.meta.exitKnown) && fns.some((f) => [...opsOf(f)].some((op) => op.kind === 'call' && c.complete.calls.includes(op.callee)));
  let obj: Loc = '';
  let done: Loc = '';
  const items: Loc[] = [];
  const queueLoc = (): Loc | null => {
    if (!c.queue) return null;
    const [root, ...rest] = c.queue.split('.');
    return `g:${root}.${rest.join('.')}`;
  };
  const written = (w: World, it: Loc): boolean => w.model.get(`written:${it}`) === true;
  const facts = [
    `${rulesPath}: ${c.counter} counts the ${itemStruct} pieces (${c.item}) still to do; ${c.work.call}() does a piece's work; ${c.complete.calls.join('/')}() completes ${via ? `${objStruct}->${via}` : objStruct}${c.why ? ` (${c.why})` : ''}`,
    mode === 'queue'
      ? `world: one ${objStruct} split into ${PIECES} ${itemStruct} pieces waiting on ${c.queue}; two threads run ${entry.name}() (${role})`
      : `world: one ${objStruct} split into ${PIECES} ${itemStruct} pieces; two threads run ${entry.name}() on a list holding one piece each`,
  ];
  /** The line where a function drops its piece's count, and where it does the piece's work. */
  const linesIn = (fnName: string): { drop: number | null; work: number | null } => {
    const fn = input.fns.get(fnName);
    if (!fn) return { drop: null, work: null };
    const work = [...opsOf(fn)].find((op) => op.kind === 'call' && op.callee === c.work.call);
    return { drop: counterOps(fn, c)[0]?.line ?? null, work: work?.line ?? null };
  };
  return {
    id: `completion/${c.counter}/${entry.name}`,
    title: `${itemStruct} pieces of one ${objStruct} done by two threads`,
    invariant: `${via ? `${objStruct}->${via}` : objStruct} completes only after every ${itemStruct} of it is done, and no ${itemStruct} is worked on after that`,
    subject: entry,
    facts,
    objects: [c.counter],
    roles: [[entry], [entry]],
    sharedMembers: [field(c.counter)],
    setup(w: World): ThreadSpec[] {
      items.length = 0;
      obj = w.create(objStruct === 'bio_request' ? 'bio_req' : objStruct, objStruct);
      done = via ? w.create(via, null) : obj;
      if (via) w.store(`${obj}.${via}`, ptr(done));
      w.counts.set(`${obj}.${field(c.counter)}`, PIECES);
      for (let k = 1; k <= PIECES; k++) {
        const it = w.create(`${itemStruct}#${k}`, itemStruct);
        w.store(`${it}.${field(c.item)}`, ptr(obj));
        items.push(it);
      }
      const q = queueLoc();
      if (mode === 'queue' && q) {
        const g = objectOf(q);
        if (!w.objects.has(g)) w.objects.set(g, { label: g.slice(2), type: null });
        for (const it of items) w.addNode(q, `${it}.${member}`, 'tail');
        return [0, 1].map(() => ({ role, fn: entry }));
      }
      return items.map((it, k) => {
        const list = w.create(`list of CPU${k}`, 'list_head', k);
        w.lists.set(list, [`${it}.${member}`]);
        const p = entry.params.findIndex((x) => /list_head\s*\*/.test(x.type));
        const args: Value[] = entry.params.map(() => ANY);
        if (p >= 0) args[p] = ptr(list);
        return { role, fn: entry, args };
      });
    },
    hooks: {
      calls: new Set([c.work.call, ...c.complete.calls]),
      call(x: Exec, callee: string, args: Value[]) {
        if (callee === c.work.call) {
          const a = args[c.work.arg];
          const it = a?.t === 'ptr' ? objectOf(a.loc) : null;
          if (!it || !items.includes(it)) return { value: ANY };
          const label = x.w.describe(it);
          x.touch(`${obj}.${field(c.counter)}`);
          if (x.w.model.get(`completed`) === true) {
            const l = linesIn(x.frame?.fn.name ?? '');
            x.violate({
              invariant: 'work-after-complete',
              message: `put before use: ${label} is worked on after ${objStruct} completed; ${x.frame?.fn.name}() dropped its count on ${c.counter}${at(l.drop)} before doing its work${at(l.work)}`,
              objects: [c.counter],
              line: l.drop,
            });
          }
          x.w.model.set(`written:${it}`, true);
          return { value: int(0), note: `does the work of ${label}` };
        }
        if (c.complete.calls.includes(callee)) {
          const a = args[c.complete.arg];
          if (a?.t !== 'ptr' || objectOf(a.loc) !== done) return { value: ANY };
          x.touch(`${obj}.${field(c.counter)}`);
          const pending = items.filter((it) => !written(x.w, it));
          if (pending.length) {
            const l = linesIn(x.frame?.fn.name ?? '');
            x.violate({
              invariant: 'completed-early',
              message: `put before use: ${callee}() completes ${x.w.describe(done)} while ${pending.map((p) => x.w.describe(p)).join(', ')} is still to be done: ${x.frame?.fn.name}() drops a piece's count on ${c.counter}${at(l.drop)} before doing its work${at(l.work)}, so another thread can drop the last count and complete it first`,
              objects: [c.counter],
              line: l.drop,
            });
          }
          x.w.model.set('completed', true);
          return { value: ANY, note: `completes ${x.w.describe(done)}` };
        }
        return undefined;
      },
      final(s) {
        if (!completesVisibly || s.world.model.get('completed') === true) return null;
        if (!items.every((it) => written(s.world, it))) return null;
        return {
          invariant: 'never-completed',
          message: `every ${itemStruct} was done but nobody completed ${s.world.describe(done)}: no thread saw ${c.counter} reach zero`,
          objects: [c.counter],
          function: entry.name,
          line: linesIn(entry.name).drop,
        };
      },
    },
  };
}

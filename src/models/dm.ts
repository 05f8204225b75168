// device-mapper: a bio-based device's work item (md->work) resubmits bios, some of which the bioset
// rescuer punted onto a rescue list while their submitter was blocked. Mapping a bio can block in
// the target's map function (rules: `blocking`), e.g. behind a lock that a target holds across
// its own I/O. Invariant: some thread can always make progress, i.e. a punted bio is resubmitted
// by a context that cannot itself be stuck behind the target that waits for it.
//
// Threads: CPU0 runs the work function of the input; CPU1 is I/O of the target (the model's
// script: it holds the target's lock, its bio is punted to the rescue list and the work queued,
// and it waits for that bio). Functions of the input that take bios off the rescue list run when
// the work they belong to is queued; a work item never runs concurrently with itself.

import type { FunctionIR, Op } from '../c/ir.js';
import type { Exec, ScriptStep, ThreadSpec } from '../analysis/interleave/types.js';
import { ANY, int, ptr, type Loc, type Value, type World } from '../analysis/interleave/world.js';
import type { RuleFile } from '../semantics/schema.js';
import { bindByType, field, namesField, opsOf, reachable, struct } from './match.js';
import type { Model, ModelInput, Scenario } from './types.js';

type Rescue = RuleFile['rescue'][number];
type Blocking = RuleFile['blocking'][number];

const TAKES_OFF = new Set(['pop', 'del-all', 'splice', 'splice-init', 'splice-tail', 'splice-tail-init', 'init']);

export const dm: Model = {
  name: 'dm',
  subsystem: 'dm',
  description: 'bio-based device-mapper: deferred and rescued bios, a work item, a target map that can block',
  scenarios(input, rules) {
    const r = rules.rules;
    const out: Scenario[] = [];
    for (const rescue of r.rescue) {
      const drainers = [...input.fns.values()].filter((f) => takesOff(f, rescue));
      if (!drainers.length) continue;
      for (const b of r.blocking) {
        for (const t of r.threads) {
          for (const name of t.functions) {
            const work = input.fns.get(name);
            if (!work || !reachable(work, input.fns).some((f) => [...opsOf(f)].some((op) => op.kind === 'call' && op.callee === b.call))) continue;
            out.push(scenario(input, rules.path, rescue, b, t.role, work, drainers));
          }
        }
      }
    }
    return out;
  },
};

/** Does the op take bios off the rescue list (pop, take-all, or copy the list to re-init it)? */
function takesOffOp(f: FunctionIR, op: Op, rescue: Rescue): boolean {
  return (
    (op.kind === 'list' && TAKES_OFF.has(op.action) && namesField(f, op.head, rescue.list)) ||
    (op.kind === 'assign' && op.value.k === 'path' && namesField(f, op.value.path, rescue.list))
  );
}

function takesOff(f: FunctionIR, rescue: Rescue): boolean {
  return [...opsOf(f)].some((op) => takesOffOp(f, op, rescue));
}

function scenario(_input: ModelInput, rulesPath: string, rescue: Rescue, b: Blocking, role: string, work: FunctionIR, drainers: FunctionIR[]): Scenario {
  const mdStruct = struct(rescue.list);
  const rescuedField = field(rescue.list);
  // The other list the work takes bios off: where the bio it maps waits.
  const other = [...opsOf(work)].find(
    (op): op is Extract<Op, { kind: 'list' }> => op.kind === 'list' && op.action === 'pop' && !!op.head && !namesField(work, op.head, rescue.list),
  );
  const deferredField = other?.head ? (/(?:->|\.)(\w+)$/.exec(other.head)?.[1] ?? 'deferred') : 'deferred';
  const drainLine = [...opsOf(work)].find((op) => takesOffOp(work, op, rescue))?.line ?? null;
  const selfDrains = drainers.includes(work);
  let md: Loc = '';
  let target: Loc = '';
  let bio: Loc = '';
  const lock = (): Loc => `${target}.lock`;
  const workArgs = (): { args: Value[]; bind: Record<string, Value> } => {
    const args = work.params.map((p) => (/work_struct\s*\*/.test(p.type) ? ptr(`${md}.work`) : ANY));
    return { args, bind: bindByType(work, { [mdStruct]: ptr(md) }) };
  };
  const facts = [
    `${rulesPath}: ${b.call}() may block (${b.on}${b.why ? `: ${b.why}` : ''})`,
    `${rulesPath}: ${rescue.list} holds bios the bioset rescuer punted; they complete once resubmitted (${rescue.resubmit.join('/')})${rescue.why ? ` (${rescue.why})` : ''}`,
    `${rulesPath}: ${work.name}() runs as the ${role}; a work item never runs concurrently with itself`,
    `world: a bio waits on md->${deferredField}; a target's I/O holds the target's lock while it waits for a bio of its own that the rescuer punts to md->${rescuedField}`,
    `the rescue list is taken off by ${drainers.map((d) => `${d.name}()`).join(', ')}`,
  ];
  const queueDrainers = (x: Exec): void => {
    for (const d of drainers) {
      if (d === work) x.w.model.set('requeued', true);
      else
        x.spawn({
          role: 'rescue work',
          fn: d,
          ...(() => {
            const args = d.params.map((p) => (/work_struct\s*\*/.test(p.type) ? ptr(`${md}.rescue_work`) : ANY));
            return { args, bind: bindByType(d, { [mdStruct]: ptr(md) }) };
          })(),
        });
    }
  };
  const io: ScriptStep[] = [
    {
      text: 'takes the target lock (held across its own I/O)',
      enabled: (x) => (x.w.canAcquire(lock(), x.thread.id, false) ? true : "the target's lock"),
      run: (x) => {
        x.w.acquire(lock(), x.thread.id, false);
        x.touch(lock());
        x.note("takes the target's lock");
      },
    },
    {
      text: `its bio is punted to md->${rescuedField}; queue_work(md->work)`,
      run: (x) => {
        x.w.addNode(`${md}.${rescuedField}`, bio, 'tail');
        x.touch(`${md}.${rescuedField}`);
        queueDrainers(x);
        x.note(`the rescuer puts its bio on md->${rescuedField} and queues the work`);
      },
    },
    {
      text: 'waits for its bio to complete',
      enabled: (x) => (x.w.model.get('done') === true ? true : `its bio on md->${rescuedField} to be resubmitted`),
      run: (x) => x.note('its bio completed'),
    },
    {
      text: 'releases the target lock',
      run: (x) => {
        x.w.release(lock(), x.thread.id);
        x.note("releases the target's lock");
      },
    },
  ];
  // The work queued while it runs runs again after it returns.
  const rerun: ScriptStep[] = [
    {
      text: `${work.name}() runs again (queued while it ran)`,
      enabled: (x) => (x.w.model.get('requeued') === true && x.state.threads[0]?.done ? true : 'the work to be queued and its running instance to return'),
      call: () => ({ fn: work, ...workArgs() }),
    },
  ];
  return {
    id: `rescue/${work.name}/${b.call}`,
    title: `${work.name}() mapping a bio while a punted bio waits on md->${rescuedField}`,
    invariant: `some thread can always make progress: a bio punted to md->${rescuedField} is resubmitted by a context that cannot be stuck behind the target that waits for it`,
    subject: work,
    facts,
    objects: [rescue.list, b.call],
    roles: [[work], ...drainers.filter((d) => d !== work).map((d) => [d]), ...(selfDrains ? [[work]] : [])],
    sharedMembers: [rescuedField],
    setup(w: World): ThreadSpec[] {
      md = w.create('md', mdStruct);
      target = w.create('target', 'dm_target');
      bio = w.create('punted bio', 'bio');
      const deferred = w.create('bio#1', 'bio');
      w.lists.set(`${md}.${deferredField}`, [deferred]);
      w.lists.set(`${md}.${rescuedField}`, []);
      const specs: ThreadSpec[] = [
        { role, fn: work, ...workArgs() },
        { role: 'target I/O', entry: 'target I/O (model)', script: io },
      ];
      if (selfDrains) specs.push({ role: 'workqueue', entry: 'workqueue (model)', script: rerun });
      return specs;
    },
    hooks: {
      calls: new Set([b.call, ...rescue.resubmit, 'dm_request_based']),
      call(x: Exec, callee: string, args: Value[]) {
        if (callee === 'dm_request_based') return { value: int(0), note: 'a bio-based device (the case the rescuer exists for)' };
        if (callee === b.call) {
          const l = x.w.lockInfo(lock());
          if (l.owner !== null && l.owner !== x.thread.id) return { blocked: `the target's lock in the target's map (held by CPU${l.owner})` };
          return { value: ANY, note: 'the target maps the bio' };
        }
        if (rescue.resubmit.includes(callee)) {
          const a = args[0];
          if (a?.t === 'ptr' && a.loc === bio) {
            x.w.model.set('done', true);
            return { value: ANY, note: 'resubmits the punted bio: it completes' };
          }
          return { value: ANY, note: 'submits a bio' };
        }
        return undefined;
      },
    },
    deadlockMessage: (waits) => {
      const w0 = waits.find((w) => w.thread === 0);
      return `deadlock: ${work.name}() blocks in ${b.call}()${w0?.line != null ? ` (line ${w0.line})` : ''} waiting for the target, whose lock is held by I/O that waits for a bio on md->${rescuedField}${selfDrains ? `, and only ${work.name}() resubmits md->${rescuedField}${drainLine !== null ? ` (line ${drainLine}, before it maps anything)` : ''}` : ''}`;
    },
  };
}

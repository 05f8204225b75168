// netfs writethrough (and any `handoffs` rule): a begin function returns holding a lock that its
// end function drops (netfs: the inode's wb_lock from the start of a writethrough to its end).
// Invariant: some thread can always make progress: whatever begin returns, the lock is free again
// once the caller has done what the protocol says (end it on success, nothing on failure), so the
// next writer of the inode gets it.
//
// Threads: CPU0 is a writer (the model's script): it calls begin (the input's IR), and on success
// calls end (the input's, or the model releases the lock as end does); CPU1 is another writer of
// the same inode taking the lock.

import type { FunctionIR } from '../c/ir.js';
import type { Exec, ScriptStep, ThreadSpec } from '../analysis/interleave/types.js';
import { ptr, type Loc, type Value, type World } from '../analysis/interleave/world.js';
import type { RuleFile } from '../semantics/schema.js';
import { field, opsOf, struct } from './match.js';
import type { Model, Scenario } from './types.js';

type Handoff = RuleFile['handoffs'][number];

export const netfs: Model = {
  name: 'netfs',
  subsystem: 'netfs',
  description: 'writethrough: a lock held from begin to end',
  scenarios(input, rules) {
    const out: Scenario[] = [];
    for (const h of rules.rules.handoffs) {
      // The begin function, or one the input wrote in its place (`new_` prefixed while a series renames it).
      for (const f of input.fns.values()) {
        if (f.name !== h.acquire && !f.name.endsWith(`_${h.acquire}`)) continue;
        const end = input.fns.get(f.name.replace(h.acquire, h.release)) ?? input.fns.get(h.release) ?? null;
        out.push(scenario(rules.path, h, f, end));
      }
    }
    return out;
  },
};

function scenario(rulesPath: string, h: Handoff, begin: FunctionIR, end: FunctionIR | null): Scenario {
  const owner = struct(h.lock);
  const lockField = field(h.lock);
  // How the code reaches the owner: a call that returns it (`netfs_inode(...)`).
  const accessor = [...opsOf(begin)].find((op) => op.kind === 'call' && op.callee === owner)?.kind === 'call' ? owner : null;
  let inode: Loc = '';
  const lock = (): Loc => `${inode}.${lockField}`;
  // Whether begin succeeded is part of the explored state (the world's model map), not of this closure.
  const failed = (x: Exec): boolean => x.w.model.get('begin') === 'failed';
  const writer: ScriptStep[] = [
    {
      text: `${begin.name}()`,
      call: () => ({ fn: begin, bind: { ictx: ptr(inode) } }),
      onReturn: (x, v: Value) => {
        x.w.model.set('begin', v.t === 'err' || v.t === 'null' ? 'failed' : 'ok');
      },
    },
    {
      text: end ? `${end.name}()` : `${h.release}() (model: drops ${lockField})`,
      enabled: () => true,
      run: (x: Exec) => {
        if (failed(x)) {
          x.note(`${begin.name}() failed: nothing to end`);
          return;
        }
        if (!end && x.w.release(lock(), x.thread.id)) x.note(`drops ${x.w.describe(lock())} (as ${h.release}() does)`);
      },
      call: (x: Exec) => (end && !failed(x) ? { fn: end } : null),
    },
  ];
  const other: ScriptStep[] = [
    {
      text: `mutex_lock(&ictx->${lockField}) (another writer of the inode)`,
      enabled: (x) => (x.w.canAcquire(lock(), x.thread.id, false) ? true : `${lockField}, held by CPU${x.w.lockInfo(lock()).owner}`),
      run: (x) => {
        x.w.acquire(lock(), x.thread.id, false);
        x.note(`takes ${x.w.describe(lock())}`);
      },
    },
    { text: `mutex_unlock(&ictx->${lockField})`, run: (x) => void x.w.release(lock(), x.thread.id) },
  ];
  return {
    id: `handoff/${begin.name}`,
    title: `${begin.name}() and the next writer of the inode`,
    invariant: `${h.lock} is free again after ${begin.name}() fails, or after the writethrough it began ends`,
    subject: begin,
    facts: [`${rulesPath}: ${h.acquire}() returns holding ${h.lock}, ${h.release}() drops it${h.why ? ` (${h.why})` : ''}`],
    objects: [h.lock],
    roles: [end ? [begin, end] : [begin]],
    sharedMembers: [lockField],
    setup(w: World): ThreadSpec[] {
      inode = w.create('ictx', owner);
      return [
        { role: 'writethrough', entry: `writer (model) -> ${begin.name}()`, script: writer },
        { role: 'writer', entry: 'writer (model)', script: other },
      ];
    },
    hooks: {
      calls: new Set(accessor ? [accessor] : []),
      call(_x: Exec, callee: string) {
        if (callee === accessor) return { value: ptr(inode), note: `the inode: ${owner}` };
        return undefined;
      },
    },
    deadlockMessage: () =>
      `${begin.name}() can return with ${h.lock} still held on a path that does not begin a writethrough: the next writer of the inode waits for it forever`,
  };
}

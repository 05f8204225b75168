// dm-ploop: md pages under index writeback. A pio whose md page is busy (rules: `parking`, e.g.
// MD_WRITEBACK set) is parked on the page's wait list; the writeback completion takes the parked
// pios off and dispatches them to the runner threads again. Invariant: every parked pio has
// someone left who will take it off (no pio stays parked once the threads are done).
//
// Threads: CPU0 runs the completion (a function of the input), with the page under writeback and
// one pio parked; each pio it dispatches starts a runner thread on a handler of the input (rules:
// `dispatch`, `threads`). When the completion's drain of the wait list lies in code the patch does
// not show, the model supplies it at the last hidden stretch before the dispatch, and says so.

import type { FunctionIR, Op } from '../c/ir.js';
import type { Exec, ScriptStep, ThreadSpec } from '../analysis/interleave/types.js';
import { ANY, ptr, type Loc, type Value, type World } from '../analysis/interleave/world.js';
import type { RuleFile } from '../semantics/schema.js';
import { bindByType, field, namesField, opsOf, reachable } from './match.js';
import type { Model, ModelInput, Scenario } from './types.js';

type Parking = RuleFile['parking'][number];
type Dispatch = RuleFile['dispatch'][number];

const TAKES_OFF = new Set(['pop', 'del-all', 'splice', 'splice-init', 'splice-tail', 'splice-tail-init']);

export const dmPloop: Model = {
  name: 'dm-ploop',
  subsystem: 'dm-ploop',
  description: 'md pages under index writeback, pios parked on the page, runner threads',
  scenarios(input, rules) {
    const r = rules.rules;
    const out: Scenario[] = [];
    for (const park of r.parking) {
      const drainers = r.threads.find((t) => t.role === park.drainedBy)?.functions ?? [];
      for (const dname of drainers) {
        const drainer = input.fns.get(dname);
        if (!drainer) continue;
        for (const d of r.dispatch) {
          const call = [...opsOf(drainer)].find((op): op is Extract<Op, { kind: 'call' }> => op.kind === 'call' && op.callee === d.call);
          if (!call) continue;
          const present = (r.threads.find((t) => t.role === d.to)?.functions ?? []).map((n) => input.fns.get(n)).filter((f): f is FunctionIR => !!f);
          const handlers = present.filter((f) => parksOn(f, input.fns, park));
          // Handlers that park elsewhere: the rule does not describe this code.
          if (present.length && !handlers.length) continue;
          const lookups = r.lookups.filter((l) => l.returns === park.list.split('.')[0]).map((l) => l.call);
          // Without a handler in the input, the runner is the model's: it parks the pio as the rule says.
          for (const h of handlers.length ? handlers : [null]) {
            const sc = scenario(input, rules.path, park, d, drainer, call, h, lookups);
            if (sc) out.push(sc);
          }
        }
      }
    }
    return out;
  },
};

/** Does the handler (or a function it calls) park an entry on the wait list? */
function parksOn(h: FunctionIR, fns: Map<string, FunctionIR>, park: Parking): boolean {
  return reachable(h, fns).some((f) =>
    [...opsOf(f)].some((op) => op.kind === 'list' && (op.action === 'add' || op.action === 'add-tail') && namesField(f, op.head, park.list)),
  );
}

/** The member the handler parks entries by (`pio->list` -> `list`). */
function parkMember(h: FunctionIR, fns: Map<string, FunctionIR>, park: Parking): string {
  for (const f of reachable(h, fns)) {
    for (const op of opsOf(f)) {
      if (op.kind === 'list' && (op.action === 'add' || op.action === 'add-tail') && namesField(f, op.head, park.list) && op.node) {
        const m = /(?:->|\.)(\w+)$/.exec(op.node);
        if (m) return m[1]!;
      }
    }
  }
  return 'list';
}

function scenario(
  input: ModelInput,
  rulesPath: string,
  park: Parking,
  d: Dispatch,
  drainer: FunctionIR,
  call: Extract<Op, { kind: 'call' }>,
  handler: FunctionIR | null,
  lookups: string[],
): Scenario | null {
  const [pageStruct] = park.list.split('.');
  const listField = field(park.list);
  const wordField = field(park.word);
  const member = handler ? parkMember(handler, input.fns, park) : 'list';
  const runnerName = handler ? `${handler.name}()` : `a ${d.to} (the model's: ${park.while.join('/')} set -> park)`;
  // Does the completion take the parked entries off in code we can see?
  const visibleDrain = reachable(drainer, input.fns).some((f) =>
    [...opsOf(f)].some((op) => op.kind === 'list' && TAKES_OFF.has(op.action) && namesField(f, op.head, park.list)),
  );
  // Otherwise: the last stretch of hidden code before the dispatch is where it happens.
  const listArg = d.list !== undefined ? (call.argText[d.list] ?? null) : null;
  const gaps = drainer.blocks.flatMap((b) => b.ops).filter((op): op is Extract<Op, { kind: 'gap' }> => op.kind === 'gap' && op.row < call.row);
  const supplyGap = !visibleDrain && listArg ? (gaps[gaps.length - 1] ?? null) : null;
  // A completion that neither takes the parked entries off where we can see it nor has hidden code
  // where it could: it drains something else, and the rule is not about it.
  if (!visibleDrain && !supplyGap) return null;
  // The flags the completion clears: the page is under that kind of busy when it starts.
  const cleared = [...opsOf(drainer)].filter(
    (op): op is Extract<Op, { kind: 'flag' }> => op.kind === 'flag' && (op.action === 'clear' || op.action === 'test-clear') && park.while.includes(op.bit),
  );
  const busyBits = [...new Set(cleared.map((op) => op.bit))];
  const facts = [
    `${rulesPath}: entries of ${park.list} wait there while ${park.while.join(' or ')} is set; ${park.drainedBy} (${drainer.name}()) takes them off${park.why ? ` (${park.why})` : ''}`,
    `${rulesPath}: ${d.call}() hands pios to the ${d.to} threads, which run ${runnerName} here`,
    `world: one ${pageStruct} with ${busyBits.join(', ') || park.while[0]} set and one pio parked on ${listField}`,
  ];
  if (supplyGap) {
    const g = drainer.meta.gaps.find((x) => x.id === supplyGap.id);
    facts.push(
      `the patch does not show where ${drainer.name}() takes the parked pios off ${listField}: the model takes them onto '${listArg}' in the hidden ${g?.fromLine != null ? `lines ${g.fromLine}-${g.toLine}` : 'code'} before line ${call.line ?? '?'}`,
    );
  }
  let page: Loc = '';
  let ploop: Loc = '';
  let piwb: Loc = '';
  const byStruct = (): Record<string, Value> => ({ [pageStruct!]: ptr(page), ploop: ptr(ploop), ploop_index_wb: ptr(piwb) });
  const names: Record<string, () => Value> = { md: () => ptr(page), ploop: () => ptr(ploop), piwb: () => ptr(piwb) };
  const wait = (): Loc => `${page}.${listField}`;

  // A busy flag the completion clears only after it has dispatched: the window the invariant is about.
  const lateClear = cleared.find((op) => op.row > call.row) ?? null;

  /** The rule's runner in one atomic step: the page busy -> the pio waits on it. */
  const parkIfBusy = (pio: Loc): ScriptStep => ({
    text: `${park.while.map((b) => `test_bit(${b})`).join(' || ')} -> park on md->${listField}`,
    run: (x: Exec) => {
      const word = `${page}.${wordField}`;
      const busy = park.while.filter((b) => x.w.testBit(word, b));
      x.touch(word);
      if (busy.length) {
        x.w.addNode(wait(), `${pio}.${member}`, 'tail');
        x.touch(wait());
        x.note(`${busy.join(', ')} is set: parks ${x.w.describe(pio)} on ${x.w.describe(wait())}`);
      } else x.note(`the page is not busy: ${x.w.describe(pio)} goes on`);
    },
  });
  return {
    id: `parked/${drainer.name}/${handler?.name ?? 'model'}`,
    title: `${drainer.name}() vs ${handler ? `${handler.name}()` : `a ${d.to}`} on a busy ${pageStruct}`,
    invariant: `every pio parked on ${listField} is taken off again by a later ${park.drainedBy}; none stays parked when the threads are done`,
    subject: drainer,
    facts,
    objects: [`${pageStruct}.${listField}`],
    roles: handler ? [[drainer], [handler]] : [[drainer]],
    sharedMembers: [listField, wordField, member],
    setup(w: World): ThreadSpec[] {
      ploop = w.create('ploop', 'ploop');
      page = w.create('md', pageStruct ?? null);
      piwb = w.create('piwb', 'ploop_index_wb');
      w.store(`${page}.piwb`, ptr(piwb));
      w.store(`${piwb}.md`, ptr(page));
      for (const b of busyBits.length ? busyBits : [park.while[0]!]) w.setBit(`${page}.${wordField}`, b, true);
      const pio = w.create('pio#1', 'pio');
      w.addNode(wait(), `${pio}.${member}`, 'tail');
      return [
        {
          role: park.drainedBy,
          fn: drainer,
          bind: { ...bindByType(drainer, byStruct()), ...Object.fromEntries(Object.entries(names).map(([k, f]) => [k, f()])) },
        },
      ];
    },
    hooks: {
      calls: new Set([d.call, ...lookups]),
      call(x: Exec, callee: string, args: Value[]) {
        if (lookups.includes(callee)) return { value: ptr(page), note: `finds ${x.w.describe(page)}` };
        if (callee !== d.call) return undefined;
        const handed: Loc[] = [];
        const item = d.item !== undefined ? args[d.item] : undefined;
        if (item?.t === 'ptr') handed.push(item.loc);
        const list = d.list !== undefined ? args[d.list] : undefined;
        if (list?.t === 'ptr') {
          for (const n of x.w.list(list.loc)) handed.push(n.replace(new RegExp(`\\.${member}$`), ''));
          x.w.lists.set(list.loc, []);
        }
        for (const pio of handed) {
          if (handler)
            x.spawn({
              role: d.to,
              fn: handler,
              bind: { ...bindByType(handler, { ...byStruct(), pio: ptr(pio) }), md: ptr(page), ploop: ptr(ploop), pio: ptr(pio) },
            });
          else x.spawn({ role: d.to, entry: `${d.to} (model)`, script: [parkIfBusy(pio)] });
        }
        return { value: ANY, note: handed.length ? `hands ${handed.map((p) => x.w.describe(p)).join(', ')} to a ${d.to}` : 'nothing to dispatch' };
      },
      gap(x: Exec, id: number) {
        if (!supplyGap || id !== supplyGap.id || x.frame?.fn !== drainer || !listArg) return false;
        const dest = x.locOf(listArg);
        if (!dest) return false;
        const nodes = x.w.list(wait());
        x.touch(wait());
        for (const n of nodes) x.w.addNode(dest, n, 'tail');
        x.w.lists.set(wait(), []);
        x.note(
          `(hidden code, supplied by the model) takes ${nodes.length ? nodes.map((n) => x.w.describe(n.replace(/\.\w+$/, ''))).join(', ') : 'nothing'} off ${x.w.describe(wait())} onto ${listArg.replace(/^&/, '')}`,
        );
        return true;
      },
      bind(_x: Exec, name: string) {
        return names[name]?.();
      },
      final(s) {
        const left = s.world.list(wait());
        if (!left.length) return null;
        const who = left.map((n) => s.world.describe(n.replace(/\.\w+$/, ''))).join(', ');
        return {
          invariant: 'stranded-waiter',
          message: `lost wakeup: ${who} is parked on md->${listField} again after ${drainer.name}() took the waiting pios off, and nobody is left to take it off${lateClear ? ` (${lateClear.bit} is cleared only at line ${lateClear.line ?? '?'}, after the dispatch at line ${call.line ?? '?'})` : ''}`,
          objects: [`md->${listField}`],
          locs: [wait()],
          thread: 0,
          function: drainer.name,
          line: lateClear?.line ?? call.line,
        };
      },
    },
  };
}

// lock-order: two locks taken in opposite orders (A then B on one path, B then A on another, in
// the same function or two), the ABBA deadlock lockdep calls a circular locking dependency. The
// edges come from the walker's lock-order events (which locks a path holds while it waits for
// another), through callees' summaries; locks are compared by class (the struct member they are,
// or the global they name), as lockdep does.

import type { FunctionIR } from '../../c/ir.js';
import type { Check, CheckContext, RawFinding } from '../check.js';
import type { WalkResult } from '../engine.js';
import { lockClass } from '../irq-context.js';
import { rootOf } from '../objects.js';
import { witness } from '../races/witness.js';
import { defineRule, report } from '../rule.js';

export const lockOrderRule = defineRule({
  id: 'lock-order',
  severity: 'warning',
  kind: 'path',
  summary: 'two locks taken in opposite orders on two paths: a possible ABBA deadlock',
  description:
    'Builds the lock-order graph of the input as lockdep does: an edge A -> B wherever a path waits for B while it holds A, directly or inside a callee (from its summary), with locks compared by class (the struct member, or the global). An edge B -> A elsewhere closes a cycle: two CPUs, each on one of the paths, can each hold the lock the other waits for. Trylocks add no edge (they do not wait); two locks of the same class are not compared (instances ordered by address or nested with *_nested() are how the kernel takes them).',
  help: {
    bad: `/* path 1 */
mutex_lock(&dev->cfg_lock);
mutex_lock(&dev->io_lock);
/* path 2 */
mutex_lock(&dev->io_lock);
mutex_lock(&dev->cfg_lock);`,
    good: `/* both paths */
mutex_lock(&dev->cfg_lock);
mutex_lock(&dev->io_lock);`,
  },
  cwe: [833],
  tags: ['locking', 'deadlock'],
  messages: {
    cycle: "possible ABBA deadlock: '{{a}}' then '{{b}}' here (lines {{la}}, {{lb}}), but {{other}} takes '{{b}}' then '{{a}}' (lines {{ob}}, {{oa}})",
  },
});

/** One edge of the graph: `to` waited for at `line` while `from` (taken at `fromLine`) is held. */
interface Edge {
  fn: FunctionIR;
  from: string;
  to: string;
  fromObj: string;
  toObj: string;
  fromLine: number | null;
  line: number | null;
  text: string;
  via?: string;
  viaLine?: number | null;
  sometimes: boolean;
}

const graphs = new WeakMap<WalkResult[], Map<string, Edge[]>>();

/**
 * A lock's class when it can be compared across functions: the typed member (`netfs_inode.wb_lock`)
 * or a global. Otherwise the member path qualified by the function: within it, the same member
 * of two objects (`&EXT4_I(first)->i_data_sem`, `&EXT4_I(second)->i_data_sem`) is one class, the
 * instances the kernel orders by address or with *_nested().
 */
function classOf(fn: FunctionIR, obj: string): string {
  // A bit lock (`bit_spin_lock(0, &j->bits)`, named 'j->bits:0'): the word's class and the bit.
  const bit = /^(.*[^:]):([^:]+)$/.exec(obj);
  if (bit && !bit[1]!.includes('(')) return `${classOf(fn, bit[1]!)}:${bit[2]}`;
  const c = lockClass(fn, obj);
  if (c !== obj) return c;
  const bare = obj.replace(/^&/, '');
  const member = /^[^-.]*?(->|\.)(.*)$/.exec(bare);
  if (member) return `${fn.name}:*${member[1]}${member[2]}`;
  const root = rootOf(obj);
  const local = !!root && (fn.params.some((p) => p.name === root) || fn.locals.some((l) => l.name === root));
  return local ? `${fn.name}:${obj}` : obj;
}

function graphOf(side: WalkResult[]): Map<string, Edge[]> {
  const hit = graphs.get(side);
  if (hit) return hit;
  const g = new Map<string, Edge[]>();
  for (const w of side) {
    for (const e of w.events) {
      if (e.k !== 'lock-order') continue;
      const to = classOf(w.fn, e.obj);
      for (const h of e.held) {
        const from = classOf(w.fn, h.obj);
        if (from === to) continue;
        const k = `${from}\u0000${to}`;
        const list = g.get(k) ?? [];
        list.push({
          fn: w.fn,
          from,
          to,
          fromObj: h.obj,
          toObj: e.obj,
          fromLine: h.line,
          line: e.line,
          text: e.text,
          via: e.via,
          viaLine: e.viaLine,
          sometimes: !!e.sometimes,
        });
        g.set(k, list);
      }
    }
  }
  graphs.set(side, g);
  return g;
}

/** The statement that took `obj` at `line` (for the witness), when the function shows it. */
function takenBy(fn: FunctionIR, obj: string, line: number | null): string {
  for (const b of fn.blocks) for (const op of b.ops) if (op.kind === 'acquire' && op.obj === obj && op.line === line) return op.text ?? op.primitive;
  for (const b of fn.blocks) for (const op of b.ops) if (op.kind === 'call' && op.line === line) return op.text ?? `${op.callee}()`;
  return '';
}

export const lockOrder: Check = {
  meta: lockOrderRule,
  run(ctx: CheckContext): RawFinding[] {
    const { fn, side } = ctx;
    const g = graphOf(side.includes(ctx.walk) ? side : [...side, ctx.walk]);
    const out: RawFinding[] = [];
    const said = new Set<string>();
    for (const [k, edges] of g) {
      const [from, to] = k.split('\u0000') as [string, string];
      // Each cycle once: from the direction whose first lock sorts first, in the first function that has it.
      if (from > to) continue;
      const mine = edges.find((e) => e.fn === fn);
      if (!mine || edges[0]!.fn !== fn) continue;
      const back = g.get(`${to}\u0000${from}`);
      if (!back?.length || said.has(k)) continue;
      said.add(k);
      // The reverse edge that rests on the least: direct before through a callee, every path before some.
      const other = [...back].sort((a, b) => Number(!!a.via) + Number(a.sometimes) * 2 - (Number(!!b.via) + Number(b.sometimes) * 2))[0]!;
      const viaCallee = !!mine.via || !!other.via;
      const where = (e: Edge): string =>
        e.via ? `${e.text} (inside ${e.via}()${e.viaLine !== null && e.viaLine !== undefined ? ` at ${e.viaLine}` : ''})` : e.text;
      const otherName = other.fn === fn ? 'another path here' : `${other.fn.name}()`;
      out.push(
        report(lockOrderRule, {
          messageId: 'cycle',
          data: { a: mine.fromObj, b: mine.toObj, la: mine.fromLine, lb: mine.line, other: otherName, ob: other.fromLine, oa: other.line },
          confidence: viaCallee ? 'medium' : 'high',
          basis: { weak: [...(mine.sometimes || other.sometimes ? (['some-paths'] as const) : []), ...(other.fn === fn ? (['one-function'] as const) : [])] },
          line: mine.line,
          function: fn.name,
          objects: [mine.fromObj, mine.toObj],
          trace: [
            { line: mine.fromLine, text: takenBy(fn, mine.fromObj, mine.fromLine), note: `holds '${mine.fromObj}'` },
            { line: mine.line, text: where(mine), note: `waits for '${mine.toObj}'` },
            { line: other.fromLine, text: takenBy(other.fn, other.fromObj, other.fromLine), note: `holds '${other.fromObj}'`, function: other.fn.name },
            { line: other.line, text: where(other), note: `waits for '${other.toObj}'`, function: other.fn.name },
          ],
          facts: [`lock classes: ${from} and ${to}`, `${fn.name}() takes ${to} while holding ${from}; ${other.fn.name}() takes ${from} while holding ${to}`],
          discriminator: `${from}>${to}`,
          witness: witness(
            [fn.name, other.fn.name],
            [
              { cpu: 0, fn: fn.name, line: mine.fromLine, text: takenBy(fn, mine.fromObj, mine.fromLine), note: `takes '${mine.fromObj}'` },
              { cpu: 1, fn: other.fn.name, line: other.fromLine, text: takenBy(other.fn, other.fromObj, other.fromLine), note: `takes '${other.fromObj}'` },
              { cpu: 0, fn: fn.name, line: mine.line, text: where(mine), note: `waits for '${mine.toObj}', held by CPU1` },
              { cpu: 1, fn: other.fn.name, line: other.line, text: where(other), note: `waits for '${other.toObj}', held by CPU0` },
            ],
            'each CPU holds the lock the other waits for: neither goes on (ABBA deadlock)',
          ),
        }),
      );
    }
    return out;
  },
};

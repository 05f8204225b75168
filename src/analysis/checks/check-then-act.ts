// check-then-act: a decision taken on a value that can change before the code acts on it:
//  - atomic_read()/refcount_read()/kref_read() deciding who is last (only the caller whose
//    *_dec_and_test() reaches zero may act);
//  - test_bit() then set_bit() on the same bit with no lock across both (test_and_set_bit() is the fix);
//  - list_empty() outside the lock that the code then takes to work on that list;
//  - a value tested under a lock, the lock dropped, then the value changed without re-checking.

import type { Block, Expr, FunctionIR, Op } from '../../c/ir.js';
import { dominates, successors } from '../cfg.js';
import type { RawFinding } from '../check.js';
import type { Site, WalkResult } from '../engine.js';
import type { RaceCheck, RaceContext } from '../races/context.js';
import { witness } from '../races/witness.js';

type Out = { fn: FunctionIR; finding: RawFinding };

export const checkThenAct: RaceCheck = {
  meta: {
    id: 'check-then-act',
    severity: 'warning',
    description: 'a decision on a value that can change before the code acts on it (atomic_read() last-reference tests, test_bit then set_bit, unlocked list_empty, re-use after unlock)',
  },
  run(ctx: RaceContext): Out[] {
    const out: Out[] = [];
    for (const w of ctx.walks) {
      out.push(...lastReference(w), ...testThenSet(w), ...unlockedEmpty(w), ...staleDecision(w));
    }
    return out;
  },
};

function mentionsResult(e: Expr, id: string): boolean {
  switch (e.k) {
    case 'result': return e.id === id;
    case 'not': return mentionsResult(e.e, id);
    case 'cmp': case 'logic': return mentionsResult(e.a, id) || mentionsResult(e.b, id);
    case 'cond': return mentionsResult(e.c, id) || mentionsResult(e.t, id) || mentionsResult(e.f, id);
    case 'arith': return mentionsResult(e.a, id) || (!!e.b && mentionsResult(e.b, id));
    default: return false;
  }
}

function mentionsVar(e: Expr, name: string): boolean {
  switch (e.k) {
    case 'var': return e.name === name;
    case 'not': return mentionsVar(e.e, name);
    case 'cmp': case 'logic': return mentionsVar(e.a, name) || mentionsVar(e.b, name);
    default: return false;
  }
}

/** The comparison of a counter read against a small constant, if the expression is one. */
function counterTest(e: Expr, id: string): { op: string; value: number } | null {
  if (e.k === 'not' && e.e.k === 'result' && e.e.id === id) return { op: '==', value: 0 };
  if (e.k !== 'cmp') return null;
  if (e.a.k === 'result' && e.a.id === id && e.b.k === 'int') return { op: e.op, value: e.b.value };
  if (e.b.k === 'result' && e.b.id === id && e.a.k === 'int') return { op: e.op, value: e.a.value };
  if (e.k === 'cmp' && (e.a.k === 'not' || e.b.k === 'not')) return null;
  return null;
}

function findExpr(e: Expr, pred: (x: Expr) => boolean): Expr | null {
  if (pred(e)) return e;
  switch (e.k) {
    case 'not': return findExpr(e.e, pred);
    case 'cmp': case 'logic': return findExpr(e.a, pred) ?? findExpr(e.b, pred);
    case 'cond': return findExpr(e.c, pred) ?? findExpr(e.t, pred) ?? findExpr(e.f, pred);
    default: return null;
  }
}

/** Branches whose condition depends on a result, directly or through a variable it was assigned to. */
function decidingBranches(fn: FunctionIR, id: string): { block: Block; cond: Expr; test: { op: string; value: number } | null }[] {
  const vars = new Map<string, { op: string; value: number } | null>();
  for (const b of fn.blocks) {
    for (const op of b.ops) {
      if (op.kind === 'assign' && mentionsResult(op.value, id)) {
        const t = findExpr(op.value, (x) => counterTest(x, id) !== null);
        vars.set(op.target, t ? counterTest(t, id) : null);
      }
    }
  }
  const out: { block: Block; cond: Expr; test: { op: string; value: number } | null }[] = [];
  for (const b of fn.blocks) {
    if (b.term.k !== 'branch') continue;
    const c = b.term.cond;
    if (mentionsResult(c, id)) {
      const t = findExpr(c, (x) => counterTest(x, id) !== null);
      out.push({ block: b, cond: c, test: t ? counterTest(t, id) : null });
      continue;
    }
    for (const [v, t] of vars) if (mentionsVar(c, v)) out.push({ block: b, cond: c, test: t });
  }
  return out;
}

/** `count == 1` / `count <= 1` / `count < 2` asks "am I the last one"; refcount reads deciding anything are suspect. */
function isLastTest(t: { op: string; value: number } | null, refcount: boolean): boolean {
  if (!t) return false;
  if ((t.op === '==' || t.op === '!=') && t.value === 1) return true;
  if ((t.op === '<=' || t.op === '>') && t.value === 1) return true;
  if ((t.op === '<' || t.op === '>=') && t.value === 2) return true;
  return refcount && t.value === 0 && (t.op === '==' || t.op === '!=');
}

const DIAGNOSTIC = /\b(WARN|BUG)(_ON)?(_ONCE)?\s*\(/;

function lastReference(w: WalkResult): Out[] {
  const out: Out[] = [];
  const fn = w.fn;
  for (const b of fn.blocks) {
    for (const op of b.ops) {
      if (op.kind !== 'atomic' || op.action !== 'read' || !op.result) continue;
      if (op.text && DIAGNOSTIC.test(op.text)) continue;
      const refcount = op.family === 'refcount' || op.family === 'kref';
      const dec = decidingBranches(fn, op.result).find((d) => isLastTest(d.test, refcount));
      if (!dec) continue;
      const t = dec.test!;
      const body = firstOpLine(fn, dec.block);
      out.push({
        fn,
        finding: {
          rule: 'check-then-act',
          severity: 'warning',
          confidence: 'high',
          message: `last-reference decision with ${op.primitive}(&${op.obj}) ${t.op} ${t.value}: concurrent callers can all read the same count, so none (or several) act; only the caller whose ${op.family === 'atomic' ? 'atomic' : op.family}_dec_and_test() reaches zero may act`,
          line: op.line,
          function: fn.name,
          objects: [op.obj],
          trace: [
            { line: op.line, text: op.text ?? op.primitive, note: `reads ${op.obj} without changing it` },
            { line: dec.block.term.line, text: '', note: 'decides on the value read' },
          ],
          facts: [`${op.obj} is a counter other threads decrement; a plain read tells nothing about who drops the last reference`],
          discriminator: 'last-reference',
          witness: witness([fn.name, fn.name], [
            { cpu: 0, fn: fn.name, line: op.line, text: op.text ?? op.primitive, note: `reads ${op.obj} = ${t.value + 1}: not last` },
            { cpu: 1, fn: fn.name, line: op.line, text: op.text ?? op.primitive, note: `reads ${op.obj} = ${t.value + 1}: not last` },
            { cpu: 0, fn: fn.name, line: null, text: `drop reference (${op.obj} -> ${t.value})`, note: 'puts its reference after deciding' },
            { cpu: 1, fn: fn.name, line: null, text: `drop reference (${op.obj} -> ${t.value - 1})`, note: 'puts its reference after deciding' },
          ], `both callers skipped the last-reference work${body !== null ? ` at line ${body}` : ''}: it never runs (with other timings two callers read ${t.value} and both run it)`),
        },
      });
    }
  }
  return out;
}

function firstOpLine(fn: FunctionIR, b: Block): number | null {
  if (b.term.k !== 'branch') return null;
  const t = fn.blocks[b.term.t];
  return t?.ops.find((o) => o.line !== null)?.line ?? null;
}

function siteOf(w: WalkResult, op: Op): Site | undefined {
  return w.sites.find((s) => s.op === op);
}

function blockOf(fn: FunctionIR, op: Op): number {
  return fn.blocks.findIndex((b) => b.ops.includes(op));
}

/** Is `b` only reached through the `side` successor of the branch ending block `d`? */
function decidedBy(w: WalkResult, d: number, b: number): boolean {
  const t = w.fn.blocks[d]!.term;
  return successors(t).some((s) => s !== d && dominates(w.cfg, s, b));
}

function testThenSet(w: WalkResult): Out[] {
  const fn = w.fn;
  const out: Out[] = [];
  const ops = fn.blocks.flatMap((b) => b.ops);
  for (const t of ops) {
    if (t.kind !== 'flag' || t.action !== 'test' || !t.result) continue;
    const tb = blockOf(fn, t);
    const deciders = decidingBranches(fn, t.result);
    for (const s of ops) {
      if (s.kind !== 'flag' || s.action !== 'set' || s.word !== t.word || s.bit !== t.bit) continue;
      const sb = blockOf(fn, s);
      if (!deciders.some((d) => decidedBy(w, d.block.id, sb)) || !dominates(w.cfg, tb, sb)) continue;
      const st = siteOf(w, t);
      const ss = siteOf(w, s);
      if (!st || !ss) continue;
      // One lock held from the test to the set makes the pair atomic.
      if ([...st.held].some((l) => ss.held.has(l) && !ss.released.has(l))) continue;
      out.push({
        fn,
        finding: {
          rule: 'check-then-act',
          severity: 'warning',
          confidence: st.viaGap || ss.viaGap ? 'medium' : 'high',
          message: `test_bit(${t.bit}) at ${t.line ?? '?'} then ${s.primitive}(${s.bit}) at ${s.line ?? '?'} with no lock across both: two CPUs can both see ${t.bit} clear and both go on; use test_and_set_bit()`,
          line: s.line,
          function: fn.name,
          objects: [`${t.word}:${t.bit}`],
          trace: [
            { line: t.line, text: t.text ?? 'test_bit', note: `tests ${t.bit}` },
            { line: s.line, text: s.text ?? s.primitive, note: `sets ${t.bit}` },
          ],
          facts: [],
          discriminator: 'test-then-set',
          witness: witness([fn.name, fn.name], [
            { cpu: 0, fn: fn.name, line: t.line, text: t.text ?? 'test_bit', note: `${t.bit} is clear` },
            { cpu: 1, fn: fn.name, line: t.line, text: t.text ?? 'test_bit', note: `${t.bit} is clear` },
            { cpu: 0, fn: fn.name, line: s.line, text: s.text ?? s.primitive, note: `sets ${t.bit}` },
            { cpu: 1, fn: fn.name, line: s.line, text: s.text ?? s.primitive, note: `sets ${t.bit} too` },
          ], `both CPUs believe they own ${t.bit}`),
        },
      });
    }
  }
  return out;
}

const TAKES = new Set(['pop', 'first', 'del', 'del-init', 'move', 'move-tail', 'splice', 'splice-init', 'splice-tail', 'splice-tail-init', 'del-all']);

function unlockedEmpty(w: WalkResult): Out[] {
  const fn = w.fn;
  const out: Out[] = [];
  const ops = fn.blocks.flatMap((b) => b.ops);
  for (const e of ops) {
    if (e.kind !== 'list' || e.action !== 'empty' || e.family === 'llist' || !e.result || !e.head) continue;
    const se = siteOf(w, e);
    if (!se) continue;
    const deciders = decidingBranches(fn, e.result);
    for (const u of ops) {
      if (u.kind !== 'list' || !TAKES.has(u.action) || (u.head !== e.head && u.node !== e.head)) continue;
      const su = siteOf(w, u);
      const ub = blockOf(fn, u);
      if (!su || !deciders.some((d) => decidedBy(w, d.block.id, ub))) continue;
      const lock = [...su.held].find((l) => !se.held.has(l));
      if (!lock) continue;
      out.push({
        fn,
        finding: {
          rule: 'check-then-act',
          severity: 'warning',
          confidence: se.viaGap ? 'medium' : 'high',
          message: `list_empty(&${e.head}) at ${e.line ?? '?'} is checked without '${lock}', which is then taken to ${u.primitive}() the list at ${u.line ?? '?'}: the list can change in between`,
          line: e.line,
          function: fn.name,
          objects: [e.head, lock],
          trace: [
            { line: e.line, text: e.text ?? 'list_empty', note: 'tests the list unlocked' },
            { line: u.line, text: u.text ?? u.primitive, note: `works on the list under '${lock}'` },
          ],
          facts: [],
          discriminator: 'unlocked-empty',
          witness: witness([fn.name, fn.name], [
            { cpu: 0, fn: fn.name, line: e.line, text: e.text ?? 'list_empty', note: 'sees one entry' },
            { cpu: 1, fn: fn.name, line: e.line, text: e.text ?? 'list_empty', note: 'sees the same entry' },
            { cpu: 1, fn: fn.name, line: u.line, text: u.text ?? u.primitive, note: `takes it under '${lock}'` },
            { cpu: 0, fn: fn.name, line: u.line, text: u.text ?? u.primitive, note: `finds the list empty under '${lock}'` },
          ], `CPU0 acts on a list that became empty after it checked`),
        },
      });
      break;
    }
  }
  return out;
}

function staleDecision(w: WalkResult): Out[] {
  const fn = w.fn;
  const out: Out[] = [];
  const seen = new Set<string>();
  for (const b of fn.blocks) {
    if (b.term.k !== 'branch') continue;
    for (const r of b.ops) {
      const path = r.kind === 'access' && r.mode === 'read' && r.inCondition ? r.path : r.kind === 'flag' && r.action === 'test' ? `${r.word}:${r.bit}` : null;
      if (!path) continue;
      const sr = siteOf(w, r);
      if (!sr || !sr.held.size) continue;
      for (const b2 of fn.blocks) {
        if (!decidedBy(w, b.id, b2.id)) continue;
        for (const a of b2.ops) {
          const target = a.kind === 'access' && a.mode === 'write' ? a.path : a.kind === 'flag' && (a.action === 'set' || a.action === 'clear') ? `${a.word}:${a.bit}` : null;
          if (target !== path) continue;
          const sa = siteOf(w, a);
          if (!sa) continue;
          const dropped = [...sr.held].find((l) => sa.released.has(l) && !sa.held.has(l));
          if (!dropped || seen.has(`${path}:${a.line}`)) continue;
          seen.add(`${path}:${a.line}`);
          out.push({
            fn,
            finding: {
              rule: 'check-then-act',
              severity: 'warning',
              confidence: sa.viaGap ? 'medium' : 'high',
              message: `'${path}' tested under '${dropped}' at ${r.line ?? '?'} but changed at ${a.line ?? '?'} after '${dropped}' was dropped: another CPU can change it in between (re-check under the lock)`,
              line: a.line,
              function: fn.name,
              objects: [path, dropped],
              trace: [
                { line: r.line, text: r.text ?? path, note: `tests '${path}' under '${dropped}'` },
                { line: a.line, text: a.text ?? path, note: `changes '${path}' without '${dropped}'` },
              ],
              facts: [],
              discriminator: 'stale-decision',
              witness: witness([fn.name, fn.name], [
                { cpu: 0, fn: fn.name, line: r.line, text: r.text ?? path, note: `decides on '${path}' under '${dropped}'` },
                { cpu: 0, fn: fn.name, line: null, text: `unlock ${dropped}`, note: 'drops the lock' },
                { cpu: 1, fn: fn.name, line: r.line, text: r.text ?? path, note: `takes '${dropped}', decides the same way` },
                { cpu: 1, fn: fn.name, line: a.line, text: a.text ?? path, note: `changes '${path}'` },
                { cpu: 0, fn: fn.name, line: a.line, text: a.text ?? path, note: `changes '${path}' on a stale decision` },
              ], `both CPUs act on one decision about '${path}'`),
            },
          });
        }
      }
    }
  }
  return out;
}

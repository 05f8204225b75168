// unordered-publish: a flag used as a lock (taken with test_and_set_bit() or set under a lock,
// and tested by other paths to decide whether the data is ready) released with a plain
// clear_bit()/store after writing the data, with no release ordering (clear_bit_unlock(),
// smp_mb__before_atomic() or smp_wmb() before it, smp_store_release()). A CPU that sees the flag
// clear can still see the old data. An earlier spin_unlock() does not help: it orders what came
// before it against the unlock, not against a later store. Info: often benign on x86, real on arm64.

import type { Expr, FunctionIR, Op } from '../../c/ir.js';
import type { RawFinding } from '../check.js';
import type { WalkResult } from '../engine.js';
import type { RaceCheck, RaceContext } from '../races/context.js';
import { defineRule, report } from '../rule.js';

interface Flag {
  key: string; // fwl_ctx.flags:FW_LOADING, snp_slot.busy
  show: string; // FW_LOADING, s->busy
}

export const unorderedPublishRule = defineRule({
  id: 'unordered-publish',
  severity: 'info',
  kind: 'race',
  summary: 'a flag used as a lock cleared without release ordering after writing the data it protects',
  description:
    'A flag taken like a lock (test_and_set_bit(), or set under a lock) and tested by readers to decide whether data is ready must be released with release ordering: clear_bit_unlock(), smp_mb__before_atomic() or smp_wmb() before clear_bit(), smp_store_release(). A plain clear_bit() or store after writing the data lets a CPU that sees the flag clear still see the old data. An earlier spin_unlock() does not order the later store. Info: often benign on x86, real on arm64 and powerpc.',
  help: {
    bad: `dev->result = res;
clear_bit(DEV_BUSY, &dev->flags);\t/* no release ordering */`,
    good: `dev->result = res;
clear_bit_unlock(DEV_BUSY, &dev->flags);`,
  },
  cwe: [362],
  tags: ['concurrency', 'memory-ordering'],
  messages: {
    relaxedRelease: '{{release}} {{flag}} with no release ordering: a CPU that sees {{flag}} clear may not see the writes before it ({{lines}}); use {{fix}}',
  },
});

export const unorderedPublish: RaceCheck = {
  meta: unorderedPublishRule,
  run(ctx: RaceContext) {
    const out: { fn: FunctionIR; finding: RawFinding }[] = [];
    const keyOf = (fn: FunctionIR, path: string): string => ctx.lockset.keys.data(fn, path)?.key ?? path;
    const flagOf = (fn: FunctionIR, op: Op): Flag | null => {
      if (op.kind === 'flag') return { key: `${keyOf(fn, op.word)}:${op.bit}`, show: op.bit };
      if (op.kind === 'access') return { key: keyOf(fn, op.path), show: op.path };
      return null;
    };
    // Flags some path decides on, flags taken like a lock, and the locks held where they are tested.
    const tested = new Map<string, Set<string>[]>();
    const lockLike = new Set<string>();
    for (const w of ctx.walks) {
      for (const s of w.sites) {
        const op = s.op;
        // Only tests, lock-like sets and locked stores say anything about a flag.
        if (op.kind === 'access' ? !(op.mode === 'read' ? op.inCondition : s.held.size > 0) : op.kind !== 'flag') continue;
        const f = flagOf(w.fn, op);
        if (!f) continue;
        const test = (op.kind === 'flag' && op.action === 'test') || (op.kind === 'access' && op.mode === 'read' && op.inCondition);
        if (test) {
          const l = tested.get(f.key);
          if (l) l.push(s.held);
          else tested.set(f.key, [s.held]);
        }
        if (op.kind === 'flag' && (op.action === 'test-set' || (op.action === 'set' && s.held.size > 0))) lockLike.add(f.key);
        if (op.kind === 'access' && op.mode === 'write' && s.held.size > 0 && isSetValue(storedValue(w.fn, op, s.block, s.index))) lockLike.add(f.key);
      }
    }
    if (!lockLike.size) return out;
    for (const w of ctx.walks) {
      const fn = w.fn;
      for (const s of w.sites) {
        const op = s.op;
        if (op.kind !== 'flag' && !(op.kind === 'access' && op.mode === 'write')) continue;
        const rel = releaseOf(fn, op, s.block, s.index);
        if (!rel) continue;
        const f = flagOf(fn, op)!;
        const readers = tested.get(f.key);
        if (!readers || !lockLike.has(f.key)) continue;
        // Every reader holds a lock that is held here too: the lock orders it all.
        if (s.held.size && readers.every((h) => [...h].some((l) => s.held.has(l)))) continue;
        const before = writesBefore(w, s.block, s.index, f.key, (o) => flagOf(fn, o)?.key, ctx);
        if (!before.length) continue;
        before.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
        const lines = [...new Set(before.map((p) => p.line).filter((l) => l !== null))].join(', ');
        const fix = op.kind === 'flag' ? 'clear_bit_unlock(), or smp_mb__before_atomic() before it' : 'smp_store_release()';
        out.push({
          fn,
          finding: report(unorderedPublishRule, {
            messageId: 'relaxedRelease',
            data: { release: rel, flag: f.show, lines: `line${before.length > 1 ? 's' : ''} ${lines}`, fix },
            confidence: 'medium',
            line: op.line,
            function: fn.name,
            objects: [f.key],
            trace: [
              ...before.map((p) => ({ line: p.line, text: p.text ?? '', note: 'writes data the flag protects' })),
              { line: op.line, text: op.text ?? rel, note: `releases ${f.show} (relaxed)` },
            ],
            facts: [`${f.show} is taken like a lock (test_and_set_bit(), or set under a lock) and tested by readers to decide`],
          }),
        });
      }
    }
    return out;
  },
};

/** A relaxed release of a flag: clear_bit()/__clear_bit(), or a plain/WRITE_ONCE store of 0. */
function releaseOf(fn: FunctionIR, op: Op, block: number, index: number): string | null {
  if (op.kind === 'flag') return op.action === 'clear' && op.ordering === 'relaxed' ? `${op.primitive}()` : null;
  if (op.kind === 'access' && op.mode === 'write' && (op.via === 'plain' || op.via === 'once') && isClearValue(storedValue(fn, op, block, index))) {
    return op.via === 'once' ? 'WRITE_ONCE()' : 'a plain store to';
  }
  return null;
}

const stored = new WeakMap<FunctionIR, Map<Op, Expr>>();

/** The value a write op stores (the assign that follows it on its line). */
function storedValue(fn: FunctionIR, op: Op, block: number, index: number): Expr | null {
  if (op.kind !== 'access') return null;
  // Where the site says the op is (as it always is): the next three ops, no table for the function.
  const ops = fn.blocks[block]?.ops;
  if (ops?.[index] === op) {
    if (op.mode !== 'write') return null;
    for (let j = index + 1; j < ops.length && j <= index + 3; j++) {
      const a = ops[j]!;
      if (a.kind === 'assign' && a.target === op.path) return a.value;
    }
    return null;
  }
  let m = stored.get(fn);
  if (!m) {
    m = new Map();
    for (const b of fn.blocks) {
      b.ops.forEach((w, i) => {
        if (w.kind !== 'access' || w.mode !== 'write') return;
        for (let j = i + 1; j < b.ops.length && j <= i + 3; j++) {
          const a = b.ops[j]!;
          if (a.kind === 'assign' && a.target === w.path) {
            m!.set(w, a.value);
            break;
          }
        }
      });
    }
    stored.set(fn, m);
  }
  return m.get(op) ?? null;
}

function isClearValue(e: Expr | null): boolean {
  return !!e && ((e.k === 'int' && e.value === 0) || (e.k === 'bool' && !e.value) || e.k === 'null');
}

function isSetValue(e: Expr | null): boolean {
  return !!e && ((e.k === 'int' && e.value !== 0) || (e.k === 'bool' && e.value));
}

/** Writes of shared data on the paths that reach the release, back to a barrier, the flag's acquire or the entry. */
function writesBefore(w: WalkResult, block: number, index: number, flag: string, flagKey: (o: Op) => string | undefined, ctx: RaceContext): Op[] {
  const fn = w.fn;
  const out = new Set<Op>();
  const seen = new Set<number>();
  const shared = (path: string): boolean => {
    const k = ctx.lockset.keys.data(fn, path);
    return !!k && !k.local;
  };
  const scan = (b: number, from: number): boolean => {
    // false: the path stops here (barrier or the flag's acquire)
    const ops = fn.blocks[b]!.ops;
    for (let i = from; i >= 0; i--) {
      const p = ops[i]!;
      if (p.kind === 'barrier' && ctx.sem.orderingBarriers.has(p.barrier)) return false; // rules `orderingBarriers`
      if (flagKey(p) === flag) {
        if ((p.kind === 'flag' && (p.action === 'test-set' || p.action === 'set')) || (p.kind === 'access' && p.mode === 'write')) return false;
        if (p.kind === 'access' && p.mode === 'read') return false; // claimed with a test of the flag
        continue;
      }
      if (p.kind === 'access' && p.mode === 'write' && shared(p.path)) out.add(p);
      if (p.kind === 'list' && p.head && shared(p.head) && p.action !== 'empty' && p.action !== 'first' && p.action !== 'iterate') out.add(p);
    }
    return true;
  };
  const stack: number[] = [];
  if (scan(block, index - 1)) stack.push(...w.cfg.preds[block]!);
  while (stack.length) {
    const b = stack.pop()!;
    if (seen.has(b)) continue;
    seen.add(b);
    if (scan(b, fn.blocks[b]!.ops.length - 1)) stack.push(...w.cfg.preds[b]!);
  }
  return [...out];
}

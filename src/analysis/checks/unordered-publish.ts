// unordered-publish: a flag used as a lock (set under a lock or with test_and_set_bit, tested
// elsewhere to decide whether data is ready) cleared with plain clear_bit()/a store after writing the
// data, with no release ordering (clear_bit_unlock(), smp_mb__before_atomic(), smp_store_release()).

import type { FunctionIR, Op } from '../../c/ir.js';
import type { RawFinding } from '../check.js';
import type { RaceCheck, RaceContext } from '../races/context.js';

const ORDERING_BARRIERS = /^(smp_mb__before_atomic|smp_mb|smp_wmb|mb|wmb)$/;

export const unorderedPublish: RaceCheck = {
  meta: {
    id: 'unordered-publish',
    severity: 'info',
    description: 'a flag used as a lock cleared without release ordering after writing the data it protects',
  },
  run(ctx: RaceContext) {
    const out: { fn: FunctionIR; finding: RawFinding }[] = [];
    // Bits some code tests to decide, and bits taken like a lock.
    const tested = new Set<string>();
    const lockLike = new Set<string>();
    for (const w of ctx.walks) {
      for (const s of w.sites) {
        const op = s.op;
        if (op.kind !== 'flag') continue;
        if (op.action === 'test' || op.action.startsWith('test-')) tested.add(op.bit);
        if (op.action === 'test-set' || (op.action === 'set' && s.held.size > 0)) lockLike.add(op.bit);
      }
    }
    for (const w of ctx.walks) {
      const fn = w.fn;
      for (const b of fn.blocks) {
        b.ops.forEach((op, i) => {
          if (op.kind !== 'flag' || op.action !== 'clear' || op.ordering !== 'relaxed' || !op.atomic) return;
          if (!tested.has(op.bit) || !lockLike.has(op.bit)) return;
          // Writes that come before the clear in this block with no barrier in between.
          const before: Op[] = [];
          for (let j = i - 1; j >= 0; j--) {
            const p = b.ops[j]!;
            if (p.kind === 'barrier' && ORDERING_BARRIERS.test(p.barrier)) return;
            if (p.kind === 'release') break; // a lock release orders them already
            if ((p.kind === 'access' && p.mode === 'write') || (p.kind === 'list' && p.action.startsWith('add')) || p.kind === 'call') before.push(p);
          }
          if (!before.some((p) => p.kind !== 'call')) return;
          out.push({
            fn,
            finding: {
              rule: 'unordered-publish',
              severity: 'info',
              confidence: 'medium',
              message: `${op.primitive}(${op.bit}) has no release ordering: a CPU that sees ${op.bit} clear may not see the writes before it (lines ${before.map((p) => p.line).filter((l) => l !== null).reverse().join(', ')}); use clear_bit_unlock() or smp_mb__before_atomic()`,
              line: op.line,
              function: fn.name,
              objects: [`${op.word}:${op.bit}`],
              trace: [...before.reverse().map((p) => ({ line: p.line, text: p.text ?? '', note: 'publishes data' })), { line: op.line, text: op.text ?? op.primitive, note: `clears ${op.bit} (relaxed)` }],
              facts: [`${op.bit} is set like a lock elsewhere and tested by readers`],
            },
          });
        });
      }
    }
    return out;
  },
};

// irq-mismatch: interrupt state handled inconsistently around locks: a lock taken with _irqsave and
// released with _irq (or the reverse), _irq re-enabling interrupts inside another irq-off section,
// irqsave flags reused while still live, a lock taken both with and without interrupts disabled.

import type { Check, CheckContext, RawFinding } from '../check.js';
import { defineRule, report } from '../rule.js';
import { irqContexts, lockClass } from '../irq-context.js';
import { spins } from '../domains/locks.js';

const NAMES: Record<string, string> = { none: 'plain', irq: '_irq', irqsave: '_irqsave/_irqrestore', bh: '_bh' };

export const irqMismatchRule = defineRule({
  id: 'irq-mismatch',
  severity: 'warning',
  kind: 'path',
  summary: 'irq state inconsistencies: _irq inside an irqsave section, mismatched lock/unlock variants, flags reused, a lock taken with and without irqs off',
  description:
    'Tracks the interrupt state each lock was taken with. Reports a lock released with another variant than it was taken with (spin_lock_irqsave() then spin_unlock_irq()), an _irq unlock that re-enables interrupts while an outer irqsave lock is still held, irqsave flags reused for a second lock while the first still needs them, a lock taken here with interrupts on that the same function (or an interrupt or softirq handler of the input) takes with them off: an interrupt taking it on the same CPU spins forever.',
  help: {
    bad: `spin_lock_irqsave(&port->lock, flags);
spin_lock_irq(&port->tx_lock);
/* ... */
spin_unlock_irq(&port->tx_lock);\t/* interrupts back on under port->lock */
spin_unlock_irqrestore(&port->lock, flags);`,
    good: `spin_lock_irqsave(&port->lock, flags);
spin_lock(&port->tx_lock);
/* ... */
spin_unlock(&port->tx_lock);
spin_unlock_irqrestore(&port->lock, flags);`,
  },
  cwe: [667],
  tags: ['locking', 'interrupts'],
  messages: {
    variant: "'{{obj}}' taken with the {{taken}} variant at {{line}} but released with the {{released}} variant",
    nestedEnable: "releasing '{{obj}}' with the _irq variant re-enables interrupts while '{{outer}}' (taken with irqs off at {{line}}) is still held",
    flagsReused: "irqsave flags '{{flags}}' reused for '{{obj}}' while '{{outer}}' (saved at {{line}}) still needs them",
    context: "'{{obj}}' is taken with interrupts disabled at {{offLine}} but with interrupts enabled at {{onLine}}: an interrupt taking it there deadlocks",
    interrupted:
      "'{{obj}}' is taken in {{where}} context by {{user}}() (line {{line}}) but here with {{what}} enabled: if it fires while this CPU holds the lock, it spins forever",
  },
});

export const irqMismatch: Check = {
  meta: irqMismatchRule,
  run(ctx: CheckContext): RawFinding[] {
    const { fn, walk } = ctx;
    const out: RawFinding[] = [];
    // Interrupt state handled apart from the lock (local_irq_save + spin_lock ... spin_unlock +
    // local_irq_restore) is not a variant mismatch: the other half is done by hand.
    const byHand = new Set<string>();
    for (const b of fn.blocks) {
      for (const op of b.ops) {
        if ((op.kind === 'acquire' || op.kind === 'release') && (op.family === 'local_irq' || op.family === 'local_bh')) byHand.add(`${op.kind}:${op.family}`);
      }
    }
    const suppliedByHand = (held: string, released: string): boolean => {
      const fam = (m: string): string => (m === 'bh' ? 'local_bh' : 'local_irq');
      if (held !== 'none' && released === 'none') return byHand.has(`release:${fam(held)}`);
      if (held === 'none' && released !== 'none') return byHand.has(`acquire:${fam(released)}`);
      return false;
    };
    for (const e of walk.events) {
      if (e.k === 'irq-release-mismatch') {
        if (suppliedByHand(e.held.irq, e.releasedIrq)) continue;
        out.push(
          report(irqMismatchRule, {
            messageId: 'variant',
            data: { obj: e.obj, taken: NAMES[e.held.irq], line: e.held.line, released: NAMES[e.releasedIrq] },
            confidence: 'high',
            line: e.line,
            function: fn.name,
            objects: [e.obj],
            trace: e.trace,
            facts: [],
            discriminator: 'variant',
          }),
        );
      } else if (e.k === 'irq-enable-nested') {
        out.push(
          report(irqMismatchRule, {
            messageId: 'nestedEnable',
            data: { obj: e.obj, outer: e.other.obj, line: e.other.line },
            confidence: 'high',
            line: e.line,
            function: fn.name,
            objects: [e.obj, e.other.obj],
            trace: e.trace,
            facts: [],
            discriminator: 'nested',
          }),
        );
      } else if (e.k === 'flags-reused') {
        out.push(
          report(irqMismatchRule, {
            messageId: 'flagsReused',
            data: { flags: e.flags, obj: e.obj, outer: e.other.obj, line: e.other.line },
            confidence: 'high',
            line: e.line,
            function: fn.name,
            objects: [e.obj, e.other.obj],
            trace: e.trace,
            facts: [],
            discriminator: 'flags',
          }),
        );
      }
    }
    // The same lock taken with interrupts off and, elsewhere in this function, with them on.
    const ctxs = walk.events.filter((e) => e.k === 'lock-context');
    const seen = new Set<string>();
    for (const a of ctxs) {
      if (a.k !== 'lock-context' || !spins(a.family)) continue;
      if (a.irq !== 'none' || a.irqsOff || seen.has(a.obj)) continue;
      const off = ctxs.find((b) => b.k === 'lock-context' && b.obj === a.obj && (b.irq === 'irq' || b.irq === 'irqsave'));
      if (off?.k !== 'lock-context') continue;
      seen.add(a.obj);
      out.push(
        report(irqMismatchRule, {
          messageId: 'context',
          data: { obj: a.obj, offLine: off.line, onLine: a.line },
          confidence: fn.meta.entryKnown ? 'medium' : 'low',
          line: a.line,
          function: fn.name,
          objects: [a.obj],
          trace: [
            { line: off.line, text: off.text, note: 'taken with irqs off' },
            { line: a.line, text: a.text, note: 'taken with irqs on' },
          ],
          facts: ['both acquisitions are in this function; its callers are not known to disable interrupts'],
          discriminator: 'context',
        }),
      );
    }
    out.push(...interruptedHolder(ctx, seen));
    return out;
  },
};

/**
 * A lock that interrupt (or softirq) context takes, taken here with interrupts (bottom halves)
 * enabled, where this function does not itself run in that context and its callers in the input
 * do not disable them.
 */
function interruptedHolder(ctx: CheckContext, seen: Set<string>): RawFinding[] {
  const { fn, walk } = ctx;
  const out: RawFinding[] = [];
  if (!fn.meta.entryKnown) return out; // the hidden start may disable them
  const ic = irqContexts(ctx.side, ctx.sem);
  const mine = ic.context.get(fn.name);
  if (mine === 'hardirq') return out;
  const cw = ic.calledWith.get(fn.name);
  const eo = ic.entryOff.get(fn.name);
  // A global function no code of the input calls, which does not sleep: its callers are in other
  // files, and whether they run it with bottom halves or interrupts off, nothing here shows.
  const unseenCallers = !fn.isStatic && !cw?.sites && !mine && !ctx.summaries.get(fn.name)?.maySleep;
  for (const e of walk.events) {
    if (e.k !== 'lock-context' || !spins(e.family)) continue;
    if (e.irqsOff || e.irq === 'irq' || e.irq === 'irqsave' || seen.has(e.obj)) continue;
    const use = ic.irqUses.get(lockClass(fn, e.obj));
    if (!use || use.fn === fn.name) continue;
    if (use.ctx === 'softirq' && (mine === 'softirq' || e.bhOff || e.irq === 'bh' || eo?.bh)) continue;
    if (use.ctx === 'hardirq' && eo?.irqs) continue;
    // Every caller in the input already disables what matters.
    if (cw && cw.sites > 0 && (use.ctx === 'hardirq' ? cw.irqsOff === cw.sites : cw.bhOff === cw.sites)) continue;
    seen.add(e.obj);
    const what = use.ctx === 'hardirq' ? 'interrupts' : 'bottom halves';
    out.push(
      report(irqMismatchRule, {
        messageId: 'interrupted',
        data: { obj: e.obj, where: use.ctx === 'hardirq' ? 'interrupt' : 'softirq', user: use.fn, line: use.line, what },
        confidence: 'medium',
        basis: { weak: unseenCallers ? ['entry-context'] : [] },
        line: e.line,
        function: fn.name,
        objects: [e.obj],
        trace: [
          { line: use.line, text: '', note: `taken in ${use.ctx} context`, function: use.fn },
          { line: e.line, text: e.text, note: `taken with ${what} enabled` },
        ],
        facts: [
          `${use.fn}() runs in ${use.ctx} context (${use.ctx === 'hardirq' ? 'an interrupt handler' : 'a timer, tasklet, RCU or NAPI callback'}, or called only from one)`,
          `use ${use.ctx === 'hardirq' ? 'spin_lock_irqsave()/spin_lock_irq()' : 'spin_lock_bh()'} here`,
        ],
        discriminator: 'interrupted',
      }),
    );
  }
  return out;
}

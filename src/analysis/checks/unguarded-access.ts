// unguarded-access: a read or write of a guarded field with its guard not held on that path.
// The guard comes from rules/ or is inferred from the locks held at the field's other accesses;
// lockless idioms (marked peeks, RCU reads, initialisation before publication, teardown) are told apart.

import type { FunctionIR } from '../../c/ir.js';
import type { RawFinding } from '../check.js';
import type { RaceCheck, RaceContext } from '../races/context.js';
import type { AccessRecord, Guard, Lockset } from '../races/lockset.js';
import { acquireBefore, releaseAfter, witness, type Step } from '../races/witness.js';
import type { Confidence, Severity } from '../types.js';

/** Reads inside WARN_ON()/BUG_ON() are diagnostics, not decisions. */
const DIAGNOSTIC = /\b(WARN|BUG)(_ON)?(_ONCE|_RATELIMIT|_SMP)?\s*\(|\bpr_(debug|info|warn|err)\b|\bprintk\b|\btrace_\w+\(/;
/** Set-up and tear-down code runs before the object is shared or after its last user is gone. */
const LIFECYCLE = /(^|_)(init|exit|destroy|free|release|cleanup|teardown|remove|alloc|create|setup|probe|ctr|dtr|new)(_|$)/;

export const unguardedAccess: RaceCheck = {
  meta: {
    id: 'unguarded-access',
    severity: 'warning',
    description: 'a read or write of a guarded field while its guard is not held on that path',
  },
  run(ctx: RaceContext) {
    const out: { fn: FunctionIR; finding: RawFinding }[] = [];
    const groups = new Map<string, { r: AccessRecord; g: Guard; all: AccessRecord[] }>();
    for (const r of ctx.lockset.records) {
      if (r.side !== ctx.side) continue;
      const gs = ctx.guards.get(r.data.key);
      if (!gs) continue;
      if (r.via === 'rcu' || r.via === 'llist' || DIAGNOSTIC.test(r.text)) continue;
      if (initOrTeardown(r)) continue;
      for (const g of gs) {
        if (!ctx.lockset.isFree(r, g)) continue;
        const k = `${r.fn.name}\0${r.data.key}\0${g.lock}`;
        const cur = groups.get(k);
        // Report writes, then reads that decide something, then other reads.
        if (!cur) groups.set(k, { r, g, all: [r] });
        else {
          cur.all.push(r);
          if (rank(r) > rank(cur.r)) cur.r = r;
        }
      }
    }
    for (const { r, g, all } of groups.values()) out.push({ fn: r.fn, finding: report(ctx, r, g, all) });
    return out;
  },
};

function rank(r: AccessRecord): number {
  return r.mode === 'write' ? 3 : r.inCondition ? 2 : 1;
}

/** The object is being set up (allocated here) or torn down (freed here): not shared at that point. */
function initOrTeardown(r: AccessRecord): boolean {
  for (const b of r.fn.blocks) {
    for (const op of b.ops) {
      if (op.kind === 'alloc' && op.obj === r.data.root) return true;
      if (op.kind === 'free' && op.obj === r.data.root) return true;
    }
  }
  return false;
}

function report(ctx: RaceContext, r: AccessRecord, g: Guard, all: AccessRecord[]): RawFinding {
  const ls = ctx.lockset;
  const lock = ls.showLock(g, r);
  const verb = r.via === 'list' ? (r.mode === 'write' ? 'changes the list' : 'reads the list') : r.mode === 'write' ? 'writes' : 'reads';
  const released = releasedLine(r, g);
  const evidence = g.source === 'rule' ? g.why : `${g.lock} held at ${g.held} of ${g.held + g.free} accesses with a known lock state`;
  const peek = r.via === 'once';
  const lifecycle = LIFECYCLE.test(r.fn.name);
  let severity: Severity = peek || lifecycle ? 'info' : 'warning';
  let confidence: Confidence = g.source === 'rule' || (g.held >= 4 && g.held >= 4 * Math.max(1, g.free)) ? 'high' : 'medium';
  if (r.site.viaGap || r.fn.meta.completeness === 'partial') confidence = confidence === 'high' ? 'medium' : 'low';
  if (r.mode === 'write' && !peek && !lifecycle && confidence === 'high') severity = 'warning';
  const lines = [...new Set(all.map((a) => a.line))].filter((l) => l !== null).join(', ');
  const facts = [
    `guard: ${g.source === 'rule' ? g.why : g.why}`,
    released !== null ? `'${lock}' was released at line ${released} on this path` : `'${lock}' is not held on any path here`,
  ];
  if (all.length > 1) facts.push(`also at line${all.length > 2 ? 's' : ''} ${lines}`);
  if (peek) facts.push('a READ_ONCE/WRITE_ONCE peek: fine as a hint, wrong if it decides anything');
  if (lifecycle) facts.push(`${r.fn.name}() looks like set-up or tear-down code, where the object may not be shared yet`);
  return {
    rule: 'unguarded-access',
    severity,
    confidence,
    message: `${verb} '${r.path}' without holding '${lock}' (${evidence})`,
    line: r.line,
    function: r.fn.name,
    objects: [r.data.key, g.lock],
    trace: [
      ...(released !== null ? [{ line: released, text: '', note: `releases '${lock}'` }] : []),
      { line: r.line, text: r.text, note: `${verb} '${r.path}' unlocked` },
    ],
    facts,
    witness: buildWitness(ls, r, g, lock, released),
  };
}

function releasedLine(r: AccessRecord, g: Guard): number | null {
  for (const [k, line] of r.releasedAt) {
    const member = k.split(/->|\./).pop();
    if (k === g.lock || member === g.lockField) return line;
  }
  return null;
}

/** CPU0 does the unlocked access; CPU1 changes the same field under the guard (another site, or the rule). */
function buildWitness(ls: Lockset, r: AccessRecord, g: Guard, lock: string, released: number | null) {
  const other = ls.records
    .filter((c) => c !== r && c.data.key === r.data.key && ls.holds(c, g) && (c.mode === 'write' || r.mode === 'write'))
    .sort((a, b) => score(b, r) - score(a, r))[0];
  const member = (obj: string): boolean => obj.replace(/^&/, '').split(/->|\./).pop() === g.lockField;
  const steps: Step[] = [];
  if (released !== null) steps.push({ cpu: 0, fn: r.fn.name, line: released, text: `unlock ${lock}`, note: `drops '${lock}'` });
  if (other) {
    const acq = acquireBefore(other.fn, member, other.line);
    steps.push({ cpu: 1, fn: other.fn.name, line: acq?.line ?? null, text: acq?.text ?? `(holds ${lock}: ${other.heldHow.get(g.lock) ?? 'caller'})`, note: `takes '${lock}'` });
    steps.push({ cpu: 1, fn: other.fn.name, line: other.line, text: other.text, note: `${other.mode === 'write' ? 'writes' : 'reads'} '${other.path}' under the lock` });
    steps.push({ cpu: 0, fn: r.fn.name, line: r.line, text: r.text, note: `${r.mode === 'write' ? 'writes' : 'reads'} '${r.path}' without the lock` });
    const rel = releaseAfter(other.fn, member, other.line);
    steps.push({ cpu: 1, fn: other.fn.name, line: rel?.line ?? null, text: rel?.text ?? `unlock ${lock}`, note: `drops '${lock}'` });
    return witness([r.fn.name, other.fn.name], steps,
      r.mode === 'write'
        ? `CPU0 writes '${r.path}' while CPU1 works on it under '${lock}': the update can be lost or seen half-done`
        : `CPU0 reads '${r.path}' while CPU1 changes it under '${lock}': CPU0 acts on a stale value`);
  }
  if (g.source !== 'rule') return undefined;
  steps.push({ cpu: 1, fn: '(another user)', line: null, text: `lock ${lock}`, note: `takes '${lock}' (${g.why})` });
  steps.push({ cpu: 1, fn: '(another user)', line: null, text: `modify ${r.path}`, note: 'changes the field under the lock' });
  steps.push({ cpu: 0, fn: r.fn.name, line: r.line, text: r.text, note: `${r.mode === 'write' ? 'writes' : 'reads'} '${r.path}' without the lock` });
  return witness([r.fn.name, '(another user)'], steps, `CPU0 and CPU1 touch '${r.path}' at the same time; only CPU1 holds '${lock}'`);
}

function score(c: AccessRecord, r: AccessRecord): number {
  return (c.side === r.side ? 4 : 0) + (c.fn !== r.fn ? 2 : 0) + (c.mode === 'write' ? 1 : 0);
}

// Release counterparts of lock helpers. A unit often sees the helper that takes a lock (a static
// inline in a local header: `mddev_lock()` takes `&mddev->reconfig_mutex`) but not the one that
// drops it (`mddev_unlock()`, defined in another file). Without the release every caller would
// look like it returns with the lock held. The name tells which bodiless callee is the release:
// same leading word, a release word of rules' `lockWords` where the helper has its take word.

import type { Semantics } from '../semantics/index.js';
import { noContract, type LockRef, type Summary } from './summary.js';
import { rootOf } from './objects.js';

/** The words of a function name (`__mddev_lock_nointr` -> mddev, lock, nointr). */
function words(name: string): string[] {
  return name.replace(/^_+/, '').split('_').filter(Boolean);
}

/**
 * Summaries for the bodiless callees (`candidates`) that release what `taker` acquires. Only locks
 * rooted at the taker's parameters qualify (the counterpart receives the same argument), and the
 * release is a `maybe` one: it drops the lock when the caller holds it and says nothing otherwise,
 * so a double unlock is never reported on a name alone.
 */
export function releaseCounterparts(taker: Summary, candidates: Iterable<string>, sem: Semantics): Summary[] {
  if (!sem.lockWords.size) return [];
  // A lock helper returns holding the lock (on some results at least); one that takes and drops it
  // inside has nothing for a counterpart to release.
  const locks = taker.acquires.filter((a) => taker.params.includes(rootOf(a.obj) ?? '') && taker.exits.some((x) => x.acquired.some((l) => l.obj === a.obj)));
  if (!locks.length) return [];
  const tw = words(taker.name);
  const out: Summary[] = [];
  for (const name of candidates) {
    if (name !== taker.name && isCounterpart(tw, words(name), sem)) out.push(counterpart(name, taker, locks));
  }
  return out;
}

/**
 * `mddev_lock_nointr` and `mddev_unlock`, `lock_page` and `unlock_page`: the same words before the
 * take and release words; after them the same words, or none on one side (not `_write`/`_read`),
 * and the same words when nothing comes before.
 */
function isCounterpart(taker: string[], other: string[], sem: Semantics): boolean {
  for (let i = 0; i < taker.length; i++) {
    const releases = sem.lockWords.get(taker[i]!);
    if (!releases) continue;
    const j = other.findIndex((w) => releases.includes(w));
    if (j !== i || other.slice(0, j).join('_') !== taker.slice(0, i).join('_')) continue;
    const after = [taker.slice(i + 1).join('_'), other.slice(j + 1).join('_')];
    if (after[0] === after[1] || (i > 0 && (!after[0] || !after[1]))) return true;
  }
  return false;
}

function counterpart(name: string, taker: Summary, locks: LockRef[]): Summary {
  const released: LockRef[] = locks.map((l) => ({ obj: l.obj, family: l.family, mode: l.mode, irq: l.irq, line: l.line, maybe: true }));
  return {
    name,
    source: 'rule',
    origin: `the release counterpart of ${taker.name}() by its name (rules: lockWords)`,
    params: taker.params,
    locals: new Set(),
    acquires: [],
    exits: [{ cls: 'any', acquired: [], released, lines: [] }],
    exitsKnown: true,
    touches: released,
    requires: [],
    refs: { gets: [], puts: [], returns: null },
    maySleep: null,
    partial: true,
    contract: noContract(),
    flagClears: [],
  };
}

// Release counterparts of lock helpers: which bodiless callee a helper's name makes its release.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { releaseCounterparts } from '../../src/analysis/counterparts.js';
import { noContract, type Summary } from '../../src/analysis/summary.js';
import { defaultSemantics } from '../../src/semantics/load.js';

/** A helper that returns holding `lock` of its first parameter (or drops it again when `drops`). */
function helper(name: string, lock = '&m->lock', drops = false): Summary {
  const ref = { obj: lock, family: 'mutex' as const, mode: 'exclusive' as const, irq: 'none' as const, line: 3 };
  return {
    name,
    source: 'body',
    origin: 'test',
    params: ['m'],
    locals: new Set(),
    acquires: [{ ...ref, always: true }],
    exits: [{ cls: 'void', acquired: drops ? [] : [ref], released: [], lines: [4] }],
    exitsKnown: true,
    touches: [ref],
    requires: [],
    refs: { gets: [], puts: [], returns: null },
    maySleep: null,
    partial: false,
    contract: noContract(),
    flagClears: [],
  };
}

const names = (s: Summary[]): string[] => s.map((x) => x.name).sort();

describe('lock helper release counterparts', () => {
  const sem = defaultSemantics();
  it('pairs a helper with the bodiless function of the same prefix and a release word', () => {
    const cands = ['mddev_unlock', 'mddev_resume', 'nc_table_unlock', 'unlock_page'];
    assert.deepEqual(names(releaseCounterparts(helper('mddev_lock'), cands, sem)), ['mddev_unlock']);
    assert.deepEqual(names(releaseCounterparts(helper('mddev_lock_nointr'), cands, sem)), ['mddev_unlock']);
    assert.deepEqual(names(releaseCounterparts(helper('__mddev_lock'), cands, sem)), ['mddev_unlock']);
    assert.deepEqual(names(releaseCounterparts(helper('lock_page'), cands, sem)), ['unlock_page']);
    assert.deepEqual(names(releaseCounterparts(helper('ext_start_write'), ['ext_end_write', 'ext_finish_write', 'ext_end_read'], sem)), [
      'ext_end_write',
      'ext_finish_write',
    ]);
  });
  it('needs the same words before the take word, and after it when there are none', () => {
    assert.deepEqual(names(releaseCounterparts(helper('nc_node_lock'), ['nc_table_unlock', 'nc_unlock'], sem)), []);
    assert.deepEqual(names(releaseCounterparts(helper('lock_page'), ['unlock_buffer'], sem)), []);
  });
  it('gives a release only for a lock the helper returns holding, rooted at a parameter', () => {
    assert.deepEqual(names(releaseCounterparts(helper('dev_lock', '&m->lock', true), ['dev_unlock'], sem)), []);
    assert.deepEqual(names(releaseCounterparts(helper('dev_lock', '&global_lock'), ['dev_unlock'], sem)), []);
    const [c] = releaseCounterparts(helper('dev_lock'), ['dev_unlock'], sem);
    assert.equal(c!.exits[0]!.released[0]!.obj, '&m->lock');
    assert.equal(c!.exits[0]!.released[0]!.maybe, true, 'never a double unlock on a name alone');
  });
});

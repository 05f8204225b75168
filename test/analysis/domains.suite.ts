// The lock families' kernel semantics, kept once in the lock domain (domains/locks.ts) for the
// path walker and the interleaving explorer alike.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { excludes, isAtomicFamily, nests, sleepsToTake, spins, tryResult, waitsForLock } from '../../src/analysis/domains/locks.js';

describe('analysis/domains: lock semantics', () => {
  it('tells the locks that keep other CPUs out from sections that only change the context', () => {
    for (const f of ['spin', 'raw_spin', 'rwlock', 'mutex', 'rwsem', 'semaphore', 'bit_spin', 'seqlock'] as const) assert.ok(excludes(f), f);
    for (const f of ['rcu', 'srcu', 'preempt', 'local_irq', 'local_bh'] as const) assert.ok(!excludes(f), f);
  });

  it('nests read sides and context sections, not exclusive locks', () => {
    assert.ok(nests('rcu', 'exclusive'));
    assert.ok(nests('rwlock', 'read'));
    assert.ok(!nests('rwlock', 'exclusive'));
    assert.ok(!nests('spin', 'exclusive'));
    assert.ok(!nests('mutex', 'exclusive'));
  });

  it('knows which holders make the context atomic and which acquires sleep', () => {
    assert.ok(isAtomicFamily({ family: 'spin', irq: 'none' }));
    assert.ok(isAtomicFamily({ family: 'rcu', irq: 'none' }));
    assert.ok(!isAtomicFamily({ family: 'srcu', irq: 'none' }));
    assert.ok(!isAtomicFamily({ family: 'mutex', irq: 'none' }));
    assert.ok(sleepsToTake('mutex') && sleepsToTake('rwsem') && sleepsToTake('semaphore'));
    assert.ok(!sleepsToTake('spin'));
    assert.ok(spins('raw_spin') && !spins('mutex'));
  });

  it('gives each kind of conditional acquire its result', () => {
    assert.equal(tryResult('nonzero', true), 1);
    assert.equal(tryResult('nonzero', false), 0);
    assert.equal(tryResult('zero', true), 0);
    assert.notEqual(tryResult('zero', false), 0);
    assert.equal(tryResult('errno', true), 0);
    assert.ok(tryResult('errno', false) < 0);
    assert.ok(waitsForLock(undefined) && waitsForLock('errno'));
    assert.ok(!waitsForLock('nonzero') && !waitsForLock('zero'));
  });
});

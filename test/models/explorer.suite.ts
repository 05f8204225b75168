// The interleaving explorer on its own: the shared primitives' semantics (locks exclude, atomics
// are one step, freed memory stays freed), deadlock and invariant detection with shortest
// witnesses, forks on what nothing decides, and the budget.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FunctionIR } from '../../src/c/ir.js';
import { explore, type ExploreOptions } from '../../src/analysis/interleave/explore.js';
import { newThread, takeEntryLocks } from '../../src/analysis/interleave/thread.js';
import type { Hooks, State } from '../../src/analysis/interleave/types.js';
import { World, ptr } from '../../src/analysis/interleave/world.js';
import { functionsOf } from './helpers.js';

const DEV = `
struct dev { spinlock_t a; spinlock_t b; struct semaphore sem; atomic_t ref; atomic_t inside; int x; struct item *it; struct completion done; };
`;

/** Threads running functions of `src` on one shared `struct dev` (bound to every `d` parameter). */
async function run(src: string, names: string[], hooks: Hooks = {}, opts: ExploreOptions = {}, init?: (w: World, dev: string) => void) {
  const fns = new Map((await functionsOf(DEV + src)).map((f) => [f.name, f] as [string, FunctionIR]));
  const world = new World();
  const dev = world.create('dev', 'dev');
  init?.(world, dev);
  const state: State = { world, threads: [] };
  for (const n of names) state.threads.push(newThread({ role: n, fn: fns.get(n)!, bind: { d: ptr(dev) } }, world, state.threads.length));
  state.threads.forEach((_, i) => takeEntryLocks(state, i, { fns, hooks }));
  return explore(state, fns, hooks, opts);
}

describe('interleaving explorer', () => {
  it('finds an ABBA deadlock and shows both CPUs waiting', async () => {
    const ex = await run(
      `
void ab(struct dev *d) { spin_lock(&d->a); spin_lock(&d->b); d->x = 1; spin_unlock(&d->b); spin_unlock(&d->a); }
void ba(struct dev *d) { spin_lock(&d->b); spin_lock(&d->a); d->x = 2; spin_unlock(&d->a); spin_unlock(&d->b); }
`,
      ['ab', 'ba'],
    );
    assert.equal(ex.verdict, 'deadlock');
    assert.deepEqual(ex.blocked!.map((b) => b.waits).sort(), ['dev->a, held by CPU0', 'dev->b, held by CPU1'].sort());
    assert.equal(ex.path.length, 2, 'shortest: each CPU takes its first lock');
  });

  it('is silent when both take the locks in the same order', async () => {
    const ex = await run(
      `
void ab(struct dev *d) { spin_lock(&d->a); spin_lock(&d->b); d->x = 1; spin_unlock(&d->b); spin_unlock(&d->a); }
void ab2(struct dev *d) { spin_lock(&d->a); spin_lock(&d->b); d->x = 2; spin_unlock(&d->b); spin_unlock(&d->a); }
`,
      ['ab', 'ab2'],
    );
    assert.equal(ex.verdict, 'safe');
  });

  it('down_trylock() gives up at once when the semaphore is taken and says so with a non-zero result', async () => {
    // The lock domain's trylock semantics (domains/locks.ts), shared with the path walker.
    const busy: Hooks = {
      calls: new Set(['note_busy']),
      call(x) {
        x.violate({ invariant: 'busy-seen', message: 'the trylock failed', objects: [] });
        return { note: 'busy' };
      },
    };
    const src = `void t(struct dev *d) { if (down_trylock(&d->sem)) { note_busy(d); return; } d->x = 1; up(&d->sem); }`;
    const ex = await run(src, ['t', 't'], busy);
    assert.equal(ex.verdict, 'violation', 'one CPU finds the semaphore taken');
    assert.equal((await run(src, ['t'], busy)).verdict, 'safe', 'alone, the trylock always succeeds');
  });

  it('a spinlock excludes: never two CPUs inside the critical section', async () => {
    const src = `void enter(struct dev *d) { spin_lock(&d->a); atomic_inc(&d->inside); atomic_dec(&d->inside); spin_unlock(&d->a); }`;
    const inside = (s: State): number => [...s.world.counts].find(([k]) => k.endsWith('.inside'))?.[1] ?? 0;
    const check: Hooks['check'] = (s) => (inside(s) > 1 ? { invariant: 'exclusion', message: 'two CPUs inside', objects: [] } : null);
    const init = (w: World, dev: string): void => void w.counts.set(`${dev}.inside`, 0);
    assert.equal((await run(src, ['enter', 'enter'], { check }, {}, init)).verdict, 'safe');
    const unlocked = `void enter(struct dev *d) { atomic_inc(&d->inside); atomic_dec(&d->inside); }`;
    assert.equal((await run(unlocked, ['enter', 'enter'], { check }, {}, init)).verdict, 'violation');
  });

  it('atomic_dec_and_test is one step: exactly one CPU drops the last reference; atomic_read() decides wrongly', async () => {
    const lastPut = (hooksSeen: { n: number }): Hooks => ({
      calls: new Set(['release_dev']),
      call(x) {
        const n = Number(x.w.model.get('released') ?? 0) + 1;
        x.w.model.set('released', n);
        if (n > 1) x.violate({ invariant: 'released-twice', message: 'released twice', objects: [] });
        hooksSeen.n++;
        return { note: 'releases dev' };
      },
      final: (s) => (s.world.model.get('released') ? null : { invariant: 'never-released', message: 'nobody released it', objects: [] }),
    });
    const init = (w: World, dev: string): void => void w.counts.set(`${dev}.ref`, 2);
    const good = `void put(struct dev *d) { if (atomic_dec_and_test(&d->ref)) release_dev(d); }`;
    assert.equal((await run(good, ['put', 'put'], lastPut({ n: 0 }), {}, init)).verdict, 'safe');
    const bad = `void put(struct dev *d) { atomic_dec(&d->ref); if (atomic_read(&d->ref) == 0) release_dev(d); }`;
    const ex = await run(bad, ['put', 'put'], lastPut({ n: 0 }), {}, init);
    assert.equal(ex.verdict, 'violation');
    assert.equal(ex.violation!.invariant, 'released-twice');
  });

  it("sees a use after another CPU freed the object, and not a CPU's own sequential mistakes", async () => {
    const src = `
void user(struct dev *d) { struct item *it = d->it; it->n = 1; }
void freer(struct dev *d) { kfree(d->it); }
`;
    const init = (w: World, dev: string): void => void w.store(`${dev}.it`, ptr(w.create('item', 'item')));
    const ex = await run(src, ['user', 'freer'], {}, {}, init);
    assert.equal(ex.verdict, 'violation');
    assert.equal(ex.violation!.invariant, 'use-after-free');
    assert.equal(ex.violation!.function, 'user');
    const alone = `void both(struct dev *d) { struct item *it = d->it; kfree(it); it->n = 1; }`;
    assert.equal((await run(alone, ['both'], {}, {}, init)).verdict, 'safe', "one thread alone is the engine's business");
  });

  it('explores both sides of what nothing decides, and says what it assumed', async () => {
    const src = `void maybe(struct dev *d) { if (unknown_check(d)) spin_lock(&d->a); d->x = 1; }`;
    const ex = await run(src, ['maybe', 'maybe']);
    // One side takes the lock and keeps it; the other CPU's acquire then waits forever.
    assert.equal(ex.verdict, 'deadlock');
    const ex2 = await run(`void m(struct dev *d) { hidden_helper(d); d->x = 1; }`, ['m'], {
      final: () => ({ invariant: 'show', message: 'end', objects: [] }),
    });
    assert.ok(
      ex2.assumptions.some((a) => /hidden_helper\(\) is not in the input nor modelled/.test(a)),
      ex2.assumptions.join('\n'),
    );
  });

  it('waits for a completion until another CPU completes it; a wait nobody ends is a deadlock, a timeout is not', async () => {
    const src = `
void waiter(struct dev *d) { wait_for_completion(&d->done); d->x = 1; }
void completer(struct dev *d) { spin_lock(&d->a); d->x = 2; spin_unlock(&d->a); complete(&d->done); }
void forgetful(struct dev *d) { spin_lock(&d->a); if (d->x) { spin_unlock(&d->a); return; } spin_unlock(&d->a); complete(&d->done); }
void patient(struct dev *d) { if (!wait_for_completion_timeout(&d->done, HZ)) return; d->x = 1; }
`;
    assert.equal((await run(src, ['waiter', 'completer'])).verdict, 'safe');
    const stuck = await run(src, ['waiter', 'forgetful'], {}, {}, (w, dev) => w.store(`${dev}.x`, { t: 'int', v: 1 }));
    assert.equal(stuck.verdict, 'deadlock');
    assert.deepEqual(
      stuck.blocked!.map((b) => b.waits),
      ['dev->done to complete'],
    );
    assert.equal((await run(src, ['patient', 'forgetful'], {}, {}, (w, dev) => w.store(`${dev}.x`, { t: 'int', v: 1 }))).verdict, 'safe');
  });

  it('stops at its budget and says so instead of answering', async () => {
    const src = `void spin(struct dev *d) { int i; for (i = 0; i < 1000; i++) { spin_lock(&d->a); d->x = i; spin_unlock(&d->a); } }`;
    const ex = await run(src, ['spin', 'spin'], {}, { maxStates: 50 });
    assert.equal(ex.verdict, 'budget');
  });
});

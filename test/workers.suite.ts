// The worker pool: a task whose worker runs out of memory, exits or throws fails alone; the
// tasks around it finish, in the order asked.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { BUDGETS } from '../src/budgets.js';
import { defaultJobs, runMemoryMb, WorkerPool, workerExecArgv } from '../src/workers/pool.js';

const entry = new URL('./support/pool-worker.ts', import.meta.url);

describe('workers: the analysis pool', () => {
  it('a worker that dies fails only its task; the rest finish, in order', async () => {
    const pool = new WorkerPool<string, string>(entry, { size: 2, heapMb: 64 });
    try {
      const asks = ['a', 'oom', 'b', 'exit', 'c', 'throw', 'd'];
      const got = await Promise.all(asks.map((a) => pool.run(a)));
      assert.deepEqual(
        got.map((r) => (r.ok ? r.value : 'failed')),
        ['done a', 'failed', 'done b', 'failed', 'done c', 'failed', 'done d'],
      );
      const why = got.filter((r) => !r.ok).map((r) => (r.ok ? '' : r.error));
      assert.match(why[0]!, /memory budget \(64 MB\)/);
      assert.match(why[1]!, /exited \(code 3\)/);
      assert.match(why[2]!, /crashed on purpose/);
    } finally {
      await pool.close();
    }
  });

  it("starts by default one worker per core, no more than fit in the run's memory", () => {
    const jobs = defaultJobs();
    assert.ok(jobs >= 1 && jobs <= availableParallelism());
    assert.ok(jobs === 1 || jobs * BUDGETS.workerHeapMb <= runMemoryMb(), `${jobs} workers of ${BUDGETS.workerHeapMb} MB in ${runMemoryMb()} MB`);
  });

  it('gives workers the node options they can run with, not those that give node its code', () => {
    assert.deepEqual(workerExecArgv(['--input-type=module', '-e', 'main()', '--max-semi-space-size=64']), ['--max-semi-space-size=64']);
    assert.deepEqual(workerExecArgv(['--import', 'tsx', '--print', '1', '--eval=x']), ['--import', 'tsx']);
  });
});

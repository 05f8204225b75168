// A pool of worker threads for analysis that must not take the run down: each task runs in a
// worker with a memory limit, and a worker that dies (out of memory, a crash, a stack overflow
// in native code) fails only the task it was running; the pool starts a new one for the rest.
// Results come back per task; callers keep their own order by awaiting tasks in order.

import { availableParallelism, totalmem } from 'node:os';
import { Worker } from 'node:worker_threads';
import { BUDGETS } from '../budgets.js';
import { BUNDLE } from '../paths.js';

/** The memory a run may take, in MB: a share of the machine's, or of its container's limit when lower. */
export function runMemoryMb(): number {
  const limit = process.constrainedMemory?.() ?? 0;
  const bytes = limit > 0 && limit < totalmem() ? limit : totalmem();
  return Math.floor((bytes / 2 ** 20) * BUDGETS.runMemoryShare);
}

/**
 * Workers a run uses unless told: one per core the process may use, as many as fit in the run's
 * memory at their heap budget each; none in the Action's single bundle, which has no worker
 * modules beside it.
 */
export function defaultJobs(): number {
  if (BUNDLE) return 1;
  return Math.max(1, Math.min(availableParallelism(), Math.floor(runMemoryMb() / BUDGETS.workerHeapMb)));
}

/** The process's node options a worker can take: all but those that give node its code (`-e`, `-p`, `--input-type`). */
export function workerExecArgv(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (['-e', '--eval', '-p', '--print'].includes(a)) i++;
    else if (!/^(--input-type|--eval|--print)(=|$)/.test(a)) out.push(a);
  }
  return out;
}

export type TaskResult<R> = { ok: true; value: R } | { ok: false; error: string };

interface Pending<Q, R> {
  req: Q;
  resolve: (r: TaskResult<R>) => void;
}

interface Slot<Q, R> {
  worker: Worker;
  task: Pending<Q, R> | null;
}

export interface PoolOptions {
  /** Worker threads (default: 1). */
  size?: number;
  /** Heap limit of each worker in MB (default: BUDGETS.workerHeapMb). */
  heapMb?: number;
  /** Data every worker gets at start (`workerData`): what it loads once, such as the rules. */
  workerData?: unknown;
}

export class WorkerPool<Q, R> {
  private readonly slots: Slot<Q, R>[] = [];
  private readonly queue: Pending<Q, R>[] = [];
  private closed = false;

  constructor(
    private readonly entry: URL,
    private readonly opts: PoolOptions = {},
  ) {
    for (let i = 0; i < Math.max(1, opts.size ?? 1); i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot<Q, R> {
    // Under tsx (tests, development) the worker is a .ts module: it registers tsx's loader first.
    const ts = this.entry.pathname.endsWith('.ts');
    const boot = `import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(this.entry.href)}); })`;
    const worker = new Worker(ts ? boot : this.entry, {
      eval: ts,
      // Not the process's own node options: `-e`/`--input-type` (kreview run from a script given
      // to node -e) make a worker started from a file fail; the boot above loads what .ts needs.
      execArgv: workerExecArgv(process.execArgv),
      workerData: this.opts.workerData,
      resourceLimits: { maxOldGenerationSizeMb: this.opts.heapMb ?? BUDGETS.workerHeapMb, stackSizeMb: 16 },
    });
    const slot: Slot<Q, R> = { worker, task: null };
    worker.on('message', (m: TaskResult<R>) => {
      const t = slot.task;
      slot.task = null;
      t?.resolve(m);
      this.next(slot);
    });
    const died = (why: string): void => {
      const t = slot.task;
      slot.task = null;
      t?.resolve({ ok: false, error: why });
      const i = this.slots.indexOf(slot);
      if (i >= 0 && !this.closed) {
        this.slots[i] = this.spawn();
        this.next(this.slots[i]!);
      }
    };
    worker.on('error', (e: Error & { code?: string }) =>
      died(
        e.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `the analysis ran out of its memory budget (${this.opts.heapMb ?? BUDGETS.workerHeapMb} MB)`
          : `the analysis failed: ${e.message}`,
      ),
    );
    worker.on('exit', (code) => {
      if (slot.task) died(`the analysis worker exited (code ${code})`);
    });
    worker.unref();
    return slot;
  }

  private next(slot: Slot<Q, R>): void {
    if (slot.task || this.closed) return;
    const t = this.queue.shift();
    if (!t) return;
    slot.task = t;
    slot.worker.ref();
    slot.worker.postMessage(t.req);
  }

  /** Run one task; never rejects: a task the worker could not finish is `{ ok: false }` with why. */
  run(req: Q): Promise<TaskResult<R>> {
    if (this.closed) return Promise.resolve({ ok: false, error: 'the worker pool is closed' });
    return new Promise((resolve) => {
      this.queue.push({
        req,
        resolve: (r) => {
          resolve(r);
          if (!this.slots.some((s) => s.task) && !this.queue.length) for (const s of this.slots) s.worker.unref();
        },
      });
      for (const s of this.slots) this.next(s);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.queue.splice(0)) t.resolve({ ok: false, error: 'the worker pool is closed' });
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

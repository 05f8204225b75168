// Checking C files for `kreview check`: in this thread for one job, else on a pool of workers, each
// with a heap limit (a file whose analysis dies is reported as failed; the others go on).
import type { RuleSettings } from '../analysis/registry.js';
import { checkFile } from '../review.js';
import type { Semantics } from '../semantics/index.js';
import type { CheckOutcome, CheckTask, CheckWorkerData } from './check-worker.js';
import { WorkerPool, type TaskResult } from './pool.js';

export interface FileChecker {
  check(task: CheckTask): Promise<TaskResult<CheckOutcome>>;
  close(): Promise<void>;
}

export interface FileCheckerOptions extends CheckWorkerData {
  /** Worker threads; 1 runs in this thread. */
  jobs: number;
  sem: Semantics;
}

export function fileChecker(o: FileCheckerOptions): FileChecker {
  if (o.jobs <= 1)
    return {
      async check(t) {
        try {
          const r = await checkFile(t.path, t.text, { sem: o.sem, rules: o.rules });
          return { ok: true, value: { findings: r.findings, notes: r.notes, functions: r.functions.length } };
        } catch (e) {
          return { ok: false, error: `the analysis failed: ${e instanceof Error ? e.message : String(e)}` };
        }
      },
      close: async () => {},
    };
  // The worker module beside this one, compiled (.js) or under tsx (.ts).
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const data: CheckWorkerData = { rulesDir: o.rulesDir, extraSemantics: o.extraSemantics, rules: o.rules };
  const pool = new WorkerPool<CheckTask, CheckOutcome>(new URL(`./check-worker${ext}`, import.meta.url), { size: o.jobs, workerData: data });
  return { check: (t) => pool.run(t), close: () => pool.close() };
}

/** Settings a worker gets by structured clone. */
export type { RuleSettings };

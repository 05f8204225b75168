// Reviewing a scan's patches on workers: each application group (a series applied in order, or a
// lone patch) is one task, so one group that kills its worker (out of memory, a crash) fails only
// its own patches; the results are taken in group order, as one thread makes them.
import type { RuleSettings } from '../analysis/registry.js';
import type { Finding } from '../analysis/types.js';
import type { Patch } from '../patch/types.js';
import type { PatchReview } from '../review.js';
import { WorkerPool, type TaskResult } from './pool.js';

export interface ReviewWorkerData {
  rulesDir: string | undefined;
  extraSemantics: string[];
  rules: RuleSettings | undefined;
  tree: string | undefined;
  /** The configuration's ignore globs and the file they are relative to. */
  ignore: string[];
  configPath: string | null;
}

export interface GroupTask {
  patches: Patch[];
}

/** What the run document takes from a patch's review (the IR stays in the worker). */
export interface SlimReview {
  id: string;
  findings: Finding[];
  notes: string[];
  /** The functions of each of the patch's files (by index), when it was analysed. */
  functions: (string[] | undefined)[];
}

export function slimReview(r: PatchReview): SlimReview {
  return {
    id: r.patch.id,
    findings: r.findings,
    notes: r.notes,
    functions: r.patch.files.map((f) => r.images.find((im) => im.file === f)?.functions),
  };
}

export interface GroupReviewer {
  review(group: Patch[]): Promise<TaskResult<SlimReview[]>>;
  close(): Promise<void>;
}

export function groupReviewer(jobs: number, data: ReviewWorkerData, heapMb?: number): GroupReviewer {
  // The worker module beside this one, compiled (.js) or under tsx (.ts).
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const pool = new WorkerPool<GroupTask, SlimReview[]>(new URL(`./review-worker${ext}`, import.meta.url), { size: jobs, workerData: data, heapMb });
  return { review: (patches) => pool.run({ patches }), close: () => pool.close() };
}

// The worker of `kreview scan`: reviews one application group (a series applied in order, or a
// lone patch) per message, with the rules loaded once at start.
import { parentPort, workerData } from 'node:worker_threads';
import { emptyConfig, ignoreMatcher } from '../config/index.js';
import { loadSemantics } from '../run.js';
import { reviewPatches } from '../review.js';
import { slimReview, type GroupTask, type ReviewWorkerData, type SlimReview } from './review-groups.js';

const data = workerData as ReviewWorkerData;
const sem = await loadSemantics(data.rulesDir, data.extraSemantics);
const ignored = ignoreMatcher({ ...emptyConfig(), ignore: data.ignore, path: data.configPath });

parentPort!.on('message', async (t: GroupTask) => {
  try {
    const reviews = await reviewPatches(t.patches, { sem, tree: data.tree, rules: data.rules, ignored });
    parentPort!.postMessage({ ok: true, value: reviews.map(slimReview) satisfies SlimReview[] });
  } catch (e) {
    parentPort!.postMessage({ ok: false, error: `the review failed: ${e instanceof Error ? e.message : String(e)}` });
  }
});

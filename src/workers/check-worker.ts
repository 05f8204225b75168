// The worker of `kreview check`: checks one file per message with the rules loaded once at start.
import { parentPort, workerData } from 'node:worker_threads';
import type { RuleSettings } from '../analysis/registry.js';
import type { Finding } from '../analysis/types.js';
import { checkFile } from '../review.js';
import { loadSemantics } from '../run.js';

export interface CheckWorkerData {
  rulesDir: string | undefined;
  extraSemantics: string[];
  rules: RuleSettings;
}

export interface CheckTask {
  path: string;
  text: string;
}

export interface CheckOutcome {
  findings: Finding[];
  notes: string[];
  functions: number;
}

const data = workerData as CheckWorkerData;
const sem = await loadSemantics(data.rulesDir, data.extraSemantics);

parentPort!.on('message', async (t: CheckTask) => {
  try {
    const r = await checkFile(t.path, t.text, { sem, rules: data.rules });
    parentPort!.postMessage({ ok: true, value: { findings: r.findings, notes: r.notes, functions: r.functions.length } satisfies CheckOutcome });
  } catch (e) {
    parentPort!.postMessage({ ok: false, error: `the analysis failed: ${e instanceof Error ? e.message : String(e)}` });
  }
});

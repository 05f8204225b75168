// The analysis stage: walk every function of one side (callees first, so their summaries are ready),
// run every check, and compare the pre- and post-image findings into introduced/fixed/present.

import type { FunctionIR } from '../c/ir.js';
import type { Semantics } from '../semantics/index.js';
import type { Check, CheckContext, RawFinding } from './check.js';
import { engineChecks } from './checks/index.js';
import { walkFunction, type WalkResult } from './engine.js';
import { bottomUp, SummaryTable } from './summary.js';
import { summarize } from './summarize.js';
import type { Status } from './types.js';

export interface SideAnalysis {
  walks: WalkResult[];
  summaries: SummaryTable;
  findings: { fn: FunctionIR; finding: RawFinding }[];
  /** Functions whose walk ran out of budget (said in the output, never silent). */
  exhausted: string[];
}

export interface AnalyzeOptions {
  checks?: Check[];
  budget?: number;
}

export function analyzeSide(fns: FunctionIR[], sem: Semantics, opts: AnalyzeOptions = {}): SideAnalysis {
  const summaries = new SummaryTable();
  const walks: WalkResult[] = [];
  for (const fn of bottomUp(fns)) {
    const w = walkFunction(fn, { sem, summaries, budget: opts.budget });
    walks.push(w);
    if (!summaries.has(fn.name)) summaries.set(summarize(w));
  }
  const checks = opts.checks ?? engineChecks;
  const findings: SideAnalysis['findings'] = [];
  for (const w of walks) {
    const ctx: CheckContext = { fn: w.fn, walk: w, side: walks, summaries, sem };
    for (const c of checks) for (const f of c.run(ctx)) findings.push({ fn: w.fn, finding: f });
  }
  return { walks, summaries, findings, exhausted: walks.filter((w) => w.budgetExceeded).map((w) => w.fn.name) };
}

export interface Compared<T> {
  item: T;
  status: Status;
}

/**
 * Pair findings of the two images by fingerprint: post only = introduced, pre only = fixed,
 * both = present (reported from the post-image).
 */
export function compareImages<T extends { fingerprint: string }>(pre: T[], post: T[]): Compared<T>[] {
  const preKeys = new Set(pre.map((f) => f.fingerprint));
  const postKeys = new Set(post.map((f) => f.fingerprint));
  const out: Compared<T>[] = [];
  for (const f of post) out.push({ item: f, status: preKeys.has(f.fingerprint) ? 'present' : 'introduced' });
  for (const f of pre) if (!postKeys.has(f.fingerprint)) out.push({ item: f, status: 'fixed' });
  return out;
}

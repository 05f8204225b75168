// What a check is: metadata plus one entry point over a function's walk. Each rule lives in its own
// file under checks/ (ESLint-style); they share the engine, never re-walk the CFG themselves.

import type { FunctionIR } from '../c/ir.js';
import type { Semantics } from '../semantics/index.js';
import type { WalkResult } from './engine.js';
import type { SummaryTable } from './summary.js';
import type { Confidence, Severity, TraceStep, Witness } from './types.js';

export interface CheckMeta {
  id: string;
  severity: Severity; // the usual severity; a finding may lower it
  description: string;
}

export interface CheckContext {
  fn: FunctionIR;
  walk: WalkResult;
  /** Walks of every function on the same side of the same patch (for cross-function evidence). */
  side: WalkResult[];
  summaries: SummaryTable;
  sem: Semantics;
}

/** A finding before it is placed in a patch and compared across images. */
export interface RawFinding {
  rule: string;
  severity: Severity;
  confidence: Confidence;
  message: string;
  line: number | null;
  function: string;
  objects: string[];
  trace: TraceStep[];
  facts: string[];
  /** Extra identity for two findings of one rule on the same objects in one function. */
  discriminator?: string;
  witness?: Witness;
}

export interface Check {
  meta: CheckMeta;
  run(ctx: CheckContext): RawFinding[];
}

/** Lower confidence for what the path could not see, and say why. */
export function contextFacts(fn: FunctionIR, viaGap: boolean): { confidence: Confidence; facts: string[] } {
  const facts: string[] = [];
  let confidence: Confidence = 'high';
  if (viaGap) {
    confidence = 'medium';
    facts.push('the path crosses code the patch does not show (assumed to keep the lock state)');
  }
  if (fn.meta.completeness === 'partial') {
    if (confidence === 'high') confidence = 'medium';
    facts.push(`${fn.name}() is only partly visible (missing: ${fn.meta.missing.join(', ') || 'parts'})`);
  }
  return { confidence, facts };
}

export function lines(ls: (number | null)[]): string {
  const u = [...new Set(ls.map((l) => (l === null ? '?' : String(l))))];
  return u.join(', ');
}

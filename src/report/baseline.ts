// A baseline: the findings of an earlier run (its JSON output) that a tree already has. Findings
// whose fingerprint is in it are marked `baseline` in every format and do not fail the run.

import { readFileSync } from 'node:fs';
import type { Finding } from '../analysis/types.js';

export class BaselineError extends Error {}

/** The fingerprints of a saved kreview JSON output (any schema version: only findings[].fingerprint is read). */
export function loadBaseline(path: string): Set<string> {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
    throw new BaselineError(`baseline ${path}: cannot read a kreview JSON output (${why})`);
  }
  const findings = (doc as { findings?: unknown } | null)?.findings;
  if (!Array.isArray(findings)) throw new BaselineError(`baseline ${path}: no "findings" array (make one with kreview check|scan --format json)`);
  const out = new Set<string>();
  findings.forEach((f, i) => {
    const fp = (f as { fingerprint?: unknown } | null)?.fingerprint;
    if (typeof fp !== 'string') throw new BaselineError(`baseline ${path}: findings[${i}] has no fingerprint`);
    out.add(fp);
  });
  return out;
}

export function markBaseline(findings: Finding[], known: Set<string>): void {
  for (const f of findings) f.baseline = known.has(f.fingerprint);
}

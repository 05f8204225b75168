// `kreview explain`: one finding in full: where, what, the path that leads to it, the interleaving
// that breaks (for races and models), and the facts it rests on.

import type { Finding } from '../analysis/types.js';
import { findingLocation, formatTrace, formatWitness } from './smatch.js';

export function formatExplanation(f: Finding): string {
  const out: string[] = [];
  out.push(`${f.rule} (${f.severity}, ${f.confidence} confidence, ${f.status})  ${f.fingerprint}`);
  out.push(`  ${findingLocation(f)} ${f.function}()`);
  out.push(`  ${f.message}`);
  out.push(`  from ${f.input}${f.patch ? `, patch ${f.patch}` : ''}${f.messageId ? ` <${f.messageId}>` : ''}`);
  if (f.trace.length) {
    out.push('', 'path:');
    for (const l of formatTrace(f)) out.push(`  ${l}`);
  }
  if (f.witness) {
    const w = f.witness;
    out.push('', ...formatWitness(f));
    if (w.model) out.push(`  model: ${w.model}`);
    if (w.invariant) out.push(`  invariant: ${w.invariant}`);
    if (w.steps.some((st) => st.note)) {
      // What each step did to the shared state (the table shows only the code).
      out.push('', 'steps:');
      for (const st of w.steps) out.push(`  ${st.thread}  ${String(st.line ?? '').padStart(5)}  ${st.text}${st.note ? `  -- ${st.note}` : ''}`);
    }
  }
  if (f.facts.length) {
    out.push('', 'rests on:');
    for (const x of f.facts) out.push(`  - ${x}`);
  }
  if (f.objects.length) out.push('', `objects: ${f.objects.join(', ')}`);
  return out.join('\n') + '\n';
}

/** Findings whose fingerprint is, or starts with, the one asked for. */
export function findFingerprint(findings: Finding[], fp: string): Finding[] {
  const exact = findings.filter((f) => f.fingerprint === fp);
  return exact.length ? exact : findings.filter((f) => f.fingerprint.startsWith(fp) || f.fingerprint.split(':')[1]?.startsWith(fp));
}

// Findings in Smatch's shape: `file:line function() severity: message`, details indented below.

import type { Finding } from '../analysis/types.js';

export function formatFinding(f: Finding, opts: { details?: boolean } = {}): string {
  const where = `${f.file ?? f.input}:${f.line ?? '?'}`;
  const head = `${where} ${f.function}() ${f.severity}: ${f.message} [${f.rule}, ${f.status}${f.confidence !== 'high' ? `, ${f.confidence} confidence` : ''}]`;
  if (opts.details === false) return head;
  const out = [head];
  for (const fact of f.facts) out.push(`    ${fact}`);
  if (f.witness) {
    out.push(...formatWitness(f).map((l) => `    ${l}`));
  }
  return out.join('\n');
}

/** A Lockdep-style table: one column per CPU, one row per step. */
export function formatWitness(f: Finding): string[] {
  const w = f.witness;
  if (!w) return [];
  const cols = w.threads.map((t) => t.id);
  const cells = w.steps.map((s) => cols.map((c) => (c === s.thread ? `${s.text}${s.line !== null ? ` (${s.line})` : ''}` : '')));
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const row = (r: string[]): string => r.map((x, i) => x.padEnd(widths[i]!)).join('   ').trimEnd();
  const out = [`witness${w.model ? ` (model ${w.model})` : ''}:`];
  out.push(`  ${row(w.threads.map((t) => `${t.id}: ${t.function}()`))}`);
  out.push(`  ${row(widths.map((n) => '-'.repeat(n)))}`);
  for (const r of cells) out.push(`  ${row(r)}`);
  out.push(`  *** ${w.breaks}`);
  return out;
}

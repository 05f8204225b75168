// Findings in Smatch's shape: `file:line function() severity: message`, details indented below.

import type { Finding, Witness } from '../analysis/types.js';

/** Smatch's words for the levels. */
const WORD: Record<Finding['severity'], string> = { error: 'error', warning: 'warn', info: 'info' };

export function formatFinding(f: Finding, opts: { details?: boolean } = {}): string {
  const where = `${f.file ?? f.input}:${f.line ?? '?'}`;
  const head = `${where} ${f.function}() ${WORD[f.severity]}: ${f.message} [${f.rule}, ${f.status}${f.confidence !== 'high' ? `, ${f.confidence} confidence` : ''}]`;
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
  const own = new Map(w.threads.map((t) => [t.id, t.function]));
  // A step in another function than the thread's (its caller, for a lock the caller took) says where it is.
  const cell = (s: Witness['steps'][number]): string =>
    `${s.function && s.function !== own.get(s.thread) ? `${s.function}(): ` : ''}${s.text}${s.line !== null ? ` (${s.line})` : ''}`;
  const cells = w.steps.map((s) => cols.map((c) => (c === s.thread ? cell(s) : '')));
  // A model's own threads are named in words, not after a function.
  const heads = w.threads.map((t) => `${t.id}: ${/[\s(]/.test(t.function) ? t.function : `${t.function}()`}`);
  const widths = cols.map((_, i) => Math.max(heads[i]!.length, ...cells.map((r) => r[i]!.length)));
  const row = (r: string[]): string => r.map((x, i) => x.padEnd(widths[i]!)).join('   ').trimEnd();
  const out = [`witness${w.model ? ` (model ${w.model})` : ''}:`];
  out.push(`  ${row(heads)}`);
  out.push(`  ${row(widths.map((n) => '-'.repeat(n)))}`);
  for (const r of cells) out.push(`  ${row(r)}`);
  out.push(`  *** ${w.breaks}`);
  return out;
}

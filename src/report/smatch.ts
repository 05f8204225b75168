// Findings in Smatch's shape: `file:line function() severity: message`, details indented below.

import type { Finding, Witness } from '../analysis/types.js';

/** Smatch's words for the levels. */
const WORD: Record<Finding['severity'], string> = { error: 'error', warning: 'warn', info: 'info' };

/**
 * Where a finding is: `file:line`; for code quoted with no file name, the message it is in
 * (`input#N`, N its place in the input) and the line as the message shows it (a quoted line number,
 * or the body line when the code carries none).
 */
export function findingLocation(f: Pick<Finding, 'file' | 'line' | 'patch' | 'input'>): string {
  if (f.file !== null) return `${f.file}:${f.line ?? '?'}`;
  const msg = f.patch ? f.patch.replace(/\.\d+$/, '') : f.input;
  return `${msg}:${f.line ?? '?'}`;
}

/** The bracket after the message: rule, verdict, and what qualifies it. */
export function findingTags(f: Finding): string {
  const tags = [f.rule, f.status];
  if (f.confidence !== 'high') tags.push(`${f.confidence} confidence`);
  if (f.baseline) tags.push('baseline');
  return `[${tags.join(', ')}]`;
}

export function formatFinding(f: Finding, opts: { details?: boolean } = {}): string {
  const head = `${findingLocation(f)} ${f.function}() ${WORD[f.severity]}: ${f.message} ${findingTags(f)}`;
  if (opts.details === false) return head;
  const out = [head];
  for (const fact of f.facts) out.push(`    ${fact}`);
  if (f.witness) {
    out.push(...formatWitness(f).map((l) => `    ${l}`));
  }
  return out.join('\n');
}

/** The path to a finding, one step a line: `    48  spin_lock(&dd->lock)  -- acquires '&dd->lock'`. */
export function formatTrace(f: Pick<Finding, 'trace'>): string[] {
  return f.trace.map((t) => `${String(t.line ?? '?').padStart(6)}  ${t.function ? `${t.function}(): ` : ''}${t.text ? `${t.text.trim()}  ` : ''}-- ${t.note}`);
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
  const row = (r: string[]): string =>
    r
      .map((x, i) => x.padEnd(widths[i]!))
      .join('   ')
      .trimEnd();
  const out = [`witness${w.model ? ` (model ${w.model})` : ''}:`];
  out.push(`  ${row(heads)}`);
  out.push(`  ${row(widths.map((n) => '-'.repeat(n)))}`);
  for (const r of cells) out.push(`  ${row(r)}`);
  out.push(`  *** ${w.breaks}`);
  return out;
}

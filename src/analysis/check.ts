// What a check is: metadata plus one entry point over a function's walk. Each rule lives in its own
// file under checks/ (ESLint-style); they share the engine, never re-walk the CFG themselves.

import type { FunctionIR } from '../c/ir.js';
import type { Semantics } from '../semantics/index.js';
import type { Exit, WalkResult } from './engine.js';
import type { TraceNode } from './state.js';
import type { SummaryTable } from './summary.js';
import type { RuleDeclaration } from './rule.js';
import type { Confidence, Severity, TraceStep, Witness } from './types.js';

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
  /** Which of the rule's message templates the message was made from. */
  messageId: string;
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
  meta: RuleDeclaration;
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

function fullTrace(x: Exit): TraceNode[] {
  const out: TraceNode[] = [];
  for (let n = x.state.trace; n; n = n.prev) out.push(n);
  return out.reverse();
}

/** Where the paths to two exits part: the first step one took and the other did not. */
function parting(a: Exit, b: Exit): string | null {
  const ta = fullTrace(a);
  const tb = fullTrace(b);
  let i = 0;
  while (i < ta.length && i < tb.length && ta[i] === tb[i]) i++;
  const st = ta[i];
  if (!st) return null;
  const cond = /^condition (true|false)$/.exec(st.note);
  const where = cond ? `when the test at line ${st.line ?? '?'} is ${cond[1]}` : st.line !== null ? `through line ${st.line}` : null;
  // The goto that took this path to its label names the cleanup it chose (an unwinding ladder).
  let jump: TraceNode | undefined;
  for (let j = ta.length - 1; j > i && !jump; j--) if (ta[j]!.note === 'jumps to the label' && ta[j]!.line !== null) jump = ta[j];
  return jump && where ? `${where}, then ${jump.text} at ${jump.line}` : where;
}

/**
 * The return lines of `exits`, each one that `others` also returns from told apart by where the
 * paths part ("28 (when the test at line 22 is true)"), so "held on return at 28, released on
 * return at 28" says which 28 is which.
 */
export function exitLines(exits: Exit[], others: Exit[]): string {
  // Lines in order, grouped by what tells them apart: "190, 191 (when the test at line 182 is true)".
  const groups: { why: string | null; lines: string[] }[] = [];
  const seen = new Set<string>();
  for (const x of exits) {
    const l = x.line === null ? '?' : String(x.line);
    if (seen.has(l)) continue;
    seen.add(l);
    const twin = others.find((o) => o.line === x.line);
    const why = twin ? parting(x, twin) : null;
    const last = groups[groups.length - 1];
    if (last && last.why === why) last.lines.push(l);
    else groups.push({ why, lines: [l] });
  }
  return groups.map((g) => (g.why ? `${g.lines.join(', ')} (${g.why})` : g.lines.join(', '))).join(groups.length > 1 ? ', and ' : '');
}

/** "X (not held on return at Y)", or "X; not held on return at Y" when the lists carry notes of their own. */
export function besides(main: string, other: string): string {
  return main.includes('(') || other.includes('(') ? `${main}; ${other}` : `${main} (${other})`;
}

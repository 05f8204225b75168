// The analysis stage: walk every function of one side (callees first, so their summaries are ready),
// run every check, and compare the pre- and post-image findings into introduced/fixed/present.

import type { FunctionIR } from '../c/ir.js';
import type { Semantics } from '../semantics/index.js';
import type { Check, CheckContext, RawFinding } from './check.js';
import { engineChecks } from './checks/index.js';
import { walkFunction, type WalkResult } from './engine.js';
import { annotationSummary, bottomUp, calleesOf, SummaryTable } from './summary.js';
import { releaseCounterparts } from './counterparts.js';
import { summaryOfFacts } from './mined.js';
import { summarize } from './summarize.js';
import type { Status } from './types.js';
import { analyzeRaces, raceChecks } from './races/index.js';
import { analyzeModels } from './models.js';
import type { Side } from './races/lockset.js';
import { effectiveSeverity, ruleEnabled, type RuleSettings } from './registry.js';
import { weakened } from './confidence.js';
import { deadlockRule, modelViolationRule } from './models.js';

export interface SideAnalysis {
  walks: WalkResult[];
  summaries: SummaryTable;
  findings: { fn: FunctionIR; finding: RawFinding }[];
  /** Functions whose walk ran out of budget (said in the output, never silent). */
  exhausted: string[];
  /** What the subsystem models could not decide (exploration budget), said in the output. */
  notes: string[];
}

export interface AnalyzeOptions {
  checks?: Check[];
  budget?: number;
  races?: boolean; // run the race checks (default true)
  models?: boolean; // run the subsystem models' interleaving explorer (default true)
  /** The user's rule choices: disabled rules do not run, severities are capped or raised per rule. */
  rules?: RuleSettings;
  /**
   * Functions read for what they do, not checked: the static inline helpers of a file's local
   * headers (`mddev_lock()` in md.h). Their summaries serve the callers; they get no findings.
   */
  context?: FunctionIR[];
}

export function analyzeSide(fns: FunctionIR[], sem: Semantics, opts: AnalyzeOptions = {}): SideAnalysis {
  return analyzeImages([{ side: 'post', fns }], sem, opts).post!;
}

/** Walk one image: callees first, so their summaries are ready when their callers are walked. */
export function walkImage(checked: FunctionIR[], sem: Semantics, opts: AnalyzeOptions): { walks: WalkResult[]; summaries: SummaryTable; notes: string[] } {
  const summaries = new SummaryTable();
  const walks: WalkResult[] = [];
  const notes: string[] = [];
  // Context helpers the checked functions define themselves are not needed.
  const own = new Set(checked.map((f) => f.name));
  const context = (opts.context ?? []).filter((f) => !own.has(f.name));
  const fns = context.length ? [...context, ...checked] : checked;
  const contextSet = new Set(context);
  // Summaries come from bodies first; a function only declared (with annotations) gets one from them.
  const bodies = new Set(fns.map((f) => f.name));
  for (const f of fns) {
    for (const d of f.declared ?? []) {
      if (bodies.has(d.name) || summaries.has(d.name)) continue;
      const s = annotationSummary(d);
      if (s) summaries.set(s);
    }
  }
  // Callees without a body in the input: what their bodies in the kernel do, when mined into
  // rules/; else a lock helper's release counterpart may be among them.
  const bodiless = new Set([...fns.flatMap((f) => [...calleesOf(f)])].filter((n) => !bodies.has(n)));
  for (const name of bodiless) {
    const m = summaries.has(name) ? undefined : sem.functionFacts(name);
    if (m) summaries.set(summaryOfFacts(name, m.facts, `${m.source}: mined from ${m.facts.at}${m.version ? ` (linux ${m.version})` : ''}`));
  }
  for (const fn of bottomUp(fns)) {
    // One function the engine fails on is said and left out (its callers see an unknown callee);
    // the others are analysed as usual.
    try {
      const w = walkFunction(fn, { sem, summaries, budget: opts.budget });
      if (!contextSet.has(fn)) walks.push(w);
      if (summaries.has(fn.name)) continue;
      const s = summarize(w, summaries, sem.deferrers, (c) => sem.borrows(c));
      summaries.set(s);
      for (const c of releaseCounterparts(s, bodiless, sem)) if (!summaries.has(c.name)) summaries.set(c);
    } catch (e) {
      if (!contextSet.has(fn)) notes.push(failure(`${fn.name}()`, 'the path engine', e));
    }
  }
  return { walks, summaries, notes };
}

/** A note for analysis that failed on one part of the input: what, where, and why. */
function failure(what: string, where: string, e: unknown): string {
  const why = e instanceof RangeError ? 'nested too deeply' : e instanceof Error ? e.message : String(e);
  return `${what}: not analysed by ${where}: ${why}`;
}

/**
 * Analyse the images of a patch (or one file): engine checks per image, race checks with the lock
 * state of both images (guards are inferred from all of them).
 */
export function analyzeImages(images: { side: Side; fns: FunctionIR[] }[], sem: Semantics, opts: AnalyzeOptions = {}): Partial<Record<Side, SideAnalysis>> {
  const out: Partial<Record<Side, SideAnalysis>> = {};
  const on = (id: string): boolean => ruleEnabled(opts.rules, id);
  const checks = (opts.checks ?? engineChecks).filter((c) => on(c.meta.id));
  const walked = images.map(({ side, fns }) => ({ side, ...walkImage(fns, sem, opts) }));
  for (const { side, walks, summaries, notes } of walked) {
    const findings: SideAnalysis['findings'] = [];
    for (const w of walks) {
      const ctx: CheckContext = { fn: w.fn, walk: w, side: walks, summaries, sem };
      const mine: RawFinding[] = [];
      for (const c of checks) {
        try {
          for (const f of c.run(ctx)) mine.push(f);
        } catch (e) {
          notes.push(failure(`${w.fn.name}()`, `check ${c.meta.id}`, e));
        }
      }
      try {
        if (mine.some((f) => f.severity !== 'info')) weakenFieldChanges({ ...ctx, walk: w }, mine, checks, opts.budget);
      } catch (e) {
        notes.push(failure(`${w.fn.name}()`, 'the second walk', e));
      }
      for (const f of mine) findings.push({ fn: w.fn, finding: f });
    }
    out[side] = { walks, summaries, findings, exhausted: walks.filter((w) => w.budgetExceeded).map((w) => w.fn.name), notes };
  }
  const races = raceChecks.filter((c) => on(c.meta.id));
  if (opts.races !== false && races.length) {
    try {
      const found = analyzeRaces(
        walked.map(({ side, walks }) => ({ side, walks })),
        sem,
        races,
      );
      for (const side of ['pre', 'post'] as Side[]) out[side]?.findings.push(...found.findings[side]);
    } catch (e) {
      for (const a of Object.values(out)) a.notes.push(failure('race checks', 'the lock-set analysis', e));
    }
  }
  if (opts.models !== false && (on(modelViolationRule.id) || on(deadlockRule.id))) {
    for (const { side, fns } of images) {
      try {
        const m = analyzeModels(side, fns, sem);
        out[side]?.findings.push(...m.findings.filter((f) => on(f.finding.rule)));
        out[side]?.notes.push(...m.notes);
      } catch (e) {
        out[side]?.notes.push(failure('subsystem models', 'the model explorer', e));
      }
    }
  }
  if (opts.rules?.severity.size) {
    for (const a of Object.values(out)) for (const { finding } of a.findings) finding.severity = effectiveSeverity(opts.rules, finding.rule, finding.severity);
  }
  return out;
}

/**
 * Kernel code tests a field, hands the object to a helper, and relies on the field reading the
 * same after it (`if (io->async) get(io); submit(io); if (io->async) put(io);`). The walk must
 * assume the helper may change it; a finding seen only on such a path rests on that assumption.
 * Walk the function again keeping handed objects' fields, and say so of what is gone there.
 */
function weakenFieldChanges(ctx: CheckContext, found: RawFinding[], checks: Check[], budget: number | undefined): void {
  const again = walkFunction(ctx.fn, { sem: ctx.sem, summaries: ctx.summaries, budget, keepHandedFields: true });
  if (again.budgetExceeded) return;
  const key = (f: RawFinding): string => `${f.rule}|${f.line}|${f.objects[0] ?? ''}|${f.discriminator ?? ''}`;
  const still = new Set<string>();
  for (const c of checks) for (const f of c.run({ ...ctx, walk: again })) still.add(key(f));
  for (const f of found) if (f.severity !== 'info' && !still.has(key(f))) weakened(f, 'callee-changes-field');
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

// One run, as the CLI, the GitHub Action and the nightly job make it: the configuration (file,
// then flags) and baseline, the semantics they name, the analysis, and the run document.

import { ruleTable } from './analysis/registry.js';
import type { Finding, Severity } from './analysis/types.js';
import { applyRuleFlags, ConfigError, emptyConfig, findConfig, ignoreMatcher, loadConfig, type Config, type FailOn, type RuleFlags } from './config/index.js';
import { reviewScan, scanMessages, type ScanInput, type ScanOptions } from './pipeline.js';
import { BaselineError, loadBaseline, markBaseline } from './report/baseline.js';
import { runDocument, type RunDocument } from './report/document.js';
import { Semantics } from './semantics/index.js';
import { loadRuleDir, RuleError } from './semantics/load.js';

/** A configuration, baseline or rules directory that cannot be used: the CLI exits 2, the Action fails. */
export class SetupError extends Error {}

export interface SetupOptions extends RuleFlags {
  config?: string;
  /** The kernel tree, where `.kreview.yaml` is looked for first. */
  tree?: string;
  baseline?: string;
  /** Another semantics directory instead of the bundled rules/. */
  rules?: string;
}

export interface Setup {
  cfg: Config;
  baseline: Set<string> | null;
  baselinePath: string | null;
}

/** The configuration (file, then flags) and the baseline. */
export function loadSetup(o: SetupOptions, cwd = process.cwd()): Setup {
  let cfg: Config;
  try {
    const path = o.config ?? findConfig(o.tree, cwd);
    cfg = path ? loadConfig(path) : emptyConfig();
    applyRuleFlags(cfg, o);
  } catch (e) {
    if (e instanceof ConfigError) throw new SetupError(e.message);
    throw e;
  }
  const baselinePath = o.baseline ?? cfg.baseline;
  let baseline: Set<string> | null = null;
  if (baselinePath) {
    try {
      baseline = loadBaseline(baselinePath);
    } catch (e) {
      if (e instanceof BaselineError) throw new SetupError(e.message);
      throw e;
    }
  }
  return { cfg, baseline, baselinePath };
}

/** The bundled rules (or `dir`), then the configuration's extra semantics directories. */
export function loadSemantics(dir: string | undefined, extra: string[] = []): Semantics {
  try {
    if (!extra.length) return Semantics.load(dir);
    return new Semantics([...loadRuleDir(dir), ...extra.flatMap((d) => loadRuleDir(d))]);
  } catch (e) {
    if (e instanceof RuleError) throw new SetupError(`rules: ${e.message}`);
    throw e;
  }
}

export interface ScanRunOptions extends Pick<ScanOptions, 'stdin' | 'onMessage'> {
  setup: Setup;
  sem: Semantics;
  tree?: string;
  /** The command line to record (what makes the run again). */
  args: string[];
}

/** Read the mail, review every patch, mark the baseline: the run document, and the inputs that could not be opened. */
export async function scanRun(inputs: ScanInput[], o: ScanRunOptions): Promise<{ doc: RunDocument; unreadable: string[] }> {
  const { cfg, baseline, baselinePath } = o.setup;
  const res = await scanMessages(inputs, { stdin: o.stdin, onMessage: o.onMessage });
  await reviewScan(res, { sem: o.sem, tree: o.tree, rules: cfg.rules, ignored: ignoreMatcher(cfg) });
  if (baseline) markBaseline(res.doc.findings, baseline);
  const doc = runDocument({
    command: 'scan',
    invocation: { args: o.args, tree: o.tree ?? null, config: cfg.path, baseline: baselinePath },
    rules: ruleTable(cfg.rules),
    scan: res.doc,
  });
  return { doc, unreadable: res.unreadable };
}

const RANK: Record<Severity, number> = { error: 3, warning: 2, info: 1 };

/**
 * 1 when a finding at or above `level` is still there: introduced or present, and not in the
 * baseline (what a patch fixed never fails a run).
 */
export function failCode(findings: Finding[], level: FailOn): number {
  if (level === 'never') return 0;
  const min = RANK[level];
  return findings.some((f) => !f.baseline && f.status !== 'fixed' && RANK[f.severity] >= min) ? 1 : 0;
}

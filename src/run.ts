// One run, as the CLI, the GitHub Action and the nightly job make it: the configuration (file,
// then flags) and baseline, the semantics they name, the analysis, and the run document.

import { statSync } from 'node:fs';
import { ruleTable } from './analysis/registry.js';
import type { Finding, Severity } from './analysis/types.js';
import { applyRuleFlags, ConfigError, emptyConfig, findConfig, ignoreMatcher, type Config, type FailOn, type RuleFlags } from './config/index.js';
import type { ScanInput, ScanOptions } from './pipeline.js';
import { BaselineError, loadBaseline, markBaseline } from './report/baseline.js';
import { runDocument, type RunDocument } from './report/document.js';
import { Semantics } from './semantics/index.js';
import { cachedRuleDir } from './semantics/cache.js';
import { RuleError } from './semantics/errors.js';
import { DEFAULT_RULES_DIR } from './semantics/where.js';
import { treeProblem } from './source/git.js';
import { defaultJobs } from './workers/pool.js';
import type { ResultStore } from './cache/results.js';
import { errnoReason } from './source-file.js';

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

/** The configuration file (its reader loaded only when there is one) with the flags on top, and the baseline. */
export async function loadSetup(o: SetupOptions, cwd = process.cwd()): Promise<Setup> {
  let cfg: Config;
  try {
    const path = o.config ?? findConfig(o.tree, cwd);
    cfg = path ? (await import('./config/file.js')).loadConfig(path) : emptyConfig();
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

/** A directory an option names: missing, a file or unreadable is said naming the option. */
function needDirectory(what: string, dir: string): void {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (e) {
    const why = errnoReason(e);
    throw new SetupError(`${what} ${dir}: ${why === 'no such file or directory' ? 'no such directory' : `cannot read (${why})`}`);
  }
  if (!isDir) throw new SetupError(`${what} ${dir}: not a directory`);
}

/** `--tree DIR` must be a git repository: said before any input is read, naming the option. */
export async function checkTree(dir: string | undefined): Promise<void> {
  if (dir === undefined) return;
  const problem = await treeProblem(dir);
  if (problem) throw new SetupError(`--tree ${dir}: ${problem}`);
}

/**
 * The bundled rules (or `dir`, from --rules), then the configuration's extra semantics directories,
 * each from its compiled copy in the cache (semantics/cache.ts), made when its content is new.
 */
export async function loadSemantics(dir: string | undefined, extra: string[] = []): Promise<Semantics> {
  if (dir !== undefined) needDirectory('--rules', dir);
  for (const d of extra) needDirectory('semantics directory (configuration)', d);
  const compile = async (d: string) => (await import('./semantics/load.js')).compileRuleDir(d);
  try {
    const files = [];
    const keys: string[] = [];
    for (const d of [dir ?? DEFAULT_RULES_DIR, ...extra]) {
      const r = await cachedRuleDir(d, compile);
      files.push(...r.files);
      keys.push(r.key);
    }
    return new Semantics(files, keys.every(Boolean) ? keys.join('+') : undefined);
  } catch (e) {
    if (e instanceof RuleError) throw new SetupError(`rules: ${e.message}`);
    throw e;
  }
}

export interface ScanRunOptions extends Pick<ScanOptions, 'stdin' | 'onMessage' | 'signal' | 'shard'> {
  /** Application groups reviewed at once on worker threads (default: every core). */
  jobs?: number;
  /** --rules, for the workers to load. */
  rulesDir?: string;
  /** --cache DIR: groups reviewed before with the same everything are taken from it. */
  cache?: ResultStore;
  setup: Setup;
  sem: Semantics;
  tree?: string;
  /** The command line to record (what makes the run again). */
  args: string[];
}

/** Read the mail, review every patch, mark the baseline: the run document, and the inputs that could not be opened. */
export async function scanRun(inputs: ScanInput[], o: ScanRunOptions): Promise<{ doc: RunDocument; unreadable: string[] }> {
  const { cfg, baseline, baselinePath } = o.setup;
  // Mail reading and patch review are loaded when a scan runs: `check` starts without them.
  const { scanMessages, reviewScan } = await import('./pipeline.js');
  const res = await scanMessages(inputs, { stdin: o.stdin, onMessage: o.onMessage, signal: o.signal, shard: o.shard });
  await reviewScan(res, {
    sem: o.sem,
    tree: o.tree,
    rules: cfg.rules,
    ignored: ignoreMatcher(cfg),
    signal: o.signal,
    jobs: o.jobs ?? defaultJobs(),
    cache: o.cache,
    workers: { rulesDir: o.rulesDir, extraSemantics: cfg.semantics, ignore: cfg.ignore, configPath: cfg.path },
  });
  if (baseline) markBaseline(res.doc.findings, baseline);
  const doc = runDocument({
    command: 'scan',
    invocation: { args: o.args, tree: o.tree ?? null, config: cfg.path, baseline: baselinePath },
    rules: ruleTable(cfg.rules),
    scan: res.doc,
    shard: res.shard,
  });
  return { doc, unreadable: res.unreadable };
}

/**
 * A run's exit code (README, "Exit codes"): 2 when an input named on the command line could not be
 * read at all, whatever was found in the others (the run did not see what it was asked to), else
 * failCode. What a directory holds that cannot be read is reported and changes nothing.
 */
export function exitCode(unreadableNamed: number, findings: Finding[], level: FailOn): number {
  return unreadableNamed ? 2 : failCode(findings, level);
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

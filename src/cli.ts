// kreview command line: scan, check, report, merge, rules, cron, ir, explain.

import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, extname } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { checkFile, forgetHeaders, reviewPatches } from './review.js';
import { findFingerprint, formatExplanation } from './report/explain.js';
import { formatFunctionIR } from './c/index.js';
import { preferQuickStart } from './c/parser.js';
import type { Finding } from './analysis/types.js';
import { ruleTable } from './analysis/registry.js';
import { VERSION } from './version.js';
import { FAIL_ON, ignoreMatcher, type Config, type FailOn } from './config/index.js';
import { readRunDocument, runDocument, RunFileError, summarize, type CheckedFile, type RunDocument } from './report/document.js';
import { markBaseline } from './report/baseline.js';
import { checkTree, exitCode, failCode, loadSemantics, loadSetup, scanRun, SetupError, type SetupOptions } from './run.js';
import { TreeError } from './source/git.js';
import { notReadMessage, readSource, sourceInputs, type SourceInput } from './source-file.js';
import { fileChecker } from './workers/check-files.js';
import { defaultJobs } from './workers/pool.js';
import { DirStore, type CacheStats } from './cache/results.js';
import { cachedChecker, checkRunKey } from './cache/check-cache.js';
import { Interrupt, markIncomplete, SIGNAL_EXIT } from './interrupt.js';
import { ConfigError } from './config/index.js';
import type { NightConfig } from './cron/config.js';
import { FORMATS, render, type Format } from './report/index.js';
import { renderRules, RULE_FORMATS } from './report/rules.js';
import { parseShard, Partition, pathKey, ShardError, type Shard } from './shard.js';

export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  stdin?: NodeJS.ReadableStream;
  isTTY?: boolean;
}

const defaultIo: Io = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  stdin: process.stdin,
  isTTY: !!process.stderr.isTTY,
};

class UsageError extends Error {}

const formatOpt = () => new Option('-f, --format <format>', 'output format').choices([...FORMATS]).default('text');
const failOnOpt = (dflt?: FailOn) => {
  const o = new Option(
    '--fail-on <level>',
    `exit 1 when findings at or above this severity are introduced or present, outside the baseline (default: the config's fail-on, else ${dflt ?? 'error'})`,
  ).choices([...FAIL_ON]);
  return dflt ? o.default(dflt) : o;
};
const rulesOpt = () => new Option('--rules <dir>', 'rules directory (default: the bundled rules/)');
const list = (v: string, prev: string[] = []): string[] => [...prev, v];
/** -j N: work on N worker threads, each with a memory budget; one that dies fails only its input. */
const jobsOpt = (what: string) =>
  new Option(
    '-j, --jobs <n>',
    `${what} analysed at once, each on a worker thread with a memory budget (default: every core, ${defaultJobs()} here; 1: in this thread)`,
  ).argParser((v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a whole number of at least 1');
    return n;
  });

/** --cache DIR: results kept by content; what is unchanged is not analysed again. */
const cacheOpt = (what: string) =>
  new Option(
    '--cache <dir>',
    `keep results in DIR by what they depend on (content, headers or tree, rules, kreview): ${what} unchanged since are not analysed again`,
  );

const shardOpt = () =>
  new Option('--shard <i/n>', 'analyse the I-th of N parts of the inputs (I from 1); join the N JSON outputs with `kreview merge`').argParser((v) => {
    try {
      return parseShard(v);
    } catch (e) {
      if (e instanceof ShardError) throw new InvalidArgumentError(e.message);
      throw e;
    }
  });

/** Options every analysing command takes: output, rule selection, config, baseline. */
function addRunOptions(c: Command): Command {
  return c
    .addOption(formatOpt())
    .option('-o, --output <file>', 'write the report to FILE instead of stdout')
    .option('--out-dir <dir>', 'directory for --format email (one .eml per patch)')
    .addOption(failOnOpt())
    .addOption(rulesOpt())
    .option('--config <file>', `configuration file (default: ${'.kreview.yaml'} at the top of the tree)`)
    .option('--enable <ids>', 'turn rules on (comma list; repeatable)', list)
    .option('--disable <ids>', 'turn rules off (comma list; repeatable)', list)
    .option('--severity <id=level>', "set a rule's severity (comma list; repeatable)", list)
    .option('--baseline <file>', 'a JSON output of an earlier run: its findings are marked baseline and do not fail the run');
}

interface RunOptions extends SetupOptions {
  format: Format;
  /** Files (check) or application groups (scan) analysed at once on worker threads (default: every core). */
  jobs?: number;
  output?: string;
  outDir?: string;
  failOn?: FailOn;
  rules?: string;
  config?: string;
  enable?: string[];
  disable?: string[];
  severity?: string[];
  baseline?: string;
  tree?: string;
  /** --cache DIR: results kept by content (cache/results.ts). */
  cache?: string;
  /** --shard I/N: this run's part of the inputs (shard.ts). */
  shard?: Shard;
}

/** Write the run in the format asked for; the exit code --fail-on gives. */
async function emit(io: Io, doc: RunDocument, o: Pick<RunOptions, 'format' | 'output' | 'outDir'>, cfg: Config): Promise<void> {
  if (o.format === 'email' && !o.outDir) throw new UsageError('--format email writes one .eml per patch: give --out-dir DIR');
  const files = await render(doc, o.format, { email: cfg.email });
  if (o.format === 'email') {
    mkdirSync(o.outDir!, { recursive: true });
    for (const f of files) {
      writeFileSync(join(o.outDir!, f.name), f.content);
      io.stdout(`${join(o.outDir!, f.name)}\n`);
    }
    const introduced = doc.findings.filter((f) => f.status === 'introduced' && !f.baseline).length;
    io.stderr(`kreview: ${files.length} reply mail${files.length === 1 ? '' : 's'} for ${introduced} introduced finding${introduced === 1 ? '' : 's'}\n`);
    return;
  }
  if (o.output) writeFileSync(o.output, files[0]!.content);
  else io.stdout(files[0]!.content);
}

/** What a run found in its cache, on stderr (the report is the same with or without it). */
function cacheSummary(s: CacheStats): string {
  return `cache: ${s.hits} results reused, ${s.misses} analysed${s.damaged ? ` (${s.damaged} damaged entries made again)` : ''}${s.unwritable ? `; ${s.unwritable} could not be stored` : ''}`;
}

/** A C file named on the command line, read; a file that cannot be read ends the command (exit 2). */
async function namedSource(path: string): Promise<string> {
  const r = await readSource(path);
  if (!r.ok) throw new UsageError(notReadMessage(path, r));
  return r.text;
}

/**
 * Run the CLI; returns the exit code (README, "Exit codes"): 0 nothing at or above --fail-on, 1
 * findings at or above it, 2 unusable arguments or an input named that could not be read at all,
 * 130/143 a check or scan stopped by SIGINT/SIGTERM (the report of what was done is still written).
 */
export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  let code = 0;
  const program = new Command('kreview')
    .description('Review Linux kernel patches: lock, reference, flag and race bugs, introduced or fixed')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  addRunOptions(
    program
      .command('scan')
      .description('read mail (mbox, Maildir, public-inbox git, archived text, .eml/.patch, - for stdin), extract patches, report findings')
      .argument('<inputs...>', 'files, directories or - for stdin')
      .option('--tree <dir>', 'kernel git tree for pre-images (index blobs, base-commit, HEAD)')
      .addOption(jobsOpt('series (or lone patches)'))
      .addOption(cacheOpt('series'))
      .addOption(shardOpt()),
  ).action(interruptible(scan));

  /** A scan or check that SIGINT/SIGTERM stop with what was done written out (interrupt.ts). */
  function interruptible(run: (inputs: string[], o: RunOptions, stop: Interrupt) => Promise<number>) {
    return async (inputs: string[], o: RunOptions): Promise<void> => {
      const stop = Interrupt.listen();
      try {
        code = await run(inputs, o, stop);
      } finally {
        stop.dispose();
      }
    };
  }

  async function scan(inputs: string[], o: RunOptions, stop: Interrupt): Promise<number> {
    await checkTree(o.tree);
    const setup = await loadSetup(o);
    const sem = await loadSemantics(o.rules, setup.cfg.semantics);
    let bar: SingleBar | null = null;
    const store = o.cache ? new DirStore(o.cache) : null;
    const { doc, unreadable } = await scanRun(inputs, {
      setup,
      sem,
      tree: o.tree,
      jobs: o.jobs,
      rulesDir: o.rules,
      cache: store ?? undefined,
      args: argv,
      stdin: io.stdin,
      signal: stop.signal,
      shard: o.shard,
      onMessage: (n: number) => {
        if (!io.isTTY) return;
        if (n === 500 && !bar) {
          bar = new SingleBar({ format: 'reading {value} messages', stream: process.stderr }, Presets.shades_classic);
          bar.start(0, n);
        }
        if (bar && n % 100 === 0) bar.update(n);
      },
    });
    (bar as SingleBar | null)?.stop();
    if (stop.received) markIncomplete(doc, stop.received, `the ${doc.messages.length} messages read before it, and their patches analysed by then`);
    await emit(io, doc, o, setup.cfg);
    for (const i of doc.inputs) for (const e of i.errors) io.stderr(`kreview: ${e}\n`);
    if (store) io.stderr(`kreview: ${cacheSummary(store.stats)}\n`);
    if (stop.received) return SIGNAL_EXIT[stop.received];
    return exitCode(unreadable.length, doc.findings, o.failOn ?? setup.cfg.failOn ?? 'error');
  }

  addRunOptions(
    program
      .command('check')
      .description('analyse whole C files (no patch): every finding is reported as present')
      .argument('<paths...>', 'C files or directories')
      .addOption(jobsOpt('files'))
      .addOption(cacheOpt('files'))
      .addOption(shardOpt()),
  ).action(interruptible(check));

  async function check(paths: string[], o: RunOptions, stop: Interrupt): Promise<number> {
    const { cfg, baseline, baselinePath } = await loadSetup(o);
    const sem = await loadSemantics(o.rules, cfg.semantics);
    const ignored = ignoreMatcher(cfg);
    // Headers are read as they are now: a run in the same process before may have seen others.
    forgetHeaders();
    const findings: Finding[] = [];
    const notes: string[] = [];
    const checked: CheckedFile[] = [];
    // Named inputs that could not be read at all: they, and only they, make the exit code 2.
    const failedNamed: string[] = [];
    // Files are analysed on workers (by default one per core) and their results taken in the order
    // the files were walked, a few per job in flight. A single file is checked in this thread
    // unless --jobs asks: a worker's start would cost more than the file.
    const walk = sourceInputs(paths)[Symbol.asyncIterator]();
    const ahead: SourceInput[] = [];
    for (let r = await walk.next(); !r.done; r = await walk.next()) {
      ahead.push(r.value);
      if (ahead.filter((x) => !x.skipped).length > 1) break;
    }
    const many = ahead.filter((x) => !x.skipped).length > 1;
    const jobs = o.jobs ?? (many ? defaultJobs() : 1);
    if (!many) preferQuickStart();
    async function* walked(): AsyncGenerator<SourceInput> {
      yield* ahead;
      for (let r = await walk.next(); !r.done; r = await walk.next()) yield r.value;
    }
    const analyse = fileChecker({ jobs, sem, rules: cfg.rules, rulesDir: o.rules, extraSemantics: cfg.semantics });
    // --cache DIR: a file whose text, headers, rules and settings are unchanged is not analysed again.
    const store = o.cache ? new DirStore(o.cache) : null;
    const checker = store ? cachedChecker(analyse, store, checkRunKey(sem, cfg.rules)) : analyse;
    const inFlight: Promise<() => void>[] = [];
    const take = async (): Promise<void> => (await inFlight.shift()!)();
    // --shard: every file is walked and counted, this shard's analysed (by its path under the input named).
    const part = o.shard ? new Partition(o.shard, 'path') : null;
    const now = (f: CheckedFile): void => {
      inFlight.push(Promise.resolve(() => checked.push(f)));
    };
    try {
      for await (const s of walked()) {
        if (stop.received) break;
        if (part && !part.take(pathKey(s.root, s.path))) continue;
        if (s.skipped) {
          now({ path: s.path, status: s.skipped.status, functions: 0, reason: s.skipped.reason });
          if (s.named && s.skipped.status === 'unreadable') failedNamed.push(notReadMessage(s.path, { status: 'unreadable', reason: s.skipped.reason }));
          continue;
        }
        if (ignored?.(s.path)) {
          now({ path: s.path, status: 'ignored', functions: 0, reason: 'ignored by the configuration' });
          continue;
        }
        const r = await readSource(s.path, s.named);
        if (!r.ok) {
          // Refused (binary, too large, a FIFO) is reported as unreadable: either way it was not read.
          now({ path: s.path, status: 'unreadable', functions: 0, reason: r.reason });
          if (s.named) failedNamed.push(notReadMessage(s.path, r));
          continue;
        }
        const readNotes = r.notes.map((n) => `${s.path}: ${n}`);
        inFlight.push(
          checker.check({ path: s.path, text: r.text }).then((res) => () => {
            notes.push(...readNotes);
            if (!res.ok) {
              checked.push({ path: s.path, status: 'failed', functions: 0, reason: res.error });
              return;
            }
            findings.push(...res.value.findings);
            notes.push(...res.value.notes.map((n) => `${s.path}: ${n}`));
            checked.push({ path: s.path, status: 'ok', functions: res.value.functions, reason: null });
          }),
        );
        while (inFlight.length > 2 * jobs) await take();
      }
      while (inFlight.length) await take();
    } finally {
      await checker.close();
    }
    if (baseline) markBaseline(findings, baseline);
    const doc = runDocument({
      command: 'check',
      invocation: { args: argv, tree: null, config: cfg.path, baseline: baselinePath },
      rules: ruleTable(cfg.rules),
      files: checked,
      findings,
      notes,
      shard: part?.info(),
    });
    if (stop.received) markIncomplete(doc, stop.received, `the ${checked.length} files dealt with before it`);
    await emit(io, doc, o, cfg);
    for (const m of failedNamed) io.stderr(`kreview: ${m}\n`);
    if (store) io.stderr(`kreview: ${cacheSummary(store.stats)}\n`);
    if (stop.received) return SIGNAL_EXIT[stop.received];
    return exitCode(failedNamed.length, findings, o.failOn ?? cfg.failOn ?? 'error');
  }

  program
    .command('report')
    .description('render a saved run (kreview scan|check --format json) in another format, without analysing again')
    .argument('<run>', 'a JSON run document')
    .addOption(formatOpt())
    .option('-o, --output <file>', 'write the report to FILE instead of stdout')
    .option('--out-dir <dir>', 'directory for --format email (one .eml per patch)')
    .addOption(failOnOpt('never'))
    .option('--config <file>', 'configuration file (email settings)')
    .option('--baseline <file>', 'mark the findings of this earlier run as baseline')
    .action(async (run: string, o: RunOptions) => {
      let doc: RunDocument;
      try {
        doc = await readRunDocument(run);
      } catch (e) {
        if (e instanceof RunFileError) throw new UsageError(e.message);
        throw e;
      }
      const { cfg, baseline, baselinePath } = await loadSetup(o);
      if (baseline) {
        markBaseline(doc.findings, baseline);
        doc.summary = summarize(doc.findings);
        doc.invocation.baseline = baselinePath;
      }
      await emit(io, doc, o, cfg);
      code = failCode(doc.findings, o.failOn ?? 'never');
    });

  program
    .command('merge')
    .description('join the JSON outputs of `kreview check|scan --shard I/N` into the report the unsharded run makes')
    .argument('<runs...>', 'JSON run documents, one per shard')
    .addOption(formatOpt())
    .option('-o, --output <file>', 'write the report to FILE instead of stdout')
    .option('--out-dir <dir>', 'directory for --format email (one .eml per patch)')
    .addOption(failOnOpt('never'))
    .option('--config <file>', 'configuration file (email settings)')
    .action(async (runs: string[], o: RunOptions) => {
      const { mergeShards, MergeError } = await import('./report/merge.js');
      const docs: { path: string; doc: RunDocument }[] = [];
      for (const path of runs) {
        try {
          docs.push({ path, doc: await readRunDocument(path) });
        } catch (e) {
          if (e instanceof RunFileError) throw new UsageError(e.message);
          throw e;
        }
      }
      let merged: ReturnType<typeof mergeShards>;
      try {
        merged = mergeShards(docs, argv);
      } catch (e) {
        if (e instanceof MergeError) throw new UsageError(e.message);
        throw e;
      }
      const { cfg } = await loadSetup({ config: o.config });
      await emit(io, merged.doc, o, cfg);
      for (const w of merged.warnings) io.stderr(`kreview: ${w}\n`);
      // A shard missing or interrupted: the report is written, marked incomplete, and the merge exits 2.
      if (merged.doc.incomplete) io.stderr(`kreview: ${merged.doc.incomplete.reason}\n`);
      code = merged.lacking.length ? 2 : failCode(merged.doc.findings, o.failOn ?? 'never');
    });

  program
    .command('rules')
    .description('list every rule kreview can report: id, severity, kind, what it finds')
    .addOption(new Option('-f, --format <format>', 'output format').choices([...RULE_FORMATS]).default('text'))
    .action((o: { format: (typeof RULE_FORMATS)[number] }) => {
      io.stdout(renderRules(o.format));
    });

  const semantics = program.command('semantics').description('kernel semantics kreview reads from rules/ and from kernel trees');
  semantics
    .command('mine')
    .description(
      'read a kernel source tree and write what its functions do for their callers (lock and get/put wrappers, sleeping functions, locks they need) as a rules file',
    )
    .argument('<tree>', 'the top of a kernel source tree')
    .option('--dirs <dirs>', 'directories, files or globs of the tree to read (comma or whitespace list; repeatable; default: all of it)', list)
    .option('-o, --output <file>', 'write the rules file (JSON) here (default: stdout)')
    .option('--passes <n>', 'passes over the tree; each sees the wrappers the one before found', '2')
    .option('--kernel-version <v>', "the tree's kernel version (default: from its Makefile)")
    .addOption(rulesOpt())
    .action(async (tree: string, o: { dirs?: string[]; output?: string; passes: string; kernelVersion?: string; rules?: string }) => {
      const { mineTree, minedRulesJson, treeVersion } = await import('./mine/index.js');
      const { loadRuleDir } = await import('./semantics/load.js');
      let st: ReturnType<typeof statSync> | undefined;
      try {
        st = statSync(tree);
      } catch {
        throw new UsageError(`${tree}: no such directory`);
      }
      if (!st.isDirectory()) throw new UsageError(`${tree}: not a directory`);
      const passes = Number(o.passes);
      if (!Number.isInteger(passes) || passes < 1) throw new UsageError(`--passes ${o.passes}: not a positive whole number`);
      // Mined from the hand-written rules only: an earlier mined file must not feed the new one.
      await loadSemantics(o.rules);
      const rules = loadRuleDir(o.rules).filter((f) => !f.rules.provenance);
      const dirs = (o.dirs ?? []).flatMap((d) => d.split(/[,\s]+/)).filter(Boolean);
      const bar = io.isTTY ? new SingleBar({ format: 'mining pass {pass} [{bar}] {value}/{total} files', hideCursor: true }, Presets.shades_classic) : null;
      let started = 0;
      let r: Awaited<ReturnType<typeof mineTree>>;
      try {
        r = await mineTree({
          tree,
          dirs,
          rules,
          passes,
          progress: (pass, done, total) => {
            if (!bar) return;
            if (started !== pass) {
              if (started) bar.stop();
              bar.start(total, done, { pass });
              started = pass;
            } else bar.update(done, { pass });
          },
        });
      } catch (e) {
        throw new UsageError(e instanceof Error ? e.message : String(e));
      } finally {
        bar?.stop();
      }
      const version = o.kernelVersion ?? treeVersion(tree) ?? 'unknown';
      const command = ['kreview semantics mine', `linux-${version}`, ...(dirs.length ? [`--dirs ${dirs.join(',')}`] : []), `--passes ${passes}`].join(' ');
      const text = minedRulesJson(r, { tree: `linux-${version}`, version, command, files: r.files, generated: new Date().toISOString().slice(0, 10) });
      if (o.output) writeFileSync(o.output, text);
      else io.stdout(text);
      for (const f of r.failed) io.stderr(`kreview: ${f.path}: not read: ${f.error}\n`);
      for (const f of r.skipped) io.stderr(`kreview: ${f.path}: skipped: ${f.why}\n`);
      for (const n of r.notes) io.stderr(`kreview: ${n.path}: ${n.note}\n`);
      io.stderr(
        `kreview: ${Object.keys(r.functions).length} functions from ${r.files} files (${r.failed.length} not read, ${r.skipped.length} skipped, ${r.ambiguous.length} names left out: defined more than once with different effects)\n`,
      );
    });

  program
    .command('cron')
    .description('the nightly job: follow mailing-list archives, remember every series across versions, publish what changed')
    .requiredOption('--config <file>', 'the nightly configuration (schedule, database, output, sources, mail)')
    .option('--once', 'one run now, then exit (for system cron, systemd timers, a scheduled workflow)')
    .action(async (o: { config: string; once?: boolean }) => {
      // Loaded here: the database and the scheduler cost the other commands nothing.
      const { loadNightConfig } = await import('./cron/config.js');
      const { nightLogger } = await import('./cron/log.js');
      const { runNight } = await import('./cron/night.js');
      const { NightScheduler } = await import('./cron/scheduler.js');
      const { afterNight: after } = await import('./cron/after.js');
      let cfg: NightConfig;
      try {
        cfg = loadNightConfig(o.config);
      } catch (e) {
        if (e instanceof ConfigError) throw new UsageError(e.message);
        throw e;
      }
      const { log, close } = nightLogger({ write: io.stderr, tty: !!io.isTTY });
      // SIGTERM/SIGINT stop between batches; the run still writes the report of what it did.
      const stopped = new Promise<void>((resolve) => {
        process.once('SIGTERM', () => resolve());
        process.once('SIGINT', () => resolve());
      });
      try {
        if (o.once) {
          const ac = new AbortController();
          void stopped.then(() => ac.abort());
          const r = await runNight(cfg, { log, signal: ac.signal, after });
          io.stdout(
            `${cfg.output}: run ${r.runId}, ${r.digest.nothingNew ? 'nothing new' : `${r.digest.messages} messages, ${r.digest.counts.new} new, ${r.digest.counts.fixed} fixed, ${r.digest.counts.persisting} still there`}\n`,
          );
          code = r.digest.events.some((e) => e.level === 'error') ? 1 : 0;
          return;
        }
        const scheduler = new NightScheduler({
          expression: cfg.schedule,
          timezone: cfg.timezone,
          log,
          run: async (signal) => void (await runNight(cfg, { log, signal, after })),
        });
        scheduler.start();
        await stopped;
        await scheduler.stop();
      } finally {
        close();
      }
    });

  program
    .command('ir')
    .description('print the operation IR and control-flow graph kreview builds for a patch or a C file')
    .argument('<input>', 'a patch/mail input, or a .c/.h file')
    .option('--function <name>', 'only this function')
    .option('--tree <dir>', 'kernel git tree for pre-images')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addOption(rulesOpt())
    .action(async (input: string, o: { function?: string; tree?: string; format: string; rules?: string }) => {
      await checkTree(o.tree);
      const sem = await loadSemantics(o.rules);
      const fns = [];
      if (['.c', '.h'].includes(extname(input))) {
        fns.push(...(await checkFile(input, await namedSource(input), { sem })).functions);
      } else {
        const { scanMessages } = await import('./pipeline.js');
        const res = await scanMessages([input], { stdin: io.stdin });
        if (res.unreadable.length) throw new UsageError(res.doc.inputs[0]?.errors[0] ?? `${input}: cannot read`);
        for (const r of await reviewPatches(res.patches, { sem, tree: o.tree })) fns.push(...r.pre, ...r.post);
      }
      const chosen = o.function ? fns.filter((f) => f.name === o.function) : fns;
      if (o.function && !chosen.length)
        throw new UsageError(
          `no function '${o.function}' in ${input} (${fns.length} functions: ${[...new Set(fns.map((f) => f.name))].slice(0, 10).join(', ') || 'none'})`,
        );
      if (!fns.length) io.stderr(`kreview: no functions in ${input}\n`);
      if (o.format === 'json') io.stdout(JSON.stringify(chosen, null, 1) + '\n');
      else io.stdout(chosen.map((f) => formatFunctionIR(f)).join('\n'));
    });

  program
    .command('explain')
    .description('print one finding in full (trace, witness, the facts it rests on), from a JSON output or by re-running on the inputs')
    .argument('<fingerprint>', 'a finding fingerprint, or its first characters')
    .argument('[inputs...]', 'inputs to scan (.c/.h files are checked) when --from is not given')
    .option('--from <json>', 'a previous `kreview scan|check --format json` output')
    .option('--tree <dir>', 'kernel git tree for pre-images')
    .addOption(rulesOpt())
    .action(async (fp: string, inputs: string[], o: { from?: string; tree?: string; rules?: string }) => {
      let findings: Finding[];
      if (o.from) {
        let doc: { findings?: Finding[] };
        try {
          doc = JSON.parse(readFileSync(o.from, 'utf8'));
        } catch (e) {
          throw new UsageError(`${o.from}: not a kreview JSON output (${e instanceof Error ? e.message : e})`);
        }
        findings = Array.isArray(doc.findings) ? doc.findings : [];
      } else {
        if (!inputs.length) throw new UsageError('explain needs --from FILE.json or inputs to re-run on');
        await checkTree(o.tree);
        const sem = await loadSemantics(o.rules);
        findings = [];
        for await (const s of sourceInputs(inputs.filter((i) => ['.c', '.h'].includes(extname(i))))) {
          if (s.skipped?.status === 'unreadable' && s.named) throw new UsageError(notReadMessage(s.path, { status: 'unreadable', reason: s.skipped.reason }));
          if (s.skipped) continue;
          const r = await readSource(s.path, s.named);
          if (!r.ok && s.named) throw new UsageError(notReadMessage(s.path, r));
          if (r.ok) findings.push(...(await checkFile(s.path, r.text, { sem })).findings);
        }
        const mail = inputs.filter((i) => !['.c', '.h'].includes(extname(i)));
        if (mail.length) {
          const { scanMessages, reviewScan } = await import('./pipeline.js');
          const res = await scanMessages(mail, { stdin: io.stdin });
          await reviewScan(res, { sem, tree: o.tree });
          findings.push(...res.doc.findings);
        }
      }
      const hits = findFingerprint(findings, fp);
      if (!hits.length) {
        io.stderr(`kreview: no finding with fingerprint ${fp} (${findings.length} findings searched)\n`);
        code = 2;
        return;
      }
      io.stdout(hits.map(formatExplanation).join('\n'));
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    // TreeError: git failed on the tree mid-run (it was checked before): said in one line too.
    if (e instanceof UsageError || e instanceof SetupError || e instanceof TreeError) {
      io.stderr(`kreview: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  return code;
}

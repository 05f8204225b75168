// kreview command line: scan, check, ir.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, extname } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { reviewScan, scanMessages, type ScanDocument } from './pipeline.js';
import { checkFile, reviewPatches } from './review.js';
import { formatScanText } from './report/scan-text.js';
import { formatFinding } from './report/smatch.js';
import { findFingerprint, formatExplanation } from './report/explain.js';
import { formatFunctionIR } from './c/index.js';
import type { Finding, Severity } from './analysis/types.js';
import { Semantics } from './semantics/index.js';
import { RuleError } from './semantics/load.js';
import { VERSION } from './version.js';

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

const FAIL_ON = ['error', 'warning', 'info', 'never'] as const;
const RANK: Record<Severity, number> = { error: 3, warning: 2, info: 1 };

/** 1 when a finding at or above the --fail-on level exists. */
function failCode(findings: Finding[], level: string): number {
  if (level === 'never') return 0;
  const min = RANK[level as Severity];
  return findings.some((f) => RANK[f.severity] >= min) ? 1 : 0;
}

function loadSemantics(dir?: string): Semantics {
  try {
    return Semantics.load(dir);
  } catch (e) {
    if (e instanceof RuleError) throw new UsageError(`rules: ${e.message}`);
    throw e;
  }
}

const formatOpt = () => new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text');
const failOnOpt = () => new Option('--fail-on <level>', 'exit 1 when findings at or above this severity exist').choices([...FAIL_ON]).default('error');
const rulesOpt = () => new Option('--rules <dir>', 'rules directory (default: the bundled rules/)');

/** C files named on the command line, directories searched recursively. */
function cFiles(paths: string[]): { files: string[]; missing: string[] } {
  const files: string[] = [];
  const missing: string[] = [];
  const walk = (p: string): void => {
    let st;
    try {
      st = statSync(p);
    } catch {
      missing.push(p);
      return;
    }
    if (st.isDirectory()) {
      for (const e of readdirSync(p).sort()) walk(join(p, e));
    } else if (['.c', '.h'].includes(extname(p))) {
      files.push(p);
    }
  };
  for (const p of paths) walk(p);
  return { files, missing };
}

/** Run the CLI; returns the exit code (0 done, 1 findings at or above --fail-on, 2 unusable arguments or input). */
export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  let code = 0;
  const program = new Command('kreview')
    .description('Review Linux kernel patches: lock, reference, flag and race bugs, introduced or fixed')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  program
    .command('scan')
    .description('read mail (mbox, Maildir, public-inbox git, archived text, .eml/.patch, - for stdin), extract patches, report findings')
    .argument('<inputs...>', 'files, directories or - for stdin')
    .addOption(formatOpt())
    .addOption(failOnOpt())
    .addOption(rulesOpt())
    .option('--tree <dir>', 'kernel git tree for pre-images (index blobs, base-commit, HEAD)')
    .action(async (inputs: string[], o: { format: string; failOn: string; rules?: string; tree?: string }) => {
      const sem = loadSemantics(o.rules);
      let bar: SingleBar | null = null;
      const res = await scanMessages(inputs, {
        stdin: io.stdin,
        onMessage: (n) => {
          if (!io.isTTY) return;
          if (n === 500 && !bar) {
            bar = new SingleBar({ format: 'reading {value} messages', stream: process.stderr }, Presets.shades_classic);
            bar.start(0, n);
          }
          if (bar && n % 100 === 0) bar.update(n);
        },
      });
      (bar as SingleBar | null)?.stop();
      await reviewScan(res, { sem, tree: o.tree });
      output(io, o.format, res.doc);
      for (const i of res.doc.inputs) for (const e of i.errors) io.stderr(`kreview: ${e}\n`);
      code = res.unreadable.length ? 2 : failCode(res.doc.findings, o.failOn);
    });

  program
    .command('check')
    .description('analyse whole C files (no patch): every finding is reported as present')
    .argument('<paths...>', 'C files or directories')
    .addOption(formatOpt())
    .addOption(failOnOpt())
    .addOption(rulesOpt())
    .action(async (paths: string[], o: { format: string; failOn: string; rules?: string }) => {
      const sem = loadSemantics(o.rules);
      const { files, missing } = cFiles(paths);
      const findings: Finding[] = [];
      const notes: string[] = [];
      const checked: { path: string; functions: number }[] = [];
      for (const f of files) {
        const r = await checkFile(f, readFileSync(f, 'utf8'), { sem });
        findings.push(...r.findings);
        notes.push(...r.notes.map((n) => `${f}: ${n}`));
        checked.push({ path: f, functions: r.functions.length });
      }
      for (const m of missing) io.stderr(`kreview: ${m}: cannot read\n`);
      if (o.format === 'json') {
        io.stdout(JSON.stringify({ tool: { name: 'kreview', version: VERSION }, files: checked, missing, findings, notes }, null, 1) + '\n');
      } else {
        for (const f of findings) io.stdout(formatFinding(f) + '\n');
        for (const n of notes) io.stdout(`note: ${n}\n`);
        const fnCount = checked.reduce((a, c) => a + c.functions, 0);
        io.stdout(`${checked.length} file${checked.length === 1 ? '' : 's'}, ${fnCount} functions, ${findings.length} finding${findings.length === 1 ? '' : 's'}\n`);
      }
      code = missing.length ? 2 : failCode(findings, o.failOn);
    });

  program
    .command('ir')
    .description('print the operation IR and control-flow graph kreview builds for a patch or a C file')
    .argument('<input>', 'a patch/mail input, or a .c/.h file')
    .option('--function <name>', 'only this function')
    .option('--tree <dir>', 'kernel git tree for pre-images')
    .addOption(formatOpt())
    .addOption(rulesOpt())
    .action(async (input: string, o: { function?: string; tree?: string; format: string; rules?: string }) => {
      const sem = loadSemantics(o.rules);
      const fns = [];
      if (['.c', '.h'].includes(extname(input))) {
        let text: string;
        try {
          text = readFileSync(input, 'utf8');
        } catch {
          throw new UsageError(`${input}: cannot read`);
        }
        fns.push(...(await checkFile(input, text, { sem })).functions);
      } else {
        const res = await scanMessages([input], { stdin: io.stdin });
        if (res.unreadable.length) throw new UsageError(`${input}: cannot read`);
        for (const r of await reviewPatches(res.patches, { sem, tree: o.tree })) fns.push(...r.pre, ...r.post);
      }
      const chosen = o.function ? fns.filter((f) => f.name === o.function) : fns;
      if (o.function && !chosen.length) io.stderr(`kreview: no function '${o.function}' in ${input}\n`);
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
        const sem = loadSemantics(o.rules);
        findings = [];
        const { files } = cFiles(inputs.filter((i) => ['.c', '.h'].includes(extname(i))));
        for (const f of files) findings.push(...(await checkFile(f, readFileSync(f, 'utf8'), { sem })).findings);
        const mail = inputs.filter((i) => !['.c', '.h'].includes(extname(i)));
        if (mail.length) {
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
    if (e instanceof UsageError) {
      io.stderr(`kreview: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  return code;
}

function output(io: Io, format: string, doc: ScanDocument): void {
  io.stdout(format === 'json' ? JSON.stringify(doc, null, 1) + '\n' : formatScanText(doc));
}

// Microsoft's SARIF Multitool (the @microsoft/sarif-multitool devDependency) validating a log with
// the SARIF and GitHub code scanning rule sets: the problems it reports at warning or error, less the
// warnings accepted on purpose (each with why).
import { spawnSync } from 'node:child_process';
import { accessSync, chmodSync, constants, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Log } from 'sarif';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MULTITOOL = join(ROOT, 'node_modules', '@microsoft', 'sarif-multitool-linux', 'Sarif.Multitool');

/** A validator result: the rule, and the object of the validated log it is about. */
interface Flagged {
  rule: string;
  /** The object at the JSON path the validator names (runs[0].results[1]...), undefined when there is none. */
  at: unknown;
}

/**
 * Validator warnings accepted on purpose, by rule id, each with why and, where it must be narrower
 * than the rule, which objects it may be about. Anything else at warning or error fails the suite.
 */
const ACCEPTED_WARNINGS: Record<string, { why: string; only?: (f: Flagged) => boolean }> = {
  SARIF2005: { why: 'no informationUri: kreview has no public home page yet (package.json has no "homepage"; renderSarif uses it once it has one)' },
  SARIF2017: {
    why: 'no region for code quoted in a mail with no file name: its line counts lines of the message body (or of a file the mail does not name), not lines of the mail file, so the mail is located as a whole (GitHub shows that at line 1)',
    only: (f) => {
      const pl = f.at as { artifactLocation?: { uri?: string }; region?: unknown } | undefined;
      return !!pl && pl.region === undefined && /\.(eml|mbox)$/.test(pl.artifactLocation?.uri ?? '');
    },
  },
};

/** The value at a validator's JSON path ("runs[0].results[1].locations[0].physicalLocation") in `log`. */
function at(log: unknown, path: string): unknown {
  let cur: unknown = log;
  for (const m of path.matchAll(/([A-Za-z$_][\w$]*)|\[(\d+)\]/g)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = m[1] !== undefined ? (cur as Record<string, unknown>)[m[1]] : (cur as unknown[])[Number(m[2])];
  }
  return cur;
}

/**
 * Validate `log` (written into `dir`). `skipped` says why the validator cannot run here; otherwise
 * `problems` lists every warning or error not accepted above.
 */
export function validateSarif(log: Log, dir: string): { skipped?: string; problems: string[] } {
  const why = multitoolUnavailable();
  if (why) return { skipped: why, problems: [] };
  const file = join(dir, 'kreview.sarif');
  writeFileSync(file, JSON.stringify(log, null, 1));
  const out = join(dir, 'validation.sarif');
  // A fresh output file: this build's --log ForceOverwrite is refused as "bad format".
  const res = spawnSync(MULTITOOL, ['validate', '--rule-kind', 'Gh;Sarif', '--output', out, file], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, DOTNET_SYSTEM_GLOBALIZATION_INVARIANT: '1', DOTNET_CLI_TELEMETRY_OPTOUT: '1' },
  });
  if (res.error && (res.error as NodeJS.ErrnoException).code === 'ENOENT') return { skipped: res.error.message, problems: [] };
  if (!existsSync(out)) return { problems: [`the validator wrote no output:\n${res.stdout}\n${res.stderr}`] };
  const v = JSON.parse(readFileSync(out, 'utf8')) as Log;
  const vrun = v.runs[0]!;
  if (vrun.invocations?.[0]?.executionSuccessful === false) return { problems: [`validator failed:\n${res.stdout}`] };
  const rules = vrun.tool.driver.rules ?? [];
  const problems: string[] = [];
  for (const r of vrun.results ?? []) {
    const rule = r.ruleIndex !== undefined ? rules[r.ruleIndex] : rules.find((x) => x.id === r.ruleId);
    const level = r.level ?? rule?.defaultConfiguration?.level ?? 'warning';
    if (level === 'note' || level === 'none') continue;
    // The first argument of the validator's messages is the JSON path of the object it is about.
    const path = r.message.arguments?.[0] ?? '';
    const ok = ACCEPTED_WARNINGS[r.ruleId!];
    if (level === 'warning' && ok && (!ok.only || ok.only({ rule: r.ruleId!, at: at(log, path) }))) continue;
    const tmpl = r.message.id ? rule?.messageStrings?.[r.message.id]?.text : undefined;
    const text = r.message.text ?? tmpl?.replace(/\{(\d+)\}/g, (_, i: string) => r.message.arguments?.[Number(i)] ?? '?') ?? JSON.stringify(r.message);
    problems.push(`${level} ${r.ruleId}: ${text}`);
  }
  return { problems };
}

/** Why the Multitool (a linux-x64 .NET single-file binary) cannot run here, or null when it can. */
function multitoolUnavailable(): string | null {
  if (process.platform !== 'linux' || process.arch !== 'x64') return `it is built for linux-x64, this is ${process.platform}-${process.arch}`;
  if (!existsSync(MULTITOOL)) return `${MULTITOOL} is not installed (npm ci installs @microsoft/sarif-multitool)`;
  try {
    accessSync(MULTITOOL, constants.X_OK);
  } catch {
    try {
      chmodSync(MULTITOOL, statSync(MULTITOOL).mode | 0o100);
    } catch (e) {
      return `${MULTITOOL} is not executable and cannot be made so (${(e as Error).message})`;
    }
  }
  return null;
}

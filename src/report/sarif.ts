// SARIF 2.1.0 for GitHub code scanning (and any other SARIF viewer), rendered from the run document.
//
// One run of the tool 'kreview'. Its rules are the registry (RULES), all of them and in order, with
// their help, examples, CWEs (GitHub's `external/cwe/cwe-N` tags) and the run's own configuration
// (a rule disabled or given another severity). Each introduced or present finding is one result:
// rule, level, message with the verdict, location (file and line, or the mail the code was quoted in),
// the function as a logical location, kreview's fingerprint, baselineState, the path as a code flow
// and a witness as a second code flow with one thread flow per CPU. Notes, input errors and files
// that could not be read become tool execution notifications, so nothing is silently lost.
//
// Findings the patch FIXED are not results. GitHub code scanning reads only a documented subset of
// SARIF ("code scanning will only use the following supported properties": for a result ruleId,
// ruleIndex, rule, level, message.text, locations, partialFingerprints, codeFlows, relatedLocations;
// https://docs.github.com/en/code-security/reference/code-scanning/sarif-files/sarif-support-for-code-scanning).
// `kind`, `baselineState` and `suppressions` are not in it, and tools that emitted `kind: "pass"`
// results saw them opened as alerts (microsoft/PSRule#955, fixed in #957 by leaving passes out;
// complyctl#868); GitHub documents no level "none" either (note, warning, error). What it does do is
// close an alert as *fixed* when a later analysis no longer reports it (observed and recorded by
// toshtag/fairux-linter's upload canary: "A result stops being reported → the alert is fixed").
// So the SARIF way of saying "fixed" to GitHub is absence: a fixed finding is left out of
// run.results and kept, as the result SARIF would otherwise carry (kind "pass", level "none",
// baselineState "absent", same location, fingerprint and flows), in run.properties.fixedResults,
// which GitHub ignores and other consumers can read. The counts are in run.properties.summary.
//
// Baseline findings (already known) stay results with an external suppression: SARIF's way of
// saying it. GitHub does not honour suppressions on upload (github/codeql-action#1230,
// alphagov/govuk-infrastructure#2639): they stay alerts until dismissed once in its UI, and the
// dismissal follows the alert across runs. Other viewers hide them.
//
// Deterministic: everything comes from the document, in its order; no clock, no cwd, no host.

import { isAbsolute, posix } from 'node:path';
import { pathToFileURL } from 'node:url';
import type {
  ArtifactLocation,
  CodeFlow,
  ConfigurationOverride,
  Location,
  Log,
  Notification,
  PhysicalLocation,
  Region,
  ReportingDescriptor,
  Result,
  ThreadFlow,
  ThreadFlowLocation,
} from 'sarif';
import { RULES } from '../analysis/registry.js';
import type { RuleDeclaration, RuleKind } from '../analysis/rule.js';
import type { Finding, Severity, Status } from '../analysis/types.js';
import type { RunDocument } from './document.js';
import { HOMEPAGE } from '../version.js';

const SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
/** The base of relative file paths: the kernel tree (scan) or the directory `kreview check` ran in. */
const SRCROOT = 'SRCROOT';
/** The base of relative mail input paths for scan (the directory kreview ran in). */
const INPUTROOT = 'INPUTROOT';
/** The key of kreview's own fingerprint in partialFingerprints (rule + file + function + objects). */
export const FINGERPRINT_KEY = 'kreview/v1';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', info: 'note' };
/** GitHub's `problem.severity` (non-security rules): error, warning or recommendation. */
const PROBLEM_SEVERITY: Record<Severity, string> = { error: 'error', warning: 'warning', info: 'recommendation' };
/** Path rules follow one function's paths with full lock state; race and model rules infer more. */
const PRECISION: Record<RuleKind, string> = { path: 'high', race: 'medium', model: 'medium' };
const BASELINE_STATE: Record<Status, Result.baselineState> = { introduced: 'new', present: 'unchanged', fixed: 'absent' };

const pascal = (id: string): string =>
  id
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');

const unique = (xs: string[]): string[] => [...new Set(xs)];
/** A C function name (a model's threads are named in words instead). */
const IDENT = /^[A-Za-z_]\w*$/;

// ---------------------------------------------------------------------------------------------
// URIs

/** A relative path as a relative URI reference: '/'-separated, each segment percent-encoded where it must be. */
function relativeUri(path: string): string {
  const segs = posix
    .normalize(path)
    .replace(/^(\.\/)+/, '')
    .split('/');
  return segs
    .map((s, i) => {
      let e = encodeURI(s).replace(/[?#]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
      // A ':' in the first segment would read as a scheme.
      if (i === 0) e = e.replace(/:/g, '%3A');
      return e;
    })
    .join('/');
}

/** Where a path given to kreview is: an absolute path is a file:// URI; a relative one is relative to `base`. */
function artifactFor(path: string, base: string): ArtifactLocation {
  if (path === '-') return { uri: 'stdin', description: { text: 'the standard input kreview read' } };
  if (isAbsolute(path)) return { uri: pathToFileURL(path).href };
  return { uri: relativeUri(path), uriBaseId: base };
}

function originalUriBaseIds(doc: RunDocument): Record<string, ArtifactLocation> {
  if (doc.command === 'check') {
    return {
      [SRCROOT]: { description: { text: 'The directory `kreview check` ran in: the C files it was given are relative to it.' } },
    };
  }
  const tree = doc.invocation.tree;
  let src: ArtifactLocation;
  if (tree !== null && isAbsolute(tree)) {
    const href = pathToFileURL(tree).href;
    src = {
      uri: href.endsWith('/') ? href : `${href}/`,
      description: { text: 'The kernel tree the patches apply to (--tree): file paths are the paths the patches name.' },
    };
  } else if (tree !== null) {
    // A relative --tree is relative to a directory the document does not record: named, not resolved.
    src = {
      description: {
        text: `The kernel tree the patches apply to (--tree ${tree}, relative to the directory kreview ran in): file paths are the paths the patches name.`,
      },
    };
  } else {
    src = { description: { text: 'The root of the kernel tree the patches apply to: file paths are the paths the patches name (a/ and b/ stripped).' } };
  }
  return {
    [SRCROOT]: src,
    [INPUTROOT]: { description: { text: 'The directory kreview ran in: the mail inputs it was given are relative to it.' } },
  };
}

// ---------------------------------------------------------------------------------------------
// Rules

function helpText(r: RuleDeclaration): { text: string; markdown: string } {
  const indent = (code: string): string =>
    code
      .split('\n')
      .map((l) => `    ${l}`)
      .join('\n');
  const cwe = r.cwe.map((n) => `CWE-${n}`).join(', ');
  const cweMd = r.cwe.map((n) => `[CWE-${n}](https://cwe.mitre.org/data/definitions/${n}.html)`).join(', ');
  const text = [r.description, '', 'Buggy:', indent(r.help.bad), '', 'Fixed:', indent(r.help.good), ...(cwe ? ['', `Weaknesses: ${cwe}.`] : [])].join('\n');
  const markdown = [
    r.description,
    '',
    '**Buggy:**',
    '',
    '```c',
    r.help.bad,
    '```',
    '',
    '**Fixed:**',
    '',
    '```c',
    r.help.good,
    '```',
    ...(cweMd ? ['', `Weaknesses: ${cweMd}.`] : []),
  ].join('\n');
  return { text, markdown };
}

function ruleDescriptor(r: RuleDeclaration, run: RunDocument['rules'][number] | undefined): ReportingDescriptor {
  return {
    id: r.id,
    // The name users see; SARIF1001 wants it omitted when it is the id itself (deadlock/Deadlock).
    ...(pascal(r.id).toLowerCase() !== r.id.toLowerCase() ? { name: pascal(r.id) } : {}),
    shortDescription: { text: r.summary },
    fullDescription: { text: r.description },
    help: helpText(r),
    defaultConfiguration: {
      level: LEVEL[r.severity],
      // The run's choice (config file, --disable): GitHub reads only defaultConfiguration; the
      // SARIF way (an override of the declared default) is in invocations[0] too.
      ...(run && !run.enabled ? { enabled: false } : {}),
    },
    properties: {
      tags: unique([...r.tags, r.kind, ...r.cwe.map((n) => `external/cwe/cwe-${n}`)]),
      precision: PRECISION[r.kind],
      'problem.severity': PROBLEM_SEVERITY[r.severity],
      // (Not `kind`: CodeQL's SARIF uses properties.kind for its query kinds, problem / path-problem.)
    },
  };
}

/** Rules the run used otherwise than declared: disabled, or with another top severity. */
function ruleOverrides(doc: RunDocument, index: Map<string, number>): ConfigurationOverride[] {
  const out: ConfigurationOverride[] = [];
  for (const r of doc.rules) {
    const k = index.get(r.id);
    if (k === undefined) continue;
    const decl = RULES[k]!;
    const changed = r.severity !== decl.severity;
    if (r.enabled && !changed) continue;
    out.push({
      descriptor: { id: r.id, index: k },
      configuration: { ...(r.enabled ? {} : { enabled: false }), ...(changed ? { level: LEVEL[r.severity] } : {}) },
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Results

interface Where {
  artifact: ArtifactLocation;
  /** Lines count lines of the artifact (a file finding), so regions can be given. */
  lines: boolean;
  /** For code quoted with no file name: what the line is, said in words. */
  quoted: string | null;
}

/** The mail a patch came from: its file inside a directory or Maildir input, or the input itself. */
function mailOf(f: Finding, doc: RunDocument): string {
  const m = f.patch !== null ? doc.messages.find((x) => x.patches.includes(f.patch!)) : undefined;
  const kind = doc.inputs.find((i) => i.path === f.input)?.kind;
  if (m?.file && (kind === 'directory' || kind === 'maildir')) return posix.join(f.input, m.file);
  return f.input;
}

function whereOf(f: Finding, doc: RunDocument): Where {
  if (f.file !== null) return { artifact: artifactFor(f.file, SRCROOT), lines: true, quoted: null };
  // The message within its input, as the patch id numbers it (input#N.k).
  const n = f.patch?.match(/#(\d+)\.\d+$/)?.[1];
  const msg = n ? `message #${n}` : 'the message';
  const line = f.line === null ? '' : f.lineIn === 'body' ? `, line ${f.line} of its body` : `, line ${f.line} as the message numbers it`;
  return {
    artifact: artifactFor(mailOf(f, doc), doc.command === 'scan' ? INPUTROOT : SRCROOT),
    lines: false,
    quoted: `code quoted with no file name in ${msg}${line}`,
  };
}

function physical(w: Where, line: number | null, f?: Finding): PhysicalLocation {
  const loc: PhysicalLocation = { artifactLocation: w.artifact };
  if (w.lines && line !== null) {
    const region: Region = { startLine: line };
    if (f) {
      const text = f.snippet.find((s) => s.line === line)?.text;
      if (text) region.snippet = { text };
    }
    loc.region = region;
    if (f) {
      const ctx = contextRegion(f, line);
      if (ctx) loc.contextRegion = ctx;
    }
  }
  return loc;
}

/** The lines of the snippet around `line` with no gap in them, when there are more than one. */
function contextRegion(f: Finding, line: number): Region | null {
  const at = f.snippet.findIndex((s) => s.line === line);
  if (at < 0) return null;
  let a = at;
  let b = at;
  while (a > 0 && f.snippet[a - 1]!.line === f.snippet[a]!.line - 1) a--;
  while (b < f.snippet.length - 1 && f.snippet[b + 1]!.line === f.snippet[b]!.line + 1) b++;
  if (a === b) return null;
  const rows = f.snippet.slice(a, b + 1);
  return { startLine: rows[0]!.line, endLine: rows[rows.length - 1]!.line, snippet: { text: rows.map((r) => r.text).join('\n') } };
}

/** The message with its verdict (every format carries introduced / fixed / present) and what qualifies it. */
function messageText(f: Finding, w: Where, doc: RunDocument): string {
  let verdict: string;
  if (doc.command === 'check') verdict = 'present';
  else if (f.status === 'present') verdict = 'present before and after the patch';
  else verdict = `${f.status} by the patch`;
  const tags = [verdict];
  if (f.confidence !== 'high') tags.push(`${f.confidence} confidence`);
  if (f.baseline) tags.push('baseline');
  return `${f.message}${w.quoted ? ` (${w.quoted})` : ''} [${tags.join(', ')}]`;
}

/** A step's message: the code, then what happens there; in another function, that function first. */
function stepText(fn: string | undefined, text: string, note: string, line: number | null, w: Where): string {
  let s = `${text}${text && note ? ': ' : ''}${note}`;
  if (!s) s = 'step';
  if (fn) s = `${fn}(): ${s}`;
  if (!w.lines && line !== null) s += ` (${w.quoted?.includes('of its body') ? 'body line' : 'line'} ${line})`;
  return s;
}

function traceFlow(f: Finding, w: Where): CodeFlow {
  const locations: ThreadFlowLocation[] = f.trace.map((t) => {
    const fn = t.function && t.function !== f.function ? t.function : undefined;
    const location: Location = {
      physicalLocation: physical(w, t.line),
      message: { text: stepText(fn, t.text, t.note, t.line, w) },
    };
    if (fn && IDENT.test(fn)) location.logicalLocations = [{ name: fn, kind: 'function' }];
    return { location };
  });
  return {
    message: { text: `the path in ${f.function}()` },
    threadFlows: [{ message: { text: `${f.function}()` }, locations }],
  };
}

function witnessFlow(f: Finding, w: Where): CodeFlow | null {
  const wit = f.witness;
  if (!wit?.steps.length) return null;
  // One thread flow per CPU, in the witness's order of threads (then any id only the steps name);
  // executionOrder is the step's place in the interleaving across all of them.
  const ids = unique([...wit.threads.map((t) => t.id), ...wit.steps.map((s) => s.thread)]);
  const own = new Map(wit.threads.map((t) => [t.id, t]));
  const flows: ThreadFlow[] = [];
  const idle: string[] = [];
  for (const id of ids) {
    const t = own.get(id);
    const locations: ThreadFlowLocation[] = [];
    wit.steps.forEach((s, k) => {
      if (s.thread !== id) return;
      const fn = s.function && s.function !== t?.function ? s.function : undefined;
      const location: Location = {
        physicalLocation: physical(w, s.line),
        message: { text: stepText(fn, s.text, s.note, s.line, w) },
      };
      // A model's own threads (a workqueue, a target's I/O) are named in words: no C function.
      if (IDENT.test(s.function)) location.logicalLocations = [{ name: s.function, kind: 'function' }];
      locations.push({ location, executionOrder: k + 1 });
    });
    const label = !t ? id : IDENT.test(t.function) ? `${id}: ${t.name}, ${t.function}()` : `${id}: ${t.function}`;
    if (!locations.length) {
      idle.push(label);
      continue;
    }
    flows.push({ id, message: { text: label }, locations });
  }
  const parts = [`witness${wit.model ? ` (model ${wit.model})` : ''}: ${wit.breaks}`];
  if (wit.invariant) parts.push(`invariant: ${wit.invariant}`);
  if (idle.length) parts.push(`no steps on ${idle.join('; ')}`);
  return { message: { text: parts.join('; ') }, threadFlows: flows };
}

function resultOf(f: Finding, doc: RunDocument, index: Map<string, number>): Result {
  const w = whereOf(f, doc);
  const k = index.get(f.rule);
  const fixed = f.status === 'fixed';
  const location: Location = {
    physicalLocation: physical(w, f.line, f),
    logicalLocations: [{ name: f.function, kind: 'function' }],
  };
  const codeFlows: CodeFlow[] = [];
  if (f.trace.length) codeFlows.push(traceFlow(f, w));
  const wf = witnessFlow(f, w);
  if (wf) codeFlows.push(wf);
  const r: Result = {
    ruleId: f.rule,
    ...(k !== undefined ? { ruleIndex: k } : {}),
    // A fixed finding is a rule that passes now on what failed before (see the head of this file).
    ...(fixed ? { kind: 'pass' as const, level: 'none' as const } : { level: LEVEL[f.severity] }),
    message: { text: messageText(f, w, doc) },
    locations: [location],
    partialFingerprints: { [FINGERPRINT_KEY]: f.fingerprint },
    baselineState: BASELINE_STATE[f.status],
  };
  if (codeFlows.length) r.codeFlows = codeFlows;
  if (f.baseline) {
    r.suppressions = [
      {
        kind: 'external',
        status: 'accepted',
        justification: `In the baseline${doc.invocation.baseline ? ` ${doc.invocation.baseline}` : ''}: a known finding, not counted for --fail-on.`,
      },
    ];
  }
  const subject = f.patch !== null ? doc.patches.find((p) => p.id === f.patch)?.subject : undefined;
  r.properties = {
    status: f.status,
    severity: f.severity,
    confidence: f.confidence,
    fingerprint: f.fingerprint,
    ruleMessageId: f.ruleMessageId,
    objects: f.objects,
    facts: f.facts,
    input: f.input,
    ...(f.patch !== null ? { patch: f.patch } : {}),
    ...(subject !== undefined ? { subject } : {}),
    ...(f.messageId !== null ? { messageId: f.messageId } : {}),
    ...(w.quoted ? { quoted: `${w.quoted}: the location is the mail, with no region` } : {}),
    line: f.line,
    lineIn: f.lineIn,
    ...(f.hunk ? { hunk: f.hunk } : {}),
    baseline: f.baseline,
  };
  return r;
}

// ---------------------------------------------------------------------------------------------
// Notifications

function notifications(doc: RunDocument): Notification[] {
  const out: Notification[] = [];
  const inputBase = doc.command === 'scan' ? INPUTROOT : SRCROOT;
  for (const i of doc.inputs) {
    const at = [{ physicalLocation: { artifactLocation: artifactFor(i.path, inputBase) } }];
    for (const e of i.errors) out.push({ level: 'error', message: { text: e }, locations: at });
    for (const s of i.skipped) out.push({ level: 'note', message: { text: `${i.path}: ${s.item}: skipped: ${s.reason}` }, locations: at });
  }
  for (const m of doc.messages) {
    if (m.status === 'error' && m.error) {
      out.push({
        level: 'warning',
        message: { text: m.error },
        locations: [{ physicalLocation: { artifactLocation: artifactFor(m.input, inputBase) } }],
      });
    }
  }
  for (const f of doc.files) {
    if (f.status === 'ok') continue;
    out.push({
      level: f.status === 'unreadable' || f.status === 'failed' ? 'error' : 'note',
      message: {
        text: `${f.path}: ${f.status === 'unreadable' ? 'cannot read' : f.status === 'failed' ? 'analysis failed' : 'not analysed'}${f.reason ? ` (${f.reason})` : ''}`,
      },
      locations: [{ physicalLocation: { artifactLocation: artifactFor(f.path, SRCROOT) } }],
    });
  }
  for (const n of doc.notes) out.push({ level: 'note', message: { text: n } });
  return out;
}

const shellQuote = (a: string): string => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);

// ---------------------------------------------------------------------------------------------

export function renderSarif(doc: RunDocument): Log {
  const index = new Map(RULES.map((r, k) => [r.id, k]));
  const used = new Map(doc.rules.map((r) => [r.id, r]));
  const results: Result[] = [];
  const fixedResults: Result[] = [];
  for (const f of doc.findings) (f.status === 'fixed' ? fixedResults : results).push(resultOf(f, doc, index));
  const overrides = ruleOverrides(doc, index);
  const notes = notifications(doc);
  return {
    $schema: SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'kreview',
            version: doc.tool.version,
            semanticVersion: doc.tool.version,
            ...(HOMEPAGE ? { informationUri: HOMEPAGE } : {}),
            rules: RULES.map((r) => ruleDescriptor(r, used.get(r.id))),
          },
        },
        invocations: [
          {
            executionSuccessful: true,
            commandLine: ['kreview', ...doc.invocation.args].map(shellQuote).join(' '),
            arguments: doc.invocation.args,
            ...(overrides.length ? { ruleConfigurationOverrides: overrides } : {}),
            ...(notes.length ? { toolExecutionNotifications: notes } : {}),
          },
        ],
        originalUriBaseIds: originalUriBaseIds(doc),
        results,
        properties: {
          command: doc.command,
          schemaVersion: doc.schemaVersion,
          summary: doc.summary,
          ...(doc.invocation.config ? { config: doc.invocation.config } : {}),
          ...(doc.invocation.baseline ? { baseline: doc.invocation.baseline } : {}),
          // Fixed findings, as results, out of run.results so GitHub closes their alerts instead
          // of opening them (see the head of this file).
          fixedResults,
        },
      },
    ],
  };
}

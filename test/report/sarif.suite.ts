// SARIF output: run documents made by the product code (a scan of the example series plus a quoted
// reply and a missing input; a check of race and model fixtures with a baseline, a rule disabled and
// a severity changed), rendered and checked for what GitHub code scanning and other viewers read:
// rule metadata, levels, verdicts as baselineState, fixed findings kept out of the results, the
// path and the per-CPU witness as code flows, fingerprints, URIs. Then Microsoft's SARIF Multitool
// validates the logs against the SARIF and GitHub rule sets.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Log, Result, ThreadFlowLocation } from 'sarif';
import { reviewScan, scanMessages } from '../../src/pipeline.js';
import { checkFile } from '../../src/review.js';
import { RULES, ruleTable, type RuleSettings } from '../../src/analysis/registry.js';
import type { Finding } from '../../src/analysis/types.js';
import { defaultSemantics } from '../../src/semantics/load.js';
import { runDocument, type CheckedFile, type RunDocument } from '../../src/report/document.js';
import { markBaseline } from '../../src/report/baseline.js';
import { render } from '../../src/report/index.js';
import { FINGERPRINT_KEY, renderSarif } from '../../src/report/sarif.js';
import { validateSarif } from '../support/sarif-validator.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** A repository path as the CLI would get it from a user in the current directory. */
const rel = (p: string): string => relative(process.cwd(), join(ROOT, p));

/** A reply quoting a new function with no file name and no line numbers: its lines are lines of the body. */
const QUOTED_REPLY = [
  'From: Rita Reviewer <rita@example.org>',
  'To: Ann Author <ann@example.org>',
  'Subject: Re: [PATCH] foo: add foo_op',
  'Message-ID: <quoted-reply-1@example.org>',
  'In-Reply-To: <foo-op-1@example.org>',
  'Date: Fri, 14 Jun 2024 10:20:30 +0200',
  '',
  'On Thu, Jun 13, 2024 at 11:00:00AM +0200, Ann Author wrote:',
  '> +static int foo_op(struct foo_dev *d)',
  '> +{',
  '> +\tmutex_lock(&d->lock);',
  '> +\tif (d->err)',
  '> +\t\treturn -EIO;',
  '> +\tmutex_unlock(&d->lock);',
  '> +\treturn 0;',
  '> +}',
  '',
  'This returns with d->lock held.',
  '',
].join('\n');

const CHECKED = ['fixtures/c/check-then-act/test-then-set.c', 'fixtures/models/dm/wq-rescue.c', 'fixtures/models/dm-ploop/wb-late-clear.c'];
/** Checked under its absolute path, as `kreview check /abs/path` does. */
const CHECKED_ABS = join(ROOT, 'fixtures/c/unguarded-access/globals.c');

const run0 = (log: Log) => log.runs[0]!;
const fixedOf = (log: Log): Result[] => (run0(log).properties?.fixedResults ?? []) as Result[];
const byRule = (rs: Result[], rule: string): Result[] => rs.filter((r) => r.ruleId === rule);

describe('sarif', () => {
  let dir: string;
  let mail: string;
  let scan: RunDocument;
  let check: RunDocument;
  let scanLog: Log;
  let checkLog: Log;
  const sem = defaultSemantics();
  // --disable flag-leak --severity check-then-act=error
  const settings: RuleSettings = { disabled: new Set(['flag-leak']), severity: new Map([['check-then-act', 'error']]) };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kreview-sarif-'));
    mail = join(dir, 'quoted-reply.eml');
    writeFileSync(mail, QUOTED_REPLY);
    const inputs = [rel('fixtures/mail/example.mbox'), mail, rel('fixtures/mail/no-such.mbox')];
    const res = await scanMessages(inputs);
    await reviewScan(res, { sem });
    scan = runDocument({
      command: 'scan',
      invocation: { args: ['scan', ...inputs, '--format', 'sarif'], tree: null, config: null, baseline: null },
      rules: ruleTable(undefined),
      scan: res.doc,
    });

    const findings: Finding[] = [];
    const notes: string[] = [];
    const files: CheckedFile[] = [];
    for (const [label, path] of [...CHECKED.map((p) => [rel(p), join(ROOT, p)] as const), [CHECKED_ABS, CHECKED_ABS] as const]) {
      const r = await checkFile(label, readFileSync(path, 'utf8'), { sem, rules: settings });
      findings.push(...r.findings);
      notes.push(...r.notes.map((n) => `${label}: ${n}`));
      files.push({ path: label, status: 'ok', functions: r.functions.length, reason: null });
    }
    files.push({ path: 'drivers/gone.c', status: 'unreadable', functions: 0, reason: 'no such file or directory' });
    notes.push('a note of the analysis');
    const known = findings.find((f) => f.rule === 'model-violation')!;
    markBaseline(findings, new Set([known.fingerprint]));
    check = runDocument({
      command: 'check',
      invocation: {
        args: ['check', ...CHECKED.map(rel), CHECKED_ABS, 'drivers/gone.c', '--baseline', 'old.json'],
        tree: null,
        config: null,
        baseline: 'old.json',
      },
      rules: ruleTable(settings),
      files,
      findings,
      notes,
    });
    scanLog = renderSarif(scan);
    checkLog = renderSarif(check);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is one SARIF 2.1.0 run of kreview, with its version', () => {
    for (const log of [scanLog, checkLog]) {
      assert.equal(log.version, '2.1.0');
      assert.match(log.$schema!, /sarif-2\.1\.0/);
      assert.equal(log.runs.length, 1);
      const d = run0(log).tool.driver;
      assert.equal(d.name, 'kreview');
      assert.equal(d.version, scan.tool.version);
      assert.equal(d.semanticVersion, scan.tool.version);
    }
  });

  it('declares every rule of the registry, in order, with help, examples, level, tags and precision', () => {
    const rules = run0(scanLog).tool.driver.rules!;
    assert.deepEqual(
      rules.map((r) => r.id),
      RULES.map((r) => r.id),
    );
    for (const [k, r] of rules.entries()) {
      const decl = RULES[k]!;
      assert.equal(r.shortDescription!.text, decl.summary);
      assert.equal(r.fullDescription!.text, decl.description);
      assert.ok(r.help!.text.startsWith(decl.description) && r.help!.text.includes(decl.help.bad.split('\n')[0]!));
      assert.ok(r.help!.markdown!.includes('```c\n' + decl.help.bad + '\n```'), `${r.id}: buggy example`);
      assert.ok(r.help!.markdown!.includes('```c\n' + decl.help.good + '\n```'), `${r.id}: fixed example`);
      assert.equal(r.defaultConfiguration!.level, { error: 'error', warning: 'warning', info: 'note' }[decl.severity]);
      assert.equal(r.defaultConfiguration!.enabled, undefined);
      const tags = r.properties!.tags!;
      for (const t of [...decl.tags, decl.kind, ...decl.cwe.map((n) => `external/cwe/cwe-${n}`)]) assert.ok(tags.includes(t), `${r.id}: tag ${t}`);
      assert.equal(new Set(tags).size, tags.length, `${r.id}: tags are unique`);
      assert.equal(r.properties!.precision, decl.kind === 'path' ? 'high' : 'medium');
    }
    const byId = new Map(rules.map((r) => [r.id, r]));
    assert.equal(byId.get('lock-leak')!.name, 'LockLeak');
    assert.equal(byId.get('error-path-fallthrough')!.name, 'ErrorPathFallthrough');
    // A name that is the id again is left out (SARIF1001).
    assert.equal(byId.get('deadlock')!.name, undefined);
    assert.ok(byId.get('double-lock')!.properties!.tags!.includes('external/cwe/cwe-833'));
  });

  it("records the run's rule configuration: a disabled rule, a changed severity", () => {
    const run = run0(checkLog);
    const rules = run.tool.driver.rules!;
    const flag = rules.findIndex((r) => r.id === 'flag-leak');
    const cta = rules.findIndex((r) => r.id === 'check-then-act');
    assert.equal(rules[flag]!.defaultConfiguration!.enabled, false);
    // The declaration's default stays; the run's level is an override.
    assert.equal(rules[cta]!.defaultConfiguration!.level, 'warning');
    assert.deepEqual(run.invocations![0]!.ruleConfigurationOverrides, [
      { descriptor: { id: 'flag-leak', index: flag }, configuration: { enabled: false } },
      { descriptor: { id: 'check-then-act', index: cta }, configuration: { level: 'error' } },
    ]);
    // The findings carry the severity the run gave them.
    assert.ok(byRule(run.results!, 'check-then-act').every((r) => r.level === 'error'));
    assert.equal(run0(scanLog).invocations![0]!.ruleConfigurationOverrides, undefined);
  });

  it('an introduced finding: level, verdict, location in the tree, function, fingerprint, baselineState new', () => {
    const f = scan.findings.find((x) => x.status === 'introduced' && x.file !== null)!;
    const [r, ...more] = run0(scanLog).results!.filter((x) => x.partialFingerprints![FINGERPRINT_KEY] === f.fingerprint);
    assert.ok(r && !more.length);
    assert.equal(r.ruleId, f.rule);
    assert.equal(run0(scanLog).tool.driver.rules![r.ruleIndex!]!.id, f.rule);
    assert.equal(r.level, 'error');
    assert.equal(r.kind, undefined);
    assert.equal(r.baselineState, 'new');
    assert.ok(r.message.text!.startsWith(f.message));
    assert.match(r.message.text!, /\[introduced by the patch\]$/);
    const loc = r.locations![0]!;
    assert.deepEqual(loc.physicalLocation!.artifactLocation, { uri: 'drivers/misc/demo/demo-core.c', uriBaseId: 'SRCROOT' });
    assert.equal(loc.physicalLocation!.region!.startLine, 59);
    assert.equal(loc.physicalLocation!.region!.snippet!.text, '\treturn ret;');
    const ctx = loc.physicalLocation!.contextRegion!;
    assert.ok(ctx.startLine! <= 59 && ctx.endLine! >= 59);
    assert.deepEqual(loc.logicalLocations, [{ name: 'demo_queue_request', kind: 'function' }]);
    assert.deepEqual(r.partialFingerprints, { [FINGERPRINT_KEY]: f.fingerprint });
    const p = r.properties!;
    assert.equal(p.status, 'introduced');
    assert.equal(p.confidence, f.confidence);
    assert.equal(p.fingerprint, f.fingerprint);
    assert.deepEqual(p.facts, f.facts);
    assert.equal(p.patch, f.patch);
    assert.equal(p.messageId, f.messageId);
    assert.equal(p.baseline, false);
    assert.equal(r.suppressions, undefined);
  });

  it('the path as a code flow: one step per trace step, on its line, with the note and the code', () => {
    const f = scan.findings.find((x) => x.status === 'introduced' && x.file !== null)!;
    const r = run0(scanLog).results!.find((x) => x.partialFingerprints![FINGERPRINT_KEY] === f.fingerprint)!;
    assert.equal(r.codeFlows!.length, 1);
    const [flow] = r.codeFlows![0]!.threadFlows;
    assert.equal(flow!.locations.length, f.trace.length);
    flow!.locations.forEach((l, k) => {
      const t = f.trace[k]!;
      const pl = l.location!.physicalLocation!;
      assert.equal(pl.artifactLocation!.uri, 'drivers/misc/demo/demo-core.c');
      assert.equal(pl.region?.startLine, t.line ?? undefined);
      assert.ok(l.location!.message!.text!.includes(t.note), `step ${k}: note`);
      if (t.text) assert.ok(l.location!.message!.text!.includes(t.text), `step ${k}: code`);
    });
  });

  it('a fixed finding is no result (GitHub would open it as an alert) and is kept as a passing, absent one', () => {
    const f = scan.findings.find((x) => x.status === 'fixed')!;
    assert.ok(f, 'the example series fixes a finding');
    const all = run0(scanLog).results!;
    assert.ok(all.every((r) => r.baselineState !== 'absent' && r.kind !== 'pass' && r.level !== 'none'));
    assert.ok(!all.some((r) => r.partialFingerprints![FINGERPRINT_KEY] === f.fingerprint));
    const fixed = fixedOf(scanLog);
    assert.equal(fixed.length, scan.summary.byStatus.fixed);
    const r = fixed.find((x) => x.partialFingerprints![FINGERPRINT_KEY] === f.fingerprint)!;
    assert.equal(r.kind, 'pass');
    assert.equal(r.level, 'none');
    assert.equal(r.baselineState, 'absent');
    assert.match(r.message.text!, /\[fixed by the patch/);
    assert.equal(r.locations![0]!.physicalLocation!.region!.startLine, f.line);
    assert.equal(r.properties!.status, 'fixed');
    assert.deepEqual(run0(scanLog).properties!.summary, scan.summary);
  });

  it('code quoted with no file name: the mail is the artifact (an absolute path as a file URI), no region, the body line said', () => {
    const f = scan.findings.find((x) => x.file === null && x.lineIn === 'body');
    assert.ok(f, 'the quoted reply gives a finding on body lines');
    const r = run0(scanLog).results!.find((x) => x.partialFingerprints![FINGERPRINT_KEY] === f.fingerprint)!;
    const pl = r.locations![0]!.physicalLocation!;
    assert.deepEqual(pl.artifactLocation, { uri: pathToFileURL(mail).href });
    assert.equal(pl.region, undefined);
    assert.match(r.message.text!, new RegExp(`\\(code quoted with no file name in message #1, line ${f.line} of its body\\) \\[introduced by the patch\\]$`));
    assert.equal(r.properties!.lineIn, 'body');
    assert.equal(r.properties!.line, f.line);
    // The steps name their body lines too, with no region.
    for (const l of r.codeFlows![0]!.threadFlows[0]!.locations) {
      assert.equal(l.location!.physicalLocation!.region, undefined);
      assert.match(l.location!.message!.text!, / \(body line \d+\)$/);
    }
  });

  it('the witness: one thread flow per CPU, executionOrder giving the interleaving, what breaks', () => {
    const check3 = check.findings.find((f) => f.rule === 'deadlock' && f.witness && f.witness.threads.length === 3);
    assert.ok(check3, 'the dm rescuer fixture deadlocks three threads');
    for (const f of check.findings.filter((x) => x.witness)) {
      const w = f.witness!;
      const r = run0(checkLog).results!.find((x) => x.partialFingerprints![FINGERPRINT_KEY] === f.fingerprint)!;
      const flow = r.codeFlows!.at(-1)!;
      assert.equal(r.codeFlows!.length, f.trace.length ? 2 : 1);
      const cpus = [...new Set(w.steps.map((s) => s.thread))];
      assert.deepEqual(
        flow.threadFlows.map((t) => t.id),
        w.threads.map((t) => t.id).filter((id) => cpus.includes(id)),
      );
      const orders: number[] = [];
      for (const tf of flow.threadFlows) {
        const mine = w.steps.map((s, k) => [s, k + 1] as const).filter(([s]) => s.thread === tf.id);
        assert.deepEqual(
          tf.locations.map((l: ThreadFlowLocation) => l.executionOrder),
          mine.map(([, k]) => k),
        );
        tf.locations.forEach((l, i) => {
          const s = mine[i]![0];
          assert.equal(l.location!.physicalLocation!.region?.startLine, s.line ?? undefined);
          assert.ok(l.location!.message!.text!.includes(s.text));
        });
        orders.push(...tf.locations.map((l) => l.executionOrder!));
      }
      assert.deepEqual(
        orders.sort((a, b) => a - b),
        w.steps.map((_, k) => k + 1),
      );
      assert.ok(flow.message!.text!.includes(w.breaks));
      if (w.model) assert.ok(flow.message!.text!.includes(`model ${w.model}`));
      if (w.invariant) assert.ok(flow.message!.text!.includes(w.invariant));
    }
    const deadlock = run0(checkLog).results!.find((x) => x.partialFingerprints![FINGERPRINT_KEY] === check3!.fingerprint)!;
    assert.deepEqual(
      deadlock.codeFlows!.at(-1)!.threadFlows.map((t) => t.id),
      ['CPU0', 'CPU1', 'CPU2'],
    );
    assert.ok(
      check.findings.some((f) => f.witness?.invariant),
      'a model finding with an invariant',
    );
  });

  it('check: present findings unchanged, paths relative to SRCROOT, an absolute path a file URI', () => {
    const results = run0(checkLog).results!;
    assert.equal(results.length, check.findings.length);
    assert.ok(results.every((r) => r.baselineState === 'unchanged' && / \[present[\],]/.test(r.message.text!)));
    const uris = new Set(results.map((r) => JSON.stringify(r.locations![0]!.physicalLocation!.artifactLocation)));
    assert.ok(uris.has(JSON.stringify({ uri: rel(CHECKED[0]!), uriBaseId: 'SRCROOT' })));
    assert.ok(uris.has(JSON.stringify({ uri: pathToFileURL(CHECKED_ABS).href })));
    assert.ok(pathToFileURL(CHECKED_ABS).href.startsWith('file:///'));
  });

  it('baseline findings carry an external suppression', () => {
    const results = run0(checkLog).results!;
    const known = results.filter((r) => r.properties!.baseline === true);
    assert.equal(known.length, check.summary.baseline);
    assert.ok(known.length > 0);
    for (const r of known) {
      assert.equal(r.suppressions!.length, 1);
      assert.equal(r.suppressions![0]!.kind, 'external');
      assert.match(r.suppressions![0]!.justification!, /baseline old\.json/);
      assert.match(r.message.text!, /, baseline\]$/);
    }
    assert.ok(results.filter((r) => r.properties!.baseline === false).every((r) => r.suppressions === undefined));
  });

  it('SRCROOT: the tree for scan (a file URI when --tree is absolute), the current directory for check', () => {
    const ids = (log: Log) => run0(log).originalUriBaseIds!;
    assert.equal(ids(scanLog).SRCROOT!.uri, undefined);
    assert.match(ids(scanLog).SRCROOT!.description!.text!, /root of the kernel tree/);
    assert.match(ids(scanLog).INPUTROOT!.description!.text!, /mail inputs/);
    assert.match(ids(checkLog).SRCROOT!.description!.text!, /kreview check/);
    const withTree = renderSarif({ ...scan, invocation: { ...scan.invocation, tree: '/srv/linux' } });
    assert.equal(ids(withTree).SRCROOT!.uri, 'file:///srv/linux/');
    const relTree = renderSarif({ ...scan, invocation: { ...scan.invocation, tree: '../linux' } });
    assert.equal(ids(relTree).SRCROOT!.uri, undefined);
    assert.match(ids(relTree).SRCROOT!.description!.text!, /--tree \.\.\/linux/);
  });

  it('notes, input errors and unreadable files are notifications; the command line is kept', () => {
    const scanInv = run0(scanLog).invocations![0]!;
    assert.equal(scanInv.executionSuccessful, true);
    assert.deepEqual(scanInv.arguments, scan.invocation.args);
    assert.match(scanInv.commandLine!, /^kreview scan /);
    const sn = scanInv.toolExecutionNotifications!;
    const inputErrors = scan.inputs.flatMap((i) => i.errors);
    assert.ok(inputErrors.length > 0);
    for (const e of inputErrors)
      assert.ok(
        sn.some((n) => n.level === 'error' && n.message.text === e),
        e,
      );
    for (const n of scan.notes)
      assert.ok(
        sn.some((x) => x.level === 'note' && x.message.text === n),
        n,
      );
    const missing = sn.find((n) => n.level === 'error')!;
    assert.deepEqual(missing.locations![0]!.physicalLocation!.artifactLocation, { uri: rel('fixtures/mail/no-such.mbox'), uriBaseId: 'INPUTROOT' });

    const cn = run0(checkLog).invocations![0]!.toolExecutionNotifications!;
    const gone = cn.find((n) => n.level === 'error')!;
    assert.match(gone.message.text!, /drivers\/gone\.c: cannot read \(no such file or directory\)/);
    assert.deepEqual(gone.locations![0]!.physicalLocation!.artifactLocation, { uri: 'drivers/gone.c', uriBaseId: 'SRCROOT' });
    assert.ok(cn.some((n) => n.level === 'note' && n.message.text === 'a note of the analysis'));
  });

  it('is deterministic, and the same from a saved document (kreview report)', async () => {
    for (const doc of [scan, check]) {
      const a = JSON.stringify(renderSarif(doc));
      assert.equal(JSON.stringify(renderSarif(doc)), a);
      const saved = JSON.parse(JSON.stringify(doc)) as RunDocument;
      assert.equal(JSON.stringify(renderSarif(saved)), a);
      const [out] = await render(doc, 'sarif', { email: {} as never });
      assert.equal(out!.name, 'kreview.sarif');
      assert.deepEqual(JSON.parse(out!.content), JSON.parse(a));
    }
  });

  it('passes the SARIF Multitool validator (SARIF and GitHub rules)', (t) => {
    // The logs' runs in one file: the validator's start-up (about a second) is paid once.
    const logs = [scanLog, checkLog, renderSarif({ ...scan, invocation: { ...scan.invocation, tree: '/srv/linux' } })];
    const v = validateSarif({ ...scanLog, runs: logs.map(run0) }, dir);
    if (v.skipped) {
      t.skip(`SARIF Multitool cannot run here: ${v.skipped}`);
      return;
    }
    const problems = v.problems;
    assert.deepEqual(problems, []);
  });
});

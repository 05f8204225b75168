// The HTML report (--format html): run documents made in-process by the product code (a scan of
// the bundled example series, a `check` of race fixtures with witnesses, and a scan whose mail and
// code carry hostile HTML), checked as a string (self-contained, CSP, escaping, deterministic), then
// looked at in a real browser: Debian's chromium through playwright-core, every network request
// aborted and recorded. Findings visible, one witness column per CPU, filters hiding the right
// findings and groups and updating the counts, hostile text shown as text and never run, the page
// usable with JavaScript off and in a narrow window, and a screenshot that is a real PNG.
import { describe, it, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { CHROMIUM, HAVE_CHROMIUM, launchChromium, offlineContext } from '../support/browser.js';
import type { Finding } from '../../src/analysis/types.js';
import { ruleTable } from '../../src/analysis/registry.js';
import { reviewScan, scanMessages } from '../../src/pipeline.js';
import { markBaseline } from '../../src/report/baseline.js';
import { runDocument, type CheckedFile, type RunDocument } from '../../src/report/document.js';
import { renderHtml } from '../../src/report/html.js';
import { checkFile } from '../../src/review.js';
import type { Semantics } from '../../src/semantics/index.js';
import { loadSemanticsDir } from '../../src/semantics/load.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const MBOX = join(root, 'fixtures/mail/example.mbox');
const RACES = ['test-then-set.c', 'unlocked-empty.c'].map((f) => join(root, 'fixtures/c/check-then-act', f));
const MISSING = join(root, 'fixtures/c/check-then-act/no-such-file.c');

const NO_CHROMIUM = `${CHROMIUM} is not installed, the browser checks are skipped: apt-get install chromium`;

// What hostile mail and code may carry. Each, if it ever ran, sets window.__pwned or opens a dialog.
const SUBJECT_SCRIPT = '<script>alert(1)</script>';
const SUBJECT_IMG = '"><img src=x onerror="window.__pwned=1">';
const C_SCRIPT = '\tif (p) { /* </td></tr></table><script>window.__pwned=1</script> */';
const C_ATTR = "\tstrcpy(buf, \"' onmouseover='window.__pwned=1' x='\");";

const invocation = (args: string[]): RunDocument['invocation'] => ({ args, tree: null, config: null, baseline: null });

async function scanDoc(sem: Semantics): Promise<RunDocument> {
  const res = await scanMessages([MBOX]);
  await reviewScan(res, { sem });
  return runDocument({ command: 'scan', invocation: invocation(['scan', '--format', 'html', MBOX]), rules: ruleTable(undefined), scan: res.doc });
}

/** `kreview check` as the CLI does it: every file analysed, a missing one accounted for, one finding in the baseline. */
async function checkDoc(sem: Semantics): Promise<RunDocument> {
  const findings: Finding[] = [];
  const notes: string[] = [];
  const files: CheckedFile[] = [];
  for (const f of RACES) {
    const r = await checkFile(f, readFileSync(f, 'utf8'), { sem });
    findings.push(...r.findings);
    notes.push(...r.notes.map((n) => `${f}: ${n}`));
    files.push({ path: f, status: 'ok', functions: r.functions.length, reason: null });
  }
  files.push({ path: MISSING, status: 'unreadable', functions: 0, reason: 'no such file or directory' });
  markBaseline(findings, new Set([findings.find((f) => f.severity === 'warning' && f.witness)!.fingerprint]));
  return runDocument({
    command: 'check',
    invocation: invocation(['check', '--format', 'html', ...RACES, MISSING]),
    rules: ruleTable(undefined),
    files,
    findings,
    notes,
  });
}

/** The example scan with hostile HTML wherever mail, code or a tampered run document can put it. */
function hostileDoc(scan: RunDocument): RunDocument {
  const d = structuredClone(scan);
  d.messages[0]!.subject = SUBJECT_SCRIPT; // the cover letter: listed among messages without a patch
  d.messages[1]!.subject = SUBJECT_IMG;
  d.patches[0]!.subject = SUBJECT_IMG;
  d.patches[1]!.subject = SUBJECT_SCRIPT;
  d.messages[2]!.from = '<b onmouseover="window.__pwned=1">Mallory</b> <m@example.org>';
  d.series[0]!.title = `${SUBJECT_SCRIPT} series`;
  d.series[0]!.author = '<img src=x onerror=alert(1)>';
  d.inputs[0]!.errors.push('<iframe src="https://evil.example/"></iframe>');
  d.notes.push('</li></ul></details><script>window.__pwned=1</script>');
  d.invocation.args.push('<svg onload=window.__pwned=1>');
  const f = d.findings.find((x) => x.status === 'introduced')!;
  f.message = `${SUBJECT_IMG} lock held`;
  f.rule = 'lock-leak" onclick="window.__pwned=1';
  f.function = '<u>fn</u>';
  f.snippet[1] = { line: f.snippet[1]!.line, text: C_SCRIPT };
  f.snippet[2] = { line: f.snippet[2]!.line, text: C_ATTR };
  f.trace[0] = { ...f.trace[0]!, text: '<script>alert(1)</script>', note: '<b>note</b>', function: '<i>callee</i>' };
  f.facts.push('<style>body{display:none}</style>');
  f.hunk!.lines.push('+<img src="http://evil.example/x.png">');
  f.fingerprint = 'lock-leak:<x>';
  f.witness = {
    threads: [
      { id: '<CPU0>', name: '<b>a</b>', function: '<script>alert(1)</script>' },
      { id: 'CPU1', name: 'b', function: 'fn' },
    ],
    steps: [
      { thread: '<CPU0>', line: 1, function: '<script>alert(1)</script>', text: '<img src=x onerror=alert(1)>', note: '"quoted"' },
      { thread: 'CPU1', line: 2, function: 'other', text: 'x', note: '&amp; not an entity' },
    ],
    breaks: '<script>alert(1)</script>',
    model: '<model>',
    invariant: '<inv>',
  };
  d.summary = { ...d.summary };
  return d;
}

// ---------------------------------------------------------------------------------------------
// The string

/** Every tag the report may emit; anything else in the output came from the document unescaped. */
const TAGS = new Set(
  'html head meta link title style body main header section article h2 h3 h4 h5 h6 p span div a code pre table thead tbody tr th td ol ul li details summary form fieldset legend label input select option output button footer script br'.split(
    ' ',
  ),
);

/** The tags of the page outside its style and script, with their attributes (values unquoted). */
function tagsOf(html: string): { name: string; attrs: [string, string][] }[] {
  const out: { name: string; attrs: [string, string][] }[] = [];
  const body = html.replace(/<style>[\s\S]*?<\/style>|<script>[\s\S]*?<\/script>/g, '');
  for (const m of body.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9]*)([^>]*)>/g)) {
    const attrs = [...m[2]!.matchAll(/\s([^\s="'>/]+)(?:=("[^"]*"|'[^']*'|[^\s>]+))?/g)].map((a): [string, string] => [
      a[1]!.toLowerCase(),
      (a[2] ?? '').replace(/^["']|["']$/g, ''),
    ]);
    out.push({ name: m[1]!.toLowerCase(), attrs });
  }
  return out;
}

function assertSelfContained(html: string, what: string): void {
  assert.ok(html.startsWith('<!DOCTYPE html>\n'), what);
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html);
  assert.ok(csp, `${what}: a Content-Security-Policy meta`);
  const policy = csp[1]!.replace(/&#39;/g, "'");
  assert.match(policy, /default-src 'none'/);
  assert.match(policy, /base-uri 'none'/);
  // The CSP comes before the only style and the only script, and allows exactly them.
  assert.ok(html.indexOf('Content-Security-Policy') < html.indexOf('<style>'), `${what}: CSP first`);
  const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
  const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1]!;
  const hash = (s: string): string => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;
  assert.ok(policy.includes(`style-src ${hash(style)}`), `${what}: style allowed by hash`);
  assert.ok(policy.includes(`script-src ${hash(script)}`), `${what}: script allowed by hash`);
  assert.equal(html.match(/<script/gi)?.length, 1, `${what}: one script, inline`);
  assert.doesNotMatch(html, /<script[^>]*\ssrc=/i);
  assert.doesNotMatch(html, /@import|url\(/i, `${what}: the style loads nothing`);
  for (const t of tagsOf(html)) {
    assert.ok(TAGS.has(t.name), `${what}: unexpected <${t.name}>`);
    for (const [a, v] of t.attrs) {
      assert.ok(!a.startsWith('on'), `${what}: event handler ${a} on <${t.name}>`);
      // No resource or link leaves the page: the only references are in-page anchors and data:.
      if (['src', 'href', 'action', 'formaction', 'srcset', 'poster', 'data', 'background'].includes(a))
        assert.ok(v.startsWith('#') || v.startsWith('data:'), `${what}: ${a}=${v}`);
    }
  }
}

describe('report: html', () => {
  let sem: Semantics;
  let scan: RunDocument;
  let check: RunDocument;
  let hostile: RunDocument;
  let scanHtml: string;
  let checkHtml: string;
  let hostileHtml: string;

  before(async () => {
    sem = loadSemanticsDir();
    scan = await scanDoc(sem);
    check = await checkDoc(sem);
    hostile = hostileDoc(scan);
    scanHtml = renderHtml(scan);
    checkHtml = renderHtml(check);
    hostileHtml = renderHtml(hostile);
  });

  describe('the page as a string', () => {
    it('the documents are the ones the suite is about', () => {
      assert.deepEqual(
        scan.findings.map((f) => [f.rule, f.status]),
        [
          ['ref-leak', 'fixed'],
          ['lock-leak', 'introduced'],
        ],
      );
      assert.ok(
        check.findings.some((f) => f.witness && f.witness.threads.length >= 2),
        'race findings with witnesses',
      );
      assert.ok(new Set(check.findings.map((f) => f.rule)).size >= 2 && new Set(check.findings.map((f) => f.severity)).size >= 2);
      assert.equal(check.summary.baseline, 1);
    });

    it('is one self-contained page: CSP allowing only its own style and script, nothing fetched', () => {
      assertSelfContained(scanHtml, 'scan');
      assertSelfContained(checkHtml, 'check');
      assertSelfContained(hostileHtml, 'hostile');
      for (const html of [scanHtml, checkHtml]) assert.doesNotMatch(html, /https?:\/\//);
    });

    it('escapes hostile subjects, names, C code, notes and rule ids in text and attributes', () => {
      for (const raw of [
        SUBJECT_SCRIPT,
        SUBJECT_IMG,
        '<img src=x onerror=alert(1)>',
        '<iframe',
        '<svg',
        '<b onmouseover',
        '<style>body',
        '<u>fn</u>',
        '<CPU0>',
        'onclick="window',
      ]) {
        assert.ok(!hostileHtml.includes(raw), `raw ${raw}`);
      }
      assert.ok(hostileHtml.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
      assert.ok(hostileHtml.includes('&quot;&gt;&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;'));
      assert.ok(hostileHtml.includes('/* &lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;script&gt;window.__pwned=1&lt;/script&gt; */'), 'C code in the snippet');
      assert.ok(hostileHtml.includes('strcpy(buf, &quot;&#39; onmouseover=&#39;window.__pwned=1&#39; x=&#39;&quot;);'), 'quotes in C code');
      assert.ok(hostileHtml.includes('data-rule="lock-leak&quot; onclick=&quot;window.__pwned=1"'), 'rule id in an attribute');
      assert.ok(hostileHtml.includes('&amp;amp; not an entity'), 'an ampersand is text');
    });

    it('is deterministic and leaves the document as it was', () => {
      const before = JSON.stringify(scan);
      assert.equal(renderHtml(structuredClone(scan)), scanHtml);
      assert.equal(renderHtml(scan), scanHtml);
      assert.equal(JSON.stringify(scan), before);
      assert.equal(renderHtml(structuredClone(check)), checkHtml);
    });

    it('scan: header, per-rule counts, series → patch → file → function, the fixing patch, inputs', () => {
      assert.ok(scanHtml.includes('<p class="summary" id="summary">1 introduced, 1 fixed, 0 already present</p>'));
      assert.match(scanHtml, /<span class="ver">\d+\.\d+\.\d+[^<]*<\/span><span class="cmd">scan<\/span>/);
      assert.match(
        scanHtml,
        /<th scope="row"><code>lock-leak<\/code><\/th><td><span class="badge sev sev-error">error<\/span><\/td><td class="num n-introduced">1<\/td>/,
      );
      assert.match(scanHtml, /<th scope="row"><code>ref-leak<\/code><\/th><td>[^]*?<\/td><td class="num zero">0<\/td><td class="num n-fixed">1<\/td>/);
      // Nesting, in series order: the series, patch 1/2 (the fix), patch 2/2 (the new bug).
      const at = (s: string): number => {
        const i = scanHtml.indexOf(s);
        assert.ok(i >= 0, s);
        return i;
      };
      const order = [
        at('<section class="group g-series">'),
        at('misc: demo: fix a kmap leak and validate queued requests <span class="gcount"'),
        at('[PATCH v2 1/2] misc: demo: unmap the page when the length check fails <span class="gcount"'),
        at('<code class="fn">demo_copy_page()</code>'),
        at('data-status="fixed"'),
        at('[PATCH v2 2/2] misc: demo: validate and account requests before queueing them <span class="gcount"'),
        at('<code class="fn">demo_queue_request()</code>'),
        at('data-status="introduced"'),
        at('<section id="inputs"'),
      ];
      assert.deepEqual(
        order,
        [...order].sort((a, b) => a - b),
      );
      assert.match(scanHtml, /<p class="fixedby">fixed by \[PATCH v2 1\/2\] misc: demo: unmap the page when the length check fails/);
      // The finding's line and the path's lines are marked differently; a gap is an ellipsis row.
      assert.match(scanHtml, /<tr class="hl-line"[^>]*><td class="ln">59<\/td><td class="src">\treturn ret;<\/td><\/tr>/);
      assert.match(scanHtml, /<tr class="hl-trace"[^>]*><td class="ln">42<\/td><td class="src">\tspin_lock_irqsave\(&amp;dd-&gt;lock, flags\);<\/td><\/tr>/);
      assert.match(
        scanHtml,
        /<td class="ln">44<\/td>[^]*?<\/tr><tr class="gap"><td class="ln">⋮<\/td><td class="src">…<\/td><\/tr><tr><td class="ln">47<\/td>/,
      );
      assert.match(scanHtml, /<details class="facts"><summary>rests on 2 facts<\/summary><ul><li>Locked on: 59<\/li>/);
      assert.ok(scanHtml.includes('fingerprint <code>lock-leak:'));
      // Inputs: the mbox with its message count, the cover letter without a patch, every patch, the notes.
      assert.match(scanHtml, /<td><code>[^<]*example\.mbox<\/code><\/td><td>mbox<\/td><td>4<\/td>/);
      assert.ok(scanHtml.includes('4 messages: 3 with patches, 1 without a patch, 0 with errors.'));
      assert.match(scanHtml, /Messages without a patch \(1\)[^]*\[PATCH v2 0\/2\] misc: demo: fix a kmap leak[^]*a cover letter/);
      assert.match(scanHtml, /Patches reviewed \(3\)/);
      assert.match(scanHtml, /Notes \(3\)[^]*hunk mode: no tree/);
    });

    it('check: file → function, witness tables, baseline, files not analysed', () => {
      assert.match(checkHtml, /<span class="cmd">check<\/span>/);
      assert.ok(checkHtml.includes(`${check.findings.length} findings present (1 in the baseline)`));
      assert.doesNotMatch(checkHtml, /<section class="group g-(?:series|patch)"/);
      for (const f of RACES) assert.ok(checkHtml.includes(`<code class="path">${f}</code>`), f);
      const witnesses = check.findings.filter((f) => f.witness).length;
      assert.equal(checkHtml.match(/<table class="wtable">/g)?.length, witnesses);
      assert.equal(checkHtml.match(/<span class="badge base"/g)?.length, 1);
      assert.match(checkHtml, /Files not analysed[^]*no-such-file\.c<\/code><\/td><td><span class="err">unreadable<\/span><\/td><td>no such file or directory/);
      // Only the verdicts a check can have are offered.
      assert.doesNotMatch(checkHtml, /name="status" value="introduced"/);
      assert.match(checkHtml, /name="hidebase"/);
    });

    it('an empty run says so and offers no filters', () => {
      const empty = runDocument({ command: 'check', invocation: invocation(['check']), rules: ruleTable(undefined), files: [], findings: [] });
      const html = renderHtml(empty);
      assertSelfContained(html, 'empty');
      assert.ok(html.includes('<p class="none">No findings.</p>'));
      assert.ok(!html.includes('id="filters"'));
    });
  });

  describe('the page in chromium', () => {
    let browser: Browser | null = null;
    let context: BrowserContext | null = null;
    let shots: string;
    /** Every request any page tried (each is aborted): the report must need none. */
    const requests: string[] = [];
    before(async () => {
      if (!HAVE_CHROMIUM) return;
      shots = mkdtempSync(join(tmpdir(), 'kreview-html-'));
      browser = await launchChromium();
      ({ context } = await offlineContext(browser, null, { viewport: { width: 1200, height: 900 }, colorScheme: 'light' }, requests));
    });
    after(async () => {
      await browser?.close();
      if (shots) rmSync(shots, { recursive: true, force: true });
    });

    /** A page with the HTML loaded, dialogs recorded and dismissed (null: no chromium, the test is skipped). */
    async function open(t: TestContext, html: string, ctx: BrowserContext | null = context): Promise<{ page: Page; dialogs: string[] } | null> {
      if (!browser || !ctx) {
        t.skip(NO_CHROMIUM);
        return null;
      }
      const page = await ctx.newPage();
      t.after(() => page.close());
      const dialogs: string[] = [];
      page.on('dialog', (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      await page.setContent(html, { waitUntil: 'load' });
      return { page, dialogs };
    }

    it('scan: findings visible; unchecking a verdict or choosing a rule hides the right ones and updates the counts', async (t) => {
      const o = await open(t, scanHtml);
      if (!o) return;
      const { page } = o;
      let s = await state(page);
      assert.equal(s.summary, '1 introduced, 1 fixed, 0 already present');
      assert.deepEqual(new Set(s.visible.map((f) => f.message)), new Set(scan.findings.map((f) => f.message)), 'every finding visible');
      assert.ok(s.filters && !s.nojs, 'the script shows the filters and takes back the note that they need it');
      assert.equal(s.shown, 'showing 2 of 2');
      assert.equal(s.facets['status=introduced'], '(1)');

      await page.locator('input[name="status"][value="introduced"]').uncheck();
      s = await state(page);
      assert.deepEqual(
        s.visible.map((f) => f.rule),
        ['ref-leak'],
      );
      assert.equal(s.shown, 'showing 1 of 2');
      assert.equal(s.groups.find((g) => g.kind === 'series')!.count, '1 of 2 findings');
      assert.deepEqual(
        s.groups.filter((g) => g.kind === 'patch' && g.visible).map((g) => g.head),
        [s.groups.find((g) => g.head.includes('unmap the page'))!.head],
        'the patch with nothing left hides',
      );
      assert.equal(s.facets['severity=error'], '(0)', 'counts follow the other filters');

      await page.locator('input[name="status"][value="introduced"]').check();
      await page.locator('select[name="rule"]').selectOption('lock-leak');
      s = await state(page);
      assert.deepEqual(
        s.visible.map((f) => f.rule),
        ['lock-leak'],
      );
      assert.ok(!s.groups.find((g) => g.head.includes('unmap the page'))!.visible);
      assert.equal(s.facets['status=fixed'], '(0)');
      assert.equal(s.ruleOptions[0], 'all rules (2)');

      await page.locator('input[name="status"][value="introduced"]').uncheck();
      s = await state(page);
      assert.deepEqual([s.visible.length, s.nothing], [0, true], 'says when nothing matches');
      await page.locator('button[type="reset"]').click();
      await page.locator('#shown', { hasText: 'showing 2 of 2' }).waitFor();
      s = await state(page);
      assert.equal(s.visible.length, 2);
      assert.ok(s.groups.every((g) => g.visible));

      const png = join(shots, 'scan.png');
      await page.screenshot({ path: png, fullPage: true });
      const bytes = readFileSync(png);
      assert.ok(statSync(png).size > 10_000, 'a real picture');
      assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
      assert.equal(bytes.readUInt32BE(16), 1200, 'as wide as the viewport');

      // A narrow window: code scrolls inside its box, the page itself does not.
      await page.setViewportSize({ width: 380, height: 700 });
      s = await state(page);
      assert.ok(s.scrollWidth <= s.innerWidth, `page ${s.scrollWidth}px wide in a ${s.innerWidth}px window`);
      assert.equal(s.visible.length, 2);
      assert.deepEqual(requests, []);
    });

    it('check: one witness column per CPU; severity and baseline filters; empty groups hide', async (t) => {
      const o = await open(t, checkHtml);
      if (!o) return;
      const { page } = o;
      let s = await state(page);
      const withWitness = check.findings.filter((f) => f.witness);
      assert.equal(s.visible.length, check.findings.length);
      assert.equal(s.visible.filter((f) => f.witness).length, withWitness.length);
      for (const f of withWitness) {
        const shown = s.visible.find((x) => x.message === f.message && x.witness)!;
        assert.ok(shown, f.message);
        const w = shown.witness!;
        assert.deepEqual(
          w.cpus,
          f.witness!.threads.map((x) => x.id),
          'one column per CPU',
        );
        assert.equal(w.rows.length, f.witness!.steps.length, 'one row per step');
        f.witness!.steps.forEach((step, i) => {
          const col = f.witness!.threads.findIndex((x) => x.id === step.thread);
          assert.equal(w.rows[i]![col], step.text, `step ${i + 1} in its CPU's column`);
          assert.equal(w.rows[i]!.filter(Boolean).length, 1, 'and only there');
        });
        assert.equal(w.breaks, `breaks ${f.witness!.breaks}`);
      }

      const n = (sev: string): number => check.findings.filter((f) => f.severity === sev).length;
      await page.locator('input[name="severity"][value="warning"]').uncheck();
      s = await state(page);
      assert.equal(s.visible.length, n('info') + n('error'));
      assert.ok(s.visible.every((f) => f.severity !== 'warning'));
      assert.equal(s.shown, `showing ${n('info') + n('error')} of ${check.findings.length}`);
      // A file with only warnings hides with them.
      const onlyWarnings = RACES.filter((p) => check.findings.every((f) => f.file !== p || f.severity === 'warning'));
      assert.ok(onlyWarnings.length > 0);
      for (const p of onlyWarnings) assert.ok(!s.groups.find((g) => g.kind === 'file' && g.head.startsWith(p))!.visible, p);

      await page.locator('input[name="severity"][value="warning"]').check();
      assert.equal((await state(page)).facets['hidebase=1'], '(1)');
      await page.locator('input[name="hidebase"]').check();
      s = await state(page);
      assert.equal(s.visible.length, check.findings.length - 1);
      assert.ok(
        s.visible.every((f) => !f.baseline),
        'the baseline finding hides',
      );
      assert.deepEqual(requests, []);
    });

    it('hostile subjects and code are shown as text and never run', async (t) => {
      const o = await open(t, hostileHtml);
      if (!o) return;
      const { page, dialogs } = o;
      const s = await state(page);
      assert.ok(s.text.includes(SUBJECT_SCRIPT), 'the subject, as text');
      assert.ok(
        s.visible.some((f) => f.message === `${SUBJECT_IMG} lock held`),
        'the message, as text',
      );
      assert.ok(s.code.includes(C_SCRIPT.trim()) && s.code.includes(C_ATTR.trim()), 'the C code, as text');
      assert.deepEqual(s.elements, { script: 1, img: 0, iframe: 0, svg: 0, b: 0, u: 0, i: 0, model: 0, handlers: 0 }, 'nothing but the report’s own markup');
      // The hostile rule id is a filter choice like any other; clicking around runs nothing.
      await page.locator('select[name="rule"]').selectOption('lock-leak" onclick="window.__pwned=1');
      const card = page.locator('article.finding:visible');
      assert.equal(await card.count(), 1);
      await card.locator('.msg').click();
      assert.equal(await page.evaluate('typeof window.__pwned'), 'undefined');
      assert.deepEqual(dialogs, []);
      assert.deepEqual(requests, []);
    });

    it('with JavaScript off every finding is shown and the filters are not offered', async (t) => {
      const nojs = browser
        ? (await offlineContext(browser, null, { viewport: { width: 1000, height: 800 }, javaScriptEnabled: false }, requests)).context
        : null;
      t.after(() => nojs?.close());
      const o = await open(t, checkHtml, nojs);
      if (!o) return;
      const { page } = o;
      // The page's own script cannot run, so look with the locators' eyes.
      assert.equal(await page.locator('article.finding:visible').count(), check.findings.length);
      assert.ok(await page.locator('#filters').isHidden());
      assert.ok(await page.locator('#nojs').isVisible(), 'says the filters need JavaScript');
      assert.deepEqual(requests, []);
    });
  });
});

interface PageState {
  summary: string;
  shown: string;
  nothing: boolean;
  filters: boolean;
  nojs: boolean;
  facets: Record<string, string>;
  ruleOptions: string[];
  visible: {
    rule: string;
    status: string;
    severity: string;
    baseline: boolean;
    message: string;
    witness: { cpus: string[]; rows: string[][]; breaks: string } | null;
  }[];
  groups: { kind: string; head: string; visible: boolean; count: string }[];
  text: string;
  code: string;
  elements: Record<string, number>;
  scrollWidth: number;
  innerWidth: number;
}

/** What a reader sees, in one round trip: visible findings with their witness tables, groups, counts. */
async function state(page: Page): Promise<PageState> {
  return (await page.evaluate(`(() => {
    const seen = (e) => !!e && e.getClientRects().length > 0;
    const text = (e) => (e ? e.textContent.trim() : '');
    const facets = {};
    for (const e of document.querySelectorAll('[data-facet]')) facets[e.getAttribute('data-facet') === 'baseline' ? 'hidebase=1' : e.getAttribute('data-facet') + '=' + e.getAttribute('data-value')] = e.textContent;
    const count = (sel) => document.querySelectorAll(sel).length;
    return {
      summary: text(document.getElementById('summary')),
      shown: text(document.getElementById('shown')),
      nothing: seen(document.getElementById('nothing-shown')),
      filters: seen(document.getElementById('filters')),
      nojs: seen(document.getElementById('nojs')),
      facets,
      ruleOptions: [...document.querySelectorAll('select[name="rule"] option')].map((o) => o.textContent),
      visible: [...document.querySelectorAll('article.finding')].filter(seen).map((f) => {
        const w = f.querySelector('table.wtable');
        return {
          rule: f.dataset.rule, status: f.dataset.status, severity: f.dataset.severity, baseline: f.dataset.baseline === '1',
          message: text(f.querySelector('.msg')),
          witness: w && seen(w) ? {
            cpus: [...w.querySelectorAll('thead th.cpu .cpuid')].map(text),
            rows: [...w.querySelectorAll('tbody tr')].map((r) => [...r.querySelectorAll('td')].map((c) => text(c.querySelector('code')))),
            breaks: text(f.querySelector('.witness .breaks')),
          } : null,
        };
      }),
      groups: [...document.querySelectorAll('section.group')].map((g) => ({
        kind: g.className.replace(/.*\\bg-/, ''), head: text(g.querySelector('.ghead')), visible: seen(g), count: text(g.querySelector('.gcount')),
      })),
      text: document.body.innerText,
      code: [...document.querySelectorAll('td.src')].map((c) => c.textContent).join('\\n'),
      elements: {
        script: count('script'), img: count('img'), iframe: count('iframe'), svg: count('svg'), b: count('b'), u: count('u'), i: count('i'), model: count('model'),
        handlers: count('[onclick],[onerror],[onmouseover],[onload]'),
      },
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth: window.innerWidth,
    };
  })()`)) as PageState;
}

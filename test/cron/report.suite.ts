// The nightly site: three nights of the nightly job (v1 of a series with a lock leak; v2 fixing it and
// bringing a reference leak; a quiet night), then the files it wrote checked as text (each night's
// digest.md, the series' page, the front page and its SVG trends, `latest`), written again to the
// same bytes, and looked at in Debian's chromium with JavaScript off and every request but the pages
// themselves aborted and recorded: the charts drawn with a size, runs and series listed, every link
// leading to a file that exists. Last, a fourth run put in through the database API with hostile
// text everywhere mail can put it: escaped in every page and in the digest, and never run.
import { describe, it, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { CHROMIUM, HAVE_CHROMIUM, launchChromium, offlineContext } from '../support/browser.js';
import type { Finding } from '../../src/analysis/types.js';
import { loadNightConfig, type NightConfig } from '../../src/cron/config.js';
import { NightDb } from '../../src/cron/db.js';
import type { Digest } from '../../src/cron/digest.js';
import { digestMarkdown } from '../../src/cron/digest-md.js';
import { runDirName, runNight } from '../../src/cron/night.js';
import { writeReports } from '../../src/cron/report.js';
import { dayWindow } from '../../src/cron/trends.js';
import { makeNights, nightConfig, type Nights } from '../support/nights.js';

const NO_CHROMIUM = `${CHROMIUM} is not installed, the browser checks of the nightly site are skipped: apt-get install chromium`;

const DAYS = ['2024-06-12', '2024-06-13', '2024-06-14'] as const;

// Hostile text, as a list's mail may carry it. Each, if it ever ran, sets window.__pwned or opens a dialog.
const TITLE = '<script>window.__pwned=1</script> demo: evil';
const AUTHOR = '"><img src=x onerror="window.__pwned=1"> Mallory <m@example.org>';
const MESSAGE = '</code><svg onload=alert(1)> ` *bold* [link](javascript:alert(1)) &lt;b&gt;';
const SUBJECT = '[PATCH] <iframe src="https://evil.example/"></iframe>';
const EVENT = '<style>body{display:none}</style> # not a heading';

/** Every file (content or link target) under a folder, by relative path. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isSymbolicLink()) out.set(relative(dir, p), `-> ${readlinkSync(p)}`);
      else if (st.isDirectory()) walk(p);
      else out.set(relative(dir, p), createHash('sha256').update(readFileSync(p)).digest('hex'));
    }
  };
  walk(dir);
  return out;
}

/** Markdown with its code spans taken out: what a renderer would read as markup. */
const outsideCode = (md: string): string => md.replace(/(`+)[^`][\s\S]*?[^`]?\1(?!`)/g, '');

/** The tags of a page outside its style, with their attributes. */
function tagsOf(html: string): { name: string; attrs: [string, string][] }[] {
  const body = html.replace(/<style>[\s\S]*?<\/style>/g, '');
  return [...body.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9]*)([^>]*)>/g)].map((m) => ({
    name: m[1]!.toLowerCase(),
    attrs: [...m[2]!.matchAll(/\s([^\s="'>/]+)(?:=("[^"]*"|'[^']*'|[^\s>]+))?/g)].map((a): [string, string] => [
      a[1]!.toLowerCase(),
      (a[2] ?? '').replace(/^["']|["']$/g, ''),
    ]),
  }));
}

const SITE_TAGS = new Set(
  'html head meta link title style body main header nav section figure footer h1 h2 h3 p span div a code ul ol li table thead tbody tr th td details summary br svg g rect circle line text desc'.split(
    ' ',
  ),
);

/** One static page: a CSP allowing only its own style, no script, no event handler, links only to files nearby. */
function assertStatic(html: string, what: string): void {
  assert.ok(html.startsWith('<!DOCTYPE html>\n'), what);
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html);
  assert.ok(csp, `${what}: a Content-Security-Policy`);
  const policy = csp[1]!.replace(/&#39;/g, "'");
  assert.match(policy, /default-src 'none'/);
  assert.doesNotMatch(policy, /script-src/, `${what}: no script allowed`);
  const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
  assert.ok(policy.includes(`style-src 'sha256-${createHash('sha256').update(style).digest('base64')}'`), `${what}: the style allowed by hash`);
  assert.doesNotMatch(html, /<script/i, `${what}: no script`);
  assert.doesNotMatch(style, /@import|url\(/i);
  for (const t of tagsOf(html)) {
    assert.ok(SITE_TAGS.has(t.name), `${what}: unexpected <${t.name}>`);
    for (const [a, v] of t.attrs) {
      assert.ok(!a.startsWith('on'), `${what}: ${a} on <${t.name}>`);
      assert.notEqual(a, 'style', `${what}: a style attribute (the CSP would block it)`);
      if (a === 'href' || a === 'src') assert.ok(!/^[a-z][a-z0-9+.-]*:/i.test(v) || v.startsWith('data:'), `${what}: ${a}=${v} leaves the folder`);
    }
  }
}

describe('cron: the nightly site', () => {
  let dir: string;
  let n: Nights;
  let cfg: NightConfig;
  let out: string;
  const runDir = (k: 1 | 2 | 3): string => join(out, 'runs', `${DAYS[k - 1]}-run${k}`);
  const read = (...p: string[]): string => readFileSync(join(out, ...p), 'utf8');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kreview-site-'));
    n = makeNights(dir);
    const cfgPath = nightConfig(dir, n);
    for (const k of [1, 2, 3] as const) {
      n.night(k);
      await runNight(loadNightConfig(cfgPath), { now: () => new Date(`${DAYS[k - 1]}T04:00:00Z`) });
    }
    cfg = loadNightConfig(cfgPath);
    out = cfg.output;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('the files', () => {
    it('night 1: digest.md says the lock leak is new in v1', () => {
      const md = readFileSync(join(runDir(1), 'digest.md'), 'utf8');
      assert.match(md, /^# kreview nightly: 2024-06-12\n/);
      assert.match(md, /\*\*1 new, 0 fixed, 0 still there, 0 from review replies, 0 changed by kreview\*\*/);
      assert.match(md, /^## demo: dial: range checks$/m);
      assert.match(md, /^### v1$/m);
      const lines = md.split('\n').filter((l) => l.startsWith('- '));
      assert.deepEqual(
        lines.map((l) => /^- \*\*([^*]+)\*\*/.exec(l)?.[1]),
        ['new in v1'],
      );
      // The Smatch line, in a code span, with the patch it is in.
      assert.match(
        lines[0]!,
        /^- \*\*new in v1\*\*: `drivers\/demo\/dial\.c:\d+ dial_set\(\) error: inconsistent returns '&d->lock': [^`]* \[lock-leak, introduced\]` — in \\\[PATCH v1 1\/2\\\] demo: dial: refuse positions above max$/,
      );
      assert.match(md, /\[series page\]\(\.\.\/\.\.\/series\/1\.html\)/);
      assert.ok(existsSync(join(runDir(1), '../../series/1.html')));
      assert.ok(existsSync(join(runDir(1), 'index.html')) && existsSync(join(runDir(1), 'digest.json')));
    });

    it('night 2: the lock leak fixed in v2 (there since v1), the reference leak new in v2', () => {
      const md = readFileSync(join(runDir(2), 'digest.md'), 'utf8');
      assert.match(md, /since 2024-06-12 04:00:00 UTC \(run 1\): \*\*1 new, 1 fixed, 0 still there/);
      assert.match(md, /^### v2$/m);
      assert.doesNotMatch(md, /^### v1$/m, 'v1 did not change tonight');
      assert.match(md, /^- \*\*new in v2\*\*: `drivers\/demo\/dial\.c:\d+ dial_get\(\) warn: [^`]*\[ref-leak, introduced\]`/m);
      assert.match(
        md,
        /^- \*\*fixed in v2 \(there since v1\)\*\*: `drivers\/demo\/dial\.c:\d+ dial_set\(\) error: inconsistent returns[^`]*\[lock-leak, introduced\]` — was in \\\[PATCH v1 1\/2\\\]/m,
      );
      assert.doesNotMatch(md, /still there since/);
    });

    it('night 3: nothing new since night 2', () => {
      const md = readFileSync(join(runDir(3), 'digest.md'), 'utf8');
      assert.match(md, /\*\*Nothing new since 2024-06-13 04:00:00 UTC \(run 2\)\.\*\*/);
      assert.doesNotMatch(md, /^## /m, 'no series, no sources');
      assert.equal((JSON.parse(readFileSync(join(runDir(3), 'digest.json'), 'utf8')) as Digest).nothingNew, true);
    });

    it("the series' page: v1 and v2, each with its findings, verdicts, since-versions and the run that said them", () => {
      const html = read('series', '1.html');
      assertStatic(html, 'series page');
      assert.match(html, /<h1 class="stitle">demo: dial: range checks<\/h1>/);
      assert.ok(html.includes('by Ada Example &lt;ada@example.org&gt;'));
      assert.match(html, /<p class="summary" id="summary">v2: 1 open finding<\/p>/);
      const v1 = html.indexOf('<section class="version" id="v1"');
      const v2 = html.indexOf('<section class="version" id="v2"');
      assert.ok(v1 > 0 && v2 > v1, 'v1 then v2');
      const sec1 = html.slice(v1, v2);
      const sec2 = html.slice(v2);
      assert.deepEqual(
        [...sec1.matchAll(/data-verdict="([^"]+)"/g)].map((m) => m[1]),
        ['new'],
      );
      assert.deepEqual(
        [...sec2.matchAll(/data-verdict="([^"]+)"/g)].map((m) => m[1]),
        ['new', 'fixed'],
      );
      assert.match(
        sec1,
        /new in v1<\/span>[^]*dial_set\(\) error: inconsistent returns[^]*since v1 · reported by <a href="\.\.\/runs\/2024-06-12-run1\/index\.html">run 1, 2024-06-12<\/a>/,
      );
      assert.match(sec1, /then fixed in v2/);
      assert.match(
        sec2,
        /fixed in v2 \(there since v1\)<\/span>[^]*since v1 · reported by <a href="\.\.\/runs\/2024-06-13-run2\/index\.html">run 2, 2024-06-13<\/a>/,
      );
      assert.match(sec2, /new in v2<\/span>[^]*dial_get\(\) warn:/);
      assert.match(sec2, /\[PATCH v2 2\/2\] demo: dial: hold a reference while reading the position/);
      // The reply of night 2 goes with v1, the version it answers: no series of its own.
      assert.ok(!existsSync(join(out, 'series', '2.html')));
    });

    it('the front page: the latest night, bars and run dots on the right days, runs and series', () => {
      const html = read('index.html');
      assertStatic(html, 'front page');
      assert.match(html, /<p class="summary" id="summary">2024-06-14: nothing new since 2024-06-13 04:00:00 UTC \(run 2\)<\/p>/);
      const charts = [...html.matchAll(/<svg class="chart"[^]*?<\/svg>/g)].map((m) => m[0]);
      assert.equal(charts.length, 2, 'by verdict and by rule');
      const [byVerdict, byRule] = charts as [string, string];
      const bars = (svg: string): string[] =>
        [...svg.matchAll(/<rect class="bar k-[\w-]+" [^>]*data-day="([^"]+)" data-key="([^"]+)" data-n="(\d+)"/g)].map((m) => `${m[1]} ${m[2]} ${m[3]}`);
      assert.deepEqual(bars(byVerdict), ['2024-06-12 new 1', '2024-06-13 new 1', '2024-06-13 fixed 1']);
      assert.deepEqual(bars(byRule).sort(), ['2024-06-12 lock-leak 1', '2024-06-13 lock-leak 1', '2024-06-13 ref-leak 1']);
      for (const svg of charts) {
        assert.deepEqual(
          [...svg.matchAll(/<circle class="rundot" [^>]*data-day="([^"]+)"/g)].map((m) => m[1]),
          [...DAYS],
          'a dot under every night that ran',
        );
        assert.match(svg, /<text class="axis-label"[^>]*>findings reported<\/text>/);
        assert.match(svg, /<text class="tick"[^>]*>Jun 14<\/text>/);
        assert.match(svg, /<title id="[^"]+">[^<]+, 2024-06-01 to 2024-06-14<\/title>/, 'two weeks at least');
      }
      assert.match(byVerdict, /<g class="legend">[^]*new \(2\)[^]*fixed \(1\)[^]*a run that night/);
      assert.match(byRule, /lock-leak \(2\)[^]*ref-leak \(1\)/);
      // The same numbers in a table: new, still there, from replies, fixed, kreview's two, total.
      const row = (day: string): string[] =>
        [
          .../<tr data-day="([^"]+)">([^]*?)<\/tr>/g
            .exec(html.slice(html.indexOf(`<tr data-day="${day}">`)))![2]!
            .matchAll(/<td class="num[^"]*">(\d+)<\/td>/g),
        ].map((m) => m[1]!);
      assert.deepEqual(row('2024-06-13'), ['1', '0', '0', '1', '0', '0', '2']);
      assert.deepEqual(row('2024-06-14'), ['0', '0', '0', '0', '0', '0', '0']);
      // Runs, newest first, each linking to its folder; series with their latest version and open findings.
      assert.deepEqual(
        [...html.matchAll(/<tr data-run="(\d+)">/g)].map((m) => m[1]),
        ['3', '2', '1'],
      );
      for (const k of [1, 2, 3] as const) assert.ok(html.includes(`<a href="runs/${DAYS[k - 1]}-run${k}/index.html">report</a>`));
      assert.ok(!html.includes('reporting'), 'the run being reported reads as done');
      assert.match(
        html,
        /<tr data-series="1"><td class="wrap"><a href="series\/1\.html">demo: dial: range checks<\/a><\/td><td class="wrap">Ada Example &lt;ada@example.org&gt;<\/td><td>v1 → v2<\/td><td>v2<\/td><td class="num open">1<\/td>/,
      );
    });

    it('`latest` is a relative link to the newest run', () => {
      const link = join(out, 'latest');
      assert.ok(lstatSync(link).isSymbolicLink());
      assert.equal(readlinkSync(link), join('runs', '2024-06-14-run3'));
      assert.equal(realpathSync(link), realpathSync(runDir(3)));
      assert.ok(!readdirSync(out).some((f) => f.includes('.tmp')), 'no temporary file left');
    });

    it('writing the reports again writes the same files, even for an older run', async () => {
      const before = snapshot(out);
      assert.ok(before.size >= 12, [...before.keys()].join(' '));
      const db = new NightDb(cfg.database);
      try {
        await writeReports(db, 3, cfg);
        assert.deepEqual(snapshot(out), before, 'run 3 again');
        await writeReports(db, 1, cfg);
        assert.deepEqual(snapshot(out), before, 'run 1 again: its folder the same, the site not taken back in time');
      } finally {
        db.close();
      }
    });
  });

  describe('in chromium', () => {
    let browser: Browser | null = null;
    let context: BrowserContext | null = null;
    /** Every request but the pages' own documents: there must be none. */
    const requests: string[] = [];

    before(async () => {
      if (!HAVE_CHROMIUM) return;
      browser = await launchChromium();
      // No JavaScript: the pages have none and must not need it.
      ({ context } = await offlineContext(
        browser,
        `${pathToFileURL(out).href}/`,
        { viewport: { width: 1200, height: 900 }, colorScheme: 'light', javaScriptEnabled: false },
        requests,
      ));
    });
    after(async () => {
      await browser?.close();
    });

    async function open(t: TestContext, file: string): Promise<Page | null> {
      if (!context) {
        t.skip(NO_CHROMIUM);
        return null;
      }
      const page = await context.newPage();
      t.after(() => page.close());
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      return page;
    }

    /** Every link of the page leads to a file that exists. */
    async function assertLinks(page: Page): Promise<string[]> {
      const hrefs = (await page.evaluate(`[...document.querySelectorAll('a[href]')].map((a) => a.href)`)) as string[];
      assert.ok(hrefs.length > 0);
      for (const h of hrefs) {
        assert.ok(h.startsWith('file://'), h);
        assert.ok(existsSync(fileURLToPath(h.replace(/#.*$/, ''))), `${h} leads nowhere`);
      }
      return hrefs;
    }

    it('the front page: both charts drawn with a size, bars where the findings are, runs and series listed, links to files', async (t) => {
      const page = await open(t, join(out, 'index.html'));
      if (!page) return;
      const charts = page.locator('svg.chart');
      assert.equal(await charts.count(), 2);
      for (const c of await charts.all()) {
        assert.ok(await c.isVisible());
        const box = (await c.boundingBox())!;
        assert.ok(box.width > 600 && box.height > 150, `${box.width}x${box.height}`);
      }
      const bar = page.locator('svg.chart[data-chart="by-verdict-svg"] rect.bar[data-day="2024-06-13"][data-key="fixed"]');
      assert.ok(await bar.isVisible());
      const b = (await bar.boundingBox())!;
      assert.ok(b.width > 4 && b.height > 20, `the bar is drawn: ${b.width}x${b.height}`);
      // Its fill comes from the stylesheet (a CSP-blocked style would leave it black).
      assert.notEqual(await page.evaluate(`getComputedStyle(document.querySelector('svg.chart rect.bar[data-key="fixed"]')).fill`), 'rgb(0, 0, 0)');
      assert.equal(await page.locator('svg.chart rect.bar[data-day="2024-06-14"]').count(), 0, 'nothing reported on night 3');
      assert.equal(await page.locator('#runs tr[data-run]').count(), 3);
      assert.equal(await page.locator('#series tr[data-series]').count(), 1);
      assert.equal(await page.locator('#summary').textContent(), '2024-06-14: nothing new since 2024-06-13 04:00:00 UTC (run 2)');
      const hrefs = await assertLinks(page);
      assert.ok(hrefs.some((h) => h.endsWith('/series/1.html')) && hrefs.some((h) => h.endsWith('/runs/2024-06-12-run1/digest.md')));
      // Follow a link to the series' page.
      await page.locator('#series a', { hasText: 'demo: dial: range checks' }).click();
      await page.waitForURL(/\/series\/1\.html$/);
      assert.equal(await page.locator('h1').textContent(), 'demo: dial: range checks');
      // A narrow window: charts and tables scroll in their boxes, the page does not.
      await page.goto(pathToFileURL(join(out, 'index.html')).href);
      await page.setViewportSize({ width: 380, height: 700 });
      const w = (await page.evaluate('({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth })')) as { scroll: number; inner: number };
      assert.ok(w.scroll <= w.inner, `page ${w.scroll}px wide in a ${w.inner}px window`);
      assert.deepEqual(requests, []);
    });

    it("the series' page: v1 and v2 shown with their findings, links to the run reports", async (t) => {
      const page = await open(t, join(out, 'series', '1.html'));
      if (!page) return;
      for (const v of ['v1', 'v2']) assert.ok(await page.locator(`section#${v}`).isVisible(), v);
      assert.deepEqual(await page.locator('section#v2 li.vf .badge.vd').allTextContents(), ['new in v2', 'fixed in v2 (there since v1)']);
      const hrefs = await assertLinks(page);
      assert.ok(hrefs.some((h) => h.endsWith('/runs/2024-06-13-run2/index.html')));
      assert.ok(
        hrefs.some((h) => h.endsWith('/index.html') && !h.includes('/runs/')),
        'back to the front page',
      );
      assert.deepEqual(requests, []);
    });
  });

  describe('hostile text', () => {
    let runId: number;
    before(async () => {
      // A fourth night through the database API, as a source would write it: a series whose title,
      // author, patch and finding carry HTML and Markdown, and a source error that does too.
      const db = new NightDb(cfg.database);
      try {
        const started = '2024-06-15T04:00:00.000Z';
        runId = db.startRun('0.1.0', 'test', started);
        const sid = db.addSeries('hostile', null, TITLE, AUTHOR, runId);
        const v = db.version(sid, 1, runId);
        const base = JSON.parse(db.reportedIn(2).find((r) => r.rule === 'ref-leak')!.json) as Finding;
        const f = { ...base, message: MESSAGE, function: '<u>fn</u>', fingerprint: 'ref-leak:<x>', patchSubject: SUBJECT } as Finding;
        db.addFinding(v.id, f, 'version', 'new', 1, runId);
        db.markAnalysed(v.id, runId, '0.1.0', 'test');
        db.event(runId, '<b>evil</b>', 'error', EVENT);
        db.claimUnreported(runId, join(out, 'runs', runDirName(runId, started)));
        await writeReports(db, runId, cfg);
        db.finishRun(runId, started);
      } finally {
        db.close();
      }
    });

    it('is escaped in the front page, the series page and digest.md', () => {
      const front = read('index.html');
      const series = readdirSync(join(out, 'series')).map((f) => read('series', f));
      const page = series.find((h) => h.includes('demo: evil'))!;
      assert.ok(page, "the hostile series' page");
      for (const [what, html] of [
        ['front page', front],
        ['series page', page],
      ] as const) {
        assertStatic(html, what);
        for (const raw of ['<script>', '<img', '<svg onload', '<iframe', '<u>fn', '<b>evil', '<style>body'])
          assert.ok(!html.includes(raw), `${what}: raw ${raw}`);
      }
      assert.ok(front.includes('&lt;script&gt;window.__pwned=1&lt;/script&gt; demo: evil'));
      assert.ok(front.includes('&lt;style&gt;body{display:none}&lt;/style&gt;'), 'the source error, as text');
      assert.ok(page.includes('&quot;&gt;&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt; Mallory'));
      assert.ok(page.includes('&lt;/code&gt;&lt;svg onload=alert(1)&gt; ` *bold* [link](javascript:alert(1)) &amp;lt;b&amp;gt;'), 'the message, as written');
      assert.ok(page.includes('fingerprint <code>ref-leak:&lt;x&gt;</code>'));

      const md = readFileSync(join(out, 'runs', runDirName(runId, '2024-06-15'), 'digest.md'), 'utf8');
      const markup = outsideCode(md);
      assert.ok(!/<[a-z/!]/i.test(markup), `no HTML outside code spans: ${markup}`);
      assert.ok(!/\]\(javascript:/i.test(markup), 'no link from mail');
      assert.ok(md.includes('## &lt;script&gt;window.\\_\\_pwned=1&lt;/script&gt; demo: evil'), md);
      assert.ok(md.includes('\\# not a heading'));
      // The message stays whole inside its code span: the span is longer than any backtick run in it.
      assert.ok(md.includes('`` src/') || md.includes('`` drivers/'), 'a double-backtick code span');
      assert.ok(md.includes('<svg onload=alert(1)> ` *bold* [link](javascript:alert(1)) &lt;b&gt;'), 'verbatim in the code span');
    });

    it('never runs in chromium', async (t) => {
      if (!HAVE_CHROMIUM) return t.skip(NO_CHROMIUM);
      const browser = await launchChromium();
      try {
        // JavaScript on this time: whatever got in would run.
        const { context, requests } = await offlineContext(browser, `${pathToFileURL(out).href}/`, { viewport: { width: 1200, height: 900 } });
        const page = await context.newPage();
        const dialogs: string[] = [];
        page.on('dialog', (d) => {
          dialogs.push(d.message());
          void d.dismiss();
        });
        const hostile = readdirSync(join(out, 'series')).find((f) => read('series', f).includes('demo: evil'))!;
        for (const file of [join(out, 'index.html'), join(out, 'series', hostile)]) {
          await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
          assert.equal(await page.evaluate('typeof window.__pwned'), 'undefined', file);
          assert.ok(await page.locator('body').isVisible(), 'the page is not hidden by a style from mail');
        }
        assert.ok((await page.locator('h1').textContent())!.startsWith('<script>window.__pwned=1</script>'), 'the title shown as text');
        assert.deepEqual(dialogs, []);
        assert.deepEqual(requests, []);
      } finally {
        await browser.close();
      }
    });
  });

  describe('pieces', () => {
    it('dayWindow: at most 90 days, from the first run, at least 14', () => {
      assert.equal(dayWindow('2024-06-14', '2024-06-12').length, 14);
      assert.equal(dayWindow('2024-06-14', '2024-06-12')[0], '2024-06-01');
      assert.equal(dayWindow('2024-06-14', '2024-05-01').length, 45);
      assert.deepEqual([dayWindow('2024-06-14', '2023-01-01').length, dayWindow('2024-06-14', '2023-01-01')[0]], [90, '2024-03-17']);
      assert.equal(dayWindow('2024-03-01', null).at(-1), '2024-03-01');
    });

    it('digest.md: still there, review replies, and what kreview changed, apart', () => {
      const f = (rule: string, fn: string): Finding =>
        ({
          rule,
          severity: 'warning',
          confidence: 'high',
          message: `${rule} in ${fn}`,
          input: 'x',
          patch: null,
          file: 'a.c',
          line: 3,
          function: fn,
          status: 'introduced',
          baseline: false,
          facts: [],
        }) as unknown as Finding;
      const item = (verdict: Digest['series'][number]['versions'][number]['new'][number]['verdict'], since: number, x: Finding) => ({
        verdict,
        since,
        fingerprint: x.rule,
        rule: x.rule,
        severity: 'warning',
        file: 'a.c',
        line: 3,
        function: x.function,
        message: x.message,
        patch: null,
        finding: x,
      });
      const d: Digest = {
        run: { id: 7, startedAt: '2024-07-01T04:00:00.000Z', finishedAt: null, toolVersion: '0.2.0' },
        previous: { id: 6, startedAt: '2024-06-30T04:00:00.000Z' },
        messages: 3,
        series: [
          {
            id: 4,
            title: 'x: y',
            author: 'A <a@b>',
            versions: [
              {
                version: 2,
                versionId: 8,
                new: [],
                fixed: [],
                persisting: [],
                replies: [],
                toolNew: [item('tool-new', 2, f('flag-leak', 'g'))],
                toolGone: [item('tool-gone', 1, f('lock-leak', 'h'))],
              },
              {
                version: 3,
                versionId: 9,
                new: [],
                fixed: [],
                persisting: [item('persisting', 1, f('ref-leak', 'k'))],
                replies: [item('reply', 0, f('double-lock', 'r'))],
                toolNew: [],
                toolGone: [],
              },
            ],
          },
        ],
        events: [{ source: 'lkml', level: 'warning', text: 'archive moved' }],
        counts: { new: 0, fixed: 0, persisting: 1, replies: 1, tool: 2 },
        nothingNew: false,
      };
      const md = digestMarkdown(d);
      assert.match(
        md,
        /^### v3\n\n- \*\*still there since v1\*\*: `a\.c:3 k\(\) warn: ref-leak in k \[ref-leak, introduced\]`\n- \*\*from a review reply to v3\*\*: `a\.c:3 r\(\) warn: double-lock in r/m,
      );
      assert.doesNotMatch(md, /^### v2$/m, 'v2 only changed because kreview did');
      assert.match(
        md,
        /### Changed by kreview, not by the patch\n\n[^\n]*\n\n- \*\*kreview now finds it in v2\*\*: `a\.c:3 g\(\)[^\n]*\n- \*\*kreview no longer finds it in v2\*\*: `a\.c:3 h\(\)/,
      );
      assert.ok(md.indexOf('Changed by kreview') > md.indexOf('### v3'), 'after the versions');
      assert.match(md, /## Sources\n\n0 errors, 1 warning\.\n\n- \*\*warning\*\* `lkml`: archive moved/);
    });
  });
});

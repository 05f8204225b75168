// The nightly site's pages: the front page (the latest night, the trends drawn as SVG, every run and
// every series) and one page per series (its versions, v1 to vN, and what each was found to have).
// Self-contained like the HTML report: one inline stylesheet allowed by hash, no script at all,
// nothing fetched; everything from mail (titles, names, subjects, messages) is escaped; links are
// relative, between files of the output folder. Output depends on the data only.

import { join, relative, sep } from 'node:path';
import type { Severity } from '../analysis/types.js';
import { esc, htmlHead, plural, STYLE, when } from '../report/html.js';
import type { RunRow, Verdict } from './db.js';
import type { Digest } from './digest.js';
import { countsLine, verdictWords } from './digest-md.js';
import { VERDICTS, type RunSummary, type SeriesSummary, type TrendRow, type VerdictCounts, type VersionHistory } from './history.js';
import { formatFinding } from '../report/smatch.js';
import { stackedBarChart, type StackKey } from './trends.js';

export interface FrontPage {
  /** The output folder (absolute): links are made relative to it. */
  output: string;
  /** The run the site is written for. */
  run: RunRow;
  digest: Digest;
  runs: RunSummary[];
  series: SeriesSummary[];
  trends: { days: string[]; rows: TrendRow[]; runDays: string[] };
}

export interface SeriesPage {
  output: string;
  run: RunRow;
  summary: SeriesSummary;
  history: VersionHistory[];
  /** Every run by id (for dates and report folders). */
  runs: ReadonlyMap<number, RunRow>;
}

/** Where series pages go, under the output folder. */
export const seriesFile = (output: string, id: number): string => join(output, 'series', `${id}.html`);

/** A link from a page in `fromDir` to the file `to`: relative, each segment percent-encoded. */
export function href(fromDir: string, to: string): string {
  return relative(fromDir, to).split(sep).map(encodeURIComponent).join('/') || '.';
}

export const VERDICT_LABEL: Record<Verdict, string> = {
  new: 'new',
  fixed: 'fixed',
  persisting: 'still there',
  reply: 'from replies',
  'tool-new': 'kreview: now found',
  'tool-gone': 'kreview: no longer found',
};

/** Stacked bottom first: what needs work, then what got better, then kreview's own changes. */
const STACK: readonly Verdict[] = ['new', 'persisting', 'reply', 'fixed', 'tool-new', 'tool-gone'];

const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];
const known = <T extends string>(v: unknown, of: readonly T[]): T | 'other' =>
  typeof v === 'string' && (of as readonly string[]).includes(v) ? (v as T) : 'other';

const RULE_COLOURS = 10;

const SITE_STYLE = `
:root{--link:#0b57d0;--v-new:#cf222e;--v-fixed:#1a7f37;--v-persisting:#9a6700;--v-reply:#0969da;--v-tool-new:#8250df;--v-tool-gone:#b392f0;
--r0:#4e79a7;--r1:#f28e2b;--r2:#e15759;--r3:#76b7b2;--r4:#59a14f;--r5:#edc948;--r6:#b07aa1;--r7:#ff9da7;--r8:#9c755f;--r9:#86bcb6;--rother:#bab0ac}
@media (prefers-color-scheme:dark){:root{--link:#6cb6ff;--v-new:#ff7b72;--v-fixed:#3fb950;--v-persisting:#d29922;--v-reply:#58a6ff;--v-tool-new:#a371f7;--v-tool-gone:#d2a8ff}}
a{color:var(--link)}
a:visited{color:var(--link)}
.crumbs{font-size:13px;color:var(--muted);margin:0 0 8px}
h1.stitle{font-size:24px;line-height:1.3;margin:8px 0 4px;overflow-wrap:anywhere}
.links a{white-space:nowrap}
.stats{display:flex;flex-wrap:wrap;gap:8px;margin:12px 0 6px;padding:0;list-style:none}
.stat{border:1px solid var(--line);border-top:3px solid var(--line);border-radius:6px;padding:4px 14px 6px;min-width:104px;background:var(--bg2)}
.stat .n{display:block;font-size:24px;font-weight:700;font-variant-numeric:tabular-nums;line-height:1.2}
.stat .w{font-size:12px;color:var(--muted)}
.stat.vd-new{border-top-color:var(--v-new)}.stat.vd-fixed{border-top-color:var(--v-fixed)}.stat.vd-persisting{border-top-color:var(--v-persisting)}
.stat.vd-reply{border-top-color:var(--v-reply)}.stat.vd-tool{border-top-color:var(--v-tool-new)}
.stat.vd-new .n:not(.z){color:var(--v-new)}.stat.vd-fixed .n:not(.z){color:var(--v-fixed)}
.stat .n.z{color:var(--muted)}
.nothing{font-size:15px;color:var(--muted);margin:6px 0}
.tonight{margin:8px 0 0;padding-left:20px;font-size:14px}
.tonight li{margin:2px 0;overflow-wrap:anywhere}
.events{margin:8px 0 0;padding-left:20px;font-size:13px}
.events li{overflow-wrap:anywhere}
.warn{color:var(--warn)}
.badge.vd{color:var(--bg)}
.badge.vd-new{background:var(--v-new)}.badge.vd-fixed{background:var(--v-fixed)}.badge.vd-persisting{background:var(--v-persisting)}
.badge.vd-reply{background:var(--v-reply)}.badge.vd-tool-new{background:var(--v-tool-new)}.badge.vd-tool-gone{background:var(--v-tool-gone)}
.badge.vd-other{background:var(--muted)}
.badge.state{background:var(--bg2);border-color:var(--line);color:var(--fg);font-weight:500}
.badge.state-aborted,.badge.state-unfinished{border-color:var(--err);color:var(--err)}
.chartbox{margin:14px 0 22px}
.chartbox h3{margin:0 0 2px;font-size:15px}
.chartbox p{margin:0 0 6px;font-size:13px;color:var(--muted)}
.chart{display:block;width:100%;height:auto;min-width:640px;max-width:960px;direction:ltr;margin:0 auto 0 0}
.chartbox .scroll{direction:rtl}
.chart text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;font-size:12px;fill:var(--fg)}
.chart .tick,.chart .empty,.chart .total.none{fill:var(--muted)}
.chart .total{font-size:11px;font-weight:600}
.chart .axis-label{fill:var(--muted);font-size:12px}
.chart .axis{stroke:var(--muted);stroke-width:1}
.chart .grid{stroke:var(--line);stroke-width:1;stroke-dasharray:3 3}
.chart .rundot{fill:var(--muted)}
.chart .bar{stroke:var(--bg);stroke-width:.6}
.k-new{fill:var(--v-new)}.k-fixed{fill:var(--v-fixed)}.k-persisting{fill:var(--v-persisting)}.k-reply{fill:var(--v-reply)}.k-tool-new{fill:var(--v-tool-new)}.k-tool-gone{fill:var(--v-tool-gone)}
.k-r0{fill:var(--r0)}.k-r1{fill:var(--r1)}.k-r2{fill:var(--r2)}.k-r3{fill:var(--r3)}.k-r4{fill:var(--r4)}.k-r5{fill:var(--r5)}.k-r6{fill:var(--r6)}.k-r7{fill:var(--r7)}.k-r8{fill:var(--r8)}.k-r9{fill:var(--r9)}.k-rother{fill:var(--rother)}
.data td,.data th{white-space:nowrap}
.data td.wrap{white-space:normal;overflow-wrap:anywhere;min-width:16em}
.data tbody tr:hover td{background:var(--bg2)}
.open{color:var(--v-new);font-weight:700}
.timeline{display:flex;flex-wrap:wrap;gap:6px 22px;align-items:center;list-style:none;padding:0;margin:10px 0 0;font-size:13px}
.timeline li{position:relative;border:1px solid var(--line);border-radius:14px;padding:1px 10px;background:var(--bg2)}
.timeline li+li::before{content:"→";position:absolute;left:-17px;color:var(--muted)}
.version{border:1px solid var(--line);border-radius:8px;padding:4px 18px 12px;margin:18px 0}
.version>h2{border:0;margin:10px 0 2px;display:flex;gap:10px;align-items:baseline;flex-wrap:wrap}
.version .vcount{font-size:13px;font-weight:400;color:var(--muted)}
.patches{margin:6px 0;padding-left:20px;font-size:13px}
.patches li{overflow-wrap:anywhere}
.vfindings{list-style:none;margin:8px 0 0;padding:0}
.vf{border-left:4px solid var(--line);padding:6px 0 6px 12px;margin:8px 0;background:var(--bg2);border-radius:0 6px 6px 0}
.vf.vd-new{border-left-color:var(--v-new)}.vf.vd-fixed{border-left-color:var(--v-fixed)}.vf.vd-persisting{border-left-color:var(--v-persisting)}
.vf.vd-reply{border-left-color:var(--v-reply)}.vf.vd-tool-new,.vf.vd-tool-gone{border-left-color:var(--v-tool-new)}
.vf .fhead{gap:6px}
.smatch{display:block;margin:4px 12px 2px 0;white-space:pre-wrap;overflow-wrap:anywhere}
.vf .meta{font-size:12px;color:var(--muted);margin:2px 0 0}
.vf .then{color:var(--fg);font-weight:600}
`;

const PAGE_STYLE = STYLE + SITE_STYLE;

function page(o: { title: string; generator: string; body: string }): string {
  return `${htmlHead({ title: o.title, style: PAGE_STYLE, generator: o.generator })}
<body>
<main>
${o.body}
</main>
</body>
</html>
`;
}

const brand = (version: string, what: string): string =>
  `<div class="brand"><span class="logo">kreview</span><span class="ver">${esc(version)}</span><span class="cmd">${esc(what)}</span></div>`;

/** The state a run is shown with. The run a page is written for is still reporting while it is written: it reads as done. */
function runState(r: RunRow, siteRun: number): { text: string; cls: string; title: string } {
  if (r.state === 'done' || (r.state === 'reporting' && r.id === siteRun)) return { text: 'done', cls: 'done', title: 'read its sources and reported' };
  if (r.state === 'aborted') return { text: 'aborted', cls: 'aborted', title: 'stopped before it reported; what it stored was reported by the next run' };
  if (r.state === 'reporting') return { text: 'report unfinished', cls: 'unfinished', title: 'stopped while it wrote its reports; the next run finishes them' };
  return { text: 'running', cls: 'running', title: 'still running' };
}

const num = (n: number, cls = ''): string => `<td class="num${n ? (cls ? ` ${cls}` : '') : ' zero'}">${n}</td>`;

function table(head: string[], rows: string[], cls = 'data'): string {
  return `<div class="scroll"><table class="${cls}"><thead><tr>${head.join('')}</tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

const th = (text: string, numeric = false): string => `<th scope="col"${numeric ? ' class="num"' : ''}>${text}</th>`;

const runDate = (r: RunRow | undefined): string => (r ? when(r.started_at) : '?');

function runLinks(fromDir: string, r: RunRow): string {
  if (!r.report_dir) return '<span class="muted">no report</span>';
  const dir = r.report_dir;
  return `<span class="links"><a href="${esc(href(fromDir, join(dir, 'index.html')))}">report</a> · <a href="${esc(href(fromDir, join(dir, 'digest.md')))}">digest.md</a> · <a href="${esc(href(fromDir, join(dir, 'digest.json')))}">digest.json</a></span>`;
}

// ---------------------------------------------------------------------------------------------
// The front page

function latestNight(p: FrontPage): string {
  const d = p.digest;
  const r = p.run;
  const since = d.previous ? `${when(d.previous.startedAt)} (run ${d.previous.id})` : null;
  const summary = d.nothingNew
    ? since
      ? `nothing new since ${since}`
      : 'nothing new (the first run)'
    : `${plural(d.counts.new, 'new finding')}, ${d.counts.fixed} fixed`;
  const c = d.counts;
  const stat = (n: number, w: string, cls: string): string =>
    `<li class="stat ${cls}"><span class="n${n ? '' : ' z'}">${n}</span><span class="w">${esc(w)}</span></li>`;
  const out = [
    '<header class="top">',
    brand(r.tool_version, 'nightly'),
    `<p class="summary" id="summary">${esc(r.started_at.slice(0, 10))}: ${esc(summary)}</p>`,
    `<p class="sevline muted">run ${r.id} · started ${esc(when(r.started_at))} · ${esc(plural(d.messages, 'new message'))}${since && !d.nothingNew ? ` since ${esc(since)}` : ''} · ${runLinks(p.output, r)}</p>`,
  ];
  if (!d.nothingNew) {
    out.push(
      `<ul class="stats" aria-label="${esc(countsLine(c))}">${[
        stat(c.new, 'new', 'vd-new'),
        stat(c.fixed, 'fixed', 'vd-fixed'),
        stat(c.persisting, 'still there', 'vd-persisting'),
        stat(c.replies, 'from review replies', 'vd-reply'),
        stat(c.tool, 'changed by kreview', 'vd-tool'),
      ].join('')}</ul>`,
    );
    const lines = d.series.map((s) => {
      const vs = s.versions.map((v) => {
        const parts = [
          v.new.length ? `${v.new.length} new` : '',
          v.fixed.length ? `${v.fixed.length} fixed` : '',
          v.persisting.length ? `${v.persisting.length} still there` : '',
          v.replies.length ? `${v.replies.length} from replies` : '',
          v.toolNew.length + v.toolGone.length ? `${v.toolNew.length + v.toolGone.length} changed by kreview` : '',
        ].filter(Boolean);
        return `v${esc(v.version)}: ${esc(parts.length ? parts.join(', ') : 'nothing found')}`;
      });
      return `<li><a href="${esc(href(p.output, seriesFile(p.output, s.id)))}">${esc(s.title || '(no title)')}</a> <span class="muted">${esc(s.author)}</span> — ${vs.join('; ')}</li>`;
    });
    if (lines.length) out.push(`<ul class="tonight">${lines.join('')}</ul>`);
  } else {
    out.push(`<p class="nothing">No new message and no new finding this night.</p>`);
  }
  const events = d.events.filter((e) => e.level !== 'info');
  if (events.length) {
    out.push(
      `<ul class="events">${events.map((e) => `<li><span class="${e.level === 'error' ? 'err' : 'warn'}">${esc(e.level)}</span>${e.source ? ` <code>${esc(e.source)}</code>` : ''}: ${esc(e.text)}</li>`).join('')}</ul>`,
    );
  }
  out.push('</header>');
  return out.join('\n');
}

function trendsSection(p: FrontPage): string {
  const { days, rows, runDays } = p.trends;
  const byVerdict = new Map<string, Map<string, number>>();
  const byRule = new Map<string, Map<string, number>>();
  const ruleTotals = new Map<string, number>();
  const add = (m: Map<string, Map<string, number>>, day: string, key: string, n: number): void => {
    let d = m.get(day);
    if (!d) m.set(day, (d = new Map()));
    d.set(key, (d.get(key) ?? 0) + n);
  };
  for (const r of rows) {
    add(byVerdict, r.day, r.verdict, r.n);
    ruleTotals.set(r.rule, (ruleTotals.get(r.rule) ?? 0) + r.n);
  }
  // Rules by how often they were reported; past the palette, the rest share one colour.
  const rules = [...ruleTotals.keys()].sort((a, b) => ruleTotals.get(b)! - ruleTotals.get(a)! || (a < b ? -1 : 1));
  const own = rules.length <= RULE_COLOURS ? rules : rules.slice(0, RULE_COLOURS - 1);
  const keyOf = new Map(rules.map((r) => [r, own.includes(r) ? r : '(other rules)']));
  for (const r of rows) add(byRule, r.day, keyOf.get(r.rule)!, r.n);
  const ruleKeys: StackKey[] = own.map((r, i) => ({ key: r, label: r, cls: `r${i}` }));
  if (own.length < rules.length) ruleKeys.push({ key: '(other rules)', label: `${rules.length - own.length} other rules`, cls: 'rother' });
  const verdictKeys: StackKey[] = STACK.map((v) => ({ key: v, label: VERDICT_LABEL[v], cls: v }));
  const ran = new Set(runDays);
  const first = days[0] ?? '';
  const last = days.at(-1) ?? '';
  const range = `${first} to ${last}`;
  // In a narrow window the chart scrolls in its box, which starts at its right end: the latest days.
  const chart = (id: string, title: string, keys: StackKey[], values: Map<string, Map<string, number>>, what: string): string =>
    `<figure class="chartbox" id="${id}"><h3>${esc(title)}</h3><p>${esc(what)}</p><div class="scroll">${stackedBarChart({
      id: `${id}-svg`,
      title: `${title}, ${range}`,
      desc: `Stacked bars, one a day: ${what}`,
      days,
      keys,
      values,
      runDays: ran,
      yLabel: 'findings reported',
    })}</div></figure>`;

  // The same numbers as a table, for reading them exactly (and with no SVG at all).
  const shown = days.filter((d) => ran.has(d) || byVerdict.has(d)).reverse();
  const rowsHtml = shown.map((d) => {
    const v = byVerdict.get(d);
    const total = [...(v?.values() ?? [])].reduce((a, b) => a + b, 0);
    const perRule = rows.filter((r) => r.day === d).reduce((m, r) => m.set(r.rule, (m.get(r.rule) ?? 0) + r.n), new Map<string, number>());
    const ruleText = [...perRule].map(([rule, n]) => `<code>${esc(rule)}</code> ${n}`).join(', ');
    return `<tr data-day="${esc(d)}"><td>${esc(d)}</td>${STACK.map((k) => num(v?.get(k) ?? 0)).join('')}${num(total)}<td class="wrap">${ruleText || '<span class="muted">none</span>'}</td></tr>`;
  });
  const numbers = `<details class="fold"><summary>the numbers, day by day (${shown.length} ${shown.length === 1 ? 'day' : 'days'} with a run or a finding)</summary>${table(
    [th('day'), ...STACK.map((k) => th(esc(VERDICT_LABEL[k]), true)), th('total', true), th('by rule')],
    rowsHtml,
  )}</details>`;
  return [
    '<section id="trends">',
    '<h2>Trends</h2>',
    `<p class="muted">Findings reported per day from ${esc(first)} to ${esc(last)} (the last 90 days at most; a dot under a day: a run that night). Hover a bar for its numbers.</p>`,
    chart(
      'by-verdict',
      'By verdict',
      verdictKeys,
      byVerdict,
      'new in a version, still there from the version before, from review replies, fixed by a version, and what changed because kreview changed.',
    ),
    chart('by-rule', 'By rule', ruleKeys, byRule, 'every finding reported, whatever its verdict, by the rule that found it.'),
    numbers,
    '</section>',
  ].join('\n');
}

function runsSection(p: FrontPage): string {
  const head = [
    th('run'),
    th('started'),
    th('state'),
    th('messages', true),
    th('new', true),
    th('fixed', true),
    th('still there', true),
    th('replies', true),
    th('by kreview', true),
    th('sources'),
    th('reports'),
  ];
  const row = (s: RunSummary): string => {
    const r = s.run;
    const st = runState(r, p.run.id);
    const c = s.counts;
    const problems =
      s.errors || s.warnings
        ? `<span class="${s.errors ? 'err' : 'warn'}">${esc([s.errors ? plural(s.errors, 'error') : '', s.warnings ? plural(s.warnings, 'warning') : ''].filter(Boolean).join(', '))}</span>`
        : '<span class="muted">ok</span>';
    return `<tr data-run="${r.id}"><td>${r.id}</td><td>${esc(when(r.started_at))}</td><td><span class="badge state state-${st.cls}" title="${esc(st.title)}">${esc(st.text)}</span></td>${num(s.messages)}${num(c.new, 'n-introduced')}${num(c.fixed, 'n-fixed')}${num(c.persisting)}${num(c.reply)}${num(c['tool-new'] + c['tool-gone'])}<td>${problems}</td><td>${runLinks(p.output, r)}</td></tr>`;
  };
  const runs = [...p.runs].reverse();
  const recent = runs.slice(0, 30);
  const older = runs.slice(30);
  const out = ['<section id="runs">', `<h2>Runs (${runs.length})</h2>`, table(head, recent.map(row))];
  if (older.length) out.push(`<details class="fold"><summary>${esc(plural(older.length, 'older run'))}</summary>${table(head, older.map(row))}</details>`);
  out.push('</section>');
  return out.join('\n');
}

function seriesSection(p: FrontPage, runs: ReadonlyMap<number, RunRow>): string {
  const head = [th('series'), th('author'), th('versions'), th('latest'), th('open findings', true), th('last activity')];
  const rows = p.series.map((s) => {
    const latest = s.latest;
    const state = latest.analysed_run_id !== null ? '' : ' <span class="muted">(not analysed)</span>';
    return `<tr data-series="${s.series.id}"><td class="wrap"><a href="${esc(href(p.output, seriesFile(p.output, s.series.id)))}">${esc(s.series.title || '(no title)')}</a></td><td class="wrap">${esc(s.series.author)}</td><td>${esc(s.versions.map((v) => `v${v.version}`).join(' → '))}</td><td>v${latest.version}${state}</td>${num(s.open, 'open')}<td>${esc(runDate(runs.get(s.lastRunId)))}</td></tr>`;
  });
  const out = [
    '<section id="series">',
    `<h2>Series (${p.series.length})</h2>`,
    rows.length ? table(head, rows.slice(0, 50)) : '<p class="none">No series yet.</p>',
  ];
  if (rows.length > 50)
    out.push(
      `<details class="fold"><summary>${esc(plural(rows.length - 50, 'series less recently active', 'series less recently active'))}</summary>${table(head, rows.slice(50))}</details>`,
    );
  out.push('</section>');
  return out.join('\n');
}

export function frontPage(p: FrontPage): string {
  const runs = new Map(p.runs.map((s) => [s.run.id, s.run]));
  const body = [
    latestNight(p),
    trendsSection(p),
    runsSection(p),
    seriesSection(p, runs),
    `<footer>kreview ${esc(p.run.tool_version)} · written for run ${p.run.id} (${esc(when(p.run.started_at))}) · every page here is static: no script, nothing fetched</footer>`,
  ].join('\n');
  const summary = p.digest.nothingNew ? 'nothing new' : countsLine(p.digest.counts);
  return page({ title: `kreview nightly ${p.run.started_at.slice(0, 10)}: ${summary}`, generator: `kreview ${p.run.tool_version}`, body });
}

// ---------------------------------------------------------------------------------------------
// A series' page

function countsText(c: VerdictCounts): string {
  const parts = VERDICTS.filter((v) => c[v]).map((v) => `${c[v]} ${VERDICT_LABEL[v]}`);
  return parts.length ? parts.join(', ') : 'no findings';
}

/**
 * What became of each version's findings in the versions after it: `fixed in v3`, `still there in
 * v4`, keyed by version and fingerprint (the latest word).
 */
function laterWords(history: VersionHistory[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const h of history) {
    if (h.analysedRunId === null) continue;
    for (const { row } of h.findings) {
      if (row.source !== 'version' || (row.verdict !== 'fixed' && row.verdict !== 'persisting')) continue;
      const word = row.verdict === 'fixed' ? `fixed in v${h.version.version}` : `still there in v${h.version.version}`;
      for (const e of history) if (e.version.version < h.version.version) out.set(`${e.version.version}\0${row.fingerprint}`, word);
    }
  }
  return out;
}

function versionSection(p: SeriesPage, h: VersionHistory, dir: string, later: Map<string, string>): string {
  const v = h.version;
  const runLink = (id: number | null): string => {
    if (id === null) return '';
    const r = p.runs.get(id);
    const text = `run ${id}, ${r ? r.started_at.slice(0, 10) : '?'}`;
    return r?.report_dir ? `<a href="${esc(href(dir, join(r.report_dir, 'index.html')))}">${esc(text)}</a>` : esc(text);
  };
  const meta = [`arrived ${esc(runDate(p.runs.get(v.first_run_id)))} (${runLink(v.first_run_id)})`];
  if (h.analysedRunId !== null) {
    meta.push(
      `analysed in ${runLink(h.analysedRunId)}${v.tool_version ? ` with kreview ${esc(v.tool_version)}` : ''}${v.semantics_hash ? ` <span title="semantics hash">(${esc(v.semantics_hash.slice(0, 8))})</span>` : ''}`,
    );
  } else {
    meta.push(h.patches.length ? 'not analysed yet' : 'not analysed: no patch of it arrived, only replies');
  }
  meta.push(esc(`${plural(h.patches.length, 'message')}, ${plural(h.replies, 'reply', 'replies')}`));
  const patches = h.patches.length ? `<ul class="patches">${h.patches.map((m) => `<li>${esc(m.subject || '(no subject)')}</li>`).join('')}</ul>` : '';
  const findings = h.findings.map(({ row, finding }) => {
    const vd = known(row.verdict, VERDICTS);
    const sev = known(row.severity, SEVERITIES);
    let line: string;
    try {
      line = formatFinding(finding, { details: false });
    } catch {
      line = `${row.file ?? '?'}:${row.line ?? '?'} ${row.function}() ${row.message} [${row.rule}]`;
    }
    const words = verdictWords(row.verdict, v.version, row.since_version);
    const subject = (finding as { patchSubject?: unknown }).patchSubject;
    const metaParts = [`since v${esc(row.since_version)}`, `reported by ${runLink(row.reported_run_id)}`];
    if (typeof subject === 'string' && subject) metaParts.push(`${row.verdict === 'fixed' || row.verdict === 'tool-gone' ? 'was in' : 'in'} ${esc(subject)}`);
    const after = later.get(`${v.version}\0${row.fingerprint}`);
    if (after) metaParts.push(`<span class="then">then ${esc(after)}</span>`);
    metaParts.push(`fingerprint <code>${esc(row.fingerprint)}</code>`);
    return `<li class="vf vd-${vd}" data-verdict="${esc(row.verdict)}"><div class="fhead"><span class="badge vd vd-${vd}">${esc(words)}</span><span class="badge sev sev-${sev}">${esc(row.severity)}</span><span class="badge rule">${esc(row.rule)}</span></div><code class="smatch">${esc(line)}</code><p class="meta">${metaParts.join(' · ')}</p></li>`;
  });
  return [
    `<section class="version" id="v${v.version}" data-version="${v.version}">`,
    `<h2>v${v.version} <span class="vcount">${esc(countsText(h.counts))}</span></h2>`,
    `<p class="gmeta">${meta.join(' · ')}</p>`,
    patches,
    findings.length
      ? `<ul class="vfindings">${findings.join('')}</ul>`
      : `<p class="none">${h.analysedRunId !== null ? 'No findings.' : 'Nothing to say yet.'}</p>`,
    '</section>',
  ]
    .filter(Boolean)
    .join('\n');
}

export function seriesPage(p: SeriesPage): string {
  const s = p.summary.series;
  const dir = join(p.output, 'series');
  const first = p.runs.get(s.first_run_id);
  const meta = [`by ${esc(s.author || '(unknown)')}`, `first seen ${esc(runDate(first))} (run ${s.first_run_id})`];
  if (s.change_id) meta.push(`change-id <code>${esc(s.change_id)}</code>`);
  meta.push(`key <code>${esc(s.key)}</code>`);
  const a = p.summary.analysed;
  const summary = a ? `v${a.version}: ${plural(p.summary.open, 'open finding')}` : 'not analysed yet';
  const later = laterWords(p.history);
  const timeline = p.history.map(
    (h) =>
      `<li><a href="#v${h.version.version}">v${h.version.version}</a> <span class="muted">${esc(h.analysedRunId !== null ? countsText(h.counts) : 'not analysed')}</span></li>`,
  );
  const body = [
    `<nav class="crumbs"><a href="${esc(href(dir, join(p.output, 'index.html')))}">kreview nightly</a> › <a href="${esc(href(dir, join(p.output, 'index.html')))}#series">series</a> › #${s.id}</nav>`,
    '<header class="top">',
    brand(p.run.tool_version, `series #${s.id}`),
    `<h1 class="stitle">${esc(s.title || '(no title)')}</h1>`,
    `<p class="gmeta">${meta.join(' · ')}</p>`,
    `<p class="summary" id="summary">${esc(summary)}</p>`,
    `<ol class="timeline" aria-label="versions">${timeline.join('')}</ol>`,
    '</header>',
    ...p.history.map((h) => versionSection(p, h, dir, later)),
    `<footer>kreview ${esc(p.run.tool_version)} · series #${s.id} · a static page: no script, nothing fetched</footer>`,
  ].join('\n');
  return page({ title: `kreview: ${s.title || `series ${s.id}`}`, generator: `kreview ${p.run.tool_version}`, body });
}

// HTML: one self-contained page for a person to read a run in a browser (or print it). Inline CSS
// and a small inline script, nothing fetched: a Content-Security-Policy allows only that style and
// that script (by hash), so even a page someone edited could load nothing from the network.
//
// Everything that comes from mail or code (subjects, names, C, messages, paths, notes) is escaped
// for the context it lands in; no document value ever reaches the script, a class name or a URL.
// With JavaScript off every finding is shown and the filters are simply not offered.
//
// Layout: a header (version, command, the verdict line, counts per rule), the filters, the findings
// grouped series → patch → file → function (scan) or file → function (check), then the inputs:
// everything the run read and what became of it, and the notes. Output depends on the document only.

import { createHash } from 'node:crypto';
import type { Finding, Severity, Status, Witness } from '../analysis/types.js';
import type { MessageEntry, PatchEntry } from '../pipeline.js';
import type { SeriesEntry } from '../patch/index.js';
import { verdictLine, type CheckedFile, type RunDocument } from './document.js';
import { seriesPosition } from './scan-text.js';
import { findingLocation } from './smatch.js';

// ---------------------------------------------------------------------------------------------
// Escaping

const ENTITY: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text or a double-quoted attribute value, from anything a document may hold. */
export function esc(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  // Control characters other than HTML's whitespace (tab, newline, form feed, CR) show as U+FFFD.
  return s.replace(/[&<>"']/g, (c) => ENTITY[c]!).replace(/[\u0000-\u0008\u000b\u000e-\u001f\u007f]/g, '\ufffd');
}

const STATUSES: readonly Status[] = ['introduced', 'fixed', 'present'];
const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];
const STATUS_RANK: Record<string, number> = { introduced: 0, fixed: 1, present: 2 };
const SEVERITY_RANK: Record<string, number> = { error: 0, warning: 1, info: 2 };

/** A value used in a class name: only the known ones, anything else is 'other'. */
const known = (v: unknown, of: readonly string[]): string => (typeof v === 'string' && of.includes(v) ? v : 'other');

/** `1 finding`, `2 findings`. */
export const plural = (n: number, w: string, ws = `${w}s`): string => `${n} ${n === 1 ? w : ws}`;

const fnName = (fn: string): string => (/[\s(]/.test(fn) || !fn ? fn : `${fn}()`);

// ---------------------------------------------------------------------------------------------
// Grouping

type Kind = 'series' | 'patch' | 'file' | 'function';

interface Level {
  kind: Kind;
  key: string;
  /** Natural order among siblings (compared after the best verdict, for file and function groups). */
  sort: (number | string)[];
  head: () => string;
}

interface Group {
  level: Level;
  children: Map<string, Group>;
  findings: number[];
  best: number; // best verdict rank of any finding below
}

function cmp(a: (number | string)[], b: (number | string)[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return 0;
}

/** What a scan document knows about patches, messages and series, looked up once. */
interface ScanIndex {
  patchIndex: Map<string, number>;
  patch: Map<string, PatchEntry>;
  message: Map<string, MessageEntry>; // by patch id
  seriesIndex: Map<string, number>;
  series: Map<string, SeriesEntry>;
}

function scanIndex(doc: RunDocument): ScanIndex {
  const message = new Map<string, MessageEntry>();
  for (const m of doc.messages) for (const id of m.patches ?? []) if (!message.has(id)) message.set(id, m);
  return {
    patchIndex: new Map(doc.patches.map((p, i) => [p.id, i])),
    patch: new Map(doc.patches.map((p) => [p.id, p])),
    message,
    seriesIndex: new Map(doc.series.map((s, i) => [s.id, i])),
    series: new Map(doc.series.map((s) => [s.id, s])),
  };
}

function fileLevel(f: Finding, order: number, what: string): Level {
  const key = f.file ?? '';
  return {
    kind: 'file',
    key,
    sort: [order, key],
    head: () =>
      f.file !== null
        ? `<code class="path">${esc(f.file)}</code>${what}`
        : `<span class="muted">code with no file name</span> <span class="muted">(lines of the message body)</span>${what}`,
  };
}

function functionLevel(f: Finding, firstLine: number): Level {
  const key = f.function ?? '';
  return { kind: 'function', key, sort: [firstLine, key], head: () => `<code class="fn">${esc(fnName(key))}</code>` };
}

function firstLines(doc: RunDocument, groupKey: (f: Finding) => string): Map<string, number> {
  const out = new Map<string, number>();
  for (const f of doc.findings) {
    const k = `${groupKey(f)}\0${f.file ?? ''}\0${f.function ?? ''}`;
    const l = f.line ?? Number.MAX_SAFE_INTEGER;
    if (!out.has(k) || l < out.get(k)!) out.set(k, l);
  }
  return out;
}

function scanLevels(doc: RunDocument, ix: ScanIndex): (f: Finding) => Level[] {
  const lines = firstLines(doc, (f) => f.patch ?? '');
  return (f) => {
    const pid = f.patch ?? '';
    const p = ix.patch.get(pid);
    const m = ix.message.get(pid);
    const sid = m?.series?.id ?? '';
    const s = ix.series.get(sid);
    const levels: Level[] = [
      {
        kind: 'series',
        key: sid,
        sort: [s ? ix.seriesIndex.get(sid)! : Number.MAX_SAFE_INTEGER, sid],
        head: () => seriesHead(s, sid),
      },
      {
        kind: 'patch',
        key: pid,
        sort: [
          m?.series?.version ?? 0,
          m?.series?.number ?? Number.MAX_SAFE_INTEGER,
          m?.series?.reply ? 1 : 0,
          p ? ix.patchIndex.get(pid)! : Number.MAX_SAFE_INTEGER,
          pid,
        ],
        head: () => patchHead(p, m, pid),
      },
    ];
    const fileOrder = p ? p.files.findIndex((x) => x.path === f.file) : -1;
    levels.push(fileLevel(f, fileOrder < 0 ? Number.MAX_SAFE_INTEGER : fileOrder, ''));
    levels.push(functionLevel(f, lines.get(`${pid}\0${f.file ?? ''}\0${f.function ?? ''}`) ?? 0));
    return levels;
  };
}

function checkLevels(doc: RunDocument): (f: Finding) => Level[] {
  const order = new Map(doc.files.map((x, i) => [x.path, i]));
  const byPath = new Map(doc.files.map((x) => [x.path, x]));
  const lines = firstLines(doc, () => '');
  return (f) => {
    const file = f.file !== null ? byPath.get(f.file) : undefined;
    const what = file && file.status === 'ok' ? ` <span class="muted">${esc(plural(file.functions, 'function'))}</span>` : '';
    return [
      fileLevel(f, f.file !== null ? (order.get(f.file) ?? Number.MAX_SAFE_INTEGER) : Number.MAX_SAFE_INTEGER, what),
      functionLevel(f, lines.get(`\0${f.file ?? ''}\0${f.function ?? ''}`) ?? 0),
    ];
  };
}

function buildTree(doc: RunDocument, levelsOf: (f: Finding) => Level[]): Group {
  const root: Group = { level: { kind: 'series', key: '', sort: [], head: () => '' }, children: new Map(), findings: [], best: 9 };
  doc.findings.forEach((f, i) => {
    const rank = STATUS_RANK[f.status] ?? 3;
    let g = root;
    g.best = Math.min(g.best, rank);
    for (const level of levelsOf(f)) {
      let c = g.children.get(level.key);
      if (!c) {
        c = { level, children: new Map(), findings: [], best: 9 };
        g.children.set(level.key, c);
      }
      c.best = Math.min(c.best, rank);
      g = c;
    }
    g.findings.push(i);
  });
  return root;
}

/** Children in order: series and patches as the series runs; files and functions introduced first, then fixed, then present. */
function orderedChildren(g: Group): Group[] {
  return [...g.children.values()].sort((a, b) => {
    const byVerdict = a.level.kind === 'file' || a.level.kind === 'function' ? a.best - b.best : 0;
    return byVerdict || cmp(a.level.sort, b.level.sort);
  });
}

function orderedFindings(doc: RunDocument, ids: number[]): number[] {
  return [...ids].sort((a, b) => {
    const x = doc.findings[a]!;
    const y = doc.findings[b]!;
    return (
      (STATUS_RANK[x.status] ?? 3) - (STATUS_RANK[y.status] ?? 3) ||
      (SEVERITY_RANK[x.severity] ?? 3) - (SEVERITY_RANK[y.severity] ?? 3) ||
      (x.line ?? Number.MAX_SAFE_INTEGER) - (y.line ?? Number.MAX_SAFE_INTEGER) ||
      a - b
    );
  });
}

// ---------------------------------------------------------------------------------------------
// Group headings

function seriesHead(s: SeriesEntry | undefined, id: string): string {
  if (!s) return id ? `<span class="kind">series</span> <code>${esc(id)}</code>` : '<span class="muted">not part of a series</span>';
  return `<span class="kind">series</span> ${esc(s.title || '(no title)')}`;
}

function seriesMeta(s: SeriesEntry | undefined): string {
  if (!s) return '';
  const versions = s.versions.map((v) => {
    const parts = [plural(v.patches.length, 'patch', 'patches')];
    if (v.replies.length) parts.push(plural(v.replies.length, 'reply', 'replies'));
    const base = v.baseCommit ? `, base-commit <code>${esc(v.baseCommit.slice(0, 12))}</code>` : '';
    return `v${esc(v.version)}: ${parts.join(' + ')}${base}`;
  });
  return `<p class="gmeta">by ${esc(s.author || '(unknown)')}${versions.length ? ` · ${versions.join('; ')}` : ''}</p>`;
}

const KIND_WORD: Record<string, string> = { diff: 'diff', quoted: 'quoted diff', fragment: 'fragment (no diff header)', code: 'quoted code with line numbers' };

/**
 * A subject with where it stands in its series (`[v2 1/2]`), unless the subject already says so
 * (`[PATCH v2 1/2] ...`, `Re: [PATCH ...`): escaped HTML.
 */
function titled(subject: string, m: MessageEntry | undefined, fallback: string): string {
  const pos = m ? seriesPosition(m.series) : '';
  const tagged = /^\s*(?:(?:re|fwd?|aw|sv)\s*:\s*)*\[/i.test(subject);
  const text = subject ? esc(subject) : fallback;
  return pos && !tagged ? `<span class="pos">${esc(pos)}</span> ${text}` : text;
}

function patchHead(p: PatchEntry | undefined, m: MessageEntry | undefined, id: string): string {
  if (!id) return '<span class="muted">no patch</span>';
  return `<span class="kind">patch</span> ${titled(p?.subject || m?.subject || '', m, `<code>${esc(id)}</code>`)}`;
}

/** An ISO date as a person reads it: `2024-06-11 07:30:13 UTC`; anything else as it is. */
export function when(d: string): string {
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.\d+)?Z$/.exec(d);
  return m ? `${m[1]} ${m[2]} UTC` : d;
}

function patchMeta(p: PatchEntry | undefined, m: MessageEntry | undefined, id: string): string {
  if (!id) return '';
  const parts = [`<code>${esc(id)}</code>`];
  if (p) parts.push(esc(`${KIND_WORD[p.kind] ?? p.kind}${p.quoteDepth > 0 ? `, quoted at depth ${p.quoteDepth}` : ''}`));
  const mid = p?.messageId ?? m?.messageId;
  if (mid) parts.push(`<span class="mid">&lt;${esc(mid)}&gt;</span>`);
  if (m?.from) parts.push(`from ${esc(m.from)}`);
  if (m?.date) parts.push(esc(when(m.date)));
  return `<p class="gmeta">${parts.join(' · ')}</p>`;
}

// ---------------------------------------------------------------------------------------------
// One finding

function badge(cls: string, text: string, title?: string): string {
  return `<span class="badge ${cls}"${title ? ` title="${esc(title)}"` : ''}>${esc(text)}</span>`;
}

function snippetBlock(f: Finding): string {
  if (!f.snippet?.length) return '';
  const trace = new Set(f.trace.map((t) => t.line).filter((l): l is number => l !== null));
  const rows: string[] = [];
  let prev: number | null = null;
  for (const s of f.snippet) {
    if (prev !== null && s.line > prev + 1) rows.push('<tr class="gap"><td class="ln">⋮</td><td class="src">…</td></tr>');
    prev = s.line;
    const cls = s.line === f.line ? 'hl-line' : trace.has(s.line) ? 'hl-trace' : '';
    const mark = s.line === f.line ? ' title="the finding’s line"' : trace.has(s.line) ? ' title="on the path"' : '';
    rows.push(`<tr${cls ? ` class="${cls}"` : ''}${mark}><td class="ln">${esc(s.line)}</td><td class="src">${esc(s.text)}</td></tr>`);
  }
  const where = f.lineIn === 'body' ? 'lines of the message body' : f.status === 'fixed' ? 'before the patch' : f.patch ? 'after the patch' : '';
  return `<div class="code"><div class="code-h">code${where ? ` <span class="muted">(${where})</span>` : ''}<span class="legend"><span class="key hl-line">finding</span><span class="key hl-trace">path</span></span></div><div class="scroll"><table class="snippet">${rows.join('')}</table></div></div>`;
}

function hunkBlock(f: Finding): string {
  if (!f.hunk) return '';
  const lines = f.hunk.lines.map((l) => {
    const c = l.startsWith('+') ? 'add' : l.startsWith('-') ? 'del' : 'ctx';
    return `<span class="${c}">${esc(l)}</span>`;
  });
  return `<details class="hunk"><summary>patch hunk</summary><div class="scroll"><pre><span class="hh">${esc(f.hunk.header)}</span>\n${lines.join('\n')}</pre></div></details>`;
}

function traceBlock(f: Finding): string {
  if (!f.trace?.length) return '';
  const items = f.trace.map((t) => {
    const other = t.function && t.function !== f.function ? ` <span class="in">in <code>${esc(fnName(t.function))}</code></span>` : '';
    const code = t.text ? ` <code>${esc(t.text.trim())}</code>` : '';
    return `<li><span class="ln">${t.line === null ? '?' : esc(t.line)}</span>${code}${other} <span class="note">${esc(t.note)}</span></li>`;
  });
  return `<div class="trace"><div class="sub">path</div><ol>${items.join('')}</ol></div>`;
}

function witnessBlock(w: Witness | undefined): string {
  if (!w) return '';
  const cols = w.threads.map((t) => t.id);
  for (const s of w.steps) if (!cols.includes(s.thread)) cols.push(s.thread);
  const own = new Map(w.threads.map((t) => [t.id, t]));
  const heads = cols.map((c) => {
    const t = own.get(c);
    const fn = t ? `<code>${esc(fnName(t.function))}</code>` : '';
    const name = t?.name ? `<span class="tname">${esc(t.name)}</span>` : '';
    return `<th scope="col" class="cpu"><span class="cpuid">${esc(c)}</span>${name}${fn}</th>`;
  });
  const rows = w.steps.map((s, i) => {
    const cells = cols.map((c) => {
      if (c !== s.thread) return '<td class="idle"></td>';
      const t = own.get(c);
      const where = s.function && s.function !== t?.function ? `<span class="in">${esc(fnName(s.function))}:</span> ` : '';
      const line = s.line !== null ? ` <span class="ln">${esc(s.line)}</span>` : '';
      return `<td class="act">${where}<code>${esc(s.text)}</code>${line}${s.note ? `<div class="note">${esc(s.note)}</div>` : ''}</td>`;
    });
    return `<tr><th scope="row" class="step">${i + 1}</th>${cells.join('')}</tr>`;
  });
  const extra: string[] = [`<p class="breaks"><span class="x">breaks</span> ${esc(w.breaks)}</p>`];
  if (w.model) extra.push(`<p class="wmeta">model <code>${esc(w.model)}</code></p>`);
  if (w.invariant) extra.push(`<p class="wmeta">invariant: ${esc(w.invariant)}</p>`);
  return `<div class="witness"><div class="sub">witness: ${esc(plural(cols.length, 'CPU'))}</div><div class="scroll"><table class="wtable"><thead><tr><th scope="col" class="step">#</th>${heads.join('')}</tr></thead><tbody>${rows.join('')}</tbody></table></div>${extra.join('')}</div>`;
}

function fixedBy(f: Finding, ix: ScanIndex | null): string {
  if (f.status !== 'fixed') return '';
  if (!f.patch) return '<p class="fixedby">fixed</p>';
  const p = ix?.patch.get(f.patch);
  const m = ix?.message.get(f.patch);
  const subject = p?.subject || m?.subject;
  const what = subject ? `${titled(subject, m, '')} <span class="muted">(<code>${esc(f.patch)}</code>)</span>` : `<code>${esc(f.patch)}</code>`;
  return `<p class="fixedby">fixed by ${what}</p>`;
}

function findingBlock(f: Finding, n: number, ix: ScanIndex | null): string {
  const st = known(f.status, STATUSES);
  const sev = known(f.severity, SEVERITIES);
  const badges = [
    badge(`sev sev-${sev}`, f.severity, 'severity'),
    badge('rule', f.rule, 'rule'),
    badge(`st st-${st}`, f.status, st === 'introduced' ? 'the patch introduced it' : st === 'fixed' ? 'the patch fixed it' : 'there before and after'),
  ];
  if (f.baseline) badges.push(badge('base', 'baseline', 'in the baseline: known, does not fail the run'));
  const head = `<div class="fhead">${badges.join('')}<span class="conf">${esc(f.confidence)} confidence</span><a class="loc" href="#f${n}" title="link to this finding"><code>${esc(findingLocation(f))}</code> <code>${esc(fnName(f.function))}</code></a></div>`;
  const facts = f.facts?.length
    ? `<details class="facts"><summary>rests on ${esc(plural(f.facts.length, 'fact'))}</summary><ul>${f.facts.map((x) => `<li>${esc(x)}</li>`).join('')}</ul></details>`
    : '';
  const attrs = `id="f${n}" class="finding sev-${sev} st-${st}${f.baseline ? ' is-base' : ''}" data-rule="${esc(f.rule)}" data-severity="${esc(f.severity)}" data-status="${esc(f.status)}" data-baseline="${f.baseline ? 1 : 0}"`;
  return [
    `<article ${attrs}>`,
    head,
    `<p class="msg">${esc(f.message)}</p>`,
    fixedBy(f, ix),
    snippetBlock(f),
    traceBlock(f),
    witnessBlock(f.witness),
    hunkBlock(f),
    facts,
    `<p class="fp">fingerprint <code>${esc(f.fingerprint)}</code></p>`,
    '</article>',
  ]
    .filter(Boolean)
    .join('\n');
}

function renderGroup(doc: RunDocument, g: Group, depth: number, ix: ScanIndex | null, ids: Map<number, number>): string {
  const h = Math.min(6, 3 + depth);
  const total = countFindings(g);
  const out: string[] = [`<section class="group g-${g.level.kind}">`];
  out.push(`<h${h} class="ghead">${g.level.head()} <span class="gcount" data-total="${total}">${esc(plural(total, 'finding'))}</span></h${h}>`);
  if (ix && g.level.kind === 'series') out.push(seriesMeta(ix.series.get(g.level.key)));
  if (ix && g.level.kind === 'patch') out.push(patchMeta(ix.patch.get(g.level.key), ix.message.get(g.level.key), g.level.key));
  for (const c of orderedChildren(g)) out.push(renderGroup(doc, c, depth + 1, ix, ids));
  for (const i of orderedFindings(doc, g.findings)) out.push(findingBlock(doc.findings[i]!, ids.get(i)!, ix));
  out.push('</section>');
  return out.filter(Boolean).join('\n');
}

function countFindings(g: Group): number {
  let n = g.findings.length;
  for (const c of g.children.values()) n += countFindings(c);
  return n;
}

/** Number the findings in the order they are shown (f1, f2 ...), so links are stable for a document. */
function numberFindings(doc: RunDocument, root: Group): Map<number, number> {
  const ids = new Map<number, number>();
  const walk = (g: Group): void => {
    for (const c of orderedChildren(g)) walk(c);
    for (const i of orderedFindings(doc, g.findings)) ids.set(i, ids.size + 1);
  };
  walk(root);
  return ids;
}

// ---------------------------------------------------------------------------------------------
// Header, filters, inputs

function summaryLine(doc: RunDocument): string {
  const s = doc.summary;
  if (doc.command === 'check') {
    const base = s.baseline ? ` (${s.baseline} in the baseline)` : '';
    return s.findings ? `${plural(s.findings, 'finding')} present${base}` : 'no findings';
  }
  return verdictLine(s);
}

function severityLine(doc: RunDocument): string {
  const s = doc.summary.bySeverity;
  return SEVERITIES.map(
    (v) => `<span class="sevn ${(s[v] ?? 0) ? `sev-${v}` : 'zero'}">${esc(plural(s[v] ?? 0, v, v === 'info' ? 'info' : undefined))}</span>`,
  ).join(' ');
}

function shellWord(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

function ruleTable(doc: RunDocument): string {
  const counts = new Map<string, { introduced: number; fixed: number; present: number; baseline: number; total: number }>();
  for (const f of doc.findings) {
    let c = counts.get(f.rule);
    if (!c) counts.set(f.rule, (c = { introduced: 0, fixed: 0, present: 0, baseline: 0, total: 0 }));
    if (f.status === 'introduced' || f.status === 'fixed' || f.status === 'present') c[f.status]++;
    if (f.baseline) c.baseline++;
    c.total++;
  }
  const declared = new Map(doc.rules.map((r) => [r.id, r]));
  const order = [...doc.rules.map((r) => r.id).filter((id) => counts.has(id)), ...[...counts.keys()].filter((id) => !declared.has(id)).sort()];
  const baseCol = doc.summary.baseline > 0;
  const rows = order.map((id) => {
    const c = counts.get(id)!;
    const r = declared.get(id);
    const sev = r ? `<span class="badge sev sev-${known(r.severity, SEVERITIES)}">${esc(r.severity)}</span>` : '';
    const num = (n: number, cls: string): string => `<td class="num${n ? ` ${cls}` : ' zero'}">${n}</td>`;
    return `<tr><th scope="row"><code>${esc(id)}</code></th><td>${sev}</td>${num(c.introduced, 'n-introduced')}${num(c.fixed, 'n-fixed')}${num(c.present, 'n-present')}${baseCol ? num(c.baseline, 'n-base') : ''}<td class="num">${c.total}</td></tr>`;
  });
  const quiet = doc.rules.filter((r) => r.enabled && !counts.has(r.id)).map((r) => r.id);
  const off = doc.rules.filter((r) => !r.enabled).map((r) => r.id);
  const foot: string[] = [];
  if (quiet.length) foot.push(`no findings: ${quiet.map((id) => `<code>${esc(id)}</code>`).join(', ')}`);
  if (off.length) foot.push(`disabled: ${off.map((id) => `<code>${esc(id)}</code>`).join(', ')}`);
  const table = rows.length
    ? `<div class="scroll"><table class="rules"><thead><tr><th scope="col">rule</th><th scope="col">severity</th><th scope="col" class="num">introduced</th><th scope="col" class="num">fixed</th><th scope="col" class="num">present</th>${baseCol ? '<th scope="col" class="num">baseline</th>' : ''}<th scope="col" class="num">total</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`
    : '';
  return `${table}${foot.length ? `<p class="rulefoot">${foot.join('<br>')}</p>` : ''}`;
}

function header(doc: RunDocument): string {
  const inv = doc.invocation;
  const args = inv?.args?.length ? `<code>kreview ${esc(inv.args.map(shellWord).join(' '))}</code>` : '';
  const more: string[] = [];
  if (inv?.tree) more.push(`tree <code>${esc(inv.tree)}</code>`);
  if (inv?.config) more.push(`config <code>${esc(inv.config)}</code>`);
  if (inv?.baseline) more.push(`baseline <code>${esc(inv.baseline)}</code>`);
  const read =
    doc.command === 'scan'
      ? `${plural(doc.messages.length, 'message')}, ${plural(doc.patches.length, 'patch', 'patches')}`
      : `${plural(doc.files.filter((f) => f.status === 'ok').length, 'file')}, ${plural(
          doc.files.reduce((a, f) => a + (f.functions ?? 0), 0),
          'function',
        )}`;
  return [
    '<header class="top">',
    `<div class="brand"><span class="logo">kreview</span><span class="ver">${esc(doc.tool?.version)}</span><span class="cmd">${esc(doc.command)}</span></div>`,
    `<p class="summary" id="summary">${esc(summaryLine(doc))}</p>`,
    `<p class="sevline">${severityLine(doc)} <span class="muted">· ${esc(read)}</span></p>`,
    args || more.length ? `<p class="inv">${[args, ...more].filter(Boolean).join(' · ')}</p>` : '',
    ruleTable(doc),
    '</header>',
  ]
    .filter(Boolean)
    .join('\n');
}

function filters(doc: RunDocument): string {
  if (!doc.findings.length) return '';
  const box = (name: string, value: string, label: string): string =>
    `<label class="opt"><input type="checkbox" name="${name}" value="${value}" checked> ${label} <span class="n" data-facet="${name}" data-value="${value}"></span></label>`;
  const statuses = STATUSES.filter((s) => doc.command === 'scan' || s === 'present');
  const rules = [...new Set(doc.findings.map((f) => f.rule))];
  const ruleOrder = [...doc.rules.map((r) => r.id).filter((id) => rules.includes(id)), ...rules.filter((id) => !doc.rules.some((r) => r.id === id)).sort()];
  const opts = ruleOrder.map((id) => `<option value="${esc(id)}" data-label="${esc(id)}">${esc(id)}</option>`);
  const base =
    doc.summary.baseline > 0
      ? `<fieldset><legend>baseline</legend><label class="opt"><input type="checkbox" name="hidebase" value="1"> hide baseline <span class="n" data-facet="baseline" data-value="1"></span></label></fieldset>`
      : '';
  return [
    '<form id="filters" class="filters" hidden aria-label="filter findings">',
    `<fieldset><legend>status</legend>${statuses.map((s) => box('status', s, `<span class="badge st st-${s}">${s}</span>`)).join('')}</fieldset>`,
    `<fieldset><legend>severity</legend>${SEVERITIES.map((s) => box('severity', s, `<span class="badge sev sev-${s}">${s}</span>`)).join('')}</fieldset>`,
    `<fieldset><legend>rule</legend><select name="rule" aria-label="rule"><option value="" data-label="all rules">all rules</option>${opts.join('')}</select></fieldset>`,
    base,
    `<div class="shown"><output id="shown" aria-live="polite">showing ${doc.findings.length} of ${doc.findings.length}</output> <button type="reset">show all</button></div>`,
    '</form>',
  ]
    .filter(Boolean)
    .join('');
}

function table(head: string[], rows: string[][], cls = 'data'): string {
  return `<div class="scroll"><table class="${cls}"><thead><tr>${head.map((h) => `<th scope="col">${h}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table></div>`;
}

/** A list that may be long: open when short. */
function fold(summary: string, body: string, count: number, openUpTo = 12): string {
  return `<details class="fold"${count <= openUpTo ? ' open' : ''}><summary>${summary}</summary>${body}</details>`;
}

function messageWhere(m: MessageEntry): string {
  return `<code>${esc(`${m.input}#${m.index}`)}</code>${m.file ? ` <span class="muted">${esc(m.file)}</span>` : ''}`;
}

function scanInputs(doc: RunDocument, ix: ScanIndex): string {
  const out: string[] = [];
  const inputs = doc.inputs.map((i) => {
    const problems = [
      ...i.errors.map((e) => `<li class="err">${esc(e)}</li>`),
      ...i.skipped.map((s) => `<li>skipped <code>${esc(s.item)}</code>: ${esc(s.reason)}</li>`),
    ];
    return [
      `<code>${esc(i.path)}</code>`,
      esc(`${i.kind}${i.format ? ` (${i.format})` : ''}`),
      `${i.messages}`,
      problems.length ? `<ul class="plain">${problems.join('')}</ul>` : '<span class="muted">none</span>',
    ];
  });
  if (inputs.length) out.push(table(['input', 'read as', 'messages', 'errors and skipped entries'], inputs));
  const errors = doc.messages.filter((m) => m.status === 'error');
  const none = doc.messages.filter((m) => m.status === 'no-patch');
  const withPatch = doc.messages.filter((m) => m.status === 'ok');
  out.push(
    `<p>${esc(plural(doc.messages.length, 'message'))}: ${esc(`${withPatch.length} with patches, ${none.length} without a patch, ${errors.length} with errors`)}.</p>`,
  );
  if (errors.length) {
    const rows = errors.map((m) => [messageWhere(m), esc(m.subject || '(no subject)'), `<span class="err">${esc(m.error ?? 'error')}</span>`]);
    out.push(`<h3>Messages with errors</h3>${table(['message', 'subject', 'error'], rows)}`);
  }
  if (none.length) {
    const rows = none.map((m) => [messageWhere(m), titled(m.subject, m, '(no subject)'), esc(m.from), esc(m.note ?? 'no diff, quoted diff or code found')]);
    out.push(fold(`<h3>Messages without a patch (${none.length})</h3>`, table(['message', 'subject', 'from', 'why'], rows), none.length));
  }
  if (doc.patches.length) {
    const counts = new Map<string, number>();
    for (const f of doc.findings) if (f.patch) counts.set(f.patch, (counts.get(f.patch) ?? 0) + 1);
    const rows = doc.patches.map((p) => {
      const m = ix.message.get(p.id);
      const files = p.files.map(
        (x) =>
          `<code>${esc(x.path ?? '(no file name)')}</code>${x.functions.length ? `: ${x.functions.map((fn) => `<code>${esc(fn)}</code>`).join(', ')}` : ''}`,
      );
      const n = counts.get(p.id) ?? 0;
      return [
        `<code>${esc(p.id)}</code>`,
        titled(p.subject || m?.subject || '', m, ''),
        esc(`${KIND_WORD[p.kind] ?? p.kind}${p.damage.length ? `; damage: ${p.damage.join(', ')}` : ''}`),
        files.length ? files.join('<br>') : '<span class="muted">no files</span>',
        n ? `${n}` : '<span class="muted">0</span>',
      ];
    });
    out.push(
      fold(`<h3>Patches reviewed (${doc.patches.length})</h3>`, table(['patch', 'subject', 'kind', 'files: functions', 'findings'], rows), doc.patches.length),
    );
  }
  return out.join('\n');
}

function checkInputs(doc: RunDocument): string {
  const ok = doc.files.filter((f) => f.status === 'ok');
  const other = doc.files.filter((f) => f.status !== 'ok');
  const out = [
    `<p>${esc(
      `${plural(doc.files.length, 'file')} given: ${ok.length} analysed (${plural(
        ok.reduce((a, f) => a + f.functions, 0),
        'function',
      )}), ${other.filter((f) => f.status === 'ignored').length} ignored, ${other.filter((f) => f.status === 'unreadable').length} unreadable${other.some((f) => f.status === 'failed') ? `, ${other.filter((f) => f.status === 'failed').length} failed` : ''}`,
    )}.</p>`,
  ];
  if (other.length) {
    const rows = other.map((f: CheckedFile) => [
      `<code>${esc(f.path)}</code>`,
      `<span class="${f.status === 'unreadable' || f.status === 'failed' ? 'err' : 'muted'}">${esc(f.status)}</span>`,
      esc(f.reason ?? ''),
    ]);
    out.push(`<h3>Files not analysed</h3>${table(['file', 'status', 'why'], rows)}`);
  }
  return out.join('\n');
}

function inputsSection(doc: RunDocument, ix: ScanIndex | null): string {
  const body = doc.command === 'scan' && ix ? scanInputs(doc, ix) : checkInputs(doc);
  const notes = doc.notes.length
    ? fold(`<h3>Notes (${doc.notes.length})</h3>`, `<ul class="notes">${doc.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`, doc.notes.length, 20)
    : '';
  return `<section id="inputs" class="inputs"><h2>Inputs</h2>\n${body}\n${notes}</section>`;
}

// ---------------------------------------------------------------------------------------------
// The page

/** The report's stylesheet; the nightly site's pages build on it. */
export const STYLE = `
:root{--fg:#1f2328;--muted:#59636e;--bg:#fff;--bg2:#f6f8fa;--line:#d1d9e0;--code:#f6f8fa;
--err:#b42318;--err-bg:#fee4e2;--warn:#9a4a00;--warn-bg:#fdefc8;--info:#1656b8;--info-bg:#dbeafe;
--intro:#b42318;--fixed:#1a7f37;--present:#59636e;--hl:#fff1a8;--hl-edge:#d4a72c;--tr:#e3eefc;--tr-edge:#6ea0e6;
--add:#e6ffec;--del:#ffebe9;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;--bg2:#151b23;--line:#3d444d;--code:#151b23;
--err:#ff7b72;--err-bg:#4b1a1a;--warn:#e3b341;--warn-bg:#3d2c00;--info:#79c0ff;--info-bg:#0c2d6b;--intro:#ff7b72;--fixed:#56d364;--present:#9198a1;
--hl:#4d3b00;--hl-edge:#bb8009;--tr:#12294a;--tr-edge:#388bfd;--add:#12361f;--del:#4b1a1a}}
*{box-sizing:border-box}
[hidden]{display:none!important}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1120px;margin:0 auto;padding:20px 24px 48px}
code,pre,.src,.ln{font-family:ui-monospace,SFMono-Regular,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:13px}
code{overflow-wrap:break-word}
.data td:first-child code{white-space:nowrap}
h2{font-size:20px;margin:32px 0 12px;padding-bottom:6px;border-bottom:1px solid var(--line)}
h3{font-size:16px}
.muted{color:var(--muted)}
.scroll{overflow-x:auto;max-width:100%}
.top{border-bottom:1px solid var(--line);padding-bottom:12px}
.brand{display:flex;gap:10px;align-items:baseline;flex-wrap:wrap}
.logo{font-weight:700;font-size:22px;letter-spacing:-.01em}
.ver{color:var(--muted)}
.cmd{font-family:ui-monospace,monospace;font-size:13px;background:var(--bg2);border:1px solid var(--line);border-radius:4px;padding:0 6px}
.summary{font-size:21px;font-weight:600;margin:10px 0 2px}
.sevline{margin:0 0 6px}
.sevn{font-weight:600;margin-right:6px}
.sevn.sev-error{color:var(--err)}.sevn.sev-warning{color:var(--warn)}.sevn.sev-info{color:var(--info)}
.inv{margin:4px 0 10px;color:var(--muted);font-size:13px;overflow-wrap:anywhere}
table{border-collapse:collapse}
.rules,.data{font-size:13px;margin:6px 0}
.data{min-width:640px}
.rules th,.rules td,.data th,.data td{border-bottom:1px solid var(--line);padding:3px 10px 3px 0;text-align:left;vertical-align:top}
.rules thead th,.data thead th{color:var(--muted);font-weight:600;border-bottom:2px solid var(--line)}
.num{text-align:right!important;font-variant-numeric:tabular-nums;padding-left:12px!important}
.zero{color:var(--muted)}
.n-introduced{color:var(--intro);font-weight:700}.n-fixed{color:var(--fixed);font-weight:700}
.rules th code{white-space:nowrap}
.rulefoot{font-size:12px;color:var(--muted);margin:4px 0 0}
.badge{display:inline-block;font-size:12px;line-height:18px;padding:0 7px;border-radius:9px;border:1px solid transparent;font-weight:600;white-space:nowrap;font-family:system-ui,sans-serif}
.sev-error.badge{background:var(--err-bg);color:var(--err)}
.sev-warning.badge{background:var(--warn-bg);color:var(--warn)}
.sev-info.badge{background:var(--info-bg);color:var(--info)}
.badge.rule{background:var(--bg2);border-color:var(--line);color:var(--fg);font-family:ui-monospace,monospace;font-weight:500}
.st-introduced.badge{background:var(--intro);color:#fff}
.st-fixed.badge{background:var(--fixed);color:#fff}
.st-present.badge{background:transparent;border-color:var(--present);color:var(--present)}
.badge.base{border:1px dashed var(--muted);color:var(--muted);background:transparent}
.filters{position:sticky;top:0;z-index:2;background:var(--bg);display:flex;flex-wrap:wrap;gap:4px 18px;align-items:center;padding:8px 0;border-bottom:1px solid var(--line);margin-bottom:8px}
.filters fieldset{border:0;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:2px 10px;align-items:center}
.filters legend{float:left;font-size:12px;color:var(--muted);margin-right:6px;padding:0}
.opt{font-size:13px;white-space:nowrap;cursor:pointer}
.opt .n{color:var(--muted);font-variant-numeric:tabular-nums}
.filters select{font:inherit;font-size:13px;max-width:16em}
.shown{margin-left:auto;font-size:13px;color:var(--muted)}
.shown button{font:inherit;font-size:12px;margin-left:6px}
.group{margin:0}
.ghead{margin:18px 0 4px;display:flex;flex-wrap:wrap;gap:4px 8px;align-items:baseline;overflow-wrap:anywhere}
.ghead .muted{font-size:12px;font-weight:400}
.gcount{font-size:12px;font-weight:400;color:var(--muted);white-space:nowrap}
.kind{font-size:11px;font-weight:600;text-transform:uppercase;letter-spacing:.05em;color:var(--muted)}
.pos{font-family:ui-monospace,monospace;font-size:.9em;color:var(--muted)}
.gmeta{margin:0 0 6px;font-size:13px;color:var(--muted);overflow-wrap:anywhere}
.g-series>.ghead{font-size:19px}
.g-patch{border-left:3px solid var(--line);padding-left:14px;margin-left:2px}
.g-patch>.ghead{font-size:16px}
.g-file>.ghead{font-size:14px;margin-top:14px}
.g-function>.ghead{font-size:13px;margin:10px 0 4px;font-weight:600}
.g-function{margin-left:12px}
.finding{border:1px solid var(--line);border-left:4px solid var(--muted);border-radius:6px;padding:10px 14px 8px;margin:6px 0 14px;background:var(--bg);break-inside:avoid}
.finding.sev-error{border-left-color:var(--err)}.finding.sev-warning{border-left-color:var(--warn)}.finding.sev-info{border-left-color:var(--info)}
.finding:target{box-shadow:0 0 0 3px var(--tr-edge)}
.fhead{display:flex;flex-wrap:wrap;gap:6px;align-items:center}
.conf{font-size:12px;color:var(--muted)}
.loc{margin-left:auto;color:var(--fg);text-decoration:none;overflow-wrap:anywhere}
.loc:hover{text-decoration:underline}
.msg{margin:8px 0 6px;font-weight:500}
.fixedby{margin:0 0 6px;font-size:13px;color:var(--fixed)}
.sub{font-size:12px;font-weight:600;color:var(--muted);text-transform:uppercase;letter-spacing:.04em;margin:8px 0 2px}
.code{border:1px solid var(--line);border-radius:5px;margin:8px 0;background:var(--code)}
.code-h{font-size:12px;color:var(--muted);padding:3px 8px;border-bottom:1px solid var(--line);display:flex;gap:8px;flex-wrap:wrap}
.legend{margin-left:auto;display:flex;gap:6px}
.key{padding:0 6px;border-radius:3px;border-left:3px solid}
.key.hl-line{background:var(--hl);border-color:var(--hl-edge);color:var(--fg)}
.key.hl-trace{background:var(--tr);border-color:var(--tr-edge);color:var(--fg)}
.snippet{width:100%;tab-size:8;-moz-tab-size:8}
.snippet td{padding:0 8px;white-space:pre;line-height:1.45}
.snippet .ln{width:1%;text-align:right;color:var(--muted);user-select:none;border-right:1px solid var(--line);border-left:3px solid transparent}
.snippet tr.hl-line td{background:var(--hl)}
.snippet tr.hl-line .ln{border-left-color:var(--hl-edge);color:var(--fg);font-weight:700}
.snippet tr.hl-trace td{background:var(--tr)}
.snippet tr.hl-trace .ln{border-left-color:var(--tr-edge)}
.snippet tr.gap td{color:var(--muted);line-height:1.1;padding-top:1px;padding-bottom:1px}
.trace ol{margin:2px 0 6px;padding-left:28px;font-size:13px}
.trace li{margin:1px 0}
.trace .ln{display:inline-block;min-width:3.2em;color:var(--muted)}
.trace .ln::before{content:"line ";font-family:system-ui,sans-serif;font-size:11px}
.note{color:var(--muted)}
.in{color:var(--muted);font-size:12px}
.wtable{font-size:13px;margin:2px 0 4px;border:1px solid var(--line)}
.wtable th,.wtable td{border:1px solid var(--line);padding:3px 8px;vertical-align:top;text-align:left}
.wtable thead th{background:var(--bg2)}
.wtable .cpu{min-width:14em}
.cpuid{display:block;font-weight:700}
.tname{display:block;font-size:11px;color:var(--muted);font-weight:400}
.wtable td.idle{background:var(--bg2)}
.wtable .step{color:var(--muted);font-weight:400;text-align:right;width:1%}
.wtable .note{font-size:12px}
.wtable .ln{color:var(--muted);font-size:11px}
.wtable .ln::before{content:"line ";font-family:system-ui,sans-serif}
.breaks{margin:4px 0;font-size:13px;font-weight:600}
.breaks .x{color:var(--err);text-transform:uppercase;font-size:11px;letter-spacing:.05em;margin-right:4px}
.wmeta{margin:2px 0;font-size:13px;color:var(--muted)}
details>summary{cursor:pointer;font-size:13px;color:var(--muted)}
details.facts,details.hunk{margin:6px 0}
details.facts ul{margin:4px 0;padding-left:22px;font-size:13px}
.hunk pre{margin:4px 0;padding:6px 8px;background:var(--code);border:1px solid var(--line);border-radius:5px;tab-size:8;-moz-tab-size:8;line-height:1.4}
.hunk .add{background:var(--add);display:inline-block;min-width:100%}.hunk .del{background:var(--del);display:inline-block;min-width:100%}.hunk .hh{color:var(--info)}
.fp{margin:6px 0 0;font-size:12px;color:var(--muted)}
.none{color:var(--muted)}
.inputs p{margin:6px 0}
.fold>summary h3{display:inline;font-size:15px;color:var(--fg)}
.fold{margin:12px 0}
.inputs h3{margin:16px 0 4px}
ul.plain{margin:0;padding-left:16px}
.err{color:var(--err)}
.notes{font-size:13px;margin:4px 0;padding-left:20px}
.notes li{overflow-wrap:anywhere}
footer{margin-top:32px;font-size:12px;color:var(--muted)}
@media (max-width:640px){main{padding:12px}.snippet,.hunk pre{tab-size:4;-moz-tab-size:4}.loc{margin-left:0;width:100%}.shown{margin-left:0}.summary{font-size:18px}.g-patch{padding-left:8px}.g-function{margin-left:4px}}
@media print{
:root{--bg:#fff;--fg:#000;--bg2:#f4f4f4;--code:#fafafa}
body{font-size:11pt}
main{max-width:none;padding:0}
.filters,#nojs{display:none!important}
.finding{box-shadow:none}
.scroll{overflow:visible}
.snippet td{white-space:pre-wrap}
a{color:inherit;text-decoration:none}
.st-introduced.badge,.st-fixed.badge{-webkit-print-color-adjust:exact;print-color-adjust:exact}
.snippet tr td,.badge,.wtable td.idle{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
`;

// The filters: hide findings that do not match, hide groups with nothing left, and count what each
// choice would show given the others. Reads only the data-* attributes; runs once at load.
const SCRIPT = `
(function () {
  var form = document.getElementById('filters');
  if (!form) return;
  form.hidden = false;
  var nojs = document.getElementById('nojs');
  if (nojs) nojs.hidden = true;
  var all = Array.prototype.slice.call(document.querySelectorAll('article.finding'));
  var groups = Array.prototype.slice.call(document.querySelectorAll('section.group'));
  var above = all.map(function (f) {
    var out = [];
    for (var p = f.parentElement; p; p = p.parentElement) if (p.classList && p.classList.contains('group')) out.push(p);
    return out;
  });
  function checked(name) {
    var on = {};
    Array.prototype.forEach.call(form.querySelectorAll('input[name="' + name + '"]'), function (i) { on[i.value] = i.checked; });
    return on;
  }
  function bump(o, k) { o[k] = (o[k] || 0) + 1; }
  function update() {
    var status = checked('status'), severity = checked('severity');
    var rule = form.elements.rule ? form.elements.rule.value : '';
    var hb = form.elements.hidebase ? form.elements.hidebase.checked : false;
    var n = { status: {}, severity: {}, rule: {}, baseline: {} }, shown = 0, visible = new Map();
    all.forEach(function (f, i) {
      var s = f.getAttribute('data-status'), v = f.getAttribute('data-severity'), r = f.getAttribute('data-rule'), b = f.getAttribute('data-baseline') === '1';
      var okS = status[s] !== false, okV = severity[v] !== false, okR = !rule || r === rule, okB = !(hb && b);
      if (okV && okR && okB) bump(n.status, s);
      if (okS && okR && okB) bump(n.severity, v);
      if (okS && okV && okB) { bump(n.rule, r); bump(n.rule, ''); }
      if (okS && okV && okR && b) bump(n.baseline, '1');
      var show = okS && okV && okR && okB;
      f.hidden = !show;
      if (show) { shown++; above[i].forEach(function (g) { visible.set(g, (visible.get(g) || 0) + 1); }); }
    });
    groups.forEach(function (g) {
      var k = visible.get(g) || 0, c = g.querySelector('.gcount'), t = c ? +c.getAttribute('data-total') : 0;
      g.hidden = k === 0;
      if (c) c.textContent = (k === t ? '' : k + ' of ') + t + (t === 1 ? ' finding' : ' findings');
    });
    Array.prototype.forEach.call(form.querySelectorAll('[data-facet]'), function (e) {
      e.textContent = '(' + (n[e.getAttribute('data-facet')][e.getAttribute('data-value')] || 0) + ')';
    });
    if (form.elements.rule) Array.prototype.forEach.call(form.elements.rule.options, function (o) {
      o.textContent = o.getAttribute('data-label') + ' (' + (n.rule[o.value] || 0) + ')';
    });
    var out = document.getElementById('shown');
    if (out) out.textContent = 'showing ' + shown + ' of ' + all.length;
    var none = document.getElementById('nothing-shown');
    if (none) none.hidden = shown !== 0;
  }
  form.addEventListener('change', update);
  form.addEventListener('reset', function () { setTimeout(update, 0); });
  update();
})();
`;

/** A CSP source allowing exactly this inline style or script. */
export const cspHash = (s: string): string => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;

/**
 * A page's head, from the doctype to </head>: a Content-Security-Policy that allows nothing but the
 * one inline style (and the one inline script, if any) by hash, no referrer, a data: icon so the
 * browser asks for no favicon. `style` and `script` must be exactly what the page inlines.
 */
export function htmlHead(o: { title: string; style: string; script?: string; generator: string }): string {
  const csp = [
    "default-src 'none'",
    `style-src ${cspHash(o.style)}`,
    ...(o.script !== undefined ? [`script-src ${cspHash(o.script)}`] : []),
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="generator" content="${esc(o.generator)}">
<link rel="icon" href="data:,">
<title>${esc(o.title)}</title>
<style>${o.style}</style>
</head>`;
}

export function renderHtml(doc: RunDocument): string {
  const ix = doc.command === 'scan' ? scanIndex(doc) : null;
  const root = buildTree(doc, ix ? scanLevels(doc, ix) : checkLevels(doc));
  const ids = numberFindings(doc, root);
  const groups = orderedChildren(root).map((g) => renderGroup(doc, g, 0, ix, ids));
  const findings = doc.findings.length
    ? `${groups.join('\n')}\n<p id="nothing-shown" class="none" hidden>No finding matches the filters.</p>`
    : '<p class="none">No findings.</p>';
  const title = `kreview ${doc.command}: ${summaryLine(doc)}`;
  return `${htmlHead({ title, style: STYLE, script: SCRIPT, generator: `kreview ${doc.tool?.version ?? ''}` })}
<body>
<main>
${header(doc)}
<section id="findings" class="findings">
<h2>Findings</h2>
${filters(doc)}
${doc.findings.length ? '<p id="nojs" class="muted">Filters need JavaScript; every finding is shown.</p>' : ''}
${findings}
</section>
${inputsSection(doc, ix)}
<footer>kreview ${esc(doc.tool?.version)} · run document schema version ${esc(doc.schemaVersion)}</footer>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

// A night's digest in Markdown (digest.md in the run's folder): what changed since the previous run,
// per series and version, one line per finding in kreview's Smatch shape after its verdict; what
// kreview's own change did, apart; the sources' errors and warnings. Titles, names and messages come
// from mail: each is put on one line and escaped, and Smatch lines go in code spans no backtick ends.

import type { Finding } from '../analysis/types.js';
import { plural, when } from '../report/html.js';
import { codeSpan, mdEscape } from '../report/markdown.js';
import { formatFinding } from '../report/smatch.js';
import type { Digest, DigestFinding, DigestSeries, DigestVersion } from './digest.js';

export interface DigestLinks {
  /** The run's HTML report, relative to digest.md. */
  report?: string;
  /** A series' page, relative to digest.md. */
  series?: (id: number) => string;
  /** The front page, relative to digest.md. */
  front?: string;
}

/** One line: line breaks, tabs and other control characters become spaces. */
export const oneLine = (s: unknown): string =>
  String(s ?? '')
    .replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ')
    .trim();

/** Text from mail as Markdown text: one line, no markup, no HTML, no entity, no heading closer. */
export const mdText = (s: unknown): string => mdEscape(oneLine(s).replace(/&/g, '&amp;')).replace(/#/g, '\\#');

/** A finding as kreview's Smatch line, in a code span. */
export function smatchSpan(f: Finding): string {
  let line: string;
  try {
    line = formatFinding(f, { details: false });
  } catch {
    line = `${f.file ?? '?'}:${f.line ?? '?'} ${f.function}() ${f.message} [${f.rule}]`;
  }
  return codeSpan(oneLine(line));
}

/** The counts line of a digest. */
export function countsLine(c: Digest['counts']): string {
  return `${c.new} new, ${c.fixed} fixed, ${c.persisting} still there, ${c.replies} from review replies, ${c.tool} changed by kreview`;
}

/** What a finding's verdict says, in words, for version `v`. */
export function verdictWords(verdict: string, v: number, since: number): string {
  switch (verdict) {
    case 'new':
      return `new in v${v}`;
    case 'fixed':
      return since && since !== v ? `fixed in v${v} (there since v${since})` : `fixed in v${v}`;
    case 'persisting':
      return `still there since v${since}`;
    case 'reply':
      return `from a review reply to v${v}`;
    case 'tool-new':
      return `kreview now finds it in v${v}`;
    case 'tool-gone':
      return `kreview no longer finds it in v${v}`;
    default:
      return verdict;
  }
}

function item(f: DigestFinding, v: number): string {
  const patch = f.patch ? ` — ${f.verdict === 'fixed' || f.verdict === 'tool-gone' ? 'was in' : 'in'} ${mdText(f.patch)}` : '';
  return `- **${verdictWords(f.verdict, v, f.since)}**: ${smatchSpan(f.finding)}${patch}`;
}

function versionBlock(v: DigestVersion): string[] {
  const lines = [...v.new, ...v.fixed, ...v.persisting, ...v.replies].map((f) => item(f, v.version));
  if (!lines.length && (v.toolNew.length || v.toolGone.length)) return [];
  return [`### v${v.version}`, '', ...(lines.length ? lines : [`- nothing found in v${v.version}`]), ''];
}

function seriesBlock(s: DigestSeries, links: DigestLinks): string[] {
  const page = links.series ? ` · [series page](${links.series(s.id)})` : '';
  const out = [`## ${mdText(s.title || '(no title)')}`, '', `by ${mdText(s.author || '(unknown)')}${page}`, ''];
  for (const v of s.versions) out.push(...versionBlock(v));
  const tool = s.versions.flatMap((v) => [...v.toolNew, ...v.toolGone].map((f) => item(f, v.version)));
  if (tool.length) {
    out.push(
      '### Changed by kreview, not by the patch',
      '',
      'kreview (its version or its semantics) changed since the version before was analysed; analysed again, it says:',
      '',
      ...tool,
      '',
    );
  }
  return out;
}

export function digestMarkdown(d: Digest, links: DigestLinks = {}): string {
  const out: string[] = [];
  const day = d.run.startedAt.slice(0, 10);
  out.push(`# kreview nightly: ${mdText(day)}`, '');
  const nav = [links.report ? `[the night's report](${links.report})` : '', links.front ? `[all runs and series](${links.front})` : ''].filter(Boolean);
  out.push(`Run ${d.run.id}, started ${mdText(when(d.run.startedAt))}, kreview ${mdText(d.run.toolVersion)}.${nav.length ? ` ${nav.join(' · ')}` : ''}`, '');
  const since = d.previous ? `${when(d.previous.startedAt)} (run ${d.previous.id})` : null;
  if (d.nothingNew) {
    out.push(since ? `**Nothing new since ${mdText(since)}.**` : '**Nothing new: no message, no finding (the first run).**', '');
  } else {
    out.push(`${plural(d.messages, 'new message')}${since ? ` since ${mdText(since)}` : ' (the first run)'}: **${countsLine(d.counts)}**.`, '');
  }
  for (const s of d.series) out.push(...seriesBlock(s, links));
  const problems = d.events.filter((e) => e.level === 'error' || e.level === 'warning');
  if (d.events.length) {
    const errors = problems.filter((e) => e.level === 'error').length;
    out.push('## Sources', '', `${plural(errors, 'error')}, ${plural(problems.length - errors, 'warning')}.`, '');
    for (const e of d.events) out.push(`- **${mdText(e.level)}**${e.source ? ` ${codeSpan(oneLine(e.source))}` : ''}: ${mdText(e.text)}`);
    out.push('');
  }
  return `${out.join('\n').replace(/\n+$/, '')}\n`;
}

// Patch stage entry point: every diff, quoted diff, fragment and line-numbered code in a message
// (body and text attachments), and the message's place in a series.
import { damageNotes } from '../ingest/damage.js';
import type { Message } from '../ingest/types.js';
import type { Patch } from './types.js';
import { extractText, type TextSource, type TextStats } from './extract.js';

export type { Patch, SeriesInfo } from './types.js';
export { seriesOf, groupSeries, type SeriesMember, type SeriesEntry, type SeriesVersion, type Grouping } from './series.js';
export { parseSubject } from './subject.js';

export interface Extraction {
  patches: Patch[];
  /** When no patch was found: why, in words a user understands ("prose only, 14 lines; no diff or code"). */
  reason: string | null;
  /** Problems met while extracting (a hunk that could not be repaired ...), each naming the body line. */
  notes: string[];
  /** `base-commit:` trailers at depth 0, also when the message has no patch (a cover letter's). */
  baseCommits: string[];
}

const plural = (n: number, w: string): string => `${n} ${w}${n === 1 ? '' : 's'}`;

/** Why a message gave no patch. */
function nothingFound(msg: Message, stats: TextStats): string {
  if (stats.own === 0 && stats.quoted === 0) return msg.attachments.length ? 'empty body; no patch in the attachments' : 'empty body';
  if (stats.pullRequest) return 'a pull request (git request-pull): the changes are in a git tree, not in the mail';
  if (stats.shortlog && stats.quoted < stats.own) return 'a series description (shortlog or diffstat) without a diff: a cover letter';
  const diffLike = stats.diffLike ? `; ${plural(stats.diffLike, 'line')} start with + or - but read as prose, not C` : '';
  if (stats.quoted > 0) return `a reply that quotes no code (${plural(stats.quoted, 'quoted line')}, ${plural(stats.own, 'line')} of its own)${diffLike}`;
  return `prose only, ${plural(stats.own, 'line')}; no diff or code${diffLike}`;
}

/** Every diff, quoted diff, fragment and line-numbered code in a message (body and text attachments). */
export function extractPatches(msg: Message): Extraction {
  const src: TextSource = {
    input: msg.origin.input,
    messageIndex: msg.origin.index,
    messageId: msg.messageId,
    subject: msg.subject,
    from: 'body',
    hints: msg.damage,
  };
  const found: Omit<Patch, 'id'>[] = [];
  // What ingest had to work around comes first, in words; with no patch it goes with the reason.
  const ingestNotes = damageNotes(msg);
  const notes = [...ingestNotes];
  const bases: string[] = [];
  const body = extractText(msg.body, src);
  found.push(...body.patches);
  notes.push(...body.notes);
  bases.push(...body.baseCommits);
  for (const a of msg.attachments) {
    const name = a.filename ?? `(${a.contentType})`;
    const ex = extractText(a.text, { ...src, from: { attachment: a.filename } });
    found.push(...ex.patches);
    notes.push(...ex.notes.map((n) => `attachment ${name}: ${n}`));
    bases.push(...ex.baseCommits);
    if (!ex.patches.length) notes.push(`attachment ${name}: no patch (${nothingFound({ ...msg, attachments: [] }, ex.stats)})`);
  }
  const patches: Patch[] = found.map((p, k) => ({ id: `${msg.origin.input}#${msg.origin.index}.${k + 1}`, ...p }));
  return {
    patches,
    reason: patches.length ? null : [nothingFound(msg, body.stats), ...ingestNotes].join('; '),
    notes,
    baseCommits: [...new Set(bases)],
  };
}

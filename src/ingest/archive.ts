// Mail saved from web archives as text: pipermail pages, hypermail/lkml.iu.edu, mail-archive.com, marc.info,
// Outlook-quoted replies. There is no header block; the subject, sender and date are found where these
// archives put them. The whole text (up to the archive's own footer) is the body, line for line, so that line
// numbers reported later match the file. This never fails: text with no recognisable shape is still a message.
import type { Message, MessageOrigin } from './types.js';
import { parseDate } from './dates.js';
import { formatAddress, messageId, messageIds, unobscureAddress } from './headers.js';
import { emptyMessage } from './message.js';

interface Found {
  subject: string | null;
  from: string | null;
  date: string | null;
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
}

const HEADER_LINE = /^(from|date|subject|sent|to|cc|message-id|in-reply-to|references|list|newsgroups|reply-to|author)\s*:\s*(.*)$/i;
const ATTRIBUTION = /^On (.*),\s*([^,]+?)\s+wrote:\s*$/;
/** Longest line read as an attribution or a subject (and the bound that keeps ATTRIBUTION cheap). */
const MAX_ATTRIBUTION = 300;
const ORIGINAL_MESSAGE = /^-{3,}\s*Original Message\s*-{3,}\s*$/i;
const PIPERMAIL_FOOTER = /^More information about the .* mailing list\s*$/;
const REPLY_VIA = /Reply via email to/i;
const NAVIGATION = /^\s*\[?\s*(?:date|thread|author|subject)\s+(?:prev|next|index)\b/i;
// pipermail's sender line: "Konstantin Khorenko khorenko at virtuozzo.com"
const PIPERMAIL_SENDER = /^(.*?)\s*([A-Za-z0-9._%+=~-]+ at [A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)\s*$/;

function isDiffish(line: string): boolean {
  return /^(?:diff --git |--- |\+\+\+ |@@ |index [0-9a-f]+\.\.|[+-]\s*\S.*;\s*$)/.test(line);
}

/** marc.info writes addresses as `user () domain ! tld`. */
function unobscureMarc(s: string): string {
  return s.replace(/(\S+) \(\) (\S+)/g, (_m, user: string, dom: string) => `${user}@${dom.replace(/!/g, '.')}`);
}

function cleanSubject(s: string): string {
  return s.replace(REPLY_VIA, ' ').replace(/\s+/g, ' ').trim();
}

function from(s: string): string {
  return formatAddress(unobscureMarc(unobscureAddress(s)));
}

/** Where the archive footer starts (pipermail's "More information about...", "Reply via email to"), or the end. */
function footerStart(lines: string[]): number {
  for (let i = lines.length - 1, seen = 0; i >= 0 && seen < 8; i--) {
    const t = lines[i]!.trim();
    if (!t) continue;
    seen++;
    if (PIPERMAIL_FOOTER.test(t)) return i;
    if (/^Reply via email to\b/i.test(t)) return i;
  }
  return lines.length;
}

function scanHead(lines: string[]): Found {
  const found: Found = { subject: null, from: null, date: null, messageId: null, inReplyTo: null, references: [] };
  let i = 0;
  const nonEmpty = (): number => {
    while (i < lines.length && !lines[i]!.trim()) i++;
    return i;
  };
  nonEmpty();
  // Navigation junk before the subject.
  while (i < lines.length && NAVIGATION.test(lines[i]!)) {
    i++;
    nonEmpty();
  }
  // 1. A subject line: the first line, when it is not a header, an attribution, a quote or code.
  const first = lines[i] ?? '';
  if (
    first.trim() &&
    !HEADER_LINE.test(first) &&
    first.length <= MAX_ATTRIBUTION &&
    !ATTRIBUTION.test(first) &&
    !ORIGINAL_MESSAGE.test(first) &&
    !/^\s*>/.test(first) &&
    !isDiffish(first)
  ) {
    const s = cleanSubject(first);
    if (s) found.subject = s;
    i++;
  }
  // 2. Header-like lines, pipermail's sender and date lines, until the text proper starts.
  let lastHeader: string | null = null;
  for (let n = 0; i < lines.length && n < 40; i++, n++) {
    const line = lines[i]!;
    const t = line.trim();
    if (!t) {
      lastHeader = null;
      continue;
    }
    const h = HEADER_LINE.exec(t);
    if (h) {
      const name = h[1]!.toLowerCase();
      const value = h[2]!.trim();
      lastHeader = name;
      if (name === 'from' || name === 'author') {
        if (found.from) continue;
        // lore's "From: Name @ 2024-03-28 16:34 UTC"
        const at = / @ (\d{4}-\d{2}-\d{2}.*)$/.exec(value);
        found.from = from(at ? value.slice(0, at.index) : value);
        if (at && !found.date) found.date = parseDate(at[1]);
      } else if (name === 'date' || name === 'sent') {
        if (!found.date) found.date = parseDate(value);
      } else if (name === 'subject') {
        if (!found.subject) found.subject = cleanSubject(value);
      } else if (name === 'message-id') {
        found.messageId ??= messageId(value);
      } else if (name === 'in-reply-to') {
        found.inReplyTo ??= messageIds(value)[0] ?? null;
      } else if (name === 'references') {
        found.references.push(...messageIds(value));
      }
      continue;
    }
    if (/^\s/.test(line) && lastHeader) continue; // a wrapped To:/Cc: line
    if (!found.from) {
      const p = PIPERMAIL_SENDER.exec(t);
      const next = lines.slice(i + 1, i + 3).find((l) => l.trim());
      if (p && next && parseDate(next)) {
        found.from = from(p[1] ? `${p[1]} <${p[2]}>` : p[2]!);
        if (!found.date) found.date = parseDate(next);
        i = lines.indexOf(next, i + 1);
        continue;
      }
    }
    break;
  }
  return found;
}

/** The `-----Original Message-----` block nearest the top: Outlook's quoted headers. */
function originalMessage(lines: string[]): { from: string | null; date: string | null; subject: string | null } | null {
  const at = lines.findIndex((l) => ORIGINAL_MESSAGE.test(l.trim()));
  if (at === -1) return null;
  const out = { from: null as string | null, date: null as string | null, subject: null as string | null };
  for (let i = at + 1; i < Math.min(lines.length, at + 40); i++) {
    const t = lines[i]!.trim();
    if (!t) break;
    const h = HEADER_LINE.exec(t);
    if (!h) continue; // wrapped To:/Cc: lists
    const name = h[1]!.toLowerCase();
    if (name === 'from') out.from ??= from(h[2]!);
    else if (name === 'sent' || name === 'date') out.date ??= parseDate(h[2]!);
    else if (name === 'subject') out.subject ??= cleanSubject(h[2]!);
  }
  return out;
}

/** A leading `On <date>, <name> wrote:` line (within the first non-empty lines after the head). */
function leadingAttribution(lines: string[]): { name: string; date: string | null } | null {
  let seen = 0;
  for (const l of lines) {
    const t = l.trim();
    if (!t) continue;
    // Attribution lines are short; the pattern is cubic on a long hostile one.
    const m = t.length <= MAX_ATTRIBUTION ? ATTRIBUTION.exec(t) : null;
    if (m) return { name: from(m[2]!), date: parseDate(m[1]!) };
    if (++seen >= 8) break;
  }
  return null;
}

/** Build a Message from archived text (already decoded, '\n' line ends). */
export function parseArchiveText(text: string, origin: MessageOrigin): Message {
  const msg = emptyMessage(origin);
  msg.damage = ['archive-text'];
  const lines = text.split('\n');
  const cut = footerStart(lines);
  // Every line kept ends with its newline, as in the file.
  msg.body = lines.slice(0, cut).join('\n') + (cut < lines.length && cut > 0 ? '\n' : '');

  const head = scanHead(lines.slice(0, cut));
  const attribution = leadingAttribution(lines.slice(0, cut));
  const original = originalMessage(lines.slice(0, cut));

  let subject = head.subject;
  if (!subject && original?.subject) {
    // The text quotes the message it answers; its own subject was lost with its headers.
    subject = /^(?:re|aw|sv|fwd?):/i.test(original.subject) ? original.subject : `Re: ${original.subject}`;
  }
  msg.subject = subject ?? '';
  // The sender: the archive's own header lines; else whoever the leading attribution names; else the author of
  // the quoted original. The date goes with the same source (a quoted message's date is not this one's).
  if (head.from) {
    msg.from = head.from;
    msg.date = head.date;
  } else if (attribution) {
    msg.from = attribution.name;
    msg.date = head.date ?? attribution.date;
  } else {
    msg.from = original?.from ?? '';
    msg.date = head.date ?? original?.date ?? null;
  }
  msg.messageId = head.messageId;
  msg.inReplyTo = head.inReplyTo;
  msg.references = head.references.length ? head.references : head.inReplyTo ? [head.inReplyTo] : [];
  return msg;
}

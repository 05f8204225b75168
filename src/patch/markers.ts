// Lines that are not diff text but say where one ends or starts: the `-- ` signature, scissors,
// `-----` rules, snip markers, archive footers, in-body header blocks (git am style and the
// `-----Original Message-----` block of Outlook-style replies), `base-commit:` trailers.

import type { BodyLine } from './lines.js';

/** `-- ` (the signature separator; archives often lose its trailing space). */
export const isSignature = (t: string): boolean => t === '-- ' || t === '--';

/** Text git's signature usually holds: `2.43.0`, `2.14.0.rc0.dirty`, `git-series 0.9.1`. */
export const isVersionLine = (t: string): boolean => /^\s*(?:git(?:-series)?\s+)?\d+\.\d+[\w.+-]*\s*$/.test(t);

/** Scissors (`-- >8 --`, `--8<--`, `------------------------ >8 ------`): what follows is the patch. */
export const isScissors = (t: string): boolean =>
  (t.includes('8') || t.includes('%')) && /^\s*(?:-+\s*)?(?:>8|8<|>%|%<)(?:\s*-+)?\s*$/.test(t) && /-{2}/.test(t);

/** A horizontal rule between diffs: a line of dashes (or `=`/`_`) only, five or more. */
export const isRule = (t: string): boolean => /^\s*(?:-{5,}|={5,}|_{5,})\s*$/.test(t);

/** Markers a reviewer puts where quoted text was cut: `[..snip..]`, `[...]`, `[..]`, `...`, `<snip>`. */
export function isSnip(t: string): boolean {
  const s = t.trim();
  if (!s || s.length > 40) return false;
  const c = s[0];
  if (!'.…[<(-sS8'.includes(c!)) return false;
  if (/^(?:\.{3,}|…)$/.test(s)) return true;
  if (/^[[<(]\s*(?:\.{2,}|…)?\s*(?:snip(?:ped)?|skip(?:ped)?|cut|trim(?:med)?|deleted|removed)?\s*(?:\.{2,}|…)?\s*[\]>)]$/i.test(s)) {
    return /\.\.|…|snip|skip|cut|trim|deleted|removed/i.test(s);
  }
  return /^-*\s*(?:8<\s*)?-*\s*(?:snip|snipped)\s*-*(?:\s*8<)?\s*-*$/i.test(s) && /snip/i.test(s);
}

/** Archive footers: nothing after them is the message (pipermail, mailman, web archives). */
export function isFooter(t: string): boolean {
  const c = t[0];
  if (c !== 'M' && c !== 'R' && c !== 'r' && c !== '_' && c !== 'A' && c !== '-') return false;
  return (
    /^More information about the .* mailing list\s*$/.test(t) ||
    /^Reply via email to\b/i.test(t) ||
    /^_{20,}\s*$/.test(t) ||
    /^Attachment: \S+\.(?:asc|sig|p7s)\b/.test(t) ||
    /^-{3,}\s*next part\s*-{3,}$/i.test(t)
  );
}

/** `base-commit: <sha>` trailer (format-patch --base). */
export function baseCommitOf(t: string): string | null {
  const m = /^base-commit:\s*([0-9a-f]{7,64})\s*$/.exec(t);
  return m ? m[1]! : null;
}

/** `From <sha> Mon Sep 17 00:00:00 2001`: the first line of a format-patch file pasted into a body. */
export const isFormatPatchFromLine = (t: string): boolean => /^From [0-9a-f]{40} Mon Sep 17 00:00:00 2001\s*$/.test(t);

const HEADER_NAMES = /^(From|Date|Subject|Sent|To|Cc|Bcc|Reply-To|Message-I[dD]|In-Reply-To|References|Importance|Author):\s?(.*)$/i;
const ORIGINAL_MESSAGE = /^\s*-{2,}\s*(?:Original Message|Forwarded message|Ursprüngliche Nachricht|Message d'origine)\s*-{2,}\s*$/i;

export interface HeaderBlock {
  /** Index just past the block (the blank line after it, or the first line that is not a header). */
  end: number;
  from: string | null;
  subject: string | null;
  date: string | null;
  /** An Outlook-style quoted original (`-----Original Message-----`): what follows is quoted, not sent. */
  original: boolean;
}

/**
 * An in-body header block starting at `i`: `From:`/`Date:`/`Subject:` lines (git am style, possibly
 * after a `From <sha>` line or scissors), or an `-----Original Message-----` block. At least two header
 * fields, or a `Subject:` alone, or a `From:` naming an address, so that prose that happens to start
 * with "Date:" is not taken for one. Folded lines (leading whitespace) and, in Outlook blocks,
 * unindented overflow of long To:/Cc: lines belong to the field before them.
 */
export function headerBlockAt(lines: readonly BodyLine[], i: number, depth: number): HeaderBlock | null {
  let j = i;
  let original = false;
  if (j < lines.length && lines[j]!.depth === depth && ORIGINAL_MESSAGE.test(lines[j]!.text)) {
    original = true;
    j++;
  } else if (j < lines.length && lines[j]!.depth === depth && isFormatPatchFromLine(lines[j]!.text)) {
    j++;
  }
  const fields = new Map<string, string>();
  let last: string | null = null;
  for (; j < lines.length; j++) {
    const l = lines[j]!;
    if (l.depth !== depth) break;
    const t = l.text;
    if (!t.trim()) break;
    const m = HEADER_NAMES.exec(t);
    if (m) {
      last = m[1]!.toLowerCase();
      if (!fields.has(last)) fields.set(last, m[2]!.trim());
      continue;
    }
    if (last && (/^\s/.test(t) || original)) {
      fields.set(last, `${fields.get(last)!} ${t.trim()}`.trim());
      continue;
    }
    break;
  }
  if (fields.size === 0) return null;
  const from = fields.get('from');
  const enough = original || fields.size >= 2 || fields.has('subject') || (from !== undefined && /@|\sat\s|<[^>]+>/.test(from));
  if (!enough) return null;
  // the block must end at a blank line (or the end), as mail headers do
  if (j < lines.length && lines[j]!.depth === depth && lines[j]!.text.trim()) return null;
  // pipermail writes addresses as `name at domain` in the page text
  const who = (fields.get('from') ?? fields.get('author') ?? null)?.replace(/([\w.+-]+) at ([\w-]+(?:\.[\w-]+)+)/, '$1@$2') ?? null;
  return {
    end: j,
    from: who,
    subject: fields.get('subject') ?? null,
    date: fields.get('date') ?? fields.get('sent') ?? null,
    original,
  };
}

/** `On <date>, Name <addr> wrote:` / `Name <addr> writes:` / `On (09/22/16 15:42), Name wrote:`: the quoted author. */
export function attributionOf(t: string): string | null {
  // Attribution lines are short; the pattern below is cubic on a long hostile one.
  if (t.length > 300 || !/wrote|writes|schrieb|écrit/i.test(t)) return null;
  const m = /^(?:On\b.*?,\s*|Am\b.*?\s|Le\b.*?,\s*|\s*)?([^,]*?)\s*(?:wrote|writes|schrieb|a écrit)\s*:\s*$/i.exec(t.trim());
  if (!m) return null;
  let who = m[1]!.replace(/^(?:at\s+)?\d{1,2}:\d{2}(?::\d{2})?\s*(?:[AP]M)?\s*,?\s*/i, '').trim();
  who = who.replace(/^["']|["']$/g, '').trim();
  if (!who || who.length > 120 || /^(?:you|he|she|they|i|we|someone)$/i.test(who)) return null;
  return who;
}

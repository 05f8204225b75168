// Patches saved without mail headers: a bare diff (`diff -u`, `git diff`, quilt) or `git show`/`git log -p`
// output (`commit <sha>`, `Author:`, `Date:`, indented message, diff). One file is one message.
import type { Message, MessageOrigin } from './types.js';
import { parseDate } from './dates.js';
import { formatAddress } from './headers.js';
import { emptyMessage } from './message.js';

const GIT_SHOW_FIRST = /^commit [0-9a-f]{7,64}\b/;
const DIFF_START = /^(?:diff --git |diff -|--- \S|Index: \S|Only in |@@ -\d)/;

/** Is this text a patch without mail headers? (Its first non-blank line starts a diff or a `git show`.) */
export function looksLikePatchText(text: string): boolean {
  const first = firstLine(text);
  return GIT_SHOW_FIRST.test(first) || DIFF_START.test(first);
}

/** Does the text contain a diff anywhere (a `diff --git`, or a `---`/`+++`/`@@` header triple)? */
export function containsDiff(text: string): boolean {
  return /^diff --git /m.test(text) || /^--- \S.*\n\+\+\+ \S.*\n@@ -\d/m.test(text);
}

function firstLine(text: string): string {
  const m = /^\s*([^\n]*)/.exec(text);
  return m ? m[1]!.replace(/\r$/, '') : '';
}

/** Build a Message from a headerless patch file; the subject comes from `git show`'s message or the file name. */
export function parsePatchText(text: string, origin: MessageOrigin, nameForSubject: string): Message {
  const msg = emptyMessage(origin);
  msg.body = text;
  msg.subject = nameForSubject;
  if (GIT_SHOW_FIRST.test(firstLine(text))) {
    const lines = text.split('\n');
    let i = lines.findIndex((l) => GIT_SHOW_FIRST.test(l)) + 1;
    for (; i < lines.length && lines[i]!.trim(); i++) {
      const h = /^(Author|Date|AuthorDate):\s*(.*)$/.exec(lines[i]!);
      if (!h) continue;
      if (h[1] === 'Author') msg.from = formatAddress(h[2]!);
      else msg.date = parseDate(h[2]!);
    }
    const subjectLine = lines.slice(i).find((l) => /^ {4}\S/.test(l));
    if (subjectLine) msg.subject = subjectLine.trim();
  }
  return msg;
}

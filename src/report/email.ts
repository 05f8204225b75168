// Reply mails in the kernel's own style: one reply per patch that introduces something, threaded
// under the patch (In-Reply-To/References), the hunk quoted down to the flagged line with the
// finding right under it (interleaved, never top-posted), how to reproduce, and the trailers to add
// when the problem is fixed in a separate patch. MailComposer (nodemailer) builds the RFC 5322 text.

import { createHash } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import type { Finding } from '../analysis/types.js';
import type { EmailSettings } from '../config/index.js';
import type { MessageEntry, PatchEntry } from '../pipeline.js';
import { patchOf, type RunDocument } from './document.js';
import type { Rendered } from './index.js';
import { formatFinding, formatTrace, formatWitness } from './smatch.js';

/** Leading context kept above a flagged line; more is snipped as `[...]`. */
const QUOTE_CONTEXT = 10;

export interface ReplyMail {
  /** The patch replied to. */
  patch: PatchEntry;
  message: MessageEntry | undefined;
  findings: Finding[];
  messageId: string;
  headers: { from: string; to: string[]; cc: string[]; subject: string; inReplyTo: string | null; references: string[] };
  text: string;
}

const angle = (id: string): string => `<${id}>`;
const addrOf = (a: string): string => (/<([^>]+)>/.exec(a)?.[1] ?? a).trim().toLowerCase();
const domainOf = (a: string): string => addrOf(a).split('@')[1] || 'localhost';

/** Single-quote for a POSIX shell when the word needs it. */
function shellWord(w: string): string {
  return /^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}

/** The command that made the run, without the options that only choose how it was written out. */
export function reproduceArgs(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (['-f', '--format', '-o', '--output', '--out-dir'].includes(a)) {
      i++;
      continue;
    }
    if (/^(--format|--output|--out-dir)=/.test(a) || /^-[fo]./.test(a)) continue;
    out.push(a);
  }
  return out;
}

function greeting(from: string | undefined): string {
  const name = from
    ?.replace(/<[^>]*>/, '')
    .replace(/"/g, '')
    .trim();
  const first = name && !name.includes('@') ? name.split(/\s+/)[0] : null;
  return first ? `Hi ${first},` : 'Hi,';
}

/** "On <date>, <author> wrote:" as mail clients put it above a quote. */
function attribution(m: MessageEntry | undefined): string {
  if (!m) return 'The patch reads:';
  const who = m.from || 'the author';
  if (!m.date) return `${who} wrote:`;
  const d = new Date(m.date);
  const when = Number.isNaN(d.getTime()) ? m.date : d.toUTCString().replace(/GMT$/, '+0000');
  return `On ${when}, ${who} wrote:`;
}

const quote = (l: string): string => (l === '' ? '>' : `> ${l}`);

/** The finding under its quote: the Smatch line, then the path and the witness, indented. */
function findingText(f: Finding): string[] {
  const out = ['', formatFinding(f, { details: false })];
  if (f.trace.length) out.push('', '  path:', ...formatTrace(f).map((l) => `  ${l}`));
  if (f.witness) out.push('', ...formatWitness(f).map((l) => `  ${l}`));
  if (f.facts.length) out.push('', '  rests on:', ...f.facts.map((x) => `    - ${x}`));
  out.push('');
  return out;
}

/** Quote each file's hunks down to the flagged lines, each finding right under its line. */
function interleave(patch: PatchEntry, findings: Finding[]): string[] {
  const out: string[] = [];
  const byFile = new Map<string, Finding[]>();
  for (const f of findings) {
    const k = f.file ?? '';
    byFile.set(k, [...(byFile.get(k) ?? []), f]);
  }
  for (const [file, fs] of byFile) {
    const fp = patch.files.find((x) => (x.path ?? '') === file);
    const inHunk = fs.filter((f) => f.hunk);
    const outside = fs.filter((f) => !f.hunk);
    if (file && inHunk.length) out.push(quote(`diff --git a/${fp?.oldPath ?? file} b/${file}`));
    // Findings in the same hunk: quote it once, continuing from where the last finding left off.
    const hunks = new Map<string, Finding[]>();
    for (const f of inHunk) {
      const k = `${f.hunk!.header}\0${f.hunk!.lines[0] ?? ''}`;
      hunks.set(k, [...(hunks.get(k) ?? []), f]);
    }
    for (const group of hunks.values()) {
      group.sort((a, b) => a.hunk!.lines.length - b.hunk!.lines.length);
      let shown = 0;
      for (const f of group) {
        const lines = f.hunk!.lines;
        if (shown === 0) {
          out.push(quote(f.hunk!.header));
          if (lines.length > QUOTE_CONTEXT) {
            out.push(quote('[...]'));
            shown = lines.length - QUOTE_CONTEXT;
          }
        } else if (lines.length - shown > QUOTE_CONTEXT) {
          out.push(quote('[...]'));
          shown = lines.length - QUOTE_CONTEXT;
        }
        out.push(...lines.slice(shown).map(quote));
        shown = lines.length;
        out.push(...findingText(f));
      }
    }
    // A finding on a line the hunks do not show (a return the new code reaches): the code as it
    // is after the patch, with line numbers, so it is not mistaken for what the author sent.
    for (const f of outside) {
      out.push(`At ${file || f.input}${f.line !== null ? `:${f.line}` : ''}, after this patch (not in the hunks):`, '');
      for (const l of f.snippet) out.push(`  ${String(l.line).padStart(5)}  ${l.text}`);
      out.push(...findingText(f));
    }
  }
  return out;
}

function reportId(patchMsgId: string | null, patchId: string, findings: Finding[], from: string): string {
  const h = createHash('sha1')
    .update([patchMsgId ?? patchId, ...findings.map((f) => f.fingerprint).sort()].join('\0'))
    .digest('hex')
    .slice(0, 20);
  return `kreview-${h}@${domainOf(from)}`;
}

/** The reply to each patch that introduces something not in the baseline. */
export function replyMails(doc: RunDocument, settings: EmailSettings): ReplyMail[] {
  const byPatch = new Map<string, Finding[]>();
  for (const f of doc.findings) {
    if (f.status !== 'introduced' || f.baseline || !f.patch) continue;
    byPatch.set(f.patch, [...(byPatch.get(f.patch) ?? []), f]);
  }
  const mails: ReplyMail[] = [];
  for (const p of doc.patches) {
    const findings = byPatch.get(p.id);
    if (!findings) continue;
    const { message } = patchOf(doc, p.id) ?? { message: undefined };
    const origSubject = message?.subject || p.subject || '(no subject)';
    const subject = /^re:/i.test(origSubject) ? origSubject : `Re: ${origSubject}`;
    const messageId = reportId(p.messageId, p.id, findings, settings.from);
    const references = p.messageId ? [...(message?.references ?? []).filter((r) => r !== p.messageId), p.messageId] : [];
    const self = addrOf(settings.from);
    const to = settings.replyAll && message?.from ? [message.from] : [];
    const cc: string[] = [];
    if (settings.replyAll) {
      const seen = new Set([self, ...to.map(addrOf)]);
      for (const a of [...(message?.to ?? []), ...(message?.cc ?? [])]) {
        if (seen.has(addrOf(a))) continue;
        seen.add(addrOf(a));
        cc.push(a);
      }
    }
    const n = findings.length;
    const errors = findings.filter((f) => f.severity === 'error').length;
    const what = n === 1 ? 'a problem' : `${n} problems`;
    const severe = errors ? ` (${errors} error${errors === 1 ? '' : 's'})` : '';
    const body: string[] = [
      greeting(message?.from),
      '',
      `kreview, an automated reviewer, found ${what} this patch introduces${severe}.`,
      n === 1 ? 'It is below, under the line it is about.' : 'Each is below, under the line it is about.',
      '',
      attribution(message),
      ...interleave(p, findings),
    ];
    const tree = doc.invocation.tree;
    const args = reproduceArgs(doc.invocation.args).map(shellWord).join(' ');
    body.push('-- ');
    body.push(`How to reproduce (kreview ${doc.tool.version}):`);
    // A run that read its mail from stdin (the nightly job) is made again from the list archive.
    const fromArchive = p.messageId ? `  b4 am -o - ${shellWord(p.messageId)} | kreview scan${tree ? ` --tree ${shellWord(tree)}` : ''} -` : null;
    const fromStdin = doc.invocation.args.at(-1) === '-';
    if (!fromStdin || !fromArchive) body.push(`  kreview ${args}`);
    if (fromArchive) body.push(...(fromStdin ? [] : ['or, for this patch from the list archive:']), fromArchive);
    body.push('');
    body.push('If you fix this in a separate patch (not just a new version of this one),', 'please add these tags:');
    body.push(`Reported-by: ${settings.from}`);
    body.push(`Closes: ${settings.archive}${messageId}`);
    mails.push({
      patch: p,
      message,
      findings,
      messageId,
      headers: { from: settings.from, to, cc, subject, inReplyTo: p.messageId, references },
      text: body.join('\n') + '\n',
    });
  }
  return mails;
}

/** The `.eml` file name of the k-th reply (0-based): numbered, then a slug of its subject. */
export function replyFileName(k: number, subject: string): string {
  const slug = subject
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 52)
    .replace(/-$/, '');
  return `${String(k + 1).padStart(4, '0')}-${slug || 'reply'}.eml`;
}

/** One reply as an RFC 5322 message (what `renderEmails` writes; the nightly job sends it). */
export async function composeReply(m: ReplyMail, toolVersion: string): Promise<Buffer> {
  const composer = new MailComposer({
    from: m.headers.from,
    to: m.headers.to,
    cc: m.headers.cc,
    subject: m.headers.subject,
    messageId: angle(m.messageId),
    ...(m.headers.inReplyTo ? { inReplyTo: angle(m.headers.inReplyTo) } : {}),
    ...(m.headers.references.length ? { references: m.headers.references.map(angle).join(' ') } : {}),
    text: m.text,
    headers: {
      'X-Kreview-Version': toolVersion,
      'X-Kreview-Fingerprints': m.findings.map((f) => f.fingerprint).join(' '),
    },
  });
  return composer.compile().build();
}

/** The replies as RFC 5322 messages (`.eml`), one per patch, numbered in patch order. */
export async function renderEmails(doc: RunDocument, settings: EmailSettings): Promise<Rendered[]> {
  const out: Rendered[] = [];
  const mails = replyMails(doc, settings);
  for (const [k, m] of mails.entries()) {
    const raw = await composeReply(m, doc.tool.version);
    out.push({ name: replyFileName(k, m.headers.subject), content: raw.toString('utf8') });
  }
  return out;
}

// What is in a file: an mbox, one RFC 822 message, a patch without headers, archived mail text, or not mail.
// Decided from the first bytes (and the name only where the content cannot tell: `.patch`/`.diff`).
import { TextDecoder } from 'node:util';
import { isFromLine } from './mbox.js';
import { header, splitHeaderBlock } from './headers.js';
import { bareCrToLf, hasBareCrLineEnds } from './lineends.js';
import { containsDiff, looksLikePatchText } from './patchtext.js';

/** A byte order mark at the start of a file (Windows "Save as" text). */
export type Bom = 'utf-8' | 'utf-16le' | 'utf-16be';

export type Sniffed = (
  | { kind: 'empty' }
  | { kind: 'binary'; reason: string }
  | { kind: 'mbox' }
  | { kind: 'message' }
  | { kind: 'patch-text' }
  /** `mailLike` names what makes it look like mail (null: plain text with nothing of mail in it). */
  | { kind: 'archive-text'; mailLike: string | null }
) & {
  bom?: Bom;
  /** Lines end in bare CRs (classic Mac OS): the content is read through bareCrToLf(). */
  lineEnds?: 'cr';
};

export function bomOf(b: Uint8Array): Bom | null {
  if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return 'utf-8';
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) return 'utf-16le';
  if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) return 'utf-16be';
  return null;
}

/** UTF-16 text (BOM included) as UTF-8 bytes without the BOM. */
export function utf16ToUtf8(b: Uint8Array, bom: 'utf-16le' | 'utf-16be'): Buffer {
  return Buffer.from(new TextDecoder(bom).decode(b.subarray(2)), 'utf8');
}

/** How many bytes the sniffer wants to see. */
export const SNIFF_BYTES = 64 * 1024;

const GZIP_MAGIC = [0x1f, 0x8b];

export function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === GZIP_MAGIC[0] && b[1] === GZIP_MAGIC[1];
}

/** Why these bytes are binary, or null for text. */
export function binaryReason(sample: Uint8Array): string | null {
  const n = Math.min(sample.length, 8192);
  let control = 0;
  for (let i = 0; i < n; i++) {
    const c = sample[i]!;
    if (c === 0) return `binary data (NUL byte at offset ${i})`;
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0x0c && c !== 0x1b) control++;
  }
  if (n && control / n > 0.01) return `binary data (${control} control bytes in the first ${n})`;
  return null;
}

const MAIL_FIELDS = ['message-id', 'received', 'return-path', 'mime-version', 'delivered-to', 'x-mailer', 'in-reply-to', 'references'];

/** Header block that makes a message: an addressed From, or a field only mail carries. */
function mailHeaderBlock(sample: Buffer): boolean {
  const hb = splitHeaderBlock(sample);
  if (!hb) return false;
  if (hb.fields.some((f) => MAIL_FIELDS.includes(f.name))) return true;
  // An addressed From/To/Cc (web archives write "From: Name" alone, and those are read as archive text).
  for (const name of ['from', 'to', 'cc']) {
    const v = header(hb.fields, name);
    if (v && /@| at [\w-]+\./.test(v)) return true;
  }
  // An envelope line then a Subject (format-patch output with the From: line removed).
  return hb.envelope !== null && header(hb.fields, 'subject') !== null;
}

/** What in this text says it is mail (for files found in a directory, where plain text is skipped). */
export function mailSignal(text: string): string | null {
  const head = text.slice(0, 8192);
  if (/^More information about the .* mailing list\s*$/m.test(text.slice(-4096))) return 'pipermail footer';
  if (/Reply via email to/i.test(head) || /Reply via email to/i.test(text.slice(-1024))) return 'web archive footer';
  if (/^-{3,}\s*Original Message\s*-{3,}\s*$/im.test(head)) return 'quoted Original Message';
  if (/^\s*On .*wrote:\s*$/m.test(head)) return 'reply attribution';
  if (/^(?:From|Date|Subject):\s*\S/m.test(head.split('\n').slice(0, 15).join('\n'))) return 'From/Date/Subject lines';
  if (pipermailSender(head)) return 'pipermail sender line';
  if (containsDiff(text)) return 'a diff';
  if (/^>+ ?[+-][^+-]/m.test(head)) return 'quoted diff lines';
  return null;
}

/** A pipermail sender line (`name at example.org`) followed by its date line, line by line (linear). */
function pipermailSender(head: string): boolean {
  const lines = head.split('\n');
  for (let i = 0; i + 1 < lines.length; i++)
    if (/\S at [A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+\s*$/.test(lines[i]!) && /^\s*\w{3} \w{3} +\d{1,2} \d{2}:\d{2}/.test(lines[i + 1]!)) return true;
  return false;
}

/** Classify a sample of a file (the first SNIFF_BYTES, or all of it if shorter). */
export function sniff(sample: Buffer, name: string): Sniffed {
  const bom = bomOf(sample);
  let text = sample;
  if (bom) text = bom === 'utf-8' ? sample.subarray(3) : utf16ToUtf8(sample.subarray(0, sample.length & ~1), bom);
  const cr = hasBareCrLineEnds(text);
  const s = sniffText(cr ? bareCrToLf(text) : text, name);
  if (bom) s.bom = bom;
  if (cr) s.lineEnds = 'cr';
  return s;
}

/**
 * How many non-blank lines an mbox may carry before its first envelope and still be read as one when no
 * second envelope shows it is an archive: a stray line or two (a mail client's status line, a shell prompt)
 * is damage; a page of text before one envelope is a document that quotes a message.
 */
const MAX_PREAMBLE_LINES = 5;

/** The line [p, e) as a string, without a trailing CR. */
const lineAt = (b: Buffer, p: number, e: number): string => b.toString('latin1', p, e).replace(/\r$/, '');

/**
 * An mbox with something before its first envelope: envelope lines further on, each followed by mail
 * headers, with few lines before the first, or with a second one (an archive whose first message was cut).
 */
function mboxAfterPreamble(sample: Buffer, start: number): boolean {
  let first = -1;
  for (let hit = sample.indexOf('\nFrom ', start, 'latin1'); hit !== -1; hit = sample.indexOf('\nFrom ', hit + 1, 'latin1')) {
    const p = hit + 1;
    const e = sample.indexOf(0x0a, p);
    if (e === -1) break; // the sample ends inside the line
    if (!isFromLine(lineAt(sample, p, e)) || !mailHeaderBlock(sample.subarray(p))) continue;
    if (first !== -1) return true;
    first = p;
  }
  if (first === -1) return false;
  const preamble = sample.toString('latin1', start, first).split('\n');
  return preamble.filter((l) => l.trim()).length <= MAX_PREAMBLE_LINES;
}

// Structure is decided before bytes: binary bytes inside an mbox or a message are damage to one message
// (message.ts flags NUL bytes), not a reason to read nothing of the file.
function sniffText(sample: Buffer, name: string): Sniffed {
  if (sample.length === 0) return { kind: 'empty' };
  // Leading blank lines do not matter.
  let start = 0;
  while (start < sample.length && (sample[start] === 0x0a || sample[start] === 0x0d || sample[start] === 0x20 || sample[start] === 0x09)) start++;
  if (start === sample.length) return { kind: 'empty' };
  let lineEnd = sample.indexOf(0x0a, start);
  if (lineEnd === -1) lineEnd = sample.length;
  if (isFromLine(lineAt(sample, start, lineEnd))) return { kind: 'mbox' };
  if (mailHeaderBlock(sample.subarray(start))) return { kind: 'message' };
  if (mboxAfterPreamble(sample, start)) return { kind: 'mbox' };
  const bin = binaryReason(sample);
  if (bin) return { kind: 'binary', reason: bin };
  const text = sample.toString('utf8');
  if (/\.(?:patch|diff)$/i.test(name) || looksLikePatchText(text)) return { kind: 'patch-text' };
  return { kind: 'archive-text', mailLike: mailSignal(text) };
}

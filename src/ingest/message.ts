// One RFC 822 message (bytes) to a Message. Header fields are always read by our own parser (headers.ts);
// the body of the common case (single text/plain part, no transfer encoding, UTF-8/ASCII, not flowed) is
// taken straight from the bytes; anything else goes through the MIME walker (mime.ts).
import type { Message, MessageOrigin } from './types.js';
import { decodeGuess } from './charset.js';
import { parseDate } from './dates.js';
import { formatAddress, formatAddressList, formatSubject, header, messageId, messageIds, splitHeaderBlock } from './headers.js';
import { decodeMimeBody, isPlainSinglePart } from './mime.js';

/** "input: message 17 (offset 48213)" / "(cur/1700.M1:2,S)" / "(commit 1a2b3c4d5e6f)": where a message is. */
export function describeOrigin(o: MessageOrigin): string {
  const at: string[] = [];
  if (o.file !== undefined) at.push(o.file);
  if (o.offset !== undefined) at.push(`offset ${o.offset}`);
  if (o.commit !== undefined) at.push(`commit ${o.commit.slice(0, 12)}`);
  return `${o.input}: message ${o.index}${at.length ? ` (${at.join(', ')})` : ''}`;
}

export function emptyMessage(origin: MessageOrigin): Message {
  return {
    origin,
    messageId: null,
    subject: '',
    from: '',
    to: [],
    cc: [],
    date: null,
    inReplyTo: null,
    references: [],
    body: '',
    attachments: [],
    damage: [],
    error: null,
  };
}

function crlfToLf(s: string): string {
  return s.includes('\r') ? s.replace(/\r\n/g, '\n') : s;
}

export interface ParseOptions {
  /** The message was cut short (an mbox that ends without a final newline). */
  truncated?: boolean;
}

/** Parse one message. Never throws: problems are reported in `error` (malformed) or `damage` (suspect text). */
export async function parseMessage(raw: Buffer, origin: MessageOrigin, opts: ParseOptions = {}): Promise<Message> {
  const msg = emptyMessage(origin);
  try {
    await fill(msg, raw, opts);
  } catch (e) {
    msg.error = `${describeOrigin(origin)}: cannot parse: ${e instanceof Error ? e.message : String(e)}`;
  }
  return msg;
}

async function fill(msg: Message, raw: Buffer, opts: ParseOptions): Promise<void> {
  const damage = new Set<string>();
  if (opts.truncated) damage.add('truncated');
  // Mail text never holds NUL (RFC 5322); one here is damage to this message (a disk block lost to zeros, a
  // binary pasted in), read around as text.
  if (raw.indexOf(0) !== -1) damage.add('nul-bytes');
  const hb = splitHeaderBlock(raw);
  if (!hb) {
    const text = decodeGuess(raw);
    msg.body = crlfToLf(text.text);
    if (text.fallback) damage.add('charset-fallback');
    msg.damage = [...damage];
    msg.error = /[^\s]/.test(msg.body) ? `${describeOrigin(msg.origin)}: no header block` : `${describeOrigin(msg.origin)}: empty message`;
    return;
  }
  const f = hb.fields;
  if (hb.fallback) damage.add('charset-fallback');
  if (hb.noBlankLine) damage.add('no-blank-line-after-headers');
  if (hb.unterminated && opts.truncated) damage.add('truncated');
  msg.messageId = messageId(header(f, 'message-id'));
  msg.subject = formatSubject(header(f, 'subject'));
  msg.from = formatAddress(header(f, 'from') ?? header(f, 'sender') ?? header(f, 'reply-to'));
  msg.to = formatAddressList(header(f, 'to'));
  msg.cc = formatAddressList(header(f, 'cc'));
  msg.date = parseDate(header(f, 'date'));
  const irt = messageIds(header(f, 'in-reply-to'));
  msg.inReplyTo = irt[0] ?? null;
  msg.references = messageIds(header(f, 'references'));
  // A reply with In-Reply-To but no References still has one ancestor.
  if (!msg.references.length && msg.inReplyTo) msg.references = [msg.inReplyTo];

  if (isPlainSinglePart(f)) {
    const text = decodeGuess(raw.subarray(hb.bodyStart));
    if (text.fallback) damage.add('charset-fallback');
    msg.body = crlfToLf(text.text);
  } else {
    const mime = await decodeMimeBody(raw, f, hb.bodyStart);
    msg.body = mime.body;
    msg.attachments = mime.attachments;
    for (const d of mime.damage) damage.add(d);
  }
  msg.damage = [...damage];
}

// MIME bodies: transfer encodings, charsets, multipart trees, text attachments, format=flowed, HTML-only mail.
//
// Why this walker exists instead of mailparser's simpleParser for every message:
//  - speed: simpleParser costs ~1 ms per message (a stream pipeline and a setImmediate per MIME node); a
//    50,000-message mbox must parse at >= 5,000 messages/s (see bench/ingest.bench.ts, which measures both);
//  - format=flowed: mailparser always un-flows, joining every line that ends in a space with the next one.
//    In a diff the empty context line is a single space, so un-flowing glues it to the following line and
//    the hunk is destroyed beyond repair. We keep the lines as sent (space-stuffing undone, trailing spaces
//    kept) and flag 'format-flowed' so the patch stage can repair what the sender's client wrapped;
//  - attachments: mailparser merges every inline text/plain part into one text, so a patch sent inline as
//    `0001-foo.patch` is no longer told apart from the message it came with.
// mailparser is still what turns HTML-only mail into text (html-to-text with its settings); it is loaded
// only when such a message is met.
import { BUDGETS } from '../budgets.js';
import type { Attachment } from './types.js';
import { decodeCharset } from './charset.js';
import { header, parseParams, splitHeaderBlock, type HeaderField, type ParamValue } from './headers.js';

export interface MimeBody {
  body: string;
  attachments: Attachment[];
  damage: string[];
  /** Parts that were neither text nor patches (images, signatures): 'application/pgp-signature', ... */
  dropped: string[];
}

interface Leaf {
  fields: HeaderField[];
  ct: ParamValue;
  /** Raw part bytes (headers and body), for handing to mailparser. */
  raw: Buffer;
  body: Buffer;
}

interface Collected {
  bodyParts: string[];
  html: Leaf[];
  attachments: Attachment[];
  damage: Set<string>;
  dropped: string[];
}

/**
 * How many multiparts deep the walker opens (the message's own multipart counts as the first). Mail clients
 * nest a handful (signed, mixed, alternative, related); the limit keeps a crafted message from costing
 * time or stack. A multipart below it is read as plain text, flagged 'mime-depth-limit' (see damage.ts).
 */
export const MAX_MIME_DEPTH = BUDGETS.mimeDepth;

const PATCH_TYPES = /^(?:text|application)\/(?:x-)?(?:patch|diff)$/;
const PATCH_NAME = /\.(?:patch|diff)$/i;

export interface QpStats {
  softBreaks: number;
  /** `=` not followed by two hex digits or a line end: the text was probably never encoded. */
  invalid: number;
}

/** Quoted-printable to bytes (RFC 2045): `=XX` escapes and `=` soft line breaks. */
export function decodeQuotedPrintable(b: Buffer, stats: QpStats = { softBreaks: 0, invalid: 0 }): Buffer {
  if (b.indexOf(0x3d) === -1) return b;
  const out = Buffer.allocUnsafe(b.length);
  let o = 0;
  const hex = (c: number): number => (c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1);
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c !== 0x3d) {
      out[o++] = c;
      continue;
    }
    // soft line break: '=' then optional blanks then CRLF/LF
    let j = i + 1;
    while (j < b.length && (b[j] === 0x20 || b[j] === 0x09)) j++;
    if (j < b.length && b[j] === 0x0a) {
      i = j;
      stats.softBreaks++;
      continue;
    }
    if (j + 1 < b.length && b[j] === 0x0d && b[j + 1] === 0x0a) {
      i = j + 1;
      stats.softBreaks++;
      continue;
    }
    if (j === b.length) {
      i = j; // '=' at the very end: a soft break with the line end lost
      continue;
    }
    const h1 = hex(b[i + 1] ?? 0);
    const h2 = hex(b[i + 2] ?? 0);
    if (h1 >= 0 && h2 >= 0) {
      out[o++] = h1 * 16 + h2;
      i += 2;
    } else {
      out[o++] = c; // a literal '=' (broken encoder): keep it
      stats.invalid++;
    }
  }
  return out.subarray(0, o);
}

function decodeTransfer(body: Buffer, cte: string, damage: Set<string>): Buffer {
  switch (cte) {
    case '':
    case '7bit':
    case '8bit':
    case 'binary':
      return body;
    case 'base64': {
      const text = body.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, '');
      if (text.replace(/=+$/, '').length % 4 === 1) damage.add('truncated');
      return Buffer.from(text, 'base64');
    }
    case 'quoted-printable': {
      const stats: QpStats = { softBreaks: 0, invalid: 0 };
      const out = decodeQuotedPrintable(body, stats);
      // Declared QP but evidently not encoded (bare '='): a C line ending in '=' was then joined with the next.
      if (stats.invalid && stats.softBreaks) damage.add('quoted-printable-soft-breaks');
      return out;
    }
    default:
      damage.add(`unknown-transfer-encoding:${cte}`);
      return body;
  }
}

/** Text of a leaf part: transfer encoding, charset, line ends, format=flowed space-stuffing. */
function leafText(leaf: Leaf, damage: Set<string>): string {
  const cte = (header(leaf.fields, 'content-transfer-encoding') ?? '').trim().toLowerCase();
  const bytes = decodeTransfer(leaf.body, cte, damage);
  const dec = decodeCharset(bytes, leaf.ct.params.get('charset'));
  if (dec.fallback) damage.add('charset-fallback');
  let text = dec.text.includes('\r') ? dec.text.replace(/\r\n/g, '\n') : dec.text;
  if ((leaf.ct.params.get('format') ?? '').toLowerCase() === 'flowed') {
    // RFC 3676: the sender added one space to lines starting with ' ', '>' or 'From '; undo that only.
    // Soft line breaks (a trailing space) are NOT joined: see the comment at the top of this file.
    text = text.replace(/^ /gm, '');
    damage.add('format-flowed');
    if ((leaf.ct.params.get('delsp') ?? '').toLowerCase() === 'yes') damage.add('format-flowed-delsp');
  }
  return text;
}

interface Multipart {
  parts: { start: number; end: number }[];
  closed: boolean;
}

/** Split [start, end) of `buf` at `--boundary` delimiter lines. */
function splitMultipart(buf: Buffer, start: number, end: number, boundary: string): Multipart {
  const delim = Buffer.from(`--${boundary}`, 'latin1');
  const parts: { start: number; end: number }[] = [];
  let partStart = -1;
  let pos = start;
  while (pos < end) {
    const hit = buf.indexOf(delim, pos);
    if (hit === -1 || hit >= end) break;
    const atLineStart = hit === start || buf[hit - 1] === 0x0a;
    let after = hit + delim.length;
    const closing = buf[after] === 0x2d && buf[after + 1] === 0x2d;
    if (closing) after += 2;
    let k = after;
    while (k < end && (buf[k] === 0x20 || buf[k] === 0x09)) k++;
    const endsLine = k >= end || buf[k] === 0x0a || (buf[k] === 0x0d && buf[k + 1] === 0x0a);
    if (!atLineStart || !endsLine) {
      pos = hit + 1;
      continue;
    }
    if (partStart !== -1) {
      // The line end before the delimiter belongs to the delimiter.
      let pe = hit;
      if (pe > partStart && buf[pe - 1] === 0x0a) pe--;
      if (pe > partStart && buf[pe - 1] === 0x0d) pe--;
      parts.push({ start: partStart, end: pe });
    }
    const nl = buf.indexOf(0x0a, k);
    const next = nl === -1 || nl >= end ? end : nl + 1;
    if (closing) return { parts, closed: true };
    partStart = next;
    pos = next;
  }
  if (partStart !== -1) parts.push({ start: partStart, end });
  return { parts, closed: false };
}

function contentType(fields: HeaderField[], dflt: string): ParamValue {
  const ct = parseParams(header(fields, 'content-type'));
  if (!ct.value?.includes('/')) return { value: dflt, params: ct.params };
  return ct;
}

function filenameOf(fields: HeaderField[], ct: ParamValue): string | null {
  const disp = parseParams(header(fields, 'content-disposition'));
  return disp.params.get('filename') ?? ct.params.get('name') ?? null;
}

/** The part read as plain text whatever it declares (a broken or too deeply nested multipart). */
const asPlainText = (leaf: Leaf): Leaf => ({ ...leaf, ct: { value: 'text/plain', params: new Map() } });

function walk(buf: Buffer, start: number, end: number, dflt: string, out: Collected, depth: number): void {
  const hb = splitHeaderBlock(buf, start, end, false);
  // A part with no header lines is all body (after its empty header block's blank line), with the default type.
  const fields = hb ? hb.fields : [];
  const bodyStart = hb ? hb.bodyStart : buf[start] === 0x0a ? start + 1 : buf[start] === 0x0d && buf[start + 1] === 0x0a ? start + 2 : start;
  const ct = contentType(fields, dflt);
  const leaf: Leaf = { fields, ct, raw: buf.subarray(start, end), body: buf.subarray(bodyStart, end) };

  if (ct.value.startsWith('multipart/')) {
    if (depth >= MAX_MIME_DEPTH) {
      // Its text (boundaries and part headers included) is still searched: a patch in it is not lost.
      out.damage.add('mime-depth-limit');
      out.bodyParts.push(leafText(asPlainText(leaf), out.damage));
      return;
    }
    const boundary = ct.params.get('boundary');
    const mp = boundary ? splitMultipart(buf, bodyStart, end, boundary) : null;
    if (!mp || mp.parts.length === 0) {
      out.damage.add('mime-broken');
      out.bodyParts.push(leafText(asPlainText(leaf), out.damage));
      return;
    }
    if (!mp.closed) out.damage.add('truncated');
    const childDefault = ct.value === 'multipart/digest' ? 'message/rfc822' : 'text/plain';
    if (ct.value === 'multipart/alternative') {
      walkAlternative(buf, mp, childDefault, out, depth);
      return;
    }
    for (const p of mp.parts) walk(buf, p.start, p.end, childDefault, out, depth + 1);
    return;
  }
  classifyLeaf(leaf, out);
}

/** multipart/alternative (at `depth`): the text/plain alternative when there is one, else the first that yields text. */
function walkAlternative(buf: Buffer, mp: Multipart, dflt: string, out: Collected, depth: number): void {
  const kids = mp.parts.map((p) => {
    const hb = splitHeaderBlock(buf, p.start, p.end, false);
    return { p, type: contentType(hb ? hb.fields : [], dflt).value };
  });
  const pick =
    kids.find((k) => k.type === 'text/plain') ?? kids.find((k) => k.type.startsWith('multipart/')) ?? kids.find((k) => k.type === 'text/html') ?? kids[0]!;
  walk(buf, pick.p.start, pick.p.end, dflt, out, depth + 1);
}

function classifyLeaf(leaf: Leaf, out: Collected): void {
  const type = leaf.ct.value;
  const disposition = parseParams(header(leaf.fields, 'content-disposition')).value;
  const filename = filenameOf(leaf.fields, leaf.ct);
  const isAttachment = disposition === 'attachment';
  if (PATCH_TYPES.test(type) || (filename && PATCH_NAME.test(filename))) {
    out.attachments.push({ filename, contentType: type, text: leafText(leaf, out.damage) });
  } else if (type === 'message/rfc822' || type === 'message/global') {
    // A forwarded message: its raw text, so a patch inside it is still found.
    out.attachments.push({ filename, contentType: type, text: leafText({ ...leaf, ct: { value: type, params: new Map() } }, out.damage) });
  } else if (type === 'text/html') {
    if (isAttachment) out.dropped.push(`text/html${filename ? ` ${filename}` : ''}`);
    else out.html.push(leaf);
  } else if (type === 'text/plain' && !isAttachment) {
    out.bodyParts.push(leafText(leaf, out.damage));
  } else if (type.startsWith('text/')) {
    out.attachments.push({ filename, contentType: type, text: leafText(leaf, out.damage) });
  } else {
    out.dropped.push(`${type}${filename ? ` ${filename}` : ''}`);
  }
}

function joinParts(parts: string[]): string {
  let acc = '';
  for (const p of parts) acc = !acc || acc.endsWith('\n') ? acc + p : `${acc}\n${p}`;
  return acc;
}

/** Is this the common case (one text/plain part, no transfer encoding, UTF-8/ASCII, not flowed)? */
export function isPlainSinglePart(fields: HeaderField[]): boolean {
  const cte = header(fields, 'content-transfer-encoding');
  if (cte && !/^\s*(?:7bit|8bit|binary)\s*$/i.test(cte)) return false;
  const rawCt = header(fields, 'content-type');
  if (!rawCt) return true;
  const ct = parseParams(rawCt);
  if (ct.value && ct.value !== 'text/plain') return false;
  const cs = (ct.params.get('charset') ?? 'utf-8').toLowerCase();
  if (cs !== 'utf-8' && cs !== 'us-ascii' && cs !== 'utf8') return false;
  return (ct.params.get('format') ?? '').toLowerCase() !== 'flowed';
}

/**
 * Decode the body of a message whose header block is `fields` and whose body is buf[bodyStart, end).
 * Handles every MIME shape; HTML-only mail is converted with mailparser.
 */
export async function decodeMimeBody(buf: Buffer, fields: HeaderField[], bodyStart: number): Promise<MimeBody> {
  const out: Collected = { bodyParts: [], html: [], attachments: [], damage: new Set(), dropped: [] };
  const ct = contentType(fields, 'text/plain');
  const root: Leaf = { fields, ct, raw: buf, body: buf.subarray(bodyStart) };
  if (ct.value.startsWith('multipart/')) {
    const boundary = ct.params.get('boundary');
    const mp = boundary ? splitMultipart(buf, bodyStart, buf.length, boundary) : null;
    if (!mp || mp.parts.length === 0) {
      out.damage.add('mime-broken');
      out.bodyParts.push(leafText(asPlainText(root), out.damage));
    } else {
      if (!mp.closed) out.damage.add('truncated');
      const childDefault = ct.value === 'multipart/digest' ? 'message/rfc822' : 'text/plain';
      if (ct.value === 'multipart/alternative') walkAlternative(buf, mp, childDefault, out, 0);
      else for (const p of mp.parts) walk(buf, p.start, p.end, childDefault, out, 1);
    }
  } else if (ct.value === 'text/plain' || !ct.value) {
    // A top-level attachment disposition on text/plain is ignored: the body is the message.
    out.bodyParts.push(leafText(root, out.damage));
  } else {
    classifyLeaf(root, out);
  }

  let body = joinParts(out.bodyParts);
  if (!out.bodyParts.length && out.html.length) {
    body = await htmlToText(out.html[0]!);
    out.damage.add('html-converted');
  }
  return { body, attachments: out.attachments, damage: [...out.damage], dropped: out.dropped };
}

/** HTML part to text through mailparser (html-to-text); the part's own headers give charset and encoding. */
async function htmlToText(leaf: Leaf): Promise<string> {
  const { simpleParser } = await import('mailparser'); // loaded only when HTML-only mail shows up
  const parsed = await simpleParser(leaf.raw, { skipTextToHtml: true, skipImageLinks: true, skipTextLinks: true });
  return (parsed.text ?? '').replace(/\r\n/g, '\n');
}

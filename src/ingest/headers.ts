// RFC 822/5322 header blocks: finding where they end (on bytes), unfolding, RFC 2047 encoded words,
// MIME parameters (with RFC 2231 continuations), addresses and message ids.
import { decodeCharset, decodeGuess } from './charset.js';

export interface HeaderField {
  name: string; // lower case
  value: string; // unfolded, not yet RFC 2047-decoded
}

export interface HeaderBlock {
  fields: HeaderField[];
  /** Byte offset (in the buffer given) where the body starts. */
  bodyStart: number;
  /** The first line was an mbox/format-patch envelope line (`From <sha> Mon Sep 17 ...`) and was skipped. */
  envelope: string | null;
  /** Header bytes were not valid UTF-8 and were read as windows-1252. */
  fallback: boolean;
  /** The header block ended at a line that is not a header, without the blank line. */
  noBlankLine: boolean;
  /** The buffer ended inside the header block. */
  unterminated: boolean;
}

const NL = 0x0a;
const CR = 0x0d;

/** Length of a header field name at `i` (printable ASCII up to ':', optional blanks before it), or 0. */
function fieldNameEnd(buf: Uint8Array, i: number, end: number): number {
  let j = i;
  while (j < end) {
    const c = buf[j]!;
    if (c === 0x3a || c <= 0x20 || c >= 0x7f) break;
    j++;
  }
  if (j === i) return 0;
  let k = j;
  while (k < end && (buf[k] === 0x20 || buf[k] === 0x09)) k++;
  return k < end && buf[k] === 0x3a ? k + 1 : 0;
}

/** Is the line [i, e) a header field (`Name: value`)? */
export function isFieldLine(buf: Uint8Array, i: number, e: number): boolean {
  return fieldNameEnd(buf, i, e) > 0;
}

/** End of the line starting at `i` (index of '\n', or `end`). */
function lineEnd(buf: Buffer, i: number, end: number): number {
  const n = buf.indexOf(NL, i);
  return n === -1 || n >= end ? end : n;
}

/** Is the line [i, e) empty (maybe a lone CR)? */
function blank(buf: Uint8Array, i: number, e: number): boolean {
  return e === i || (e === i + 1 && buf[i] === CR);
}

/**
 * Split a message into header block and body. Returns null when the message has no header block at all
 * (its first line is not a header field). An envelope `From ` line in front of the headers is skipped
 * (unless `allowEnvelope` is false: MIME parts, where such a line is body text).
 */
export function splitHeaderBlock(buf: Buffer, start = 0, end = buf.length, allowEnvelope = true): HeaderBlock | null {
  let pos = start;
  let envelope: string | null = null;
  if (allowEnvelope && end - pos >= 5 && buf[pos] === 0x46 && buf.toString('latin1', pos, pos + 5) === 'From ') {
    const e = lineEnd(buf, pos, end);
    envelope = buf.toString('latin1', pos, e).replace(/\r$/, '');
    pos = e < end ? e + 1 : end;
  }
  const headStart = pos;
  let bodyStart = -1;
  let headEnd = pos;
  let noBlankLine = false;
  let fieldsSeen = 0;
  while (pos < end) {
    const e = lineEnd(buf, pos, end);
    if (blank(buf, pos, e)) {
      headEnd = pos;
      bodyStart = e < end ? e + 1 : end;
      break;
    }
    const c = buf[pos]!;
    if ((c === 0x20 || c === 0x09) && fieldsSeen > 0) {
      // continuation line
    } else if (fieldNameEnd(buf, pos, e) > 0) {
      fieldsSeen++;
    } else {
      if (fieldsSeen === 0) return null;
      headEnd = pos;
      bodyStart = pos;
      noBlankLine = true;
      break;
    }
    pos = e < end ? e + 1 : end;
    headEnd = pos;
  }
  if (fieldsSeen === 0) return null;
  const unterminated = bodyStart === -1;
  if (unterminated) bodyStart = end;
  const decoded = decodeGuess(buf.subarray(headStart, headEnd));
  return { fields: unfold(decoded.text), bodyStart, envelope, fallback: decoded.fallback, noBlankLine, unterminated };
}

/** Header text (lines) to fields; continuation lines are joined with one space. */
export function unfold(text: string): HeaderField[] {
  const fields: HeaderField[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (!line) continue;
    const first = line.charCodeAt(0);
    if ((first === 0x20 || first === 0x09) && fields.length) {
      const f = fields[fields.length - 1]!;
      const cont = line.trim();
      if (cont) f.value = f.value ? `${f.value} ${cont}` : cont;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    fields.push({ name: line.slice(0, colon).trim().toLowerCase(), value: line.slice(colon + 1).trim() });
  }
  return fields;
}

/** First value of a header (case-insensitive name), or null. */
export function header(fields: HeaderField[], name: string): string | null {
  for (const f of fields) if (f.name === name) return f.value;
  return null;
}

// ---------------------------------------------------------------- RFC 2047 encoded words

const ENCODED_WORD = /=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g;

function wordBytes(enc: string, text: string): Buffer {
  if (enc === 'b' || enc === 'B') return Buffer.from(text, 'base64');
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '_') out.push(0x20);
    else if (ch === '=' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      out.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(ch.charCodeAt(0) & 0xff);
  }
  return Buffer.from(out);
}

/**
 * Decode RFC 2047 encoded words. Whitespace between adjacent encoded words is dropped, and adjacent words
 * in the same charset are decoded together (a multi-byte character may be split across two words).
 */
export function decodeWords(s: string): string {
  if (!s.includes('=?')) return s;
  let out = '';
  let last = 0;
  let pending: { charset: string; bytes: Buffer[] } | null = null;
  const flush = (): void => {
    if (pending) out += decodeCharset(Buffer.concat(pending.bytes), pending.charset).text;
    pending = null;
  };
  ENCODED_WORD.lastIndex = 0;
  for (let m = ENCODED_WORD.exec(s); m; m = ENCODED_WORD.exec(s)) {
    const gap = s.slice(last, m.index);
    const charset = m[1]!.toLowerCase();
    const bytes = wordBytes(m[2]!, m[3]!);
    const adjacent = pending !== null && /^[ \t\r\n]*$/.test(gap);
    if (!adjacent) {
      flush();
      out += gap;
    }
    const cur = pending as { charset: string; bytes: Buffer[] } | null;
    if (cur && cur.charset === charset) cur.bytes.push(bytes);
    else {
      flush();
      pending = { charset, bytes: [bytes] };
    }
    last = m.index + m[0].length;
  }
  flush();
  return out + s.slice(last);
}

// ---------------------------------------------------------------- MIME parameters

export interface ParamValue {
  value: string; // the main value, lower case (e.g. 'text/plain', 'attachment')
  params: Map<string, string>; // names lower case; values decoded
}

/** Split on `sep` outside double quotes. */
function splitOutsideQuotes(s: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === '\\' && quoted && i + 1 < s.length) {
      cur += ch + s[i + 1];
      i++;
      continue;
    }
    if (ch === '"') quoted = !quoted;
    if (ch === sep && !quoted) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts;
}

function unquote(v: string): string {
  const t = v.trim();
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) return t.slice(1, -1).replace(/\\(.)/g, '$1');
  return t;
}

function percentDecode(s: string, charset: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '%' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(s.charCodeAt(i) & 0xff);
  }
  return decodeCharset(Buffer.from(bytes), charset || 'utf-8').text;
}

/** Parse `type/sub; a=b; c="d"` (Content-Type, Content-Disposition), with RFC 2231 and RFC 2047 values. */
export function parseParams(raw: string | null): ParamValue {
  const params = new Map<string, string>();
  if (!raw) return { value: '', params };
  const [main = '', ...rest] = splitOutsideQuotes(raw, ';');
  // RFC 2231: name*0*=..., name*1=..., name*=charset'lang'value
  const continued = new Map<string, { parts: Map<number, { v: string; enc: boolean }>; charset: string }>();
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq <= 0) continue;
    const key = p.slice(0, eq).trim().toLowerCase();
    const rawValue = p.slice(eq + 1).trim();
    const m = /^([^*]+)\*(?:(\d+)\*?|)$/.exec(key);
    const extended = key.endsWith('*');
    if (m) {
      const name = m[1]!;
      const idx = m[2] !== undefined ? Number(m[2]) : 0;
      let entry = continued.get(name);
      if (!entry) continued.set(name, (entry = { parts: new Map(), charset: '' }));
      let v = unquote(rawValue);
      if (extended && idx === 0) {
        const q = /^([^']*)'[^']*'(.*)$/.exec(v);
        if (q) {
          entry.charset = q[1]!;
          v = q[2]!;
        }
      }
      entry.parts.set(idx, { v, enc: extended });
    } else {
      params.set(key, decodeWords(unquote(rawValue)));
    }
  }
  for (const [name, entry] of continued) {
    const idxs = [...entry.parts.keys()].sort((a, b) => a - b);
    let v = '';
    for (const i of idxs) {
      const part = entry.parts.get(i)!;
      v += part.enc ? percentDecode(part.v, entry.charset) : part.v;
    }
    params.set(name, v);
  }
  return { value: main.trim().toLowerCase(), params };
}

// ---------------------------------------------------------------- addresses and ids

/** `name at domain.tld` (pipermail's anti-spam spelling) back to `name@domain.tld`. */
export function unobscureAddress(s: string): string {
  return s.replace(/([A-Za-z0-9._%+=~-]+) at ([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)/g, '$1@$2');
}

/**
 * A From value as "Name <addr>" (or "addr" when there is no name). Accepts `Name <a@b>`, `"Last, First" <a@b>`,
 * `a@b (Name)`, `<a@b>`, `a at b (Name)`. Only the first address of a list is kept.
 */
export function formatAddress(raw: string | null): string {
  if (!raw) return '';
  const s = decodeWords(raw).replace(/\s+/g, ' ').trim();
  if (!s) return '';
  const angle = /^(.*?)<([^<>]*)>/.exec(s);
  if (angle) {
    const name = cleanName(angle[1]!);
    const addr = unobscureAddress(angle[2]!.trim());
    if (!addr) return name;
    return name && name !== addr ? `${name} <${addr}>` : addr;
  }
  const paren = /^(.*?)\s*\((.*)\)\s*$/.exec(s);
  if (paren && /@| at /.test(paren[1]!)) {
    const addr = unobscureAddress(paren[1]!.trim());
    const name = cleanName(paren[2]!);
    return name ? `${name} <${addr}>` : addr;
  }
  const first = splitOutsideQuotes(s, ',')[0]!.trim();
  return unobscureAddress(first.includes('@') || / at /.test(first) ? first : s);
}

/** Every address of a To:/Cc: field, each as formatAddress() gives it. */
export function formatAddressList(raw: string | null): string[] {
  if (!raw) return [];
  return splitOutsideQuotes(decodeWords(raw).replace(/\s+/g, ' '), ',')
    .map((a) => formatAddress(a))
    .filter((a) => a !== '');
}

function cleanName(n: string): string {
  let t = n.trim();
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) t = t.slice(1, -1).replace(/\\(.)/g, '$1');
  else if (t.length >= 2 && t.startsWith("'") && t.endsWith("'")) t = t.slice(1, -1);
  return t.trim();
}

/** Every `<id>` in a header value (References, In-Reply-To), without brackets, in order, deduplicated. */
export function messageIds(raw: string | null): string[] {
  if (!raw) return [];
  const ids: string[] = [];
  const seen = new Set<string>();
  const add = (id: string): void => {
    const t = id.trim();
    if (t && !seen.has(t)) {
      seen.add(t);
      ids.push(t);
    }
  };
  const bracketed = raw.match(/<[^<>\s]+>/g);
  if (bracketed) for (const b of bracketed) add(b.slice(1, -1));
  else for (const tok of raw.split(/[\s,]+/)) if (tok.includes('@')) add(tok);
  return ids;
}

/** A Message-ID value without brackets, or null. */
export function messageId(raw: string | null): string | null {
  if (!raw) return null;
  const ids = messageIds(raw);
  if (ids.length) return ids[0]!;
  const t = raw.trim().replace(/^<|>$/g, '').trim();
  return t && !/\s/.test(t) ? t : null;
}

/** A Subject value decoded and with runs of whitespace collapsed. */
export function formatSubject(raw: string | null): string {
  if (!raw) return '';
  return decodeWords(raw)
    .replace(/[ \t\r\n]+/g, ' ')
    .trim();
}

// Streaming mbox splitter (mboxo and mboxrd), on bytes.
// A message starts at a `From ` line that looks like a real envelope line by git mailsplit's is_from_line()
// (a time of day followed by a year) and that stands where a separator can stand: at the start of the file or
// after a blank line (the mbox rule), or, where no message body is open, right before a header field. The
// second case covers damage: junk before the first envelope, and a message of headers only whose writer left
// out the blank line before the next envelope. `From the datasheet...` in a body is never a separator.
// Chunks are scanned with native Buffer.indexOf and messages are yielded one by one, so memory stays flat
// however large the archive is.
import { isFieldLine } from './headers.js';

/** One raw message cut out of an mbox. */
export interface RawMboxMessage {
  /** Byte offset of its `From ` envelope line in the stream. */
  offset: number;
  /** The envelope line, without line end. */
  envelope: string;
  /** The message bytes after the envelope line (the blank separator line before the next `From ` removed). */
  bytes: Buffer;
  /** The stream ended without a final newline inside this message (it may have been cut short). */
  noFinalNewline: boolean;
}

/**
 * git's is_from_line() (builtin/mailsplit.c), on a line without its line end: `From `, at least 19 chars, and
 * a last colon (not in the last position) with digits at -4, -2, -1, +1, +2 (hh:mm:ss) followed by a year > 90.
 */
export function isFromLine(line: string): boolean {
  if (line.length < 19 || !line.startsWith('From ')) return false;
  const c = line.lastIndexOf(':', line.length - 2);
  if (c < 5) return false;
  const digit = (i: number): boolean => {
    const ch = line.charCodeAt(i);
    return ch >= 48 && ch <= 57;
  };
  if (!digit(c - 4) || !digit(c - 2) || !digit(c - 1) || !digit(c + 1) || !digit(c + 2)) return false;
  const year = /^\s*[+-]?(\d+)/.exec(line.slice(c + 3));
  return year !== null && Number(year[1]) > 90;
}

const NL = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const TAB = 0x09;
const F = 0x46;
const FROM_AT_LINE_START = Buffer.from('\nFrom ', 'latin1');

/** The line [start, end) as a string, without a trailing CR. */
function lineText(buf: Buffer, start: number, end: number): string {
  if (end > start && buf[end - 1] === CR) end--;
  return buf.toString('latin1', start, end);
}

/** End of the line starting at `i`: the index of its '\n', or `end`. */
function lineEnd(buf: Buffer, i: number, end: number): number {
  const n = buf.indexOf(NL, i);
  return n === -1 || n >= end ? end : n;
}

/** Is the line [s, e) empty (maybe a lone CR)? */
function blank(buf: Buffer, s: number, e: number): boolean {
  return e === s || (e === s + 1 && buf[s] === CR);
}

/** Is the line that ends at the '\n' at `nl` blank? `lineStartLimit` is a known line start at or before it. */
function blankLineEndingAt(buf: Buffer, nl: number, lineStartLimit: number): boolean {
  // The line is [s, nl) where s is after the previous '\n' (or lineStartLimit).
  if (nl === lineStartLimit) return true;
  const prev = nl - 1;
  if (buf[prev] === NL) return true;
  if (buf[prev] === CR) return prev === lineStartLimit || buf[prev - 1] === NL;
  return false;
}

/** Remove one trailing blank line (the mbox separator that precedes the next `From `). */
function dropSeparatorLine(b: Buffer): Buffer {
  const n = b.length;
  if (n >= 2 && b[n - 1] === NL && b[n - 2] === NL) return b.subarray(0, n - 1);
  if (n >= 4 && b[n - 1] === NL && b[n - 2] === CR && b[n - 3] === NL && b[n - 4] === CR) return b.subarray(0, n - 2);
  if (n === 1 && b[0] === NL) return b.subarray(0, 0);
  if (n === 2 && b[0] === CR && b[1] === NL) return b.subarray(0, 0);
  return b;
}

/**
 * Undo mbox `From ` quoting: `^>(>*From )` -> `$1` on every line (mboxrd; for mboxo this also restores
 * `>From ` lines the writer escaped). Returns the same buffer when there is nothing to undo.
 */
export function unescapeFromLines(b: Buffer): Buffer {
  if (b.indexOf('>From ', 0, 'latin1') === -1) return b;
  const out: Buffer[] = [];
  let copied = 0;
  let lineStart = 0;
  while (lineStart < b.length) {
    if (b[lineStart] === 0x3e) {
      let j = lineStart;
      while (j < b.length && b[j] === 0x3e) j++;
      if (b.toString('latin1', j, j + 5) === 'From ') {
        out.push(b.subarray(copied, lineStart));
        copied = lineStart + 1; // drop one '>'
      }
    }
    const nl = b.indexOf(NL, lineStart);
    if (nl === -1) break;
    lineStart = nl + 1;
  }
  if (copied === 0) return b;
  out.push(b.subarray(copied));
  return Buffer.concat(out);
}

interface Current {
  offset: number;
  envelope: string;
  /** Every line since the envelope has been a header field: no body has started yet. */
  headerOpen: boolean;
  fieldSeen: boolean;
}

/** The splitter's state between chunks. Data handed to scan() always starts at a line start. */
class Splitter {
  private base: number; // stream offset of the data being scanned
  private prevLineBlank = true; // the line before the data was blank (true at the start of the stream)
  private parts: Buffer[] = []; // bytes of the current message so far
  private current: Current | null = null;
  private walked = 0; // how far (in the data being scanned) the current message's header lines were checked
  private preambleBytes = 0; // bytes before the first envelope
  private preambleText = false; // ... and some of them are not blank

  constructor(startOffset: number) {
    this.base = startOffset;
  }

  /**
   * Scan whole lines of `data` (all of it when `final`: the stream has ended). Returns the messages completed
   * and how many bytes were used; the rest is scanned again with the next chunk (an incomplete line, or an
   * envelope whose next line decides whether it is a separator).
   */
  scan(data: Buffer, final: boolean): { done: RawMboxMessage[]; used: number } {
    const done: RawMboxMessage[] = [];
    const complete = final ? data.length : data.lastIndexOf(NL) + 1; // data[0, complete) holds whole lines
    let used = complete;
    let msgStart = 0; // start in data of the bytes not yet taken
    // Candidates: "From " at data[0] (a line start), then every "\nFrom ".
    let p = data[0] === F ? 0 : -1;
    let search = 0;
    while (complete > 0) {
      if (p === -1) {
        const hit = data.indexOf(FROM_AT_LINE_START, search);
        if (hit === -1 || hit + 1 >= complete) break;
        p = hit + 1;
      }
      const le = lineEnd(data, p, complete);
      const envelope = lineText(data, p, le);
      if (isFromLine(envelope)) {
        const sep = this.separatorAt(data, p, le, complete, final);
        if (sep === 'wait') {
          used = p;
          break;
        }
        if (sep) {
          this.take(data.subarray(msgStart, p));
          const m = this.finish(false);
          if (m) done.push(m);
          this.current = { offset: this.base + p, envelope, headerOpen: true, fieldSeen: false };
          msgStart = Math.min(le + 1, complete);
          this.walked = msgStart;
        }
      }
      search = le;
      p = -1;
    }
    this.take(data.subarray(msgStart, used));
    this.walkHeaders(data, used);
    if (used > 0) this.prevLineBlank = blankLineEndingAt(data, used - 1, 0);
    this.base += used;
    this.walked = 0;
    return { done, used };
  }

  /** Is the envelope-like line [p, le) a separator? 'wait' when the line after it is not complete yet. */
  private separatorAt(data: Buffer, p: number, le: number, complete: number, final: boolean): boolean | 'wait' {
    if (p === 0 ? this.prevLineBlank : blankLineEndingAt(data, p - 1, 0)) return true;
    this.walkHeaders(data, p);
    if (this.current && !this.current.headerOpen) return false; // a body line
    // Before the first message, or inside a header block: a separator when a header field follows.
    const next = le + 1;
    if (next >= complete) return final ? false : 'wait';
    return isFieldLine(data, next, lineEnd(data, next, complete));
  }

  /** Follow the current message's header block up to `upTo` (a line start); it closes at a blank or body line. */
  private walkHeaders(data: Buffer, upTo: number): void {
    const c = this.current;
    if (!c?.headerOpen) return;
    let s = this.walked;
    while (s < upTo) {
      const e = lineEnd(data, s, upTo);
      if (blank(data, s, e)) {
        c.headerOpen = false;
        break;
      }
      const continuation = (data[s] === SP || data[s] === TAB) && c.fieldSeen;
      if (!continuation && !isFieldLine(data, s, e)) {
        c.headerOpen = false;
        break;
      }
      c.fieldSeen = true;
      s = e + 1;
    }
    this.walked = s;
  }

  private take(b: Buffer): void {
    if (!b.length) return;
    if (this.current) {
      this.parts.push(b);
      return;
    }
    this.preambleBytes += b.length;
    this.preambleText ||= /[^\r\n\t ]/.test(b.toString('latin1'));
  }

  /** Bytes before the first envelope when they are more than blank lines (0 otherwise). */
  get preamble(): number {
    return this.preambleText ? this.preambleBytes : 0;
  }

  finish(noFinalNewline: boolean): RawMboxMessage | null {
    const cur = this.current;
    if (!cur) return null;
    const bytes = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
    this.parts = [];
    this.current = null;
    return { offset: cur.offset, envelope: cur.envelope, bytes: noFinalNewline ? bytes : dropSeparatorLine(bytes), noFinalNewline };
  }
}

/**
 * Split a byte stream into mbox messages. Bytes before the first envelope line, unless all blank, are counted
 * and reported through `onPreamble` (they are not a message), so nothing is dropped silently. `startOffset` is
 * the stream offset of the first byte (offsets are reported in the file's terms).
 */
export async function* splitMbox(chunks: AsyncIterable<Buffer>, onPreamble?: (bytes: number) => void, startOffset = 0): AsyncGenerator<RawMboxMessage> {
  const sp = new Splitter(startOffset);
  let tail: Buffer = Buffer.alloc(0); // bytes not used yet, carried to the next chunk
  for await (const chunk of chunks) {
    if (!chunk.length) continue;
    const data = tail.length ? Buffer.concat([tail, chunk]) : chunk;
    const { done, used } = sp.scan(data, false);
    tail = data.subarray(used);
    yield* done;
  }
  const rest = Buffer.from(tail); // the chunk it points into is not kept alive by the last message
  const { done } = sp.scan(rest, true);
  yield* done;
  const last = sp.finish(rest.length > 0 && rest[rest.length - 1] !== NL);
  if (last) yield last;
  if (onPreamble && sp.preamble) onPreamble(sp.preamble);
}

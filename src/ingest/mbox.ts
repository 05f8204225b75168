// Streaming mbox splitter (mboxo and mboxrd), on bytes.
// A message starts at a `From ` line that begins the file or follows a blank line, and that looks like a real
// envelope line by git mailsplit's is_from_line() (a time of day followed by a year). `From the datasheet...`
// in a body is therefore never a separator. Chunks are scanned with native Buffer.indexOf and messages are
// yielded one by one, so memory stays flat however large the archive is.

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
const FROM_AT_LINE_START = Buffer.from('\nFrom ', 'latin1');

/** The line [start, end) as a string, without a trailing CR. */
function lineText(buf: Buffer, start: number, end: number): string {
  if (end > start && buf[end - 1] === CR) end--;
  return buf.toString('latin1', start, end);
}

/** Is the line that ends at the '\n' at `nl` (exclusive of earlier lines) blank? Needs the line start known. */
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

/**
 * Split a byte stream into mbox messages. Non-blank bytes before the first envelope line are counted and
 * reported through `onPreamble` (they are not a message), so nothing is dropped silently. `startOffset` is
 * the stream offset of the first byte (offsets are reported in the file's terms).
 */
export async function* splitMbox(chunks: AsyncIterable<Buffer>, onPreamble?: (bytes: number) => void, startOffset = 0): AsyncGenerator<RawMboxMessage> {
  let base = startOffset; // stream offset of data[0]
  let tail: Buffer = Buffer.alloc(0); // incomplete last line, carried to the next chunk
  let prevLineBlank = true; // the line before data[0] was blank (true at the start of the stream)
  let parts: Buffer[] = []; // bytes of the current message so far
  let current: { offset: number; envelope: string } | null = null;
  let preambleBytes = 0; // non-blank bytes before the first envelope

  const take = (b: Buffer): void => {
    if (!b.length) return;
    if (current) parts.push(b);
    else if (/[^\r\n\t ]/.test(b.toString('latin1'))) preambleBytes += b.length;
  };
  const finish = (noFinalNewline: boolean): RawMboxMessage | null => {
    if (!current) return null;
    const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    parts = [];
    const msg: RawMboxMessage = {
      offset: current.offset,
      envelope: current.envelope,
      bytes: noFinalNewline ? bytes : dropSeparatorLine(bytes),
      noFinalNewline,
    };
    current = null;
    return msg;
  };

  for await (const chunk of chunks) {
    if (!chunk.length) continue;
    const data = tail.length ? Buffer.concat([tail, chunk]) : chunk;
    const lastNl = data.lastIndexOf(NL);
    if (lastNl === -1) {
      tail = data;
      continue;
    }
    const complete = lastNl + 1; // data[0, complete) holds whole lines
    let msgStart = 0; // start in data of the bytes not yet taken
    // Candidates: "From " at data[0] (a line start), then every "\nFrom ".
    let p = data[0] === 0x46 ? 0 : -1;
    let search = 0;
    for (;;) {
      if (p === -1) {
        const hit = data.indexOf(FROM_AT_LINE_START, search);
        if (hit === -1 || hit + 1 >= complete) break;
        p = hit + 1;
      }
      const lineEndAt = data.indexOf(NL, p); // < complete: data[complete - 1] is '\n'
      const precededByBlank = p === 0 ? prevLineBlank : blankLineEndingAt(data, p - 1, 0);
      if (precededByBlank && isFromLine(lineText(data, p, lineEndAt))) {
        take(data.subarray(msgStart, p));
        const done = finish(false);
        if (done) yield done;
        current = { offset: base + p, envelope: lineText(data, p, lineEndAt) };
        msgStart = lineEndAt + 1;
      }
      search = lineEndAt;
      p = -1;
    }
    take(data.subarray(msgStart, complete));
    prevLineBlank = blankLineEndingAt(data, lastNl, 0);
    tail = data.subarray(complete);
    base += complete;
  }
  if (tail.length) take(Buffer.from(tail));
  const last = finish(tail.length > 0);
  if (last) yield last;
  if (onPreamble && preambleBytes) onPreamble(preambleBytes);
}

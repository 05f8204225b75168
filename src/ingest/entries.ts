// Messages out of one file-like entry (a file, a directory member, stdin) once its content has been sniffed,
// and the bookkeeping every reader shares: ordinals, the summary, errors that name the input.
import { basename } from 'node:path';
import type { InputSummary, Message, MessageOrigin } from './types.js';
import { decodeGuess } from './charset.js';
import { parseArchiveText } from './archive.js';
import { parseMessage } from './message.js';
import { bareCrToLfChunks } from './lineends.js';
import { splitMbox, unescapeFromLines } from './mbox.js';
import { parsePatchText } from './patchtext.js';
import { utf16ToUtf8, type Sniffed } from './sniff.js';
import { readAll } from './stream.js';

/** Inputs refused whole (binary content named on the command line), by summary: why. */
const refusals = new WeakMap<InputSummary, string>();

/** Why an input was not read at all (its content is not mail), or null: the CLI exits 2 for it. */
export function refusal(summary: InputSummary): string | null {
  return refusals.get(summary) ?? null;
}

/** One input being read: hands out message ordinals and keeps its summary current. */
export class InputRun {
  private index = 0;
  constructor(readonly summary: InputSummary) {}

  origin(extra: Omit<MessageOrigin, 'input' | 'index'> = {}): MessageOrigin {
    return { input: this.summary.path, index: ++this.index, ...extra };
  }

  /** Count a message that is about to be yielded. */
  counted(m: Message): Message {
    this.summary.messages++;
    return m;
  }

  error(where: string | null, what: string): void {
    this.summary.errors.push(`${this.summary.path}${where ? `: ${where}` : ''}: ${what}`);
  }

  skip(item: string, reason: string): void {
    this.summary.skipped.push({ item, reason });
  }

  /** The input itself is not mail: nothing of it was read. */
  refuse(reason: string): void {
    this.error(null, reason);
    refusals.set(this.summary, reason);
  }
}

export interface Entry {
  /** Path of the entry inside a directory input (relative), or undefined for the input itself. */
  rel?: string;
  /** File name, for a subject when the content has none (bare diffs). */
  name: string;
  sniffed: Sniffed;
  /** The entry's bytes from the start (may be called once). */
  chunks: () => AsyncIterable<Buffer>;
}

export function describeError(e: unknown): string {
  if (e && typeof e === 'object' && 'code' in e && typeof (e as { code: unknown }).code === 'string') {
    const err = e as NodeJS.ErrnoException;
    return `${err.code}${err.message ? ` (${err.message.replace(/^[A-Z]+: /, '')})` : ''}`;
  }
  return e instanceof Error ? e.message : String(e);
}

/** Strip leading blank lines (a saved message sometimes starts with one). */
function trimLeadingBlankLines(b: Buffer): Buffer {
  let i = 0;
  for (;;) {
    let j = i;
    while (j < b.length && (b[j] === 0x20 || b[j] === 0x09 || b[j] === 0x0d)) j++;
    if (j < b.length && b[j] === 0x0a) i = j + 1;
    else return b.subarray(i);
  }
}

function subjectFromName(name: string): string {
  return basename(name)
    .replace(/\.(?:patch|diff|txt|eml|gz)$/i, '')
    .replace(/\.(?:patch|diff)$/i, '');
}

/**
 * The entry's bytes with a byte order mark removed: a UTF-8 BOM is skipped (mbox offsets still count from
 * the file start); UTF-16 text is transcoded to UTF-8 whole (offsets are then in the UTF-8 text).
 */
async function withoutBom(e: Entry): Promise<{ chunks: AsyncIterable<Buffer>; offset: number }> {
  const bom = e.sniffed.bom;
  if (!bom) return { chunks: e.chunks(), offset: 0 };
  if (bom === 'utf-8') return { chunks: skipBytes(e.chunks(), 3), offset: 3 };
  return { chunks: once(utf16ToUtf8(await readAll(e.chunks()), bom)), offset: 0 };
}

/** The entry's text as the readers want it: no BOM, LF or CRLF line ends; and the damage that undoing cost. */
async function content(e: Entry): Promise<{ chunks: AsyncIterable<Buffer>; offset: number; damage: string[] }> {
  const { chunks, offset } = await withoutBom(e);
  if (e.sniffed.lineEnds === 'cr') return { chunks: bareCrToLfChunks(chunks), offset, damage: ['cr-line-ends'] };
  return { chunks, offset, damage: [] };
}

function withDamage(m: Message, damage: readonly string[]): Message {
  for (const d of damage) if (!m.damage.includes(d)) m.damage.push(d);
  return m;
}

async function* skipBytes(src: AsyncIterable<Buffer>, n: number): AsyncGenerator<Buffer> {
  for await (const c of src) {
    if (n >= c.length) {
      n -= c.length;
      continue;
    }
    yield n ? c.subarray(n) : c;
    n = 0;
  }
}

async function* once(b: Buffer): AsyncGenerator<Buffer> {
  if (b.length) yield b;
}

/** The messages of one entry. Read errors are recorded in the summary and end the entry, not the run. */
export async function* entryMessages(run: InputRun, e: Entry): AsyncGenerator<Message> {
  const file = e.rel !== undefined ? { file: e.rel } : {};
  const where = e.rel ?? null;
  let read = 0;
  try {
    switch (e.sniffed.kind) {
      case 'mbox': {
        const { chunks, offset, damage } = await content(e);
        const onPreamble = (n: number): void => run.error(where, `${n} bytes before the first "From " line are not part of any message`);
        for await (const raw of splitMbox(chunks, onPreamble, offset)) {
          const origin = run.origin({ ...file, offset: raw.offset });
          read++;
          yield withDamage(await parseMessage(unescapeFromLines(raw.bytes), origin, { truncated: raw.noFinalNewline }), damage);
        }
        break;
      }
      case 'message': {
        const { chunks, damage } = await content(e);
        const bytes = trimLeadingBlankLines(await readAll(chunks));
        read++;
        yield withDamage(await parseMessage(bytes, run.origin(file)), damage);
        break;
      }
      case 'patch-text':
      case 'archive-text': {
        const { chunks, damage } = await content(e);
        const dec = decodeGuess(await readAll(chunks));
        const text = dec.text.includes('\r') ? dec.text.replace(/\r\n/g, '\n') : dec.text;
        const origin = run.origin(file);
        const msg = e.sniffed.kind === 'patch-text' ? parsePatchText(text, origin, subjectFromName(e.name)) : parseArchiveText(text, origin);
        if (dec.fallback) msg.damage.push('charset-fallback');
        read++;
        yield withDamage(msg, damage);
        break;
      }
      // Empty and binary entries are never opened for reading.
      case 'empty':
        run.skip(e.rel ?? run.summary.path, 'empty file');
        break;
      case 'binary':
        run.skip(e.rel ?? run.summary.path, `not mail: ${e.sniffed.reason}`);
        if (e.rel === undefined) run.refuse(`not mail: ${e.sniffed.reason}`);
        break;
    }
  } catch (err) {
    run.error(where, `read failed after ${read} message${read === 1 ? '' : 's'}: ${describeError(err)}`);
  }
}

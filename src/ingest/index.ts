// Ingest stage entry point: open one command-line input, detect what it is, stream its messages.
//
//   file      mbox (streamed) | one message (.eml, format-patch output) | headerless patch | archived text
//             (gzip-compressed files are read through gunzip); FIFOs are read like stdin
//   directory public-inbox v2 inbox (git/N.git) or repository with blobs `m` | Maildir | directory of files
//   '-'       stdin, sniffed like a file
//
// Only an input that cannot be read at all throws (InputError). Everything else is reported in the summary
// or on the message, and the run goes on.
import { constants } from 'node:fs';
import { access, readdir, stat } from 'node:fs/promises';
import type { InputKind, InputSummary, Message } from './types.js';
import { directoryMessages, fileEntryChunks, isMaildir, maildirMessages, sniffFile } from './directory.js';
import { describeError, entryMessages, InputRun, type Entry } from './entries.js';
import { parseMessage } from './message.js';
import { detectInbox, epochMessages, headCommit, streamCommits, type Epoch } from './public-inbox.js';
import { isGzip, sniff, SNIFF_BYTES, type Sniffed } from './sniff.js';
import { fileChunks, gunzipChunks, peek } from './stream.js';

export type { InputSummary, Message } from './types.js';
export { parseMessage } from './message.js';
export { isFromLine, splitMbox } from './mbox.js';

/** An opened input: its summary (updated while messages are read) and its messages, streamed. */
export interface InputReader {
  summary: InputSummary;
  messages(): AsyncGenerator<Message>;
}

/** Thrown for an input path that cannot be read at all (the CLI exits 2). */
export class InputError extends Error {
  override name = 'InputError';
}

/** The summary kind for sniffed file content. */
function kindOf(s: Sniffed, path: string): Exclude<InputKind, 'stdin'> {
  switch (s.kind) {
    case 'mbox':
      // A format-patch file is an mbox of one; call it a message until a second one shows up.
      return /\.(?:patch|diff|eml)(?:\.gz)?$/i.test(path) ? 'message' : 'mbox';
    case 'archive-text':
      return 'archive-text';
    case 'empty':
      return /\.(?:mbox|mbx)(?:\.gz)?$/i.test(path) ? 'mbox' : 'message';
    default:
      return 'message';
  }
}

function reader(summary: InputSummary, gen: (run: InputRun) => AsyncGenerator<Message>): InputReader {
  let used = false;
  return {
    summary,
    messages(): AsyncGenerator<Message> {
      if (used) throw new Error(`${summary.path}: messages() can be read only once`);
      used = true;
      const run = new InputRun(summary);
      return (async function* () {
        for await (const m of gen(run)) {
          // A file that turns out to hold several messages is an mbox, whatever its name.
          if (summary.kind === 'message' && summary.messages === 1) summary.kind = 'mbox';
          yield run.counted(m);
        }
      })();
    },
  };
}

function newSummary(path: string, kind: InputKind): InputSummary {
  return { path, kind, messages: 0, errors: [], skipped: [] };
}

/** A byte stream (stdin, a FIFO): sniffed from its head, which is kept. */
async function openStream(path: string, src: AsyncIterable<Buffer | string>, kind: InputKind): Promise<InputReader> {
  let p = await peek(src, SNIFF_BYTES);
  let corrupt: string | null = null;
  if (isGzip(p.head)) {
    try {
      p = await peek(gunzipChunks(p.all), SNIFF_BYTES);
    } catch (e) {
      // Gzip magic and then garbage (or a cut-off stream): refused like any binary input, never thrown.
      corrupt = `corrupt gzip data (${describeError(e)})`;
    }
  }
  const sniffed: Sniffed = corrupt ? { kind: 'binary', reason: corrupt } : sniff(p.head, path);
  const summary = newSummary(path, kind);
  const format = kindOf(sniffed, path);
  if (kind === 'stdin') summary.format = format;
  else summary.kind = format;
  const all = p.all;
  const entry: Entry = { name: path === '-' ? 'stdin' : path, sniffed, chunks: () => all };
  return reader(summary, (run) => entryMessages(run, entry));
}

/** One message per commit of a public-inbox archive, epochs in order. */
function inboxReader(path: string, epochs: Epoch[]): InputReader {
  return reader(newSummary(path, 'public-inbox'), async function* (run) {
    for (const epoch of epochs) {
      const where = epoch.label;
      const head = await headCommit(epoch.dir);
      if (head === null) {
        run.skip(where ?? path, 'repository has no commits yet');
        continue;
      }
      try {
        // The commit list is streamed into cat-file as git lists it; a failure to list says `cannot list commits`.
        for await (const item of epochMessages(epoch, streamCommits(epoch.dir, head))) {
          if ('skipped' in item) {
            run.skip(`${where ? `${where} ` : ''}commit ${item.commit}`, item.skipped);
            continue;
          }
          const origin = run.origin({ commit: item.commit, ...(epoch.label ? { file: epoch.label } : {}) });
          yield await parseMessage(item.data, origin);
        }
      } catch (e) {
        run.error(where, describeError(e));
      }
    }
  });
}

/** Mail already in memory (a git format-patch, a blob read from a repository), read under `name` like a file. */
export function openText(name: string, text: string | Buffer): Promise<InputReader> {
  return openStream(
    name,
    (async function* () {
      yield typeof text === 'string' ? Buffer.from(text) : text;
    })(),
    'message',
  );
}

/**
 * Open one input. `path` is a file, a directory or '-' (stdin, `opts.stdin` or process.stdin).
 * Throws InputError only when the path cannot be read at all.
 */
export async function openInput(path: string, opts: { stdin?: NodeJS.ReadableStream } = {}): Promise<InputReader> {
  if (path === '-') {
    const src = (opts.stdin ?? process.stdin) as unknown as AsyncIterable<Buffer | string>;
    try {
      return await openStream('-', src, 'stdin');
    } catch (e) {
      throw new InputError(`-: cannot read stdin: ${describeError(e)}`);
    }
  }
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(path);
  } catch (e) {
    throw new InputError(`${path}: cannot read: ${describeError(e)}`);
  }

  if (st.isDirectory()) {
    try {
      await access(path, constants.R_OK | constants.X_OK);
      await readdir(path);
    } catch (e) {
      throw new InputError(`${path}: cannot read directory: ${describeError(e)}`);
    }
    const inbox = await detectInbox(path);
    if (inbox && inbox.kind !== 'not-inbox') return inboxReader(path, inbox.epochs);
    if (inbox && inbox.kind === 'not-inbox') {
      const summary = newSummary(path, 'public-inbox');
      summary.errors.push(`${path}: ${inbox.reason}`);
      return reader(summary, async function* () {});
    }
    if (await isMaildir(path)) return reader(newSummary(path, 'maildir'), (run) => maildirMessages(run, path));
    return reader(newSummary(path, 'directory'), (run) => directoryMessages(run, path));
  }

  if (!st.isFile()) {
    // A FIFO or character device (`kreview scan <(zcat x.mbox.gz)`): a stream, read once.
    try {
      return await openStream(path, fileChunks(path), 'message');
    } catch (e) {
      throw new InputError(`${path}: cannot read: ${describeError(e)}`);
    }
  }

  let s: Awaited<ReturnType<typeof sniffFile>>;
  try {
    s = await sniffFile(path);
  } catch (e) {
    throw new InputError(`${path}: cannot read: ${describeError(e)}`);
  }
  const entry: Entry = { name: path, sniffed: s.sniffed, chunks: fileEntryChunks(path, s.gzip) };
  return reader(newSummary(path, kindOf(s.sniffed, path)), (run) => entryMessages(run, entry));
}

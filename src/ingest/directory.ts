// Directories of mail: a Maildir (cur/ new/ tmp/) or any directory of message files, read recursively in a
// deterministic order (names compared by code point). Files that are not mail are listed as skipped, with why;
// so are symbolic links (never followed), FIFOs, sockets and devices (never opened): see walk.ts.
import type { Dirent } from 'node:fs';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { byName, Walk, type EntryKind } from '../walk.js';
import type { Message } from './types.js';
import { describeError, entryMessages, type InputRun } from './entries.js';
import { isBareRepo } from './public-inbox.js';
import { isGzip, sniff, SNIFF_BYTES, type Sniffed } from './sniff.js';
import { fileChunks, gunzipChunks, gunzipHead, readHead } from './stream.js';

/** Sniff a file: its content kind, and whether it is gzip-compressed (then the sniff is of the content). */
export async function sniffFile(path: string): Promise<{ sniffed: Sniffed; gzip: boolean }> {
  let head = await readHead(path, SNIFF_BYTES);
  let gzip = false;
  if (isGzip(head)) {
    gzip = true;
    try {
      head = gunzipHead(head, SNIFF_BYTES);
    } catch (e) {
      return { sniffed: { kind: 'binary', reason: `corrupt gzip data (${describeError(e)})` }, gzip };
    }
  }
  return { sniffed: sniff(head, path.replace(/\.gz$/i, '')), gzip };
}

export function fileEntryChunks(path: string, gzip: boolean): () => AsyncIterable<Buffer> {
  return () => (gzip ? gunzipChunks(fileChunks(path)) : fileChunks(path));
}

/** A Maildir: cur/ and new/ subdirectories (real ones: a link there would lead out of the tree). */
export async function isMaildir(dir: string): Promise<boolean> {
  const sub = async (n: string): Promise<boolean> => {
    try {
      return (await lstat(join(dir, n))).isDirectory();
    } catch {
      return false;
    }
  };
  return (await sub('cur')) && (await sub('new'));
}

/** One file found in a directory input. */
async function* fileMessages(run: InputRun, abs: string, rel: string, inDirectory: boolean): AsyncGenerator<Message> {
  let s: Awaited<ReturnType<typeof sniffFile>>;
  try {
    s = await sniffFile(abs);
  } catch (e) {
    run.error(rel, `cannot read: ${describeError(e)}`);
    return;
  }
  if (inDirectory && s.sniffed.kind === 'archive-text' && s.sniffed.mailLike === null) {
    run.skip(rel, 'not mail: text without mail headers, archive markers or a diff');
    return;
  }
  yield* entryMessages(run, { rel, name: abs, sniffed: s.sniffed, chunks: fileEntryChunks(abs, s.gzip) });
}

async function list(run: InputRun, dir: string, rel: string): Promise<Dirent[] | null> {
  try {
    return (await readdir(dir, { withFileTypes: true })).sort((a, b) => byName(a.name, b.name));
  } catch (e) {
    run.error(rel || null, `cannot list directory: ${describeError(e)}`);
    return null;
  }
}

/** A directory being read: its walk (directories entered, by device and inode) and the real path of its top. */
interface Tree {
  walk: Walk;
  top: string;
}

async function tree(root: string): Promise<Tree> {
  return { walk: new Walk(), top: await realpath(root).catch(() => root) };
}

/**
 * An entry that is not read: a dangling link is an error of the input (reported, the run goes on);
 * other links, FIFOs, sockets and devices are skipped with why.
 */
function notRead(run: InputRun, rel: string, k: Extract<EntryKind, { type: 'skip' }>): void {
  if (k.broken) run.error(rel, k.reason);
  else run.skip(rel, k.reason);
}

/** Every message under a directory, depth first, names in code point order. */
export async function* directoryMessages(run: InputRun, root: string): AsyncGenerator<Message> {
  const t = await tree(root);
  async function* walk(dir: string, rel: string): AsyncGenerator<Message> {
    const st = await stat(dir).catch(() => null); // gone: list() says so
    if (st && !t.walk.enter(st)) {
      run.skip(rel, 'directory already read (a loop)');
      return;
    }
    if (rel && (await isMaildir(dir))) {
      yield* maildirMessages(run, dir, rel, t);
      return;
    }
    const entries = await list(run, dir, rel);
    if (!entries) return;
    for (const d of entries) {
      const abs = join(dir, d.name);
      const r = rel ? `${rel}/${d.name}` : d.name;
      const k = await t.walk.kind(abs, t.top);
      if (k.type === 'dir') {
        if (d.name === '.git') run.skip(r, 'git metadata');
        else if (await isBareRepo(abs)) run.skip(r, 'git repository (give it as an input of its own to read it as a public-inbox archive)');
        else yield* walk(abs, r);
      } else if (k.type === 'file') {
        yield* fileMessages(run, abs, r, true);
      } else {
        notRead(run, r, k);
      }
    }
  }
  yield* walk(root, '');
}

/**
 * A Maildir: messages of new/ and cur/ ordered by file name (delivery time comes first in Maildir names);
 * tmp/ holds deliveries in progress and is listed as skipped. Maildir++ folders (`.Name/`) are read too.
 */
export async function* maildirMessages(run: InputRun, root: string, rel = '', within?: Tree): AsyncGenerator<Message> {
  const t = within ?? (await tree(root));
  const prefix = rel ? `${rel}/` : '';
  const files: { sub: string; name: string }[] = [];
  for (const sub of ['new', 'cur']) {
    const entries = await list(run, join(root, sub), `${prefix}${sub}`);
    for (const d of entries ?? []) {
      const k = await t.walk.kind(join(root, sub, d.name), t.top);
      const r = `${prefix}${sub}/${d.name}`;
      if (k.type === 'file') files.push({ sub, name: d.name });
      else if (k.type === 'dir') run.skip(r, 'directory inside a Maildir folder');
      else notRead(run, r, k);
    }
  }
  files.sort((a, b) => byName(a.name, b.name) || byName(a.sub, b.sub));
  for (const f of files) yield* fileMessages(run, join(root, f.sub, f.name), `${prefix}${f.sub}/${f.name}`, false);

  const tmp = join(root, 'tmp');
  const hasTmp = await lstat(tmp).then(
    (st) => st.isDirectory(),
    () => false,
  );
  for (const d of (hasTmp ? await list(run, tmp, `${prefix}tmp`) : null) ?? []) {
    run.skip(`${prefix}tmp/${d.name}`, 'Maildir tmp/: a delivery still in progress');
  }
  const top = await list(run, root, rel);
  for (const d of top ?? []) {
    if (['cur', 'new', 'tmp'].includes(d.name)) continue;
    const abs = join(root, d.name);
    const r = `${prefix}${d.name}`;
    if (d.name.startsWith('.') && (await t.walk.kind(abs, t.top)).type === 'dir' && (await isMaildir(abs))) {
      yield* maildirMessages(run, abs, r, t);
    } else {
      run.skip(r, 'not part of a Maildir (cur/ new/ tmp/)');
    }
  }
}

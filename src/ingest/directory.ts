// Directories of mail: a Maildir (cur/ new/ tmp/) or any directory of message files, read recursively in a
// deterministic order (names compared by code point). Files that are not mail are listed as skipped, with why.
import type { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Message } from './types.js';
import { describeError, entryMessages, type InputRun } from './entries.js';
import { isBareRepo } from './public-inbox.js';
import { isGzip, sniff, SNIFF_BYTES, type Sniffed } from './sniff.js';
import { fileChunks, gunzipChunks, gunzipHead, readHead } from './stream.js';

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

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

/** A Maildir: cur/ and new/ subdirectories. */
export async function isMaildir(dir: string): Promise<boolean> {
  const sub = async (n: string): Promise<boolean> => {
    try {
      return (await stat(join(dir, n))).isDirectory();
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

/** Kind of a directory entry, following symlinks. */
async function entryType(abs: string, d: Dirent): Promise<'dir' | 'file' | 'other' | 'broken'> {
  if (d.isDirectory()) return 'dir';
  if (d.isFile()) return 'file';
  if (d.isSymbolicLink()) {
    try {
      const st = await stat(abs);
      return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
    } catch {
      return 'broken';
    }
  }
  return 'other';
}

/** Every message under a directory, depth first, names in code point order. */
export async function* directoryMessages(run: InputRun, root: string): AsyncGenerator<Message> {
  const seen = new Set<string>();
  async function* walk(dir: string, rel: string): AsyncGenerator<Message> {
    let real: string;
    try {
      real = await realpath(dir);
    } catch {
      real = dir;
    }
    if (seen.has(real)) {
      run.skip(rel, 'directory already read (symlink loop)');
      return;
    }
    seen.add(real);
    if (rel && (await isMaildir(dir))) {
      yield* maildirMessages(run, dir, rel);
      return;
    }
    const entries = await list(run, dir, rel);
    if (!entries) return;
    for (const d of entries) {
      const abs = join(dir, d.name);
      const r = rel ? `${rel}/${d.name}` : d.name;
      const t = await entryType(abs, d);
      if (t === 'dir') {
        if (d.name === '.git') run.skip(r, 'git metadata');
        else if (await isBareRepo(abs)) run.skip(r, 'git repository (give it as an input of its own to read it as a public-inbox archive)');
        else yield* walk(abs, r);
      } else if (t === 'file') {
        yield* fileMessages(run, abs, r, true);
      } else if (t === 'broken') {
        run.skip(r, 'broken symbolic link');
      } else {
        run.skip(r, 'not a regular file');
      }
    }
  }
  yield* walk(root, '');
}

/**
 * A Maildir: messages of new/ and cur/ ordered by file name (delivery time comes first in Maildir names);
 * tmp/ holds deliveries in progress and is listed as skipped. Maildir++ folders (`.Name/`) are read too.
 */
export async function* maildirMessages(run: InputRun, root: string, rel = ''): AsyncGenerator<Message> {
  const prefix = rel ? `${rel}/` : '';
  const files: { sub: string; name: string }[] = [];
  for (const sub of ['new', 'cur']) {
    const entries = await list(run, join(root, sub), `${prefix}${sub}`);
    for (const d of entries ?? []) {
      const abs = join(root, sub, d.name);
      const t = await entryType(abs, d);
      if (t === 'file') files.push({ sub, name: d.name });
      else run.skip(`${prefix}${sub}/${d.name}`, t === 'dir' ? 'directory inside a Maildir folder' : 'not a regular file');
    }
  }
  files.sort((a, b) => byName(a.name, b.name) || byName(a.sub, b.sub));
  for (const f of files) yield* fileMessages(run, join(root, f.sub, f.name), `${prefix}${f.sub}/${f.name}`, false);

  const tmp = join(root, 'tmp');
  const hasTmp = await stat(tmp).then(
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
    if (d.name.startsWith('.') && (await entryType(abs, d)) === 'dir' && (await isMaildir(abs))) {
      yield* maildirMessages(run, abs, r);
    } else {
      run.skip(r, 'not part of a Maildir (cur/ new/ tmp/)');
    }
  }
}

// Reading one C file for check, ir and explain, with what it holds checked before anything parses
// it: a file that is not regular is never opened, binary data and files over the size budget are
// refused with the reason (10 MB of random bytes took 4 GB and a minute to "parse"), UTF-16 with a
// byte order mark is decoded, and bytes that are not UTF-8 are read as Windows-1252.

import { BUDGETS } from './budgets.js';
import { constants, type Stats } from 'node:fs';
import { open, lstat, stat } from 'node:fs/promises';
import { TextDecoder } from 'node:util';
import { decodeGuess } from './ingest/charset.js';
import { binaryReason, bomOf } from './ingest/sniff.js';
import { notRegular, Walk, walkFiles } from './walk.js';

/** The largest C file kreview reads (the kernel's largest .c is under 1 MB; generated register headers reach 10). */
export const MAX_SOURCE_BYTES = BUDGETS.sourceBytes;

/** How much of a file is looked at before its size is: binary data is named as such whatever its size. */
const HEAD_BYTES = 8192;

export type SourceRead =
  | { ok: true; text: string; notes: string[] }
  /** `unreadable`: the file system said no; `refused`: kreview chose not to read it. */
  | { ok: false; status: 'unreadable' | 'refused'; reason: string };

const ERRNO: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EISDIR: 'a directory',
  ENOTDIR: 'a path component is not a directory',
  ELOOP: 'too many symbolic links',
};

/** What the file system said, in words. */
export function errnoReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return code ? (ERRNO[code] ?? code) : String(e);
}

const unreadable = (e: unknown): SourceRead => ({ ok: false, status: 'unreadable', reason: errnoReason(e) });

const refused = (reason: string): SourceRead => ({ ok: false, status: 'refused', reason });

const tooLarge = (size: number, how = ''): string =>
  `too large: ${how ? `${how}, ` : ''}${size}${how ? '+' : ''} bytes (the budget for one file is ${MAX_SOURCE_BYTES})`;

/** What the command line says of a file that was not read: "X: cannot read (why)" or "X: not read: why". */
export function notReadMessage(path: string, r: { status: 'unreadable' | 'refused'; reason: string }): string {
  return r.status === 'unreadable' ? `${path}: cannot read (${r.reason})` : `${path}: not read: ${r.reason}`;
}

/** UTF-16 without a byte order mark: NUL in most bytes of one parity, almost none of the other. */
function looksUtf16(b: Uint8Array): boolean {
  const n = Math.min(b.length, HEAD_BYTES) & ~1;
  if (n < 8) return false;
  let even = 0;
  let odd = 0;
  for (let i = 0; i < n; i += 2) {
    if (b[i] === 0) even++;
    if (b[i + 1] === 0) odd++;
  }
  const half = n / 2;
  return (odd > half * 0.4 && even < half * 0.05) || (even > half * 0.4 && odd < half * 0.05);
}

/** Text from a C file's bytes, or why they are not C source. */
export function decodeSource(bytes: Buffer): { text: string; notes: string[] } | { reason: string } {
  const bom = bomOf(bytes);
  if (bom === 'utf-16le' || bom === 'utf-16be') {
    const text = new TextDecoder(bom).decode(bytes.subarray(2));
    if (text.includes('\0')) return { reason: `not C source: binary data in ${bom.toUpperCase()} text` };
    return { text, notes: [`read as ${bom.toUpperCase()} (byte order mark)`] };
  }
  const body = bom === 'utf-8' ? bytes.subarray(3) : bytes;
  const nul = body.indexOf(0);
  if (nul >= 0)
    return { reason: looksUtf16(body) ? 'not C source: UTF-16 text without a byte order mark' : `not C source: binary data (NUL byte at offset ${nul})` };
  const bin = binaryReason(body);
  if (bin) return { reason: `not C source: ${bin}` };
  return { text: decodeGuess(body).text, notes: [] };
}

/**
 * Read a C file. `follow`: the path was named on the command line, so a symbolic link is followed;
 * a file found in a walk is opened without following one (it was a regular file when listed).
 */
export async function readSource(path: string, follow = true): Promise<SourceRead> {
  let st: Stats;
  try {
    st = await (follow ? stat(path) : lstat(path));
  } catch (e) {
    return unreadable(e);
  }
  if (!st.isFile()) return refused(notRegular(st));
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    // O_NONBLOCK: should the file be swapped for a FIFO after the stat, opening it does not wait for a writer.
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | (follow ? 0 : constants.O_NOFOLLOW));
  } catch (e) {
    return unreadable(e);
  }
  try {
    const now = await fh.stat();
    if (!now.isFile() || now.ino !== st.ino || now.dev !== st.dev) return refused('changed while being opened: not read');
    const head = Buffer.alloc(Math.min(HEAD_BYTES, MAX_SOURCE_BYTES + 1));
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    const first = decodeSource(head.subarray(0, bytesRead));
    if ('reason' in first) return refused(first.reason);
    if (now.size > MAX_SOURCE_BYTES) return refused(tooLarge(now.size));
    // One byte more than the budget: a file growing while read is caught too.
    const buf = Buffer.alloc(Math.min(now.size, MAX_SOURCE_BYTES) + 1);
    let got = 0;
    for (;;) {
      const r = await fh.read(buf, got, buf.length - got, got);
      if (r.bytesRead === 0) break;
      got += r.bytesRead;
      if (got === buf.length) break;
    }
    if (got > MAX_SOURCE_BYTES) return refused(tooLarge(got, 'grew while read'));
    const d = decodeSource(buf.subarray(0, got));
    return 'reason' in d ? refused(d.reason) : { ok: true, text: d.text, notes: d.notes };
  } catch (e) {
    return unreadable(e);
  } finally {
    await fh.close();
  }
}

const isC = (name: string): boolean => name.endsWith('.c') || name.endsWith('.h');

/** A C file a command names, or one found under a directory it names; `skipped` when it is not to be read. */
export interface SourceInput {
  path: string;
  /** Named on the command line: a file that cannot be read makes the run exit 2. */
  named: boolean;
  /** The path named on the command line it was found under (itself, when named). */
  root: string;
  /** `unreadable`: a problem (dangling link, unlistable directory); `ignored`: not read by rule (links, FIFOs). */
  skipped?: { status: 'unreadable' | 'ignored'; reason: string };
}

/**
 * The C files of `paths`: a file named is read whatever its name, a directory is walked for .c and
 * .h files (walk.ts). A file reached twice (named and under a directory, a hard link) is read once.
 */
export async function* sourceInputs(paths: string[], walk = new Walk()): AsyncGenerator<SourceInput> {
  for (const p of paths) {
    let st: Stats;
    try {
      st = await stat(p);
    } catch (e) {
      yield { path: p, named: true, root: p, skipped: { status: 'unreadable', reason: errnoReason(e) } };
      continue;
    }
    if (!st.isDirectory()) {
      const first = st.isFile() ? walk.alreadyRead(st, p) : null;
      yield first === null
        ? { path: p, named: true, root: p }
        : { path: p, named: true, root: p, skipped: { status: 'ignored', reason: `same file as ${first}, already read` } };
      continue;
    }
    for await (const f of walkFiles(walk, p, isC)) {
      // The directory named could not be listed at all: the named input is unreadable.
      const named = f.path === p;
      if (f.skipped === undefined) yield { path: f.path, named, root: p };
      else yield { path: f.path, named, root: p, skipped: { status: f.broken ? 'unreadable' : 'ignored', reason: f.skipped } };
    }
  }
}

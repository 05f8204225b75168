// Walking the directories a command is given (check's C files, scan's directories of mail).
// Only regular files are read. A symbolic link found inside a walk is never followed: out of the
// tree it reads what was not asked for, back into it it reads files twice or forever (`self -> .`),
// and a link to /dev/zero or a FIFO would never end. FIFOs, sockets and devices are never opened.
// Directories are entered once, by device and inode (bind mounts make loops without links).

import type { Dirent, Stats } from 'node:fs';
import { lstat, readdir, readlink, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';

/** What one directory entry is, without following it. */
export type EntryKind = { type: 'dir'; st: Stats } | { type: 'file'; st: Stats } | { type: 'skip'; reason: string; broken: boolean };

/** Code point order: the same on every machine and locale. */
export const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function errCode(e: unknown): string {
  return (e as NodeJS.ErrnoException | null)?.code ?? String(e);
}

/** Why a file of this type is not read ("FIFO: not a regular file"). */
export function notRegular(st: Stats): string {
  const what = st.isFIFO()
    ? 'FIFO'
    : st.isSocket()
      ? 'socket'
      : st.isCharacterDevice()
        ? 'character device'
        : st.isBlockDevice()
          ? 'block device'
          : st.isDirectory()
            ? 'directory'
            : 'special file';
  return `${what}: not a regular file, not opened`;
}

/** One walk: the directories entered so far (shared by every root a command is given). */
export class Walk {
  private readonly entered = new Set<string>();
  private readonly read = new Map<string, string>();

  /** True the first time this directory is entered, false when it was already (a loop). */
  enter(st: Stats): boolean {
    const key = `${st.dev}:${st.ino}`;
    if (this.entered.has(key)) return false;
    this.entered.add(key);
    return true;
  }

  /** The path this file was already read under, or null (and it is now read under `path`). */
  alreadyRead(st: Stats, path: string): string | null {
    const key = `${st.dev}:${st.ino}`;
    const first = this.read.get(key);
    if (first !== undefined) return first;
    this.read.set(key, path);
    return null;
  }

  /** What the entry `abs` is; a symbolic link is described (against `top`, the real path of the walked root), never followed. */
  async kind(abs: string, top: string): Promise<EntryKind> {
    let st: Stats;
    try {
      st = await lstat(abs);
    } catch (e) {
      return { type: 'skip', reason: `cannot read: ${errCode(e)}`, broken: true };
    }
    if (st.isDirectory()) return { type: 'dir', st };
    if (st.isFile()) return { type: 'file', st };
    if (!st.isSymbolicLink()) return { type: 'skip', reason: notRegular(st), broken: false };
    const target = await readlink(abs).catch(() => '?');
    try {
      const rel = relative(top, await realpath(abs));
      const inside = rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
      return {
        type: 'skip',
        reason: `symbolic link to ${target}: not followed (${inside ? 'its target is in the tree, read under its own path' : 'it leads out of the tree'})`,
        broken: false,
      };
    } catch (e) {
      const code = errCode(e);
      return { type: 'skip', reason: code === 'ELOOP' ? `symbolic link loop (to ${target})` : `broken symbolic link (to ${target})`, broken: true };
    }
  }
}

/** A file found by walkFiles, or an entry it did not read and why. */
export type Found = { path: string; st: Stats; skipped?: undefined } | { path: string; skipped: string; broken: boolean };

/**
 * Regular files under `root` (a directory) whose names `want` accepts, depth first in code point
 * order; entries `want` accepts that are not read (links, FIFOs, loops, unlistable directories)
 * come back with `skipped`.
 */
export async function* walkFiles(walk: Walk, root: string, want: (name: string) => boolean): AsyncGenerator<Found> {
  const top = await realpath(root);
  async function* dir(path: string): AsyncGenerator<Found> {
    let entries: Dirent[];
    try {
      entries = (await readdir(path, { withFileTypes: true })).sort((a, b) => byName(a.name, b.name));
    } catch (e) {
      yield { path, skipped: `cannot list directory: ${errCode(e)}`, broken: true };
      return;
    }
    for (const d of entries) {
      const abs = join(path, d.name);
      const k = await walk.kind(abs, top);
      if (k.type === 'dir') {
        if (walk.enter(k.st)) yield* dir(abs);
        else yield { path: abs, skipped: 'directory already read (a loop)', broken: false };
        continue;
      }
      if (!want(d.name)) continue; // not asked for: not even said
      if (k.type === 'skip') {
        yield { path: abs, skipped: k.reason, broken: k.broken };
        continue;
      }
      const first = walk.alreadyRead(k.st, abs);
      yield first === null ? { path: abs, st: k.st } : { path: abs, skipped: `same file as ${first}, already read`, broken: false };
    }
  }
  if (walk.enter(await stat(root))) yield* dir(root);
}

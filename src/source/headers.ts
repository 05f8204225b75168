// The headers a C file includes, read from where the file lives: the disk (`kreview check`) or the
// kernel git tree a patch is reviewed against (`scan --tree`). Local headers (`#include "md.h"`
// beside the file) give the file's calls their static inline helpers (`mddev_lock()`,
// `rw_unlock()`) and the structs it shares; the tree's `include/` (`#include <linux/netdevice.h>`)
// gives the struct definitions the file uses, with the locking annotations written on their
// members. One level deep; a header that cannot be read is said in the notes and skipped.

import { readFileSync, statSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { BUDGETS } from '../budgets.js';
import type { GitTree } from './git.js';

const LOCAL = /^[ \t]*#[ \t]*include[ \t]*"([^"]+)"/gm;
const SYSTEM = /^[ \t]*#[ \t]*include[ \t]*<([^>]+)>/gm;

/** Where a file's headers are read from. */
export interface HeaderSource {
  /** Names the place in cache keys: the disk, or one tree at one revision. */
  readonly id: string;
  /** The quoted includes of `text` that exist beside `path`. */
  local(path: string, text: string): Promise<string[]>;
  /** The `<...>` includes of `text` that exist in the kernel tree's `include/` (none when no tree is known). */
  system(path: string, text: string): Promise<string[]>;
  /** A header's text. */
  read(path: string): Promise<string | Error>;
}

function includesOf(text: string, re: RegExp): string[] {
  return [...new Set([...text.matchAll(re)].map((m) => m[1]!.trim()).filter((n) => n && !n.includes('\0')))];
}

/** The directory a kernel tree starts at, above `dir` (the one with `include/linux/kernel.h`), or null. */
const roots = new Map<string, string | null>();
export function kernelRoot(dir: string): string | null {
  const seen: string[] = [];
  let root: string | null = null;
  for (let d = dir; ; ) {
    const known = roots.get(d);
    if (known !== undefined) {
      root = known;
      break;
    }
    seen.push(d);
    if (isFile(join(d, 'include', 'linux', 'kernel.h'))) {
      root = d;
      break;
    }
    const up = dirname(d);
    if (up === d) break;
    d = up;
  }
  for (const d of seen) roots.set(d, root);
  return root;
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false; // not there (a generated header, one of another tree): nothing to read
  }
}

/** A header's text, read once per process (until forgotten). */
const texts = new Map<string, Promise<string | Error>>();

/** Forget the texts read so far: a long run over a tree keeps only the directory at hand. */
export function forgetHeaderTexts(): void {
  texts.clear();
}

function cached(key: string, read: () => Promise<string | Error>): Promise<string | Error> {
  let t = texts.get(key);
  if (!t) texts.set(key, (t = read()));
  return t;
}

/**
 * Every path `diskHeaders` may read for a file, whether it exists or not, and the kernel tree it
 * found: what a result cached for the file depends on besides its text.
 */
export function diskHeaderCandidates(path: string, text: string): { root: string | null; paths: string[] } {
  const dir = dirname(path);
  const root = kernelRoot(dir);
  return {
    root,
    paths: [...includesOf(text, LOCAL).map((n) => join(dir, n)), ...(root ? includesOf(text, SYSTEM).map((n) => join(root, 'include', n)) : [])],
  };
}

/** Headers on disk: beside the file, and in the kernel tree the file sits in. */
export const diskHeaders: HeaderSource = {
  id: 'disk',
  async local(path, text) {
    const dir = dirname(path);
    return includesOf(text, LOCAL)
      .map((n) => join(dir, n))
      .filter(isFile);
  },
  async system(path, text) {
    const root = kernelRoot(dirname(path));
    if (!root) return [];
    return includesOf(text, SYSTEM)
      .map((n) => join(root, 'include', n))
      .filter(isFile);
  },
  read(path) {
    return cached(`disk\0${path}`, async () => {
      try {
        const size = statSync(path).size;
        if (size > BUDGETS.sourceBytes) return new Error(`${size} bytes, over the budget for one file (${BUDGETS.sourceBytes})`);
        return readFileSync(path, 'utf8');
      } catch (e) {
        return e instanceof Error ? e : new Error(String(e));
      }
    });
  },
};

/** Headers of a kernel git tree at one revision (`scan --tree`): paths are the tree's. */
export function treeHeaders(tree: GitTree, rev: string): HeaderSource {
  const id = `git\0${tree.dir}\0${rev}`;
  const read = (path: string): Promise<string | Error> =>
    cached(`${id}\0${path}`, async () => {
      try {
        const b = await tree.fileAt(rev, path);
        return b ? b.content.toString('utf8') : new Error(`${path}: not in the tree at ${rev}`);
      } catch (e) {
        return e instanceof Error ? e : new Error(String(e));
      }
    });
  const existing = async (paths: string[]): Promise<string[]> => {
    const out: string[] = [];
    for (const p of paths) if (!p.startsWith('..') && typeof (await read(p)) === 'string') out.push(p);
    return out;
  };
  return {
    id,
    local: (path, text) => existing(includesOf(text, LOCAL).map((n) => posix.normalize(posix.join(posix.dirname(path), n)))),
    system: (_path, text) => existing(includesOf(text, SYSTEM).map((n) => posix.normalize(posix.join('include', n)))),
    read,
  };
}

// The local headers a C file includes (`#include "md.h"` beside it). Their static inline helpers
// are often how the file takes and drops its locks (`mddev_lock()`, `rw_unlock()`), so their bodies
// give the file's calls a summary. Read from disk next to the file, one level deep; a header that
// cannot be read is said in the notes and skipped.

import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

const INCLUDE = /^[ \t]*#[ \t]*include[ \t]*"([^"]+)"/gm;

/** Paths of the quoted includes of `text` that exist beside `path`. */
export function localIncludes(path: string, text: string): string[] {
  const dir = dirname(path);
  const out: string[] = [];
  for (const m of text.matchAll(INCLUDE)) {
    const p = join(dir, m[1]!);
    try {
      if (statSync(p).isFile() && !out.includes(p)) out.push(p);
    } catch {
      // Not beside the file (a generated header, one from include/): nothing to read.
    }
  }
  return out;
}

/** A header's text, read once per process (until forgotten). */
const texts = new Map<string, string | Error>();

/** Forget the texts read so far: a long run over a tree keeps only the directory at hand. */
export function forgetHeaderTexts(): void {
  texts.clear();
}

export function headerText(path: string): string | Error {
  let t = texts.get(path);
  if (t === undefined) {
    try {
      t = readFileSync(path, 'utf8');
    } catch (e) {
      t = e instanceof Error ? e : new Error(String(e));
    }
    texts.set(path, t);
  }
  return t;
}

// File headers of a diff: `diff --git` with git's extended headers (modes, renames and copies with
// their similarity, `index <old>..<new>` blob hashes, binary markers), plain `diff -u`/`diff -urN`,
// quilt/svn `Index:` blocks, and a bare `---`/`+++` pair.
//
// Why not jsdiff's parsePatch (the `diff` package, which the project uses elsewhere): it reads
// `Index:`, `---`/`+++` and hunks, but drops git's extended headers (no rename/copy/mode/blob/binary
// information), keeps no line positions (every finding must point back to a body line), and throws
// on the first line it does not expect, where mail needs repairing (lost context prefixes, wrapped
// lines, quote prefixes, reviewer comments inside hunks). The tests use it as an independent oracle
// for clean diffs instead (test/patch/clean.suite.ts).

import type { FilePatch } from './types.js';
import type { BodyLine } from './lines.js';

export interface FileHeader {
  file: FilePatch;
  /** Index of the first line after the header (a hunk header, or whatever follows). */
  next: number;
  notes: string[];
}

const GIT_START = /^diff --git (.+)$/;
const COMBINED = /^diff --(?:cc|combined) /;
const DIFF_CMD = /^diff (?:-[-\w]+\s+)+(\S.*)$/;
const INDEX_LINE = /^Index: (.+)$/;
const OLD_FILE = /^--- (.+)$/;
const NEW_FILE = /^\+\+\+ (.+)$/;
export const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$/;

/** Top-level directories of a kernel tree: a path starting with one is already relative to the tree. */
const KERNEL_TOP =
  /^(?:arch|block|certs|crypto|Documentation|drivers|fs|include|init|io_uring|ipc|kernel|lib|LICENSES|mm|net|rust|samples|scripts|security|sound|tools|usr|virt|MAINTAINERS|Makefile|Kconfig|CREDITS|README|COPYING)$/;

/** A file patch with nothing known yet: the headers that follow fill it in. */
export function emptyFile(): FilePatch {
  return {
    oldPath: null,
    newPath: null,
    path: null,
    status: 'modified',
    oldBlob: null,
    newBlob: null,
    oldMode: null,
    newMode: null,
    binary: false,
    hunks: [],
  };
}

/** A file patch whose file is not known (fragments, quoted code, hunks whose file header was cut). */
export function unknownFile(): FilePatch {
  return { ...emptyFile(), status: 'unknown' };
}

/** Git's C-style quoted path (`"a/caf\303\251 x.c"`). */
export function unquotePath(s: string): string {
  if (!s.startsWith('"') || !s.endsWith('"') || s.length < 2) return s;
  const bytes: number[] = [];
  const body = s.slice(1, -1);
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      for (const b of Buffer.from(c, 'utf8')) bytes.push(b);
      continue;
    }
    const n = body[++i] ?? '';
    const oct = /^[0-7]{3}/.exec(body.slice(i, i + 3));
    if (oct) {
      bytes.push(parseInt(oct[0], 8));
      i += 2;
    } else {
      const map: Record<string, number> = { n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11, '"': 34, '\\': 92 };
      bytes.push(map[n] ?? n.charCodeAt(0));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Read one (possibly quoted) path token from the start of `s`. */
function takePath(s: string): { path: string; rest: string } | null {
  if (s.startsWith('"')) {
    let i = 1;
    while (i < s.length && s[i] !== '"') i += s[i] === '\\' ? 2 : 1;
    if (i >= s.length) return null;
    return { path: unquotePath(s.slice(0, i + 1)), rest: s.slice(i + 1).replace(/^ /, '') };
  }
  return null;
}

/** Drop a git mnemonic prefix (a/, b/, c/, i/, w/, o/, 1/, 2/). */
const dropGitPrefix = (p: string): string => p.replace(/^[abciwo12]\//, '');

/** The two paths of `diff --git <a> <b>`; with spaces in names, the split that makes both sides equal. */
export function splitGitPaths(rest: string): [string, string] | null {
  const q = takePath(rest);
  if (q) {
    const b = takePath(q.rest) ?? { path: q.rest };
    return [q.path, b.path];
  }
  const qb = rest.indexOf(' "');
  if (qb > 0) {
    const b = takePath(rest.slice(qb + 1));
    if (b) return [rest.slice(0, qb), b.path];
  }
  const spaces: number[] = [];
  for (let i = rest.indexOf(' '); i >= 0; i = rest.indexOf(' ', i + 1)) spaces.push(i);
  for (const k of spaces) {
    const a = rest.slice(0, k);
    const b = rest.slice(k + 1);
    if (dropGitPrefix(a) === dropGitPrefix(b)) return [a, b];
  }
  const bi = rest.indexOf(' b/');
  if (bi > 0) return [rest.slice(0, bi), rest.slice(bi + 1)];
  if (spaces.length) {
    const k = spaces[Math.floor(spaces.length / 2)]!;
    return [rest.slice(0, k), rest.slice(k + 1)];
  }
  return null;
}

/** GNU diff -N dates a missing file at the epoch (in the sender's time zone). */
const EPOCH = /(?:^|\s)19(?:69-12-31|70-01-01)[ T]\d\d:\d\d:\d\d|\b(?:Thu Jan +1|Wed Dec 31) \d\d:\d\d:\d\d 19(?:70|69)\b/;

/** `--- a/x\t2024-01-01 ...` → `a/x`; `/dev/null` (or an epoch-dated file of `diff -N`) → null. */
function headerPath(s: string): string | null {
  if (EPOCH.test(s.slice(s.search(/\s/) + 1))) return null;
  let p = s.startsWith('"') ? (takePath(s)?.path ?? s) : s.split('\t')[0]!;
  // timestamps whose tab a mailer turned into spaces
  p = p.replace(/\s+\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?(?:\s*[+-]\d{4})?\s*$/, '');
  p = p.replace(/\s+(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) \w{3} +\d+ \d\d:\d\d:\d\d \d{4}\s*$/, '');
  p = p.trim();
  if (p === '/dev/null' || p === 'dev/null') return null;
  return p;
}

/** Paths of a plain (non-git) diff relative to the tree: strip the first component as `patch -p1` would. */
function treeRelative(oldP: string | null, newP: string | null): { oldPath: string | null; newPath: string | null } {
  const strip = (p: string | null, other: string | null): string | null => {
    if (p === null) return null;
    const parts = p.replace(/^\.\//, '').split('/');
    if (parts.length < 2) return parts.join('/');
    const first = parts[0]!;
    const otherFirst = other?.replace(/^\.\//, '').split('/')[0];
    if (/^[ab]$/.test(first)) return parts.slice(1).join('/');
    if (KERNEL_TOP.test(first) && (otherFirst === undefined || otherFirst === first || KERNEL_TOP.test(otherFirst))) return parts.join('/');
    return parts.slice(1).join('/');
  };
  const o = strip(oldP, newP)?.replace(/(?:\.orig|~)$/, '') ?? null;
  const n = strip(newP, oldP);
  return { oldPath: o, newPath: n };
}

function finish(f: FilePatch): void {
  if (f.status === 'added') f.oldPath = null;
  if (f.status === 'deleted') f.newPath = null;
  if (f.status === 'modified') {
    if (f.oldPath === null && f.newPath !== null) f.status = 'added';
    else if (f.newPath === null && f.oldPath !== null) f.status = 'deleted';
  }
  f.path = f.newPath ?? f.oldPath;
}

/** Does a file header start at line `i` (at quote depth `depth`)? */
export function fileHeaderAt(lines: readonly BodyLine[], i: number, depth: number): boolean {
  const l = lines[i];
  if (!l || l.depth !== depth) return false;
  const t = l.text;
  const c = t.charCodeAt(0);
  if (c !== 100 /* d */ && c !== 73 /* I */ && c !== 45 /* - */ && c !== 43 /* + */) return false;
  if (GIT_START.test(t) || COMBINED.test(t)) return true;
  if (DIFF_CMD.test(t) || INDEX_LINE.test(t)) return nextIsOldFile(lines, i, depth);
  if (OLD_FILE.test(t)) return isOldNewPair(lines, i, depth);
  // a quote that kept only the `+++ b/path` line of the file header
  if (NEW_FILE.test(t)) {
    const n = lines[i + 1];
    return !!n && n.depth === depth && HUNK_HEADER.test(n.text) && headerPath(NEW_FILE.exec(t)![1]!) !== null;
  }
  return false;
}

function nextIsOldFile(lines: readonly BodyLine[], i: number, depth: number): boolean {
  for (let j = i + 1; j < Math.min(lines.length, i + 4); j++) {
    const l = lines[j]!;
    if (l.depth !== depth) return false;
    if (OLD_FILE.test(l.text)) return isOldNewPair(lines, j, depth);
    if (/^Binary files .* differ$/.test(l.text)) return true;
    if (!/^={10,}$|^(?:RCS file|retrieving revision|diff -)/.test(l.text)) return false;
  }
  return false;
}

/** `--- x` directly followed by `+++ y` and then a hunk header. */
function isOldNewPair(lines: readonly BodyLine[], i: number, depth: number): boolean {
  const a = lines[i]!;
  const b = lines[i + 1];
  const c = lines[i + 2];
  if (!b || b.depth !== depth || !NEW_FILE.test(b.text)) return false;
  if (a.text === '--- ' || /^--- ?$/.test(a.text)) return false;
  return !!c && c.depth === depth && HUNK_HEADER.test(c.text);
}

/** Parse the file header at `i` (fileHeaderAt must have said yes). */
export function parseFileHeader(lines: readonly BodyLine[], i: number, depth: number): FileHeader {
  const notes: string[] = [];
  const f = emptyFile();
  const t = lines[i]!.text;
  let j = i + 1;
  const at = (k: number): string | null => (k < lines.length && lines[k]!.depth === depth ? lines[k]!.text : null);

  if (COMBINED.test(t)) {
    notes.push(`body line ${lines[i]!.no}: combined diff (merge) not supported: skipped`);
    f.path = t.replace(COMBINED, '').trim();
    f.newPath = f.path;
    f.oldPath = f.path;
    f.binary = false;
    // skip to the next file header
    while (at(j) !== null && !GIT_START.test(at(j)!) && !COMBINED.test(at(j)!)) j++;
    f.status = 'unknown';
    return { file: f, next: j, notes };
  }

  const git = GIT_START.exec(t);
  if (git) {
    const paths = splitGitPaths(git[1]!);
    if (paths) {
      f.oldPath = dropGitPrefix(paths[0]);
      f.newPath = dropGitPrefix(paths[1]);
    } else notes.push(`body line ${lines[i]!.no}: cannot read the paths of ${JSON.stringify(t)}`);
    for (;;) {
      const h = at(j);
      if (h === null) break;
      let m: RegExpExecArray | null;
      if ((m = /^old mode (\d+)\s*$/.exec(h))) f.oldMode = m[1]!;
      else if ((m = /^new mode (\d+)\s*$/.exec(h))) f.newMode = m[1]!;
      else if ((m = /^deleted file mode (\d+)\s*$/.exec(h))) {
        f.status = 'deleted';
        f.oldMode = m[1]!;
      } else if ((m = /^new file mode (\d+)\s*$/.exec(h))) {
        f.status = 'added';
        f.newMode = m[1]!;
      } else if ((m = /^(?:dis)?similarity index (\d+)%\s*$/.exec(h))) f.similarity = Number(m[1]);
      else if ((m = /^rename (?:from|old) (.+)$/.exec(h))) {
        f.status = 'renamed';
        f.oldPath = unquotePath(m[1]!);
      } else if ((m = /^rename (?:to|new) (.+)$/.exec(h))) {
        f.status = 'renamed';
        f.newPath = unquotePath(m[1]!);
      } else if ((m = /^copy from (.+)$/.exec(h))) {
        f.status = 'copied';
        f.oldPath = unquotePath(m[1]!);
      } else if ((m = /^copy to (.+)$/.exec(h))) {
        f.status = 'copied';
        f.newPath = unquotePath(m[1]!);
      } else if ((m = /^index ([0-9a-f]+)\.\.([0-9a-f]+)(?: (\d+))?\s*$/.exec(h))) {
        f.oldBlob = /^0+$/.test(m[1]!) ? null : m[1]!;
        f.newBlob = /^0+$/.test(m[2]!) ? null : m[2]!;
        if (m[3]) {
          f.oldMode ??= m[3];
          f.newMode ??= m[3];
        }
      } else if (/^Binary files .* differ\s*$/.test(h)) {
        f.binary = true;
      } else if (/^GIT binary patch\s*$/.test(h)) {
        f.binary = true;
        j++;
        // literal/delta blocks of base85 lines, each ended by a blank line
        while (at(j) !== null && (at(j) === '' || /^(?:literal|delta) \d+$/.test(at(j)!) || /^[A-Za-z][0-9A-Za-z!#$%&()*+;<=>?@^_`{|}~-]+$/.test(at(j)!))) j++;
        continue;
      } else break;
      j++;
    }
    const o = at(j);
    const n = at(j + 1);
    if (o !== null && n !== null && OLD_FILE.test(o) && NEW_FILE.test(n)) {
      const op = headerPath(OLD_FILE.exec(o)![1]!);
      const np = headerPath(NEW_FILE.exec(n)![1]!);
      if (op === null) f.status = 'added';
      else if (f.status !== 'renamed' && f.status !== 'copied') f.oldPath = dropGitPrefix(op);
      if (np === null) f.status = 'deleted';
      else if (f.status !== 'renamed' && f.status !== 'copied') f.newPath = dropGitPrefix(np);
      j += 2;
    }
    finish(f);
    return { file: f, next: j, notes };
  }

  const lone = NEW_FILE.exec(t);
  if (lone) {
    const p = headerPath(lone[1]!);
    f.newPath = p && /^[ab]\//.test(p) ? dropGitPrefix(p) : treeRelative(p, p).newPath;
    f.oldPath = f.newPath;
    finish(f);
    return { file: f, next: i + 1, notes };
  }

  // Plain diffs: `Index:` / `diff -u ...` lines before the `---`/`+++` pair, or the pair alone.
  let indexPath: string | null = null;
  const idx = INDEX_LINE.exec(t);
  if (idx) indexPath = idx[1]!.trim();
  if (!OLD_FILE.test(t)) {
    while (at(j) !== null && !OLD_FILE.test(at(j)!)) {
      if (/^Binary files (.+) and (.+) differ\s*$/.test(at(j)!)) {
        const b = /^Binary files (.+) and (.+) differ\s*$/.exec(at(j)!)!;
        const p = treeRelative(headerPath(b[1]!), headerPath(b[2]!));
        f.oldPath = p.oldPath;
        f.newPath = p.newPath;
        f.binary = true;
        finish(f);
        return { file: f, next: j + 1, notes };
      }
      j++;
    }
  } else j = i;
  const o = at(j);
  const n = at(j + 1);
  if (o !== null && n !== null && OLD_FILE.test(o) && NEW_FILE.test(n)) {
    const p = treeRelative(headerPath(OLD_FILE.exec(o)![1]!), headerPath(NEW_FILE.exec(n)![1]!));
    f.oldPath = p.oldPath;
    f.newPath = p.newPath;
    j += 2;
  } else if (indexPath) {
    const p = treeRelative(indexPath, indexPath);
    f.oldPath = p.oldPath;
    f.newPath = p.newPath;
  }
  finish(f);
  return { file: f, next: j, notes };
}

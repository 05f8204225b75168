// One text (a message body or a text attachment) → the patches in it.
//
// The scan walks the lines once, front to back. At each line, in order: archive footers end the text;
// lines quoted less deeply than an open patch are the reviewer's comments on it; `-- ` signatures,
// scissors, `-----` rules and in-body header blocks (`From:`/`Date:`/`Subject:`) end the open patch
// (and the last sets the subject of the next); then a file header, a hunk header, line-numbered code,
// or `+`/`-` lines that read as C start or extend a patch. A patch is sent (kind diff) at depth 0 and
// quoted deeper; one without any header is a fragment; numbered code is its own patch of kind code.

import type { FilePatch, Patch, PatchKind, ReviewComment } from './types.js';
import { bodyLines, type BodyLine } from './lines.js';
import { fileHeaderAt, parseFileHeader, unknownFile } from './diff-headers.js';
import { parseHunkHeader, readHunk, type HunkHeader, type HunkRead, type ReadOptions } from './hunks.js';
import { baseCommitOf, headerBlockAt, isFooter, isRule, isScissors, isSignature, isSnip } from './markers.js';
import { mayStartFragment, readFragment } from './fragments.js';
import { numberedCodeAt } from './numbered.js';
import { indentDamage } from './indent.js';

export interface TextSource {
  input: string;
  messageIndex: number;
  messageId: string | null;
  subject: string;
  from: Patch['from'];
  /** Message-level damage hints from ingest ('format-flowed', 'html-converted' ...). */
  hints: readonly string[];
}

export interface TextExtraction {
  patches: Omit<Patch, 'id'>[];
  notes: string[];
  baseCommits: string[];
  /** What the text held, for saying why nothing was found. */
  stats: TextStats;
}

export interface TextStats {
  lines: number;
  quoted: number; // lines at depth >= 1
  own: number; // non-blank lines at depth 0
  diffLike: number; // lines that looked like diff text but did not make a patch
  shortlog: boolean; // a git shortlog ("Name (N):" and indented subjects) or a diffstat summary
  pullRequest: boolean;
}

/** Damage hints from ingest that concern the text of a patch. */
const TEXT_HINTS = new Set([
  'format-flowed',
  'format-flowed-delsp',
  'html-converted',
  'quoted-printable-soft-breaks',
  'charset-fallback',
  'truncated',
  'cr-line-ends',
]);

class Builder {
  readonly files: FilePatch[] = [];
  readonly comments: ReviewComment[] = [];
  readonly damage = new Set<string>();
  private file: FilePatch | null = null;
  private pending: BodyLine[] = [];
  private last: ReviewComment['after'] = null;
  hasFileHeader = false;
  hasHunkHeader = false;
  closedForFiles = false; // prose at the patch's own depth after a sent diff: a new diff is a new patch
  baseCommit: string | null = null;

  constructor(
    readonly depth: number,
    readonly bodyLine: number,
    readonly subject: string,
    readonly author: string | null,
  ) {}

  addFile(f: FilePatch): void {
    this.flush();
    this.files.push(f);
    this.file = f;
    this.hasFileHeader = true;
  }

  /** A hunk of the current file (a file left unknown when its header was not quoted). */
  addHunk(read: HunkRead, headed: boolean): void {
    this.flush();
    if (!this.file) {
      this.file = unknownFile();
      this.files.push(this.file);
    }
    if (headed) this.hasHunkHeader = true;
    const fi = this.files.indexOf(this.file);
    const hi = this.file.hunks.length;
    this.file.hunks.push(read.hunk);
    for (const d of read.damage) this.damage.add(d);
    if (read.snipped) this.damage.add('snipped');
    for (const c of read.comments) {
      const after = c.after >= 0 ? { file: fi, hunk: hi, line: c.after } : this.last;
      this.addComment(c.lines, after);
    }
    if (read.hunk.lines.length) this.last = { file: fi, hunk: hi, line: read.hunk.lines.length - 1 };
  }

  comment(l: BodyLine): void {
    this.pending.push(l);
  }

  snip(): void {
    this.damage.add('snipped');
  }

  /** Consecutive lines of one quote depth make one comment (a quoted reviewer, then the replier). */
  private addComment(lines: BodyLine[], after: ReviewComment['after']): void {
    let from = 0;
    let depth = -1;
    for (let k = 0; k < lines.length; k++) {
      const l = lines[k]!;
      if (!l.text.trim()) continue;
      if (depth >= 0 && l.depth !== depth) {
        this.addRun(lines.slice(from, k), after);
        from = k;
      }
      depth = l.depth;
    }
    this.addRun(lines.slice(from), after);
  }

  private addRun(lines: BodyLine[], after: ReviewComment['after']): void {
    let a = 0;
    let b = lines.length;
    while (a < b && !lines[a]!.text.trim()) a++;
    while (b > a && !lines[b - 1]!.text.trim()) b--;
    if (a >= b) return;
    const body = lines.slice(a, b);
    this.comments.push({
      text: body.map((l) => l.text).join('\n'),
      bodyLine: body[0]!.no,
      after,
      depth: Math.min(...body.map((l) => l.depth)),
    });
  }

  private flush(): void {
    if (this.pending.length) this.addComment(this.pending, this.last);
    this.pending = [];
  }

  get empty(): boolean {
    return !this.files.length;
  }

  finish(src: TextSource, opts: ReadOptions): Omit<Patch, 'id'> {
    this.flush();
    let kind: PatchKind;
    if (this.depth === 0) kind = this.hasFileHeader ? 'diff' : 'fragment';
    else kind = this.hasFileHeader || this.hasHunkHeader ? 'quoted' : 'fragment';
    const damage = this.damage;
    if (this.files.some((f) => f.path === null && f.status === 'unknown')) damage.add('no-header');
    for (const d of indentDamage(this.files)) damage.add(d);
    for (const h of src.hints) if (TEXT_HINTS.has(h)) damage.add(h);
    if (opts.flowed) damage.add('format-flowed');
    if (src.from !== 'body') damage.add('attachment');
    const patch: Omit<Patch, 'id'> = {
      input: src.input,
      messageIndex: src.messageIndex,
      messageId: src.messageId,
      subject: this.subject,
      kind,
      quoteDepth: this.depth,
      damage: [...damage],
      baseCommit: this.baseCommit,
      files: this.files,
      comments: this.comments,
      bodyLine: this.bodyLine,
      from: src.from,
    };
    if (this.author) patch.author = this.author;
    return patch;
  }
}

function textStats(lines: readonly BodyLine[]): TextStats {
  let quoted = 0;
  let own = 0;
  let shortlog = false;
  let pullRequest = false;
  for (const l of lines) {
    if (l.depth > 0) quoted++;
    else if (l.text.trim()) own++;
    if (l.depth === 0 && !shortlog && (l.text.includes('):') || l.text.includes(' changed'))) {
      if (/^\S.*\(\d+\):\s*$/.test(l.text) || /^\s*\d+ files? changed(?:, \d+ insertions?\(\+\))?/.test(l.text)) shortlog = true;
    }
    if (l.depth === 0 && !pullRequest && (l.text.startsWith('The following') || l.text.startsWith('are available'))) {
      if (/^The following changes since commit [0-9a-f]{7,}/.test(l.text) || /^are available in the Git repository at:?\s*$/.test(l.text)) pullRequest = true;
    }
  }
  return { lines: lines.length, quoted, own, diffLike: 0, shortlog, pullRequest };
}

/** The `@@ ... @@` part of a hunk header line (the section after it can be long). */
const hunkHeaderText = (t: string): string => t.slice(0, t.indexOf('@@', 2) + 2);

/** Patches in one text. */
export function extractText(text: string, src: TextSource): TextExtraction {
  const lines = bodyLines(text);
  const flowed = src.hints.includes('format-flowed');
  const opts: ReadOptions = { flowed, delsp: src.hints.includes('format-flowed-delsp') };
  const out: Omit<Patch, 'id'>[] = [];
  const notes: string[] = [];
  const stats = textStats(lines);
  const bases: { sha: string; line: number; depth: number }[] = [];
  let subject = src.subject;
  let author: string | null = null;
  let open: Builder | null = null;

  const close = (): void => {
    if (open && !open.empty) out.push(open.finish(src, opts));
    open = null;
  };
  const start = (depth: number, line: number): Builder => {
    close();
    open = new Builder(depth, line, subject, author);
    return open;
  };
  /** May a header or piece at this depth join the open patch? */
  const joinable = (depth: number, forFile: boolean): Builder | null => {
    const o = open as Builder | null;
    if (!o || o.depth !== depth) return null;
    if (forFile && o.closedForFiles) return null;
    return o;
  };

  const n = lines.length;
  let i = 0;
  while (i < n) {
    const L = lines[i]!;
    const t = L.text;
    const d = L.depth;
    const cur = open as Builder | null;
    if (d === 0 && isFooter(t)) break;

    // lines quoted less deeply than the open patch: the reviewer's words (unless a diff starts there)
    if (cur && d < cur.depth) {
      if (isSnip(t)) {
        cur.snip();
        i++;
        continue;
      }
      if (d === 0 && isSignature(t)) {
        close();
        i++;
        continue;
      }
      if (!fileHeaderAt(lines, i, d) && !parseHunkHeader(t) && !(mayStartFragment(L) && readFragment(lines, i, d, opts).read)) {
        cur.comment(L);
        i++;
        continue;
      }
    }

    const ownDepth = cur ? d === cur.depth : d === 0;
    if (ownDepth && (isSignature(t) || isScissors(t) || isRule(t))) {
      close();
      // what follows is another patch (or nothing): it has its own headers, or the message's
      subject = src.subject;
      author = null;
      i++;
      continue;
    }
    const prevBlank = i === 0 || !lines[i - 1]!.text.trim() || isScissors(lines[i - 1]!.text) || isRule(lines[i - 1]!.text);
    const hb = (prevBlank || /Original Message|Forwarded message/i.test(t)) && /^[-A-Za-z]/.test(t) ? headerBlockAt(lines, i, d) : null;
    if (hb) {
      close();
      if (hb.subject) subject = hb.subject;
      if (hb.from) author = hb.from;
      i = hb.end;
      continue;
    }
    const base = baseCommitOf(t);
    if (base) {
      bases.push({ sha: base, line: L.no, depth: d });
      i++;
      continue;
    }
    if (fileHeaderAt(lines, i, d)) {
      const b = joinable(d, true) ?? start(d, L.no);
      const fh = parseFileHeader(lines, i, d);
      notes.push(...fh.notes);
      b.addFile(fh.file);
      i = fh.next;
      continue;
    }
    const hh = parseHunkHeader(t);
    if (hh) {
      const b = joinable(d, true) ?? start(d, L.no);
      let header: HunkHeader | null = null;
      if ('damaged' in hh) {
        // The lines are still the patch's; read them as a piece without a header, so without line numbers.
        notes.push(`body line ${L.no}: damaged hunk header ${JSON.stringify(hunkHeaderText(t))}: ${hh.damaged}; its lines are read without line numbers`);
        b.damage.add('damaged-hunk-header');
      } else header = hh;
      const read = readHunk(lines, i + 1, d, header, L.no, opts);
      if (!header) read.hunk.section = hh.section;
      b.addHunk(read, true);
      i = Math.max(read.next, i + 1);
      continue;
    }
    const code = numberedCodeAt(lines, i, d);
    if (code) {
      close();
      const b = start(d, L.no);
      const f = unknownFile();
      f.hunks.push(...code.hunks);
      b.addFile(f);
      b.hasFileHeader = false;
      const p = b.finish(src, opts);
      p.kind = 'code';
      out.push(p);
      open = null;
      i = code.next;
      continue;
    }
    if (mayStartFragment(L)) {
      const fr = readFragment(lines, i, d, opts);
      if (fr.read) {
        const b = joinable(d, false) ?? start(d, L.no);
        b.addHunk(fr.read, false);
        i = Math.max(fr.read.next, i + 1);
        continue;
      }
      stats.diffLike += fr.skip - i;
      i = fr.skip;
      continue;
    }
    // prose or blank at this depth
    if (cur && t.trim()) {
      if (d === cur.depth) {
        if (cur.depth === 0 && cur.hasFileHeader) cur.closedForFiles = true;
        else if (cur.depth === 0) cur.comment(L); // an unquoted reply's words after the piece it pasted
      } else if (d > cur.depth) {
        // more deeply quoted text: not this patch's
      }
    } else if (cur && !t.trim() && d < cur.depth) cur.comment(L);
    i++;
  }
  close();

  // base-commit trailers: the patch before them at the same depth, else every patch that has none
  const closest = (p: Omit<Patch, 'id'>): string | null => {
    const mine = bases.filter((b) => b.depth === p.quoteDepth && b.line > p.bodyLine);
    const next = out.find((q) => q !== p && q.bodyLine > p.bodyLine && q.quoteDepth === p.quoteDepth);
    const hit = mine.find((b) => !next || b.line < next.bodyLine);
    return hit?.sha ?? null;
  };
  for (const p of out) {
    if (p.kind === 'code') continue;
    p.baseCommit = closest(p) ?? (bases.length === 1 && bases[0]!.depth === p.quoteDepth ? bases[0]!.sha : null);
  }
  return { patches: out, notes, baseCommits: [...new Set(bases.filter((b) => b.depth === 0).map((b) => b.sha))], stats };
}

// Hunk bodies: the lines after an `@@` header (or the lines of a header-less fragment piece), read
// tolerantly and recounted.
//
// Reading is in two steps. collect() finds how far the hunk may reach: on a clean hunk exactly as
// far as its header says (as `git apply` reads it); once the text shows damage (a line without a
// diff prefix, an empty line), as far as lines still look like diff text, stopping at the next
// header, a signature, a snip marker, or prose. interpret() then reads the doubtful lines (context
// that lost its prefix, or a wrapped continuation?) and, when there is a header, picks the longest
// reading whose counts meet it. Lines quoted less deeply than the hunk are the reviewer's comments
// between its lines; they do not end it.

import type { DiffLine, Hunk } from './types.js';
import type { BodyLine } from './lines.js';
import { HUNK_HEADER, fileHeaderAt } from './diff-headers.js';
import {
  attributionOf,
  baseCommitOf,
  headerBlockAt,
  isFooter,
  isFormatPatchFromLine,
  isRule,
  isScissors,
  isSignature,
  isSnip,
  isVersionLine,
} from './markers.js';
import { commentStateAfter, endsStatement, looksLikeCode, looksLikeProse, parenBalance, startsLikeCode } from './codelike.js';
import { joinWrapped, reconcile, wrapScore, type Doubt, type PrevLine, type WrapContext } from './repair.js';

export interface HunkHeader {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  section: string;
}

/** A line shaped like a hunk header whose numbers no diff can have: why, and its section (still good). */
export interface DamagedHunkHeader {
  damaged: string;
  section: string;
}

/**
 * The `@@ -a,b +c,d @@ section` line, or null when `t` is not one. Numbers beyond exact integer range
 * (2^53) would silently turn into floats; such a header is damaged, and its line numbers are not used.
 */
export function parseHunkHeader(t: string): HunkHeader | DamagedHunkHeader | null {
  if (!t.startsWith('@@')) return null;
  const m = HUNK_HEADER.exec(t);
  if (!m) return null;
  const h: HunkHeader = {
    oldStart: Number(m[1]),
    oldLines: m[2] === undefined ? 1 : Number(m[2]),
    newStart: Number(m[3]),
    newLines: m[4] === undefined ? 1 : Number(m[4]),
    section: (m[5] ?? '').replace(/\s+$/, ''),
  };
  const bad = [m[1], m[2], m[3], m[4]].find((d) => d !== undefined && !Number.isSafeInteger(Number(d)));
  if (bad !== undefined) return { damaged: `${bad} is too large for a line number or count`, section: h.section };
  // Line numbers are counted up from the start: the last one must be exact too.
  if (!Number.isSafeInteger(h.oldStart + h.oldLines) || !Number.isSafeInteger(h.newStart + h.newLines))
    return { damaged: 'its lines would run past the largest exact line number', section: h.section };
  return h;
}

export interface ReadOptions {
  flowed: boolean;
  delsp: boolean;
}

/** The reviewer's words inside a hunk, after line `after` of it (-1: before its first line). */
export interface HunkComment {
  lines: BodyLine[];
  after: number;
}

export interface HunkRead {
  hunk: Hunk;
  /** Index of the first body line not read as part of the hunk. */
  next: number;
  comments: HunkComment[];
  damage: string[];
  /** The hunk ended at a snip marker: what follows is the same file, further on. */
  snipped: boolean;
}

type Item =
  | { k: 'diff'; l: BodyLine; op: '+' | '-' | ' ' }
  | { k: 'blank'; l: BodyLine }
  | { k: 'bare'; l: BodyLine }
  | { k: 'nonl'; l: BodyLine }
  | { k: 'lower'; l: BodyLine };

interface Collected {
  items: Item[];
  snipped: boolean;
}

const isDepthItem = (it: Item): boolean => it.k !== 'lower';

/** A `+`/`-` line after the hunk's end that is a changelog bullet, not diff text. */
function isBullet(t: string): boolean {
  const body = t.slice(1);
  return /^\s/.test(body) && looksLikeProse(body) && !looksLikeCode(body);
}

/** The line before may have been wrapped by the mailer: parentheses left open, trailing space, wrap-length. */
function unfinished(it: Item, open: number): boolean {
  if (it.k !== 'diff' && it.k !== 'bare') return false;
  const text = it.k === 'diff' ? it.l.text.slice(1) : it.l.text;
  return open > 0 || /\S\s$/.test(text) || rawLen(it.l) >= 70;
}

/** A line of a block comment (` * text`, `/*`, `*\/`): code, whatever its words say. */
const isCommentLine = (t: string): boolean => /^\s*(?:\*|\/\*|\/\/)/.test(t);

function collect(lines: readonly BodyLine[], start: number, depth: number, declared: { oldLines: number; newLines: number } | null): Collected {
  const items: Item[] = [];
  let remOld = declared ? declared.oldLines : Infinity;
  let remNew = declared ? declared.newLines : Infinity;
  let damaged = false;
  let inComment = false;
  let snipped = false;
  let open = 0; // parentheses left open by the statement the last lines belong to
  const track = (text: string): void => {
    open = endsStatement(text) ? 0 : Math.max(0, open + parenBalance(text));
  };
  const lastDepth = (): Item | undefined => {
    for (let k = items.length - 1; k >= 0; k--) if (isDepthItem(items[k]!)) return items[k];
    return undefined;
  };
  for (let j = start; j < lines.length; j++) {
    const L = lines[j]!;
    const t = L.text;
    const exhausted = remOld <= 0 && remNew <= 0;
    if (declared && exhausted && !damaged) {
      // a clean hunk ends where its header says (after a "\ No newline" marker)
      if (L.depth === depth && t.startsWith('\\')) items.push({ k: 'nonl', l: L });
      break;
    }
    if (L.depth > depth) break;
    if (L.depth < depth) {
      if (isSnip(t)) {
        snipped = true;
        break;
      }
      if (L.depth === 0 && (isFooter(t) || isSignature(t))) break;
      if (t.startsWith('@@ ') || fileHeaderAt(lines, j, L.depth)) break;
      items.push({ k: 'lower', l: L });
      continue;
    }
    if ((t.startsWith('@@ ') && HUNK_HEADER.test(t)) || fileHeaderAt(lines, j, depth) || isScissors(t) || (t.startsWith('From ') && isFormatPatchFromLine(t)))
      break;
    if (depth === 0 && isFooter(t)) break;
    if (isSnip(t)) {
      snipped = true;
      break;
    }
    if (isSignature(t)) {
      // "-- " is a removed "- " line only while the header still expects removed lines
      const after = lines[j + 1];
      const sig = !(remOld > 0 && t === '-- ') || !after || after.depth !== depth || isVersionLine(after.text) || !after.text.trim();
      if (sig) break;
    }
    if (baseCommitOf(t)) break;
    // an empty line (a ' ' line whose space was lost); ' ' alone is a proper empty context line
    if (t === '' || (t[0] !== ' ' && !t.trim())) {
      items.push({ k: 'blank', l: L });
      damaged = true;
      remOld--;
      remNew--;
      open = 0;
      continue;
    }
    const c = t[0]!;
    if (c === '+' || c === '-' || c === ' ') {
      if (exhausted && (isRule(t) || ((c === '+' || c === '-') && isBullet(t)))) break;
      if (c === ' ' && exhausted && t.trim() && !looksLikeCode(t)) break;
      items.push({ k: 'diff', l: L, op: c });
      if (c !== '+') remOld--;
      if (c !== '-') remNew--;
      inComment = commentStateAfter(t.slice(1), inComment);
      track(t.slice(1));
      continue;
    }
    if (c === '\\') {
      items.push({ k: 'nonl', l: L });
      continue;
    }
    // a line without a diff prefix
    const prevItem = lastDepth();
    const commentish = inComment || isCommentLine(t);
    if (!commentish && looksLikeProse(t)) break;
    if (attributionOf(t)) break;
    if (prevItem?.k === 'blank' && headerBlockAt(lines, j, depth)) break;
    // past the header's counts, or with no header, only code or a likely continuation goes on
    if ((!declared || exhausted) && !commentish && !looksLikeCode(t) && !(prevItem && unfinished(prevItem, open))) break;
    items.push({ k: 'bare', l: L });
    damaged = true;
    remOld--;
    remNew--;
    inComment = commentStateAfter(t, inComment);
    track(t);
  }
  // blank and comment lines after the last diff line are not the hunk's
  while (items.length && (items[items.length - 1]!.k === 'lower' || items[items.length - 1]!.k === 'blank')) {
    // keep blanks that the header still counts (a quoted hunk ending in an empty context line)
    const last = items[items.length - 1]!;
    if (last.k === 'blank' && declared && needsTrailingBlank(items, declared)) break;
    items.pop();
  }
  return { items, snipped };
}

/** Are the counts short without the trailing blank lines? (then they are context lines of the hunk) */
function needsTrailingBlank(items: readonly Item[], declared: { oldLines: number; newLines: number }): boolean {
  let old = 0;
  let nw = 0;
  for (const it of items) {
    if (it.k === 'diff') {
      if (it.op !== '+') old++;
      if (it.op !== '-') nw++;
    } else if (it.k === 'bare' || it.k === 'blank') {
      old++;
      nw++;
    }
  }
  return old <= declared.oldLines && nw <= declared.newLines;
}

interface Reading {
  /** per item: 'wrap' joins it to the line before, 'ctx' makes it a context line, 'comment' for lower lines */
  role: ('line' | 'wrap' | 'ctx' | 'comment' | 'nonl')[];
  scores: number[];
}

/** Length of a body line as the mailer saw it (tabs at 8 columns). */
const rawLen = (l: BodyLine): number => l.raw.replace(/\t/g, '        ').length;

/** `header`: the hunk header as the line before the first item (a mailer may wrap its section too). */
function provisional(items: readonly Item[], opts: ReadOptions, header: PrevLine | null): Reading {
  const role: Reading['role'] = new Array(items.length);
  const scores: number[] = new Array(items.length).fill(0);
  // lines that are certainly context: a lost prefix is established, wraps need more evidence
  let certain = 0;
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!;
    if (it.k !== 'bare') continue;
    const p = items[i - 1];
    const pt = p && (p.k === 'diff' ? p.l.text.slice(1) : p.k === 'bare' ? p.l.text : null);
    if (/^\s*[{}#]/.test(it.l.text) || (pt != null && endsStatement(pt) && startsLikeCode(it.l.text))) certain++;
  }
  const ctx: WrapContext = { flowed: opts.flowed, lostPrefixes: certain > 0 };
  let prev: PrevLine | null = header;
  let inComment = false;
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!;
    switch (it.k) {
      case 'diff': {
        const body = it.l.text.slice(1);
        role[i] = 'line';
        prev = { text: body, rawLength: rawLen(it.l), chain: false, inComment };
        inComment = commentStateAfter(body, inComment);
        break;
      }
      case 'blank':
        role[i] = 'ctx';
        prev = null;
        break;
      case 'nonl':
        role[i] = 'nonl';
        break;
      case 'bare': {
        const s = prev ? wrapScore(prev, it.l.text, ctx) : 0;
        scores[i] = s;
        if (s >= 0.5 && prev) {
          role[i] = 'wrap';
          prev = { text: joinWrapped(prev.text, it.l.text, opts.delsp), rawLength: rawLen(it.l), chain: true, inComment: prev.inComment };
        } else {
          role[i] = 'ctx';
          prev = { text: it.l.text, rawLength: rawLen(it.l), chain: false, inComment };
        }
        inComment = commentStateAfter(it.l.text, inComment);
        break;
      }
      case 'lower': {
        // a line that lost its quote prefix: alone between two quoted lines, continuing the first
        const before = items[i - 1];
        const after = items[i + 1];
        const sandwiched =
          !!prev && before !== undefined && isDepthItem(before) && before.k !== 'blank' && after !== undefined && isDepthItem(after) && after.k !== 'blank';
        const t = it.l.text;
        const s = sandwiched && t.trim() && !looksLikeProse(t) ? wrapScore(prev!, t, { ...ctx, lostPrefixes: false }) : 0;
        scores[i] = s;
        if (s >= 0.6) {
          role[i] = 'wrap';
          prev = { text: joinWrapped(prev!.text, t, opts.delsp), rawLength: rawLen(it.l), chain: true, inComment: prev!.inComment };
        } else {
          role[i] = 'comment';
          prev = null; // a comment between two lines: the next line does not continue the one before
        }
        break;
      }
    }
  }
  return { role, scores };
}

/** Which items to read (the extent) and how: the longest prefix whose counts meet the header. */
function choose(
  items: readonly Item[],
  reading: Reading,
  declared: { oldLines: number; newLines: number } | null,
): { end: number; role: Reading['role']; flipped: number } {
  const role = reading.role.slice();
  if (!declared || !items.length) return { end: items.length, role, flipped: 0 };
  // counts and flippable doubts after each item
  const n = items.length;
  const oldAt: number[] = new Array(n);
  const newAt: number[] = new Array(n);
  const toWrap: number[] = new Array(n); // context lines that could be wraps
  const toCtx: number[] = new Array(n); // wraps that could be context
  let o = 0;
  let w = 0;
  let a = 0;
  let b = 0;
  for (let i = 0; i < n; i++) {
    const it = items[i]!;
    if (it.k === 'diff') {
      if (it.op !== '+') o++;
      if (it.op !== '-') w++;
    } else if (it.k === 'blank' || (it.k === 'bare' && role[i] === 'ctx')) {
      o++;
      w++;
    }
    if (it.k === 'bare' && role[i] === 'ctx' && reading.scores[i]! >= 0.25) a++;
    if (it.k === 'bare' && role[i] === 'wrap' && reading.scores[i]! < 0.8) b++;
    oldAt[i] = o;
    newAt[i] = w;
    toWrap[i] = a;
    toCtx[i] = b;
  }
  for (let e = n - 1; e >= 0; e--) {
    const it = items[e]!;
    if (!isDepthItem(it)) continue;
    const exOld = oldAt[e]! - declared.oldLines;
    const exNew = newAt[e]! - declared.newLines;
    if (exOld !== exNew) continue;
    if (exOld > 0 && toWrap[e]! < exOld) continue;
    if (exOld < 0 && toCtx[e]! < -exOld) continue;
    const doubts: Doubt[] = [];
    for (let i = 0; i <= e; i++) if (items[i]!.k === 'bare') doubts.push({ index: i, wrap: role[i] === 'wrap', score: reading.scores[i]! });
    const flips = reconcile(
      doubts.filter((d) => (d.wrap ? d.score < 0.8 : d.score >= 0.25)),
      exOld,
      exNew,
    );
    if (!flips) continue;
    for (const f of flips) role[f] = role[f] === 'wrap' ? 'ctx' : 'wrap';
    return { end: e + 1, role, flipped: flips.length };
  }
  return { end: n, role, flipped: 0 };
}

/**
 * Read a hunk starting at body line index `start` (the line after its `@@` header, or the first line of
 * a fragment piece when `header` is null).
 */
export function readHunk(lines: readonly BodyLine[], start: number, depth: number, header: HunkHeader | null, bodyLine: number, opts: ReadOptions): HunkRead {
  const declared = header ? { oldLines: header.oldLines, newLines: header.newLines } : null;
  const col = collect(lines, start, depth, declared);
  const headerLine = header ? lines[bodyLine - 1] : undefined;
  const asPrev: PrevLine | null =
    header?.section && headerLine ? { text: header.section, rawLength: rawLen(headerLine), chain: false, inComment: false } : null;
  const reading = provisional(col.items, opts, asPrev);
  const pick = choose(col.items, reading, declared);
  const items = col.items.slice(0, pick.end);
  // the interior lines quoted less deeply stay comments; trailing ones are left to the caller
  while (items.length && !isDepthItem(items[items.length - 1]!)) items.pop();
  const damage = new Set<string>();
  const out: DiffLine[] = [];
  let section = header ? header.section : '';
  const comments: HunkComment[] = [];
  let oldNo: number | null = header ? (header.oldLines === 0 ? header.oldStart + 1 : header.oldStart) : null;
  let newNo: number | null = header ? (header.newLines === 0 ? header.newStart + 1 : header.newStart) : null;
  let pending: BodyLine[] = [];
  const flushComment = (): void => {
    const text = pending.filter((l) => l.text.trim());
    if (text.length) comments.push({ lines: pending.slice(), after: out.length - 1 });
    pending = [];
  };
  const push = (kind: DiffLine['kind'], text: string, l: BodyLine, repair?: DiffLine['repair']): void => {
    const dl: DiffLine = {
      kind,
      text,
      oldLine: kind === 'add' ? null : oldNo,
      newLine: kind === 'del' ? null : newNo,
      bodyLine: l.no,
    };
    if (repair) dl.repair = repair;
    if (kind !== 'add' && oldNo !== null) oldNo++;
    if (kind !== 'del' && newNo !== null) newNo++;
    out.push(dl);
  };
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!;
    const role = pick.role[i]!;
    if (role === 'comment') {
      pending.push(it.l);
      continue;
    }
    if (pending.length) flushComment();
    switch (it.k) {
      case 'diff':
        push(it.op === '+' ? 'add' : it.op === '-' ? 'del' : 'context', it.l.text.slice(1), it.l);
        break;
      case 'blank':
        push('context', '', it.l, 'restored-context-prefix');
        damage.add('empty-context-lines');
        break;
      case 'nonl': {
        const last = out[out.length - 1];
        if (last) last.noNewlineAtEnd = true;
        break;
      }
      case 'bare':
      case 'lower': {
        const last = out[out.length - 1];
        if (role === 'wrap' && !last) {
          // the header's own section was wrapped
          section = joinWrapped(section, it.l.text, opts.delsp);
          damage.add('wrapped-lines');
        } else if (role === 'wrap' && last) {
          last.text = joinWrapped(last.text, it.l.text, opts.delsp);
          last.repair = 'joined-wrap';
          (last.joined ??= [last.bodyLine]).push(it.l.no);
          damage.add(it.k === 'lower' ? 'quote-prefix-lost' : 'wrapped-lines');
          if (it.k === 'lower') damage.add('wrapped-lines');
        } else {
          push('context', it.l.text, it.l, 'restored-context-prefix');
          damage.add('context-prefix-lost');
        }
        break;
      }
    }
  }
  let oldLines = 0;
  let newLines = 0;
  for (const dl of out) {
    if (dl.kind !== 'add') oldLines++;
    if (dl.kind !== 'del') newLines++;
  }
  if (declared && (declared.oldLines !== oldLines || declared.newLines !== newLines || pick.flipped)) damage.add('recounted');
  const lastItem = items[items.length - 1];
  const next = lastItem ? lastItem.l.no : start; // lines[k].no === k + 1
  return {
    hunk: {
      oldStart: header ? header.oldStart : null,
      newStart: header ? header.newStart : null,
      oldLines,
      newLines,
      declared,
      section,
      lines: out,
      bodyLine,
    },
    next: Math.max(next, start),
    comments,
    damage: [...damage],
    snipped: col.snipped && pick.end === col.items.length,
  };
}

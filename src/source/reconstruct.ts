// Hunk mode: rebuild, per file and side, the functions the hunks show into one parseable C text.
// The hunks are runs of lines with hidden code between them; a function may start before the
// first run, continue across several runs and end after the last. What is not visible is made
// explicit with the markers the C front end understands (GAP_MARKER, OPAQUE_COND, UNKNOWN_END),
// and synthesised so that the visible code keeps its meaning: a block closed in view but opened
// in a gap gets an opaque `if`, a block left open is closed before the next gap or the end, a
// statement cut by the edge of a hunk is moved into the gap.

import type { Hunk } from '../patch/types.js';
import { GAP_MARKER, OPAQUE_COND, UNKNOWN_END, type CUnit, type FunctionMeta, type GapInfo, type Side } from './types.js';
import { blankColumns, lexLines, levelOf, tokenize, type IndentStyle, type Lexed } from './lex.js';
import { preprocess, type PPDecision } from './preprocess.js';
import {
  matchSignature,
  sectionSignature,
  unknownFunctionIdent,
  isStatementEvidence,
  isTopLevelOnly,
  type SectionSignature,
  type SignatureMatch,
} from './signature.js';
import { scanRun, headPartial, baseFromIndent, leadingBody, leadingJump, type BlockKind, type ScanResult } from './structure.js';

/** One line of one side of a diff. */
export interface SideLine {
  text: string;
  line: number | null; // line in this side's file image
  bodyLine: number | null; // line in the message body
  changed: boolean; // removed (pre) or added (post) by the patch
}

/** A run of consecutive lines; hidden code lies between runs. */
export interface Segment {
  lines: SideLine[];
  section: string; // the hunk's `@@ ... @@ section` text ('' if none)
}

/** Split the hunks of a file into this side's runs of consecutive lines. */
export function sideSegments(hunks: readonly Hunk[], side: Side): Segment[] {
  const out: Segment[] = [];
  for (const h of hunks) {
    let counter = side === 'pre' ? h.oldStart : h.newStart;
    let seg: Segment | null = null;
    for (const dl of h.lines) {
      const onSide = dl.kind === 'context' || (side === 'pre' ? dl.kind === 'del' : dl.kind === 'add');
      if (!onSide) continue;
      let line = side === 'pre' ? dl.oldLine : dl.newLine;
      if (line === null && counter !== null) line = counter;
      if (counter !== null) counter = (line ?? counter) + 1;
      const sl: SideLine = { text: dl.text.replace(/\r$/, ''), line, bodyLine: dl.bodyLine, changed: dl.kind !== 'context' };
      const prev = seg?.lines[seg.lines.length - 1] ?? out[out.length - 1]?.lines.at(-1);
      const contiguous = prev !== undefined && prev.line !== null && line !== null && line === prev.line + 1;
      if (!seg) {
        if (contiguous && out.length) {
          seg = out[out.length - 1]!; // adjacent hunks: one run
        } else {
          seg = { lines: [], section: h.section };
          out.push(seg);
        }
      } else if (prev && prev.line !== null && line !== null && !contiguous) {
        seg = { lines: [], section: '' }; // numbering jumps inside a hunk: lines were snipped
        out.push(seg);
      }
      seg.lines.push(sl);
    }
  }
  return out.filter((s) => s.lines.length > 0);
}

export interface ReconstructOptions {
  file: string | null;
  side: Side;
  style: IndentStyle;
}

export interface Reconstruction {
  unit: CUnit | null;
  notes: string[];
}

interface WLine {
  src: SideLine;
  text: string;
  lx: Lexed;
}

interface WSeg {
  idx: number;
  lines: WLine[];
  sig: SectionSignature | null;
}

interface Piece {
  seg: number;
  from: number;
  to: number; // inclusive
  kind: 'start' | 'mid';
  fixedBase: number | null;
  minBase: number;
  closed: boolean;
  visibleFrom: number; // first line not moved into a gap
  visibleTo: number; // last line not moved into a gap
}

interface Func {
  name: string;
  unknownName: boolean;
  synthSig: string | null; // synthesised signature row (without `{`)
  firstKind: 'signature' | 'brace' | 'mid';
  entryKnown: boolean;
  missing: string[];
  pieces: Piece[];
  closed: boolean;
  forceEnd: boolean;
}

interface Row {
  text: string;
  line: number | null;
  bodyLine: number | null;
}

const where = (l: SideLine | undefined): string => (l?.line != null ? `line ${l.line}` : l?.bodyLine != null ? `body line ${l.bodyLine}` : 'an unknown line');

function relex(seg: WSeg): void {
  const lx = lexLines(seg.lines.map((l) => l.text));
  seg.lines.forEach((l, i) => (l.lx = lx[i]!));
}

function firstCode(seg: WSeg, from: number, to = seg.lines.length - 1): number {
  for (let i = from; i <= to; i++) if (seg.lines[i]!.lx.code.trim()) return i;
  return -1;
}

/** Lines at the start of a run that are the inside of a comment whose `/*` is hidden. */
function leadingCommentEnd(texts: readonly string[]): { line: number; col: number } | null {
  let i = 0;
  while (i < texts.length && !texts[i]!.trim()) i++;
  if (i >= texts.length) return null;
  if (!/^\s*\*(\/|\s|$)/.test(texts[i]!)) return null;
  for (let j = i; j < texts.length; j++) {
    const t = texts[j]!;
    const close = t.indexOf('*/');
    const open = t.indexOf('/*');
    if (close >= 0 && (open < 0 || open > close)) return { line: j, col: close + 2 };
    if (t.trim() && !/^\s*\*/.test(t)) return null;
  }
  return { line: texts.length - 1, col: texts[texts.length - 1]!.length };
}

const isLabelCode = (code: string): boolean => /^\s*[A-Za-z_]\w*\s*:(?!:)/.test(code) && !/^\s*(default|case)\b/.test(code);

/** `int foo(int x);`: a prototype, only at file scope in practice. */
function isPrototype(code: string): boolean {
  const c = code.trim();
  return (
    /^[A-Za-z_][\w\s*]*\b[A-Za-z_]\w*\s*\([^=]*\)\s*;$/.test(c) &&
    !/^(return|if|while|for|switch|else|do|goto)\b/.test(c) &&
    /\s/.test(c.slice(0, c.indexOf('(')).trim())
  );
}

export function reconstructSide(segments: readonly Segment[], opts: ReconstructOptions): Reconstruction {
  const notes: string[] = [];
  const style = opts.style;
  const segs: WSeg[] = segments.map((s, idx) => ({
    idx,
    lines: s.lines.map((src) => ({ src, text: src.text, lx: lexLines([src.text])[0]! })),
    sig: sectionSignature(s.section),
  }));
  const missingBySeg = new Map<number, string[]>();
  const addMissing = (seg: number, m: string): void => {
    const arr = missingBySeg.get(seg) ?? [];
    arr.push(m);
    missingBySeg.set(seg, arr);
  };

  // 1. A run that starts inside a comment: blank the comment's tail.
  for (const s of segs) {
    const end = leadingCommentEnd(s.lines.map((l) => l.text));
    if (!end) continue;
    for (let i = 0; i < end.line; i++) s.lines[i]!.text = '';
    s.lines[end.line]!.text = blankColumns(s.lines[end.line]!.text, 0, end.col);
    addMissing(s.idx, `partial comment at ${where(s.lines[0]!.src)}`);
  }

  // 2. Preprocessor conditionals, across the runs.
  const pp = preprocess(segs.map((s) => s.lines.map((l) => ({ text: l.text, changed: l.src.changed }))));
  segs.forEach((s, r) => s.lines.forEach((l, i) => (l.text = pp.texts[r]![i]!)));

  // 3. A run that ends inside a comment: drop the unfinished comment.
  for (const s of segs) {
    relex(s);
    const last = s.lines[s.lines.length - 1];
    if (!last?.lx.inCommentAtEnd) continue;
    let k = s.lines.length - 1;
    while (k > 0 && s.lines[k]!.lx.inCommentAtStart) k--;
    for (let i = k; i < s.lines.length; i++) s.lines[i]!.text = s.lines[i]!.lx.noComments.replace(/\s+$/, '');
    relex(s);
  }

  // 4. Find the functions and the pieces of them each run shows.
  const funcs: Func[] = [];
  let open: Func | null = null;
  const ctx = { segs, style, addMissing };
  for (const s of segs) {
    if (open && endsInGap(open, s, style)) {
      funcs.push(open);
      open = null;
    }
    if (!open) open = detectEntry(s, ctx);
    let i = 0;
    while (i < s.lines.length) {
      if (open) {
        i = consume(open, s, i, ctx);
        if (open.closed || open.forceEnd) {
          funcs.push(open);
          open = null;
        }
        continue;
      }
      const m = nextSignature(s, i, style);
      if (!m) break;
      open = {
        name: m.name,
        unknownName: false,
        synthSig: null,
        firstKind: 'signature',
        entryKnown: true,
        missing: [],
        pieces: [],
        closed: false,
        forceEnd: false,
      };
      i = m.start;
    }
  }
  if (open) funcs.push(open);

  // 5. Emit.
  const rows: Row[] = [];
  const metas: FunctionMeta[] = [];
  let nextId = 1;
  for (const f of funcs) {
    const hasCode = f.firstKind === 'signature' || f.pieces.some((p) => pieceHasStatements(segs[p.seg]!, p));
    const touched = f.pieces.some((p) => segs[p.seg]!.lines.slice(p.from, p.to + 1).some((l) => l.src.changed));
    if (!hasCode && !touched) continue;
    if (rows.length) rows.push({ text: '', line: null, bodyLine: null });
    const startRow = rows.length;
    const em = emitFunction(f, segs, style, rows, () => nextId++);
    const missing = [...f.missing, ...em.missing];
    for (const p of f.pieces) if (p.from === 0 && p.kind === 'mid') for (const m of missingBySeg.get(p.seg) ?? []) missing.push(m);
    const preproc = pp.decisions
      .filter((d) => f.pieces.some((p) => p.seg === d.run && d.index >= p.from && d.index <= p.to))
      .map((d: PPDecision) => ({ line: segs[d.run]!.lines[d.index]!.src.line, directive: d.directive, taken: d.taken }));
    const uniqueMissing = [...new Set(missing)];
    metas.push({
      name: f.name,
      startRow,
      endRow: rows.length - 1,
      completeness: uniqueMissing.length ? 'partial' : 'full',
      missing: uniqueMissing,
      entryKnown: f.entryKnown,
      exitKnown: f.closed,
      gaps: em.gaps,
      touched,
      preproc,
    });
  }
  if (!metas.length) {
    notes.push(`${opts.side}: no function code visible in the hunks`);
    return { unit: null, notes };
  }
  // Code with no file name and no line numbers is found again by its place in the message.
  const byBody = opts.file === null && rows.every((r) => r.line === null);
  const unit: CUnit = {
    file: opts.file,
    side: opts.side,
    origin: 'hunks',
    text: rows.map((r) => r.text).join('\n') + '\n',
    lineMap: rows.map((r) => (byBody ? r.bodyLine : r.line)),
    bodyLineMap: rows.map((r) => r.bodyLine),
    functions: metas,
    ...(byBody ? { lineIn: 'body' as const } : {}),
  };
  return { unit, notes };
}

interface Ctx {
  segs: WSeg[];
  style: IndentStyle;
  addMissing: (seg: number, m: string) => void;
}

function pieceHasStatements(seg: WSeg, p: Piece): boolean {
  for (let i = p.from; i <= p.to; i++) {
    if (tokenize(seg.lines[i]!.lx.code, i).some((t) => t.t !== '{' && t.t !== '}')) return true;
  }
  return false;
}

/** The open function from an earlier run ended in the gap before this run. */
function endsInGap(open: Func, s: WSeg, style: IndentStyle): boolean {
  if (s.sig && (open.unknownName || s.sig.name !== open.name)) return true;
  const f = firstCode(s, 0);
  if (f < 0) return false;
  // a signature (even one whose `{` is cut off) starts a new function
  if (
    matchSignature(
      s.lines.map((l) => l.lx),
      f,
      { requireCol0: !style.stripped },
    )
  )
    return true;
  // a lone `{` at the left margin opens a function body (kernel style), not a block
  if (/^\{\s*$/.test(s.lines[f]!.lx.code)) return true;
  if (!style.stripped) {
    const code = s.lines[f]!.lx.code;
    if (levelOf(s.lines[f]!.text, style) === 0 && !/^\s*[{}]/.test(code) && !isLabelCode(code)) return true;
  }
  return false;
}

function nextSignature(s: WSeg, from: number, style: IndentStyle): SignatureMatch | null {
  const lx = s.lines.map((l) => l.lx);
  let depth = 0;
  for (let i = from; i < lx.length; i++) {
    if (depth <= 0) {
      const m = matchSignature(lx, i, { requireCol0: !style.stripped });
      if (m === 'incomplete') return null;
      if (m && m.start >= from) return m;
    }
    for (const t of tokenize(lx[i]!.code, i)) {
      if (t.t === '{') depth++;
      else if (t.t === '}') depth--;
    }
  }
  return null;
}

/** Does a run that no open function continues start inside a function? */
function detectEntry(s: WSeg, ctx: Ctx): Func | null {
  const { style } = ctx;
  const f = firstCode(s, 0);
  if (f < 0) return null;
  const lx = s.lines.map((l) => l.lx);
  const m = matchSignature(lx, f, { requireCol0: !style.stripped });
  if (m) return null;
  const code = lx[f]!.code.trim();
  const fn = s.sig;
  const first = s.lines[f]!.src;
  const unknownAt = first.line ?? first.bodyLine ?? 0;
  const make = (firstKind: Func['firstKind']): Func => ({
    name: fn ? fn.name : `<unknown@${unknownAt}>`,
    unknownName: !fn,
    synthSig: fn ? fn.text : `void ${unknownFunctionIdent(unknownAt)}(void)`,
    firstKind,
    entryKnown: firstKind === 'brace',
    missing: [...(firstKind === 'mid' ? ['start'] : []), ...(!fn || fn.truncated ? ['signature'] : [])],
    pieces: [],
    closed: false,
    forceEnd: false,
  });
  if (code.startsWith('{') && (style.stripped || levelOf(s.lines[f]!.text, style) === 0)) return make('brace');

  if (!style.stripped) {
    const inside = levelOf(s.lines[f]!.text, style) > 0 || code.startsWith('}') || isLabelCode(code);
    if (!inside) return null;
    let end = s.lines.length - 1;
    for (let i = f; i < s.lines.length; i++) {
      const c = lx[i]!.code;
      if (c.trim() && levelOf(s.lines[i]!.text, style) === 0 && !isLabelCode(c)) {
        if (/^\}\s*(\w+\s*)?[;,]/.test(c.trim())) return null; // the end of a struct or initialiser
        end = i;
        break;
      }
    }
    if (fn) return make('mid');
    let evidence = false;
    for (let i = f; i <= end; i++) {
      const c = lx[i]!.code;
      if (isTopLevelOnly(c) || isPrototype(c)) return null;
      if (isStatementEvidence(c)) evidence = true;
    }
    return evidence ? make('mid') : null;
  }

  let end = s.lines.length - 1;
  for (let i = f + 1; i < s.lines.length; i++) {
    const mm = matchSignature(lx, i, { requireCol0: false });
    if (mm && mm !== 'incomplete') {
      end = mm.start - 1;
      break;
    }
  }
  const sc = scanRun(lx, f, end);
  let evidence = false;
  let plain = false;
  let contra = false; // lines that cannot be inside a function body
  for (let i = f; i <= end; i++) {
    const c = lx[i]!.code;
    if (!c.trim()) continue;
    if (isStatementEvidence(c)) evidence = true;
    if (isTopLevelOnly(c) || isPrototype(c) || /^\s*\}\s*(\w+\s*)?[;,]/.test(c)) contra = true;
    else plain = true;
  }
  if (fn ? sc.unmatched.length > 0 || evidence || plain : evidence && !contra) return make('mid');
  return null;
}

/** Take the next piece of an open function from run `s` starting at line `i`; returns the next line index. */
function consume(f: Func, s: WSeg, i: number, ctx: Ctx): number {
  const { style } = ctx;
  const last = s.lines.length - 1;
  const lx = (): Lexed[] => s.lines.map((l) => l.lx);
  if (f.firstKind !== 'mid' && f.pieces.length === 0) {
    const sc = scanRun(lx(), i, last, { stopDepth: 0 });
    const piece: Piece = {
      seg: s.idx,
      from: i,
      to: sc.stop ? sc.stop.line : last,
      kind: 'start',
      fixedBase: 0,
      minBase: 0,
      closed: sc.stop !== null,
      visibleFrom: i,
      visibleTo: sc.stop ? sc.stop.line : last,
    };
    f.pieces.push(piece);
    if (piece.closed) f.closed = true;
    else blankTail(f, s, piece);
    return piece.to + 1;
  }

  // A piece inside the function: first move a statement cut by the run's start into the gap.
  const fc = firstCode(s, i);
  if (fc < 0) return s.lines.length;
  const piece: Piece = {
    seg: s.idx,
    from: i,
    to: last,
    kind: 'mid',
    fixedBase: null,
    minBase: 1,
    closed: false,
    visibleFrom: i,
    visibleTo: last,
  };
  const hp = headPartial(lx(), fc, last, style);
  if (hp) {
    for (let k = fc; k < hp.line; k++) s.lines[k]!.text = '';
    s.lines[hp.line]!.text = blankColumns(s.lines[hp.line]!.text, 0, hp.col);
    relex(s);
    f.missing.push(`partial statement at ${where(s.lines[fc]!.src)}`);
    piece.visibleFrom = hp.line + 1;
  }

  // Where does the function end (or stop being visible) in this run?
  let end = last;
  let closedCandidate = false;
  let stoppedAtSig = false;
  if (!style.stripped) {
    for (let k = i; k <= last; k++) {
      const c = s.lines[k]!.lx.code;
      if (!c.trim() || levelOf(s.lines[k]!.text, style) > 0 || isLabelCode(c)) continue;
      if (/^\s*\}/.test(c)) {
        end = k;
        closedCandidate = true;
      } else {
        end = k - 1;
        f.forceEnd = true;
      }
      break;
    }
  } else {
    const all = lx();
    for (let k = Math.max(i, fc) + 1; k <= last; k++) {
      const m = matchSignature(all, k, { requireCol0: false });
      if (m) {
        end = (m === 'incomplete' ? k : m.start) - 1;
        stoppedAtSig = true;
        break;
      }
    }
  }
  if (end < i) {
    f.forceEnd = true; // the run is at file scope already: the function ended in the gap
    return i;
  }
  let sc = scanRun(lx(), i, end);
  if (!style.stripped) {
    if (closedCandidate && sc.minDepth >= 0) {
      // a column-0 brace that closes nothing: not the function's end after all
      closedCandidate = false;
      end = last;
      sc = scanRun(lx(), i, end);
    }
    const b = baseFromIndent(lx(), sc, style);
    if (closedCandidate) {
      piece.fixedBase = -sc.minDepth;
      piece.closed = true;
      end = sc.unmatched[sc.unmatched.length - 1]!.line;
    } else {
      piece.fixedBase = Math.max(b ?? 1, -sc.minDepth + 1);
    }
  } else {
    const n = sc.unmatched.length;
    const ends = n > 0 && strippedEnds(s, sc, end, stoppedAtSig);
    if (ends) {
      piece.closed = true;
      piece.fixedBase = n;
      end = sc.unmatched[n - 1]!.line;
    } else {
      piece.minBase = n + 1;
      if (stoppedAtSig) f.forceEnd = true;
    }
  }
  piece.to = end;
  piece.visibleTo = end;
  f.pieces.push(piece);
  if (piece.closed) f.closed = true;
  else blankTail(f, s, piece);
  return end + 1;
}

/** A statement left unfinished by the end of the visible text goes into the gap. */
function blankTail(f: Func, s: WSeg, p: Piece): void {
  const sc = scanRun(
    s.lines.map((l) => l.lx),
    p.from,
    p.to,
  );
  if (!sc.pending) return;
  const { line, col } = sc.pending;
  s.lines[line]!.text = blankColumns(s.lines[line]!.text, col);
  for (let k = line + 1; k <= p.to; k++) s.lines[k]!.text = '';
  relex(s);
  f.missing.push(`partial statement at ${where(s.lines[line]!.src)}`);
  p.visibleTo = s.lines[line]!.lx.code.trim() ? line : line - 1;
}

/** Stripped text: does the last unmatched closer of the run end the function? */
function strippedEnds(s: WSeg, sc: ScanResult, end: number, stoppedAtSig: boolean): boolean {
  if (stoppedAtSig) return true;
  const closer = sc.unmatched[sc.unmatched.length - 1]!;
  const after: string[] = [];
  const rest = s.lines[closer.line]!.lx.code.slice(closer.col + 1);
  if (rest.trim()) after.push(rest);
  for (let k = closer.line + 1; k <= end; k++) if (s.lines[k]!.lx.code.trim()) after.push(s.lines[k]!.lx.code);
  if (after.length) return after.every((c) => isTopLevelOnly(c) || isPrototype(c) || /^\s*;\s*$/.test(c));
  // The run ends right at a brace. Without indentation there is no telling a function's end from
  // a block's: keep the function open (an unknown end is never read as an exit).
  return false;
}

/** The piece's last code line is a label (or case label) with no statement after it. */
function endsWithLabel(sc: ScanResult): boolean {
  let last: number | null = null;
  for (const [l, info] of sc.lines) if (info.hasCode && (last === null || l > last)) last = l;
  if (last === null) return false;
  const info = sc.lines.get(last)!;
  return info.isLabel && !sc.statements.some((st) => st.startLine === last || st.endLine === last);
}

interface Emitted {
  gaps: GapInfo[];
  missing: string[];
}

/** Write a function's rows: signature, pieces, and the synthesised gaps, openers and closers. */
function emitFunction(f: Func, segs: WSeg[], style: IndentStyle, rows: Row[], newId: () => number): Emitted {
  const gaps: GapInfo[] = [];
  const missing: string[] = [];
  const stack: BlockKind[] = [];
  const tabs = (d: number): string => '\t'.repeat(Math.max(0, d));
  const synth = (text: string): void => void rows.push({ text, line: null, bodyLine: null });
  const lineOf = (p: Piece, i: number): number | null => segs[p.seg]!.lines[i]?.src.line ?? null;
  const opaque = (span: { from: number | null; to: number | null }): number => {
    const id = newId();
    gaps.push({ id, fromLine: span.from, toLine: span.to });
    return id;
  };
  const closer = (kind: BlockKind, span: { from: number | null; to: number | null }): void => {
    const d = stack.length;
    if (kind === 'do') synth(`${tabs(d)}} while (${OPAQUE_COND}(${opaque(span)}));`);
    else synth(`${tabs(d)}}`);
  };

  if (f.synthSig !== null) {
    synth(f.firstKind === 'brace' ? f.synthSig : `${f.synthSig} {`);
    if (f.firstKind !== 'brace') stack.push('block');
  }
  let prev: { p: Piece; sc: ScanResult } | null = null;
  for (const p of f.pieces) {
    const seg = segs[p.seg]!;
    const lx = seg.lines.map((l) => l.lx);
    const sc = scanRun(lx, p.from, p.to);
    const emitLines = (from: number, to: number): void => {
      for (let i = from; i <= to; i++) {
        const l = seg.lines[i]!;
        rows.push({ text: l.text, line: l.src.line, bodyLine: l.src.bodyLine });
      }
    };
    if (p.kind === 'start') {
      emitLines(p.from, p.to);
      stack.splice(Math.max(0, stack.length - sc.unmatched.length));
      stack.push(...sc.openKinds);
      prev = { p, sc };
      continue;
    }
    let span: { from: number | null; to: number | null };
    const firstLine = lineOf(p, p.visibleFrom);
    let base: number;
    let G: number;
    if (!prev) {
      base = p.fixedBase ?? Math.max(p.minBase, 1);
      G = 1;
      span = { from: null, to: firstLine !== null ? firstLine - 1 : null };
    } else {
      const E = stack.length;
      const jump = (prev.sc.lastInInnermost?.isJump ?? false) && E >= 2;
      const Ep = jump ? E - 1 : E;
      base = p.fixedBase ?? Math.max(p.minBase, Ep);
      G = Math.max(1, Math.min(Ep, base));
      const prevLast = lineOf(prev.p, prev.p.visibleTo);
      span = { from: prevLast !== null ? prevLast + 1 : null, to: firstLine !== null ? firstLine - 1 : null };
      if (span.from !== null && span.to !== null && span.to < span.from) span = { from: span.from, to: span.from - 1 };
      // a label needs a statement before any brace closes its block
      if (stack.length > G && endsWithLabel(prev.sc)) synth(`${tabs(stack.length)};`);
      while (stack.length > G) closer(stack.pop()!, span);
      const id = newId();
      gaps.push({ id, fromLine: span.from, toLine: span.to });
      synth(`${tabs(G)}${GAP_MARKER}(${id});`);
      missing.push(span.from !== null && span.to !== null ? `gap ${id} (lines ${span.from}-${span.to})` : `gap ${id} (lines unknown)`);
    }
    // openers for the blocks the piece closes but whose openers are hidden: a `do` when the
    // closer is `} while (...)`, a `switch` when the block holds case labels, else an `if`
    const firstInfo = [...sc.lines.entries()].filter(([, v]) => v.hasCode).sort((a, b) => a[0] - b[0])[0]?.[1];
    const caseDepths = new Set<number>();
    for (const info of sc.lines.values()) if (info.isCase) caseDepths.add(base + info.depthAtStart);
    for (let d = stack.length + 1; d <= base; d++) {
      const j = base - d;
      const kind: BlockKind = sc.unmatched[j]?.doWhile ? 'do' : caseDepths.has(d) ? 'switch' : 'block';
      if (kind === 'do') synth(`${tabs(d - 1)}do {`);
      else synth(`${tabs(d - 1)}${kind === 'switch' ? 'switch' : 'if'} (${OPAQUE_COND}(${opaque(span)})) {`);
      // code before the first visible case label sits under a hidden one
      if (kind === 'switch' && !(d === base && firstInfo?.isCase)) synth(`${tabs(d - 1)}case ${OPAQUE_COND}(${opaque(span)}):`);
      stack.push(kind);
    }
    // a dangling `else` whose `if` is hidden
    if (firstInfo && firstInfo.first?.t === 'else' && !firstInfo.startsWithCloser) {
      synth(`${tabs(stack.length)}if (${OPAQUE_COND}(${opaque(span)})) { }`);
    }
    // statements at the start that are the body of a hidden control statement
    const region = (!style.stripped ? leadingBody(lx, sc, style, base) : null) ?? leadingJump(sc);
    if (region) {
      emitLines(p.from, region.from - 1);
      synth(`${tabs(stack.length)}if (${OPAQUE_COND}(${opaque(span)})) {`);
      emitLines(region.from, region.to);
      synth(`${tabs(stack.length)}}`);
      emitLines(region.to + 1, p.to);
    } else {
      emitLines(p.from, p.to);
    }
    stack.splice(Math.max(0, stack.length - sc.unmatched.length));
    stack.push(...sc.openKinds);
    prev = { p, sc };
  }
  if (!f.closed) {
    const lastP = f.pieces[f.pieces.length - 1];
    const lastLine = lastP ? lineOf(lastP, lastP.visibleTo) : null;
    const span = { from: lastLine !== null ? lastLine + 1 : null, to: null };
    if (stack.length === 0) stack.push('block');
    // what follows a trailing label is not visible: say so where the label is
    if (stack.length > 1 && prev && endsWithLabel(prev.sc)) synth(`${tabs(stack.length)}${UNKNOWN_END}();`);
    while (stack.length > 1) closer(stack.pop()!, span);
    synth(`\t${UNKNOWN_END}();`);
    synth('}');
    missing.push('end');
  }
  return { gaps, missing };
}

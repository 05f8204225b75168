// Statement and block structure of a run of C lines that may start and end anywhere inside a
// function: where statements begin and end, which braces open blocks (as opposed to initialisers),
// which closers have no opener in view, and what is left unfinished at the end.

import { tokenize, levelOf, hasAlignmentSpaces, JUMP_KEYWORDS, type Lexed, type Token, type IndentStyle } from './lex.js';

export type BlockKind = 'block' | 'do' | 'switch';
type BraceKind = BlockKind | 'init';

export interface LineInfo {
  hasCode: boolean;
  depthAtStart: number; // block depth relative to the run's start
  pendingAtStart: boolean; // the line continues a statement or is a braceless body
  first: Token | null;
  isLabel: boolean; // a label, `case x:` or `default:` line
  isCase: boolean; // a `case x:` or `default:` line
  startsWithCloser: boolean; // the first token closes a block
}

export interface UnmatchedCloser {
  line: number;
  col: number;
  doWhile: boolean; // `} while (...);`: the opener was a `do {`
}

export interface Statement {
  startLine: number;
  startCol: number;
  endLine: number;
  endCol: number; // exclusive
  depth: number; // block depth the statement sits at
  isJump: boolean;
  compound: boolean; // ended by a block's `}`
}

export interface ScanResult {
  from: number;
  to: number; // inclusive
  lines: Map<number, LineInfo>;
  unmatched: UnmatchedCloser[];
  minDepth: number;
  endDepth: number;
  /** Blocks opened in the run and open at its end, outermost first. */
  openKinds: BlockKind[];
  /** Unfinished statement at the end of the run. */
  pending: { line: number; col: number } | null;
  statements: Statement[];
  /** The last complete statement in the innermost open block at the end (null if none since it opened). */
  lastInInnermost: Statement | null;
  /** Where the depth first came back to `stopDepth` after a block closer (when asked). */
  stop: { line: number; col: number } | null;
}

interface Pending {
  line: number;
  col: number;
  first: Token;
  assign: boolean; // an `=` at paren depth 0: braces that follow are initialisers
  ternary: number;
}

const ASSIGN_OPS = new Set(['=', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '<<=', '>>=']);

/**
 * Scan lines [from, to]. `stopDepth`: stop at the first block closer that brings the depth to this
 * value after it has been above it (used to find a function's closing brace).
 */
export function scanRun(lines: readonly Lexed[], from: number, to: number, opts: { stopDepth?: number } = {}): ScanResult {
  const toks: Token[] = [];
  for (let l = from; l <= to; l++) toks.push(...tokenize(lines[l]!.code, l));
  const res: ScanResult = {
    from,
    to,
    lines: new Map(),
    unmatched: [],
    minDepth: 0,
    endDepth: 0,
    openKinds: [],
    pending: null,
    statements: [],
    lastInInnermost: null,
    stop: null,
  };
  const stack: BraceKind[] = [];
  let depth = 0;
  let paren = 0;
  let pending: Pending | null = null;
  let armed = false;
  const lastAt = new Map<number, Statement | null>();
  let line = -1;

  const complete = (start: { line: number; col: number; first: string }, endTok: Token, compound: boolean, atDepth: number): void => {
    const st: Statement = {
      startLine: start.line,
      startCol: start.col,
      endLine: endTok.line,
      endCol: endTok.end,
      depth: atDepth,
      isJump: !compound && JUMP_KEYWORDS.has(start.first),
      compound,
    };
    res.statements.push(st);
    lastAt.set(atDepth, st);
  };
  const blockStarts: { line: number; col: number; first: string }[] = [];

  for (let k = 0; k < toks.length; k++) {
    const t = toks[k]!;
    if (t.line !== line) {
      line = t.line;
      const isCloser = t.t === '}';
      res.lines.set(line, {
        hasCode: true,
        depthAtStart: depth,
        pendingAtStart: pending !== null || paren > 0,
        first: t,
        isLabel: false,
        isCase: false,
        startsWithCloser: isCloser,
      });
    }
    const info = res.lines.get(line)!;
    const next = toks[k + 1];

    if (t.t === '(' || t.t === '[') {
      paren++;
      if (!pending) pending = { line: t.line, col: t.col, first: t, assign: false, ternary: 0 };
      continue;
    }
    if (t.t === ')' || t.t === ']') {
      paren--;
      continue;
    }
    if (t.t === '{') {
      const top = stack[stack.length - 1];
      const prev = toks[k - 1];
      let kind: BraceKind;
      if (top === 'init' || paren > 0 || pending?.assign) kind = 'init';
      else if (prev && prev.t === ')' && pending && pending.first.t === 'return') kind = 'init';
      else if (prev && prev.t === 'do') kind = 'do';
      else if (pending && pending.first.t === 'switch') kind = 'switch';
      else kind = 'block';
      stack.push(kind);
      if (kind !== 'init') {
        depth++;
        blockStarts.push(pending ? { line: pending.line, col: pending.col, first: pending.first.t } : { line: t.line, col: t.col, first: '{' });
        pending = null;
        paren = Math.max(paren, 0);
        lastAt.set(depth, null);
        if (opts.stopDepth !== undefined && depth > opts.stopDepth) armed = true;
      }
      continue;
    }
    if (t.t === '}') {
      const top = stack[stack.length - 1];
      if (top !== undefined) {
        stack.pop();
        if (top === 'init') continue;
        depth--;
        const bs = blockStarts.pop();
        pending = null;
        if (bs) complete(bs, t, true, depth);
      } else if (next && (next.t === ';' || next.t === ',' || next.t === ')') && next.line === t.line) {
        // closes an initialiser or expression opened out of view
        continue;
      } else {
        depth--;
        pending = null;
        res.unmatched.push({ line: t.line, col: t.col, doWhile: next?.t === 'while' && next.line === t.line });
      }
      if (depth < res.minDepth) res.minDepth = depth;
      if (opts.stopDepth !== undefined && armed && depth === opts.stopDepth && !res.stop) {
        res.stop = { line: t.line, col: t.col };
        break;
      }
      continue;
    }
    if (t.t === ';') {
      if (paren <= 0 && stack[stack.length - 1] !== 'init') {
        paren = 0;
        if (pending) complete({ line: pending.line, col: pending.col, first: pending.first.t }, t, false, depth);
        pending = null;
      }
      continue;
    }
    if (!pending) {
      // statement start: labels and case labels end right away
      if (t.kind === 'id' && next?.t === ':' && t.t !== 'default' && t.t !== 'case') {
        if (info.first === t) info.isLabel = true;
        k++;
        continue;
      }
      if (t.t === 'default' && next?.t === ':') {
        if (info.first === t) info.isLabel = info.isCase = true;
        k++;
        continue;
      }
      if (t.t === 'case') {
        if (info.first === t) info.isLabel = info.isCase = true;
        // skip to the ':' that ends the label
        let tern = 0;
        let j = k + 1;
        for (; j < toks.length; j++) {
          const u = toks[j]!;
          if (u.t === '?') tern++;
          else if (u.t === ':' && tern-- === 0) break;
          else if (u.t === ';' || u.t === '{' || u.t === '}') {
            j--;
            break;
          }
        }
        k = j;
        continue;
      }
      pending = { line: t.line, col: t.col, first: t, assign: false, ternary: 0 };
    }
    if (paren <= 0 && ASSIGN_OPS.has(t.t)) pending.assign = true;
    if (t.t === '?') pending.ternary++;
    if (t.t === ':' && pending.ternary > 0) pending.ternary--;
  }

  res.endDepth = depth;
  // the block kinds opened here and still open
  res.openKinds = stack.filter((kind): kind is BlockKind => kind !== 'init');
  res.pending = pending ? { line: pending.line, col: pending.col } : null;
  res.lastInInnermost = lastAt.get(depth) ?? null;
  // lines without code
  for (let l = from; l <= to; l++) {
    if (!res.lines.has(l))
      res.lines.set(l, {
        hasCode: false,
        depthAtStart: depth,
        pendingAtStart: false,
        first: null,
        isLabel: false,
        isCase: false,
        startsWithCloser: false,
      });
  }
  return res;
}

const BINARY_START = new Set([
  '&&',
  '||',
  '?',
  ':',
  '|',
  '^',
  '/',
  '%',
  '=',
  '==',
  '!=',
  '<',
  '>',
  '<=',
  '>=',
  '<<',
  '>>',
  '+',
  '-',
  '.',
  '->',
  ',',
  ')',
  ']',
  '+=',
  '-=',
  '*=',
  '/=',
  '|=',
  '&=',
  '^=',
  '<<=',
  '>>=',
  '%=',
]);

/**
 * Does the run start in the middle of a statement whose beginning is hidden? Returns the position
 * just after the partial statement (its `;` or `{`, or before a block `}`), or null.
 */
export function headPartial(lines: readonly Lexed[], from: number, to: number, style: IndentStyle): { line: number; col: number } | null {
  const toks: Token[] = [];
  for (let l = from; l <= to; l++) toks.push(...tokenize(lines[l]!.code, l));
  const first = toks[0];
  if (!first) return null;
  let partial = false;
  if (first.kind === 'str' || first.kind === 'num' || (first.kind === 'op' && BINARY_START.has(first.t))) partial = true;
  if (hasAlignmentSpaces(lines[first.line]!.text, style) && !(first.kind === 'id' && toks[1]?.t === ':')) partial = true;
  let paren = 0;
  let init = 0;
  for (let k = 0; k < toks.length; k++) {
    const t = toks[k]!;
    const next = toks[k + 1];
    const prev = toks[k - 1];
    if (k === 0 && t.kind === 'id' && next?.t === ':' && t.t !== 'default') return null; // a label
    if (t.t === '(' || t.t === '[') paren++;
    else if (t.t === ')' || t.t === ']') {
      if (--paren < 0) partial = true;
    } else if (t.t === '{') {
      if (init > 0 || (prev && (prev.t === '=' || prev.t === ','))) init++;
      else if (paren <= 0) return partial ? { line: t.line, col: t.end } : null;
    } else if (t.t === '}') {
      if (init > 0) init--;
      else if (next && next.line === t.line && (next.t === ';' || next.t === ',' || next.t === ')')) partial = true;
      else return partial ? { line: t.line, col: t.col } : null;
    } else if (t.t === ';' && paren <= 0 && init <= 0) {
      return partial ? { line: t.line, col: t.end } : null;
    }
  }
  if (!partial) return null;
  const last = toks[toks.length - 1]!;
  return { line: last.line, col: last.end };
}

/**
 * The block depth at the start of a run, read from kernel indentation: every statement line sits
 * at (depth) tabs, a closing brace one less. Braceless bodies and continuations only sit deeper,
 * so the smallest value wins. Null when no line tells.
 */
export function baseFromIndent(lines: readonly Lexed[], sc: ScanResult, style: IndentStyle): number | null {
  if (style.stripped) return null;
  let base: number | null = null;
  for (let l = sc.from; l <= sc.to; l++) {
    const info = sc.lines.get(l)!;
    if (!info.hasCode || info.pendingAtStart || info.isLabel) continue;
    const lv = levelOf(lines[l]!.text, style) + (info.startsWithCloser ? 1 : 0);
    const c = lv - info.depthAtStart;
    if (base === null || c < base) base = c;
  }
  return base;
}

/**
 * Statements at the start of a run that sit deeper than the run's base: the braceless body of a
 * control statement hidden before the run (`\t\treturn -EIO;` below a hidden `if (err)`).
 * Returns the inclusive line range, or null.
 */
export function leadingBody(lines: readonly Lexed[], sc: ScanResult, style: IndentStyle, base: number): { from: number; to: number } | null {
  let firstCode = -1;
  let end = -1;
  for (let l = sc.from; l <= sc.to; l++) {
    const info = sc.lines.get(l)!;
    if (!info.hasCode) continue;
    if (firstCode < 0) {
      if (info.isLabel || info.startsWithCloser || info.first?.t === 'else') return null;
      firstCode = l;
    }
    if (!info.pendingAtStart && !info.isLabel && l !== firstCode) {
      const lv = levelOf(lines[l]!.text, style) + (info.startsWithCloser ? 1 : 0);
      if (lv - info.depthAtStart <= base) {
        if (info.depthAtStart !== 0) return null;
        end = l;
        break;
      }
    }
  }
  if (firstCode < 0 || end < 0) return null;
  const lv0 = levelOf(lines[firstCode]!.text, style);
  if (lv0 <= base) return null;
  // the region must end cleanly: the last statement in it finishes on its own line
  let to = end - 1;
  while (to > firstCode && !sc.lines.get(to)!.hasCode) to--;
  return { from: firstCode, to };
}

/**
 * The first statement is a jump followed by more statements in the same block: in real code that
 * would be dead code, so the jump was the body of a control statement hidden before the run.
 */
export function leadingJump(sc: ScanResult): { from: number; to: number } | null {
  let st: Statement | null = null;
  for (const s of sc.statements) {
    if (!st || s.startLine < st.startLine || (s.startLine === st.startLine && s.startCol < st.startCol)) st = s;
  }
  if (!st?.isJump || st.depth !== 0) return null;
  const firstInfo = sc.lines.get(st.startLine);
  if (!firstInfo || firstInfo.first?.col !== st.startCol || firstInfo.pendingAtStart) return null;
  // nothing else may share the jump's last line, and a statement (not a closer or label) must follow
  const after = sc.statements.find((s) => s.startLine === st!.endLine && s !== st);
  if (after) return null;
  for (let l = st.endLine + 1; l <= sc.to; l++) {
    const info = sc.lines.get(l)!;
    if (!info.hasCode) continue;
    if (info.startsWithCloser || info.isLabel) return null;
    return { from: st.startLine, to: st.endLine };
  }
  return null;
}

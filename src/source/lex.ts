// Line-level C lexing for the source stage: comments, literals, indentation and tokens.
// Everything here works on single lines with a carried block-comment state, because hunk text
// is a set of disconnected line runs and the stage must never need a whole translation unit.

export interface Lexed {
  /** The line as it goes into the unit (possibly blanked in parts). */
  text: string;
  /** Comments and the contents of string/char literals replaced by spaces (quotes kept). */
  code: string;
  /** Comments replaced by spaces, literals intact. */
  noComments: string;
  inCommentAtStart: boolean;
  inCommentAtEnd: boolean;
}

/** Lex one line given whether it starts inside a block comment. */
export function lexLine(text: string, inComment: boolean): Lexed {
  // Most lines have no comment or literal: nothing to blank (the common case, kept cheap).
  if (!inComment && !/[/"']/.test(text)) return { text, code: text, noComments: text, inCommentAtStart: false, inCommentAtEnd: false };
  const code: string[] = [];
  const noc: string[] = [];
  let state: 'code' | 'block' | 'str' | 'chr' = inComment ? 'block' : 'code';
  const start = inComment;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const n = text[i + 1];
    if (state === 'block') {
      if (c === '*' && n === '/') {
        code.push('  ');
        noc.push('  ');
        i++;
        state = 'code';
      } else {
        const blank = c === '\t' ? '\t' : ' ';
        code.push(blank);
        noc.push(blank);
      }
      continue;
    }
    if (state === 'str' || state === 'chr') {
      const quote = state === 'str' ? '"' : "'";
      if (c === '\\' && i + 1 < text.length) {
        code.push('  ');
        noc.push(c, n!);
        i++;
      } else if (c === quote) {
        code.push(c);
        noc.push(c);
        state = 'code';
      } else {
        code.push(' ');
        noc.push(c);
      }
      continue;
    }
    if (c === '/' && n === '*') {
      code.push('  ');
      noc.push('  ');
      i++;
      state = 'block';
    } else if (c === '/' && n === '/') {
      const rest = text.length - i;
      code.push(' '.repeat(rest));
      noc.push(' '.repeat(rest));
      break;
    } else if (c === '"' || c === "'") {
      code.push(c);
      noc.push(c);
      state = c === '"' ? 'str' : 'chr';
    } else {
      code.push(c);
      noc.push(c);
    }
  }
  return { text, code: code.join(''), noComments: noc.join(''), inCommentAtStart: start, inCommentAtEnd: state === 'block' };
}

/** Lex consecutive lines, carrying the block-comment state. */
export function lexLines(texts: readonly string[], startInComment = false): Lexed[] {
  const out: Lexed[] = [];
  let inComment = startInComment;
  for (const t of texts) {
    const l = lexLine(t, inComment);
    out.push(l);
    inComment = l.inCommentAtEnd;
  }
  return out;
}

export interface Indent {
  tabs: number;
  spaces: number; // spaces after the leading tabs
  width: number; // number of leading whitespace characters
}

export function indentOf(text: string): Indent {
  let tabs = 0;
  let i = 0;
  while (i < text.length && text[i] === '\t') {
    tabs++;
    i++;
  }
  let spaces = 0;
  while (i < text.length && (text[i] === ' ' || text[i] === '\t')) {
    if (text[i] === ' ') spaces++;
    else tabs++; // a tab after spaces: count it as a level anyway
    i++;
  }
  return { tabs, spaces, width: i };
}

/** How indentation levels are read from a set of lines: tabs, or spaces in units of `unit`. */
export interface IndentStyle {
  stripped: boolean; // no usable indentation (mailer removed it)
  unit: number; // space width of one level for space-indented lines
  offset: number; // constant extra width (e.g. a lost diff prefix column)
}

/** Decide the indentation style of a body of code lines. */
export function detectIndentStyle(texts: readonly string[], damage: readonly string[] = []): IndentStyle {
  const spaceWidths: number[] = [];
  let indented = 0;
  let nonBlank = 0;
  for (const t of texts) {
    if (!t.trim()) continue;
    nonBlank++;
    const ind = indentOf(t);
    if (ind.tabs > 0 || ind.spaces >= 2) indented++;
    if (ind.tabs === 0 && ind.spaces > 0) spaceWidths.push(ind.spaces);
  }
  const stripped = damage.includes('whitespace-stripped') || (nonBlank >= 3 && indented === 0);
  let unit = 8;
  let offset = 0;
  if (spaceWidths.length) {
    let best = -1;
    for (const [u, o] of [
      [8, 0],
      [8, 7],
      [4, 0],
      [4, 3],
      [2, 0],
      [2, 1],
    ] as const) {
      const score = spaceWidths.filter((w) => w >= o && (w - o) % u === 0).length;
      if (score > best) {
        best = score;
        unit = u;
        offset = o;
      }
    }
  }
  return { stripped, unit, offset };
}

/** Indentation level of a line under a style (0 for stripped text). */
export function levelOf(text: string, style: IndentStyle): number {
  if (style.stripped) return 0;
  const ind = indentOf(text);
  if (ind.tabs > 0) return ind.tabs + Math.floor(ind.spaces / 8);
  if (ind.spaces < style.offset || ind.spaces === 0) return 0;
  // an offset is a column lost to the diff prefix: `+` then a tab shown as 7 spaces is level 1
  return Math.floor((ind.spaces - style.offset) / style.unit) + (style.offset > 0 ? 1 : 0);
}

/** Leading tabs followed by a few alignment spaces: kernel style for a continuation line. */
export function hasAlignmentSpaces(text: string, style: IndentStyle): boolean {
  if (style.stripped) return false;
  const ind = indentOf(text);
  if (ind.tabs > 0) return ind.spaces > 0 && ind.spaces < 8;
  if (ind.spaces <= style.offset) return false;
  return (ind.spaces - style.offset) % style.unit !== 0;
}

export type TokenKind = 'id' | 'num' | 'str' | 'chr' | 'op';

export interface Token {
  line: number; // index of the line in the scanned run
  col: number;
  end: number; // exclusive column
  t: string;
  kind: TokenKind;
}

const OPS = ['...', '<<=', '>>=', '->', '++', '--', '<<', '>>', '<=', '>=', '==', '!=', '&&', '||', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '##'];

/** Tokens of a code skeleton line (comments already blanked, literal contents blanked). */
export function tokenize(code: string, line: number): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < code.length) {
    const c = code[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
      i++;
      continue;
    }
    if (/[A-Za-z_$]/.test(c)) {
      let j = i + 1;
      while (j < code.length && /[A-Za-z0-9_$]/.test(code[j]!)) j++;
      out.push({ line, col: i, end: j, t: code.slice(i, j), kind: 'id' });
      i = j;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(code[i + 1] ?? ''))) {
      let j = i + 1;
      while (j < code.length && /[0-9A-Za-z_.]/.test(code[j]!)) j++;
      out.push({ line, col: i, end: j, t: code.slice(i, j), kind: 'num' });
      i = j;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < code.length && code[j] !== c) j++;
      j = Math.min(j + 1, code.length);
      out.push({ line, col: i, end: j, t: code.slice(i, j), kind: c === '"' ? 'str' : 'chr' });
      i = j;
      continue;
    }
    const op = OPS.find((o) => code.startsWith(o, i)) ?? c;
    out.push({ line, col: i, end: i + op.length, t: op, kind: 'op' });
    i += op.length;
  }
  return out;
}

/** Replace columns [from, to) of a line with spaces (tabs kept), so rows and columns stay put. */
export function blankColumns(text: string, from: number, to: number = text.length): string {
  if (from >= to) return text;
  const mid = text.slice(from, to).replace(/[^\t]/g, ' ');
  return (text.slice(0, from) + mid + text.slice(to)).replace(/\s+$/, '');
}

export const CONTROL_KEYWORDS = new Set(['if', 'for', 'while', 'switch', 'do', 'else']);
export const JUMP_KEYWORDS = new Set(['goto', 'return', 'break', 'continue']);
export const STATEMENT_KEYWORDS = new Set([...CONTROL_KEYWORDS, ...JUMP_KEYWORDS, 'case', 'default', 'sizeof', 'typedef']);

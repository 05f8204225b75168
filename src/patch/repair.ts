// Whitespace damage: telling a line the mailer wrapped (its continuation has no diff prefix) from a
// context line that lost its leading space, and re-joining wrapped lines.
//
// A continuation line and a prefix-less context line look the same; what tells them apart is the line
// before: a soft line break (format=flowed, or a trailing space an archive kept), an open parenthesis,
// a line as long as mailers wrap at, an unfinished comment sentence. Where a hunk header gives counts,
// the counts decide among the doubtful lines (see reconcile()).

import { endsStatement, looksLikeCode, parenBalance, startsLikeCode } from './codelike.js';

export interface WrapContext {
  /** format=flowed body: a trailing space is a soft line break (RFC 3676). */
  flowed: boolean;
  /** Some prefix-less lines of this hunk are certainly context: wrapping needs stronger evidence. */
  lostPrefixes: boolean;
}

export interface PrevLine {
  /** Text so far (joined, when it is already a wrap chain), without the diff prefix. */
  text: string;
  /** Length of the last physical line as it appeared in the mail (with quote and diff prefixes). */
  rawLength: number;
  /** The last physical line was itself a continuation. */
  chain: boolean;
  /** The text before this line left a block comment open. */
  inComment: boolean;
}

/** How likely a prefix-less line is the mailer's continuation of `prev` (>= 0.5: a wrap). */
export function wrapScore(prev: PrevLine, line: string, ctx: WrapContext): number {
  const t = line.trim();
  if (!t || !prev.text.trim()) return 0;
  if (ctx.flowed && / $/.test(prev.text)) return 1; // a soft line break
  let s = 0;
  if (/\s$/.test(prev.text)) s += 0.45;
  const bal = parenBalance(prev.text);
  if (bal > 0) {
    s += 0.3;
    if (parenBalance(`${prev.text} ${t}`) < bal) s += 0.1;
    if (prev.chain) s += 0.3;
    if (t.length < 20 && !endsStatement(t)) s += 0.1;
  }
  if (prev.rawLength >= 70) s += 0.3;
  else if (prev.rawLength < 45) s -= 0.2;
  const commentText = prev.inComment || /^\s*(?:\/\*|\*(?!\/)|\/\/)/.test(prev.text);
  if (commentText && !/\*\/\s*$/.test(prev.text) && !/^\s*(?:\*|\/\*|\/\/)/.test(t) && !looksLikeCode(t)) s += 0.5;
  if (endsStatement(prev.text) && !/\s$/.test(prev.text)) s -= 0.6;
  if (startsLikeCode(t)) s -= 0.4;
  if (ctx.lostPrefixes) s -= 0.2;
  return s;
}

/** Join a continuation onto the text it continues: the mailer broke the line at a space. */
export function joinWrapped(prev: string, cont: string, delsp: boolean): string {
  if (delsp && prev.endsWith(' ')) return prev.slice(0, -1) + cont.trimStart();
  if (/\s$/.test(prev)) return prev + cont.trimStart();
  return `${prev} ${cont.trimStart()}`;
}

/** A doubtful line: provisionally a wrap or context, with how sure that guess is. */
export interface Doubt {
  index: number; // position among the hunk's items
  wrap: boolean; // the provisional reading
  score: number; // wrapScore()
}

/**
 * Choose which doubtful lines are wraps so that the hunk's counts meet its header. Context lines
 * count on both sides and wraps on neither, so `excess` (the same on both sides, or no choice can
 * help) lines must turn from context into wraps (excess > 0) or back (excess < 0). Returns the
 * indexes to flip, most wrap-like (or least) first, or null when the counts cannot be met.
 */
export function reconcile(doubts: readonly Doubt[], excessOld: number, excessNew: number): number[] | null {
  if (excessOld !== excessNew) return null;
  const k = excessOld;
  if (k === 0) return [];
  if (k > 0) {
    const cands = doubts.filter((d) => !d.wrap && d.score >= 0.1).sort((a, b) => b.score - a.score);
    return cands.length >= k ? cands.slice(0, k).map((d) => d.index) : null;
  }
  const cands = doubts.filter((d) => d.wrap && d.score < 0.95).sort((a, b) => a.score - b.score);
  return cands.length >= -k ? cands.slice(0, -k).map((d) => d.index) : null;
}

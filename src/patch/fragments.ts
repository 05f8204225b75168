// Diff lines without any header: a reviewer quoting the `+` lines they talk about, pieces cut with
// `[..snip..]`, or an unquoted reply that pasted part of a patch. Each piece becomes a hunk with
// unknown file and line numbers. A run of `+`/`-` lines is taken for diff text only when it shows C;
// a changelog's `- fix the unlock` bullets are not removed lines.

import type { BodyLine } from './lines.js';
import { codeScore, looksLikeCode, looksLikeProse } from './codelike.js';
import { isRule, isSignature } from './markers.js';
import { readHunk, type HunkRead, type ReadOptions } from './hunks.js';

/** Could a fragment start at this line? (a `+` or `-` line that is not a header, rule or signature) */
export function mayStartFragment(l: BodyLine): boolean {
  const t = l.text;
  if (!/^[+-]/.test(t)) return false;
  if (/^(?:\+\+\+|---)(?:\s|$)/.test(t) || isSignature(t) || isRule(t)) return false;
  if (/^[+-]\d+(?:\s|$)/.test(t)) return false; // "+1", "-1": votes, not code
  return true;
}

/** Read a fragment piece at `i`; null when the lines there are not C diff text (the run is skipped to `skip`). */
export function readFragment(lines: readonly BodyLine[], i: number, depth: number, opts: ReadOptions): { read: HunkRead | null; skip: number } {
  const read = readHunk(lines, i, depth, null, lines[i]!.no, opts);
  const ls = read.hunk.lines;
  const changed = ls.filter((l) => l.kind !== 'context');
  const texts = ls.map((l) => l.text).filter((t) => t.trim());
  const code = texts.filter((t) => looksLikeCode(t)).length;
  const prose = texts.filter((t) => looksLikeProse(t)).length;
  const strong = changed.some((l) => codeScore(l.text) >= 2);
  const ok = changed.length >= 1 && strong && code >= 1 && code >= prose && (ls.length >= 2 || codeScore(changed[0]!.text) >= 2.5);
  return { read: ok ? read : null, skip: Math.max(read.next, i + 1) };
}

// Code quoted with its file line numbers (`2206 static void dm_wq_work(struct work_struct *work)`),
// as reviewers paste it from an editor, elixir or `cat -n`. The numbers are the file's own lines, so
// they are kept; the file is unknown. Numbering that jumps, or a snip marker, starts a new hunk.

import type { DiffLine, Hunk } from './types.js';
import type { BodyLine } from './lines.js';
import { codeScore, looksLikeCode, looksLikeProse } from './codelike.js';
import { isSnip } from './markers.js';

const NUMBERED = /^\s{0,8}(\d{1,6})(?:(?:[ \t]|:[ \t]?|\|[ \t]?)(.*))?$/;

interface Numbered {
  n: number;
  text: string;
  l: BodyLine;
}

function numbered(l: BodyLine): Numbered | null {
  const c = l.text.trimStart().charCodeAt(0);
  if (!(c >= 48 && c <= 57)) return null; // not a digit
  const m = NUMBERED.exec(l.text);
  if (!m) return null;
  // one separator (space, tab, `:` or `|`) after the number; what follows is the code as it was
  return { n: Number(m[1]), text: (m[2] ?? '').replace(/\s+$/, ''), l };
}

export interface NumberedCode {
  hunks: Hunk[];
  next: number;
}

/** Line-numbered code starting at `i` at quote depth `depth`: three or more lines, numbers counting up. */
export function numberedCodeAt(lines: readonly BodyLine[], i: number, depth: number): NumberedCode | null {
  const first = lines[i] && lines[i]!.depth === depth ? numbered(lines[i]!) : null;
  if (!first) return null;
  const runs: Numbered[][] = [[first]];
  let last = first;
  let j = i + 1;
  let end = i + 1;
  for (; j < lines.length; j++) {
    const l = lines[j]!;
    if (l.depth !== depth) break;
    const nb = numbered(l);
    if (nb && nb.n === last.n + 1) {
      runs[runs.length - 1]!.push(nb);
      last = nb;
      end = j + 1;
      continue;
    }
    if (!l.text.trim()) continue; // an unnumbered blank line between numbered ones is not a file line
    if (isSnip(l.text) || (nb && nb.n > last.n + 1)) {
      // the code goes on further down the file
      const k = isSnip(l.text) ? j + 1 : j;
      const resumed = k < lines.length && lines[k]!.depth === depth ? numbered(lines[k]!) : null;
      if (resumed && resumed.n > last.n) {
        runs.push([resumed]);
        last = resumed;
        j = k;
        end = k + 1;
        continue;
      }
    }
    break;
  }
  const all = runs.flat();
  if (all.length < 3) return null;
  const texts = all.map((x) => x.text).filter((t) => t.trim());
  const code = texts.filter((t) => looksLikeCode(t)).length;
  const prose = texts.filter((t) => looksLikeProse(t)).length;
  if (code < 2 || code < texts.length / 2 || prose > code || !texts.some((t) => codeScore(t) >= 2)) return null;
  const hunks: Hunk[] = runs.map((run) => {
    const dl: DiffLine[] = run.map((x) => ({ kind: 'context', text: x.text, oldLine: x.n, newLine: x.n, bodyLine: x.l.no }));
    return {
      oldStart: run[0]!.n,
      newStart: run[0]!.n,
      oldLines: dl.length,
      newLines: dl.length,
      declared: null,
      section: '',
      lines: dl,
      bodyLine: run[0]!.l.no,
    };
  });
  return { hunks, next: end };
}

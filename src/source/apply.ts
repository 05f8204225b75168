// Applying a patch's hunks to a pre-image, tolerant like `git apply --recount` and GNU patch:
// each hunk's old lines are looked for near the stated position (any offset, nearest first),
// then ignoring whitespace, then with fewer context lines (fuzz). Context lines in the result
// come from the pre-image, so damage in the mail's context never reaches the post-image.

import type { Hunk } from '../patch/types.js';

/** A file as lines, and whether its last line ends with a newline. */
export interface FileText {
  lines: string[];
  eol: boolean;
}

export function splitText(text: string): FileText {
  if (text === '') return { lines: [], eol: true };
  const lines = text.split('\n');
  const eol = lines[lines.length - 1] === '';
  if (eol) lines.pop();
  return { lines, eol };
}

export function joinText(ft: FileText): string {
  if (!ft.lines.length) return '';
  return ft.lines.join('\n') + (ft.eol ? '\n' : '');
}

export type ApplyResult =
  | {
      ok: true;
      post: FileText;
      added: Set<number>; // 0-based rows of the post-image the patch added
      removed: Set<number>; // 0-based rows of the pre-image the patch removed
      notes: string[];
    }
  | { ok: false; failure: string; notes: string[] };

const squash = (s: string): string => s.replace(/\s+/g, '');

const MAX_FUZZ = 3;
/** How far from the expected position a match with reduced context may be (lines). */
const FUZZ_WINDOW = 1000;

/** A line that identifies a place: not blank, not a lone brace or `break;`/`return;`-like filler. */
function telling(text: string): boolean {
  const t = squash(text);
  return t.length >= 4 && !/^(\}|\{|\};|else|\}else\{|break;|return;|continue;|default:)$/.test(t);
}

interface Match {
  pos: number;
  lead: number; // leading context lines dropped
  trail: number; // trailing context lines dropped
  loose: boolean; // matched ignoring whitespace
}

function leadingContext(h: Hunk): number {
  let n = 0;
  while (n < h.lines.length && h.lines[n]!.kind === 'context') n++;
  return n;
}

function trailingContext(h: Hunk): number {
  let n = 0;
  while (n < h.lines.length && h.lines[h.lines.length - 1 - n]!.kind === 'context') n++;
  return n;
}

function findHunk(pre: readonly string[], preSquashed: readonly string[], h: Hunk, expected: number, minPos: number): Match | null {
  const lead = leadingContext(h);
  const trail = trailingContext(h);
  const allContext = lead === h.lines.length;
  for (let fuzz = 0; fuzz <= MAX_FUZZ; fuzz++) {
    const dl = allContext ? 0 : Math.min(fuzz, lead);
    const dt = allContext ? 0 : Math.min(fuzz, trail);
    if (fuzz > 0 && dl === 0 && dt === 0) break;
    const body = h.lines.slice(dl, h.lines.length - dt).filter((l) => l.kind !== 'add');
    if (!body.length) continue;
    // with context taken away, what is left must still pin the place down
    if (fuzz > 0 && body.filter((l) => telling(l.text)).length < 2) continue;
    const exact = body.map((l) => l.text.replace(/\r$/, ''));
    const loose = body.map((l) => squash(l.text));
    const maxPos = pre.length - body.length;
    const want = Math.min(Math.max(expected + dl, minPos), Math.max(maxPos, minPos));
    for (const looseMode of [false, true]) {
      for (let d = 0; ; d++) {
        const below = want - d;
        const above = want + d;
        if (below < minPos && above > maxPos) break;
        if (fuzz > 0 && d > FUZZ_WINDOW) break;
        for (const p of d === 0 ? [want] : [below, above]) {
          if (p < minPos || p > maxPos) continue;
          let ok = true;
          for (let k = 0; k < body.length && ok; k++) {
            ok = looseMode ? preSquashed[p + k] === loose[k] : pre[p + k]!.replace(/\r$/, '') === exact[k];
          }
          if (ok) return { pos: p, lead: dl, trail: dt, loose: looseMode };
        }
      }
    }
  }
  return null;
}

/** Apply every hunk in order; the first hunk that cannot be placed makes the whole patch fail. */
export function applyHunks(pre: FileText, hunks: readonly Hunk[]): ApplyResult {
  const notes: string[] = [];
  const out: string[] = [];
  const added = new Set<number>();
  const removed = new Set<number>();
  const squashed = pre.lines.map(squash);
  let cursor = 0; // next pre line not yet copied
  let offset = 0;
  let eol = pre.eol;
  for (let k = 0; k < hunks.length; k++) {
    const h = hunks[k]!;
    const oldCount = h.lines.filter((l) => l.kind !== 'add').length;
    const stated = h.oldStart === null ? null : oldCount === 0 ? h.oldStart : h.oldStart - 1;
    const expected = stated === null ? cursor : stated + offset;
    let m: Match | null;
    if (oldCount === 0) {
      m = { pos: Math.min(Math.max(expected, cursor), pre.lines.length), lead: 0, trail: 0, loose: false };
    } else {
      m = findHunk(pre.lines, squashed, h, expected, cursor);
    }
    if (!m) {
      const probe = h.lines.find((l) => l.kind === 'del') ?? h.lines.find((l) => l.kind === 'context') ?? h.lines[0];
      const at = h.oldStart ?? '?';
      return {
        ok: false,
        failure: `hunk ${k + 1} at line ${at}: ${JSON.stringify((probe?.text ?? '').trim())} not found (tried any offset, ignoring whitespace, fuzz up to ${MAX_FUZZ})`,
        notes,
      };
    }
    const lines = h.lines.slice(m.lead, h.lines.length - m.trail);
    if (stated !== null && m.pos !== stated + m.lead) {
      const delta = m.pos - (stated + m.lead);
      notes.push(`hunk ${k + 1} applied at line ${m.pos + 1} (offset ${delta > 0 ? '+' : ''}${delta})`);
    }
    if (m.lead || m.trail) notes.push(`hunk ${k + 1} applied with fuzz ${Math.max(m.lead, m.trail)}`);
    if (m.loose) notes.push(`hunk ${k + 1} matched ignoring whitespace`);
    if (stated !== null) offset = m.pos - (stated + m.lead);
    for (; cursor < m.pos; cursor++) out.push(pre.lines[cursor]!);
    let lastNew: (typeof lines)[number] | null = null;
    for (const l of lines) {
      if (l.kind === 'context') {
        out.push(pre.lines[cursor]!);
        cursor++;
        lastNew = l;
      } else if (l.kind === 'del') {
        removed.add(cursor);
        cursor++;
      } else {
        added.add(out.length);
        out.push(l.text);
        lastNew = l;
      }
    }
    if (cursor === pre.lines.length) eol = lastNew ? !lastNew.noNewlineAtEnd : true;
  }
  for (; cursor < pre.lines.length; cursor++) out.push(pre.lines[cursor]!);
  if (!out.length) eol = true;
  return { ok: true, post: { lines: out, eol }, added, removed, notes };
}

// A diff hunk quoted down to one of its lines: what a reviewer quotes above a comment on that line.

import type { FilePatch, Hunk } from './types.js';

export interface HunkExcerpt {
  /** The `@@ -a,b +c,d @@ section` line ('@@' for a hunk that had none). */
  header: string;
  /** Diff lines with their prefix (' ', '+', '-'), from the hunk's start down to the line. */
  lines: string[];
  /** The line's place in the message body (or attachment) the patch was read from. */
  bodyLine: number;
}

const PREFIX = { context: ' ', add: '+', del: '-' } as const;

export function hunkHeader(h: Hunk): string {
  if (h.oldStart === null || h.newStart === null) return '@@';
  return `@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@${h.section ? ` ${h.section}` : ''}`;
}

/**
 * The hunk of `file` that shows `line` of the post-image (or of the pre-image, for `side` 'pre'),
 * down to that line. `by: 'body'` finds the line by its place in the message instead.
 */
export function hunkDownTo(file: FilePatch, line: number, side: 'pre' | 'post', by: 'file' | 'body' = 'file'): HunkExcerpt | null {
  for (const h of file.hunks) {
    const k = h.lines.findIndex((l) => {
      const onSide = l.kind === 'context' || l.kind === (side === 'post' ? 'add' : 'del');
      if (!onSide) return false;
      if (by === 'body') return l.bodyLine === line;
      return (side === 'post' ? l.newLine : l.oldLine) === line;
    });
    if (k < 0) continue;
    return { header: hunkHeader(h), lines: h.lines.slice(0, k + 1).map((l) => PREFIX[l.kind] + l.text), bodyLine: h.lines[k]!.bodyLine };
  }
  return null;
}

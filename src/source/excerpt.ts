// The code around a finding, for reports: the rows of the image it was found in that carry the
// finding's line and its trace, with a little context, as the file (or message) numbers them.

import type { CUnit } from './types.js';

export interface CodeLine {
  line: number;
  text: string;
}

interface UnitRows {
  rows: readonly string[];
  rowOf: Map<number, number>;
}

const cache = new WeakMap<CUnit, UnitRows>();

function rowsOf(unit: CUnit): UnitRows {
  let r = cache.get(unit);
  if (!r) {
    const rows = unit.raw ?? unit.text.split('\n');
    const rowOf = new Map<number, number>();
    unit.lineMap.forEach((l, row) => {
      if (l !== null && !rowOf.has(l)) rowOf.set(l, row);
    });
    r = { rows, rowOf };
    cache.set(unit, r);
  }
  return r;
}

/**
 * The rows around `focus` (±3) and around each of `also` (±1), in line order, at most `max` rows:
 * past that, the trace lines keep only themselves. Rows kreview made up (gap markers) are left out.
 */
export function excerpt(unit: CUnit, focus: number | null, also: (number | null)[], max = 40): CodeLine[] {
  const { rows, rowOf } = rowsOf(unit);
  const want = new Set<number>();
  const around = (line: number | null, radius: number): void => {
    if (line === null) return;
    const row = rowOf.get(line);
    if (row === undefined) return;
    for (let r = Math.max(0, row - radius); r <= Math.min(rows.length - 1, row + radius); r++) want.add(r);
  };
  around(focus, 3);
  for (const l of also) around(l, 1);
  if (want.size > max) {
    want.clear();
    around(focus, 3);
    for (const l of also) around(l, 0);
  }
  const out: CodeLine[] = [];
  for (const r of [...want].sort((a, b) => a - b)) {
    const line = unit.lineMap[r];
    if (line === null || line === undefined) continue;
    const text = rows[r] ?? '';
    if (text.includes('__kreview_')) continue;
    out.push({ line, text: text.replace(/\s+$/, '') });
  }
  return out;
}

// Shared helpers of the C front-end suites: lower a fixture and describe the result compactly.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lowerUnit } from '../../src/c/index.js';
import { formatOp } from '../../src/c/format.js';
import type { Block, FunctionIR, Op } from '../../src/c/ir.js';
import { defaultSemantics } from '../../src/semantics/load.js';
import type { CUnit, FunctionMeta } from '../../src/source/types.js';

const here = dirname(fileURLToPath(import.meta.url));
export const FIXTURES = join(here, '..', '..', 'fixtures', 'c', 'ir');

/** A whole-file unit: row r is line r+1. */
export function fileUnit(text: string, file = 'x.c'): CUnit {
  const rows = text.split('\n').length;
  return { file, side: 'post', origin: 'file', text, lineMap: Array.from({ length: rows }, (_, i) => i + 1), functions: [] };
}

export async function lowerText(text: string, unit: Partial<CUnit> = {}): Promise<Map<string, FunctionIR>> {
  const fns = await lowerUnit({ ...fileUnit(text), ...unit }, defaultSemantics());
  return new Map(fns.map((f) => [f.name, f]));
}

export async function lowerFixture(name: string): Promise<Map<string, FunctionIR>> {
  return lowerText(readFileSync(join(FIXTURES, name), 'utf8'), { file: name });
}

export function fn(fns: Map<string, FunctionIR>, name: string): FunctionIR {
  const f = fns.get(name);
  if (!f) throw new Error(`no function ${name} (have: ${[...fns.keys()].join(', ')})`);
  return f;
}

/** Ops as `<line> <formatted op>` (primitive names dropped), optionally of some kinds only. */
export function ops(f: FunctionIR, kinds?: Op['kind'][], block?: number): string[] {
  const out: string[] = [];
  for (const b of f.blocks) {
    if (block !== undefined && b.id !== block) continue;
    for (const op of b.ops) if (!kinds || kinds.includes(op.kind)) out.push(`${op.line ?? '-'} ${formatOp(op).replace(/\s+\[[^\]]*\]$/, '')}`);
  }
  return out;
}

/** Edges as `B0 -> B1 B2` per block with successors. */
export function edges(f: FunctionIR): string[] {
  return f.blocks.map(
    (b) =>
      `B${b.id} -> ${
        succ(b)
          .map((s) => `B${s}`)
          .join(' ') || b.term.k
      }`,
  );
}

export function succ(b: Block): number[] {
  const t = b.term;
  switch (t.k) {
    case 'jump':
      return [t.to];
    case 'branch':
      return [t.t, t.f];
    case 'switch':
      return t.cases.map((c) => c.to);
    default:
      return [];
  }
}

/** The block holding the first op that matches. */
export function blockWith(f: FunctionIR, pred: (op: Op) => boolean): Block {
  const b = f.blocks.find((x) => x.ops.some(pred));
  if (!b) throw new Error(`no block with such an op in ${f.name}`);
  return b;
}

/** Every path from the entry, as the sequence of block ids (loops cut at the second visit). */
export function paths(f: FunctionIR, limit = 200): number[][] {
  const out: number[][] = [];
  const walk = (id: number, path: number[]): void => {
    if (out.length >= limit) return;
    if (path.includes(id)) {
      out.push([...path, id]);
      return;
    }
    const b = f.blocks[id]!;
    const next = succ(b);
    if (!next.length) out.push([...path, id]);
    for (const s of new Set(next)) walk(s, [...path, id]);
  };
  walk(0, []);
  return out;
}

/** The ops met along one path, formatted. */
export function opsAlong(f: FunctionIR, path: number[], kinds?: Op['kind'][]): string[] {
  return path.flatMap((id, i) => (path.indexOf(id) === i ? ops(f, kinds, id) : []));
}

export function meta(over: Partial<FunctionMeta> & { name: string; startRow: number; endRow: number }): FunctionMeta {
  return { completeness: 'partial', missing: [], entryKnown: true, exitKnown: true, gaps: [], touched: true, preproc: [], ...over };
}

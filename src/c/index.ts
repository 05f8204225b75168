// C front end entry point: a CUnit's text -> one FunctionIR (ops on a CFG) per function definition.
//   prepare (text pre-pass) -> tree-sitter -> plain syntax tree -> functions -> lowering per function.

import type { Semantics } from '../semantics/index.js';
import type { CUnit, FunctionMeta } from '../source/types.js';
import type { FunctionIR, StructInfo } from './ir.js';
import { parseC } from './parser.js';
import { findBlock, prepare, type Prepared } from './prepare.js';
import { toSyntax, type SNode } from './syntax.js';
import { FunctionLowerer, type UnitContext } from './lower.js';
import { calledNames } from './calls.js';
import { expandLocalMacros } from './macros.js';
import { unitTypes } from './structs.js';
import { BUDGETS } from '../budgets.js';
import { annotatedPrototypes, annotationsFor, emptyAnnotations, findFunctions, metaFor, paramsIn, type FoundFunction } from './functions.js';

export type { FunctionIR } from './ir.js';
export { formatFunctionIR, formatExpr, formatOp } from './format.js';

/** A unit's text prepared for the grammar and parsed into the plain syntax tree. */
async function parseUnit(unit: CUnit, sem: Semantics): Promise<{ prep: Prepared; root: SNode }> {
  const prep = prepare(expandLocalMacros(unit.text, unit.defines ?? [], sem));
  const tree = await parseC(prep.text);
  try {
    return { prep, root: toSyntax(tree, prep.text) };
  } finally {
    tree.delete();
  }
}

/** Parse a unit and lower every function definition in it to IR on a CFG. */
export async function lowerUnit(unit: CUnit, sem: Semantics): Promise<FunctionIR[]> {
  const { prep, root } = await parseUnit(unit, sem);
  const ctx: UnitContext = { prep, src: prep.text, lineMap: unit.lineMap, sem, calledInUnit: calledNames(prep.text) };
  const found = findFunctions(root, prep.text, prep);
  ctx.definedInUnit = new Set(found.map((f) => f.name));
  const annotations = annotationsFor(root, prep.text, prep, found);
  const used = new Set<FunctionMeta>();
  const out: FunctionIR[] = [];
  const types = unitTypes(root, prep.text, prep, unit.lineMap);
  for (const f of found) {
    const meta = metaFor(f, unit.functions, used);
    out.push(lowerWithin(unit, ctx, f, meta, annotations.get(f) ?? emptyAnnotations()));
  }
  // Functions the parser did not see as definitions (a damaged signature, text the source stage
  // knows is a function): the body is parsed again on its own and lowered, and that is said.
  for (const r of await recover(root, prep, unit, found, used)) {
    const fn = lowerWithin(unit, ctx, r.f, r.meta, emptyAnnotations());
    fn.diagnostics.unshift(r.note);
    if (r.empty) {
      fn.blocks = [
        {
          id: 0,
          ops: [{ kind: 'unknown', reason: 'function text could not be parsed', line: unit.lineMap[r.meta.startRow] ?? null, row: r.meta.startRow }],
          term: { k: 'unknown-exit', line: null },
        },
      ];
    }
    out.push(fn);
  }
  out.sort((a, b) => a.meta.startRow - b.meta.startRow);
  // Annotated prototypes of functions the unit does not define: what a caller may assume about them.
  const defined = new Set(out.map((f) => f.name));
  const declared = [...annotatedPrototypes(root, prep.text, prep).values()]
    .filter((p) => !defined.has(p.name))
    .map((p) => ({ name: p.name, params: p.params, annotations: p.annotations, line: unit.lineMap[p.row] ?? null }));
  if (declared.length) for (const fn of out) fn.declared = declared;
  if (types.structs.length || types.globals.length || types.callbacks.length) for (const fn of out) fn.unit = types;
  return out;
}

/**
 * The struct definitions of a unit, without lowering its functions: what a header declares
 * (`__guarded_by()`, `__rcu` on members, member types) for the files that include it.
 */
export async function unitStructs(unit: CUnit, sem: Semantics): Promise<StructInfo[]> {
  const { prep, root } = await parseUnit(unit, sem);
  return unitTypes(root, prep.text, prep, unit.lineMap).structs;
}

function lineRange(lineMap: (number | null)[], from: number, to: number): { start: number | null; end: number | null } {
  let start: number | null = null;
  let end: number | null = null;
  for (let r = from; r <= to && r < lineMap.length; r++) {
    const l = lineMap[r];
    if (l === null || l === undefined) continue;
    if (start === null) start = l;
    end = l;
  }
  return { start, end };
}

function lowerFunction(unit: CUnit, ctx: UnitContext, f: FoundFunction, meta: FunctionMeta, annotations: FunctionIR['annotations']): FunctionIR {
  const signatureKnown = !meta.missing.some((m) => /signature|start/.test(m));
  const lowerer = new FunctionLowerer(
    ctx,
    {
      name: f.name,
      params: f.params,
      declsComplete: meta.entryKnown && signatureKnown && !f.paramsUnknown && meta.gaps.length === 0,
    },
    f.node,
  );
  const body = lowerer.lower(f.body);
  const diagnostics = [...body.diagnostics];
  if (f.how === 'macro') diagnostics.unshift(`defined through a macro header; name and parameters read from the macro's arguments`);
  return functionIR(unit, f, meta, annotations, body, diagnostics);
}

/** The IR of a found function from its lowered body (or the one unknown step that stands for it). */
function functionIR(
  unit: CUnit,
  f: FoundFunction,
  meta: FunctionMeta,
  annotations: FunctionIR['annotations'],
  body: Pick<FunctionIR, 'locals' | 'blocks'>,
  diagnostics: string[],
  notAnalysed?: string,
): FunctionIR {
  const lines = lineRange(unit.lineMap, f.node.row, f.node.endRow);
  return {
    name: f.name,
    file: unit.file,
    side: unit.side,
    origin: unit.origin,
    startLine: lines.start,
    endLine: lines.end,
    isStatic: f.isStatic,
    returnType: f.returnType,
    params: f.params,
    locals: body.locals,
    annotations,
    blocks: body.blocks,
    meta,
    diagnostics,
    ...(notAnalysed ? { notAnalysed } : {}),
  };
}

/** How deep a syntax tree nests, counted without recursion. */
function nestingDepth(root: SNode, limit: number): number {
  let max = 0;
  const stack: { n: SNode; d: number }[] = [{ n: root, d: 0 }];
  while (stack.length) {
    const { n, d } = stack.pop()!;
    if (d > max) max = d;
    if (max > limit) return max;
    for (const c of n.children) stack.push({ n: c, d: d + 1 });
  }
  return max;
}

/**
 * Lower one function within its budget: one nested past `BUDGETS.functionNesting`, or one whose
 * lowering fails, becomes a function of one unknown step with `notAnalysed` saying why, so the
 * unit's other functions are lowered and checked as usual.
 */
function lowerWithin(unit: CUnit, ctx: UnitContext, f: FoundFunction, meta: FunctionMeta, annotations: FunctionIR['annotations']): FunctionIR {
  const depth = nestingDepth(f.body, BUDGETS.functionNesting);
  let why: string;
  if (depth > BUDGETS.functionNesting) why = `its code nests more than ${BUDGETS.functionNesting} levels deep (the nesting budget)`;
  else
    try {
      return lowerFunction(unit, ctx, f, meta, annotations);
    } catch (e) {
      why =
        e instanceof RangeError ? 'its code nests too deeply for the front end' : `the front end failed on it (${e instanceof Error ? e.message : String(e)})`;
    }
  const line = unit.lineMap[f.node.row] ?? null;
  const blocks: FunctionIR['blocks'] = [
    { id: 0, ops: [{ kind: 'unknown', reason: `not analysed: ${why}`, line, row: f.node.row }], term: { k: 'unknown-exit', line: null } },
  ];
  return functionIR(unit, f, meta, annotations, { locals: [], blocks }, [`not analysed: ${why}`], why);
}

const RECOVERED_HEADER = 'void __kreview_recovered(void)\n';

function rowStarts(text: string): number[] {
  const out = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) out.push(i + 1);
  return out;
}

function rowOf(starts: number[], index: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= index) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function hasErrorInside(n: SNode): boolean {
  if (n.type === 'ERROR') return true;
  return n.children.some(hasErrorInside);
}

interface Recovered {
  f: FoundFunction;
  meta: FunctionMeta;
  note: string;
  empty: boolean;
}

/** Re-parse `{ ... }` alone (rows and indices kept) and find the body in it. */
async function reparseBody(prep: Prepared, open: number, close: number, row: number): Promise<SNode | null> {
  const sub = RECOVERED_HEADER + prep.text.slice(open, close);
  const tree = await parseC(sub);
  let root: SNode;
  try {
    root = toSyntax(tree, sub, { index: open - RECOVERED_HEADER.length, row: row - 1 });
  } finally {
    tree.delete();
  }
  const def = root.children.find((c) => c.type === 'function_definition');
  return def?.children.find((c) => c.field === 'body') ?? null;
}

async function recover(root: SNode, prep: Prepared, unit: CUnit, found: FoundFunction[], used: Set<FunctionMeta>): Promise<Recovered[]> {
  const starts = rowStarts(prep.text);
  const out: Recovered[] = [];
  const covered = (start: number, end: number): boolean =>
    found.some((f) => f.node.start < end && f.node.end > start) || out.some((r) => r.f.body.start < end && r.f.body.end > start);
  // Metas without a parsed definition.
  for (const meta of unit.functions) {
    if (used.has(meta)) continue;
    used.add(meta);
    const from = starts[meta.startRow] ?? prep.text.length;
    const to = starts[meta.endRow + 1] ?? prep.text.length;
    const blk = findBlock(prep.text, from, to);
    const body = blk && !covered(blk[0], blk[1]) ? await reparseBody(prep, blk[0], blk[1], rowOf(starts, blk[0])) : null;
    const header = root.children.find((c) => c.start <= (blk?.[0] ?? from) && c.end > from);
    out.push(
      recovered(
        meta.name,
        meta,
        body,
        header,
        prep,
        meta.startRow,
        meta.endRow,
        body
          ? `rows ${meta.startRow + 1}-${meta.endRow + 1}: no function definition parsed here; the body was parsed on its own`
          : `rows ${meta.startRow + 1}-${meta.endRow + 1}: no function definition or body could be parsed here`,
      ),
    );
  }
  // Whole files: a damaged definition at top level (an error node holding a `{ ... }`).
  if (!unit.functions.length) {
    for (const n of root.children) {
      if (n.type === 'function_definition' || !hasErrorInside(n) || covered(n.start, n.end)) continue;
      const blk = findBlock(prep.text, n.start, n.end);
      if (!blk || covered(blk[0], blk[1])) continue;
      const head = prep.text.slice(n.start, blk[0]);
      const m = /([A-Za-z_]\w*)\s*\(/.exec(head);
      if (!m) continue;
      const body = await reparseBody(prep, blk[0], blk[1], rowOf(starts, blk[0]));
      if (!body) continue;
      const endRow = rowOf(starts, Math.max(blk[0], blk[1] - 1));
      const meta: FunctionMeta = {
        name: m[1]!,
        startRow: n.row,
        endRow,
        completeness: 'full',
        missing: [],
        entryKnown: true,
        exitKnown: true,
        gaps: [],
        touched: false,
        preproc: [],
      };
      out.push(
        recovered(
          m[1]!,
          meta,
          body,
          n,
          prep,
          n.row,
          endRow,
          `line ${unit.lineMap[n.row] ?? n.row + 1}: the signature did not parse; the body was parsed on its own`,
        ),
      );
    }
  }
  return out;
}

function recovered(
  name: string,
  meta: FunctionMeta,
  body: SNode | null,
  header: SNode | undefined,
  prep: Prepared,
  startRow: number,
  endRow: number,
  note: string,
): Recovered {
  const empty: SNode = {
    type: 'compound_statement',
    field: null,
    named: true,
    missing: false,
    start: 0,
    end: 0,
    row: startRow,
    endRow,
    children: [],
    holds: 0,
  };
  const b = body ?? empty;
  return {
    f: {
      name,
      node: { ...b, start: header ? Math.min(header.start, b.start) : b.start, row: startRow, endRow },
      body: b,
      isStatic: !!header && /^\s*static\b/.test(prep.text.slice(header.start, header.end)),
      returnType: '',
      params: header ? paramsIn(header, prep.text, prep) : [],
      paramsUnknown: true,
      how: 'recovered',
    },
    meta,
    note,
    empty: !body,
  };
}

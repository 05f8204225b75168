// C front end entry point: a CUnit's text -> one FunctionIR (ops on a CFG) per function definition.
//   prepare (text pre-pass) -> tree-sitter -> plain syntax tree -> functions -> lowering per function.

import type { Semantics } from '../semantics/index.js';
import type { CUnit, FunctionMeta } from '../source/types.js';
import type { FunctionIR } from './ir.js';
import { parseC } from './parser.js';
import { prepare } from './prepare.js';
import { toSyntax, type SNode } from './syntax.js';
import { FunctionLowerer, type UnitContext } from './lower.js';
import { calledNames } from './calls.js';
import { annotationsFor, emptyAnnotations, findFunctions, metaFor, recoverBody, type FoundFunction } from './functions.js';

export type { FunctionIR } from './ir.js';
export { formatFunctionIR, formatExpr, formatOp } from './format.js';

/** Parse a unit and lower every function definition in it to IR on a CFG. */
export async function lowerUnit(unit: CUnit, sem: Semantics): Promise<FunctionIR[]> {
  const prep = prepare(unit.text);
  const tree = await parseC(prep.text);
  let root: SNode;
  try {
    root = toSyntax(tree);
  } finally {
    tree.delete();
  }
  const ctx: UnitContext = { prep, src: prep.text, lineMap: unit.lineMap, sem, calledInUnit: calledNames(prep.text) };
  const found = findFunctions(root, prep.text, prep);
  const annotations = annotationsFor(root, prep.text, prep, found);
  const used = new Set<FunctionMeta>();
  const out: FunctionIR[] = [];
  for (const f of found) {
    const meta = metaFor(f, unit.functions, used);
    out.push(lowerFunction(unit, ctx, f, meta, annotations.get(f) ?? emptyAnnotations()));
  }
  // Functions the source stage knows about but the parser did not see as definitions: lower what
  // can be recovered, and say so, rather than dropping them.
  for (const meta of unit.functions) {
    if (used.has(meta)) continue;
    const body = recoverBody(root, meta);
    const f: FoundFunction = {
      name: meta.name,
      node: body ? { ...body, row: meta.startRow, endRow: meta.endRow } : { type: 'ERROR', field: null, named: true, missing: false, start: 0, end: 0, row: meta.startRow, endRow: meta.endRow, children: [] },
      body: body ?? { type: 'compound_statement', field: null, named: true, missing: false, start: 0, end: 0, row: meta.startRow, endRow: meta.endRow, children: [] },
      isStatic: false,
      returnType: '',
      params: [],
      paramsUnknown: true,
      how: 'recovered',
    };
    const fn = lowerFunction(unit, ctx, f, meta, emptyAnnotations());
    fn.diagnostics.unshift(
      body
        ? `rows ${meta.startRow + 1}-${meta.endRow + 1}: no function definition parsed here; lowered the body found in those rows`
        : `rows ${meta.startRow + 1}-${meta.endRow + 1}: no function definition or body could be parsed here`,
    );
    if (!body) {
      fn.blocks = [{ id: 0, ops: [{ kind: 'unknown', reason: 'function text could not be parsed', line: unit.lineMap[meta.startRow] ?? null, row: meta.startRow }], term: { k: 'unknown-exit', line: null } }];
    }
    out.push(fn);
  }
  return out;
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
  const lowerer = new FunctionLowerer(ctx, {
    name: f.name,
    params: f.params,
    declsComplete: meta.entryKnown && signatureKnown && !f.paramsUnknown,
  }, f.node);
  const body = lowerer.lower(f.body);
  const lines = lineRange(unit.lineMap, f.node.row, f.node.endRow);
  const diagnostics = [...body.diagnostics];
  if (f.how === 'macro') diagnostics.unshift(`defined through a macro header; name and parameters read from the macro's arguments`);
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
  };
}

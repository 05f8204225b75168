// The tree-sitter tree copied once into plain JS objects. Walking wasm nodes costs a boundary
// crossing per property; one cursor pass here makes every later look-up a plain field read.

import type { Tree } from './parser.js';

export interface SNode {
  type: string; // tree-sitter node type ('if_statement', 'identifier', '(' ...)
  field: string | null; // field name in the parent ('condition', 'body' ...)
  named: boolean;
  missing: boolean; // inserted by the parser's error recovery
  start: number; // index in the parsed text
  end: number;
  row: number; // 0-based start row
  endRow: number;
  children: SNode[];
}

/** Copy a tree; `shift` moves indices and rows (a piece of text parsed on its own). */
/** Node type names, namedness and field names by id: asked of the grammar once per id. */
const typeNames: string[] = [];
const typeNamed: boolean[] = [];
const fieldNames: (string | null)[] = [];

/** Subtrees the front end never looks into (it slices their text), and named tokens. */
const LEAVES = new Set([
  'string_literal', 'char_literal', 'comment', 'number_literal', 'system_lib_string', 'identifier', 'field_identifier',
  'type_identifier', 'statement_identifier', 'primitive_type', 'string_content', 'escape_sequence', 'true', 'false', 'null',
]);

/** Tokens not copied: they only delimit. (`}` is kept: the end of a scope is a place.) */
const DROPPED = new Set(['(', ')', ';', ',', '{', '[', ']', ':', '"', "'"]);

/**
 * Copy a tree parsed from `text`; `shift` moves indices and rows (a piece of text parsed on its own). Every cursor
 * property is a call into wasm, so only ids and indices are asked per node; names come from
 * caches, rows from the text, "missing" only for zero-width nodes, and tokens are not descended.
 */
export function toSyntax(tree: Tree, text: string, shift: { index: number; row: number } = { index: 0, row: 0 }): SNode {
  const lang = tree.language;
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  let lastRow = 0;
  const rowOf = (index: number): number => {
    // Indices arrive nearly in order: walk from the last answer.
    let r = lastRow;
    while (r + 1 < starts.length && starts[r + 1]! <= index) r++;
    while (r > 0 && starts[r]! > index) r--;
    lastRow = r;
    return r;
  };
  const c = tree.walk();
  const mk = (): SNode => {
    const tid = c.nodeTypeId;
    let type = typeNames[tid];
    if (type === undefined) {
      type = lang.types[tid] ?? c.nodeType;
      typeNames[tid] = type;
      typeNamed[tid] = c.nodeIsNamed;
    }
    const fid = c.currentFieldId;
    let fieldName: string | null = null;
    if (fid) {
      fieldName = fieldNames[fid] ?? null;
      if (fieldNames[fid] === undefined) {
        fieldName = c.currentFieldName;
        fieldNames[fid] = fieldName;
      }
    }
    const start = c.startIndex;
    const end = c.endIndex;
    const row = rowOf(start);
    const endRow = end === start ? row : rowOf(end);
    lastRow = row;
    return {
      type,
      field: fieldName,
      named: typeNamed[tid]!,
      missing: start === end ? c.nodeIsMissing : false,
      start: start + shift.index,
      end: end + shift.index,
      row: row + shift.row,
      endRow: endRow + shift.row,
      children: [],
    };
  };
  const root = mk();
  const stack: SNode[] = [root];
  // Depth-first with the cursor: descend, else next sibling, else climb until a sibling exists.
  if (c.gotoFirstChild()) {
    for (;;) {
      const n = mk();
      // Punctuation carries nothing (kept when parser-inserted, or when it has a field).
      if (n.named || n.missing || n.field || !DROPPED.has(n.type)) stack[stack.length - 1]!.children.push(n);
      if (n.named && !LEAVES.has(n.type) && c.gotoFirstChild()) {
        stack.push(n);
        continue;
      }
      let moved = c.gotoNextSibling();
      while (!moved) {
        if (!c.gotoParent()) break;
        stack.pop();
        if (stack.length === 0) break;
        moved = c.gotoNextSibling();
      }
      if (!moved) break;
    }
  }
  c.delete();
  return root;
}

export function field(n: SNode, name: string): SNode | undefined {
  for (const ch of n.children) if (ch.field === name) return ch;
  return undefined;
}

export function fields(n: SNode, name: string): SNode[] {
  return n.children.filter((ch) => ch.field === name);
}

export function named(n: SNode): SNode[] {
  return n.children.filter((ch) => ch.named && ch.type !== 'comment');
}

/** The operator token of a binary/unary/assignment/update expression. */
export function operatorOf(n: SNode): string {
  const op = field(n, 'operator');
  return op ? op.type : '';
}

/** Does the subtree contain a parse error or a parser-inserted token? */
export function hasError(n: SNode): boolean {
  if (n.type === 'ERROR' || n.missing) return true;
  for (const ch of n.children) if (hasError(ch)) return true;
  return false;
}

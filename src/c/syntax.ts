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
export function toSyntax(tree: Tree, shift: { index: number; row: number } = { index: 0, row: 0 }): SNode {
  const c = tree.walk();
  const mk = (): SNode => ({
    type: c.nodeType,
    field: c.currentFieldName,
    named: c.nodeIsNamed,
    missing: c.nodeIsMissing,
    start: c.startIndex + shift.index,
    end: c.endIndex + shift.index,
    row: c.startPosition.row + shift.row,
    endRow: c.endPosition.row + shift.row,
    children: [],
  });
  const root = mk();
  const stack: SNode[] = [root];
  // Depth-first with the cursor: descend, else next sibling, else climb until a sibling exists.
  if (c.gotoFirstChild()) {
    for (;;) {
      const n = mk();
      stack[stack.length - 1]!.children.push(n);
      if (c.gotoFirstChild()) {
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

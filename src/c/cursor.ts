// Walking a tree-sitter tree for the syntax copy, without web-tree-sitter's per-call marshalling.
//
// Every TreeCursor property or move copies the cursor's four words into a transfer buffer in wasm
// memory before calling the exported function (and out again after a move): that copying, not the
// work in wasm, is most of what the front end's copy of the tree costs. The exported functions
// read and update the buffer themselves (lib/tree-sitter.c: `unmarshal_cursor`/`marshal_cursor`
// on TRANSFER_BUFFER), so a walk that leaves its cursor there can call them directly, about three
// times faster per node. That is web-tree-sitter's internal protocol, so the direct walk is used
// only where it is known (0.25.x), every export it needs is there, and a walk of a test tree gives
// exactly what the public TreeCursor gives; anywhere else the public cursor is used.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Parser, Tree } from 'web-tree-sitter';
import { BUNDLE } from '../paths.js';

/** The web-tree-sitter the parser runs on: the bundle says which it was built with, else its package.json. */
function webTreeSitterVersion(): string {
  if (BUNDLE) return BUNDLE.webTreeSitter;
  const require = createRequire(import.meta.url);
  return (JSON.parse(readFileSync(join(dirname(require.resolve('web-tree-sitter')), 'package.json'), 'utf8')) as { version?: string }).version ?? '';
}

/** What the syntax copy asks of a cursor (the names are TreeCursor's). */
export interface Walk {
  nodeTypeId(): number;
  currentFieldId(): number;
  nodeIsNamed(): boolean;
  nodeIsMissing(): boolean;
  startIndex(): number;
  endIndex(): number;
  /** Whether the current node's subtree holds an ERROR or a missing node. */
  hasError(): boolean;
  gotoFirstChild(): boolean;
  gotoNextSibling(): boolean;
  gotoParent(): boolean;
  delete(): void;
}

/** The public cursor, one call of it per question. */
function publicWalk(tree: Tree): Walk {
  const c = tree.walk();
  return {
    nodeTypeId: () => c.nodeTypeId,
    currentFieldId: () => c.currentFieldId,
    nodeIsNamed: () => c.nodeIsNamed,
    nodeIsMissing: () => c.nodeIsMissing,
    startIndex: () => c.startIndex,
    endIndex: () => c.endIndex,
    hasError: () => c.currentNode.hasError,
    gotoFirstChild: () => c.gotoFirstChild(),
    gotoNextSibling: () => c.gotoNextSibling(),
    gotoParent: () => c.gotoParent(),
    delete: () => c.delete(),
  };
}

/** The module exports the direct walk calls (names as web-tree-sitter 0.25 binds them). */
interface Binding {
  _ts_init(): number;
  _ts_tree_cursor_current_node_type_id_wasm(tree: number): number;
  _ts_tree_cursor_current_field_id_wasm(tree: number): number;
  _ts_tree_cursor_current_node_is_named_wasm(tree: number): number;
  _ts_tree_cursor_current_node_is_missing_wasm(tree: number): number;
  _ts_tree_cursor_start_index_wasm(tree: number): number;
  _ts_tree_cursor_end_index_wasm(tree: number): number;
  _ts_tree_cursor_current_node_wasm(tree: number): void;
  _ts_node_has_error_wasm(tree: number): number;
  _ts_tree_cursor_goto_first_child_wasm(tree: number): number;
  _ts_tree_cursor_goto_next_sibling_wasm(tree: number): number;
  _ts_tree_cursor_goto_parent_wasm(tree: number): number;
  getValue(ptr: number, type: 'i32'): number;
  setValue(ptr: number, value: number, type: 'i32'): void;
}

const CALLS = [
  '_ts_init',
  '_ts_tree_cursor_current_node_type_id_wasm',
  '_ts_tree_cursor_current_field_id_wasm',
  '_ts_tree_cursor_current_node_is_named_wasm',
  '_ts_tree_cursor_current_node_is_missing_wasm',
  '_ts_tree_cursor_start_index_wasm',
  '_ts_tree_cursor_end_index_wasm',
  '_ts_tree_cursor_current_node_wasm',
  '_ts_node_has_error_wasm',
  '_ts_tree_cursor_goto_first_child_wasm',
  '_ts_tree_cursor_goto_next_sibling_wasm',
  '_ts_tree_cursor_goto_parent_wasm',
  'getValue',
  'setValue',
] as const;

/** The four words of a cursor: in the JS object (`cursor[0..3]`) and in the transfer buffer. */
const WORDS = 4;
type Words = Record<number, number>;

/** The direct walk: the cursor stays in the transfer buffer from the first call to delete(). */
function directWalk(tree: Tree, b: Binding, buffer: number): Walk {
  const c = tree.walk(); // a real cursor, freed the usual way at the end
  const t = (tree as unknown as Words)[0]!;
  const words = c as unknown as Words;
  const store = (from: Words): void => {
    for (let i = 0; i < WORDS; i++) b.setValue(buffer + 4 * i, from[i]!, 'i32');
  };
  const load = (to: Words): void => {
    for (let i = 0; i < WORDS; i++) to[i] = b.getValue(buffer + 4 * i, 'i32');
  };
  store(words);
  const saved: Words = {};
  return {
    nodeTypeId: () => b._ts_tree_cursor_current_node_type_id_wasm(t),
    currentFieldId: () => b._ts_tree_cursor_current_field_id_wasm(t),
    nodeIsNamed: () => b._ts_tree_cursor_current_node_is_named_wasm(t) === 1,
    nodeIsMissing: () => b._ts_tree_cursor_current_node_is_missing_wasm(t) === 1,
    startIndex: () => b._ts_tree_cursor_start_index_wasm(t),
    endIndex: () => b._ts_tree_cursor_end_index_wasm(t),
    hasError: () => {
      // The node is handed over in the same buffer: the cursor is put back after.
      load(saved);
      b._ts_tree_cursor_current_node_wasm(t);
      const e = b._ts_node_has_error_wasm(t) === 1;
      store(saved);
      return e;
    },
    gotoFirstChild: () => b._ts_tree_cursor_goto_first_child_wasm(t) === 1,
    gotoNextSibling: () => b._ts_tree_cursor_goto_next_sibling_wasm(t) === 1,
    gotoParent: () => b._ts_tree_cursor_goto_parent_wasm(t) === 1,
    delete: () => {
      load(words); // a move may have reallocated the cursor's stack: free what it holds now
      c.delete();
    },
  };
}

/** Everything a walk says about a tree, in order: for comparing two ways of walking it. */
function trace(_tree: Tree, w: Walk): string {
  const out: (number | boolean)[] = [];
  let depth = 0;
  for (;;) {
    out.push(w.nodeTypeId(), w.currentFieldId(), w.nodeIsNamed(), w.nodeIsMissing(), w.startIndex(), w.endIndex(), depth <= 1 && w.hasError());
    if (w.gotoFirstChild()) {
      depth++;
      continue;
    }
    let moved = w.gotoNextSibling();
    while (!moved && depth > 0) {
      w.gotoParent();
      depth--;
      moved = w.gotoNextSibling();
    }
    out.push(moved);
    if (!moved) break;
  }
  w.delete();
  return out.join(',');
}

/** Text for the self-test: fields, nesting, an error and a missing token. */
const TEST_TEXT =
  'static int f(struct s *p, int n) {\n\tif (p->x && !n) return -1;\n\tx = ;\n\tfor (;;) { g(p[0], "s"); }\n\treturn f(p, n - 1\n}\nint y = 2;\n';

/**
 * How trees are walked: directly when `binding` (the module web-tree-sitter was initialised with) is
 * the one this file knows and agrees with the public cursor on a test tree, else through the public
 * cursor. Asked once, when the parser is made.
 */
export function walker(parser: Parser, binding: Record<string, unknown>): (tree: Tree) => Walk {
  let choice: (tree: Tree) => Walk = publicWalk;
  try {
    if (!/^0\.25\./.test(webTreeSitterVersion()) || !CALLS.every((k) => typeof binding[k] === 'function')) return choice;
    const b = binding as unknown as Binding;
    const buffer = b._ts_init();
    const tree = parser.parse(TEST_TEXT);
    if (!tree) return choice;
    try {
      if (trace(tree, directWalk(tree, b, buffer)) === trace(tree, publicWalk(tree))) choice = (t) => directWalk(t, b, buffer);
    } finally {
      tree.delete();
    }
  } catch {
    choice = publicWalk;
  }
  return choice;
}

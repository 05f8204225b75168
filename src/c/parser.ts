// The one tree-sitter parser: web-tree-sitter with tree-sitter-c's bundled .wasm, loaded once per process.
// Callers must `tree.delete()` when done (trees live in wasm memory, not the JS heap).

import v8 from 'node:v8';
import { Parser, Language, type Tree } from 'web-tree-sitter';
import { walker, type Walk } from './cursor.js';
import { wasmPath } from '../paths.js';
import { BUDGETS } from '../budgets.js';

export type { Tree, TreeCursor, Node as SyntaxNode } from 'web-tree-sitter';

let ready: Promise<Parser> | null = null;
/** The module options given to web-tree-sitter: Emscripten makes this object the module itself. */
const binding: Record<string, unknown> = {
  // Its own wasm, found where kreview keeps it (node_modules, or beside the Action's bundle).
  locateFile: (file: string, dir: string) => (file === 'tree-sitter.wasm' ? wasmPath('tree-sitter.wasm') : dir + file),
};
let walkTree: ((tree: Tree) => Walk) | null = null;

async function init(): Promise<Parser> {
  await Parser.init(binding);
  const C = await Language.load(wasmPath('tree-sitter-c.wasm'));
  const parser = new Parser();
  parser.setLanguage(C);
  walkTree = walker(parser, binding);
  return parser;
}

/** A walk over a tree from parseC() (see cursor.ts). */
export function walkTreeOf(tree: Tree): Walk {
  if (!walkTree) throw new Error('walkTreeOf: no tree has been parsed yet');
  return walkTree(tree);
}

/**
 * For a run with little to parse (one file, one series): have V8 compile tree-sitter's wasm once,
 * without the background optimisation that a long run pays back but that a short one waits about
 * 0.1 s for at exit. Only before the parser is first made; the choice holds for the process.
 */
export function preferQuickStart(): void {
  if (!ready) v8.setFlagsFromString('--liftoff-only');
}

/** The shared C parser (initialised on first use). */
export function cParser(): Promise<Parser> {
  ready ??= init();
  return ready;
}

/** Parse C text. The caller owns the tree and must delete() it. */
export async function parseC(text: string, budgetMs: number = BUDGETS.parseMs): Promise<Tree> {
  const parser = await cParser();
  const deadline = performance.now() + budgetMs;
  // Returning true from the progress callback cancels the parse: then there is no tree.
  const tree = parser.parse(text, null, { progressCallback: () => performance.now() > deadline });
  if (!tree) {
    // A cancelled parse would be resumed by the next call, whatever its text: start afresh.
    parser.reset();
    if (performance.now() > deadline) throw new Error(`parsing took longer than its budget (${budgetMs / 1000} s)`);
    throw new Error('tree-sitter returned no tree');
  }
  return tree;
}

// The one tree-sitter parser: web-tree-sitter with tree-sitter-c's bundled .wasm, loaded once per process.
// Callers must `tree.delete()` when done (trees live in wasm memory, not the JS heap).

import { createRequire } from 'node:module';
import { Parser, Language, type Tree } from 'web-tree-sitter';

export type { Tree, TreeCursor, Node as SyntaxNode } from 'web-tree-sitter';

const require = createRequire(import.meta.url);
let ready: Promise<Parser> | null = null;

async function init(): Promise<Parser> {
  await Parser.init();
  const wasm = require.resolve('tree-sitter-c/tree-sitter-c.wasm');
  const C = await Language.load(wasm);
  const parser = new Parser();
  parser.setLanguage(C);
  return parser;
}

/** The shared C parser (initialised on first use). */
export function cParser(): Promise<Parser> {
  ready ??= init();
  return ready;
}

/** Parse C text. The caller owns the tree and must delete() it. */
export async function parseC(text: string): Promise<Tree> {
  const parser = await cParser();
  const tree = parser.parse(text);
  if (!tree) throw new Error('tree-sitter returned no tree');
  return tree;
}

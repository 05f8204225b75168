// Where kreview's own files are, from src/ or dist/ (tsc) and from the GitHub Action's single
// bundle alike: the package root (package.json, rules/, schemas/) and the tree-sitter wasm files.

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

function findRoot(start: string): string {
  for (let d = start; ; d = dirname(d)) {
    const p = join(d, 'package.json');
    if (existsSync(p) && (JSON.parse(readFileSync(p, 'utf8')) as { name?: string }).name === 'kreview') return d;
    if (dirname(d) === d) throw new Error(`kreview: no kreview package.json above ${start}`);
  }
}

/** The directory holding kreview's package.json, rules/ and schemas/. */
export const PACKAGE_ROOT = findRoot(here);

/** Set by the Action bundle's banner: what it was built with, so nothing is looked up in node_modules. */
interface BundleInfo {
  webTreeSitter: string;
}
export const BUNDLE: BundleInfo | undefined = (globalThis as { __kreviewBundle?: BundleInfo }).__kreviewBundle;

const WASM = {
  'tree-sitter.wasm': 'web-tree-sitter/tree-sitter.wasm',
  'tree-sitter-c.wasm': 'tree-sitter-c/tree-sitter-c.wasm',
} as const;

/** A wasm file: beside the bundle when kreview runs as one, else from node_modules. */
export function wasmPath(name: keyof typeof WASM): string {
  if (BUNDLE) return join(here, name);
  return createRequire(import.meta.url).resolve(WASM[name]);
}

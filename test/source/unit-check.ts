// Test helpers: real diffs from before/after files (git diff --no-index, kernel's diff=cpp
// section headers) and a structural check of a unit with tree-sitter.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseC, type SyntaxNode } from '../../src/c/parser.js';
import type { CUnit, FunctionMeta } from '../../src/source/types.js';

/** `git diff` of two versions of `path` with `context` lines, as the kernel tree would show it. */
export function gitDiff(before: string, after: string, path: string, context = 3): string {
  const dir = mkdtempSync(join(tmpdir(), 'kreview-diff-'));
  try {
    writeFileSync(join(dir, 'attributes'), '*.c diff=cpp\n*.h diff=cpp\n');
    writeFileSync(join(dir, 'a.c'), before);
    writeFileSync(join(dir, 'b.c'), after);
    let out = '';
    try {
      execFileSync('git', ['-c', `core.attributesFile=${join(dir, 'attributes')}`, 'diff', '--no-index', `-U${context}`, 'a.c', 'b.c'], {
        cwd: dir,
        encoding: 'utf8',
      });
    } catch (e) {
      out = (e as { stdout: string }).stdout; // exit status 1: the files differ
    }
    return out
      .replace(/^diff --git a\/a\.c b\/b\.c/m, `diff --git a/${path} b/${path}`)
      .replace(/^--- a\/a\.c/m, `--- a/${path}`)
      .replace(/^\+\+\+ b\/b\.c/m, `+++ b/${path}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Iterator macros (`list_for_each_entry(...) {`) are statements only to the C front end, which
 * rewrites them before parsing; do the same here (rows unchanged) so the check sees real syntax.
 */
function normaliseForParse(text: string): string {
  return text
    .split('\n')
    .map((l) => l.replace(/^(\s*)(\w*for_each\w*\s*\(.*\))\s*\{\s*$/, '$1while ($2) {'))
    .join('\n');
}

/** ERROR and MISSING nodes inside function bodies, except type arguments of macros in calls. */
export async function structureErrors(unit: CUnit): Promise<string[]> {
  const tree = await parseC(normaliseForParse(unit.text));
  const out: string[] = [];
  const inFunction = (row: number): FunctionMeta | undefined => unit.functions.find((f) => row >= f.startRow && row <= f.endRow);
  const visit = (n: SyntaxNode, inArgs: boolean): void => {
    const args = inArgs || n.type === 'argument_list';
    if ((n.type === 'ERROR' && !args) || n.isMissing) {
      const fn = inFunction(n.startPosition.row);
      if (fn) out.push(`${fn.name}: ${n.isMissing ? `missing ${n.type}` : 'ERROR'} at row ${n.startPosition.row}: ${JSON.stringify(n.text.slice(0, 60))}`);
    }
    for (const c of n.children) if (c) visit(c, args);
  };
  visit(tree.rootNode, false);
  // every function the unit declares must be a definition tree-sitter sees at its rows
  const defs = tree.rootNode.descendantsOfType('function_definition').filter((d): d is SyntaxNode => d !== null);
  for (const f of unit.functions) {
    if (!defs.some((d) => d.startPosition.row >= f.startRow && d.startPosition.row <= f.startRow + 2 && d.endPosition.row === f.endRow)) {
      out.push(`${f.name}: no function_definition spanning rows ${f.startRow}-${f.endRow}`);
    }
  }
  tree.delete();
  return out;
}

/** The unit's rows of one function. */
export function rowsOf(unit: CUnit, name: string): { text: string; line: number | null }[] {
  const f = unit.functions.find((x) => x.name === name);
  if (!f) throw new Error(`no function ${name} in unit (${unit.functions.map((x) => x.name).join(', ')})`);
  const rows = unit.text.split('\n');
  const out: { text: string; line: number | null }[] = [];
  for (let r = f.startRow; r <= f.endRow; r++) out.push({ text: rows[r]!, line: unit.lineMap[r] ?? null });
  return out;
}

export function fn(unit: CUnit | null, name: string): FunctionMeta {
  const f = unit?.functions.find((x) => x.name === name);
  if (!f) throw new Error(`no function ${name} in unit (${unit?.functions.map((x) => x.name).join(', ') ?? 'null unit'})`);
  return f;
}

// Whole-text units (tree mode, created files, `kreview check`): the file, preprocessed row for
// row, with a FunctionMeta for every function definition. Definitions are found by their kernel
// shape (signature at file scope, body by brace matching), which copes with the macros tree-sitter
// cannot see through (`static int __init f(void)`, `SYSCALL_DEFINE3(...)`); tree-sitter adds any
// definition of another shape.

import type { Node as SyntaxNode } from 'web-tree-sitter';
import { parseC } from '../c/parser.js';
import type { CUnit, FunctionMeta, ImageOrigin, Side } from './types.js';
import { lexLines, tokenize } from './lex.js';
import { preprocess } from './preprocess.js';
import { matchSignature } from './signature.js';

export interface Definition {
  name: string;
  startRow: number;
  endRow: number;
}

function bodyEnd(codes: readonly string[], line: number, col: number): number {
  let depth = 0;
  for (let l = line; l < codes.length; l++) {
    for (const t of tokenize(l === line ? ' '.repeat(col) + codes[l]!.slice(col) : codes[l]!, l)) {
      if (t.t === '{') depth++;
      else if (t.t === '}' && --depth === 0) return l;
    }
  }
  return codes.length - 1;
}

function declaratorName(node: SyntaxNode): string | null {
  let d: SyntaxNode | null = node.childForFieldName('declarator');
  for (let guard = 0; d && guard < 16; guard++) {
    if (d.type === 'identifier' || d.type === 'field_identifier') return d.text;
    if (d.type === 'function_declarator' || d.type === 'pointer_declarator' || d.type === 'parenthesized_declarator' || d.type === 'attributed_declarator') {
      d = d.childForFieldName('declarator') ?? d.namedChildren.find((c): c is SyntaxNode => c !== null && c.type !== 'attribute_specifier') ?? null;
      continue;
    }
    return null;
  }
  return null;
}

/** Function definitions of a (preprocessed) whole text. */
export async function findDefinitions(texts: readonly string[]): Promise<Definition[]> {
  const lx = lexLines(texts);
  const codes = lx.map((l) => l.code);
  const defs: Definition[] = [];
  let depth = 0;
  // A file-scope `{` right after `)` that no signature claimed may open a definition of another
  // shape: only then is the parser asked (it costs as much as the whole front end's parse).
  let prev = '';
  let unclaimed = false;
  for (let i = 0; i < lx.length; i++) {
    if (depth <= 0) {
      depth = 0;
      const m = matchSignature(lx, i, { requireCol0: false });
      if (m && m !== 'incomplete' && m.start >= (defs[defs.length - 1]?.endRow ?? -1) + 1) {
        const end = bodyEnd(codes, m.brace, m.braceCol);
        defs.push({ name: m.name, startRow: m.start, endRow: end });
        i = end;
        prev = '}';
        continue;
      }
    }
    for (const t of tokenize(codes[i]!, i)) {
      if (t.t === '{') {
        if (depth <= 0 && prev === ')') unclaimed = true;
        depth++;
      } else if (t.t === '}') depth--;
      prev = t.t;
    }
  }
  if (!unclaimed) return defs;
  // Definitions of other shapes, as tree-sitter sees them.
  const tree = await parseC(texts.join('\n'));
  try {
    const extra: Definition[] = [];
    const visit = (n: SyntaxNode): void => {
      if (n.type === 'function_definition') {
        const s = n.startPosition.row;
        const e = n.endPosition.row;
        const overlaps = defs.some((d) => !(e < d.startRow || s > d.endRow));
        const name = declaratorName(n);
        if (!overlaps && name) extra.push({ name, startRow: s, endRow: e });
        return;
      }
      for (const c of n.children) if (c) visit(c);
    };
    visit(tree.rootNode);
    defs.push(...extra);
  } finally {
    tree.delete();
  }
  return defs.sort((a, b) => a.startRow - b.startRow);
}

export interface WholeTextInput {
  file: string | null;
  side: Side;
  origin: ImageOrigin;
  lines: readonly string[];
  /** 0-based rows the patch changed on this side. */
  changed?: ReadonlySet<number>;
}

/** A whole file as a unit: identity line map, every definition `full`. */
export async function wholeTextUnit(input: WholeTextInput): Promise<CUnit> {
  const changed = input.changed ?? new Set<number>();
  const raw = input.lines.map((l) => l.replace(/\r$/, ''));
  const pp = preprocess([raw.map((text, i) => ({ text, changed: changed.has(i) }))]);
  const texts = pp.texts[0]!;
  const defs = await findDefinitions(texts);
  // Changed rows in order: whether a definition was touched is one binary search (a patch adding a
  // file changes every row of thousands of definitions).
  const rows = Int32Array.from(changed).sort();
  const functions: FunctionMeta[] = defs.map((d) => {
    let lo = 0;
    let hi = rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (rows[mid]! < d.startRow) lo = mid + 1;
      else hi = mid;
    }
    const touched = lo < rows.length && rows[lo]! <= d.endRow;
    return {
      name: d.name,
      startRow: d.startRow,
      endRow: d.endRow,
      completeness: 'full',
      missing: [],
      entryKnown: true,
      exitKnown: true,
      gaps: [],
      touched,
      preproc: pp.decisions
        .filter((x) => x.index > d.startRow && x.index < d.endRow)
        .map((x) => ({ line: x.index + 1, directive: x.directive, taken: x.taken })),
    };
  });
  return {
    file: input.file,
    side: input.side,
    origin: input.origin,
    text: texts.join('\n') + '\n',
    lineMap: texts.map((_, i) => i + 1),
    functions,
    defines: defineDirectives(raw),
    raw,
  };
}

/** The `#define NAME(...)` directives of a text, continuation lines joined (the C front end expands the unit's own macros). */
function defineDirectives(lines: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^[ \t]*#[ \t]*define[ \t]+[A-Za-z_]\w*\(/.test(lines[i]!)) continue;
    let d = lines[i]!;
    while (d.endsWith('\\') && i + 1 < lines.length) d = `${d.slice(0, -1)} ${lines[++i]!}`;
    out.push(d);
  }
  return out;
}

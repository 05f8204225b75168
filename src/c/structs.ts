// Struct definitions and file-scope variables a unit shows: member types (so `ctrl->port->pending`
// can be named by the struct that holds `pending`) and the locking annotations written on them for
// the compiler's context analysis (`__guarded_by(&lock)`, `__pt_guarded_by(&lock)`) and sparse
// (`__rcu`). The text pre-pass blanks those annotations for the grammar; they are read back here
// from the original text of each declaration.

import type { StructInfo, VarInfo } from './ir.js';
import { declaredNames } from './declarations.js';
import { typeText } from './lower.js';
import type { Prepared } from './prepare.js';
import { field, type SNode } from './syntax.js';
import { applyGuardComments, type FieldText } from './guard-comments.js';

const GUARDED = /\b__guarded_by\s*\(\s*([^()]*(?:\([^()]*\)[^()]*)*)\)/;
const PT_GUARDED = /\b__pt_guarded_by\s*\(\s*([^()]*(?:\([^()]*\)[^()]*)*)\)/;
/** `__rcu` qualifying the member's own pointer (`T __rcu *p`, `T __rcu *p[N]`), not a pointee's (`T __rcu * __percpu *p`). */
const RCU = /\b__rcu\s*\*\s*(?:(?:const|volatile|__[a-z_]+)\s+)*[A-Za-z_]\w*\s*(?:\[[^\]]*\]\s*)*(?:__\w+\b(?:\([^()]*\))?\s*)*(?:[;,=:]|$)/;

export interface UnitTypes {
  structs: StructInfo[];
  globals: VarInfo[];
  /** Functions placed in file-scope tables by designated initializers (`.unlock = foo_unlock`). */
  callbacks: { member: string; fn: string }[];
}

function annotationsOf(text: string): Pick<VarInfo, 'guardedBy' | 'ptGuardedBy' | 'rcu'> {
  const g = GUARDED.exec(text)?.[1]?.trim();
  const pg = PT_GUARDED.exec(text)?.[1]?.trim();
  return {
    ...(g ? { guardedBy: g } : {}),
    ...(pg ? { ptGuardedBy: pg } : {}),
    ...(RCU.test(text) ? { rcu: true } : {}),
  };
}

function original(n: SNode, prep: Prepared): string {
  return prep.original.slice(prep.toOriginal(n.start), prep.toOriginal(n.end));
}

/** Every `{ type name; ... }` member of one declaration, with its annotations. */
function declarators(decl: SNode, src: string, prep: Prepared, line: (row: number) => number | null): VarInfo[] {
  const base = typeText(decl, src, prep);
  const text = original(decl, prep);
  const ann = annotationsOf(text);
  const out: VarInfo[] = [];
  for (const d of decl.children) {
    if (d.field !== 'declarator') continue;
    const { name, suffix } = declaredNames(d, src);
    if (!name) continue;
    out.push({ name, type: `${base}${suffix}`.trim(), line: line(d.row), ...ann });
  }
  return out;
}

/** Struct definitions anywhere in the unit (top level, typedefs, nested) and file-scope variables. */
export function unitTypes(root: SNode, src: string, prep: Prepared, lineMap: (number | null)[]): UnitTypes {
  const line = (row: number): number | null => lineMap[row] ?? null;
  const structs: StructInfo[] = [];
  const globals: VarInfo[] = [];
  const callbacks: UnitTypes['callbacks'] = [];
  const stack: SNode[] = [root];
  while (stack.length) {
    const n = stack.pop()!;
    if (n.type === 'function_definition') continue; // locals are the lowering's business
    if ((n.type === 'struct_specifier' || n.type === 'union_specifier') && field(n, 'body')) {
      const nameNode = field(n, 'name');
      const body = field(n, 'body')!;
      const texts: FieldText[] = [];
      // Members of anonymous structs and unions inside are the struct's own (`x->next_rcu`).
      const members = (b: SNode): void => {
        let from = prep.toOriginal(b.start) + 1;
        for (const f of b.children) {
          if (f.type !== 'field_declaration') continue;
          const end = prep.toOriginal(f.end);
          const after = restOfLine(prep.original, end);
          const before = prep.original.slice(from, prep.toOriginal(f.start));
          from = end + after.length;
          const inner = f.children.find((c) => (c.type === 'struct_specifier' || c.type === 'union_specifier') && !field(c, 'name') && field(c, 'body'));
          if (inner && !f.children.some((c) => c.field === 'declarator')) members(field(inner, 'body')!);
          for (const v of declarators(f, src, prep, line)) texts.push({ field: v, before, after });
        }
      };
      members(body);
      const fields = texts.map((t) => t.field);
      applyGuardComments(texts, docBefore(prep.original, prep.toOriginal(n.start)));
      if (nameNode) structs.push({ name: src.slice(nameNode.start, nameNode.end), line: line(n.row), fields });
    }
    if (n.type === 'declaration' && n !== root && isTopLevel(n, root)) globals.push(...declarators(n, src, prep, line));
    if (n.type === 'initializer_pair') {
      const d = n.children.find((c) => c.type === 'field_designator');
      const member = d?.children.find((c) => c.type === 'field_identifier');
      const v = field(n, 'value');
      if (member && v?.type === 'identifier') callbacks.push({ member: src.slice(member.start, member.end), fn: src.slice(v.start, v.end) });
    }
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]!);
  }
  return { structs, globals, callbacks };
}

/** The rest of a line after `at`, through a comment that starts on it and ends on a later one. */
function restOfLine(text: string, at: number): string {
  let nl = text.indexOf('\n', at);
  if (nl < 0) nl = text.length;
  const line = text.slice(at, nl);
  const open = line.lastIndexOf('/*');
  if (open >= 0 && line.indexOf('*/', open) < 0) {
    const close = text.indexOf('*/', at + open);
    if (close >= 0) return text.slice(at, close + 2);
  }
  return line;
}

/** The kernel-doc comment (`/** ... *\/`) just before a struct (or its `typedef`), if any. */
function docBefore(text: string, at: number): string | null {
  const close = text.lastIndexOf('*/', at);
  if (close < 0 || !/^\s*(?:(?:typedef|static)\s+)*$/.test(text.slice(close + 2, at))) return null;
  const open = text.lastIndexOf('/*', close);
  return open >= 0 && text[open + 2] === '*' ? text.slice(open + 3, close) : null;
}

function isTopLevel(n: SNode, root: SNode): boolean {
  return root.children.includes(n);
}

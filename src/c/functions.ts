// Function definitions in a parsed unit: where they are, their signature, their sparse
// annotations, and the FunctionMeta the source stage gave for them.

import type { FunctionMeta } from '../source/types.js';
import type { FunctionIR } from './ir.js';
import { declaredNames } from './declarations.js';
import { annotationLock, collapse } from './objects.js';
import type { Prepared } from './prepare.js';
import { field, firstNamed, type SNode } from './syntax.js';
import { callArgs, typeText } from './lower.js';

export interface FoundFunction {
  name: string;
  node: SNode; // the whole definition (for row range and annotations)
  body: SNode;
  isStatic: boolean;
  returnType: string;
  params: { name: string; type: string }[];
  /** Parameters could not be read (macro-defined functions): unknown names may be locals. */
  paramsUnknown: boolean;
  how: 'definition' | 'macro' | 'recovered';
}

/** Every function definition, including ones inside error-recovery nodes and macro-defined ones. */
export function findFunctions(root: SNode, src: string, prep: Prepared): FoundFunction[] {
  const out: FoundFunction[] = [];
  const walk = (n: SNode): void => {
    const kids = n.children;
    for (let i = 0; i < kids.length; i++) {
      const ch = kids[i]!;
      if (ch.type === 'function_definition') {
        const f = fromDefinition(ch, src, prep);
        if (f) out.push(f);
        continue;
      }
      if (ch.type === 'compound_statement' && i > 0) {
        const m = fromMacroHeader(kids[i - 1]!, ch, src);
        if (m) {
          out.push(m);
          continue;
        }
      }
      if (ch.type === 'ERROR' || ch.type === 'translation_unit' || ch.type === 'linkage_specification' || ch.type === 'declaration_list') walk(ch);
    }
  };
  walk(root);
  return out;
}

function fromDefinition(def: SNode, src: string, prep: Prepared): FoundFunction | null {
  const body = field(def, 'body');
  let d = field(def, 'declarator');
  if (!body || !d) return null;
  let stars = '';
  for (let k = 0; d && d.type !== 'function_declarator' && k < 16; k++) {
    if (d.type === 'pointer_declarator') stars += '*';
    d =
      d.type === 'pointer_declarator' || d.type === 'attributed_declarator'
        ? (field(d, 'declarator') ?? d.children.find((c) => c.named))
        : d.children.find((c) => c.named);
  }
  if (d?.type !== 'function_declarator') return null;
  const nameNode = field(d, 'declarator');
  const name = nameNode ? declaredNames(nameNode, src).name : '';
  if (!name) return null;
  const base = typeText(def, src, prep);
  const params = paramsOf(field(d, 'parameters'), src, prep);
  return {
    name,
    node: def,
    body,
    isStatic: def.children.some((c) => c.type === 'storage_class_specifier' && src.slice(c.start, c.end) === 'static'),
    returnType: `${base}${stars ? ` ${stars}` : ''}`.trim(),
    params,
    paramsUnknown: false,
    how: 'definition',
  };
}

function paramsOf(list: SNode | undefined, src: string, prep: Prepared): { name: string; type: string; rcu?: boolean }[] {
  if (!list) return [];
  const out: { name: string; type: string; rcu?: boolean }[] = [];
  for (const p of list.children) {
    if (p.type !== 'parameter_declaration') continue;
    const d = field(p, 'declarator');
    const base = typeText(p, src, prep);
    if (!d) continue; // `void`, or an unnamed parameter
    const { name, suffix } = declaredNames(d, src);
    const rcu = /\b__rcu\b/.test(prep.original.slice(prep.toOriginal(p.start), prep.toOriginal(p.end)));
    if (name) out.push({ name, type: `${base}${suffix}`.trim(), ...(rcu ? { rcu } : {}) });
  }
  return out;
}

/** `SYSCALL_DEFINE2(name, int, a, int, b) { ... }`: a macro call followed by a body. */
function fromMacroHeader(prev: SNode, body: SNode, src: string): FoundFunction | null {
  let call: SNode | undefined = prev;
  if (prev.type === 'expression_statement') call = firstNamed(prev);
  if (call?.type !== 'call_expression') return null;
  const fn = field(call, 'function');
  if (fn?.type !== 'identifier') return null;
  const macro = src.slice(fn.start, fn.end);
  if (!/^[A-Z_][A-Z0-9_]*$/.test(macro)) return null;
  const args = callArgs(call);
  const first = args[0] && args[0].type === 'identifier' ? src.slice(args[0].start, args[0].end) : null;
  const sys = /^(COMPAT_)?SYSCALL_DEFINE(\d)$/.exec(macro);
  const params: { name: string; type: string }[] = [];
  if (sys) {
    for (let i = 1; i + 1 < args.length; i += 2) {
      params.push({ type: collapse(src.slice(args[i]!.start, args[i]!.end)), name: collapse(src.slice(args[i + 1]!.start, args[i + 1]!.end)) });
    }
  }
  const name = sys && first ? `${sys[1] ? 'compat_' : ''}sys_${first}` : (first ?? macro);
  return {
    name,
    node: { ...body, start: prev.start, row: prev.row },
    body,
    isStatic: false,
    returnType: sys ? 'long' : '',
    params,
    paramsUnknown: !sys,
    how: 'macro',
  };
}

export type Annotations = FunctionIR['annotations'];

export function emptyAnnotations(): Annotations {
  return { acquires: [], releases: [], mustHold: [], context: [], condAcquires: [], mustNotHold: [] };
}

function addAnnotation(a: Annotations, kind: string, args: string[]): void {
  const add = (list: string[], v: string): void => {
    if (v && !list.includes(v)) list.push(v);
  };
  if (kind === 'context') {
    // `context(x, in, out)`; `context(in, out)` names no lock (sparse's one anonymous context).
    if (args.length < 3) return;
    const [lock, entry, exit] = args;
    if (!lock) return;
    const obj = annotationLock(lock);
    const n = (s: string | undefined): number => {
      const v = Number.parseInt((s ?? '0').trim(), 10);
      return Number.isFinite(v) ? v : 0;
    };
    const [i, o] = [n(entry), n(exit)];
    if (!a.context.some((c) => c.lock === obj)) a.context.push({ lock: obj, entry: i, exit: o });
    // What sparse's own macros spell it as: __acquires(x) is context(x,0,1), __releases(x)
    // context(x,1,0), __must_hold(x) context(x,1,1).
    add(i > 0 ? (o > 0 ? a.mustHold : a.releases) : o > 0 ? a.acquires : [], obj);
    return;
  }
  if (kind === 'condAcquires') {
    // `__cond_acquires(x)`, or the compiler's `__cond_acquires(ret, x)`: held when it returns ret.
    const [first, second] = args;
    const lock = annotationLock((second ?? first ?? '').trim());
    const ret = second === undefined ? 'true' : (first ?? '').trim();
    const when = ret === '0' || ret === 'false' ? 'zero' : 'nonzero';
    if (lock && !a.condAcquires.some((c) => c.lock === lock)) a.condAcquires.push({ lock, when });
    return;
  }
  const list = kind === 'acquires' ? a.acquires : kind === 'releases' ? a.releases : kind === 'mustNotHold' ? a.mustNotHold : a.mustHold;
  for (const arg of args) add(list, annotationLock(arg));
}

/** An annotated prototype: a function declared with sparse annotations (`__acquires(x)` ...). */
export interface AnnotatedPrototype {
  name: string;
  params: { name: string; type: string }[];
  annotations: Annotations;
  row: number;
}

/** Prototypes (top-level declarations with a function declarator) that carry sparse annotations. */
export function annotatedPrototypes(root: SNode, src: string, prep: Prepared): Map<string, AnnotatedPrototype> {
  const byName = new Map<string, AnnotatedPrototype>();
  if (!prep.annotations.length) return byName;
  const protos: { name: string; start: number; end: number; decl: SNode }[] = [];
  const walk = (n: SNode): void => {
    for (const ch of n.children) {
      if (ch.type === 'declaration') {
        for (const d of ch.children) {
          if (d.field !== 'declarator') continue;
          let x: SNode | undefined = d;
          while (x && x.type === 'pointer_declarator') x = field(x, 'declarator');
          if (x?.type === 'function_declarator') {
            const nm = field(x, 'declarator');
            const name = nm ? declaredNames(nm, src).name : '';
            if (name) protos.push({ name, start: ch.start, end: ch.end + 1, decl: x });
          }
        }
      } else if (ch.type === 'ERROR' || ch.type === 'translation_unit') walk(ch);
    }
  };
  walk(root);
  for (const a of prep.annotations) {
    const p = protos.find((x) => a.at >= x.start && a.at < x.end);
    if (!p) continue;
    const cur = byName.get(p.name) ?? { name: p.name, params: paramsIn(p.decl, src, prep), annotations: emptyAnnotations(), row: p.decl.row };
    addAnnotation(cur.annotations, a.kind, a.args);
    byName.set(p.name, cur);
  }
  return byName;
}

/** Annotations per function: on its definition's header, and on prototypes of the same name. */
export function annotationsFor(root: SNode, src: string, prep: Prepared, fns: FoundFunction[]): Map<FoundFunction, Annotations> {
  const out = new Map<FoundFunction, Annotations>();
  if (!prep.annotations.length) {
    for (const f of fns) out.set(f, emptyAnnotations());
    return out;
  }
  const byName = new Map([...annotatedPrototypes(root, src, prep)].map(([k, v]) => [k, v.annotations]));
  for (const f of fns) {
    const ann = emptyAnnotations();
    for (const a of prep.annotations) if (a.at >= f.node.start && a.at < f.body.start) addAnnotation(ann, a.kind, a.args);
    const proto = byName.get(f.name);
    if (proto) {
      for (const x of proto.acquires) addAnnotation(ann, 'acquires', [x]);
      for (const x of proto.releases) addAnnotation(ann, 'releases', [x]);
      for (const x of proto.mustHold) addAnnotation(ann, 'mustHold', [x]);
      for (const x of proto.mustNotHold) addAnnotation(ann, 'mustNotHold', [x]);
      for (const c of proto.condAcquires) if (!ann.condAcquires.some((y) => y.lock === c.lock)) ann.condAcquires.push(c);
      for (const c of proto.context) if (!ann.context.some((y) => y.lock === c.lock)) ann.context.push(c);
    }
    out.set(f, ann);
  }
  return out;
}

/** The meta the source stage gave for a definition (by row overlap, same name first), or a full one. */
/** A unit's metas by name, built once per unit (a file of thousands of functions asks for each). */
const metasByName = new WeakMap<FunctionMeta[], Map<string, FunctionMeta[]>>();

export function metaFor(f: FoundFunction, metas: FunctionMeta[], used: Set<FunctionMeta>): FunctionMeta {
  const overlaps = (m: FunctionMeta): boolean => m.startRow <= f.node.endRow && m.endRow >= f.node.row;
  let byName = metasByName.get(metas);
  if (!byName) {
    byName = new Map();
    for (const m of metas) {
      const l = byName.get(m.name);
      if (l) l.push(m);
      else byName.set(m.name, [m]);
    }
    metasByName.set(metas, byName);
  }
  const m = byName.get(f.name)?.find((x) => !used.has(x) && overlaps(x)) ?? metas.find((x) => !used.has(x) && overlaps(x));
  if (m) {
    used.add(m);
    return m;
  }
  return {
    name: f.name,
    startRow: f.node.row,
    endRow: f.node.endRow,
    completeness: 'full',
    missing: [],
    entryKnown: true,
    exitKnown: true,
    gaps: [],
    touched: false,
    preproc: [],
  };
}

/** The parameters of the first function declarator inside a (damaged) header. */
export function paramsIn(n: SNode, src: string, prep: Prepared): { name: string; type: string }[] {
  const stack = [n];
  const loose: SNode[] = [];
  while (stack.length) {
    const x = stack.shift()!;
    if (x.type === 'function_declarator') return paramsOf(field(x, 'parameters'), src, prep);
    if (x.type === 'compound_statement') continue;
    if (x.type === 'parameter_declaration') loose.push(x);
    else stack.push(...x.children);
  }
  // Error recovery left the parameter declarations without their declarator.
  return paramsOf({ ...n, children: loose.sort((a, b) => a.start - b.start) }, src, prep);
}

// Access paths: how the IR names an object (a lock, a count, a flag word, a field), and the one
// place that reads and writes that name. A path is a root (a variable, a call's value, or a
// parenthesised path) and steps (`->f`, `.f`, `[i]`), with a leading `&` or `*`s.
//
// The front end prints each path once in canonical form (src/c/objects.ts) and ops carry that
// text; it is also the key under which the analyses keep state, so parsing it back is interned
// here and never done with ad-hoc regular expressions elsewhere.
//
// Array indices: a constant (`[0]`, `[READ]`, `[QUEUE_IDX]`) names one element and is printed;
// anything else (a variable, an expression) may be any element and prints as `[]`. So
// `&q->lock[READ]` and `&q->lock[WRITE]` are two locks, while `&q->lock[i]` and `&q->lock[j]`
// share the key `&q->lock[]`: a may-alias class, whose double locks and double puts are never
// said with confidence (see relation()).

export type PathRoot =
  | { k: 'var'; name: string }
  | { k: 'call'; text: string } // a call's value: `ploop_top_delta(ploop)`
  | { k: 'paren'; inner: AccessPath };

export type PathStep =
  | { op: '->' | '.'; field: string }
  /** `index` is the constant index text, null when it is not a constant (the `[]` class). */
  | { op: '[]'; field: '[]'; index: string | null };

export interface AccessPath {
  addr: boolean; // leading &
  derefs: number; // leading * count
  root: PathRoot;
  steps: PathStep[];
}

const CONSTANT_INDEX = /^(?:\d+[uUlL]*|0[xX][0-9a-fA-F]+[uUlL]*|'\\?.'|[A-Z][A-Z0-9_]*)$/;

/**
 * Whether an index expression (normalised text) names one element: a number, a character, or an
 * upper-case identifier (an enum or macro constant, `READ`, `CTX_RX`).
 */
export function isConstantIndex(text: string): boolean {
  return CONSTANT_INDEX.test(text);
}

/** The canonical subscript for an index expression's text. */
export function subscript(indexText: string): string {
  return isConstantIndex(indexText) ? `[${indexText}]` : '[]';
}

const cache = new Map<string, AccessPath | null>();

/** Parse a canonical path; null when the text is not one (arithmetic, a literal). Interned. */
export function parsePath(text: string): AccessPath | null {
  const hit = cache.get(text);
  if (hit !== undefined) return hit;
  const p = parse(text.trim());
  if (cache.size > 100000) cache.clear();
  cache.set(text, p);
  return p;
}

function matching(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

const WORD = /^[A-Za-z_]\w*/;

function parse(s0: string): AccessPath | null {
  let s = s0;
  let addr = false;
  let derefs = 0;
  while (s.startsWith('&') || s.startsWith('*')) {
    if (s[0] === '&') addr = true;
    else derefs++;
    s = s.slice(1);
  }
  let root: PathRoot;
  let i: number;
  if (s.startsWith('(')) {
    const end = matching(s, 0);
    if (end < 0) return null;
    const inner = parse(s.slice(1, end));
    if (!inner) return null;
    root = { k: 'paren', inner };
    i = end + 1;
  } else {
    const m = WORD.exec(s);
    if (!m) return null;
    i = m[0].length;
    if (s[i] === '(') {
      const end = matching(s, i);
      if (end < 0) return null;
      root = { k: 'call', text: s.slice(0, end + 1) };
      i = end + 1;
    } else {
      root = { k: 'var', name: m[0] };
    }
  }
  const steps: PathStep[] = [];
  while (i < s.length) {
    if (s.startsWith('->', i) || s[i] === '.') {
      const op = s[i] === '.' ? '.' : '->';
      const m = WORD.exec(s.slice(i + op.length));
      if (!m) return null;
      steps.push({ op, field: m[0] });
      i += op.length + m[0].length;
    } else if (s[i] === '[') {
      const end = matching(s, i);
      if (end < 0) return null;
      const inside = s.slice(i + 1, end).trim();
      steps.push({ op: '[]', field: '[]', index: isConstantIndex(inside) ? inside : null });
      i = end + 1;
    } else {
      return null;
    }
  }
  return { addr, derefs, root, steps };
}

/** The canonical text of a path. */
export function printPath(p: AccessPath): string {
  const root = p.root.k === 'var' ? p.root.name : p.root.k === 'call' ? p.root.text : `(${printPath(p.root.inner)})`;
  return `${p.addr ? '&' : ''}${'*'.repeat(p.derefs)}${root}${p.steps.map(printStep).join('')}`;
}

export function printStep(s: PathStep): string {
  return s.op === '[]' ? `[${s.index ?? ''}]` : `${s.op}${s.field}`;
}

/** The variable a path starts from, when it starts from one. */
export function rootVar(p: AccessPath): string | null {
  if (p.root.k === 'var') return p.root.name;
  if (p.root.k === 'paren') return rootVar(p.root.inner);
  return null;
}

/** The variable a canonical path starts from (`ploop` for `&ploop->bat_lock`, `(*md)->x` too). */
export function rootOf(text: string): string | null {
  const p = parsePath(text);
  return p ? rootVar(p) : null;
}

/** Does the path go through a non-constant index (`lock[]`)? Then it names one of several objects. */
export function hasVariableIndex(text: string): boolean {
  const p = parsePath(text);
  if (!p) return text.includes('[]');
  const walk = (q: AccessPath): boolean => q.steps.some((s) => s.op === '[]' && s.index === null) || (q.root.k === 'paren' && walk(q.root.inner));
  return walk(p);
}

/**
 * Whether two canonical paths name the same object: 'same' when they provably do, 'may' when they
 * could (they differ only where one has a non-constant index, or are one `[]` class), 'distinct'
 * when they provably do not (two constant indices, two fields) or are simply different names.
 */
export function relation(a: string, b: string): 'same' | 'may' | 'distinct' {
  if (a !== b) {
    const pa = parsePath(a);
    const pb = parsePath(b);
    if (!pa || !pb || pa.addr !== pb.addr || pa.derefs !== pb.derefs || pa.steps.length !== pb.steps.length) return 'distinct';
    if (printPath({ ...pa, steps: [] }) !== printPath({ ...pb, steps: [] })) return 'distinct';
    let may = false;
    for (let i = 0; i < pa.steps.length; i++) {
      const x = pa.steps[i]!;
      const y = pb.steps[i]!;
      if (x.op !== y.op) return 'distinct';
      if (x.op !== '[]' || y.op !== '[]') {
        if (x.field !== y.field) return 'distinct';
        continue;
      }
      if (x.index !== null && y.index !== null) {
        if (x.index !== y.index) return 'distinct';
      } else may = true;
    }
    return may ? 'may' : 'same';
  }
  return hasVariableIndex(a) ? 'may' : 'same';
}

/** Is the path more than a plain variable (a field, an element, a dereference)? */
export function isFieldPath(text: string): boolean {
  const p = parsePath(text);
  return !!p && (p.steps.length > 0 || p.derefs > 0 || (p.root.k === 'paren' && isFieldPath(printPath(p.root.inner))));
}

// Normalised objects: the ONE place that decides how a C expression is written as an object, so
// that two mentions of the same thing compare equal across statements and functions.
//   casts, parentheses and whitespace go        (struct foo *)(p)->x   -> p->x
//   (*p).f is p->f, &*p is p, *&x is x
//   variable subscripts become [], constant ones stay   to[clu] -> to[], q->lock[READ] stays
//   (src/c/path.ts reads these paths back and says when two of them are the same object)
//   calls keep their normalised arguments        container_of(w, struct x, work)->lock
//   lock objects keep a leading &, flag words, list heads, atomics and references drop it.

import type { SNode } from './syntax.js';
import { field, firstNamed, named } from './syntax.js';
import { parsePath, subscript } from './path.js';

export function collapse(s: string): string {
  return isCollapsed(s) ? s : s.replace(/\s+/g, ' ').trim();
}

/** Most texts have only single inner spaces: seen without building a new string (else the regex decides). */
function isCollapsed(s: string): boolean {
  let space = true; // at the start a space would be trimmed
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 32) {
      if (space) return false;
      space = true;
    } else if (c < 32 || c >= 128) return false;
    else space = false;
  }
  return !space || s.length === 0;
}

/** `s` without whitespace. */
function squeeze(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 32 || c >= 128) return s.replace(/\s+/g, '');
  }
  return s;
}

/** Normalised text of an expression node (keeps a leading & when written). */
export function normalize(n: SNode | undefined, src: string): string {
  if (!n) return '';
  switch (n.type) {
    case 'parenthesized_expression': {
      const inner = firstNamed(n);
      if (!inner) return '';
      // A statement expression has no path: give its text.
      if (inner.type === 'compound_statement') return collapse(src.slice(n.start, n.end));
      return normalize(inner, src);
    }
    case 'cast_expression':
      return normalize(field(n, 'value'), src);
    case 'identifier':
    case 'field_identifier':
    case 'number_literal':
    case 'null':
    case 'true':
    case 'false':
      return src.slice(n.start, n.end);
    case 'field_expression': {
      const arg = field(n, 'argument');
      const f = field(n, 'field');
      const op = n.children.find((c) => c.field === 'operator')?.type ?? '->';
      const name = f ? src.slice(f.start, f.end) : '?';
      // (*p).f -> p->f
      const argInner = arg ? strip(arg) : undefined;
      if (op === '.' && argInner?.type === 'pointer_expression' && pointerOp(argInner) === '*') {
        return `${wrap(normalize(field(argInner, 'argument'), src))}->${name}`;
      }
      return `${wrap(normalize(arg, src))}${op}${name}`;
    }
    case 'subscript_expression':
      return `${wrap(normalize(field(n, 'argument'), src))}${subscript(normalize(field(n, 'index'), src))}`;
    case 'pointer_expression': {
      const op = pointerOp(n);
      const arg = field(n, 'argument');
      const inner = arg ? strip(arg) : undefined;
      if (op === '&' && inner?.type === 'pointer_expression' && pointerOp(inner) === '*') return normalize(field(inner, 'argument'), src);
      if (op === '*' && inner?.type === 'pointer_expression' && pointerOp(inner) === '&') return normalize(field(inner, 'argument'), src);
      return `${op}${wrap(normalize(arg, src))}`;
    }
    case 'call_expression': {
      const fn = field(n, 'function');
      const args = field(n, 'arguments');
      const list = args ? named(args).map((a) => normalize(a, src)) : [];
      return `${normalize(fn, src)}(${list.join(', ')})`;
    }
    case 'string_literal':
    case 'concatenated_string':
      return src.slice(n.start, n.end).replace(/\s+/g, ' ');
    default:
      return squeeze(src.slice(n.start, n.end));
  }
}

function pointerOp(n: SNode): string {
  return n.children.find((c) => c.field === 'operator')?.type ?? n.children[0]?.type ?? '';
}

/** Parentheses and casts around an expression removed. */
export function strip(n: SNode): SNode {
  let cur = n;
  for (;;) {
    if (cur.type === 'parenthesized_expression') {
      const inner = firstNamed(cur);
      if (!inner || inner.type === 'compound_statement') return cur;
      cur = inner;
    } else if (cur.type === 'cast_expression') {
      const v = field(cur, 'value');
      if (!v) return cur;
      cur = v;
    } else return cur;
  }
}

/** Parenthesise a compound base (`a + b`) so that `(a + b)->x` stays unambiguous. */
function wrap(s: string): string {
  const first = s.charCodeAt(0);
  if (first === 38 /* & */ || first === 42 /* * */) return `(${s})`;
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 40 /* ( */ || c === 91 /* [ */) depth++;
    else if (c === 41 /* ) */ || c === 93 /* ] */) depth--;
    else if (depth === 0 && !isPathChar(c)) return `(${s})`;
  }
  return s;
}

/** A character of a plain access path at the top level: a word character, `>`, `.` or `-` (of `->`). */
function isPathChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 62 || c === 46 || c === 45;
}

/** A lock object as users read it: `&ploop->bat_lock`, `lock` (a pointer), `&global_lock`. */
export function lockObject(n: SNode | undefined, src: string): string {
  return elementOf(n, src) ?? normalize(n, src);
}

/** Flag words, list heads and nodes, atomics, references: the object without a leading `&`. */
export function dataObject(n: SNode | undefined, src: string): string {
  return dropAddr(elementOf(n, src) ?? normalize(n, src));
}

/**
 * An object given as pointer arithmetic, `conf->hash_locks + i`: the element `&conf->hash_locks[i]`,
 * so that it is one object of an array (a may-alias class for a variable index) like any other.
 */
function elementOf(n: SNode | undefined, src: string): string | null {
  const e = n ? strip(n) : undefined;
  if (e?.type !== 'binary_expression') return null;
  if (e.children.find((c) => c.field === 'operator')?.type !== '+') return null;
  const left = field(e, 'left');
  const right = field(e, 'right');
  const base = left ? normalize(left, src) : '';
  if (!right || !parsePath(base)) return null;
  return `&${wrap(base)}${subscript(normalize(right, src))}`;
}

export function dropAddr(s: string): string {
  if (!s.startsWith('&')) return s;
  const rest = s.slice(1);
  return rest.startsWith('(') && rest.endsWith(')') && balanced(rest.slice(1, -1)) ? rest.slice(1, -1) : rest;
}

function balanced(s: string): boolean {
  let d = 0;
  for (const ch of s) {
    if (ch === '(') d++;
    else if (ch === ')' && --d < 0) return false;
  }
  return d === 0;
}

/**
 * Normalise object text that did not come from the tree (annotation arguments): whitespace and
 * outer parentheses go, `(*p).f` is `p->f`, variable subscripts are `[]`, casts to struct pointers go.
 */
export function normalizeText(s: string): string {
  let t = s.replace(/\s+/g, '');
  t = t.replace(/\((?:const)?(?:struct|union)?[A-Za-z_]\w*\*+\)/g, '');
  for (let k = 0; k < 4 && /^\(.*\)$/.test(t) && balanced(t.slice(1, -1)); k++) t = t.slice(1, -1);
  t = t.replace(/\(\*([A-Za-z_]\w*)\)\./g, '$1->');
  // Subscripts, innermost first: a constant index stays, any other becomes [].
  for (let k = 0; k < 8; k++) {
    const next = t.replace(/\[([^[\]]+)\]/g, (_, i: string) => subscript(i));
    if (next === t) break;
    t = next;
  }
  return t;
}

/**
 * A lock named in a sparse annotation as a lock object: a field path names the lock itself, so
 * it gets the `&` that acquire ops carry (`__must_hold(ploop->lock)` is `&ploop->lock`); a bare
 * name stays (a pointer parameter or a global context such as RCU, which is `rcu`).
 */
export function annotationLock(s: string): string {
  const t = normalizeText(s);
  if (/^rcu$/i.test(t)) return 'rcu';
  if (!t.startsWith('&') && /(->|\.)/.test(t) && !t.startsWith('*')) return `&${t}`;
  return t;
}

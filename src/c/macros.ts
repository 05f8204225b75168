// Function-like macros defined in the unit itself (`#define FOO_UNLOCK(p) do { ...; mutex_unlock(&(p)->lock); } while (0)`)
// are expanded where they are used, so the locks, flags, references and jumps inside them reach
// the IR. Only macros that matter are expanded: statement macros (do/while, braces) and ones
// whose body jumps or uses a primitive from rules/; anything using `#`/`##`, variadic or
// self-referencing is left alone. An expansion stays on the rows of its invocation, so every
// line number is unchanged.

import type { Semantics } from '../semantics/index.js';

interface MacroDef {
  params: string[];
  body: string;
}

const DEFINE = /^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)\(([^)]*)\)(.*)$/;
const IDENT = /[A-Za-z_]\w*/g;
const CONTROL = /\b(return|goto|break|continue)\b/;

/** The function-like macros of `#define` directives (continuation lines joined or not). */
function definitions(lines: readonly string[]): Map<string, MacroDef> {
  const out = new Map<string, MacroDef>();
  for (let i = 0; i < lines.length; i++) {
    const m = DEFINE.exec(lines[i]!);
    if (!m) continue;
    let body = m[3]!;
    while (body.endsWith('\\') && i + 1 < lines.length) body = `${body.slice(0, -1)} ${lines[++i]!}`;
    body = body
      .replace(/\\\s*(?=\S)/g, ' ')
      .replace(/\/\*[\s\S]*?\*\//g, ' ')
      .replace(/\/\/.*$/, '')
      .trim();
    const params = m[2]!
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    if (params.some((p) => !/^[A-Za-z_]\w*$/.test(p))) continue; // variadic or odd
    if (/#/.test(body.replace(/"(?:[^"\\]|\\.)*"/g, '""'))) continue; // stringify / paste
    out.set(m[1]!, { params, body });
  }
  return out;
}

function worthExpanding(name: string, d: MacroDef, sem: Semantics | undefined, all: Map<string, MacroDef>): boolean {
  const b = d.body;
  // Refers to itself (never expanded again by cpp; left alone here). A member of the same name
  // (`mutex_lock(&(t->if_lock))` in `if_lock(t)`) is not a reference.
  if (new RegExp(`(?<!->\\s*|\\.\\s*)\\b${name}\\b`).test(b)) return false;
  if (/^do\b[\s\S]*\bwhile\s*\(\s*0\s*\)$/.test(b) || /^\{[\s\S]*\}$/.test(b)) return true;
  if (CONTROL.test(b)) return true;
  for (const id of b.match(IDENT) ?? []) {
    if (sem && (sem.primitive(id) || sem.sleeps(id) || sem.pair(id))) return true;
    if (all.has(id) && id !== name) return true;
  }
  return false;
}

/** Skip a string or character literal starting at i; returns the index after it. */
function skipLiteral(t: string, i: number): number {
  const q = t[i]!;
  for (let j = i + 1; j < t.length; j++) {
    if (t[j] === '\\') j++;
    else if (t[j] === q) return j + 1;
    else if (t[j] === '\n') return j;
  }
  return t.length;
}

/**
 * A string or char literal, or a comment, starting at `i`: the index of its last character (a line
 * comment stops before its newline), so a scanner's loop steps past it; -1 when none starts there.
 */
function opaqueEnd(t: string, i: number): number {
  const c = t[i];
  if (c === '"' || c === "'") return skipLiteral(t, i) - 1;
  if (c !== '/') return -1;
  if (t[i + 1] === '*') {
    const e = t.indexOf('*/', i + 2);
    return e < 0 ? t.length : e + 1;
  }
  if (t[i + 1] === '/') {
    const e = t.indexOf('\n', i);
    return e < 0 ? t.length : e - 1;
  }
  return -1;
}

/** Arguments of the invocation whose `(` is at `open`: their texts and the index after `)`. */
function readArgs(t: string, open: number): { args: string[]; end: number } | null {
  const args: string[] = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open; i < t.length; i++) {
    const skip = opaqueEnd(t, i);
    if (skip >= 0) {
      i = skip;
      continue;
    }
    const c = t[i]!;
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth === 0) {
        args.push(t.slice(start, i));
        return { args: args.length === 1 && !args[0]!.trim() ? [] : args.map((a) => a.trim()), end: i + 1 };
      }
    } else if (c === ',' && depth === 1) {
      args.push(t.slice(start, i));
      start = i + 1;
    }
  }
  return null;
}

function substitute(d: MacroDef, args: string[]): string {
  return d.body.replace(IDENT, (id) => {
    const k = d.params.indexOf(id);
    if (k < 0) return id;
    const a = args[k]!;
    return /^[A-Za-z_]\w*(?:(?:->|\.)[A-Za-z_]\w*)*$|^-?\d+$/.test(a) ? a : `(${a})`;
  });
}

/** One pass over the text: expand invocations of `macros` outside directives, comments and literals. */
function expandOnce(t: string, macros: Map<string, MacroDef>): { text: string; changed: boolean } {
  let out = '';
  let last = 0;
  let changed = false;
  let lineStart = true;
  let directive = false;
  for (let i = 0; i < t.length; i++) {
    const c = t[i]!;
    if (c === '\n') {
      if (!(directive && t[i - 1] === '\\')) directive = false;
      lineStart = true;
      continue;
    }
    if (lineStart && c === '#') directive = true;
    if (c !== ' ' && c !== '\t') lineStart = false;
    if (directive) continue;
    const skip = opaqueEnd(t, i);
    if (skip >= 0) {
      i = skip;
      continue;
    }
    if (!/[A-Za-z_]/.test(c) || (i > 0 && /\w/.test(t[i - 1]!))) continue;
    const m = /^[A-Za-z_]\w*/.exec(t.slice(i, i + 64))!;
    const name = m[0];
    const d = macros.get(name);
    let j = i + name.length;
    if (!d) {
      i = j - 1;
      continue;
    }
    while (t[j] === ' ' || t[j] === '\t') j++;
    if (t[j] !== '(') {
      i = j - 1;
      continue;
    }
    const r = readArgs(t, j);
    if (!r || r.args.length !== d.params.length) {
      i = j;
      continue;
    }
    // Keep the rows: the expansion goes on the first row, the invocation's other rows stay empty.
    const rows = t.slice(i, r.end).split('\n').length - 1;
    out += t.slice(last, i) + substitute(d, r.args).replace(/\n/g, ' ') + '\n'.repeat(rows);
    last = r.end;
    i = r.end - 1;
    changed = true;
  }
  return { text: changed ? out + t.slice(last) : t, changed };
}

/**
 * The text with the unit's own lock/flag/jump macros expanded at their invocations. `defines`
 * are the image's `#define` directives (the source stage blanks directive rows in `text`).
 */
export function expandLocalMacros(text: string, defines: readonly string[], sem?: Semantics): string {
  if (!defines.length) return text;
  const defs = definitions(defines);
  const macros = new Map([...defs].filter(([n, d]) => worthExpanding(n, d, sem, defs)));
  if (!macros.size) return text;
  let t = text;
  for (let pass = 0; pass < 3; pass++) {
    const r = expandOnce(t, macros);
    t = r.text;
    if (!r.changed) break;
  }
  return t;
}

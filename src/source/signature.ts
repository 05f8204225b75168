// Function definitions by their look: a signature (type, name, parameter list, optional
// annotations) followed by the body's `{`. Works on lexed lines so that it serves whole files,
// hunk text with intact indentation and text whose indentation the mailer stripped.

import { lexLine, tokenize, type Lexed, type Token, STATEMENT_KEYWORDS } from './lex.js';

/** Attribute-like macros that take arguments and may sit before or after a function's name. */
const ATTRIBUTE_CALLS = new Set([
  '__attribute__',
  '__attribute',
  '__declspec',
  '__printf',
  '__scanf',
  '__aligned',
  '__section',
  '__malloc',
  '__alloc_size',
  '__assume_aligned',
  '__diag',
  '__no_sanitize',
  '__nocapture',
  '__retain',
  '__cleanup_fn',
  '__realloc_size',
  '__access',
  '__nonnull',
  '__acquires',
  '__releases',
  '__must_hold',
  '__cond_acquires',
  '__cond_releases',
  '__acquires_shared',
  '__releases_shared',
  '__must_hold_shared',
  '__cond_acquires_shared',
  '__counted_by',
  '__guarded_by',
  '__pt_guarded_by',
  '__designated_init',
  'noinline_for_stack',
  'asm',
  '__asm__',
]);

const NOT_A_NAME = new Set([
  ...STATEMENT_KEYWORDS,
  'sizeof',
  'typeof',
  '__typeof__',
  '__typeof',
  'alignof',
  '_Alignof',
  '__alignof__',
  'defined',
  'void',
  'int',
  'char',
  'long',
  'short',
  'unsigned',
  'signed',
  'float',
  'double',
  'bool',
  '_Bool',
  'struct',
  'union',
  'enum',
  'const',
  'volatile',
  'static',
  'extern',
  'inline',
  'register',
  'auto',
  'return',
  'goto',
  'typedef',
]);

export interface SignatureMatch {
  start: number; // line index of the first signature line
  brace: number; // line index of the body's `{`
  braceCol: number;
  name: string; // the function's name as reported
}

/** SYSCALL_DEFINE3(open, ...) is sys_open; other ALL-CAPS definers name the function by their first argument. */
function reportedName(macroOrName: string, firstArg: string | null): string {
  const sys = /^(COMPAT_)?SYSCALL_DEFINE\d*$/.exec(macroOrName);
  if (sys && firstArg) return `${sys[1] ? 'compat_' : ''}sys_${firstArg}`;
  if (/^[A-Z][A-Z0-9_]*$/.test(macroOrName) && firstArg && /^[a-z_]\w*$/.test(firstArg)) return firstArg;
  return macroOrName;
}

function isDefinerMacro(name: string): boolean {
  return /^[A-Z][A-Z0-9_]*$/.test(name) && /DEFINE|_CALL_\d|^BPF_CALL/.test(name);
}

interface NameInfo {
  nameIdx: number; // token index of the name
  parenIdx: number; // token index of its `(`
  before: number; // meaningful tokens before the name
}

/** Locate `name (` in a token stream that starts a declaration; null when it does not look like one. */
function findName(toks: readonly Token[]): NameInfo | null {
  if (!toks.length) return null;
  const first = toks[0]!;
  if (first.kind !== 'id' || STATEMENT_KEYWORDS.has(first.t) || first.t === 'return' || first.t === 'typedef') return null;
  let before = 0;
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    if (t.kind === 'id') {
      const next = toks[i + 1];
      if (next?.t === '(') {
        if (ATTRIBUTE_CALLS.has(t.t)) {
          // skip the attribute's argument list
          let depth = 0;
          let j = i + 1;
          for (; j < toks.length; j++) {
            if (toks[j]!.t === '(') depth++;
            else if (toks[j]!.t === ')' && --depth === 0) break;
          }
          i = j;
          continue;
        }
        if (NOT_A_NAME.has(t.t)) return null;
        return { nameIdx: i, parenIdx: i + 1, before };
      }
      before++;
      continue;
    }
    if (t.t === '*') continue;
    return null; // '=', ';', ',', ':', '{', '(' ... before any name: not a signature
  }
  return null;
}

/**
 * Does a function definition start at line `i`? Returns the match, 'incomplete' when the lines end
 * before the body's `{` could be found, or null.
 */
export function matchSignature(lines: readonly Lexed[], i: number, opts: { requireCol0: boolean; maxLines?: number }): SignatureMatch | 'incomplete' | null {
  const first = lines[i];
  if (!first?.code.trim()) return null;
  if (opts.requireCol0 && /^\s/.test(first.code)) return null;
  const maxLines = opts.maxLines ?? 16;
  const toks: Token[] = [];
  let name: NameInfo | null = null;
  let depth = 0;
  let closed = -1; // token index of the `)` closing the parameter list
  let start = i;
  let l = i;
  for (; l < lines.length && l < i + maxLines; l++) {
    const lineToks = tokenize(lines[l]!.code, l);
    if (l === i) {
      const t0 = lineToks[0];
      if (
        t0?.kind !== 'id' ||
        STATEMENT_KEYWORDS.has(t0.t) ||
        (NOT_A_NAME.has(t0.t) &&
          !/^(static|extern|inline|const|volatile|struct|union|enum|void|int|char|long|short|unsigned|signed|float|double|bool|_Bool|register|auto)$/.test(
            t0.t,
          ))
      )
        return null;
    }
    for (const t of lineToks) {
      toks.push(t);
      const k = toks.length - 1;
      if (!name) {
        if (t.t === '(' || t.t === '=' || t.t === ';' || t.t === ',' || t.t === '{' || t.t === ':' || t.t === '[') {
          name = findName(toks);
          if (!name) return null;
          if (t.t !== '(') return null;
          depth = 1;
          const nameTok = toks[name.nameIdx]!;
          if (name.before === 0 && !isDefinerMacro(nameTok.t)) {
            if (!typeOnlyBefore(lines, i)) return null;
            start = i - 1;
          }
        }
        continue;
      }
      if (closed < 0) {
        if (t.t === '(') depth++;
        else if (t.t === ')' && --depth === 0) closed = k;
        continue;
      }
      // after the parameter list: annotations, then the body
      if (t.t === '{') {
        const nameTok = toks[name.nameIdx]!;
        const firstArg = toks[name.parenIdx + 1];
        return {
          start,
          brace: l,
          braceCol: t.col,
          name: reportedName(nameTok.t, firstArg?.kind === 'id' ? firstArg.t : null),
        };
      }
      if (
        t.kind === 'id' ||
        t.t === '(' ||
        t.t === ')' ||
        t.kind === 'str' ||
        t.kind === 'num' ||
        t.t === '&' ||
        t.t === '->' ||
        t.t === '.' ||
        t.t === ',' ||
        t.t === '*'
      ) {
        if (t.t === ',' && depth === 0) {
          // a comma outside any parentheses: a declaration list, not a definition
          let inner = 0;
          for (let j = closed + 1; j < k; j++) {
            if (toks[j]!.t === '(') inner++;
            else if (toks[j]!.t === ')') inner--;
          }
          if (inner === 0) return null;
        }
        continue;
      }
      return null;
    }
  }
  return l >= lines.length ? 'incomplete' : null;
}

/** XFS style: `static int` on one line, `xfs_foo(` at column 0 on the next. */
function typeOnlyBefore(lines: readonly Lexed[], i: number): boolean {
  const prev = lines[i - 1];
  if (!prev) return false;
  const code = prev.code.trim();
  if (!code || /[;{}()=,#:]/.test(code)) return false;
  const toks = tokenize(code, 0);
  return toks.length > 0 && toks.every((t) => t.kind === 'id' || t.t === '*') && !STATEMENT_KEYWORDS.has(toks[0]!.t);
}

/** XFS style start: the signature's first line is the type-only line above `name(`. */
export function signatureStartsAbove(lines: readonly Lexed[], i: number): boolean {
  const toks = tokenize(lines[i]?.code ?? '', 0);
  return toks.length >= 2 && toks[0]!.kind === 'id' && toks[1]!.t === '(' && typeOnlyBefore(lines, i);
}

export interface SectionSignature {
  name: string; // reported name
  text: string; // a signature line that parses: `static void f(struct pio *pio, void *piwb_ptr)`
  truncated: boolean; // the parameter list was cut (git truncates section text at 80 bytes)
}

/** Read the function named by a hunk's `@@ ... @@ section` text; null when it is not a function. */
export function sectionSignature(section: string): SectionSignature | null {
  const text = section.replace(/\s+$/, '');
  if (!text.trim()) return null;
  const lx = lexLine(text, false);
  const toks = tokenize(lx.code, 0);
  let name: NameInfo | null = null;
  for (let k = 0; k < toks.length; k++) {
    const t = toks[k]!.t;
    if (t === '(' || t === '=' || t === ';' || t === ',' || t === '{' || t === ':' || t === '[') {
      name = findName(toks.slice(0, k + 1));
      break;
    }
  }
  if (!name) return null;
  const nameTok = toks[name.nameIdx]!;
  if (name.before === 0 && !isDefinerMacro(nameTok.t)) {
    // `xfs_foo(` alone: git showed the name line of an XFS-style signature
    if (!/^[a-z_]\w*$/.test(nameTok.t)) return null;
  }
  const open = toks[name.parenIdx]!;
  // parameters: split at depth-0 commas up to the closing `)`
  const params: string[] = [];
  let depth = 0;
  let from = open.end;
  let closedAt = -1;
  for (let k = name.parenIdx; k < toks.length; k++) {
    const t = toks[k]!;
    if (t.t === '(') depth++;
    else if (t.t === ')') {
      depth--;
      if (depth === 0) {
        params.push(text.slice(from, t.col));
        closedAt = t.end;
        break;
      }
    } else if (t.t === ',' && depth === 1) {
      params.push(text.slice(from, t.col));
      from = t.end;
    }
  }
  // `static DEVICE_ATTR_RW(x);`, a prototype: a declaration, so the hunk is at file scope after it
  if (closedAt >= 0 && /^\s*(?:__\w+\b(?:\s*\([^)]*\))?\s*)*;/.test(lx.code.slice(closedAt))) return null;
  // Cut before the `)`: a final fragment after the last comma may be cut mid-parameter; dropped.
  const truncated = closedAt < 0;
  const firstArg = toks[name.parenIdx + 1];
  const prefix = text.slice(0, open.col).replace(/^\s+/, '');
  const kept = params.map((p) => p.trim()).filter((p) => p.length > 0);
  return {
    name: reportedName(nameTok.t, firstArg?.kind === 'id' ? firstArg.t : null),
    text: `${prefix}(${kept.join(', ')})`,
    truncated,
  };
}

/** Identifier used in the unit text for a function whose name is not known. */
export function unknownFunctionIdent(where: number): string {
  return `__kreview_unknown_${where}`;
}

const TOP_LEVEL_CALLS =
  /^(EXPORT_SYMBOL\w*|MODULE_\w+|module_\w+|\w*_initcall\w*|early_param|__setup|core_param|late_initcall\w*|ALLOW_ERROR_INJECTION|EXPORT_TRACEPOINT_SYMBOL\w*|DEFINE_\w+|DECLARE_\w+|static_assert|BUILD_BUG_ON\w*|subsys_initcall\w*|fs_initcall\w*|device_initcall\w*|arch_initcall\w*|postcore_initcall\w*|pure_initcall\w*|console_initcall|security_initcall|KUNIT_\w+|TRACE_EVENT\w*)\s*\(/;

/** A line that can only be at file scope: exports, module macros, initcalls, storage-class declarations. */
export function isTopLevelOnly(code: string): boolean {
  const c = code.trim();
  if (!c) return false;
  if (TOP_LEVEL_CALLS.test(c)) return true;
  if (/^(static|extern)\b/.test(c) && /;\s*$/.test(c)) return true;
  if (/^(struct|union|enum)\s+\w+\s*\{\s*$/.test(c)) return true;
  if (/^typedef\b/.test(c)) return true;
  return false;
}

/** A line that can only be inside a function body: control flow, labels, assignments through pointers. */
export function isStatementEvidence(code: string): boolean {
  const c = code.trim();
  if (!c) return false;
  if (/^(if|for|while|switch|do|else|return|goto|break|continue|case|default)\b/.test(c)) return true;
  if (/^[A-Za-z_]\w*:\s*$/.test(c) && !/^default:/.test(c)) return true; // label
  if (isTopLevelOnly(c)) return false;
  if (/->/.test(c) && /;\s*$/.test(c)) return true;
  if (/^[A-Za-z_][\w.[\]]*\s*(=|\+=|-=|\|=|&=|\+\+|--)/.test(c) && /;\s*$/.test(c)) return true;
  // calls only: `atomic_t users;` or `struct list_head node;` in a struct body are no statements
  if (/^(spin_|mutex_|raw_spin_|read_|write_|down|up|rcu_|kfree|kmalloc|list_|atomic_|set_bit|clear_bit|test_bit|WARN|BUG)\w*\s*\(/.test(c)) return true;
  return false;
}

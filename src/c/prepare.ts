// Text pre-pass before tree-sitter: kernel C that the C grammar cannot parse is made parseable
// without moving any row, and what was taken out is recorded.
//   - preprocessor lines (and their `\` continuations) are blanked: the source stage already
//     resolved conditionals; what is left is noise to the grammar;
//   - attribute macros (`__init`, `__rcu`, `__must_check`, `__aligned(8)`, `__attribute__((..))`)
//     are blanked; sparse annotations (`__acquires(x)` ...), `context(x,a,b)` and scope-cleanup
//     attributes (`__free(kfree)`, `cleanup(fn)`) are recorded first;
//   - `typeof(expr)` becomes an identifier of the same length, so declarations using it parse;
//   - iterator macros (`list_for_each_entry(pos, head, member) stmt`) and `scoped_guard(..) stmt`
//     used as statements are wrapped as `while (macro(...)) stmt`, which the lowering recognises
//     by position (an iterator loop or a guard scope, never a real while).
// Blanking keeps every length; the only insertions are the `while (` / `)` wrappers, kept in a
// position map so that original text can still be sliced.

export interface Annotation {
  kind: 'acquires' | 'releases' | 'mustHold' | 'context' | 'condAcquires' | 'mustNotHold';
  args: string[]; // raw argument texts
  at: number; // index in the prepared text
}

export interface CleanupAttr {
  variable: string; // the declarator it is attached to
  fn: string; // the cleanup function: kfree, put_device ...
  at: number; // index in the prepared text
}

export interface MacroStatement {
  kind: 'iterator' | 'scoped_guard' | 'scoped_cond_guard';
  name: string;
}

export interface Prepared {
  text: string; // what tree-sitter parses
  original: string;
  annotations: Annotation[];
  cleanups: CleanupAttr[];
  /** Prepared-text index of each inserted `while` → the macro it wraps. */
  macroLoops: Map<number, MacroStatement>;
  /** Prepared-text indices of `struct NAME` arguments joined into one identifier. */
  typeArgs: Set<number>;
  /** Map a prepared-text index back to the original text. */
  toOriginal(i: number): number;
}

/** Attribute-like macros without arguments: they carry nothing the IR needs. */
const BARE_ATTRS = new Set([
  '__init',
  '__exit',
  '__initdata',
  '__exitdata',
  '__initconst',
  '__ref',
  '__refdata',
  '__cold',
  '__hot',
  '__sched',
  '__always_inline',
  '__maybe_unused',
  '__always_unused',
  '__must_check',
  'noinline',
  'notrace',
  '__noreturn',
  '__weak',
  '__pure',
  '__attribute_const__',
  '__visible',
  '__used',
  '__latent_entropy',
  '__ro_after_init',
  '__read_mostly',
  '__meminit',
  '__meminitdata',
  'noinstr',
  '__kprobes',
  'asmlinkage',
  '__iomem',
  '__user',
  '__rcu',
  '__percpu',
  '__force',
  '__bitwise',
  '__private',
  '__nocast',
  '__safe',
  '__kernel',
  '__noclone',
  '__flatten',
  '__naked',
  '__deprecated',
  '__packed',
  '__cacheline_aligned',
  '__cacheline_aligned_in_smp',
  '____cacheline_aligned',
  '____cacheline_aligned_in_smp',
  '__randomize_layout',
  '__nocfi',
  '__init_or_module',
  '__no_kcsan',
  '__no_sanitize_address',
  '__no_stack_protector',
  'noinline_for_stack',
  '__inline',
  '__inline__',
  '__always_inline_or_noinline',
  '__noinline',
  '__kconfig',
  '__net_init',
  '__net_exit',
  '__devinit',
  '__devexit',
  '__cpuinit',
  '__counted_by_ptr',
  '__nonstring',
  '__fix_address',
  '__noinstr_section',
  '__rcu_ptr',
]);

/** Attribute-like macros with an argument list; blanked with their arguments. */
const ARG_ATTRS = new Set([
  '__printf',
  '__scanf',
  '__aligned',
  '__section',
  '__counted_by',
  '__counted_by_le',
  '__counted_by_be',
  '__alloc_size',
  '__assume_aligned',
  '__malloc',
  '__guarded_by',
  '__pt_guarded_by',
  '__cond_releases',
  '__no_sanitize',
  '__diag',
  '__nocapture',
  '__retain',
  '__designated_init',
  '__cleanup_fn',
  '__realloc_size',
  '__access',
  '__nonnull',
]);

const ANNOTATIONS: Record<string, Annotation['kind']> = {
  __acquires: 'acquires',
  __releases: 'releases',
  __must_hold: 'mustHold',
  // The compiler's context analysis: a shared (reader) hold is a hold for what callers owe.
  __acquires_shared: 'acquires',
  __releases_shared: 'releases',
  __must_hold_shared: 'mustHold',
  __cond_acquires: 'condAcquires',
  __cond_acquires_shared: 'condAcquires',
  __must_not_hold: 'mustNotHold',
};

const TYPEOF = new Set(['typeof', '__typeof__', '__typeof', 'typeof_unqual', '__typeof_unqual__']);

/** Statement macros that take a statement after their argument list. */
export function isIteratorMacro(name: string): boolean {
  return name.includes('for_each') || (name.includes('_foreach') && /_foreach(_|$)/.test(name));
}
const SCOPE_MACROS: Record<string, MacroStatement['kind']> = {
  scoped_guard: 'scoped_guard',
  scoped_cond_guard: 'scoped_cond_guard',
};

interface Tok {
  k: 'id' | 'p' | 'str';
  s: number;
  e: number;
  t: string;
}

interface Edit {
  s: number;
  e: number;
  text: string; // replacement; same length unless s === e (insertion)
}

function isIdStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
function isIdChar(c: number): boolean {
  return isIdStart(c) || (c >= 48 && c <= 57);
}

/** Tokens of C text (identifiers, punctuation, literals); comments and preprocessor lines skipped. */
function lex(text: string, blank: Edit[]): Tok[] {
  const toks: Tok[] = [];
  const n = text.length;
  let i = 0;
  let lineStart = true;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      lineStart = true;
      i++;
      continue;
    }
    if (c === 32 || c === 9 || c === 13 || c === 12 || c === 11) {
      i++;
      continue;
    }
    if (c === 35 /* # */ && lineStart) {
      // Preprocessor line with continuations.
      let j = i;
      for (;;) {
        while (j < n && text.charCodeAt(j) !== 10) j++;
        let k = j - 1;
        while (k > i && (text.charCodeAt(k) === 13 || text.charCodeAt(k) === 32 || text.charCodeAt(k) === 9)) k--;
        if (j < n && text.charCodeAt(k) === 92 /* \ */) {
          j++;
          continue;
        }
        break;
      }
      blank.push({ s: i, e: j, text: '' });
      i = j;
      continue;
    }
    lineStart = false;
    if (c === 47 /* / */ && text.charCodeAt(i + 1) === 42) {
      const j = text.indexOf('*/', i + 2);
      i = j < 0 ? n : j + 2;
      continue;
    }
    if (c === 47 && text.charCodeAt(i + 1) === 47) {
      while (i < n && text.charCodeAt(i) !== 10) i++;
      continue;
    }
    if (c === 34 /* " */ || c === 39 /* ' */) {
      let j = i + 1;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d === 92) j += 2;
        else if (d === c || d === 10) break;
        else j++;
      }
      toks.push({ k: 'str', s: i, e: Math.min(j + 1, n), t: '' });
      i = j + 1;
      continue;
    }
    if (isIdStart(c)) {
      let j = i + 1;
      while (j < n && isIdChar(text.charCodeAt(j))) j++;
      toks.push({ k: 'id', s: i, e: j, t: text.slice(i, j) });
      i = j;
      continue;
    }
    if (c >= 48 && c <= 57) {
      let j = i + 1;
      while (j < n && (isIdChar(text.charCodeAt(j)) || text.charCodeAt(j) === 46)) j++;
      toks.push({ k: 'str', s: i, e: j, t: '' });
      i = j;
      continue;
    }
    toks.push({ k: 'p', s: i, e: i + 1, t: text[i]! });
    i++;
  }
  return toks;
}

/** Index of the token closing the bracket opened at toks[open], or -1. */
function matching(toks: Tok[], open: number): number {
  const o = toks[open]!.t;
  const cl = o === '(' ? ')' : o === '[' ? ']' : '}';
  let depth = 0;
  for (let i = open; i < toks.length; i++) {
    const t = toks[i]!;
    if (t.k !== 'p') continue;
    if (t.t === o) depth++;
    else if (t.t === cl && --depth === 0) return i;
    else if (o === '(' && (t.t === '{' || t.t === '}') && depth > 0) {
    }
  }
  return -1;
}

/** Top-level comma-separated argument texts between toks[open] '(' and toks[close] ')'. */
function splitArgs(text: string, toks: Tok[], open: number, close: number): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = toks[open]!.e;
  for (let i = open + 1; i < close; i++) {
    const t = toks[i]!;
    if (t.k !== 'p') continue;
    if (t.t === '(' || t.t === '[' || t.t === '{') depth++;
    else if (t.t === ')' || t.t === ']' || t.t === '}') depth--;
    else if (t.t === ',' && depth === 0) {
      out.push(text.slice(start, t.s).trim());
      start = t.e;
    }
  }
  const last = text.slice(start, toks[close]!.s).trim();
  if (last || out.length) out.push(last);
  return out;
}

function blankOf(s: string): string {
  return s.replace(/[^\n]/g, ' ');
}

/** An identifier of the same length standing for `typeof(...)` (newlines kept). */
function typeofStandIn(s: string): string {
  const nl = s.indexOf('\n');
  const first = nl < 0 ? s : s.slice(0, nl);
  const id = ('typeof' + '_'.repeat(first.length)).slice(0, first.length);
  return nl < 0 ? id : id + blankOf(s.slice(nl));
}

const TAGS = new Set(['struct', 'union', 'enum']);
const NOT_CALLS = new Set([
  'sizeof',
  'alignof',
  '_Alignof',
  '__alignof__',
  'offsetof',
  'typeof',
  '__typeof__',
  'if',
  'while',
  'for',
  'switch',
  'return',
  'case',
]);

/** `struct NAME` standing alone as a call argument (between `(`/`,` and `,`/`)`), not a cast or sizeof. */
function typeArgument(toks: Tok[], i: number): boolean {
  const name = toks[i + 1];
  const after = toks[i + 2];
  const prev = toks[i - 1];
  if (name?.k !== 'id' || after?.k !== 'p' || (after.t !== ',' && after.t !== ')')) return false;
  if (prev?.k !== 'p') return false;
  if (prev.t === ',') return true;
  if (prev.t !== '(') return false;
  const callee = toks[i - 2];
  return callee?.k === 'id' && !NOT_CALLS.has(callee.t);
}

const STATEMENT_START = new Set([';', '{', '}', ')', ':']);

export function prepare(original: string): Prepared {
  const edits: Edit[] = [];
  const pre: Edit[] = [];
  const toks = lex(original, pre);
  for (const b of pre) edits.push({ s: b.s, e: b.e, text: blankOf(original.slice(b.s, b.e)) });

  const annotations: { kind: Annotation['kind']; args: string[]; orig: number }[] = [];
  const cleanups: { variable: string; fn: string; orig: number }[] = [];
  const loops: { s: number; e: number; m: MacroStatement }[] = [];
  const typeArgOrig: number[] = [];
  let depth = 0;

  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    if (t.k === 'p') {
      if (t.t === '{') depth++;
      else if (t.t === '}') depth = Math.max(0, depth - 1);
      continue;
    }
    if (t.k !== 'id') continue;
    if (TAGS.has(t.t) && typeArgument(toks, i)) {
      // `container_of(p, struct ploop, work)`: a type as a macro argument becomes one identifier.
      const name = toks[i + 1]!;
      const gap = original.slice(t.e, name.s);
      if (!gap.includes('\n')) {
        edits.push({ s: t.e, e: name.s, text: '_'.repeat(gap.length) });
        typeArgOrig.push(t.s);
      }
      i++;
      continue;
    }
    const next = toks[i + 1];
    const hasArgs = next?.k === 'p' && next.t === '(';
    if (BARE_ATTRS.has(t.t)) {
      edits.push({ s: t.s, e: t.e, text: blankOf(t.t) });
      continue;
    }
    if (!hasArgs) continue;
    const ann = ANNOTATIONS[t.t];
    const attribute = ann || ARG_ATTRS.has(t.t) || t.t === '__attribute__' || t.t === '__attribute' || t.t === '__free' || t.t === '__cleanup';
    const scope = SCOPE_MACROS[t.t];
    const statementMacro = depth > 0 && (scope || isIteratorMacro(t.t));
    // A plain call: its argument list is not looked for (that is a scan per call).
    if (!attribute && !statementMacro && !TYPEOF.has(t.t)) continue;
    const close = matching(toks, i + 1);
    if (close < 0) continue;
    const end = toks[close]!.e;
    if (attribute) {
      const args = splitArgs(original, toks, i + 1, close);
      if (ann) annotations.push({ kind: ann, args, orig: t.s });
      if (t.t === '__free' || t.t === '__cleanup') {
        const prev = toks[i - 1];
        if (prev?.k === 'id' && args[0]) cleanups.push({ variable: prev.t, fn: args[0], orig: t.s });
      }
      if (t.t.startsWith('__attribute')) attributeContents(original, toks, i + 1, close, toks[i - 1], annotations, cleanups, t.s);
      edits.push({ s: t.s, e: end, text: blankOf(original.slice(t.s, end)) });
      i = close;
      continue;
    }
    if (TYPEOF.has(t.t)) {
      edits.push({ s: t.s, e: end, text: typeofStandIn(original.slice(t.s, end)) });
      i = close;
      continue;
    }
    if (statementMacro) {
      const prev = toks[i - 1];
      const atStatement = !prev || (prev.k === 'p' && STATEMENT_START.has(prev.t)) || (prev.k === 'id' && (prev.t === 'else' || prev.t === 'do'));
      const after = toks[close + 1];
      const takesStatement = !!after && ((after.k === 'p' && (after.t === '{' || after.t === '*')) || after.k === 'id');
      if (atStatement && takesStatement) {
        loops.push({ s: t.s, e: end, m: { kind: scope ?? 'iterator', name: t.t } });
        // Nested macros in the argument list are not statements: skip past it.
        i = close;
      }
    }
  }

  // Apply edits in order (blanks never overlap insertions: insertions sit at token boundaries).
  const inserts: { s: number; text: string; loop?: MacroStatement }[] = [];
  for (const l of loops) {
    inserts.push({ s: l.s, text: 'while (', loop: l.m });
    inserts.push({ s: l.e, text: ')' });
  }
  edits.sort((a, b) => a.s - b.s);
  inserts.sort((a, b) => a.s - b.s);
  const parts: string[] = [];
  const shiftAt: number[] = []; // original indices where text was inserted
  const shiftBy: number[] = []; // cumulative inserted length after that point
  const macroLoops = new Map<number, MacroStatement>();
  let pos = 0;
  let added = 0;
  let ei = 0;
  let ii = 0;
  while (ei < edits.length || ii < inserts.length) {
    const e = edits[ei];
    const ins = inserts[ii];
    if (ins && (!e || ins.s <= e.s)) {
      if (ins.s < pos) {
        ii++;
        continue;
      }
      parts.push(original.slice(pos, ins.s));
      pos = ins.s;
      if (ins.loop) macroLoops.set(ins.s + added, ins.loop);
      parts.push(ins.text);
      added += ins.text.length;
      shiftAt.push(ins.s);
      shiftBy.push(added);
      ii++;
    } else if (e) {
      if (e.s < pos) {
        ei++;
        continue;
      }
      parts.push(original.slice(pos, e.s), e.text);
      pos = e.e;
      ei++;
    }
  }
  parts.push(original.slice(pos));
  const text = parts.join('');

  const toPrepared = (o: number): number => {
    let lo = 0;
    let hi = shiftAt.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (shiftAt[mid]! <= o) lo = mid + 1;
      else hi = mid;
    }
    return o + (lo ? shiftBy[lo - 1]! : 0);
  };
  const toOriginal = (p: number): number => {
    // Largest k with shiftAt[k] + shiftBy[k] <= p.
    let lo = 0;
    let hi = shiftAt.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (shiftAt[mid]! + shiftBy[mid]! <= p) lo = mid + 1;
      else hi = mid;
    }
    return Math.max(0, p - (lo ? shiftBy[lo - 1]! : 0));
  };

  return {
    text,
    original,
    annotations: annotations.map((a) => ({ kind: a.kind, args: a.args, at: toPrepared(a.orig) })),
    cleanups: cleanups.map((c) => ({ variable: c.variable, fn: c.fn, at: toPrepared(c.orig) })),
    macroLoops,
    typeArgs: new Set(typeArgOrig.map(toPrepared)),
    toOriginal,
  };
}

/** `__attribute__((context(x, 0, 1), cleanup(fn), ...))`: the parts the IR needs. */
function attributeContents(
  text: string,
  toks: Tok[],
  open: number,
  close: number,
  prev: Tok | undefined,
  annotations: { kind: Annotation['kind']; args: string[]; orig: number }[],
  cleanups: { variable: string; fn: string; orig: number }[],
  at: number,
): void {
  for (let i = open + 1; i < close; i++) {
    const t = toks[i]!;
    if (t.k !== 'id') continue;
    const nx = toks[i + 1];
    if (!(nx?.k === 'p' && nx.t === '(')) continue;
    const c = matching(toks, i + 1);
    if (c < 0 || c > close) break;
    const name = t.t.replace(/^__(.*)__$/, '$1');
    const args = splitArgs(text, toks, i + 1, c);
    if (name === 'context') annotations.push({ kind: 'context', args, orig: at });
    else if (name === 'cleanup' && prev?.k === 'id' && args[0]) cleanups.push({ variable: prev.t, fn: args[0], orig: at });
    i = c;
  }
}

/**
 * The first `{ ... }` block starting in [from, to) of the text, comments and strings skipped:
 * [index of '{', index after the matching '}'], or null.
 */
export function findBlock(text: string, from: number, to: number): [number, number] | null {
  const toks = lex(text.slice(from), []);
  let open = -1;
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    if (t.k === 'p' && t.t === '{') {
      if (t.s + from >= to) return null;
      open = i;
      break;
    }
  }
  if (open < 0) return null;
  const close = matching(toks, open);
  const end = close < 0 ? text.length - from : toks[close]!.e;
  return [toks[open]!.s + from, end + from];
}

// What a call is, before any op is emitted: a rules primitive, a declared get/put pair, a pair
// inferred from the name's shape, a built-in C idiom (IS_ERR, ERR_PTR ...) or a plain call.
// Lock, flag, list, atomic and reference semantics come from rules/ only; this file holds the
// few things that are C or compiler idioms rather than kernel API facts.

import type { Primitive } from '../semantics/schema.js';
import type { Semantics } from '../semantics/index.js';

export type CallKind =
  | { k: 'primitive'; name: string; p: Primitive }
  | { k: 'rule-pair'; name: string; action: 'get' | 'put'; pair: string; obj: number | 'return' }
  | { k: 'name-pair'; name: string; action: 'get' | 'put'; pair: string }
  | { k: 'builtin'; name: BuiltinName }
  | { k: 'bug-on'; name: string; arg: number }
  | { k: 'pure'; name: string }
  | { k: 'compile-time'; name: string }
  | { k: 'call'; name: string };

export type BuiltinName =
  | 'IS_ERR'
  | 'IS_ERR_OR_NULL'
  | 'ERR_PTR'
  | 'PTR_ERR'
  | 'ERR_CAST'
  | 'no_free_ptr'
  | 'return_ptr'
  | '__kreview_gap'
  | '__kreview_opaque'
  | '__kreview_unknown_end';

const BUILTINS = new Set<string>([
  'IS_ERR',
  'IS_ERR_OR_NULL',
  'ERR_PTR',
  'PTR_ERR',
  'ERR_CAST',
  'no_free_ptr',
  'return_ptr',
  '__kreview_gap',
  '__kreview_opaque',
  '__kreview_unknown_end',
]);

/** Name shapes of reference pairs. Strong shapes are inferred alone; weak ones need the partner in the unit. */
const GET_SUFFIX: Record<string, { puts: string[]; strong: boolean }> = {
  get: { puts: ['put', 'release'], strong: true },
  hold: { puts: ['unhold', 'release', 'put'], strong: true },
  ref: { puts: ['unref'], strong: true },
  grab: { puts: ['drop', 'ungrab', 'put'], strong: false },
};
const PUT_SUFFIX: Record<string, { gets: string[]; strong: boolean }> = {
  put: { gets: ['get'], strong: true },
  unhold: { gets: ['hold'], strong: true },
  unref: { gets: ['ref'], strong: true },
  release: { gets: ['hold', 'get'], strong: false },
  drop: { gets: ['grab'], strong: false },
  ungrab: { gets: ['grab'], strong: false },
};
/** Managed (devm_) and resource-less prefixes whose gets need no put; tracepoints (trace_foo_ref) only log. */
const NO_PAIR_PREFIX = /^(devm_|devres_|pcim_|drmm_|trace_)/;

/**
 * What a call is. A function the unit defines is a plain call whatever its name: its body's summary
 * says what it does, which beats a guess from the name (`dmz_get` that only looks something up).
 */
export function classifyCall(name: string, sem: Semantics, calledInUnit: Set<string>, definedInUnit?: Set<string>): CallKind {
  if (BUILTINS.has(name)) return { k: 'builtin', name: name as BuiltinName };
  const p = sem.primitive(name);
  if (p?.op === 'noreturn' && p.when !== undefined) return { k: 'bug-on', name, arg: p.when };
  if (p?.op === 'pure') return p.compileTime ? { k: 'compile-time', name } : { k: 'pure', name };
  if (p) return { k: 'primitive', name, p };
  const pr = sem.pair(name);
  if (pr) {
    const isGet = pr.get === name;
    return { k: 'rule-pair', name, action: isGet ? 'get' : 'put', pair: `${pr.get}/${pr.put}`, obj: isGet ? pr.obj : pr.putObj };
  }
  const inferred = definedInUnit?.has(name) ? null : inferPair(name, calledInUnit);
  if (inferred) return inferred;
  return { k: 'call', name };
}

/** `foo_get`/`foo_put`, `get_foo`/`put_foo`, `foo_hold`/`foo_release` ... by the name alone. */
export function inferPair(name: string, calledInUnit: Set<string>): CallKind | null {
  if (NO_PAIR_PREFIX.test(name)) return null;
  let m = /^([A-Za-z]\w*?)_(get|hold|ref|grab)$/.exec(name);
  if (m && m[1]!.length >= 2) {
    const shape = GET_SUFFIX[m[2]!]!;
    const present = shape.puts.map((s) => `${m![1]}_${s}`).find((n) => calledInUnit.has(n));
    if (present || shape.strong) return { k: 'name-pair', name, action: 'get', pair: `${name}/${present ?? `${m[1]}_${shape.puts[0]}`}` };
  }
  m = /^([A-Za-z]\w*?)_(put|unhold|unref|release|drop|ungrab)$/.exec(name);
  if (m && m[1]!.length >= 2) {
    const shape = PUT_SUFFIX[m[2]!]!;
    const present = shape.gets.map((s) => `${m![1]}_${s}`).find((n) => calledInUnit.has(n));
    if (present || shape.strong) return { k: 'name-pair', name, action: 'put', pair: `${present ?? `${m[1]}_${shape.gets[0]}`}/${name}` };
  }
  m = /^(get|put)_([A-Za-z]\w+)$/.exec(name);
  if (m) {
    const other = `${m[1] === 'get' ? 'put' : 'get'}_${m[2]}`;
    if (calledInUnit.has(other)) {
      return m[1] === 'get'
        ? { k: 'name-pair', name, action: 'get', pair: `${name}/${other}` }
        : { k: 'name-pair', name, action: 'put', pair: `${other}/${name}` };
    }
  }
  return null;
}

/** Macros that declare a local: `LIST_HEAD(x);`, `DEFINE_WAIT(w);`, `DECLARE_COMPLETION_ONSTACK(c);`. */
export function isDeclaringMacro(name: string): boolean {
  return /^(DEFINE|DECLARE)_[A-Z0-9_]+$/.test(name) || /^[LH]?LIST_HEAD$/.test(name) || name === 'LLIST_HEAD';
}

/** Every `name(` in the text: the calls a unit makes, for pairing inferred get/put names. */
export function calledNames(text: string): Set<string> {
  const out = new Set<string>();
  const re = /\b([A-Za-z_]\w*)\s*\(/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) out.add(m[1]!);
  return out;
}

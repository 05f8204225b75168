// The reference domain's part of the walker's state, and the small accessors other modules
// (value facts, the checks) read it with. The transfer functions are in refs.ts.

import { sortedParts } from '../state.js';

export interface HeldRef {
  obj: string;
  pair: string;
  line: number | null;
  source: 'primitive' | 'rule' | 'name';
  count: number;
  gapSince: boolean;
  /** Other variables that name the same object (`child = of_node_get(np)`: held as child, also np). */
  aliases?: string[];
  /**
   * The first reference of a fresh object (`refcount_set(&r->count, 1)`, `kref_init`): not a leak
   * where it is made, but what a function returning the object hands its caller.
   */
  init?: boolean;
  /** Taken more often than the walk counts (a get per loop pass): at least `count`, how many more unknown. */
  saturated?: boolean;
}

export interface RefState {
  refs: Map<string, HeldRef>;
  /**
   * Refs dropped on this path (obj -> line), for double puts. References the path took and handed
   * on (stored, queued, returned) are kept here too, under `>obj` (see markHanded).
   */
  dropped: Map<string, number | null>;
  /**
   * References this path dropped without taking them: the caller's (obj -> pair). count: the
   * embedded count dropped (`&sqd->free_refs`), when it is one: the summary keeps it apart from
   * the object's others.
   */
  entryPut: Map<string, { pair: string; source: 'primitive' | 'rule' | 'name'; line: number | null; count?: string }>;
  /**
   * Objects whose last reference this path may have dropped (obj -> the put): its own last one
   * (`own`), or one the caller handed it. A use after it may touch freed memory.
   */
  lastPut: Map<string, { line: number | null; text: string; pair: string; own: boolean }>;
}

/** References counted exactly on one object; beyond this the count saturates (loops that take one per pass). */
export const REF_COUNT_CAP = 4;

/**
 * Mappings (kmap_local_page, kmap_atomic): never NULL, never the same address twice while both are
 * held, and undone in the function that made them.
 */
export const MAPPING_PAIRS = new Set(['kmap_local', 'kmap_atomic']);

/** The path took a reference on `obj` and handed it on (stored it, queued it, returned it). */
export function markHanded(s: RefState, obj: string, line: number | null): void {
  s.dropped.set(`>${obj}`, line);
}

export function wasHanded(s: RefState, obj: string): boolean {
  return s.dropped.has(`>${obj}`);
}

/**
 * One of several references on `obj` was handed to a callee that may instead have taken its own:
 * when the path's last held one is dropped, a later put may still be giving the handed one back.
 */
export function markHandedOne(s: RefState, obj: string, line: number | null): void {
  markHanded(s, obj, line);
  s.dropped.set(`^${obj}`, line);
}

/** Was one of several references on `obj` handed on (see markHandedOne)? Forgets it. */
export function takeHandedOne(s: RefState, obj: string): boolean {
  return s.dropped.delete(`^${obj}`);
}

/** The key of the reference a variable names, directly or as an alias. */
export function refOf(s: RefState, name: string): string | undefined {
  if (s.refs.has(name)) return name;
  for (const [k, r] of s.refs) if (r.aliases?.includes(name)) return k;
  return undefined;
}

/** The reference domain's part of a state's key. */
export function refKeyParts(s: RefState, out: string[]): void {
  sortedParts(s.refs, (k, r) => `R${k}/${r.count}${r.saturated ? '+' : ''}/${r.gapSince ? 'g' : ''}`, out);
  sortedParts(s.dropped, (k) => `D${k}`, out);
  sortedParts(s.entryPut, (k) => `Q${k}`, out);
  sortedParts(s.lastPut, (k) => `W${k}`, out);
}

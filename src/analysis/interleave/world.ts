// The shared world the interleaving explorer runs threads over: objects and their fields, list
// contents, flag bits, counters and lock owners. This is the ONE implementation of the kernel
// primitives' semantics (spinlocks and mutexes exclude, list/llist ops and atomics are atomic,
// test_and_set_bit is one step); subsystem models add their own state in `model`, never their own
// primitives.
//
// Locations are strings: an object id ('o3'), optionally followed by a field path ('o3.status',
// 'o3.bvec.bv_page', 'o3.bat[]'). A pointer is a Value pointing at a location. List elements are
// the locations of their nodes ('o7.list'; for bio_list the bio itself, 'o7'), so a list entry and
// a node pointer can be told apart the way container_of() tells them apart.

export type Loc = string;

export type Value =
  | { t: 'ptr'; loc: Loc }
  | { t: 'int'; v: number }
  | { t: 'null' }
  | { t: 'err' } // an ERR_PTR()/negative errno value
  | { t: 'any' }; // not known: a branch on it explores both sides

export const ANY: Value = { t: 'any' };
export const NULL: Value = { t: 'null' };
export const int = (v: number): Value => ({ t: 'int', v });
export const ptr = (loc: Loc): Value => ({ t: 'ptr', loc });

export interface ObjectInfo {
  label: string; // how witnesses name it: 'md', 'pio#2', 'bio_req'
  type: string | null; // struct name when known
  stack?: number; // thread id whose stack (or hidden locals) it lives on: never shared
  freed?: boolean;
  freedBy?: number; // the thread that freed it
}

export interface LockInfo {
  owner: number | null; // exclusive owner (thread id)
  readers: number[]; // shared holders (rwsem/rwlock read side)
}

/** A model's own bookkeeping: small serialisable values only (they are part of the state key). */
export type ModelValue = string | number | boolean | string[];

export class World {
  objects = new Map<string, ObjectInfo>();
  mem = new Map<Loc, Value>();
  lists = new Map<Loc, Loc[]>();
  bits = new Map<Loc, string[]>();
  counts = new Map<Loc, number>();
  locks = new Map<Loc, LockInfo>();
  /** Values are replaced, never changed in place (clones share them). */
  model = new Map<string, ModelValue>();
  nextId = 1;

  /** A copy to change: the maps are copied, their values never change in place (they are replaced). */
  clone(): World {
    const w = new World();
    w.objects = new Map(this.objects);
    w.mem = new Map(this.mem);
    w.lists = new Map(this.lists);
    w.bits = new Map(this.bits);
    w.counts = new Map(this.counts);
    w.locks = new Map(this.locks);
    w.model = new Map(this.model);
    w.nextId = this.nextId;
    return w;
  }

  /** Canonical text of the state (the explorer's visited-set key). */
  key(): string {
    const parts: string[] = [];
    const add = <V>(tag: string, m: Map<string, V>, f: (v: V) => string): void => {
      const ks = [...m.keys()].sort();
      for (const k of ks) parts.push(`${tag}${k}=${f(m.get(k)!)}`);
    };
    add('o', this.objects, (o) => (o.freed ? 'F' : ''));
    add('m', this.mem, valueKey);
    add('l', this.lists, (v) => v.join(','));
    add('b', this.bits, (v) => v.join(','));
    add('c', this.counts, String);
    add('k', this.locks, (l) => `${l.owner ?? ''}/${l.readers.join(',')}`);
    add('x', this.model, (v) => (Array.isArray(v) ? v.join(',') : String(v)));
    return parts.join(';');
  }

  // ---- objects -------------------------------------------------------------------------------

  create(label: string, type: string | null, stack?: number): Loc {
    const id = `o${this.nextId++}`;
    this.objects.set(id, { label, type, ...(stack !== undefined ? { stack } : {}) });
    return id;
  }

  object(loc: Loc): ObjectInfo | undefined {
    return this.objects.get(objectOf(loc));
  }

  /** How witnesses name a location: 'md->status', 'pio#2'. */
  describe(loc: Loc): string {
    const id = objectOf(loc);
    const label = this.objects.get(id)?.label ?? id;
    const rest = loc.slice(id.length);
    return rest ? `${label}${rest.replace(/^\./, '->').replace(/\.(?=[A-Za-z_])/g, '.')}` : label;
  }

  load(loc: Loc): Value {
    return this.mem.get(loc) ?? ANY;
  }

  store(loc: Loc, v: Value): void {
    this.mem.set(loc, v);
  }

  /** Copy every fact stored under one location to another (struct assignment `a = b`). */
  copyTree(from: Loc, to: Loc): void {
    const under = (k: string): string | null => (k === from ? '' : k.startsWith(`${from}.`) || k.startsWith(`${from}[`) ? k.slice(from.length) : null);
    for (const m of [this.mem, this.lists, this.bits, this.counts] as Map<string, unknown>[]) {
      for (const k of [...m.keys()]) if (k === to || k.startsWith(`${to}.`)) m.delete(k);
      for (const [k, v] of [...m]) {
        const rest = under(k);
        if (rest !== null) m.set(`${to}${rest}`, Array.isArray(v) ? [...v] : v);
      }
    }
  }

  // ---- flags -----------------------------------------------------------------------------------

  testBit(word: Loc, bit: string): boolean {
    return (this.bits.get(word) ?? []).includes(bit);
  }

  setBit(word: Loc, bit: string, on: boolean): boolean {
    const cur = this.bits.get(word) ?? [];
    const was = cur.includes(bit);
    if (on && !was) this.bits.set(word, [...cur, bit].sort());
    if (!on && was)
      this.bits.set(
        word,
        cur.filter((b) => b !== bit),
      );
    return was;
  }

  // ---- lists -------------------------------------------------------------------------------------

  list(head: Loc): Loc[] {
    return this.lists.get(head) ?? [];
  }

  /** Remove a node from whatever list holds it (list_del). */
  unlink(node: Loc): Loc | null {
    for (const [h, items] of this.lists) {
      const i = items.indexOf(node);
      if (i >= 0) {
        this.lists.set(h, [...items.slice(0, i), ...items.slice(i + 1)]);
        return h;
      }
    }
    return null;
  }

  addNode(head: Loc, node: Loc, where: 'head' | 'tail'): void {
    this.unlink(node);
    const items = [...this.list(head)];
    if (where === 'head') items.unshift(node);
    else items.push(node);
    this.lists.set(head, items);
  }

  /** Move every node of `from` onto `to` (list_splice*: at the head or the tail); `from` is emptied. */
  splice(from: Loc, to: Loc, where: 'head' | 'tail'): void {
    const moved = this.list(from);
    if (!moved.length) return;
    const dest = this.list(to);
    this.lists.set(to, where === 'head' ? [...moved, ...dest] : [...dest, ...moved]);
    this.lists.set(from, []);
  }

  // ---- locks -------------------------------------------------------------------------------------

  lockInfo(loc: Loc): LockInfo {
    return this.locks.get(loc) ?? { owner: null, readers: [] };
  }

  /** Can `tid` take the lock in this mode now? */
  canAcquire(loc: Loc, _tid: number, shared: boolean): boolean {
    const l = this.lockInfo(loc);
    if (l.owner !== null) return false;
    return shared || l.readers.length === 0;
  }

  acquire(loc: Loc, tid: number, shared: boolean): void {
    const l = this.lockInfo(loc);
    this.locks.set(loc, shared ? { owner: l.owner, readers: [...l.readers, tid].sort() } : { owner: tid, readers: l.readers });
  }

  /** Release; false when `tid` did not hold it. */
  release(loc: Loc, tid: number): boolean {
    const l = this.locks.get(loc);
    if (!l) return false;
    if (l.owner === tid) {
      if (l.readers.length) this.locks.set(loc, { owner: null, readers: l.readers });
      else this.locks.delete(loc);
      return true;
    }
    const i = l.readers.indexOf(tid);
    if (i < 0) return false;
    const readers = l.readers.filter((_, k) => k !== i);
    if (l.owner === null && !readers.length) this.locks.delete(loc);
    else this.locks.set(loc, { owner: l.owner, readers });
    return true;
  }

  heldBy(tid: number): Loc[] {
    return [...this.locks].filter(([, l]) => l.owner === tid || l.readers.includes(tid)).map(([k]) => k);
  }
}

/** The object a location belongs to: 'o3' of 'o3.bvec.bv_page'. */
export function objectOf(loc: Loc): string {
  const m = /^[^.[]+/.exec(loc);
  return m ? m[0] : loc;
}

/** The location a field path names below a location. */
export function fieldLoc(base: Loc, field: string): Loc {
  return field === '[]' ? `${base}[]` : `${base}.${field}`;
}

/** container_of(): the location one member up ('o3' of 'o3.list'); the location itself when it is an object. */
export function containerOf(loc: Loc): Loc {
  const i = Math.max(loc.lastIndexOf('.'), loc.lastIndexOf('['));
  return i > 0 ? loc.slice(0, i) : loc;
}

export function valueKey(v: Value): string {
  switch (v.t) {
    case 'ptr':
      return `&${v.loc}`;
    case 'int':
      return String(v.v);
    default:
      return v.t;
  }
}

/** Truth of a value in a condition: null when it is not known. */
export function truth(v: Value): boolean | null {
  switch (v.t) {
    case 'ptr':
    case 'err':
      return true;
    case 'null':
      return false;
    case 'int':
      return v.v !== 0;
    default:
      return null;
  }
}

// Names for shared data and locks that compare equal across functions. A field is named by the
// struct type of the object that holds it: `md->piwb` with `struct md_page *md` is `md_page.piwb`,
// and `ctrl->port->pending` is `hsp_port.pending` when the unit says `port` is a `struct hsp_port *`
// member; embedded members stay in the name (`tpm_chip.stats.errors`). A global is named by its
// path (`workers.nr_req`). Where a declaration is not shown (hunks), kernel naming helps: a variable
// or member called `md` takes the type that other functions of the input declare for `md`.
//
// Each name also keeps the instance it was reached through in the function's own terms (`ctrl->port`),
// so that holding `src->lock` is not mistaken for holding `dst->lock`.

import type { FunctionIR, StructInfo, VarInfo } from '../../c/ir.js';
import { parsePath, printStep, rootOf } from '../../c/path.js';

export interface DataKey {
  key: string; // md_page.piwb, workers.nr_req, piwb->ready_data_pios (type unknown)
  field: string; // last member: piwb, nr_req, ready_data_pios
  root: string; // the variable it is reached through
  /** The object holding the field, as this function names it (`ctrl->port`, `dev`, `workers`). */
  base: string;
  /** The key of that object's container (`hsp_port`, `workers`); '' for a bare global. */
  container: string;
  /** The member path inside the container (`stats.errors`). */
  member: string;
  typed: boolean; // the container's struct type is known
  local: boolean; // reached through a local object (not shared)
  global: boolean; // rooted at a file-scope variable
  /** Annotations on the member declaration, when the unit shows it. */
  decl?: VarInfo;
}

const STRUCT_OF = /\b(?:struct|union)\s+([A-Za-z_]\w*)/;
const POINTER = /\*/;
const STRUCT_PTR = /\b(?:struct|union)\s+([A-Za-z_]\w*)\s*\*/;

/** Types of one input: struct definitions, file-scope variables, and names with one struct type. */
export class KeyResolver {
  private readonly structs = new Map<string, Map<string, VarInfo>>();
  private readonly globals = new Map<string, VarInfo>();
  /** Variable name -> struct type, from declarations in every function (unambiguous names only). */
  readonly byName = new Map<string, string>();

  constructor(fns: FunctionIR[]) {
    const seen = new Map<string, Set<string>>();
    const pointee = new Map<string, string | null>(); // type -> the struct it points to
    const units = new Set<{ structs: StructInfo[]; globals: VarInfo[] }>();
    for (const fn of fns) {
      if (fn.unit) units.add(fn.unit);
      for (const list of [fn.params, fn.locals]) {
        for (const d of list) {
          // The same few types recur in every function: each parsed once.
          let st = pointee.get(d.type);
          if (st === undefined) pointee.set(d.type, (st = STRUCT_PTR.exec(d.type)?.[1] ?? null));
          if (st === null) continue;
          const s = seen.get(d.name);
          if (s) s.add(st);
          else seen.set(d.name, new Set([st]));
        }
      }
    }
    for (const u of units) {
      for (const st of u.structs) {
        const fields = this.structs.get(st.name) ?? new Map<string, VarInfo>();
        for (const f of st.fields) fields.set(f.name, f);
        this.structs.set(st.name, fields);
      }
      for (const g of u.globals) this.globals.set(g.name, g);
    }
    for (const [name, types] of seen) if (types.size === 1) this.byName.set(name, [...types][0]!);
  }

  /** A member of a struct, when the input shows the struct. */
  member(struct: string, name: string): VarInfo | undefined {
    return this.structs.get(struct)?.get(name.replace(/\[\]$/, ''));
  }

  global(name: string): VarInfo | undefined {
    return this.globals.get(name);
  }

  /** The struct type a pointer-typed member points to: from the struct definition, else from its name. */
  private pointee(struct: string | null, members: string[]): string | null {
    if (struct) {
      let cur: string | null = struct;
      let decl: VarInfo | undefined;
      for (let i = 0; i < members.length && cur; i++) {
        decl = this.member(cur, members[i]!);
        if (!decl) break;
        if (i < members.length - 1) cur = STRUCT_OF.exec(decl.type)?.[1] ?? null; // embedded struct
      }
      if (decl) {
        const t = STRUCT_OF.exec(decl.type);
        if (t && (POINTER.test(decl.type) || /\[\]$/.test(members[members.length - 1]!))) return t[1]!;
      }
    }
    const last = members[members.length - 1]!.replace(/\[\]$/, '');
    return this.byName.get(last) ?? null;
  }

  /** The declaration of a member path inside a struct (`stats.errors` in tpm_chip), or of its first member. */
  private declOf(struct: string | null, members: string[]): VarInfo | undefined {
    if (!struct) return undefined;
    let cur: string | null = struct;
    let first: VarInfo | undefined;
    let decl: VarInfo | undefined;
    for (let i = 0; i < members.length && cur; i++) {
      decl = this.member(cur, members[i]!);
      if (!decl) return first;
      if (i === 0) first = decl;
      cur = STRUCT_OF.exec(decl.type)?.[1] ?? null;
    }
    return decl?.guardedBy || decl?.rcu || decl?.ptGuardedBy ? decl : first?.guardedBy || first?.rcu ? first : decl;
  }

  /** Keys by how the root is declared (a parameter's type, a local's type, neither) and path. */
  private readonly memoParam = new Map<string, Map<string, DataKey | null>>();
  private readonly memoLocal = new Map<string, Map<string, DataKey | null>>();
  private readonly memoOther = new Map<string, DataKey | null>();

  /**
   * The key of a path as `fn` writes it. It depends only on the path and how the function declares
   * its root, so it is memoised on those across functions (the same paths recur everywhere).
   */
  data(fn: FunctionIR, path: string): DataKey | null {
    // Asked at every access: no per-function memo (a map per function costs more than the look-ups).
    let root = this.rootMemo.get(path);
    if (root === undefined) this.rootMemo.set(path, (root = rootOf(path) ?? ''));
    let m = this.memoOther;
    if (root) {
      let type: string | null = null;
      let by: Map<string, Map<string, DataKey | null>> | null = null;
      for (const x of fn.params)
        if (x.name === root) {
          type = x.type;
          by = this.memoParam;
          break;
        }
      if (!by)
        for (const x of fn.locals)
          if (x.name === root) {
            type = x.type;
            by = this.memoLocal;
            break;
          }
      if (by) {
        let t = by.get(type!);
        if (!t) by.set(type!, (t = new Map()));
        m = t;
      }
    }
    let k = m.get(path);
    if (k === undefined) m.set(path, (k = this.compute(fn, path)));
    return k;
  }

  /** The variable a path starts from, by path ('' for none). */
  private readonly rootMemo = new Map<string, string>();

  private compute(fn: FunctionIR, path: string): DataKey | null {
    const t = tokens(path);
    if (!t) return null;
    const { root, steps } = t;
    const d = decl(fn, root);
    if (!steps.length) {
      // A bare variable: shared only if it is not a local or a parameter.
      const g = !d;
      return {
        key: root,
        field: root,
        root,
        base: root,
        container: '',
        member: root,
        typed: false,
        local: !!d,
        global: g,
        ...(g && this.globals.get(root) ? { decl: this.globals.get(root) } : {}),
      };
    }
    if (d && isLocalObject(fn, root)) {
      const text = joinSteps(root, steps);
      return {
        key: text,
        field: steps[steps.length - 1]!.name,
        root,
        base: root,
        container: root,
        member: steps.map((s) => s.name).join('.'),
        typed: false,
        local: true,
        global: false,
      };
    }
    const global = !d;
    // The object the first step works on.
    let struct: string | null;
    let container: string;
    let base = root;
    let members: string[];
    if (steps[0]!.sep === '->') {
      struct = d
        ? (STRUCT_OF.exec(d.type)?.[1] ?? null)
        : this.globals.get(root)
          ? (STRUCT_OF.exec(this.globals.get(root)!.type)?.[1] ?? null)
          : (this.byName.get(root) ?? null);
      container = struct ?? `${root}->`;
      members = [];
    } else {
      // `workers.req_list`: the global (or an object local declared static) is the container.
      struct = global
        ? this.globals.get(root)
          ? (STRUCT_OF.exec(this.globals.get(root)!.type)?.[1] ?? null)
          : null
        : d
          ? (STRUCT_OF.exec(d.type)?.[1] ?? null)
          : null;
      container = root;
      members = [];
    }
    let containerStruct = steps[0]!.sep === '->' ? struct : null; // the struct whose members we name
    let memberStruct = struct; // for member type look-ups
    let typed = steps[0]!.sep === '->' ? !!struct : true;
    for (let i = 0; i < steps.length; i++) {
      const s = steps[i]!;
      if (i > 0 && s.sep === '->') {
        // Dereference the member path so far: a new object.
        const p = this.pointee(memberStruct, members);
        base = joinSteps(root, steps.slice(0, i));
        if (p) {
          container = p;
          containerStruct = p;
          memberStruct = p;
          typed = true;
        } else {
          container = `${container}${container.endsWith('->') ? '' : '.'}${members.join('.')}->`;
          containerStruct = null;
          memberStruct = null;
          typed = false;
        }
        members = [];
      }
      members.push(s.name);
    }
    const member = members.join('.');
    const key = container.endsWith('->') ? `${container}${member}` : `${container}.${member}`;
    const declInfo = this.declOf(containerStruct, members) ?? (global && base === root && steps[0]!.sep === '.' ? this.globals.get(root) : undefined);
    return {
      key,
      field: members[members.length - 1]!,
      root,
      base,
      container,
      member,
      typed: typed && !container.endsWith('->'),
      local: false,
      global,
      ...(declInfo ? { decl: declInfo } : {}),
    };
  }

  /** Key of a lock object (`&ploop->bat_lock` -> `ploop.bat_lock`) and the object holding it. Global contexts (rcu, irq) keep their names. */
  lock(fn: FunctionIR, obj: string): { key: string; base: string } {
    return lockKey(this.data(fn, obj), obj);
  }
}

/**
 * A lock's key and the object holding it, from the data key of its object. A lock a function
 * returns (`group_lock_ptr(sb, g)`) is keyed by the function, whatever its arguments are called
 * where it is asked: `group_lock_ptr(e4b->sb, g)` is the same lock in another function's words.
 */
export function lockKey(d: DataKey | null, obj: string): { key: string; base: string } {
  if (!d) {
    const p = parsePath(obj);
    if (p?.root.k === 'call') return { key: `${p.root.text.slice(0, p.root.text.indexOf('('))}()${p.steps.map(printStep).join('')}`, base: '' };
    return { key: obj.replace(/^&/, ''), base: '' };
  }
  return { key: d.key, base: d.container === '' ? '' : d.base };
}

interface Step {
  sep: '->' | '.';
  name: string; // member, with [] when indexed
}

/**
 * A path as the race analysis sees it: a root variable and member steps, every element of an
 * array being one datum (`bat[]`, whatever the index). `*p` and `(*p)->f` are rooted at p.
 */
function tokens(path: string): { root: string; steps: Step[] } | null {
  const p = parsePath(path.trim());
  if (!p) return null;
  let root: string;
  if (p.root.k === 'var') root = p.root.name;
  else if (p.root.k === 'paren' && p.root.inner.root.k === 'var' && !p.root.inner.steps.length && !p.root.inner.addr) root = p.root.inner.root.name;
  else return null;
  const steps: Step[] = [];
  // A leading index indexes the root itself (`to[i]`): the element is the object.
  let at = 0;
  while (p.steps[at]?.op === '[]') at++;
  const rootIndexed = at > 0;
  for (; at < p.steps.length; at++) {
    const s = p.steps[at]!;
    if (s.op === '[]') {
      const last = steps[steps.length - 1]!;
      if (!last.name.endsWith('[]')) last.name += '[]';
      continue;
    }
    steps.push({ sep: s.op, name: s.field });
  }
  if (rootIndexed && steps.length && steps[0]!.sep === '.') steps[0] = { sep: '->', name: steps[0]!.name };
  return { root, steps };
}

function joinSteps(root: string, steps: Step[]): string {
  return root + steps.map((s) => `${s.sep}${s.name}`).join('');
}

function decl(fn: FunctionIR, name: string): { type: string } | undefined {
  return fn.params.find((p) => p.name === name) ?? fn.locals.find((l) => l.name === name);
}

/** Locals that are objects, not pointers (LIST_HEAD(x), struct bio_list l): nobody else sees them. */
function isLocalObject(fn: FunctionIR, name: string): boolean {
  const l = fn.locals.find((x) => x.name === name);
  if (!l) return false;
  return !l.type.includes('*') && !/\bstatic\b/.test(l.type);
}

// Names for shared data and locks that compare equal across functions: a field is named by the
// struct type of the pointer it is reached through (`md->piwb` with `struct md_page *md` is
// `md_page.piwb`), a global by its path (`workers.nr_req`). Kernel code names the same kind of
// object the same way everywhere (`md`, `piwb`, `ploop`), so a variable whose declaration a hunk
// does not show takes the type other functions of the same patch declare for that name.

import type { FunctionIR } from '../../c/ir.js';

export interface DataKey {
  key: string; // md_page.piwb, workers.nr_req, piwb->ready_data_pios (type unknown)
  field: string; // last member: piwb, nr_req, ready_data_pios
  root: string; // the variable it is reached through
  typed: boolean; // the root's struct type is known
  local: boolean; // reached through a local object (not shared)
}

/** Variable name -> struct type, from every declaration in a set of functions (unambiguous names only). */
export function typeMapOf(fns: FunctionIR[]): Map<string, string> {
  const seen = new Map<string, Set<string>>();
  for (const fn of fns) {
    for (const d of [...fn.params, ...fn.locals]) {
      const m = /\b(?:struct|union)\s+([A-Za-z_]\w*)\s*\*/.exec(d.type);
      if (!m) continue;
      const s = seen.get(d.name) ?? new Set<string>();
      s.add(m[1]!);
      seen.set(d.name, s);
    }
  }
  const out = new Map<string, string>();
  for (const [name, types] of seen) if (types.size === 1) out.set(name, [...types][0]!);
  return out;
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

const PATH = /^&?\(?\*?([A-Za-z_]\w*)\)?((?:->|\.|\[\])[\s\S]*)?$/;

export function dataKey(fn: FunctionIR, path: string, types: Map<string, string>): DataKey | null {
  const m = PATH.exec(path.trim());
  if (!m) return null;
  const root = m[1]!;
  const rest = m[2] ?? '';
  const members = rest.split(/->|\.|\[\]/).filter(Boolean);
  const field = members.length ? members[members.length - 1]! : root;
  const d = decl(fn, root);
  if (!rest) {
    // A bare variable: shared only if it is a global.
    const local = !!d;
    return { key: root, field, root, typed: false, local };
  }
  if (d && isLocalObject(fn, root)) return { key: `${root}${rest}`, field, root, typed: false, local: true };
  const dm = d ? /\b(?:struct|union)\s+([A-Za-z_]\w*)/.exec(d.type) : null;
  const type = dm?.[1] ?? (!d ? types.get(root) : undefined);
  if (type) return { key: `${type}.${members.join('.')}`, field, root, typed: true, local: false };
  if (!d && !types.has(root) && rest.startsWith('.')) {
    // Undeclared root reached with '.': a global struct (workers.req_list).
    return { key: `${root}${rest}`.replace(/->/g, '.'), field, root, typed: false, local: false };
  }
  return { key: `${root}${rest}`, field, root, typed: false, local: false };
}

/** Key of a lock object (`&ploop->bat_lock` -> `ploop.bat_lock`). Global contexts (rcu, irq) keep their names. */
export function lockKey(fn: FunctionIR, obj: string, types: Map<string, string>): string {
  const k = dataKey(fn, obj, types);
  return k ? k.key : obj.replace(/^&/, '');
}

/** Do two keys name the same field? Exact, or the same member when a side's type is unknown. */
export function sameField(a: DataKey, b: DataKey): boolean {
  if (a.key === b.key) return true;
  if (a.typed && b.typed) return false;
  return a.field === b.field && lastTwo(a.key) === lastTwo(b.key);
}

function lastTwo(k: string): string {
  return k.split(/->|\./).slice(-1).join('.');
}

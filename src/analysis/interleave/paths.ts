// Normalised object paths (`&md->wait_llist`, `page_req->bvec.bv_page`, `ploop_top_delta(ploop)->mtfile[]`,
// `(*ret_md)->status`) split into a root and member steps, so the interpreter can walk them.

export type PathRoot =
  | { k: 'var'; name: string }
  | { k: 'call'; text: string } // a call's value: an object the model knows nothing about
  | { k: 'paren'; inner: ParsedPath };

export interface ParsedPath {
  addr: boolean; // leading &
  derefs: number; // leading * count
  root: PathRoot;
  steps: { op: '->' | '.' | '[]'; field: string }[];
}

const cache = new Map<string, ParsedPath | null>();

/** Parse a normalised path; null when it is not one (an arithmetic expression, a literal). */
export function parsePath(text: string): ParsedPath | null {
  const hit = cache.get(text);
  if (hit !== undefined) return hit;
  const p = parse(text.trim());
  if (cache.size > 50000) cache.clear();
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

function parse(s0: string): ParsedPath | null {
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
    const m = /^[A-Za-z_]\w*/.exec(s);
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
  const steps: ParsedPath['steps'] = [];
  while (i < s.length) {
    if (s.startsWith('->', i)) {
      const m = /^[A-Za-z_]\w*/.exec(s.slice(i + 2));
      if (!m) return null;
      steps.push({ op: '->', field: m[0] });
      i += 2 + m[0].length;
    } else if (s[i] === '.') {
      const m = /^[A-Za-z_]\w*/.exec(s.slice(i + 1));
      if (!m) return null;
      steps.push({ op: '.', field: m[0] });
      i += 1 + m[0].length;
    } else if (s[i] === '[') {
      const end = matching(s, i);
      if (end < 0) return null;
      steps.push({ op: '[]', field: '[]' });
      i = end + 1;
    } else {
      return null;
    }
  }
  return { addr, derefs, root, steps };
}

/** The variable a path starts from, when it starts from one. */
export function rootVar(p: ParsedPath): string | null {
  if (p.root.k === 'var') return p.root.name;
  if (p.root.k === 'paren') return rootVar(p.root.inner);
  return null;
}

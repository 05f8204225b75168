// Preprocessor resolution, line by line, keeping every row: the C front end parses one
// configuration of the code. Conditionals take their first branch (the code a default build most
// often sees), `#if 0` takes its other side, and a branch that holds the patch's changes is
// preferred over one that does not (otherwise the change would vanish from the analysis). Every
// directive line (with its `\` continuations) is blanked. Hunk text is a list of runs separated
// by gaps: a `#else`/`#endif` whose `#if` is hidden, or an `#if` whose `#endif` is hidden, is
// resolved as well as the visible lines allow and said so in the decisions.

import { lexLines } from './lex.js';

export interface PPLine {
  text: string;
  /** The patch changed this line on this side (removed for pre, added for post). */
  changed: boolean;
}

export interface PPDecision {
  run: number;
  index: number; // line index within the run
  directive: string;
  taken: 'then' | 'else' | 'none';
}

export interface PPResult {
  /** Per run, the line texts with untaken code and directives blanked. */
  texts: string[][];
  decisions: PPDecision[];
}

type CondKind = 'if' | 'ifdef' | 'ifndef' | 'elif' | 'else' | 'endif';

interface Directive {
  run: number;
  index: number;
  name: string; // 'if', 'define', ...
  cond: string;
  text: string; // the directive as written (first line, trimmed)
  lines: number; // number of rows it occupies (continuations)
}

interface Branch {
  start: Directive | null; // null: the hidden start of an orphan group
  zero: boolean; // `#if 0` / `#elif 0`: never taken
  changed: boolean; // holds lines the patch changed
}

interface Group {
  branches: Branch[];
  orphan: boolean; // its #if is not visible
  chosen: number; // index into branches, -1 = none
}

const CONDITIONALS = new Set<string>(['if', 'ifdef', 'ifndef', 'elif', 'else', 'endif']);

function isZero(cond: string): boolean {
  return /^\(?\s*0\s*\)?$/.test(cond.trim());
}

/** Find the directive lines of every run (not inside block comments). */
function findDirectives(runs: readonly PPLine[][]): Directive[][] {
  return runs.map((run, r) => {
    const lexed = lexLines(run.map((l) => l.text));
    const out: Directive[] = [];
    for (let i = 0; i < run.length; i++) {
      const lx = lexed[i]!;
      if (lx.inCommentAtStart) continue;
      const m = /^\s*#\s*([A-Za-z_]\w*)?(.*)$/.exec(lx.noComments);
      if (!m) continue;
      let lines = 1;
      while (i + lines - 1 < run.length && /\\\s*$/.test(run[i + lines - 1]!.text) && i + lines < run.length) lines++;
      out.push({
        run: r,
        index: i,
        name: m[1] ?? '',
        cond: (m[2] ?? '').trim(),
        text: run[i]!.text.trim(),
        lines,
      });
      i += lines - 1;
    }
    return out;
  });
}

/** How many groups open before a run this run refers to with its own #else/#elif/#endif. */
function outerReferences(dirs: readonly Directive[]): number {
  let depth = 0;
  let pops = 0;
  let referenced = 0;
  for (const d of dirs) {
    if (!CONDITIONALS.has(d.name)) continue;
    const k = d.name as CondKind;
    if (k === 'if' || k === 'ifdef' || k === 'ifndef') depth++;
    else if (k === 'endif') {
      if (depth > 0) depth--;
      else {
        pops++;
        referenced = Math.max(referenced, pops);
      }
    } else if (depth === 0) referenced = Math.max(referenced, pops + 1);
  }
  return referenced;
}

/** Lines at the start of a run that end in `\\`: the tail of a directive (a macro) whose first line is hidden. */
function directiveTail(run: readonly PPLine[]): number {
  let n = 0;
  while (n < run.length && /\\\s*$/.test(run[n]!.text)) n++;
  return n > 0 && n < run.length ? n + 1 : n;
}

export function preprocess(runs: readonly PPLine[][]): PPResult {
  const dirs = findDirectives(runs);
  const texts = runs.map((run) => run.map((l) => l.text));
  runs.forEach((run, r) => {
    for (let i = 0; i < directiveTail(run); i++) texts[r]![i] = '';
  });
  const decisions: PPDecision[] = [];

  // Pass 1: group the conditionals, and for every line the chain of (group, branch) it sits in.
  const groups: Group[] = [];
  const where: { group: number; branch: number }[][][] = runs.map((run) => run.map(() => []));
  const role = new Map<Directive, { group: number; branch: number; kind: CondKind }>();
  const blankRows: boolean[][] = runs.map((run) => run.map(() => false));
  let stack: { group: number; branch: number }[] = [];

  for (let r = 0; r < runs.length; r++) {
    if (r > 0 && stack.length) {
      // Groups still open at a gap: kept when this run refers to them, else closed in the gap.
      if (outerReferences(dirs[r]!) === 0) stack = [];
    }
    const byIndex = new Map(dirs[r]!.map((d) => [d.index, d]));
    for (let i = 0; i < runs[r]!.length; i++) {
      const d = byIndex.get(i);
      if (d) {
        // Directive rows are always blanked; they belong to the context around the directive.
        const before = [...stack];
        if (CONDITIONALS.has(d.name)) {
          const kind = d.name as CondKind;
          if (kind === 'if' || kind === 'ifdef' || kind === 'ifndef') {
            groups.push({
              branches: [{ start: d, zero: kind === 'if' && isZero(d.cond), changed: false }],
              orphan: false,
              chosen: 0,
            });
            const g = groups.length - 1;
            stack = [...stack, { group: g, branch: 0 }];
            role.set(d, { group: g, branch: 0, kind });
          } else {
            let top = stack[stack.length - 1];
            if (!top) {
              // Its #if is hidden (before the hunk or in a gap): the visible code before it was
              // its first branch.
              groups.push({ branches: [{ start: null, zero: false, changed: false }], orphan: true, chosen: 0 });
              top = { group: groups.length - 1, branch: 0 };
              stack = [top];
            }
            const g = groups[top.group]!;
            before.splice(0, before.length, ...stack.slice(0, -1));
            if (kind === 'endif') {
              role.set(d, { group: top.group, branch: top.branch, kind });
              stack = stack.slice(0, -1);
            } else {
              g.branches.push({ start: d, zero: kind === 'elif' && isZero(d.cond), changed: false });
              const b = g.branches.length - 1;
              role.set(d, { group: top.group, branch: b, kind });
              stack = [...stack.slice(0, -1), { group: top.group, branch: b }];
            }
          }
        }
        for (let k = 0; k < d.lines; k++) {
          blankRows[r]![i + k] = true;
          where[r]![i + k] = before;
        }
        i += d.lines - 1;
        continue;
      }
      where[r]![i] = [...stack];
      if (runs[r]![i]!.changed) for (const s of stack) groups[s.group]!.branches[s.branch]!.changed = true;
    }
  }

  // Pass 2: choose a branch per group.
  for (const g of groups) {
    if (g.orphan) {
      g.chosen = 0; // the visible code before the orphan #else/#elif
      continue;
    }
    const live = g.branches.map((b, i) => ({ b, i })).filter((x) => !x.b.zero);
    let chosen = live.length ? live[0]!.i : -1;
    const first = live[0];
    if (first && !first.b.changed) {
      const withChange = live.find((x) => x.b.changed);
      if (withChange) chosen = withChange.i;
    }
    g.chosen = chosen;
  }

  // Pass 3: blank untaken lines and directives; record decisions.
  for (let r = 0; r < runs.length; r++) {
    for (let i = 0; i < runs[r]!.length; i++) {
      const chain = where[r]![i]!;
      const live = chain.every((s) => groups[s.group]!.chosen === s.branch);
      if (blankRows[r]![i] || !live) texts[r]![i] = '';
    }
    for (const d of dirs[r]!) {
      const ro = role.get(d);
      if (!ro) continue;
      const g = groups[ro.group]!;
      const enclosingLive = where[r]![d.index]!.every((s) => groups[s.group]!.chosen === s.branch);
      let taken: PPDecision['taken'] = 'none';
      let directive = d.text;
      if (ro.kind === 'if' || ro.kind === 'ifdef' || ro.kind === 'ifndef') {
        taken = !enclosingLive || g.chosen < 0 ? 'none' : g.chosen === 0 ? 'then' : 'else';
      } else if (ro.kind === 'elif') {
        taken = enclosingLive && g.chosen === ro.branch ? 'then' : 'none';
        if (g.orphan) directive += ' (its #if is not visible)';
      } else if (ro.kind === 'else') {
        taken = enclosingLive && g.chosen === ro.branch ? 'else' : 'none';
        if (g.orphan) directive += ' (its #if is not visible)';
      } else {
        if (!g.orphan) continue; // a matched #endif decides nothing
        directive += ' (its #if is not visible)';
      }
      decisions.push({ run: r, index: d.index, directive, taken });
    }
  }
  return { texts, decisions };
}

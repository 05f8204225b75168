// `kreview semantics mine TREE`: read a kernel source tree and write down what its functions do for
// their callers (lock and get/put wrappers, sleeping functions, functions that need a lock held,
// frees and hand-offs), as the rules file rules/kernel-mined.json. This is what Smatch's
// cross-function database gives it after a full build; kreview gets it from the sources alone, and
// it serves mail patches, which come without a tree.
//
// Each file is summarised by the same walk that checks it. Only what a caller elsewhere can call is
// kept: functions that are not static, and the static inline helpers of headers. A second pass
// reads the tree again with the first pass's facts loaded, so a wrapper of a wrapper is seen too.

import { lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import picomatch from 'picomatch';
import { factsOf } from '../analysis/mined.js';
import { forgetHeaders, summarizeFile } from '../review.js';
import { Semantics } from '../semantics/index.js';
import type { LoadedRuleFile } from '../semantics/load.js';
import { type FunctionFacts, RuleFile } from '../semantics/schema.js';

export interface MineOptions {
  /** The top of the kernel tree. */
  tree: string;
  /** Directories, files or globs (`drivers/scsi/*.c`), relative to the tree; the whole tree when empty. */
  dirs?: string[];
  /** The rules the walk uses (the hand-written ones: mined facts never override them). */
  rules: LoadedRuleFile[];
  /** Passes over the tree (each sees the facts of the one before). */
  passes?: number;
  /** Files larger than this are skipped (and said): generated tables, firmware dumps. */
  maxBytes?: number;
  progress?: (pass: number, done: number, total: number) => void;
}

export interface MineResult {
  functions: Record<string, FunctionFacts>;
  files: number;
  /** Files (and directories) that could not be read or parsed, and why: said, never dropped silently. */
  failed: { path: string; error: string }[];
  /** What reading a file noted (a header it includes that could not be read). */
  notes: { path: string; note: string }[];
  skipped: { path: string; why: string }[];
  /** Names defined more than once with different effects (config or arch variants): left out. */
  ambiguous: string[];
}

/**
 * The C sources and headers under the given directories, sorted. Symbolic links are not followed
 * (a link loop would never end); a directory that cannot be read is named in `unreadable`.
 */
export function sourceFiles(tree: string, dirs: string[], unreadable: string[] = []): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (e) {
      unreadable.push(`${relative(tree, dir) || '.'}: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    for (const n of names) {
      if (n.startsWith('.')) continue;
      const p = join(dir, n);
      const st = lstatSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && (n.endsWith('.c') || n.endsWith('.h'))) out.push(p);
    }
  };
  for (const d of dirs.length ? dirs : ['.']) {
    // A glob (`drivers/scsi/*.c`): the files under its fixed part that match it.
    const g = picomatch.scan(d);
    const p = join(tree, g.isGlob ? g.base : d);
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) throw new Error(`${p}: no such directory in the tree`);
    if (st.isFile()) out.push(p);
    else if (!g.isGlob) walk(p);
    else {
      const before = out.length;
      walk(p);
      const match = picomatch(d);
      const kept = out.splice(before).filter((f) => match(relative(tree, f).split(sep).join('/')));
      if (!kept.length) throw new Error(`${d}: matches no C file in the tree`);
      out.push(...kept);
    }
  }
  return [...new Set(out)];
}

/** Facts without where they came from: two definitions that agree on these are one function. */
const effect = (f: FunctionFacts): string => JSON.stringify({ ...f, at: '' });

export async function mineTree(o: MineOptions): Promise<MineResult> {
  const unreadable: string[] = [];
  const files = sourceFiles(o.tree, o.dirs ?? [], unreadable);
  const maxBytes = o.maxBytes ?? 1_000_000;
  let functions: Record<string, FunctionFacts> = {};
  let last: MineResult = { functions, files: files.length, failed: [], notes: [], skipped: [], ambiguous: [] };
  const passes = Math.max(1, o.passes ?? 2);
  for (let pass = 1; pass <= passes; pass++) {
    const mined: LoadedRuleFile[] = pass > 1 ? [{ path: `mined (pass ${pass - 1})`, rules: RuleFile.parse({ subsystem: 'mined', functions }) }] : [];
    const sem = new Semantics([...o.rules, ...mined]);
    const found = new Map<string, FunctionFacts>();
    const ambiguous = new Set<string>();
    const failed: MineResult['failed'] = unreadable.map((u) => ({ path: u.slice(0, u.indexOf(': ')), error: u.slice(u.indexOf(': ') + 2) }));
    const notes: MineResult['notes'] = [];
    const skipped: MineResult['skipped'] = [];
    let dir = '';
    for (const [i, path] of files.entries()) {
      o.progress?.(pass, i, files.length);
      // Local headers are read beside the file: those of a directory left behind are not needed.
      if (dirname(path) !== dir) {
        dir = dirname(path);
        forgetHeaders();
      }
      const rel = relative(o.tree, path).split(sep).join('/');
      let text: string;
      try {
        const size = statSync(path).size;
        if (size > maxBytes) {
          skipped.push({ path: rel, why: `${size} bytes, over the ${maxBytes}-byte limit` });
          continue;
        }
        text = readFileSync(path, 'utf8');
      } catch (e) {
        failed.push({ path: rel, error: e instanceof Error ? e.message : String(e) });
        continue;
      }
      let got: Awaited<ReturnType<typeof summarizeFile>>;
      try {
        got = await summarizeFile(path, text, sem);
      } catch (e) {
        failed.push({ path: rel, error: e instanceof Error ? e.message : String(e) });
        continue;
      }
      for (const note of got.notes) notes.push({ path: rel, note });
      const header = rel.endsWith('.h');
      for (const fn of got.functions) {
        // What another file can call: exported functions, and a header's inline helpers.
        if (fn.isStatic && !header) continue;
        if (sem.primitive(fn.name) || sem.notMined.has(fn.name) || ambiguous.has(fn.name)) continue;
        const sum = got.summaries.get(fn.name);
        const facts = sum && factsOf(sum, `${rel}:${fn.startLine ?? 0}`, fn, sem);
        if (!facts) continue;
        const seen = found.get(fn.name);
        if (!seen) found.set(fn.name, facts);
        else if (effect(seen) !== effect(facts)) {
          found.delete(fn.name);
          ambiguous.add(fn.name);
        }
      }
    }
    o.progress?.(pass, files.length, files.length);
    functions = Object.fromEntries([...found.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    last = { functions, files: files.length, failed, notes, skipped, ambiguous: [...ambiguous].sort() };
  }
  return last;
}

/** Drop what a schema default would put back: the file stays short enough to read. */
function compact(f: FunctionFacts): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(f)) {
    if (v === undefined || (Array.isArray(v) && !v.length && k !== 'params')) continue;
    if (Array.isArray(v) && v.length && typeof v[0] === 'object') {
      out[k] = (v as Record<string, unknown>[]).map((x) =>
        Object.fromEntries(
          Object.entries(x).filter(([kk, vv]) => vv !== undefined && !(kk === 'mode' && vv === 'exclusive') && !(kk === 'irq' && vv === 'none')),
        ),
      );
    } else out[k] = v;
  }
  return out;
}

/**
 * The rules file: JSON (tens of thousands of entries load in a blink; YAML would take seconds),
 * provenance first, then one function per line so a diff between two trees reads line by line.
 */
export function minedRulesJson(r: MineResult, provenance: NonNullable<RuleFile['provenance']>): string {
  const head = JSON.stringify(
    {
      subsystem: 'kernel-mined',
      description:
        'What functions of a kernel tree do for their callers, read from their bodies by `kreview semantics mine` (see rules/README.md). Generated: do not edit; regenerate it.',
      provenance,
    },
    null,
    2,
  );
  const lines = Object.entries(r.functions).map(([k, v]) => `    ${JSON.stringify(k)}: ${JSON.stringify(compact(v))}`);
  return `${head.slice(0, -2)},\n  "functions": {\n${lines.join(',\n')}\n  }\n}\n`;
}

/** `6.12.118` from the tree's top Makefile (VERSION, PATCHLEVEL, SUBLEVEL), or null. */
export function treeVersion(tree: string): string | null {
  let text: string;
  try {
    text = readFileSync(join(tree, 'Makefile'), 'utf8').slice(0, 4000);
  } catch {
    return null;
  }
  const v = (k: string): string | undefined => new RegExp(`^${k}\\s*=\\s*(\\d+)`, 'm').exec(text)?.[1];
  const [a, b, c] = [v('VERSION'), v('PATCHLEVEL'), v('SUBLEVEL')];
  return a && b ? `${a}.${b}${c && c !== '0' ? `.${c}` : ''}` : null;
}

// A compiled, validated copy of a rules directory, keyed by the hash of its files' content (and
// kreview's version): start-up reads one file and parses the small hand-written part, instead of
// parsing YAML and building schemas. The mined functions (tens of thousands) stay text, one line
// each, and are parsed when first looked up; they were checked against the schema when the copy
// was made. A copy that does not read back exactly is ignored and made again, never trusted.

import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { VERSION } from '../version.js';
import { RuleError } from './errors.js';
import type { FunctionIndex, LoadedRuleFile } from './files.js';

/** Bumped when the layout below changes: old copies then simply miss. */
const FORMAT = 1;
const MAGIC = 'kreview-rules-cache';
/** Copies kept per cache directory; the least recently made go first. */
const KEEP = 8;

/** Where copies live: $KREVIEW_CACHE_DIR ('' turns caching off), else the XDG cache directory. */
export function rulesCacheDir(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.KREVIEW_CACHE_DIR !== undefined) return env.KREVIEW_CACHE_DIR || null;
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'kreview');
}

/** The rule files of a directory in load order (kernel.* first, then by name). */
export function ruleFileNames(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml') || f.endsWith('.json'))
    .sort((a, b) => (a.startsWith('kernel.') ? -1 : b.startsWith('kernel.') ? 1 : a.localeCompare(b)));
}

/** The content key of a rules directory: kreview's version, the cache layout, and every rule file's name and bytes. */
export function rulesKey(dir: string, names: string[]): string {
  const h = createHash('sha256').update(`${MAGIC} ${FORMAT} ${VERSION}\n`);
  for (const n of names) {
    const b = readFileSync(join(dir, n));
    h.update(`${n}\0${b.length}\0`).update(b);
  }
  return h.digest('hex').slice(0, 32);
}

/**
 * The compiled copy of a rule directory's files: a first line naming the key, the body's length
 * and its hash; a header of the hand-written rules; then a line per mined function
 * (`file<TAB>name<TAB>json` of the entry as the schema parsed it, or `!message` for one it refused).
 */
export function compileRules(
  key: string,
  files: LoadedRuleFile[],
  check: (file: LoadedRuleFile, name: string, raw: unknown) => { facts: unknown } | { error: string },
): Buffer {
  const header = files.map((f) => ({ path: f.path, rules: f.rules }));
  const lines: string[] = [JSON.stringify(header)];
  files.forEach((f, i) => {
    for (const [name, raw] of Object.entries(f.unchecked ?? {})) {
      if (/[\t\n]/.test(name)) continue; // no C function is named so; nothing could look it up
      const r = check(f, name, raw);
      lines.push(`${i}\t${name}\t${'facts' in r ? JSON.stringify(r.facts) : `!${r.error.replace(/\n/g, ' ')}`}`);
    }
  });
  const body = Buffer.from(`${lines.join('\n')}\n`);
  return Buffer.concat([Buffer.from(`${MAGIC} ${FORMAT} ${key} ${body.length} ${sha256(body)}\n`), body]);
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/**
 * Read a compiled copy back; null when it is not exactly what this key wrote: another layout, cut
 * short, or any byte changed (the body's hash is on the first line).
 */
export function readCompiled(bytes: Buffer, key: string): LoadedRuleFile[] | null {
  const nl = bytes.indexOf(10);
  if (nl < 0) return null;
  const [magic, format, k, len, hash, ...rest] = bytes.subarray(0, nl).toString('latin1').split(' ');
  if (magic !== MAGIC || format !== String(FORMAT) || k !== key || rest.length) return null;
  const raw = bytes.subarray(nl + 1);
  if (raw.length !== Number(len) || sha256(raw) !== hash) return null;
  const body = raw.toString('utf8');
  const hl = body.indexOf('\n');
  let header: { path: string; rules: LoadedRuleFile['rules'] }[];
  try {
    header = JSON.parse(body.slice(0, hl));
  } catch {
    return null;
  }
  if (!Array.isArray(header)) return null;
  const files: LoadedRuleFile[] = header.map((h) => ({ path: h.path, rules: h.rules }));
  // Index the function lines: file number and name up front, the entry's JSON from `at` to the line's end.
  for (let at = hl + 1; at < body.length; ) {
    const end = body.indexOf('\n', at);
    const t1 = body.indexOf('\t', at);
    const t2 = t1 < 0 ? -1 : body.indexOf('\t', t1 + 1);
    if (end < 0 || t1 < 0 || t2 < 0 || t2 > end) return null;
    const f = files[Number(body.slice(at, t1))];
    if (!f) return null;
    const idx: FunctionIndex = (f.functionIndex ??= { text: body, at: new Map() });
    idx.at.set(body.slice(t1 + 1, t2), t2 + 1);
    at = end + 1;
  }
  return files;
}

/** Parse one indexed entry; a line the schema refused when the copy was made throws its message again. */
export function indexedEntry(idx: FunctionIndex, at: number, source: string, name: string): unknown {
  const line = idx.text.slice(at, idx.text.indexOf('\n', at));
  if (line.startsWith('!')) throw new RuleError(line.slice(1));
  try {
    return JSON.parse(line);
  } catch {
    throw new RuleError(`${source}: functions.${name}: the rules cache entry is damaged; remove the cache directory`);
  }
}

/** Parses and checks a rules directory (load.ts, loaded only when a copy must be made). */
export type RuleCompiler = (dir: string) => Promise<{ compile: (key: string) => Buffer }>;

/**
 * The rule files of `dir` from its compiled copy, made (by `load`, which parses and validates) when
 * there is none for this content. The copy is written whole under a temporary name and renamed,
 * so a reader never sees half of one; a cache that cannot be written costs only the speed.
 * `key` is the directory's content key (results cached elsewhere depend on it).
 */
export async function cachedRuleDir(dir: string, load: RuleCompiler, cacheDir = rulesCacheDir()): Promise<{ files: LoadedRuleFile[]; key: string }> {
  let key: string;
  try {
    key = rulesKey(dir, ruleFileNames(dir));
  } catch {
    key = ''; // the loader says what is wrong with the directory
  }
  if (!cacheDir || !key) return { files: compiled((await load(dir)).compile(''), ''), key };
  const file = join(cacheDir, `rules-${basename(dir).replace(/[^\w.-]/g, '_')}-${key}.txt`);
  try {
    const hit = readCompiled(readFileSync(file), key);
    if (hit) return { files: hit, key };
  } catch {
    // no copy yet, or unreadable: make one
  }
  const copy = (await load(dir)).compile(key);
  try {
    mkdirSync(cacheDir, { recursive: true });
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, copy);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
    prune(cacheDir);
  } catch {
    // read-only home, full disk: the run goes on from the copy made now
  }
  return { files: compiled(copy, key), key };
}

function compiled(copy: Buffer, key: string): LoadedRuleFile[] {
  const files = readCompiled(copy, key);
  if (!files) throw new Error('kreview: a rules copy made now does not read back'); // a bug, not an input
  return files;
}

/** Keep the newest copies only (each directory of rules and each version makes its own). */
function prune(cacheDir: string): void {
  const copies = readdirSync(cacheDir)
    .filter((f) => f.startsWith('rules-') && f.endsWith('.txt'))
    .map((f) => ({ f, t: statSync(join(cacheDir, f)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const { f } of copies.slice(KEEP)) {
    try {
      unlinkSync(join(cacheDir, f));
    } catch {
      // another run pruned it first
    }
  }
}

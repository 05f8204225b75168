// The user's configuration: `.kreview.yaml` at the top of the tree (or --config FILE), then the
// command line on top of it. Rules on/off and their severity, paths to ignore, extra semantics
// directories, a baseline, --fail-on and the reply-mail settings. A bad file is an error naming
// the file, the line and the key.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import picomatch from 'picomatch';
import { isMap, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { defaultRuleSettings, ruleById, RULES, type RuleSettings } from '../analysis/registry.js';
import type { Severity } from '../analysis/types.js';

export const CONFIG_NAME = '.kreview.yaml';

export class ConfigError extends Error {}

const SEVERITIES = ['error', 'warning', 'info'] as const;
export const FAIL_ON = ['error', 'warning', 'info', 'never'] as const;
export type FailOn = (typeof FAIL_ON)[number];

/** A rule's entry: `off`/`on`, a severity, or `{ enabled, severity }`. */
const ruleEntry = z.union([
  z.enum(['off', 'on', ...SEVERITIES]),
  z.boolean(),
  z.object({ enabled: z.boolean().optional(), severity: z.enum(SEVERITIES).optional() }).strict(),
]);

const fileSchema = z
  .object({
    rules: z.record(z.string(), ruleEntry).optional(),
    ignore: z.array(z.string().min(1)).optional(),
    semantics: z.array(z.string().min(1)).optional(),
    baseline: z.string().min(1).optional(),
    'fail-on': z.enum(FAIL_ON).optional(),
    email: z
      .object({
        from: z.string().min(3).optional(),
        'reply-all': z.boolean().optional(),
        archive: z.string().url().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export interface EmailSettings {
  /** The reports' From: (default `kreview <kreview@localhost>`). */
  from: string;
  /** Address the replies: To: the patch's author, Cc: its recipients. Off by default. */
  replyAll: boolean;
  /** Where a report's Message-ID is found again, for the Closes: trailer (`https://lore.kernel.org/r/`). */
  archive: string;
}

export interface Config {
  /** The file it came from; null when there was none. */
  path: string | null;
  rules: RuleSettings;
  /** Globs of paths (as the patch or the command line names them) not to review. */
  ignore: string[];
  /** Extra semantics directories (absolute), read after the bundled rules/. */
  semantics: string[];
  baseline: string | null;
  failOn: FailOn | null;
  email: EmailSettings;
}

export const DEFAULT_EMAIL: EmailSettings = { from: 'kreview <kreview@localhost>', replyAll: false, archive: 'https://lore.kernel.org/r/' };

export function emptyConfig(): Config {
  return { path: null, rules: defaultRuleSettings(), ignore: [], semantics: [], baseline: null, failOn: null, email: { ...DEFAULT_EMAIL } };
}

/** `.kreview.yaml` in `top` (the tree), else in the current directory or the first parent up to the repository's top. */
export function findConfig(top: string | undefined, cwd = process.cwd()): string | null {
  if (top) {
    const p = join(top, CONFIG_NAME);
    return existsSync(p) ? p : null;
  }
  for (let d = resolve(cwd); ; d = dirname(d)) {
    const p = join(d, CONFIG_NAME);
    if (existsSync(p)) return p;
    if (existsSync(join(d, '.git')) || dirname(d) === d) return null;
  }
}

/** The line a YAML path points at (the key's line for a mapping entry). */
function lineOf(doc: Document, lc: LineCounter, path: (string | number)[]): number | null {
  let node: unknown = doc.contents;
  let keyPos: number | null = null;
  for (const step of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === step);
      if (!pair) break;
      keyPos = (pair.key as { range?: [number, number, number] }).range?.[0] ?? keyPos;
      node = pair.value;
    } else if (node && typeof node === 'object' && 'items' in node && typeof step === 'number') {
      node = (node as { items: unknown[] }).items[step];
      keyPos = (node as { range?: [number, number, number] } | undefined)?.range?.[0] ?? keyPos;
    } else break;
  }
  return keyPos === null ? null : lc.linePos(keyPos).line;
}

/**
 * Read a YAML file and check it against `schema`. Throws ConfigError naming the file, the line and
 * the key of the first problem; `line(path)` finds the line of any key for checks made after.
 */
export function readYamlConfig<T>(path: string, schema: z.ZodType<T>): { data: T; line: (p: (string | number)[]) => number | null } {
  let text: string;
  try {
    if (statSync(path).isDirectory()) throw new ConfigError(`${path}: is a directory, not a configuration file`);
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const at = e.linePos?.[0];
    throw new ConfigError(`${path}:${at ? at.line : '?'}: not valid YAML: ${e.message.split('\n')[0]}`);
  }
  const parsed = schema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    let p = issue.path.map((x) => (typeof x === 'symbol' ? String(x) : x));
    // An unknown key: point at it, not at its mapping.
    if (issue.code === 'unrecognized_keys' && issue.keys[0]) p = [...p, issue.keys[0]];
    const key = p.length ? p.join('.') : '(top level)';
    const what = issue.code === 'unrecognized_keys' ? `unknown key '${issue.keys.join("', '")}'` : issue.message;
    throw new ConfigError(`${path}:${lineOf(doc, lc, p) ?? '?'}: ${key}: ${what}`);
  }
  return { data: parsed.data, line: (p) => lineOf(doc, lc, p) };
}

/** Read and check a config file. Throws ConfigError naming file, line and key. */
export function loadConfig(path: string): Config {
  const { data: c, line } = readYamlConfig(path, fileSchema);
  const base = dirname(resolve(path));
  const cfg = emptyConfig();
  cfg.path = path;
  for (const [id, entry] of Object.entries(c.rules ?? {})) {
    if (!ruleById(id)) {
      throw new ConfigError(
        `${path}:${line(['rules', id]) ?? '?'}: rules.${id}: no such rule (kreview rules lists them: ${RULES.map((r) => r.id).join(', ')})`,
      );
    }
    applyRuleEntry(cfg.rules, id, entry);
  }
  cfg.ignore = c.ignore ?? [];
  cfg.semantics = (c.semantics ?? []).map((d) => resolve(base, d));
  cfg.baseline = c.baseline ? resolve(base, c.baseline) : null;
  cfg.failOn = c['fail-on'] ?? null;
  cfg.email = {
    from: c.email?.from ?? DEFAULT_EMAIL.from,
    replyAll: c.email?.['reply-all'] ?? DEFAULT_EMAIL.replyAll,
    archive: c.email?.archive ?? DEFAULT_EMAIL.archive,
  };
  return cfg;
}

function applyRuleEntry(s: RuleSettings, id: string, entry: z.infer<typeof ruleEntry>): void {
  const enabled = entry === 'off' || entry === false ? false : typeof entry === 'object' ? entry.enabled : true;
  const severity = typeof entry === 'string' && entry !== 'on' && entry !== 'off' ? entry : typeof entry === 'object' ? entry.severity : undefined;
  if (enabled === false) s.disabled.add(id);
  else if (enabled === true) s.disabled.delete(id);
  if (severity) s.severity.set(id, severity);
}

export interface RuleFlags {
  enable?: string[];
  disable?: string[];
  severity?: string[];
}

/** The command line on top of the file: --enable/--disable ID,..., --severity ID=LEVEL (repeatable, comma lists). */
export function applyRuleFlags(cfg: Config, flags: RuleFlags): void {
  const ids = (list: string[] | undefined, flag: string): string[] => {
    const out = (list ?? [])
      .flatMap((x) => x.split(','))
      .map((x) => x.trim())
      .filter(Boolean);
    for (const id of out) if (!ruleById(id)) throw new ConfigError(`${flag} ${id}: no such rule (kreview rules lists them)`);
    return out;
  };
  for (const id of ids(flags.disable, '--disable')) cfg.rules.disabled.add(id);
  for (const id of ids(flags.enable, '--enable')) cfg.rules.disabled.delete(id);
  for (const item of (flags.severity ?? []).flatMap((x) => x.split(','))) {
    const m = /^\s*([\w-]+)\s*=\s*(\w+)\s*$/.exec(item);
    if (!m) throw new ConfigError(`--severity ${item}: expected ID=LEVEL (error, warning or info)`);
    if (!ruleById(m[1]!)) throw new ConfigError(`--severity ${m[1]}: no such rule (kreview rules lists them)`);
    if (!(SEVERITIES as readonly string[]).includes(m[2]!)) throw new ConfigError(`--severity ${item}: level must be error, warning or info`);
    cfg.rules.severity.set(m[1]!, m[2] as Severity);
  }
}

/**
 * A matcher for the ignore globs. A path matches when the glob matches it as given, relative to
 * the config file's directory, or as any trailing part (`drivers/staging/**` matches
 * `linux/drivers/staging/x.c` given on the command line).
 */
export function ignoreMatcher(cfg: Config): ((path: string) => boolean) | undefined {
  if (!cfg.ignore.length) return undefined;
  const isMatch = picomatch(cfg.ignore, { dot: true });
  const base = cfg.path ? dirname(resolve(cfg.path)) : process.cwd();
  return (p: string) => {
    const forms = new Set([p.split(sep).join('/')]);
    const rel = relative(base, resolve(p));
    if (!rel.startsWith('..')) forms.add(rel.split(sep).join('/'));
    for (const f of [...forms]) {
      const parts = f.split('/');
      for (let i = 1; i < parts.length; i++) forms.add(parts.slice(i).join('/'));
    }
    return [...forms].some((f) => isMatch(f));
  };
}

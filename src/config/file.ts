// Reading a configuration file: YAML checked against its schema, errors naming the file, the line
// and the key. Apart from index.ts so that a run with no file loads neither parser nor schemas.

import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isMap, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { ruleById, RULES, type RuleSettings } from '../analysis/registry.js';
import { ConfigError, DEFAULT_EMAIL, emptyConfig, FAIL_ON, SEVERITIES, type Config } from './index.js';

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

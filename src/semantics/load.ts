// Loading rules/*.yaml (written by people) and rules/*.json (generated: kernel-mined.json): parse,
// validate with the schema, and name the file and line of any error.

import { readFileSync, existsSync } from 'node:fs';
import { join, basename } from 'node:path';
import { parseDocument, LineCounter, isNode } from 'yaml';
import { FunctionFacts, RuleFile } from './schema.js';
import { RuleError } from './errors.js';
import type { LoadedRuleFile } from './files.js';
import { compileRules, ruleFileNames } from './cache.js';
import { DEFAULT_RULES_DIR } from './where.js';
import { Semantics } from './index.js';

export { RuleError } from './errors.js';
export type { LoadedRuleFile } from './files.js';
export { DEFAULT_RULES_DIR } from './where.js';

/** Parse and validate one rule file's text; errors name `path:line`. */
export function parseRuleText(text: string, path: string): RuleFile {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const { line } = lc.linePos(e.pos[0]);
    throw new RuleError(`${path}:${line}: YAML error: ${e.message.split('\n')[0]}`);
  }
  const parsed = RuleFile.safeParse(doc.toJS());
  if (parsed.success) return parsed.data;
  const msgs = parsed.error.issues.slice(0, 5).map((issue) => {
    // Walk to the deepest node that exists to find the line.
    let line = 1;
    for (let n = issue.path.length; n >= 0; n--) {
      const node = doc.getIn(issue.path.slice(0, n) as (string | number)[], true);
      if (isNode(node) && node.range) {
        line = lc.linePos(node.range[0]).line;
        break;
      }
    }
    return `${path}:${line}: ${issue.path.join('.') || '(top)'}: ${issue.message}`;
  });
  throw new RuleError(msgs.join('\n'));
}

/**
 * A generated rule file in JSON: everything but `functions` is checked now; each function's entry
 * when it is first looked up (`Semantics.functionFacts`), naming the file and the function.
 */
export function parseRuleJson(text: string, path: string): LoadedRuleFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    // V8 says where only sometimes: JSON is YAML, whose parser always does (slow, but only here).
    const pos = /position (\d+)/.exec(msg);
    let line = pos ? text.slice(0, Number(pos[1])).split('\n').length : 1;
    if (!pos) {
      const lc = new LineCounter();
      const err = parseDocument(text, { lineCounter: lc, prettyErrors: false }).errors[0];
      if (err) line = lc.linePos(err.pos[0]).line;
    }
    throw new RuleError(`${path}:${line}: JSON error: ${msg}`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new RuleError(`${path}:1: (top): expected an object`);
  const { functions, ...rest } = raw as Record<string, unknown>;
  if (functions !== undefined && (!functions || typeof functions !== 'object' || Array.isArray(functions)))
    throw new RuleError(`${path}:1: functions: expected an object of function entries`);
  const parsed = RuleFile.safeParse(rest);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new RuleError(`${path}:1: ${issue.path.join('.') || '(top)'}: ${issue.message}`);
  }
  return {
    path,
    rules: parsed.data,
    unchecked: (functions as Record<string, unknown> | undefined) ?? {},
    checkEntry: (name, raw) => checkFunction(path, name, raw),
  };
}

/** One mined function's entry, checked against the schema; the error names the file and the function. */
function checkFunction(path: string, name: string, raw: unknown): FunctionFacts {
  const r = FunctionFacts.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw new RuleError(`${path}: functions.${name}${issue.path.length ? `.${issue.path.join('.')}` : ''}: ${issue.message}`);
}

/** A directory's rule files, loaded and checked, and how to compile them for the cache (every function entry checked now). */
export function compileRuleDir(dir: string): { files: LoadedRuleFile[]; compile: (key: string) => Buffer } {
  const files = loadRuleDir(dir);
  return {
    files,
    compile: (key) =>
      compileRules(key, files, (f, name, raw) => {
        try {
          return { facts: checkFunction(f.path, name, raw) };
        } catch (e) {
          if (e instanceof RuleError) return { error: e.message };
          throw e;
        }
      }),
  };
}

/** The semantics of a rules directory (default: the bundled one), loaded and checked now. */
export function loadSemanticsDir(dir?: string): Semantics {
  return new Semantics(loadRuleDir(dir));
}

let shared: Semantics | null = null;
/** The semantics from the bundled rules/ directory, loaded once per process. */
export function defaultSemantics(): Semantics {
  shared ??= loadSemanticsDir();
  return shared;
}

/** Load every *.yaml and generated *.json in a directory (kernel.yaml first, then by name). */
export function loadRuleDir(dir: string = DEFAULT_RULES_DIR): LoadedRuleFile[] {
  if (!existsSync(dir)) throw new RuleError(`rules directory not found: ${dir}`);
  // File system errors name the file, as a rule error does (a directory named x.yaml, no permission).
  const fsError = (path: string, e: unknown): RuleError => new RuleError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  let files: string[];
  try {
    files = ruleFileNames(dir);
  } catch (e) {
    throw fsError(dir, e);
  }
  return files.map((f) => {
    const path = `${basename(dir)}/${f}`;
    let text: string;
    try {
      text = readFileSync(join(dir, f), 'utf8');
    } catch (e) {
      throw fsError(path, e);
    }
    return f.endsWith('.json') ? parseRuleJson(text, path) : { path, rules: parseRuleText(text, path) };
  });
}

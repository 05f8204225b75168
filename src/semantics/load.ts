// Loading rules/*.yaml (written by people) and rules/*.json (generated: kernel-mined.json): parse,
// validate with the schema, and name the file and line of any error.

import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, basename } from 'node:path';
import { PACKAGE_ROOT } from '../paths.js';
import { parseDocument, LineCounter, isNode } from 'yaml';
import { RuleFile } from './schema.js';

/** The bundled rules/ at the package root. */
export const DEFAULT_RULES_DIR = join(PACKAGE_ROOT, 'rules');

export class RuleError extends Error {}

export interface LoadedRuleFile {
  path: string;
  rules: RuleFile;
  /**
   * A generated file's `functions`, checked against the schema one by one when first looked up
   * (tens of thousands of entries: checking them all would be most of every run's start-up).
   */
  unchecked?: Record<string, unknown>;
}

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
  return { path, rules: parsed.data, unchecked: (functions as Record<string, unknown> | undefined) ?? {} };
}

/** Load every *.yaml and generated *.json in a directory (kernel.yaml first, then by name). */
export function loadRuleDir(dir: string = DEFAULT_RULES_DIR): LoadedRuleFile[] {
  if (!existsSync(dir)) throw new RuleError(`rules directory not found: ${dir}`);
  // File system errors name the file, as a rule error does (a directory named x.yaml, no permission).
  const fsError = (path: string, e: unknown): RuleError => new RuleError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw fsError(dir, e);
  }
  const files = names
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml') || f.endsWith('.json'))
    .sort((a, b) => (a.startsWith('kernel.') ? -1 : b.startsWith('kernel.') ? 1 : a.localeCompare(b)));
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

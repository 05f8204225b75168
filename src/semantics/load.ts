// Loading rules/*.yaml: parse, validate with the schema, and name the file and line of any error.

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

/** Load every *.yaml in a directory (kernel.yaml first, then by name). */
export function loadRuleDir(dir: string = DEFAULT_RULES_DIR): LoadedRuleFile[] {
  if (!existsSync(dir)) throw new RuleError(`rules directory not found: ${dir}`);
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort((a, b) => (a.startsWith('kernel.') ? -1 : b.startsWith('kernel.') ? 1 : a.localeCompare(b)));
  return files.map((f) => {
    const path = join(dir, f);
    return { path: `${basename(dir)}/${f}`, rules: parseRuleText(readFileSync(path, 'utf8'), `${basename(dir)}/${f}`) };
  });
}

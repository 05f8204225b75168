// `kreview rules`: the registry as a table (text), as data (json, with the message templates,
// help and CWEs), or as the Markdown table the README carries (a test keeps them equal).

import { RULES } from '../analysis/registry.js';

export const RULE_FORMATS = ['text', 'json', 'markdown'] as const;

const cwe = (ids: number[]): string => ids.map((i) => `CWE-${i}`).join(', ');

/** The README's rule table: one row per rule, in report order. */
export function ruleTableMarkdown(): string {
  const rows = RULES.map((r) => `| \`${r.id}\` | ${r.severity} | ${r.kind} | ${r.summary} | ${cwe(r.cwe)} |`);
  return ['| rule | severity | kind | what | CWE |', '|---|---|---|---|---|', ...rows].join('\n') + '\n';
}

export function renderRules(format: (typeof RULE_FORMATS)[number]): string {
  if (format === 'json') return JSON.stringify({ rules: RULES }, null, 1) + '\n';
  if (format === 'markdown') return ruleTableMarkdown();
  const w = Math.max(...RULES.map((r) => r.id.length));
  const out = RULES.map((r) => `${r.id.padEnd(w)}  ${r.severity.padEnd(7)}  ${r.kind.padEnd(5)}  ${r.summary}`);
  return out.join('\n') + '\n';
}

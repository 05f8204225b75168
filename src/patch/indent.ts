// Indentation damage of a patch's C text: indentation stripped by an archive or mailer (every line at
// the left margin, or one space left), or tabs turned into spaces. The text is kept as it is (the
// source stage reads both); the damage is recorded so that later stages know not to trust columns.

import type { FilePatch } from './types.js';

const isC = (f: FilePatch): boolean => f.path === null || /\.(?:c|h)$/.test(f.path);
const STATEMENT = /^(?:return\b|if\s*\(|for\s*\(|while\s*\(|goto\s|break;|continue;|else\b|switch\s*\()/;

export function indentDamage(files: readonly FilePatch[]): string[] {
  let nonBlank = 0;
  let indented = 0;
  let tabs = 0;
  let spaceIndented = 0;
  let statementsAtMargin = 0;
  for (const f of files) {
    if (!isC(f)) continue;
    for (const h of f.hunks) {
      for (const l of h.lines) {
        const t = l.text;
        if (!t.trim()) continue;
        nonBlank++;
        if (t.startsWith('\t')) {
          tabs++;
          indented++;
        } else if (/^ {2,}/.test(t)) {
          indented++;
          spaceIndented++;
        }
        if (STATEMENT.test(t.replace(/^ /, ''))) {
          if (!/^(?:\t| {2,})/.test(t)) statementsAtMargin++;
        }
      }
    }
  }
  const out: string[] = [];
  if (nonBlank >= 3 && statementsAtMargin > 0 && indented <= nonBlank * 0.1) out.push('whitespace-stripped');
  else if (tabs === 0 && spaceIndented >= 3) out.push('tabs-expanded');
  return out;
}

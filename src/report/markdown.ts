// Markdown: the body of a pull-request review and of a job summary. What the change introduced
// comes first, in full (code line, Smatch line, trace, witness); then what it fixed, crediting the
// patch; then what was already there, folded away.

import type { Finding } from '../analysis/types.js';
import { patchOf, verdictLine, type RunDocument } from './document.js';
import { findingLocation, formatFinding, formatTrace, formatWitness } from './smatch.js';

export const ICON: Record<Finding['severity'], string> = { error: ':x:', warning: ':warning:', info: ':information_source:' };

/** Text that may hold Markdown or HTML (messages, subjects from mail): shown as written. */
export function mdEscape(s: string): string {
  return s
    .replace(/[\\`*_[\]|~]/g, '\\$&')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/** A code span that no backtick inside can end. */
export function codeSpan(s: string): string {
  const ticks = '`'.repeat(Math.max(0, ...(s.match(/`+/g) ?? []).map((m) => m.length)) + 1);
  return ticks.length > 1 ? `${ticks} ${s} ${ticks}` : `\`${s}\``;
}

/** A fenced block whose fence no line of the content can close. */
export function fence(lines: string[], lang = ''): string {
  const longest = Math.max(2, ...lines.map((l) => Math.max(0, ...(l.match(/`+/g) ?? []).map((m) => m.length))));
  const f = '`'.repeat(longest + 1);
  return [`${f}${lang}`, ...lines, f].join('\n');
}

/** The finding's own line from its snippet, as the code has it. */
function codeLine(f: Finding): string | null {
  const l = f.snippet.find((s) => s.line === f.line);
  return l ? `${String(l.line).padStart(5)} | ${l.text}` : null;
}

export function patchTitle(doc: RunDocument, f: Finding): string | null {
  const p = patchOf(doc, f.patch);
  const title = p ? p.patch.subject || p.message?.subject || p.patch.id : null;
  // A pull request reviewed commit by commit: the commit and its subject, as git log --oneline has them
  // (without the [PATCH n/N] that format-patch put there).
  return f.commit ? `${f.commit.slice(0, 12)}${title ? ` ${title.replace(/^\[PATCH[^\]]*\]\s*/, '')}` : ''}` : title;
}

/** An introduced finding in full: heading, patch, code line, Smatch line, path, witness, facts. */
export function introducedBlock(doc: RunDocument, f: Finding): string {
  const out: string[] = [];
  out.push(`#### ${ICON[f.severity]} ${f.severity}: \`${f.rule}\` in \`${f.function}()\` at ${codeSpan(findingLocation(f))}`);
  const title = patchTitle(doc, f);
  if (title) out.push('', `Introduced by: ${mdEscape(title)}`);
  const code = codeLine(f);
  if (code) out.push('', fence([code], 'c'));
  out.push('', fence([formatFinding(f, { details: false })]));
  if (f.trace.length) out.push('', '<details open><summary>Path</summary>', '', fence(formatTrace(f)), '', '</details>');
  if (f.witness) out.push('', fence(formatWitness(f)));
  if (f.facts.length) out.push('', '<details><summary>Rests on</summary>', '', ...f.facts.map((x) => `- ${mdEscape(x)}`), '', '</details>');
  out.push('', `<sub>${f.confidence} confidence · fingerprint \`${f.fingerprint}\`</sub>`);
  return out.join('\n');
}

/** A fixed finding in one list item, crediting the patch. */
export function fixedLine(doc: RunDocument, f: Finding): string {
  const title = patchTitle(doc, f);
  const by = title ? ` — fixed by ${mdEscape(title)}` : '';
  return `- :white_check_mark: \`${f.rule}\` in \`${f.function}()\` (${codeSpan(findingLocation(f))}): ${mdEscape(f.message)}${by}`;
}

export function renderMarkdown(doc: RunDocument): string {
  const out: string[] = [];
  const s = doc.summary;
  out.push(`## kreview: ${verdictLine(s)}`);
  const what =
    doc.command === 'scan'
      ? `${doc.patches.length} patch${doc.patches.length === 1 ? '' : 'es'} from ${doc.messages.length} message${doc.messages.length === 1 ? '' : 's'}`
      : `${doc.files.length} file${doc.files.length === 1 ? '' : 's'}`;
  out.push('', `<sub>kreview ${doc.tool.version} · ${what} · \`kreview ${doc.invocation.args.join(' ')}\`</sub>`);
  const introduced = doc.findings.filter((f) => f.status === 'introduced' && !f.baseline);
  const fixed = doc.findings.filter((f) => f.status === 'fixed' && !f.baseline);
  const known = doc.findings.filter((f) => f.status === 'present' || f.baseline);
  if (introduced.length) {
    out.push('', `### Introduced (${introduced.length})`);
    for (const f of introduced) out.push('', introducedBlock(doc, f));
  }
  if (fixed.length) {
    out.push('', `### Fixed (${fixed.length})`, '');
    for (const f of fixed) out.push(fixedLine(doc, f));
  }
  if (known.length) {
    const base = known.filter((f) => f.baseline).length;
    const label = `${known.length} already present${base ? ` (${base} in the baseline)` : ''}`;
    out.push('', `<details><summary>${label}</summary>`, '', fence(known.map((f) => formatFinding(f, { details: false }))), '', '</details>');
  }
  const problems = [
    ...doc.inputs.flatMap((i) => i.errors),
    ...doc.messages.filter((m) => m.status === 'error').map((m) => m.error ?? `${m.input}#${m.index}: error`),
    ...doc.files.filter((f) => f.status === 'unreadable' || f.status === 'failed').map((f) => `${f.path}: ${f.reason ?? 'cannot read'}`),
  ];
  if (problems.length)
    out.push(
      '',
      `<details><summary>${problems.length} input${problems.length === 1 ? '' : 's'} not read</summary>`,
      '',
      ...problems.map((p) => `- ${mdEscape(p)}`),
      '',
      '</details>',
    );
  if (doc.notes.length)
    out.push(
      '',
      `<details><summary>${doc.notes.length} note${doc.notes.length === 1 ? '' : 's'}</summary>`,
      '',
      ...doc.notes.map((n) => `- ${mdEscape(n)}`),
      '',
      '</details>',
    );
  return out.join('\n') + '\n';
}

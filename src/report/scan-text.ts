// Text output of `kreview scan`: one block per message (subject, series position, the patches found
// with their files and the functions they touch, or why nothing was found), then the findings in
// Smatch's shape, then what every input gave.

import pc from 'picocolors';
import type { MessageEntry, PatchEntry, PatchFileEntry, ScanDocument } from '../pipeline.js';
import { formatFinding } from './smatch.js';
import { summarize, verdictLine } from './document.js';

const plural = (n: number, w: string, ws = `${w}s`): string => `${n} ${n === 1 ? w : ws}`;

/** `[v2 38/65]`, `[v2 cover, 65 patches]`, `[reply to 2/3]`, `[v3]`; '' for mail outside any series. */
export function seriesPosition(s: MessageEntry['series']): string {
  if (!s) return '';
  const v = s.version > 1 ? `v${s.version}` : '';
  const pos = s.number !== null ? `${s.number}/${s.total ?? '?'}` : '';
  if (s.reply) return pos || v ? `[reply to ${[v, pos].filter(Boolean).join(' ')}]` : '';
  if (s.cover) return `[${[v, `cover${s.total ? `, ${plural(s.total, 'patch', 'patches')}` : ''}`].filter(Boolean).join(' ')}]`;
  const parts = [v, pos].filter(Boolean);
  return parts.length ? `[${parts.join(' ')}]` : '';
}

function kindText(p: PatchEntry): string {
  const where = p.from === 'body' ? '' : `, from attachment ${p.from.attachment ?? '(unnamed)'}`;
  const depth = p.quoteDepth > 0 ? `, quoted at depth ${p.quoteDepth}` : '';
  const what = { diff: 'diff', quoted: 'quoted diff', fragment: 'fragment (no diff header)', code: 'quoted code with line numbers' }[p.kind];
  return `${what}${depth}${where}, body line ${p.bodyLine}`;
}

function fileText(f: PatchFileEntry): string {
  const path = f.path ?? '<unknown file>';
  const status: string[] = [];
  if (f.status === 'added') status.push('new file');
  else if (f.status === 'deleted') status.push('deleted');
  else if (f.status === 'renamed') status.push(`renamed from ${f.oldPath}`);
  else if (f.status === 'copied') status.push(`copied from ${f.oldPath}`);
  if (f.binary) status.push('binary');
  const head = `${path}${status.length ? ` (${status.join(', ')})` : ''}`;
  const hunks = f.binary ? '' : ` ${plural(f.hunks.length, 'hunk')}`;
  let fns: string;
  if (f.functions.length) fns = `: ${f.functions.join(', ')}`;
  else if (f.binary || !f.hunks.length) fns = '';
  else if (f.path !== null && !/\.(?:c|h)$/.test(f.path)) fns = ' (not C)';
  else fns = ': no function body in the hunks';
  return `${head}${hunks}${fns}`;
}

function messageBlock(m: MessageEntry, patchById: Map<string, PatchEntry>, out: string[]): void {
  const pos = seriesPosition(m.series);
  const file = m.file ? ` (${m.file})` : '';
  out.push(`${pc.bold(`${m.input}#${m.index}`)}${file}${pos ? ` ${pos}` : ''} ${m.subject || '(no subject)'}`);
  if (m.from || m.date) out.push(`  from ${m.from || '(unknown)'}${m.date ? `, ${m.date}` : ''}`);
  // What was wrong with the message as read (NUL bytes, bare-CR line ends, MIME nested too deep).
  if (m.damage.length) out.push(`  damage: ${m.damage.join(', ')}`);
  if (m.status === 'error') {
    out.push(`  ${pc.red('error')}: ${m.error}`);
    return;
  }
  if (m.status === 'no-patch') out.push(`  no patch: ${m.note ?? 'no diff, quoted diff or code found'}`);
  m.patches.forEach((id, k) => {
    const p = patchById.get(id);
    if (!p) return;
    const subj = p.subject && p.subject !== m.subject ? ` "${p.subject}"` : '';
    out.push(`  patch ${k + 1}: ${kindText(p)}${subj}`);
    const damage = p.damage.filter((d) => d !== 'attachment'); // said above
    if (damage.length) out.push(`    damage: ${damage.join(', ')}`);
    if (p.baseCommit) out.push(`    base-commit ${p.baseCommit.slice(0, 12)}`);
    for (const f of p.files) out.push(`    ${fileText(f)}`);
    if (p.comments.length) out.push(`    ${plural(p.comments.length, 'reviewer comment')} between the quoted lines`);
  });
  if (m.status === 'ok' && m.note) out.push(`  note: ${m.note}`);
}

export function formatScanText(doc: ScanDocument): string {
  const out: string[] = [];
  const patchById = new Map(doc.patches.map((p) => [p.id, p]));
  for (const m of doc.messages) messageBlock(m, patchById, out);
  const multi = doc.series.filter((s) => s.versions.length > 1 || s.versions.some((v) => v.messages.length > 1));
  if (multi.length) {
    out.push('', 'series:');
    for (const s of multi) {
      const vs = s.versions.map(
        (v) => `v${v.version}: ${plural(v.messages.length, 'message')}${v.replies.length ? ` + ${plural(v.replies.length, 'reply', 'replies')}` : ''}`,
      );
      out.push(`  ${s.title} (${s.author}): ${vs.join('; ')}`);
    }
  }
  if (doc.findings.length) out.push('');
  for (const f of doc.findings) out.push(formatFinding(f));
  for (const n of doc.notes) out.push(`note: ${n}`);
  out.push('');
  for (const i of doc.inputs) {
    out.push(`${i.path}: ${i.kind}${i.format ? ` (${i.format})` : ''}, ${plural(i.messages, 'message')}`);
    for (const e of i.errors) out.push(`  ${pc.red('error')}: ${e}`);
    for (const s of i.skipped) out.push(`  skipped ${s.item}: ${s.reason}`);
  }
  const none = doc.messages.filter((m) => m.status === 'no-patch').length;
  const errors = doc.messages.filter((m) => m.status === 'error').length;
  out.push(
    `${plural(doc.messages.length, 'message')} (${errors ? `${errors} with errors, ` : ''}${none} without a patch), ${plural(doc.patches.length, 'patch', 'patches')}, ${plural(doc.findings.length, 'finding')}${doc.findings.length ? `: ${verdictLine(summarize(doc.findings))}` : ''}`,
  );
  return out.join('\n') + '\n';
}

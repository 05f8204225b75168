// Text output of `kreview scan`: one block per message, then the findings in Smatch's shape.

import pc from 'picocolors';
import type { ScanDocument } from '../pipeline.js';
import { formatFinding } from './smatch.js';

export function formatScanText(doc: ScanDocument): string {
  const out: string[] = [];
  const patchById = new Map(doc.patches.map((p) => [p.id, p]));
  for (const m of doc.messages) {
    const pos = m.series && m.series.number !== null ? ` [${m.series.number}/${m.series.total ?? '?'}${m.series.version > 1 ? ` v${m.series.version}` : ''}]` : '';
    out.push(`${pc.bold(`${m.input}#${m.index}`)}${pos} ${m.subject || '(no subject)'}`);
    if (m.status === 'error') {
      out.push(`  ${pc.red('error')}: ${m.error}`);
    } else if (m.status === 'no-patch') {
      out.push(`  no patch: ${m.note ?? 'no diff, quoted diff or code found'}`);
    }
    for (const id of m.patches) {
      const p = patchById.get(id);
      if (!p) continue;
      const dmg = p.damage.length ? ` (${p.damage.join(', ')})` : '';
      out.push(`  ${p.kind}${dmg}`);
      for (const f of p.files) {
        const fns = f.functions.length ? `: ${f.functions.join(', ')}` : '';
        out.push(`    ${f.path ?? '<unknown file>'} ${f.hunks.length} hunk${f.hunks.length === 1 ? '' : 's'}${fns}`);
      }
    }
  }
  for (const i of doc.inputs) {
    for (const e of i.errors) out.push(`${pc.red('error')}: ${e}`);
    for (const s of i.skipped) out.push(`skipped ${s.item}: ${s.reason}`);
  }
  if (doc.findings.length) out.push('');
  for (const f of doc.findings) out.push(formatFinding(f));
  for (const n of doc.notes) out.push(`note: ${n}`);
  const counts = doc.inputs.map((i) => `${i.path}: ${i.kind}, ${i.messages} message${i.messages === 1 ? '' : 's'}`);
  out.push('', ...counts, `${doc.patches.length} patch${doc.patches.length === 1 ? '' : 'es'}, ${doc.findings.length} finding${doc.findings.length === 1 ? '' : 's'}`);
  return out.join('\n') + '\n';
}

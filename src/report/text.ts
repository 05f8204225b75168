// Text output: for scan, the messages and patches read, then the findings in Smatch's shape; for
// check, the findings, the notes and what every file gave.

import type { RunDocument } from './document.js';
import { formatScanText } from './scan-text.js';
import { formatFinding } from './smatch.js';

const plural = (n: number, w: string): string => `${n} ${w}${n === 1 ? '' : 's'}`;

export function renderText(doc: RunDocument): string {
  if (doc.command === 'scan') return formatScanText(doc);
  const out: string[] = [];
  for (const f of doc.findings) out.push(formatFinding(f));
  for (const n of doc.notes) out.push(`note: ${n}`);
  for (const f of doc.files) if (f.status !== 'ok') out.push(`${f.path}: ${f.status}${f.reason ? `: ${f.reason}` : ''}`);
  const ok = doc.files.filter((f) => f.status === 'ok');
  const fns = ok.reduce((a, f) => a + f.functions, 0);
  const base = doc.summary.baseline ? ` (${doc.summary.baseline} in the baseline)` : '';
  out.push(`${plural(ok.length, 'file')}, ${fns} functions, ${plural(doc.findings.length, 'finding')}${base}`);
  return out.join('\n') + '\n';
}

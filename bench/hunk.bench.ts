// Hunk mode against tree mode on real patches: most patches on the lists are reviewed without a
// tree, so where the hunks show a whole function, the review from the hunks alone must say what the
// review with the tree says. Reviews each patch twice (with the tree's pre-images, and from its
// hunks only) and counts, over the tree-mode warnings and errors whose function the hunks show
// completely, how many hunk mode reports too (same rule, function and status). Issue 15 wants 80%.
//
// The patches are the stable fixes `../shared/kernel/stable-patches.sh OLD NEW OUT` writes (OUT has
// patches/ and tree.git): KREVIEW_STABLE=OUT; skipped with a message without them. A sample of
// KREVIEW_HUNK_SAMPLE patches (default 300), spread evenly over the set.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchResult } from './run.js';
import { scanMessages } from '../src/pipeline.js';
import { reviewPatches, type PatchReview } from '../src/review.js';
import { defaultSemantics } from '../src/semantics/load.js';
import type { Finding } from '../src/analysis/types.js';

const serious = (f: Finding): boolean => f.severity === 'error' || f.severity === 'warning';
const key = (f: Finding): string => `${f.rule}\0${f.file}\0${f.function}\0${f.status}`;

/** Does the hunk-mode review show the finding's function whole, on the side the finding is on? */
function shownWhole(r: PatchReview, f: Finding): boolean {
  const side = f.status === 'fixed' ? r.pre : r.post;
  const fns = side.filter((fn) => fn.name === f.function && (!f.file || fn.file === f.file));
  return fns.length > 0 && fns.every((fn) => fn.meta.completeness === 'full' && fn.meta.entryKnown && fn.meta.exitKnown);
}

export async function run(): Promise<BenchResult[]> {
  const dir = process.env.KREVIEW_STABLE;
  if (!dir || !existsSync(join(dir, 'patches')) || !existsSync(join(dir, 'tree.git'))) {
    console.log('hunk: skipped: set KREVIEW_STABLE to the OUT directory of ../shared/kernel/stable-patches.sh OLD NEW OUT');
    return [];
  }
  const all = readdirSync(join(dir, 'patches'))
    .filter((f) => f.endsWith('.patch'))
    .sort();
  const n = Math.min(all.length, Number(process.env.KREVIEW_HUNK_SAMPLE ?? 300));
  const sample = Array.from({ length: n }, (_, i) => all[Math.floor((i * all.length) / n)]!);
  const sem = defaultSemantics();
  let comparable = 0;
  let agreed = 0;
  let partial = 0;
  let hunkOnly = 0;
  const misses: string[] = [];
  for (const p of sample) {
    const scanned = await scanMessages([join(dir, 'patches', p)]);
    if (!scanned.patches.length) continue;
    const tree = await reviewPatches(scanned.patches, { sem, tree: join(dir, 'tree.git') });
    const hunks = await reviewPatches(scanned.patches, { sem });
    for (let i = 0; i < tree.length; i++) {
      const t = tree[i]!;
      const h = hunks[i];
      if (!h) continue;
      const said = new Set(h.findings.filter(serious).map(key));
      const treeSaid = new Set(t.findings.filter(serious).map(key));
      for (const f of t.findings.filter(serious)) {
        if (!shownWhole(h, f)) {
          partial++;
          continue;
        }
        comparable++;
        if (said.has(key(f))) agreed++;
        else misses.push(`${p} ${f.file}:${f.line} ${f.function}() ${f.rule} ${f.status}`);
      }
      hunkOnly += [...said].filter((k) => !treeSaid.has(k)).length;
    }
  }
  for (const m of misses.slice(0, 10)) console.log(`hunk: tree mode only: ${m}`);
  return [
    {
      name: `hunk mode agrees with tree mode (${sample.length} stable patches)`,
      value: comparable ? (100 * agreed) / comparable : 100,
      unit: '%',
      target: { op: '>=', value: 80 },
      note: `${agreed} of ${comparable} tree-mode findings in functions the hunks show whole; ${partial} more in functions shown in part; ${hunkOnly} said by hunk mode only`,
    },
  ];
}

// `kreview check` on real kernel code (a linux-source tree from ../shared/kernel/fetch.sh; skipped
// with a message without one): lines per second on one core and the ratio to the raw tree-sitter
// parse, in this process; then the real command on every core, and its peak memory with one thread
// on 20 and on 200 copies of one real file (flat: per-file work is released).
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BenchResult } from './run.js';
import { parseC } from '../src/c/parser.js';
import { checkFile } from '../src/review.js';
import { defaultSemantics } from '../src/semantics/load.js';
import { defaultJobs } from '../src/workers/pool.js';
import { buildDist, cFiles, kernelTree, NO_TREE, timedKreview } from './support/kernel.js';

const DIRS = ['drivers/md', 'fs/ext4'];

export async function run(): Promise<BenchResult[]> {
  const tree = kernelTree();
  if (!tree) {
    console.log(`real: skipped: ${NO_TREE}`);
    return [];
  }
  const sem = defaultSemantics();
  await parseC('int warm_up;');
  const rows: BenchResult[] = [];
  for (const dir of DIRS) {
    const files = cFiles(join(tree, dir)).map((path) => ({ path, text: readFileSync(path, 'utf8') }));
    const lines = files.reduce((n, f) => n + f.text.split('\n').length, 0);
    let t = performance.now();
    for (const f of files) (await parseC(f.text)).delete();
    const parseMs = performance.now() - t;
    t = performance.now();
    let findings = 0;
    for (const f of files) findings += (await checkFile(f.path, f.text, { sem })).findings.length;
    const checkMs = performance.now() - t;
    rows.push(
      {
        name: `real ${dir}: check, one core (${lines} lines)`,
        value: lines / (checkMs / 1000),
        unit: 'lines/s',
        target: { op: '>=', value: 25_000 },
        note: `${files.length} files, ${findings} findings`,
      },
      { name: `real ${dir}: check time / raw parse time`, value: checkMs / parseMs, unit: 'x', target: { op: '<=', value: 3 } },
    );
  }
  buildDist();
  const md = join(tree, 'drivers/md');
  const mdLines = cFiles(md).reduce((n, p) => n + readFileSync(p, 'utf8').split('\n').length, 0);
  const report = join(tmpdir(), `kreview-real-${process.pid}.json`);
  const all = timedKreview(['check', md], report);
  rows.push({
    name: `real drivers/md: kreview check, every core (${defaultJobs()} workers)`,
    value: mdLines / (all.ms / 1000),
    unit: 'lines/s',
    target: { op: '>=', value: 25_000 * availableParallelism() },
    note: `${(all.ms / 1000).toFixed(1)} s, peak ${all.peakMb.toFixed(0)} MB`,
  });
  // Flat memory: the same real file 20 and 200 times (in a copy of its directory, so its headers
  // resolve): what grows with the number of files is what a file's work did not release.
  const seed = join(tree, 'fs/netfs/write_issue.c');
  const peak = (n: number): number => {
    const dir = mkdtempSync(join(tree, 'fs/netfs/.kreview-bench-'));
    try {
      for (let i = 0; i < n; i++) copyFileSync(seed, join(dir, `copy${i}.c`));
      return timedKreview(['check', dir, '--jobs', '1'], report).peakMb;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const few = peak(20);
  const many = peak(200);
  rmSync(report, { force: true });
  rows.push(
    { name: 'real: peak memory, check --jobs 1 of 20 files', value: few, unit: 'MB' },
    { name: 'real: peak memory, check --jobs 1 of 200 files', value: many, unit: 'MB' },
    { name: 'real: peak memory, 200 files / 20 files', value: many / few, unit: 'x', target: { op: '<=', value: 1.5 } },
  );
  return rows;
}

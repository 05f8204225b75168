// `kreview check` speed on the generated 100k-line corpus of ir.bench.ts: the whole path of a
// checked file (source unit, front end, every engine and race check) on one core, its ratio to
// the raw tree-sitter parse, and the same with the race checks off (issue 5 wants races to cost
// at most 1.5x).
import { performance } from 'node:perf_hooks';
import type { BenchResult } from './run.js';
import { corpus } from './ir.bench.js';
import { parseC } from '../src/c/parser.js';
import { lowerUnit } from '../src/c/index.js';
import { analyzeSide } from '../src/analysis/index.js';
import { checkFile } from '../src/review.js';
import { wholeFileUnit } from '../src/source/index.js';
import { defaultSemantics } from '../src/semantics/load.js';

/** Best of `n` runs: the bench measures the code, not the machine's noise. */
async function best(n: number, f: () => Promise<number>): Promise<{ ms: number; out: number }> {
  let ms = Infinity;
  let out = 0;
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    out = await f();
    ms = Math.min(ms, performance.now() - t);
  }
  return { ms, out };
}

export async function run(): Promise<BenchResult[]> {
  const files = corpus();
  const lines = files.reduce((n, f) => n + f.split('\n').length, 0);
  const sem = defaultSemantics();
  await parseC('int warm_up;');
  // Warm the JIT on one file so the first timed pass is not the compiler's.
  await checkFile('bench/warm.c', files[0]!, { sem });

  const parse = await best(3, async () => {
    for (const text of files) (await parseC(text)).delete();
    return 0;
  });

  const all = await best(3, async () => {
    let findings = 0;
    for (let i = 0; i < files.length; i++) findings += (await checkFile(`bench/gen${i}.c`, files[i]!, { sem })).findings.length;
    return findings;
  });

  const noRaces = await best(3, async () => {
    let findings = 0;
    for (let i = 0; i < files.length; i++) {
      const fns = await lowerUnit(await wholeFileUnit(`bench/gen${i}.c`, files[i]!), sem);
      findings += analyzeSide(fns, sem, { races: false }).findings.length;
    }
    return findings;
  });

  const rate = (ms: number): number => lines / (ms / 1000);
  return [
    {
      name: `kreview check, all checks (${lines} lines)`,
      value: rate(all.ms),
      unit: 'lines/s',
      target: { op: '>=', value: 20_000 },
      note: `${all.out} findings`,
    },
    { name: 'kreview check time / raw parse time', value: all.ms / parse.ms, unit: 'x' },
    { name: 'kreview check, race checks off', value: rate(noRaces.ms), unit: 'lines/s', note: `${noRaces.out} findings` },
    { name: 'races on / races off', value: all.ms / noRaces.ms, unit: 'x', target: { op: '<=', value: 1.5 } },
  ];
}

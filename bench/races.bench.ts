// Race analysis cost: `kreview check` throughput with the race checks on vs. the engine alone, on a
// generated 100k-line corpus of driver-style files where guards can be inferred (per-object locks,
// static helpers called under the lock, marked peeks, bit and counter decisions; one function in ten
// has a race), and whether the cost stays linear when the whole corpus is one input (the inference
// is global).
import { performance } from 'node:perf_hooks';
import type { BenchResult } from './run.js';
import { lowerUnit } from '../src/c/index.js';
import type { FunctionIR } from '../src/c/ir.js';
import { analyzeSide } from '../src/analysis/index.js';
import { defaultSemantics } from '../src/semantics/load.js';
import { rng } from '../test/support/rng.js';

const TARGET_LINES = 100_000;
const LINES_PER_FILE = 2_000;

function header(k: number): string[] {
  return [
    `// generated driver-style code for the race bench (file ${k})`,
    '#include <linux/spinlock.h>',
    '',
    `struct rb_req${k} { struct list_head node; int tag; };`,
    `struct rb_dev${k} {`,
    '\tspinlock_t lock;',
    '\tstruct list_head queue;',
    '\tunsigned int depth;',
    '\tunsigned int served;',
    '\tunsigned long state;',
    '\tatomic_t users;',
    '\tbool stopped;',
    '};',
    '',
  ];
}

/** One function of a few kinds: locked updates, helpers under the caller's lock, unlocked peeks and reads, decisions. */
function genFunction(r: () => number, k: number, i: number): string {
  const T = `struct rb_dev${k}`;
  const R = `struct rb_req${k}`;
  const out: string[] = [];
  const buggy = r() < 0.1;
  switch (Math.floor(r() * 8)) {
    case 0:
      out.push(`int rb${k}_submit_${i}(${T} *dev, ${R} *rq)`, '{', '\tunsigned long flags;', '');
      out.push(
        '\tspin_lock_irqsave(&dev->lock, flags);',
        '\tif (dev->stopped || dev->depth > 64) {',
        '\t\tspin_unlock_irqrestore(&dev->lock, flags);',
        '\t\treturn -EBUSY;',
        '\t}',
      );
      out.push('\tlist_add_tail(&rq->node, &dev->queue);', '\tdev->depth++;', '\tspin_unlock_irqrestore(&dev->lock, flags);', '\treturn 0;', '}');
      break;
    case 1:
      out.push(`static void __rb${k}_account_${i}(${T} *dev)`, '{', '\tdev->served++;', '\tdev->depth--;', '}', '');
      out.push(`${R} *rb${k}_next_${i}(${T} *dev)`, '{', `\t${R} *rq = NULL;`, '');
      out.push(
        '\tspin_lock(&dev->lock);',
        '\tif (!list_empty(&dev->queue)) {',
        `\t\trq = list_first_entry(&dev->queue, ${R}, node);`,
        '\t\tlist_del_init(&rq->node);',
        `\t\t__rb${k}_account_${i}(dev);`,
        '\t}',
        '\tspin_unlock(&dev->lock);',
        '\treturn rq;',
        '}',
      );
      break;
    case 2:
      // A marked peek; one in ten is a plain read that decides.
      out.push(`bool rb${k}_busy_${i}(${T} *dev)`, '{', buggy ? '\treturn dev->depth > 8;' : '\treturn READ_ONCE(dev->depth) > 8;', '}');
      break;
    case 3:
      // One in ten is the racy test-then-set.
      out.push(`void rb${k}_kick_${i}(${T} *dev)`, '{');
      if (buggy) out.push('\tif (test_bit(1, &dev->state))', '\t\treturn;', '\tset_bit(1, &dev->state);');
      else out.push('\tif (test_and_set_bit(1, &dev->state))', '\t\treturn;');
      out.push('\tspin_lock(&dev->lock);', '\tif (dev->depth == 0)', '\t\tdev->served = 0;', '\tspin_unlock(&dev->lock);', '}');
      break;
    case 4:
      out.push(`void rb${k}_put_${i}(${T} *dev)`, '{');
      if (buggy) out.push('\tif (atomic_read(&dev->users) == 1)', '\t\tdev->stopped = true;', '\tatomic_dec(&dev->users);', '}');
      else out.push('\tif (atomic_dec_and_test(&dev->users))', '\t\tkfree(dev);', '}');
      break;
    case 5:
      out.push(`void rb${k}_flush_${i}(${T} *dev, void (*done)(${R} *))`, '{', `\t${R} *rq, *tmp;`, '\tLIST_HEAD(batch);', '');
      if (buggy) out.push('\tif (list_empty(&dev->queue))', '\t\treturn;');
      out.push('\tspin_lock(&dev->lock);', '\tlist_splice_init(&dev->queue, &batch);', '\tdev->depth = 0;', '\tspin_unlock(&dev->lock);');
      out.push('\tlist_for_each_entry_safe(rq, tmp, &batch, node)', '\t\tdone(rq);', '}');
      break;
    case 6:
      out.push(`${T} *rb${k}_create_${i}(void)`, '{', `\t${T} *dev = kzalloc(sizeof(*dev), GFP_KERNEL);`, '', '\tif (!dev)', '\t\treturn NULL;');
      out.push('\tspin_lock_init(&dev->lock);', '\tINIT_LIST_HEAD(&dev->queue);', '\tdev->depth = 0;', '\tatomic_set(&dev->users, 1);', '\treturn dev;', '}');
      break;
    default:
      out.push(`void rb${k}_stop_${i}(${T} *dev)`, '{', '\tspin_lock(&dev->lock);', '\tdev->stopped = true;');
      if (buggy) out.push('\tspin_unlock(&dev->lock);', '\tdev->served = 0;', '}');
      else out.push('\tdev->served = 0;', '\tspin_unlock(&dev->lock);', '}');
  }
  out.push('');
  return out.join('\n');
}

export function corpus(): string[] {
  const r = rng(20250115);
  const files: string[] = [];
  let total = 0;
  for (let k = 0; total < TARGET_LINES; k++) {
    const parts = header(k);
    let lines = parts.length;
    for (let i = 0; lines < LINES_PER_FILE && total + lines < TARGET_LINES; i++) {
      const f = genFunction(r, k, i);
      parts.push(f);
      lines += f.split('\n').length;
    }
    files.push(parts.join('\n'));
    total += lines;
  }
  return files;
}

function time(f: () => number): { ms: number; findings: number } {
  const t = performance.now();
  const findings = f();
  return { ms: performance.now() - t, findings };
}

export async function run(): Promise<BenchResult[]> {
  const sem = defaultSemantics();
  const files = corpus();
  const lines = files.reduce((n, f) => n + f.split('\n').length, 0);
  const units: FunctionIR[][] = [];
  for (const text of files)
    units.push(await lowerUnit({ file: 'bench.c', side: 'post', origin: 'file', text, lineMap: text.split('\n').map((_, i) => i + 1), functions: [] }, sem));
  const perFile = (races: boolean) => () => units.reduce((n, fns) => n + analyzeSide(fns, sem, { races }).findings.length, 0);
  // The two settings file by file, in turn, so that a change of load on a shared machine hits both
  // alike; each file's fastest of five rounds, so that a collection or a neighbour's burst in one
  // round does not decide the ratio.
  const ROUNDS = 5;
  const unset = () => units.map(() => ({ ms: Infinity, findings: 0 }));
  const e = unset();
  const r = unset();
  const paired = (): void => {
    units.forEach((fns, i) => {
      const a = time(() => analyzeSide(fns, sem, { races: false }).findings.length);
      const b = time(() => analyzeSide(fns, sem, { races: true }).findings.length);
      if (a.ms < e[i]!.ms) e[i] = a;
      if (b.ms < r[i]!.ms) r[i] = b;
    });
  };
  const total = (xs: { ms: number; findings: number }[]) =>
    xs.reduce((s, x) => ({ ms: s.ms + x.ms, findings: s.findings + x.findings }), { ms: 0, findings: 0 });
  const all = units.flat();
  const tenth = units.slice(0, Math.max(1, Math.floor(units.length / 10))).flat();
  const oneInput = (fns: FunctionIR[]) => () => analyzeSide(fns, sem).findings.length;
  // Warm-up, then runs of the two settings taken in turn, the fastest of each (the machine may be shared).
  perFile(false)();
  const fastest = (fs: (() => number)[], rounds = 3): { ms: number; findings: number }[] => {
    const out = fs.map(() => ({ ms: Infinity, findings: 0 }));
    for (let i = 0; i < rounds; i++)
      fs.forEach((f, j) => {
        const t = time(f);
        if (t.ms < out[j]!.ms) out[j] = t;
      });
    return out;
  };
  for (let i = 0; i < ROUNDS; i++) paired();
  const engine = total(e);
  const races = total(r);
  const [whole, small] = fastest([oneInput(all), oneInput(tenth)]) as [{ ms: number; findings: number }, { ms: number; findings: number }];
  const smallLines = lines * (tenth.length / all.length);
  return [
    { name: `check, engine checks only (${lines} lines)`, value: lines / (engine.ms / 1000), unit: 'lines/s', note: `${engine.findings} findings` },
    { name: 'check, with the race checks', value: lines / (races.ms / 1000), unit: 'lines/s', note: `${races.findings} findings` },
    { name: 'race checks on: time / engine-only time', value: races.ms / engine.ms, unit: 'x', target: { op: '<=', value: 1.5 } },
    {
      name: 'one input: per-line time, all / a tenth',
      value: whole.ms / lines / (small.ms / smallLines),
      unit: 'x',
      target: { op: '<=', value: 1.5 },
      note: 'global inference stays linear',
    },
  ];
}

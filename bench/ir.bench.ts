// C front end speed: raw tree-sitter parse vs. the whole front end (pre-pass, parse, syntax copy,
// IR and CFG lowering) on a generated 100k-line kernel-style corpus (deterministic, in memory).
import { performance } from 'node:perf_hooks';
import type { BenchResult } from './run.js';
import { parseC } from '../src/c/parser.js';
import { lowerUnit } from '../src/c/index.js';
import { defaultSemantics } from '../src/semantics/load.js';
import type { CUnit } from '../src/source/types.js';
import { rng } from '../test/support/rng.js';

const TARGET_LINES = 100_000;
const LINES_PER_FILE = 2_000;

const LOCKS = [
  ['spin_lock_irqsave(&%->lock, flags);', 'spin_unlock_irqrestore(&%->lock, flags);'],
  ['spin_lock(&%->queue_lock);', 'spin_unlock(&%->queue_lock);'],
  ['mutex_lock(&%->mutex);', 'mutex_unlock(&%->mutex);'],
  ['down_read(&%->sem);', 'up_read(&%->sem);'],
  ['rcu_read_lock();', 'rcu_read_unlock();'],
];

function genFunction(r: () => number, i: number): string {
  const s = 'dev';
  const [lock, unlock] = LOCKS[Math.floor(r() * LOCKS.length)]!.map((x) => x.replace(/%/g, s)) as [string, string];
  const out: string[] = [];
  out.push(`static int bench_fn_${i}(struct bench_dev *${s}, struct bench_req *req, unsigned int n)`);
  out.push('{');
  out.push('\tstruct bench_item *item, *tmp;');
  out.push('\tunsigned long flags;');
  out.push('\tint ret = 0, k;');
  out.push('\tLIST_HEAD(done);');
  out.push('');
  out.push(`\tret = bench_prepare_${i % 17}(${s}, req);`);
  out.push('\tif (ret < 0)');
  out.push('\t\treturn ret;');
  out.push(`\t${lock}`);
  const body = 3 + Math.floor(r() * 5);
  for (let b = 0; b < body; b++) {
    switch (Math.floor(r() * 6)) {
      case 0:
        out.push(`\tlist_for_each_entry_safe(item, tmp, &${s}->pending, node) {`);
        out.push('\t\tif (test_bit(ITEM_BUSY, &item->flags))');
        out.push('\t\t\tcontinue;');
        out.push('\t\tlist_move_tail(&item->node, &done);');
        out.push(`\t\tif (++${s}->moved > n)`);
        out.push('\t\t\tbreak;');
        out.push('\t}');
        break;
      case 1:
        out.push(`\tif (unlikely(!req->buf || req->len > ${s}->max_len)) {`);
        out.push('\t\tret = -EINVAL;');
        out.push('\t\tgoto out_unlock;');
        out.push('\t}');
        break;
      case 2:
        out.push('\tfor (k = 0; k < n; k++) {');
        out.push(`\t\t${s}->slots[k] = bench_slot(req, k);`);
        out.push(`\t\tif (!${s}->slots[k])`);
        out.push('\t\t\tgoto out_unlock;');
        out.push('\t}');
        break;
      case 3:
        out.push('\tswitch (req->op) {');
        out.push('\tcase BENCH_OP_READ:');
        out.push(`\t\tset_bit(DEV_READING, &${s}->state);`);
        out.push('\t\tbreak;');
        out.push('\tcase BENCH_OP_WRITE:');
        out.push(`\t\t${s}->flags |= DEV_F_DIRTY;`);
        out.push('\t\tfallthrough;');
        out.push('\tdefault:');
        out.push(`\t\tatomic_inc(&${s}->pending_ops);`);
        out.push('\t}');
        break;
      case 4:
        out.push(`\tif (test_and_clear_bit(DEV_KICK, &${s}->state) && atomic_dec_and_test(&${s}->refs))`);
        out.push(`\t\tbench_release(${s});`);
        out.push(`\telse if (READ_ONCE(${s}->paused))`);
        out.push(`\t\tWRITE_ONCE(${s}->paused, 0);`);
        break;
      default:
        out.push(`\titem = kzalloc(sizeof(*item), GFP_ATOMIC);`);
        out.push('\tif (!item) {');
        out.push('\t\tret = -ENOMEM;');
        out.push('\t\tgoto out_unlock;');
        out.push('\t}');
        out.push(`\tlist_add_tail(&item->node, &${s}->pending);`);
    }
  }
  out.push('out_unlock:');
  out.push(`\t${unlock}`);
  out.push('\tlist_for_each_entry(item, &done, node)');
  out.push(`\t\tbench_complete(${s}, item);`);
  out.push('\treturn ret;');
  out.push('}');
  out.push('');
  return out.join('\n');
}

export function corpus(): string[] {
  const r = rng(20240611);
  const files: string[] = [];
  let total = 0;
  let fnIndex = 0;
  while (total < TARGET_LINES) {
    const parts: string[] = ['// generated kernel-style code for the front-end bench', '#include <linux/spinlock.h>', ''];
    let lines = parts.length;
    while (lines < LINES_PER_FILE && total + lines < TARGET_LINES) {
      const f = genFunction(r, fnIndex++);
      parts.push(f);
      lines += f.split('\n').length;
    }
    files.push(parts.join('\n'));
    total += lines;
  }
  return files;
}

export async function run(): Promise<BenchResult[]> {
  const files = corpus();
  const lines = files.reduce((n, f) => n + f.split('\n').length, 0);
  const sem = defaultSemantics();
  await parseC('int warm_up;'); // load the grammar outside the timings

  const t0 = performance.now();
  for (const text of files) (await parseC(text)).delete();
  const parseMs = performance.now() - t0;

  let functions = 0;
  const t1 = performance.now();
  for (const text of files) {
    const unit: CUnit = { file: 'bench.c', side: 'post', origin: 'file', text, lineMap: text.split('\n').map((_, i) => i + 1), functions: [] };
    functions += (await lowerUnit(unit, sem)).length;
  }
  const fullMs = performance.now() - t1;

  return [
    { name: `raw tree-sitter parse (${lines} lines)`, value: lines / (parseMs / 1000), unit: 'lines/s' },
    { name: `parse + IR + CFG (${functions} functions)`, value: lines / (fullMs / 1000), unit: 'lines/s' },
    { name: 'front end time / raw parse time', value: fullMs / parseMs, unit: 'x', target: { op: '<=', value: 2 } },
  ];
}

// Subsystem models: how fast the interleaving explorer runs, and how long each scenario takes to a
// verdict, on the seed threads (when ../shared/seeds is there) and on the model fixtures.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './run.js';
import type { FunctionIR } from '../src/c/ir.js';
import { lowerUnit } from '../src/c/index.js';
import { analyzeModels } from '../src/analysis/models.js';
import { scanMessages } from '../src/pipeline.js';
import { reviewPatches } from '../src/review.js';
import { defaultSemantics } from '../src/semantics/load.js';
import { wholeFileUnit } from '../src/source/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const SEEDS = join(here, '..', '..', 'shared', 'seeds');
const FIXTURES = join(here, '..', 'fixtures', 'models');

interface Case {
  name: string;
  side: 'pre' | 'post';
  fns: FunctionIR[];
}

async function cases(): Promise<Case[]> {
  const sem = defaultSemantics();
  const out: Case[] = [];
  if (existsSync(SEEDS)) {
    for (const f of readdirSync(SEEDS)
      .filter((x) => x.endsWith('.txt'))
      .sort()) {
      const res = await scanMessages([join(SEEDS, f)]);
      for (const r of await reviewPatches(res.patches, { sem })) {
        for (const side of ['pre', 'post'] as const) out.push({ name: `seed ${f.slice(0, 3)} ${side}`, side, fns: side === 'pre' ? r.pre : r.post });
      }
    }
  }
  for (const dir of readdirSync(FIXTURES).sort()) {
    for (const f of readdirSync(join(FIXTURES, dir))
      .filter((x) => x.endsWith('.c'))
      .sort()) {
      const unit = await wholeFileUnit(f, readFileSync(join(FIXTURES, dir, f), 'utf8'));
      out.push({ name: `${dir}/${f}`, side: 'post', fns: await lowerUnit(unit, sem) });
    }
  }
  return out;
}

export async function run(): Promise<BenchResult[]> {
  const sem = defaultSemantics();
  const rows: BenchResult[] = [];
  let states = 0;
  let ms = 0;
  for (const c of await cases()) {
    const m = analyzeModels(c.side, c.fns, sem);
    for (const r of m.runs) {
      states += r.states;
      ms += r.ms;
      rows.push({
        name: `${c.name}: ${r.model} ${r.scenario.split('/').slice(1).join('/')}`.slice(0, 80),
        value: r.ms,
        unit: `ms to ${r.verdict} (${r.states} states)`,
        target: { op: '<=', value: 3000 },
      });
    }
  }
  rows.push({ name: 'explorer throughput, all scenarios', value: ms ? states / (ms / 1000) : 0, unit: 'states/s', target: { op: '>=', value: 5000 } });
  return rows;
}

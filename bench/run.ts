// `npm run bench`: runs every bench/*.bench.ts (each exports `run(): Promise<BenchResult[]>`) and prints a table.
// Targets live here, not in tests: a bench reports whether it met its target but never fails the build.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  target?: { op: '>=' | '<='; value: number };
  note?: string;
}

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv[2];
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts') && (!only || f.includes(only)))
  .sort();
const rows: BenchResult[] = [];
for (const f of files) {
  const mod = (await import(pathToFileURL(join(here, f)).href)) as { run: () => Promise<BenchResult[]> };
  const res = await mod.run();
  rows.push(...res);
  for (const r of res) {
    const met = r.target ? (r.target.op === '>=' ? r.value >= r.target.value : r.value <= r.target.value) : null;
    const tgt = r.target ? ` (target ${r.target.op} ${r.target.value}: ${met ? 'met' : 'NOT met'})` : '';
    console.log(
      `${f.replace('.bench.ts', '').padEnd(10)} ${r.name.padEnd(44)} ${r.value.toFixed(r.value < 10 ? 2 : 0).padStart(10)} ${r.unit}${tgt}${r.note ? `  ${r.note}` : ''}`,
    );
  }
}

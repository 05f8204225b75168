// Start-up of the real command (`node bin/kreview.js`, built with tsc first): `--help`, and
// `check` of a one-line file with the bundled rules and with a generated semantics file of 50,000
// mined functions (the size mined semantics will grow to). The first run of a rule set compiles
// it into the cache (semantics/cache.ts); later runs read the copy. Median of several runs.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BenchResult } from './run.js';
import { PACKAGE_ROOT } from '../src/paths.js';

const BIN = join(PACKAGE_ROOT, 'bin', 'kreview.js');

function timeRun(args: string[], env: NodeJS.ProcessEnv): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8' });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`kreview ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

function median(n: number, f: () => number): number {
  const xs = Array.from({ length: n }, f).sort((a, b) => a - b);
  return xs[Math.floor(n / 2)]!;
}

/** A rules directory like the bundled one, with its mined file grown to `n` entries (real entries under new names). */
function grownRules(dir: string, n: number): void {
  cpSync(join(PACKAGE_ROOT, 'rules'), dir, { recursive: true });
  const file = join(dir, 'kernel-mined.json');
  const mined = JSON.parse(readFileSync(file, 'utf8')) as { functions: Record<string, unknown> };
  const real = Object.entries(mined.functions);
  for (let i = 0; Object.keys(mined.functions).length < n; i++) {
    const [name, facts] = real[i % real.length]!;
    mined.functions[`${name}__grown${i}`] = facts;
  }
  writeFileSync(file, JSON.stringify(mined));
}

export async function run(): Promise<BenchResult[]> {
  execFileSync(process.execPath, [join(PACKAGE_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(PACKAGE_ROOT, 'tsconfig.json')], {
    stdio: 'inherit',
  });
  const tmp = mkdtempSync(join(tmpdir(), 'kreview-startup-'));
  try {
    const one = join(tmp, 'one.c');
    writeFileSync(one, 'int one(void) { return 1; }\n');
    const env = { ...process.env, KREVIEW_CACHE_DIR: join(tmp, 'cache') };
    const help = median(5, () => timeRun(['--help'], env));
    const coldBundled = timeRun(['check', one], env);
    const bundled = median(7, () => timeRun(['check', one], env));
    const rules = join(tmp, 'rules');
    grownRules(rules, 50_000);
    const coldGrown = timeRun(['check', '--rules', rules, one], env);
    const grown = median(7, () => timeRun(['check', '--rules', rules, one], env));
    const noCache = median(3, () => timeRun(['check', '--rules', rules, one], { ...env, KREVIEW_CACHE_DIR: '' }));
    return [
      { name: 'start-up: kreview --help', value: help / 1000, unit: 's' },
      {
        name: 'start-up: check one-line file, bundled rules',
        value: bundled / 1000,
        unit: 's',
        target: { op: '<=', value: 0.3 },
        note: `first run, compiling the rules: ${(coldBundled / 1000).toFixed(2)} s`,
      },
      {
        name: 'start-up: check, 50,000 mined functions',
        value: grown / 1000,
        unit: 's',
        target: { op: '<=', value: 0.3 },
        note: `first run ${(coldGrown / 1000).toFixed(2)} s; with no cache ${(noCache / 1000).toFixed(2)} s`,
      },
    ];
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

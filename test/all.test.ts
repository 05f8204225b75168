// One test process for the whole suite: every test/**/*.suite.ts is imported here, so process
// start-up (tsx, tree-sitter's wasm) is paid once. Run a single area with:
//   node --import tsx --test test/all.test.ts --test-name-pattern=<area>
import { readdirSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

function suites(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...suites(p));
    else if (name.endsWith('.suite.ts')) out.push(p);
  }
  return out;
}

for (const file of suites(here)) await import(pathToFileURL(file).href);

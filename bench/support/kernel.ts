// Where the benches find a real kernel tree, and how they run the real command in a child process
// to time it and read its peak memory.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PACKAGE_ROOT } from '../../src/paths.js';

/** A kernel tree: $KREVIEW_KERNEL, else the newest one `../shared/kernel/fetch.sh` extracted. */
export function kernelTree(): string | null {
  const named = process.env.KREVIEW_KERNEL;
  if (named) return existsSync(join(named, 'include', 'linux', 'kernel.h')) ? named : null;
  const cache = process.env.KREVIEW_KERNEL_CACHE ?? join(homedir(), '.cache', 'kreview-kernel');
  if (!existsSync(cache)) return null;
  const trees = readdirSync(cache)
    .filter((d) => d.startsWith('linux-') && existsSync(join(cache, d, '.complete')))
    .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  return trees.length ? join(cache, trees[trees.length - 1]!) : null;
}

export const NO_TREE = 'no kernel tree: run `bash ../shared/kernel/fetch.sh` (or set KREVIEW_KERNEL to one)';

/** The C files under a directory. */
export function cFiles(dir: string): string[] {
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && e.name.endsWith('.c')) files.push(p);
    }
  };
  walk(dir);
  return files.sort();
}

/**
 * Run `kreview ARGS --format json -o FILE` (the built dist/, after tsc) in a child process: its
 * wall time, its peak resident memory (all threads) as the child itself measures it at exit, and
 * the run document. A run whose files failed (a worker that could not start) is an error, not a figure.
 */
export function timedKreview(args: string[], report: string): { ms: number; peakMb: number; files: number } {
  const probe = `import { main } from ${JSON.stringify(join(PACKAGE_ROOT, 'dist', 'cli.js'))};
process.on('exit', () => process.stderr.write('\\nPEAK_RSS_KB ' + process.resourceUsage().maxRSS + '\\n'));
main(process.argv.slice(1)).then((c) => { process.exitCode = c; });`;
  const t = performance.now();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe, ...args, '--format', 'json', '-o', report, '--fail-on', 'never'], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`kreview ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  const doc = JSON.parse(readFileSync(report, 'utf8')) as { files: { path: string; status: string; reason: string | null }[] };
  const failed = doc.files.filter((f) => f.status === 'failed');
  if (failed.length) throw new Error(`kreview ${args.join(' ')}: ${failed.length} files failed, e.g. ${failed[0]!.path}: ${failed[0]!.reason}`);
  const kb = Number(/PEAK_RSS_KB (\d+)/.exec(r.stderr ?? '')?.[1] ?? 0);
  return { ms, peakMb: kb / 1024, files: doc.files.length };
}

/** Build dist/ (the benches time the command users run). */
export function buildDist(): void {
  spawnSync(process.execPath, [join(PACKAGE_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(PACKAGE_ROOT, 'tsconfig.json')], {
    stdio: 'inherit',
  });
}

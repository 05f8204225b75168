// Ingest at list scale (#17): read a generated public-inbox archive of 1,000,000 messages the way `kreview scan`
// reads one (openInput on the inbox directory: `git rev-list` of the epoch, one `git cat-file --batch` for the
// blobs, every message parsed; patches are not extracted, as in the mbox bench's headline row), and a
// 100,000-message archive, to show that the reader's peak memory does not grow with the archive.
//
// The archive is lore's layout, `git/0.git`, one commit per message adding the raw message as blob `m`,
// written by one `git fast-import` stream (the same message mix as bench/ingest.bench.ts, without the mbox
// From_ line). The small archive is the first 100,000 commits of the same history: a second bare repository
// borrowing the objects (objects/info/alternates), its master at the 100,000th commit. Both live in a
// temporary directory for the length of the bench, then are deleted.
//
// Each read runs in its own process so that its peak RSS is its own. The git children are sampled from /proc
// every 200 ms and reported beside it: their own (anonymous) memory, and their peak RSS, which also counts the
// pages of the pack files git maps (file cache, not allocations). `rev-list` lists the epoch into a file and
// exits before the first message is read; `cat-file`'s own memory is mostly its delta base cache (96 MB).
// A third read extracts patches too (on the small archive), as the mbox bench's `extract` row does.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './run.js';
import { rng } from '../test/support/rng.js';
import { message } from './ingest.bench.js';

const BIG = Number(process.env.KREVIEW_INBOX_BENCH_N ?? 1_000_000);
const SMALL = Math.min(100_000, Math.floor(BIG / 10));

function git(dir: string, args: string[]): string {
  const r = spawnSync('git', args, { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} in ${dir}: ${r.stderr}`);
  return r.stdout.trim();
}

/**
 * Write an n-message v2 inbox (one epoch) at `inbox` with git fast-import, and a branch `small` at commit
 * `small`. Returns the blob bytes written.
 */
export async function generateInbox(inbox: string, n: number, small: number): Promise<number> {
  const epoch = join(inbox, 'git', '0.git');
  mkdirSync(epoch, { recursive: true });
  git(epoch, ['-c', 'init.defaultBranch=master', 'init', '-q', '--bare']);
  const fi = spawn('git', ['-c', 'pack.compression=1', 'fast-import', '--quiet', '--done'], { cwd: epoch, stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  fi.stderr.on('data', (d: Buffer) => {
    if (stderr.length < 4096) stderr += d.toString('utf8');
  });
  const exited = new Promise<number | null>((res, rej) => {
    fi.on('error', rej);
    fi.on('close', (code) => res(code));
  });
  const r = rng(42);
  let bytes = 0;
  let parts: Buffer[] = [];
  let pending = 0;
  const flush = async (): Promise<void> => {
    const buf = Buffer.concat(parts);
    parts = [];
    pending = 0;
    if (!fi.stdin.write(buf)) await new Promise<void>((res) => fi.stdin.once('drain', () => res()));
  };
  for (let i = 0; i < n; i++) {
    // A public-inbox blob is the message alone, without the mbox envelope line.
    const blob = Buffer.from(message(r, i).replace(/^From [^\n]*\n/, ''));
    const subject = /^Subject: ([^\n]*)$/m.exec(blob.toString('latin1', 0, 400))?.[1] ?? 'message';
    const from = /^From: ([^\n]*)$/m.exec(blob.toString('utf8', 0, 400))?.[1] ?? 'Someone <someone@example.org>';
    const when = 1704067200 + i * 60;
    const commit = Buffer.from(
      `commit refs/heads/master\nauthor ${from} ${when} +0000\ncommitter public-inbox <public-inbox@example.org> ${when} +0000\ndata ${Buffer.byteLength(subject)}\n${subject}\nM 100644 inline m\ndata ${blob.length}\n`,
    );
    parts.push(commit, blob, Buffer.from('\n'));
    if (i + 1 === small) parts.push(Buffer.from('reset refs/heads/small\nfrom refs/heads/master\n\n'));
    bytes += blob.length;
    pending += commit.length + blob.length;
    if (pending >= 1 << 20) await flush();
  }
  parts.push(Buffer.from('done\n'));
  await flush();
  fi.stdin.end();
  const code = await exited;
  if (code !== 0) throw new Error(`git fast-import failed (${code}): ${stderr}`);
  return bytes;
}

/** A second inbox whose one epoch is `from`'s history up to `ref` (objects borrowed, nothing copied). */
function borrowInbox(from: string, ref: string, inbox: string): void {
  const src = join(from, 'git', '0.git');
  const epoch = join(inbox, 'git', '0.git');
  mkdirSync(epoch, { recursive: true });
  git(epoch, ['-c', 'init.defaultBranch=master', 'init', '-q', '--bare']);
  writeFileSync(join(epoch, 'objects', 'info', 'alternates'), `${join(src, 'objects')}\n`);
  git(epoch, ['update-ref', 'refs/heads/master', git(src, ['rev-parse', ref])]);
}

interface ChildResult {
  messages: number;
  errors: number;
  patches: number;
  skipped: number;
  inputErrors: number;
  seconds: number;
  maxRssMB: number;
  heapEarlyMB: number;
  heapLateMB: number;
  /** Peak RSS of the git children seen while reading, by command (sampled from /proc every 200 ms). */
  gitPeakMB: Record<string, { hwm: number; anon: number }>;
}

/**
 * The git processes below this one: their peak RSS so far (VmHWM, which counts the pack files git maps) and the
 * largest anonymous RSS seen (RssAnon: what git allocates), by subcommand.
 */
function sampleGit(into: Record<string, { hwm: number; anon: number }>): void {
  let kids: string[] = [];
  try {
    for (const t of readdirSync('/proc/self/task')) kids.push(...readFileSync(`/proc/self/task/${t}/children`, 'utf8').split(' ').filter(Boolean));
  } catch {
    kids = [];
  }
  for (const pid of kids) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
      const anon = /RssAnon:\s+(\d+) kB/.exec(status);
      if (!hwm || !anon || !/(^|\/)git$/.test(cmd[0] ?? '')) continue;
      const g = (into[cmd[1] ?? 'git'] ??= { hwm: 0, anon: 0 });
      g.hwm = Math.max(g.hwm, Number(hwm[1]) / 1024);
      g.anon = Math.max(g.anon, Number(anon[1]) / 1024);
    } catch {
      // gone already
    }
  }
}

/** The measurement, inside a child process (run with --expose-gc). mode: parse, or extract (patches too). */
async function child(mode: string, path: string, expected: number): Promise<ChildResult> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const gitPeakMB: Record<string, { hwm: number; anon: number }> = {};
  const timer = setInterval(() => sampleGit(gitPeakMB), 200);
  const t0 = performance.now();
  const { openInput } = await import('../src/ingest/index.js');
  const { extractPatches, seriesOf } = await import('../src/patch/index.js');
  const reader = await openInput(path);
  let messages = 0;
  let errors = 0;
  let patches = 0;
  let heapEarly = 0;
  let heapLate = 0;
  for await (const m of reader.messages()) {
    messages++;
    if (m.error) errors++;
    else if (mode === 'extract') {
      seriesOf(m);
      patches += extractPatches(m).patches.length;
    }
    // Live heap while the reader is still going (whatever it holds per epoch is still held): early and late.
    if (gc && (messages === 2000 || messages === expected - 1000)) {
      gc();
      if (messages === 2000) heapEarly = process.memoryUsage().heapUsed;
      else heapLate = process.memoryUsage().heapUsed;
    }
    if ((messages & 1023) === 0) sampleGit(gitPeakMB);
  }
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(timer);
  return {
    messages,
    errors,
    patches,
    skipped: reader.summary.skipped.length,
    inputErrors: reader.summary.errors.length,
    seconds,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
    heapEarlyMB: heapEarly / 2 ** 20,
    heapLateMB: heapLate / 2 ** 20,
    gitPeakMB,
  };
}

const self = fileURLToPath(import.meta.url);

function measure(mode: 'parse' | 'extract', path: string, expected: number): ChildResult {
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', self, 'child', mode, path, String(expected)], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`inbox bench child failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as ChildResult;
}

const fmtGit = (g: Record<string, { hwm: number; anon: number }>): string =>
  Object.entries(g)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `git ${k} ${v.anon.toFixed(0)} MB own (${v.hwm.toFixed(0)} MB RSS with the pack)`)
    .join(', ');

const count = (n: number): string => (n >= 1_000_000 && n % 1_000_000 === 0 ? `${n / 1_000_000}M` : n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n));

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'kreview-inbox-bench-'));
  try {
    const big = join(dir, 'big');
    const small = join(dir, 'small');
    const g0 = performance.now();
    const bytes = await generateInbox(big, BIG, SMALL);
    borrowInbox(big, 'refs/heads/small', small);
    const genSeconds = (performance.now() - g0) / 1000;
    const rBig = measure('parse', big, BIG);
    const rSmall = measure('parse', small, SMALL);
    const rExtract = measure('extract', small, SMALL);
    for (const [r, n] of [
      [rBig, BIG],
      [rSmall, SMALL],
      [rExtract, SMALL],
    ] as const) {
      if (r.messages !== n || r.skipped !== 0 || r.inputErrors !== 0) {
        throw new Error(`inbox bench: expected ${n} messages, got ${r.messages} (${r.skipped} skipped, ${r.inputErrors} input errors)`);
      }
    }
    // Rows are named by the archive size actually generated (KREVIEW_INBOX_BENCH_N overrides 1,000,000).
    return [
      {
        name: `generate ${count(BIG)}-msg public-inbox (fast-import)`,
        value: genSeconds,
        unit: 's',
        target: { op: '<=', value: 180 },
        note: `${(bytes / 2 ** 30).toFixed(2)} GB of messages, one commit each`,
      },
      {
        name: `read+parse ${count(BIG)}-msg public-inbox`,
        value: BIG / rBig.seconds,
        unit: 'msg/s',
        target: { op: '>=', value: 5000 },
        note: `${rBig.seconds.toFixed(0)} s, ${(bytes / 2 ** 20 / rBig.seconds).toFixed(0)} MB/s, ${rBig.errors} errors`,
      },
      { name: `read+parse ${count(SMALL)}-msg public-inbox`, value: SMALL / rSmall.seconds, unit: 'msg/s' },
      {
        name: `read+parse+extract patches ${count(SMALL)}-msg inbox`,
        value: SMALL / rExtract.seconds,
        unit: 'msg/s',
        note: `${rExtract.patches} patches, peak RSS ${rExtract.maxRssMB.toFixed(0)} MB`,
      },
      { name: `peak RSS read+parse ${count(BIG)} msgs`, value: rBig.maxRssMB, unit: 'MB', note: fmtGit(rBig.gitPeakMB) },
      { name: `peak RSS read+parse ${count(SMALL)} msgs`, value: rSmall.maxRssMB, unit: 'MB', note: fmtGit(rSmall.gitPeakMB) },
      {
        name: `peak RSS ratio ${count(SMALL)} -> ${count(BIG)} msgs`,
        value: rBig.maxRssMB / rSmall.maxRssMB,
        unit: 'x',
        target: { op: '<=', value: 1.5 },
        note: '10x the archive; the node process (git children in the rows above)',
      },
      {
        name: `live heap after GC: at 2000 -> at ${count(BIG - 1000)} msgs`,
        value: rBig.heapLateMB - rBig.heapEarlyMB,
        unit: 'MB',
        target: { op: '<=', value: 4 },
        note: `${rBig.heapEarlyMB.toFixed(1)} MB -> ${rBig.heapLateMB.toFixed(1)} MB`,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'child' && process.argv[1] && resolve(process.argv[1]) === self) {
  console.log(JSON.stringify(await child(process.argv[3]!, process.argv[4]!, Number(process.argv[5]))));
}

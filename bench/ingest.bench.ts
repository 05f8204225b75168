// Ingest speed and memory: split and parse a generated 50,000-message mbox (realistic mix: format-patch
// patches, replies quoting diffs, a few base64/quoted-printable/multipart/HTML ones), and a 5,000-message one
// to show that peak memory does not grow with the archive. Each measurement runs in its own process so its
// peak RSS is its own. mailparser's simpleParser is measured on the same mix for comparison.
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './run.js';
import { rng } from '../test/support/rng.js';

const BIG = 50_000;
const SMALL = 5_000;
const SIMPLEPARSER_SAMPLE = 2_000;

const NAMES = ['Ann Author', 'Bob Builder', 'Cy Checker', 'Dana Dev', 'Erin Example', 'Jörg Tester'];
const FILES = ['drivers/net/ethernet/acme/acme_main.c', 'fs/demofs/inode.c', 'drivers/misc/demo/demo-core.c', 'mm/demo_pool.c'];

function diff(r: () => number, file: string, n: number): string {
  const start = 100 + Math.floor(r() * 2000);
  const lines: string[] = [];
  let oldN = 0;
  let newN = 0;
  for (let i = 0; i < n; i++) {
    const x = r();
    const code = `\t${['spin_lock(&dev->lock);', 'ret = demo_do_work(dev, req);', 'if (ret)', '\tgoto out_unlock;', 'list_del(&req->node);', 'kfree(req);', 'spin_unlock(&dev->lock);'][i % 7]}`;
    if (x < 0.15) {
      lines.push(`-${code}`);
      oldN++;
    } else if (x < 0.35) {
      lines.push(`+${code}`);
      newN++;
    } else {
      lines.push(` ${code}`);
      oldN++;
      newN++;
    }
  }
  return [
    `diff --git a/${file} b/${file}`,
    `index ${Math.floor(r() * 0xffffffffffff)
      .toString(16)
      .padStart(12, '0')}..${Math.floor(r() * 0xffffffffffff)
      .toString(16)
      .padStart(12, '0')} 100644`,
    `--- a/${file}`,
    `+++ b/${file}`,
    `@@ -${start},${oldN} +${start},${newN} @@ static int demo_fn_${start}(struct demo_dev *dev)`,
    ...lines,
    '',
  ].join('\n');
}

export function message(r: () => number, i: number): string {
  const name = NAMES[i % NAMES.length]!;
  const addr = `${name.split(' ')[0]!.toLowerCase().replace('ö', 'o')}@example.org`;
  const file = FILES[i % FILES.length]!;
  const date = new Date(Date.UTC(2024, 0, 1) + i * 60_000).toUTCString().replace('GMT', '+0000');
  const id = `20240101.${i}-${addr}`;
  const kind = r();
  const head = (subject: string, extra = ''): string =>
    `From: ${name} <${addr}>\nTo: demo-devel@lists.example.org\nSubject: ${subject}\nDate: ${date}\nMessage-ID: <${id}>\n${extra}`;
  const changelog =
    'The error path leaves the lock held when the work item fails.\nDrop it before returning, as every other exit does.\n\nSigned-off-by: ' +
    `${name} <${addr}>\n`;
  if (kind < 0.6) {
    // a format-patch patch
    const d = diff(r, file, 20 + Math.floor(r() * 60));
    return `From ${(i * 2654435761).toString(16).padStart(40, '0').slice(-40)} Mon Sep 17 00:00:00 2001\n${head(`[PATCH v${1 + (i % 3)} ${1 + (i % 5)}/5] demo: fix error path ${i}`, 'MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n')}\n${changelog}---\n ${file} | 4 +++-\n 1 file changed\n\n${d}-- \n2.43.0\n`;
  }
  const parent = `20240101.${Math.max(0, i - 1)}-a@example.org`;
  if (kind < 0.93) {
    // a reply quoting part of a diff, with a comment and a From line in the text
    const quoted = diff(r, file, 8 + Math.floor(r() * 12))
      .split('\n')
      .map((l) => `> ${l}`)
      .join('\n');
    return `From ${addr} ${new Date(Date.UTC(2024, 0, 1) + i * 60_000).toUTCString().replace(/^(\w+), (\d+) (\w+) (\d+) (\S+) GMT$/, '$1 $3 $2 $5 $4')}\n${head(`Re: [PATCH 1/5] demo: fix error path ${i - 1}`, `In-Reply-To: <${parent}>\nReferences: <${parent}>\n`)}\nOn Mon, 1 Jan 2024, Someone wrote:\n${quoted}\n\nFrom the look of it this misses the unlock on the second exit.\n>From a mbox writer's point of view this line was escaped.\n\nThanks\n`;
  }
  const body = `${changelog}---\n${diff(r, file, 30)}-- \n2.43.0\n`;
  const env = `From ${addr} Mon Jan  1 00:00:00 2024\n`;
  if (kind < 0.96) {
    const b64 = Buffer.from(body).toString('base64').replace(/.{76}/g, '$&\n');
    return `${env}${head(`[PATCH] demo: base64 ${i}`, 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n')}\n${b64}\n`;
  }
  if (kind < 0.98) {
    const qp = body.replace(/=/g, '=3D').replace(/\t/g, '=09');
    return `${env}${head(`[PATCH] demo: qp ${i}`, 'MIME-Version: 1.0\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n')}\n${qp}\n`;
  }
  if (kind < 0.998) {
    return `${env}${head(`[PATCH] demo: attached ${i}`, 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"\n')}\n--b\nContent-Type: text/plain\n\nSee the attachment.\n--b\nContent-Type: text/x-patch; name="0001-fix.patch"\nContent-Disposition: attachment; filename="0001-fix.patch"\n\n${body}\n--b--\n`;
  }
  return `${env}${head(`Re: demo: html ${i}`, 'MIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n')}\n<html><body><p>Looks fine to me &mdash; <b>thanks</b>.</p></body></html>\n`;
}

/** Write an n-message mbox, streaming (the generator itself keeps memory flat). */
export async function generate(path: string, n: number): Promise<number> {
  const r = rng(42);
  const out = createWriteStream(path);
  for (let i = 0; i < n; i++) {
    if (!out.write(`${message(r, i)}\n`)) await new Promise<void>((res) => out.once('drain', () => res()));
  }
  await new Promise<void>((res, rej) => out.end((e?: Error | null) => (e ? rej(e) : res())));
  return statSync(path).size;
}

interface ChildResult {
  messages: number;
  errors: number;
  patches?: number;
  seconds: number;
  maxRssMB: number;
  heapEarlyMB?: number;
  heapEndMB?: number;
}

/** The measurement, run inside a child process. */
async function child(mode: string, path: string): Promise<ChildResult> {
  const t0 = performance.now();
  let messages = 0;
  let errors = 0;
  if (mode === 'split') {
    const { splitMbox } = await import('../src/ingest/mbox.js');
    const { fileChunks } = await import('../src/ingest/stream.js');
    for await (const _ of splitMbox(fileChunks(path))) messages++;
  } else if (mode === 'parse' || mode === 'parse-heap') {
    // parse-heap (run with --expose-gc): live heap after a full GC, early on and at the end
    const gc = (globalThis as { gc?: () => void }).gc;
    const { openInput } = await import('../src/ingest/index.js');
    const reader = await openInput(path);
    let early = 0;
    for await (const m of reader.messages()) {
      messages++;
      if (m.error) errors++;
      if (mode === 'parse-heap' && gc && messages === 2000) {
        gc();
        early = process.memoryUsage().heapUsed;
      }
    }
    if (mode === 'parse-heap' && gc) {
      gc();
      return {
        messages,
        errors,
        seconds: 0,
        maxRssMB: process.resourceUsage().maxRSS / 1024,
        heapEarlyMB: early / 2 ** 20,
        heapEndMB: process.memoryUsage().heapUsed / 2 ** 20,
      };
    }
  } else if (mode === 'extract') {
    // split + parse + the patch stage (every diff, quoted diff and fragment, and the series position)
    const { openInput } = await import('../src/ingest/index.js');
    const { extractPatches, seriesOf } = await import('../src/patch/index.js');
    const reader = await openInput(path);
    let patches = 0;
    for await (const m of reader.messages()) {
      messages++;
      if (m.error) {
        errors++;
        continue;
      }
      seriesOf(m);
      patches += extractPatches(m).patches.length;
    }
    return { messages, errors, patches, seconds: (performance.now() - t0) / 1000, maxRssMB: process.resourceUsage().maxRSS / 1024 };
  } else if (mode === 'simpleparser') {
    const { simpleParser } = await import('mailparser');
    const { splitMbox } = await import('../src/ingest/mbox.js');
    const { fileChunks } = await import('../src/ingest/stream.js');
    const raws: Buffer[] = [];
    for await (const r of splitMbox(fileChunks(path))) {
      raws.push(r.bytes);
      if (raws.length >= SIMPLEPARSER_SAMPLE) break;
    }
    const t1 = performance.now();
    for (const raw of raws) {
      await simpleParser(raw);
      messages++;
    }
    return { messages, errors, seconds: (performance.now() - t1) / 1000, maxRssMB: process.resourceUsage().maxRSS / 1024 };
  }
  return { messages, errors, seconds: (performance.now() - t0) / 1000, maxRssMB: process.resourceUsage().maxRSS / 1024 };
}

const self = fileURLToPath(import.meta.url);

function measure(mode: string, path: string): ChildResult {
  const flags = mode === 'parse-heap' ? ['--expose-gc'] : [];
  const r = spawnSync(process.execPath, [...flags, '--import', 'tsx', self, 'child', mode, path], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`ingest bench child (${mode}) failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as ChildResult;
}

/** A bare child process's peak RSS (node + tsx + the ingest modules loaded), to subtract. */
function baseline(): number {
  return measure('none', '/dev/null').maxRssMB;
}

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'kreview-ingest-bench-'));
  try {
    const big = join(dir, 'big.mbox');
    const small = join(dir, 'small.mbox');
    const bigBytes = await generate(big, BIG);
    await generate(small, SMALL);
    const base = baseline();
    const split = measure('split', big);
    const parseBig = measure('parse', big);
    const parseSmall = measure('parse', small);
    const extract = measure('extract', big);
    const sp = measure('simpleparser', big);
    const heap = measure('parse-heap', big);
    if (parseBig.messages !== BIG || split.messages !== BIG || parseSmall.messages !== SMALL) {
      throw new Error(`ingest bench: expected ${BIG}/${SMALL} messages, got split ${split.messages}, parse ${parseBig.messages}/${parseSmall.messages}`);
    }
    return [
      { name: `split ${BIG} msgs (${(bigBytes / 2 ** 20).toFixed(0)} MB mbox)`, value: BIG / split.seconds, unit: 'msg/s' },
      {
        name: `split+parse ${BIG} msgs`,
        value: BIG / parseBig.seconds,
        unit: 'msg/s',
        target: { op: '>=', value: 5000 },
        note: `${(bigBytes / 2 ** 20 / parseBig.seconds).toFixed(0)} MB/s, ${parseBig.errors} errors`,
      },
      { name: `split+parse ${SMALL} msgs`, value: SMALL / parseSmall.seconds, unit: 'msg/s' },
      {
        name: `split+parse+extract patches ${BIG} msgs`,
        value: BIG / extract.seconds,
        unit: 'msg/s',
        note: `${extract.patches} patches, peak RSS ${extract.maxRssMB.toFixed(0)} MB`,
      },
      {
        name: `mailparser simpleParser (${SIMPLEPARSER_SAMPLE} of the mix)`,
        value: sp.messages / sp.seconds,
        unit: 'msg/s',
        note: 'for comparison: why the own parser exists',
      },
      { name: `peak RSS split+parse ${BIG} msgs`, value: parseBig.maxRssMB, unit: 'MB', note: `process baseline ${base.toFixed(0)} MB` },
      { name: `peak RSS split+parse ${SMALL} msgs`, value: parseSmall.maxRssMB, unit: 'MB' },
      {
        name: `peak RSS growth ${SMALL} -> ${BIG} msgs`,
        value: parseBig.maxRssMB - parseSmall.maxRssMB,
        unit: 'MB',
        target: { op: '<=', value: 32 },
        note: '10x the input; RSS also depends on when V8 collects',
      },
      {
        name: `live heap after GC: at 2000 -> at ${BIG} msgs`,
        value: heap.heapEndMB! - heap.heapEarlyMB!,
        unit: 'MB',
        target: { op: '<=', value: 4 },
        note: `${heap.heapEarlyMB!.toFixed(1)} MB -> ${heap.heapEndMB!.toFixed(1)} MB`,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'child' && process.argv[1] && resolve(process.argv[1]) === self) {
  const [mode, path] = [process.argv[3]!, process.argv[4]!];
  if (mode === 'none') {
    await import('../src/ingest/index.js');
    console.log(JSON.stringify({ messages: 0, errors: 0, seconds: 0, maxRssMB: process.resourceUsage().maxRSS / 1024 }));
  } else {
    console.log(JSON.stringify(await child(mode, path)));
  }
}

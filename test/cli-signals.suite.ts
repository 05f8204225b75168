// SIGINT and SIGTERM during `kreview scan`: the run ends with what it has done written as a whole
// document marked incomplete, and exits 130 or 143. The CLI runs as its own process reading a FIFO
// the test holds open, so the signal always comes mid-run.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { ROOT } from './support/pull-repo.js';

const CLI = join(ROOT, 'test', 'support', 'kreview-cli.ts');
const EXAMPLE = readFileSync(join(ROOT, 'fixtures', 'mail', 'example.mbox'));

/** Open the FIFO for writing once the CLI has it open for reading (a reader must exist, else ENXIO). */
async function writerOnce(fifo: string, deadline: number): Promise<number> {
  for (;;) {
    try {
      return openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENXIO' || Date.now() > deadline) throw e;
      await sleep(50);
    }
  }
}

function complete(json: string): boolean {
  try {
    JSON.parse(json);
    return true;
  } catch {
    return false;
  }
}

describe('cli signals', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kreview-signals-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [signal, exit] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`${signal} during scan: a complete JSON document marked incomplete, exit ${exit}`, { timeout: 60_000 }, async () => {
      const fifo = join(dir, `${signal}.mbox`);
      execFileSync('mkfifo', [fifo]);
      const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'scan', '--format', 'json', fifo], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.on('exit', (code, sig) => resolve({ code, signal: sig })),
      );
      const fd = await writerOnce(fifo, Date.now() + 30_000);
      let closed = false;
      try {
        // Mail, and the FIFO held open: the CLI is mid-read when the signal comes.
        writeSync(fd, EXAMPLE);
        child.kill(signal);
        // Once the report is out, end the read it left blocked; were it still blocked a second
        // later, the CLI would die of the signal itself: the shell sees 128+n either way.
        while (!complete(out) && child.exitCode === null && child.signalCode === null) await sleep(20);
        closeSync(fd);
        closed = true;
        const end = await exited;
        assert.ok(end.code === exit || end.signal === signal, `exit ${end.code}, signal ${end.signal}: ${err}`);
      } finally {
        if (!closed) closeSync(fd);
      }
      const doc = JSON.parse(out) as { incomplete?: { signal: string; reason: string }; notes: string[]; summary: unknown };
      assert.equal(doc.incomplete?.signal, signal);
      assert.match(doc.incomplete?.reason ?? '', new RegExp(`^interrupted by ${signal}`));
      assert.ok(doc.notes.some((n) => n.startsWith(`interrupted by ${signal}`)));
      assert.ok(doc.summary);
    });
  }
});

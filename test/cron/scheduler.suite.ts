// The scheduler: node-cron on a schedule of every second; runs happen, a tick that finds the last
// run still going is refused, and SIGTERM stops the daemon cleanly between batches.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NightScheduler } from '../../src/cron/scheduler.js';
import { loadNightConfig } from '../../src/cron/config.js';
import { NightDb } from '../../src/cron/db.js';
import { ROOT } from '../support/pull-repo.js';
import { makeNights, nightConfig } from '../support/nights.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('cron: scheduler', () => {
  it('runs on schedule, one at a time: a tick during a run is refused', async () => {
    const events: string[] = [];
    let release: () => void = () => {};
    let runs = 0;
    const s = new NightScheduler({
      expression: '* * * * * *',
      timezone: 'UTC',
      log: (e) => events.push(e),
      run: async () => {
        runs++;
        // The first run is quick; the second holds on until the test lets it go.
        if (runs === 2) await new Promise<void>((r) => (release = r));
      },
    });
    s.start();
    const t0 = Date.now();
    while (s.ticks.refused === 0 && Date.now() - t0 < 8000) await sleep(100);
    assert.ok(runs >= 2, `two runs happened (${runs})`);
    assert.ok(s.ticks.refused >= 1, 'a third tick was refused while the second run went on');
    assert.ok(events.includes('refused'));
    release();
    await s.stop();
    assert.ok(events.includes('stopped'));
    const after = s.ticks.started;
    await sleep(1500);
    assert.equal(s.ticks.started, after, 'nothing fires once stopped');
  });

  it('SIGTERM stops the daemon cleanly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kreview-sched-'));
    try {
      const n = makeNights(dir);
      n.night(1);
      const cfg = nightConfig(dir, n, { schedule: '* * * * * *' });
      const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test', 'support', 'kreview-cli.ts'), 'cron', '--config', cfg], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let log = '';
      child.stderr.on('data', (d: Buffer) => (log += d.toString()));
      const t0 = Date.now();
      while (!log.includes('"event":"done"') && Date.now() - t0 < 20000) await sleep(100);
      child.kill('SIGTERM');
      const code = await new Promise<number | null>((r) => child.on('close', r));
      assert.equal(code, 0, log);
      const events = log
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { event: string }).event);
      assert.equal(events[0], 'scheduled');
      assert.ok(events.includes('done'));
      assert.equal(events.at(-1), 'stopped');
      const db = new NightDb(loadNightConfig(cfg).database);
      try {
        assert.ok(
          db.runs().every((r) => r.state === 'done'),
          'no run left half done',
        );
      } finally {
        db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

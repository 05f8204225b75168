// Crash safety: `kreview cron --once` killed with SIGKILL at seeded random moments, again and
// again, then run to the end: every message is in the database once, every finding is reported by
// exactly one run, and no run is left half done.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNightConfig } from '../../src/cron/config.js';
import { NightDb } from '../../src/cron/db.js';
import type { Digest } from '../../src/cron/digest.js';
import { rng } from '../support/rng.js';
import { ROOT } from '../support/pull-repo.js';
import { makeNights, nightConfig } from '../support/nights.js';
import { mail, type Inbox } from '../support/inbox.js';

const CLI = join(ROOT, 'test', 'support', 'kreview-cli.ts');

/** Start `kreview cron --once`; kill it with SIGKILL after `ms` (null: let it finish). */
function cron(config: string, killAfter: number | null): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'cron', '--once', '--config', config], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = killAfter === null ? null : setTimeout(() => child.kill('SIGKILL'), killAfter);
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stderr });
    }),
  );
}

describe('cron: killed at any moment', () => {
  let dir: string;
  let config: string;
  let inbox: Inbox;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kreview-crash-'));
    const n = makeNights(dir);
    n.night(1);
    n.night(2);
    inbox = n.inbox;
    // One message per batch: a transaction per message, so there are many moments to die in.
    config = nightConfig(dir, n, { batchSize: 1 });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('loses nothing and reports nothing twice', async () => {
    const r = rng(7);
    const cfgNow = loadNightConfig(config);
    const state = (): { messages: number; running: boolean } => {
      if (!existsSync(cfgNow.database)) return { messages: 0, running: false };
      const db = new NightDb(cfgNow.database);
      try {
        return { messages: db.messageCount(), running: db.runs().some((x) => x.state === 'running' || x.state === 'reporting') };
      } finally {
        db.close();
      }
    };
    // Kill at seeded moments while mail keeps arriving (more batches, more moments to die in). A kill
    // before the run got going teaches little, so the moment moves later until processes die in the
    // middle of their work (a run left unfinished in the database), and earlier when they finish.
    let midway = 0;
    let delay = 800;
    let sent = 0;
    for (let i = 0; i < 24 && midway < 3; i++) {
      for (let k = 0; k < 6; k++, sent++) inbox.add(mail({ from: 'Dee <dee@example.com>', subject: `Travel plans ${sent}`, id: `travel-${sent}@example.com`, body: `Day ${sent}.` }));
      const before = state().messages;
      const res = await cron(config, delay + Math.floor(r() * 400));
      const after = state();
      if (res.signal === 'SIGKILL' && after.running) midway++;
      else if (res.signal !== 'SIGKILL') delay = Math.max(300, delay - 300);
      else if (after.messages === before) delay += 300;
    }
    assert.ok(midway >= 2, `runs were killed mid-way (${midway})`);
    const last = await cron(config, null);
    assert.equal(last.code, 0, last.stderr);
    const again = await cron(config, null);
    assert.equal(again.code, 0, again.stderr);
    const cfg = loadNightConfig(config);
    const db = new NightDb(cfg.database);
    try {
      assert.equal(db.messageCount(), 8 + sent, 'every message once');
      assert.ok(db.runs().every((x) => x.state === 'done' || x.state === 'aborted'), JSON.stringify(db.runs().map((x) => x.state)));
      const unreported = db.db.prepare('SELECT count(*) AS n FROM findings WHERE reported_run_id IS NULL').get() as { n: number };
      assert.equal(unreported.n, 0);
      const rows = db.db.prepare('SELECT version_id, fingerprint, verdict FROM findings').all() as { version_id: number; fingerprint: string; verdict: string }[];
      assert.ok(rows.some((x) => x.verdict === 'new') && rows.some((x) => x.verdict === 'fixed'), 'the nights were analysed');
      // Every finding in exactly one written digest.
      const said = new Map<string, number>();
      const runs = join(cfg.output, 'runs');
      for (const d of existsSync(runs) ? readdirSync(runs) : []) {
        const file = join(runs, d, 'digest.json');
        if (!existsSync(file)) continue;
        const digest = JSON.parse(readFileSync(file, 'utf8')) as Digest;
        for (const s of digest.series) {
          for (const v of s.versions) {
            for (const f of [...v.new, ...v.fixed, ...v.persisting, ...v.replies, ...v.toolNew, ...v.toolGone]) {
              const k = `${v.versionId}\0${f.fingerprint}\0${f.verdict}`;
              said.set(k, (said.get(k) ?? 0) + 1);
            }
          }
        }
      }
      for (const x of rows) assert.equal(said.get(`${x.version_id}\0${x.fingerprint}\0${x.verdict}`), 1, `${x.fingerprint} ${x.verdict} said once`);
    } finally {
      db.close();
    }
  });
});


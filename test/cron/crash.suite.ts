// Crash safety: `kreview cron --once` killed with SIGKILL at seeded random moments, again and
// again, then run to the end: every message is in the database once, every finding is reported by
// exactly one run, and no run is left half done.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import Database from 'better-sqlite3';
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

/** Highest run id in the database and whether it is still in progress (read-only; the run may be writing). */
function lastRun(database: string): { id: number; open: boolean } {
  if (!existsSync(database)) return { id: 0, open: false };
  let db: Database.Database | undefined;
  try {
    db = new Database(database, { readonly: true, fileMustExist: true });
    const row = db.prepare('SELECT id, state FROM runs ORDER BY id DESC LIMIT 1').get() as { id: number; state: string } | undefined;
    return row ? { id: row.id, open: row.state === 'running' || row.state === 'reporting' } : { id: 0, open: false };
  } catch {
    return { id: 0, open: false }; // not created yet, or busy: ask again on the next tick
  } finally {
    db?.close();
  }
}

/**
 * Start `kreview cron --once` and SIGKILL it: `kill.after` ms after it starts, or, with
 * `kill.inRun`, that many ms after its run shows up in the database (so the moment falls inside the
 * work however slow the machine is to start node). `kill` null lets it finish.
 */
function cron(
  config: string,
  database: string,
  kill: { after: number; inRun: boolean } | null,
): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'cron', '--once', '--config', config], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timers: NodeJS.Timeout[] = [];
  if (kill && !kill.inRun) timers.push(setTimeout(() => child.kill('SIGKILL'), kill.after));
  if (kill?.inRun) {
    const seen = lastRun(database).id;
    const poll = setInterval(() => {
      const now = lastRun(database);
      if (now.id > seen && now.open) {
        clearInterval(poll);
        timers.push(setTimeout(() => child.kill('SIGKILL'), kill.after));
      }
    }, 20);
    timers.push(poll);
  }
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      for (const t of timers) clearTimeout(t);
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
    // Kill at seeded moments while mail keeps arriving (more batches, more moments to die in): every
    // fourth process at any moment from its start (startup, migrations, the first fetch), the others
    // at a random moment after their run began, so that runs really die in the middle of their work.
    let midway = 0;
    let sent = 0;
    for (let i = 0; i < 16 && midway < 3; i++) {
      for (let k = 0; k < 6; k++, sent++)
        inbox.add(mail({ from: 'Dee <dee@example.com>', subject: `Travel plans ${sent}`, id: `travel-${sent}@example.com`, body: `Day ${sent}.` }));
      const anyMoment = i % 4 === 0;
      const res = await cron(
        config,
        cfgNow.database,
        anyMoment ? { after: Math.floor(r() * 1500), inRun: false } : { after: Math.floor(r() * 250), inRun: true },
      );
      if (res.signal === 'SIGKILL' && lastRun(cfgNow.database).open) midway++;
    }
    assert.ok(midway >= 2, `runs were killed mid-way (${midway})`);
    const last = await cron(config, cfgNow.database, null);
    assert.equal(last.code, 0, last.stderr);
    const again = await cron(config, cfgNow.database, null);
    assert.equal(again.code, 0, again.stderr);
    const cfg = loadNightConfig(config);
    const db = new NightDb(cfg.database);
    try {
      assert.equal(db.messageCount(), 8 + sent, 'every message once');
      assert.ok(
        db.runs().every((x) => x.state === 'done' || x.state === 'aborted'),
        JSON.stringify(db.runs().map((x) => x.state)),
      );
      const unreported = db.db.prepare('SELECT count(*) AS n FROM findings WHERE reported_run_id IS NULL').get() as { n: number };
      assert.equal(unreported.n, 0);
      const rows = db.db.prepare('SELECT version_id, fingerprint, verdict FROM findings').all() as {
        version_id: number;
        fingerprint: string;
        verdict: string;
      }[];
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

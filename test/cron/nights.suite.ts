// Three nights of the nightly job on a public-inbox archive and a kernel tree: v1 of a series with a
// lock leak, then v2 (leak fixed, a reference leak introduced) and a review reply, then nothing.
// Each night says what is new, fixed and still there per version, and nothing twice.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNightConfig } from '../../src/cron/config.js';
import { NightDb } from '../../src/cron/db.js';
import { runNight, type NightResult } from '../../src/cron/night.js';
import { makeNights, nightConfig, type Nights } from '../support/nights.js';

describe('cron: three nights', () => {
  let dir: string;
  let n: Nights;
  let cfgPath: string;
  const results: NightResult[] = [];
  const night = async (k: 1 | 2 | 3, day: string): Promise<NightResult> => {
    n.night(k);
    const r = await runNight(loadNightConfig(cfgPath), { now: () => new Date(`${day}T04:00:00Z`) });
    results.push(r);
    return r;
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kreview-nights-'));
    n = makeNights(dir);
    cfgPath = nightConfig(dir, n);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('night 1: v1 arrives; its lock leak is new in v1', async () => {
    const r = await night(1, '2024-06-12');
    const d = r.digest;
    assert.equal(d.messages, 4, 'cover letter, two patches, an unrelated mail');
    assert.equal(d.series.length, 1);
    const v1 = d.series[0]!.versions[0]!;
    assert.equal(v1.version, 1);
    assert.deepEqual(
      v1.new.map((f) => `${f.rule} ${f.function}`),
      ['lock-leak dial_set'],
    );
    assert.equal(v1.fixed.length + v1.persisting.length, 0);
    assert.ok(existsSync(join(dir, 'reports', 'runs', '2024-06-12-run1', 'index.html')));
    const db = new NightDb(loadNightConfig(cfgPath).database);
    try {
      const kept = db.db.prepare("SELECT count(*) AS n FROM results WHERE kind = 'scan'").get() as { n: number };
      assert.ok(kept.n > 0, 'the series reviewed are kept by content for the nights after');
    } finally {
      db.close();
    }
  });

  it('night 2: v2 fixes the lock leak and brings a reference leak; the reply is reviewed, not a version', async () => {
    const r = await night(2, '2024-06-13');
    const d = r.digest;
    assert.equal(d.messages, 4, 'cover letter, two patches, a reply');
    assert.equal(d.series.length, 1, JSON.stringify(d.series.map((s) => s.title)));
    const versions = d.series[0]!.versions.map((v) => v.version);
    assert.ok(versions.includes(2));
    const v2 = d.series[0]!.versions.find((v) => v.version === 2)!;
    assert.deepEqual(
      v2.new.map((f) => `${f.rule} ${f.function}`),
      ['ref-leak dial_get'],
    );
    assert.deepEqual(
      v2.fixed.map((f) => `${f.rule} ${f.function}`),
      ['lock-leak dial_set'],
    );
    assert.equal(v2.persisting.length, 0);
    const db = new NightDb(loadNightConfig(cfgPath).database);
    try {
      assert.equal(db.versions(d.series[0]!.id).length, 2, 'the reply made no version');
      const replies = db.db.prepare('SELECT version_id FROM messages WHERE reply = 1').all() as { version_id: number | null }[];
      assert.equal(replies.length, 1);
      const v1 = db.versions(d.series[0]!.id).find((v) => v.version === 1)!;
      assert.equal(replies[0]!.version_id, v1.id, 'the reply goes with the version it answers');
      assert.equal(db.allSeries().length, 1, 'and makes no series of its own');
    } finally {
      db.close();
    }
  });

  it('night 3: nothing new, and nothing said twice', async () => {
    const r = await night(3, '2024-06-14');
    assert.equal(r.digest.nothingNew, true);
    assert.equal(r.digest.messages, 0);
    const db = new NightDb(loadNightConfig(cfgPath).database);
    try {
      assert.equal(db.messageCount(), 8);
      const reported = db.db
        .prepare('SELECT fingerprint, verdict, count(DISTINCT reported_run_id) AS runs FROM findings GROUP BY fingerprint, verdict, version_id')
        .all() as { runs: number }[];
      assert.ok(reported.length >= 3);
      assert.ok(
        reported.every((x) => x.runs === 1),
        'every finding reported by exactly one run',
      );
      assert.deepEqual(
        db.runs().map((x) => x.state),
        ['done', 'done', 'done'],
      );
    } finally {
      db.close();
    }
    const digest = JSON.parse(readFileSync(join(dir, 'reports', 'runs', '2024-06-14-run3', 'digest.json'), 'utf8')) as { nothingNew: boolean };
    assert.equal(digest.nothingNew, true);
  });
});

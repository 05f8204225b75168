// Sources the nightly job follows, and what goes wrong with them: an mbox and a Maildir read again
// each night for what is new, versions found again by a changed title or by b4's change-id, a
// source that is gone or holds a broken message (said in the night's report while the others run),
// and a change of kreview's semantics told apart from a change made by the patch.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNightConfig } from '../../src/cron/config.js';
import { NightDb } from '../../src/cron/db.js';
import { runNight } from '../../src/cron/night.js';
import { KernelTree } from '../support/inbox.js';

const FILE = 'drivers/demo/fan.c';
const fan = (leak: boolean, comment = '') =>
  `#include <linux/spinlock.h>\n\nstruct fan {\n\tspinlock_t lock;\n\tint rpm;\n};\n${comment}\nstatic int fan_set(struct fan *f, int rpm)\n{\n\tspin_lock(&f->lock);\n${leak ? '\tif (rpm < 0)\n\t\treturn -EINVAL;\n' : ''}\tf->rpm = rpm;\n\tspin_unlock(&f->lock);\n\treturn 0;\n}\n`;
const mbox = (msgs: string[]): string => msgs.map((m) => `From kreview@example.org Thu Jan  1 00:00:00 1970\n${m.replace(/^From /gm, '>From ')}\n`).join('');

describe('cron: sources', () => {
  let dir: string;
  let kernel: KernelTree;
  let base: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kreview-sources-'));
    kernel = new KernelTree(join(dir, 'linux'));
    base = kernel.commit({ [FILE]: fan(false) }, 'demo: add the fan driver');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const config = (name: string, body: string): string => {
    const p = join(dir, `${name}.yaml`);
    writeFileSync(p, [`database: ${join(dir, name, 'db.sqlite')}`, `output: ${join(dir, name, 'out')}`, 'sources:', body].join('\n'));
    return p;
  };

  it('an mbox is read again for new messages only; a retitled v2 is the same series', async () => {
    const box = join(dir, 'patches.mbox');
    const v1 = kernel.series(base, 1, 'demo: fan: check the speed', [{ message: 'demo: fan: refuse negative speeds', files: { [FILE]: fan(true) } }]);
    writeFileSync(box, mbox(v1));
    const cfg = loadNightConfig(config('mbox', `  - name: local\n    mbox: ${box}\n    tree: ${kernel.dir}\n    fetch-tree: false`));
    const n1 = await runNight(cfg, { now: () => new Date('2024-07-01T04:00:00Z') });
    assert.equal(n1.digest.messages, 2);
    assert.deepEqual(
      n1.digest.series[0]!.versions[0]!.new.map((f) => f.rule),
      ['lock-leak'],
    );
    // v2 changes the title a little and fixes the leak.
    const v2 = kernel.series(base, 2, 'demo: fan: check the fan speed', [
      { message: 'demo: fan: refuse negative speeds', files: { [FILE]: fan(false, '/* speeds are >= 0 */') } },
    ]);
    appendFileSync(box, mbox(v2));
    const n2 = await runNight(cfg, { now: () => new Date('2024-07-02T04:00:00Z') });
    assert.equal(n2.digest.messages, 2, 'only the new messages are read');
    assert.equal(n2.digest.series.length, 1);
    const v = n2.digest.series[0]!.versions.find((x) => x.version === 2)!;
    assert.deepEqual(
      v.fixed.map((f) => f.rule),
      ['lock-leak'],
      'fixed in v2, against v1 of the same series',
    );
    const n3 = await runNight(cfg, { now: () => new Date('2024-07-03T04:00:00Z') });
    assert.equal(n3.digest.nothingNew, true);
  });

  it('a Maildir; and b4 change-id ties versions whose titles differ', async () => {
    const md = join(dir, 'Maildir');
    for (const d of ['cur', 'new', 'tmp']) mkdirSync(join(md, d), { recursive: true });
    const put = (msgs: string[], tag: string) => msgs.forEach((m, i) => writeFileSync(join(md, 'new', `${tag}-${i}.host`), m));
    const cid = (m: string[]) => [m[0]!.replace(/\nbase-commit:/, '\nchange-id: 20240701-fan-speed-0123456789ab\nbase-commit:'), ...m.slice(1)];
    put(cid(kernel.series(base, 1, 'demo: fan: speed checks', [{ message: 'demo: fan: a speed check', files: { [FILE]: fan(true) } }])), 'a');
    const cfg = loadNightConfig(config('maildir', `  - name: box\n    maildir: ${md}\n    tree: ${kernel.dir}\n    fetch-tree: false`));
    await runNight(cfg, { now: () => new Date('2024-07-01T04:00:00Z') });
    put(
      cid(
        kernel.series(base, 2, 'fan: reject bad input early', [
          { message: 'fan: reject bad input early', files: { [FILE]: fan(true, '/* checked first */') } },
        ]),
      ),
      'b',
    );
    const n2 = await runNight(cfg, { now: () => new Date('2024-07-02T04:00:00Z') });
    assert.equal(n2.digest.messages, 2);
    const db = new NightDb(cfg.database);
    try {
      assert.equal(db.allSeries().length, 1, 'one series, by its change-id');
    } finally {
      db.close();
    }
    const v2 = n2.digest.series[0]!.versions.find((x) => x.version === 2)!;
    assert.deepEqual(
      v2.persisting.map((f) => `${f.rule} since v${f.since}`),
      ['lock-leak since v1'],
    );
  });

  it('a source that is gone or holds a broken message is said in the report; the others run', async () => {
    const box = join(dir, 'broken.mbox');
    const v1 = kernel.series(base, 1, 'demo: fan: broken neighbour', [{ message: 'demo: fan: another speed check', files: { [FILE]: fan(true) } }]);
    writeFileSync(box, mbox(['this line is not a mail header\nnor is this', ...v1]));
    const cfg = loadNightConfig(
      config(
        'broken',
        [
          `  - name: gone\n    public-inbox: ${join(dir, 'no-such-archive')}`,
          `  - name: local\n    mbox: ${box}\n    tree: ${kernel.dir}\n    fetch-tree: false`,
        ].join('\n'),
      ),
    );
    const r = await runNight(cfg, { now: () => new Date('2024-07-05T04:00:00Z') });
    assert.ok(
      r.digest.events.some((e) => e.source === 'gone' && e.level === 'error' && /no-such-archive: not found/.test(e.text)),
      JSON.stringify(r.digest.events),
    );
    assert.ok(
      r.digest.events.some((e) => e.source === 'local' && e.level === 'warning' && /message 1/.test(e.text)),
      JSON.stringify(r.digest.events),
    );
    assert.deepEqual(
      r.digest.series[0]?.versions[0]?.new.map((f) => f.rule),
      ['lock-leak'],
      'the good source was read',
    );
  });

  it('what a change of semantics alone changes is said apart from what the patch changed', async () => {
    const box = join(dir, 'tool.mbox');
    const analysis = join(dir, 'analysis.yaml');
    writeFileSync(analysis, 'rules: {}\n');
    writeFileSync(box, mbox(kernel.series(base, 1, 'demo: fan: tool check', [{ message: 'demo: fan: a check', files: { [FILE]: fan(true) } }])));
    const path = config('tool', `  - name: local\n    mbox: ${box}\n    tree: ${kernel.dir}\n    fetch-tree: false`);
    appendFileSync(path, `\nanalysis: ${analysis}\n`);
    await runNight(loadNightConfig(path), { now: () => new Date('2024-07-06T04:00:00Z') });
    // The maintainer turns lock-leak off; v2 leaves the code as it was.
    writeFileSync(analysis, 'rules:\n  lock-leak: off\n');
    appendFileSync(box, mbox(kernel.series(base, 2, 'demo: fan: tool check', [{ message: 'demo: fan: a check', files: { [FILE]: fan(true, '/* v2 */') } }])));
    const r = await runNight(loadNightConfig(path), { now: () => new Date('2024-07-07T04:00:00Z') });
    const versions = r.digest.series[0]!.versions;
    const v1 = versions.find((v) => v.version === 1)!;
    const v2 = versions.find((v) => v.version === 2)!;
    assert.deepEqual(
      v1.toolGone.map((f) => f.rule),
      ['lock-leak'],
      'gone because kreview changed',
    );
    assert.deepEqual(v2.fixed, [], 'not fixed by v2');
  });
});

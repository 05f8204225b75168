// The nightly configuration: the README's example is a valid one, defaults follow XDG, and a bad
// file names its file, line and key.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/config/index.js';
import { defaultPaths, loadNightConfig } from '../../src/cron/config.js';
import { ROOT } from '../support/pull-repo.js';

describe('cron: configuration', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'kreview-cron-config-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string): string => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it("the README's example loads as written", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const m = /```yaml\n(# kreview-nightly\.yaml[\s\S]*?)```/.exec(readme);
    assert.ok(m, 'the README has the nightly example');
    const cfg = loadNightConfig(write('readme.yaml', m![1]!));
    assert.equal(cfg.schedule, '30 4 * * *');
    assert.deepEqual(
      cfg.sources.map((s) => s.kind),
      ['public-inbox', 'mbox', 'github'],
    );
    assert.equal(cfg.sources[0]!.tree, '/srv/linux');
    assert.equal(cfg.mail.send, false);
  });

  it('defaults: the XDG state and data directories', () => {
    const cfg = loadNightConfig(write('min.yaml', `sources:\n  - name: a\n    mbox: ${join(dir, 'a.mbox')}\n`));
    assert.equal(cfg.database, defaultPaths().database);
    assert.equal(cfg.output, defaultPaths().output);
    assert.deepEqual(defaultPaths({ XDG_STATE_HOME: '/s', XDG_DATA_HOME: '/d' }), { database: '/s/kreview/kreview.sqlite', output: '/d/kreview/reports' });
  });

  it('names the file, line and key of what is wrong', () => {
    const cases: [string, RegExp][] = [
      ['schedule: "every night"\nsources:\n  - name: a\n    mbox: x\n', /bad1\.yaml:1: schedule: 'every night' is not a cron expression/],
      ['timezone: Mars/Olympus\nsources:\n  - name: a\n    mbox: x\n', /bad2\.yaml:1: timezone: 'Mars\/Olympus' is not a time zone/],
      ['sources:\n  - name: a\n    mbox: x\n  - name: a\n    mbox: y\n', /bad3\.yaml:4: sources\.1\.name: 'a' is used by another source/],
      ['sources:\n  - name: gh\n    github: acme/linux\n', /bad4\.yaml:2: sources\.0: a github source needs a tree/],
      ['sources: []\n', /bad5\.yaml:1: sources:/],
      ['sources:\n  - name: a\n    mbox: x\nmail:\n  send: true\n  dry-run: false\n', /bad6\.yaml:4: mail: /],
    ];
    for (const [k, [text, re]] of cases.entries()) {
      assert.throws(
        () => loadNightConfig(write(`bad${k + 1}.yaml`, text)),
        (e: unknown) => e instanceof ConfigError && re.test(e.message),
        `case ${k + 1}`,
      );
    }
  });
});

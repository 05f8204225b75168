// The configuration file and the rule flags: discovery, rules off and severities, ignore globs,
// extra semantics, the baseline, and errors that name the file, the line and the key.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { runCli as run } from './support/cli.js';
import { findConfig, ConfigError } from '../src/config/index.js';
import { loadConfig } from '../src/config/file.js';
import type { RunDocument } from '../src/report/document.js';
import { SET_RATE_LEAK } from './support/snippets.js';

const LEAK = SET_RATE_LEAK;

/** A pair only a project's own semantics file declares (so the extra directory is what finds it). */
const PAIRED = [
  'static int use_widget(struct widget *w)',
  '{',
  '\twidget_pin(w);',
  '\tif (!w->ready)',
  '\t\treturn -EAGAIN;',
  '\tw->uses++;',
  '\twidget_unpin(w);',
  '\treturn 0;',
  '}',
  '',
].join('\n');

describe('config', () => {
  let dir: string;
  const json = (out: string): RunDocument => JSON.parse(out) as RunDocument;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kreview-config-'));
    mkdirSync(join(dir, 'drivers', 'staging'), { recursive: true });
    writeFileSync(join(dir, 'leak.c'), LEAK);
    writeFileSync(join(dir, 'drivers', 'staging', 'old.c'), LEAK);
    writeFileSync(join(dir, 'paired.c'), PAIRED);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const cfg = (name: string, text: string): string => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it('finds .kreview.yaml in the tree, or up from the current directory to the repository top', () => {
    const repo = join(dir, 'repo');
    mkdirSync(join(repo, '.git'), { recursive: true });
    mkdirSync(join(repo, 'a', 'b'), { recursive: true });
    assert.equal(findConfig(undefined, join(repo, 'a', 'b')), null);
    writeFileSync(join(repo, '.kreview.yaml'), 'rules: {}\n');
    assert.equal(findConfig(undefined, join(repo, 'a', 'b')), join(repo, '.kreview.yaml'));
    assert.equal(findConfig(repo), join(repo, '.kreview.yaml'));
    assert.equal(findConfig(join(repo, 'a')), null, 'with --tree, only the tree top counts');
  });

  it('turns rules off and changes severities, from the file and then the flags', async () => {
    const base = await run(['check', '-f', 'json', join(dir, 'leak.c')]);
    assert.equal(json(base.out).findings.find((f) => f.rule === 'lock-leak')?.severity, 'error');
    const off = cfg('off.yaml', 'rules:\n  lock-leak: off\n');
    const r = await run(['check', '-f', 'json', '--config', off, join(dir, 'leak.c')]);
    const doc = json(r.out);
    assert.equal(doc.findings.filter((f) => f.rule === 'lock-leak').length, 0);
    assert.equal(doc.rules.find((x) => x.id === 'lock-leak')?.enabled, false);
    assert.equal(doc.invocation.config, off);
    assert.equal(r.code, 0);
    const back = await run(['check', '-f', 'json', '--config', off, '--enable', 'lock-leak', join(dir, 'leak.c')]);
    assert.equal(json(back.out).findings.filter((f) => f.rule === 'lock-leak').length, 1, '--enable wins over the file');
    const sev = cfg('sev.yaml', 'rules:\n  lock-leak: { severity: warning }\n');
    const w = await run(['check', '-f', 'json', '--config', sev, join(dir, 'leak.c')]);
    assert.equal(json(w.out).findings.find((f) => f.rule === 'lock-leak')?.severity, 'warning');
    assert.equal(w.code, 0, 'a warning does not fail at the default --fail-on error');
    const flag = await run(['check', '-f', 'json', '--severity', 'lock-leak=info', '--disable', 'ref-leak,flag-leak', join(dir, 'leak.c')]);
    const fd = json(flag.out);
    assert.equal(fd.findings.find((f) => f.rule === 'lock-leak')?.severity, 'info');
    assert.deepEqual(
      fd.rules.filter((x) => !x.enabled).map((x) => x.id),
      ['ref-leak', 'flag-leak'],
    );
  });

  it('ignores paths by glob and accounts for them', async () => {
    const ign = cfg('ign.yaml', 'ignore:\n  - drivers/staging/**\n');
    const r = await run(['check', '-f', 'json', '--config', ign, dir]);
    const doc = json(r.out);
    const old = doc.files.find((f) => f.path.endsWith('old.c'));
    assert.equal(old?.status, 'ignored');
    assert.ok(!doc.findings.some((f) => f.file?.endsWith('old.c')));
    assert.ok(doc.findings.some((f) => f.file?.endsWith('leak.c')));
  });

  it('reads extra semantics directories named in the file', async () => {
    const sem = join(dir, 'sem');
    mkdirSync(sem, { recursive: true });
    writeFileSync(join(sem, 'widgets.yaml'), 'subsystem: widgets\npairs:\n  - { get: widget_pin, put: widget_unpin, obj: 0 }\n');
    const without = await run(['check', '-f', 'json', join(dir, 'paired.c')]);
    const c = cfg('sem.yaml', 'semantics:\n  - sem\n');
    const withSem = await run(['check', '-f', 'json', '--config', c, join(dir, 'paired.c')]);
    const leaks = (out: string) => json(out).findings.filter((f) => f.rule === 'ref-leak' && f.severity !== 'info');
    assert.equal(leaks(withSem.out).length, 1, withSem.out.slice(0, 400));
    assert.ok(leaks(without.out).length <= leaks(withSem.out).length);
    assert.match(leaks(withSem.out)[0]!.facts.join('\n'), /declared in rules\//);
  });

  it('marks baseline findings in every format and does not fail on them', async () => {
    const first = await run(['check', '-f', 'json', '-o', join(dir, 'base.json'), join(dir, 'leak.c')]);
    assert.equal(first.code, 1);
    const again = await run(['check', '-f', 'json', '--baseline', join(dir, 'base.json'), join(dir, 'leak.c')]);
    assert.equal(again.code, 0, 'only baseline findings: the run passes');
    const doc = json(again.out);
    assert.ok(doc.findings.length > 0 && doc.findings.every((f) => f.baseline));
    assert.equal(doc.summary.baseline, doc.findings.length);
    const text = await run(['check', '--baseline', join(dir, 'base.json'), join(dir, 'leak.c')]);
    assert.match(text.out, /\[lock-leak, present, baseline\]/);
    const viaFile = cfg('bl.yaml', 'baseline: base.json\n');
    assert.equal((await run(['check', '--config', viaFile, join(dir, 'leak.c')])).code, 0, 'baseline path relative to the config file');
    const bad = await run(['check', '--baseline', join(dir, 'leak.c'), join(dir, 'leak.c')]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /baseline .*leak\.c/);
  });

  it('names the file, line and key of a bad configuration', async () => {
    const cases: [string, RegExp][] = [
      ['rules:\n  lock-leak: off\n  no-such-rule: warning\n', /bad1\.yaml:3: rules\.no-such-rule: no such rule/],
      ['rules:\n  lock-leak: loud\n', /bad2\.yaml:2: rules\.lock-leak:/],
      ['ignore: drivers/**\n', /bad3\.yaml:1: ignore:/],
      ['rules:\n  lock-leak: off\ncolour: red\n', /bad4\.yaml:3: colour: unknown key 'colour'/],
      ['rules: [\n', /bad5\.yaml:\d+: not valid YAML/],
      ['email:\n  from: kreview <k@x>\n  archive: not a url\n', /bad6\.yaml:3: email\.archive:/],
    ];
    for (const [k, [text, re]] of cases.entries()) {
      const p = cfg(`bad${k + 1}.yaml`, text);
      assert.throws(
        () => loadConfig(p),
        (e: unknown) => e instanceof ConfigError && re.test(e.message),
        `case ${k + 1}`,
      );
      const r = await run(['check', '--config', p, join(dir, 'leak.c')]);
      assert.equal(r.code, 2);
      assert.match(r.err, re);
    }
    const flags = await run(['check', '--severity', 'lock-leak=loud', join(dir, 'leak.c')]);
    assert.equal(flags.code, 2);
    assert.match(flags.err, /--severity lock-leak=loud: level must be/);
    assert.equal((await run(['check', '--disable', 'nope', join(dir, 'leak.c')])).code, 2);
    assert.match(readFileSync(join(dir, 'bad1.yaml'), 'utf8'), /no-such-rule/);
  });
});

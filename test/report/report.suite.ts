// The run document and `kreview report`: every output of scan, check and report matches the JSON
// Schema, every format is the same from a run and from its saved JSON, bad saved runs exit 2, and
// findings in code with no file name are anchored on their message and body line.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { runCli as run } from '../support/cli.js';
import { validateRunDocument } from '../../src/report/schema.js';
import type { RunDocument } from '../../src/report/document.js';

const MBOX = 'fixtures/mail/example.mbox';

/** A reply that quotes a whole function with no diff header: the leak is found in the quote. */
const FRAGMENT_MAIL = [
  'From: Rev Iewer <rev@example.net>',
  'To: list@example.org',
  'Subject: Re: [PATCH] demo: take the lock in widget_attach',
  'Message-ID: <frag-1@example.net>',
  'In-Reply-To: <patch-1@example.org>',
  'Date: Wed, 12 Jun 2024 10:00:00 +0000',
  '',
  'Something like this?',
  '',
  '+static int widget_attach(struct bus *b, struct widget *w)',
  '+{',
  '+\tint ret;',
  '+',
  '+\tmutex_lock(&b->lock);',
  '+\tret = bus_add(b, w);',
  '+\tif (ret)',
  '+\t\treturn ret;',
  '+\tw->bus = b;',
  '+\tmutex_unlock(&b->lock);',
  '+\treturn 0;',
  '+}',
  '',
].join('\n');

describe('report: run document and formats', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kreview-report-'));
    writeFileSync(join(dir, 'fragment.eml'), FRAGMENT_MAIL);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('every JSON output of scan, check and report matches the schema', async () => {
    const scan = await run(['scan', '-f', 'json', MBOX]);
    const check = await run(['check', '-f', 'json', 'fixtures/c/check-then-act', 'fixtures/c/lock-leak/ladders.c', join(dir, 'missing.c')]);
    writeFileSync(join(dir, 'scan.json'), scan.out);
    const again = await run(['report', '-f', 'json', join(dir, 'scan.json')]);
    for (const [name, out] of [
      ['scan', scan.out],
      ['check', check.out],
      ['report', again.out],
    ] as const) {
      const doc = JSON.parse(out) as RunDocument;
      assert.deepEqual(validateRunDocument(doc), [], name);
      assert.equal(doc.schemaVersion, 1);
    }
    const c = JSON.parse(check.out) as RunDocument;
    assert.equal(c.command, 'check');
    assert.ok(
      c.findings.some((f) => f.witness),
      'race findings carry witnesses',
    );
    assert.equal(c.files.find((f) => f.path.endsWith('missing.c'))?.status, 'unreadable', 'a missing input is accounted for');
    assert.equal(check.code, 2);
    const s = JSON.parse(scan.out) as RunDocument;
    assert.deepEqual(s.summary.byStatus, { introduced: 1, fixed: 1, present: 0 });
    const intro = s.findings.find((f) => f.status === 'introduced')!;
    assert.ok(
      intro.snippet.some((l) => l.line === intro.line),
      'the snippet holds the finding line',
    );
    assert.ok(intro.hunk && intro.hunk.lines.length > 0 && intro.hunk.header.startsWith('@@ -'), 'the hunk down to the line');
    assert.equal(s.messages[2]!.to[0], 'demo-devel@lists.example.org');
    assert.deepEqual(validateRunDocument({ ...s, schemaVersion: 2 }).length > 0, true, 'the schema rejects another version');
  });

  it('renders every format the same from the run and from its saved JSON', async () => {
    // The run records its own arguments; a conversion keeps the saved run's. Compare without them.
    const withoutArgs = (s: string) => s.replace(/ -f [a-z]+| -o \S+/g, '').replace(/"-[fo]",\s*"[^"]+",?\s*/g, '');
    const same = async (command: 'scan' | 'check', input: string): Promise<string> => {
      const saved = join(dir, `${command}.json`);
      await run([command, '-f', 'json', '-o', saved, input]);
      for (const format of ['text', 'markdown', 'sarif', 'html']) {
        const direct = await run([command, '-f', format, input]);
        const conv = await run(['report', '-f', format, saved]);
        assert.equal(conv.code, 0, `${format}: report exits 0 (--fail-on never by default)`);
        assert.ok(direct.out.length > 200, `${command} ${format}: output`);
        assert.equal(withoutArgs(conv.out), withoutArgs(direct.out), `${command} ${format}`);
      }
      return saved;
    };
    const saved = await same('scan', MBOX);
    await same('check', 'fixtures/c/check-then-act');
    const a = join(dir, 'mail-a');
    const b = join(dir, 'mail-b');
    await run(['scan', '-f', 'email', '--out-dir', a, MBOX]);
    await run(['report', '-f', 'email', '--out-dir', b, saved]);
    const strip = (s: string) => s.replace(/^Date: .*$/m, '');
    assert.deepEqual(readdirSync(a), readdirSync(b));
    assert.equal(readdirSync(a).length, 1, 'one patch introduces something');
    for (const f of readdirSync(a)) assert.equal(strip(readFileSync(join(b, f), 'utf8')), strip(readFileSync(join(a, f), 'utf8')), f);
  });

  it('report fails with exit 2 and a clear message on bad input', async () => {
    const cases: [string, string, RegExp][] = [
      ['notjson.json', 'hello world', /notjson\.json: not JSON/],
      ['cut.json', '{"schemaVersion": 1, "tool": {"name": "kreview"', /cut\.json: not JSON \(the file looks cut short\)/],
      ['other.json', '{"tool": {"name": "eslint"}, "results": []}', /other\.json: not a kreview run document/],
      ['old.json', '{"tool": {"name": "kreview", "version": "0.0.9"}, "findings": []}', /old\.json: .*no schemaVersion/],
      ['v9.json', '{"schemaVersion": 9, "tool": {"name": "kreview", "version": "9.0.0"}, "findings": []}', /v9\.json: schema version 9 is not supported/],
      [
        'bad.json',
        '{"schemaVersion": 1, "tool": {"name": "kreview", "version": "0.1.0"}, "findings": [{}]}',
        /bad\.json: does not match the run document schema/,
      ],
    ];
    for (const [name, text, re] of cases) {
      writeFileSync(join(dir, name), text);
      const r = await run(['report', '-f', 'text', join(dir, name)]);
      assert.equal(r.code, 2, name);
      assert.match(r.err, re, name);
      assert.equal(r.out, '', `${name}: nothing on stdout`);
    }
    const missing = await run(['report', join(dir, 'nope.json')]);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /nope\.json: cannot read/);
    const noDir = await run(['scan', '-f', 'email', MBOX]);
    assert.equal(noDir.code, 2);
    assert.match(noDir.err, /--out-dir/);
  });

  it('anchors findings in code with no file name on the message and its body line', async () => {
    const r = await run(['scan', join(dir, 'fragment.eml')]);
    const line = r.out.split('\n').find((l) => l.includes('widget_attach() error:'));
    assert.ok(line, r.out);
    // Body line 10 is "+\t\treturn ret;" (the body starts after the headers' blank line).
    assert.ok(line!.startsWith(`${join(dir, 'fragment.eml')}#1:10 widget_attach() error: inconsistent returns '&b->lock'`), line);
    assert.doesNotMatch(line!, /:\?/);
    const doc = JSON.parse((await run(['scan', '-f', 'json', join(dir, 'fragment.eml')])).out) as RunDocument;
    const f = doc.findings.find((x) => x.function === 'widget_attach')!;
    assert.equal(f.file, null);
    assert.equal(f.lineIn, 'body');
    assert.equal(f.hunk?.lines.at(-1), '+\t\treturn ret;');
  });

  it('markdown puts what was introduced first, then what was fixed, then the rest folded', async () => {
    const md = (await run(['scan', '-f', 'markdown', MBOX])).out;
    assert.match(md.split('\n')[0]!, /^## kreview: 1 introduced, 1 fixed, 0 already present$/);
    const i = md.indexOf('### Introduced');
    const f = md.indexOf('### Fixed');
    assert.ok(i > 0 && f > i, md);
    assert.match(md, /```\ndrivers\/misc\/demo\/demo-core\.c:59 demo_queue_request\(\) error: inconsistent returns/);
    assert.match(md, /fixed by \\\[PATCH v2 1\/2\\\] misc: demo: unmap the page/);
    const check = (await run(['check', '-f', 'markdown', 'fixtures/c/check-then-act'])).out;
    assert.match(check, /<details><summary>\d+ already present<\/summary>/);
    assert.doesNotMatch(check, /### Introduced/);
  });

  it('lists the rules as text, JSON and the README table', async () => {
    const t = await run(['rules']);
    assert.match(t.out, /^lock-leak\s+error\s+path\s+/m);
    const j = JSON.parse((await run(['rules', '--format', 'json'])).out) as { rules: { id: string; messages: object; cwe: number[] }[] };
    assert.ok(j.rules.some((r) => r.id === 'deadlock' && r.cwe.includes(833)));
    assert.match((await run(['rules', '-f', 'markdown'])).out, /^\| `check-then-act` \| warning \| race \|/m);
  });
});

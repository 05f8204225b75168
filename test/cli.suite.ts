// `kreview check` end to end through the CLI: Smatch-shaped text, the JSON document's findings,
// --fail-on exit codes, and a missing input named in the error while the run goes on.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { runCli as run } from './support/cli.js';
import { SET_RATE_LEAK } from './support/snippets.js';

describe('cli check', () => {
  let dir: string;
  let buggy: string;
  let clean: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kreview-cli-'));
    buggy = join(dir, 'leak.c');
    clean = join(dir, 'ok.c');
    writeFileSync(
      buggy,
      SET_RATE_LEAK +
        ['', 'static void map_one(struct page *pg, struct buf *b)', '{', '\tvoid *v = kmap_local_page(pg);', '', '\tb->first = *(u8 *)v;', '}', ''].join('\n'),
    );
    writeFileSync(clean, 'static void f(struct x *p)\n{\n\tspin_lock(&p->lock);\n\tp->n++;\n\tspin_unlock(&p->lock);\n}\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("prints findings in Smatch's shape with detail lines indented", async () => {
    const r = await run(['check', buggy]);
    assert.equal(r.code, 1, 'an error exists and --fail-on defaults to error');
    const lines = r.out.split('\n');
    assert.ok(
      lines.includes(`${buggy}:5 set_rate() error: inconsistent returns '&p->lock': held on return at 5, released on return at 8 [lock-leak, present]`),
      r.out,
    );
    assert.ok(lines.includes('    Locked on: 5'));
    assert.ok(lines.includes('    Unlocked on: 8'));
    assert.ok(
      lines.some((l) => l.startsWith(`${buggy}:16 map_one() warn: 'v' from kmap_local at 13 is not released`)),
      r.out,
    );
    assert.match(r.out, /1 file, 2 functions, 2 findings/);
  });

  it('--fail-on sets the exit code', async () => {
    assert.equal((await run(['check', '--fail-on', 'never', buggy])).code, 0);
    assert.equal((await run(['check', '--fail-on', 'warning', buggy])).code, 1);
    assert.equal((await run(['check', '--fail-on', 'error', clean])).code, 0);
    assert.equal((await run(['check', '--fail-on', 'info', clean])).code, 0);
    assert.equal((await run(['check', '--fail-on', 'bogus', clean])).code, 2);
  });

  it('puts every finding field in the JSON document', async () => {
    const r = await run(['check', '--format', 'json', buggy]);
    const doc = JSON.parse(r.out);
    const f = doc.findings.find((x: { rule: string }) => x.rule === 'lock-leak');
    for (const k of ['rule', 'severity', 'confidence', 'message', 'file', 'line', 'function', 'status', 'trace', 'fingerprint', 'objects', 'facts'])
      assert.ok(k in f, k);
    assert.equal(f.status, 'present');
    assert.equal(f.file, buggy);
    assert.match(f.fingerprint, /^lock-leak:[0-9a-f]{12}$/);
    assert.ok(f.trace.length >= 2);
  });

  it('names a missing input and still checks the others', async () => {
    const r = await run(['check', join(dir, 'nope.c'), clean]);
    assert.equal(r.code, 2);
    assert.match(r.err, /nope\.c: cannot read/);
    assert.match(r.out, /1 file, 1 functions, 0 findings/);
  });
});

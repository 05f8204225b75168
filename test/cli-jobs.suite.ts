// `check --jobs`: files analysed on worker threads give the same report, in the same order, as
// one thread, including the files that were skipped or refused along the way.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './support/cli.js';

const fixtures = join(import.meta.dirname, '../fixtures/c');

describe('cli: check --jobs', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kreview-jobs-'));
    // Fixtures of a few rules, a binary file and an empty one among them.
    for (const rule of ['lock-leak', 'ref-leak', 'double-lock']) {
      mkdirSync(join(dir, rule));
      for (const f of readdirSync(join(fixtures, rule))
        .filter((x) => x.endsWith('.c'))
        .slice(0, 4))
        writeFileSync(join(dir, rule, f), readFileSync(join(fixtures, rule, f)));
    }
    writeFileSync(join(dir, 'lock-leak', 'blob.c'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1, 2]));
    writeFileSync(join(dir, 'ref-leak', 'empty.c'), '');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('two workers give the report one thread gives, file for file', async () => {
    const one = await runCli(['check', dir, '--format', 'json', '--fail-on', 'never', '--jobs', '1']);
    const two = await runCli(['check', dir, '--format', 'json', '--fail-on', 'never', '--jobs', '2']);
    assert.equal(one.code, 0, one.err);
    assert.equal(two.code, 0, two.err);
    const view = (out: string): unknown => {
      const d = JSON.parse(out) as { files: unknown[]; findings: { fingerprint: string }[]; notes: string[] };
      return { files: d.files, findings: d.findings.map((f) => f.fingerprint), notes: d.notes };
    };
    const a = view(one.out) as { files: { status: string }[]; findings: string[] };
    assert.ok(a.findings.length > 10, `only ${a.findings.length} findings`);
    assert.ok(a.files.some((f) => f.status === 'unreadable'));
    assert.deepEqual(view(two.out), a);
  });

  it('--jobs must be a whole number of at least 1', async () => {
    const r = await runCli(['check', dir, '--jobs', '0']);
    assert.equal(r.code, 2);
    assert.match(r.err, /--jobs/);
  });
});

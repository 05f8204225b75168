// `scan --jobs`: series reviewed on worker threads give the report one thread gives, in the same
// order; a group whose worker dies is noted for each of its patches, and the run goes on.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runCli } from './support/cli.js';
import { scanMessages, reviewScan } from '../src/pipeline.js';
import { applicationGroups } from '../src/review.js';
import { defaultSemantics } from '../src/semantics/load.js';

const mail = join(import.meta.dirname, '../fixtures/mail');

/** The run document without what differs between two runs: the command line and the explorer's timings. */
function view(out: string): unknown {
  const d = JSON.parse(out) as { invocation: unknown; findings: unknown[] };
  return JSON.parse(JSON.stringify({ ...d, invocation: null }).replace(/ in \d+ ms/g, ' in N ms'));
}

describe('cli: scan --jobs', () => {
  it('two workers give the report one thread gives', async () => {
    const inputs = [mail];
    const one = await runCli(['scan', ...inputs, '--format', 'json', '--fail-on', 'never', '--jobs', '1']);
    const two = await runCli(['scan', ...inputs, '--format', 'json', '--fail-on', 'never', '--jobs', '2']);
    assert.equal(one.code, 0, one.err);
    assert.equal(two.code, 0, two.err);
    const a = view(one.out) as { findings: unknown[]; patches: unknown[] };
    assert.ok(a.findings.length > 10, `only ${a.findings.length} findings`);
    assert.ok(a.patches.length > 10, `only ${a.patches.length} patches`);
    assert.deepEqual(view(two.out), a);
  });

  it('a group whose worker runs out of memory is noted for each of its patches, the run goes on', async () => {
    const res = await scanMessages([join(mail, 'patch')]);
    const groups = applicationGroups(res.patches);
    assert.ok(groups.length > 1);
    // A heap too small for any review: every group fails, and says so per patch.
    await reviewScan(res, { sem: defaultSemantics(), jobs: 2, heapMb: 8 });
    for (const p of res.patches)
      assert.ok(
        res.doc.notes.some((n) => n.startsWith(`${p.id}: not reviewed: `)),
        `${p.id} has no note`,
      );
    assert.equal(res.doc.findings.length, 0);
  });

  it('--jobs must be a whole number of at least 1', async () => {
    const r = await runCli(['scan', mail, '--jobs', 'x']);
    assert.equal(r.code, 2);
    assert.match(r.err, /--jobs/);
  });
});

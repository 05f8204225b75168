// The zram model (a `completions` rule): page requests of one bio written by two workers; the bio
// may end only after all of them are written.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { edit, fixtureText, modelFindings, modelsOn, reviewDiff } from './helpers.js';

const seedLike = fixtureText('zram/async-write.c');
const DROP_FIRST = `\t\tlast = atomic_dec_and_test(&breq->nr_pages);
\t\tlist_del(&preq->list);

\t\terr = zram_bvec_rw(preq->zram, &preq->bvec, preq->index,
\t\t\t\t   preq->offset, true);
`;
const WRITE_FIRST = `\t\tlist_del(&preq->list);

\t\terr = zram_bvec_rw(preq->zram, &preq->bvec, preq->index,
\t\t\t\t   preq->offset, true);
\t\tlast = atomic_dec_and_test(&breq->nr_pages);
`;
const repaired = edit(seedLike, DROP_FIRST, WRITE_FIRST);

describe('model zram', () => {
  it('finds a bio ended while another worker still has to write one of its pages', async () => {
    const m = await modelsOn(seedLike);
    assert.equal(m.findings.length, 1, JSON.stringify(m.runs));
    const { finding } = m.findings[0]!;
    assert.equal(finding.rule, 'model-violation');
    assert.equal(finding.function, 'write_page_batch');
    assert.match(finding.message, /^put before use: bio_endio\(\) completes bio while page_request#\d is still to be done/);
    assert.equal(finding.line, seedLike.split('\n').findIndex((l) => l.includes('atomic_dec_and_test')) + 1);
    const steps = finding.witness!.steps.map((s) => `${s.thread}:${s.text}`);
    const drops = steps.filter((s) => s.includes('atomic_dec_and_test'));
    assert.deepEqual(new Set(drops.map((s) => s.split(':')[0])), new Set(['CPU0', 'CPU1']), steps.join('\n'));
    assert.match(steps[steps.length - 1]!, /bio_endio|bio_io_error/);
  });

  it('follows the code: dropping the count after the write is safe; moving it back breaks it', async () => {
    const safe = await modelsOn(repaired);
    assert.deepEqual(safe.findings, []);
    assert.ok(
      safe.runs.every((r) => r.verdict === 'safe'),
      JSON.stringify(safe.runs),
    );
    assert.equal((await modelsOn(edit(repaired, WRITE_FIRST, DROP_FIRST))).findings.length, 1);
  });

  it('says a patch introduced it (a diff that shows the whole function: the completion must be visible)', async () => {
    const fs = modelFindings(await reviewDiff('drivers/block/zram/zram_drv.c', repaired, seedLike, { wholeFunctions: true }));
    assert.deepEqual(
      fs.map((f) => [f.rule, f.status, f.function]),
      [['model-violation', 'introduced', 'write_page_batch']],
    );
  });
});

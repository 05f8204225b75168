// The netfs model (a `handoffs` rule): the writethrough's lock is free again after a failed begin
// or after the writethrough it began ends.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { edit, fixtureText, modelsOn } from './helpers.js';

const correct = fixtureText('netfs/writethrough.c');
const UNLOCK_ON_ERROR = '\tif (IS_ERR(wreq)) {\n\t\tmutex_unlock(&ictx->wb_lock);\n\t\treturn wreq;\n\t}';

describe('model netfs', () => {
  it('is silent on a writethrough that hands wb_lock from begin to end', async () => {
    const m = await modelsOn(correct);
    assert.ok(m.runs.length > 0);
    assert.deepEqual(m.findings, []);
  });

  it('finds a begin that fails with the lock held: the next writer waits forever', async () => {
    const broken = edit(correct, UNLOCK_ON_ERROR, '\tif (IS_ERR(wreq))\n\t\treturn wreq;');
    const m = await modelsOn(broken);
    assert.equal(m.findings.length, 1);
    const { finding } = m.findings[0]!;
    assert.equal(finding.rule, 'deadlock');
    assert.equal(finding.function, 'netfs_begin_writethrough');
    assert.match(finding.witness!.breaks, /CPU1 waits for wb_lock, held by CPU0/);
  });

  it("does not call a lock handed to the end function a leak (the seed-like error-pointer case is the engine's)", async () => {
    // Unlocked on error but not returning: a dereference of the error pointer, one thread alone.
    const fallsThrough = edit(correct, UNLOCK_ON_ERROR, '\tif (IS_ERR(wreq))\n\t\tmutex_unlock(&ictx->wb_lock);');
    assert.deepEqual((await modelsOn(fallsThrough)).findings, []);
  });
});

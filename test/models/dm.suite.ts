// The device-mapper model: bios the rescuer punts must be resubmitted by a context that cannot be
// stuck behind the target that waits for them.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { edit, fixtureText, modelsOn } from './helpers.js';

const seedLike = fixtureText('dm/wq-rescue.c');
const ownWork = fixtureText('dm/wq-rescue-own-work.c');

const DRAIN_AT_START = `\t/* Bios punted while their submitter slept: send them on first. */
\tspin_lock_irq(&md->deferred_lock);
\tpunted = md->rescued;
\tbio_list_init(&md->rescued);
\tspin_unlock_irq(&md->deferred_lock);
\tfor (bio = bio_list_pop(&punted); bio; bio = bio_list_pop(&punted))
\t\tgeneric_make_request(bio);

`;
const RESCUE_WORK = `static void dm_rescue_work(struct work_struct *work)
{
\tstruct mapped_device *md = container_of(work, struct mapped_device, rescue_work);
\tstruct bio_list punted;
\tstruct bio *bio;

\tspin_lock_irq(&md->deferred_lock);
\tpunted = md->rescued;
\tbio_list_init(&md->rescued);
\tspin_unlock_irq(&md->deferred_lock);
\twhile ((bio = bio_list_pop(&punted)))
\t\tgeneric_make_request(bio);
}

`;

describe('model dm', () => {
  it('finds the rescuer deadlock: the work blocks in the map while the punted bio waits for it', async () => {
    const m = await modelsOn(seedLike);
    assert.equal(m.findings.length, 1, JSON.stringify(m.runs));
    const { finding } = m.findings[0]!;
    assert.equal(finding.rule, 'deadlock');
    assert.equal(finding.severity, 'error');
    assert.equal(finding.function, 'dm_wq_work');
    assert.equal(finding.line, seedLike.split('\n').findIndex((l) => l.includes('__split_and_process_bio')) + 1);
    const w = finding.witness!;
    assert.equal(w.model, 'dm');
    const steps = w.steps.map((s) => `${s.thread}:${s.text}`);
    const took = steps.findIndex((s) => s.startsWith('CPU1:takes the target lock'));
    const punted = steps.findIndex((s) => s.startsWith('CPU1:its bio is punted'));
    const blocks = steps.findIndex((s) => s.startsWith('CPU0:__split_and_process_bio'));
    assert.ok(took >= 0 && punted > took && blocks > punted, steps.join('\n'));
    assert.match(w.breaks, /CPU0 waits for the target's lock.*CPU1 waits for its bio/);
  });

  it('follows the code: a work of their own for punted bios removes the deadlock; folding it back brings it back', async () => {
    assert.deepEqual((await modelsOn(ownWork)).findings, []);
    // The seed-like work repaired: its start no longer resubmits, a rescue work of its own does.
    const repaired = edit(seedLike, DRAIN_AT_START, '').replace('static void dm_wq_work', `${RESCUE_WORK}static void dm_wq_work`);
    assert.deepEqual((await modelsOn(repaired)).findings, []);
    // And the other way: the rescue work's body back at the start of the md work.
    const folded = edit(ownWork, RESCUE_WORK.replace('static void dm_rescue_work', 'static void dm_rescue_work'), '').replace(
      '\tmap = dm_get_live_table(md, &idx);',
      `\tstruct bio_list punted;\n\n${DRAIN_AT_START}\tmap = dm_get_live_table(md, &idx);`,
    );
    assert.equal((await modelsOn(folded)).findings.length, 1);
  });
});

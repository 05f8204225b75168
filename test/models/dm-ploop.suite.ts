// The dm-ploop model: pios parked on a busy md page must be taken off again by the writeback
// completion that follows; the finding follows the order of "clear MD_WRITEBACK" and "dispatch".
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { edit, fixtureText, modelFindings, modelsOn, reviewDiff } from './helpers.js';

const correct = fixtureText('dm-ploop/wb-complete.c');
const seedLike = fixtureText('dm-ploop/wb-late-clear.c');

const CLEAR_EARLY = '\tmd->piwb = NULL;\n\tclear_bit(MD_WRITEBACK, &md->status);\n\tspin_unlock(&md->md_lock);';
const NO_CLEAR = '\tmd->piwb = NULL;\n\tspin_unlock(&md->md_lock);';
const DISPATCH = '\t\tploop_dispatch_pios(ploop, NULL, &list);\n}';
const DISPATCH_THEN_CLEAR =
  '\t\tploop_dispatch_pios(ploop, NULL, &list);\n\n\tspin_lock_irqsave(&ploop->bat_lock, flags);\n\tclear_bit(MD_WRITEBACK, &md->status);\n\tspin_unlock_irqrestore(&ploop->bat_lock, flags);\n}';

/** The correct fixture broken the way the seed is: the flag is cleared after the dispatch. */
const broken = edit(edit(correct, CLEAR_EARLY, NO_CLEAR), DISPATCH, DISPATCH_THEN_CLEAR);
/** The seed-like fixture repaired: the flag is cleared before the waiting pios are taken off. */
const repaired = edit(edit(seedLike, DISPATCH_THEN_CLEAR, DISPATCH), NO_CLEAR, CLEAR_EARLY);

describe('model dm-ploop', () => {
  it('is silent when MD_WRITEBACK is cleared before the parked pios are taken off', async () => {
    const m = await modelsOn(correct);
    assert.ok(
      m.runs.some((r) => r.model === 'dm-ploop' && r.verdict === 'safe'),
      JSON.stringify(m.runs),
    );
    assert.deepEqual(m.findings, []);
  });

  it('finds the lost wakeup when the flag is cleared after the dispatch, with a two-CPU witness', async () => {
    const m = await modelsOn(seedLike);
    assert.equal(m.findings.length, 1);
    const { finding } = m.findings[0]!;
    assert.equal(finding.rule, 'model-violation');
    assert.equal(finding.function, 'ploop_advance_local_after_bat_wb');
    assert.match(finding.message, /lost wakeup: pio#1 is parked on md->wait_llist again/);
    const w = finding.witness!;
    assert.equal(w.model, 'dm-ploop');
    assert.match(w.invariant!, /every pio parked on wait_llist is taken off again/);
    const order = w.steps.map((s) => `${s.thread}:${s.text}`);
    const dispatch = order.findIndex((s) => s.startsWith('CPU0:ploop_dispatch_pios'));
    const park = order.findIndex((s) => s.startsWith('CPU1:') && s.includes('llist_add'));
    const clear = order.findIndex((s) => s.startsWith('CPU0:clear_bit(MD_WRITEBACK'));
    assert.ok(dispatch >= 0 && park > dispatch && clear > park, order.join('\n'));
    // The line is where the flag is cleared too late.
    assert.equal(finding.line, seedLike.split('\n').findIndex((l) => l.includes('clear_bit(MD_WRITEBACK')) + 1);
  });

  it('follows the code: repairing the seed-like fixture removes the finding, breaking the correct one adds it', async () => {
    assert.deepEqual((await modelsOn(repaired)).findings, []);
    assert.equal((await modelsOn(broken)).findings.length, 1);
  });

  it('says the patch introduced it, and supplies the drain the hunks do not show', async () => {
    const fs = modelFindings(await reviewDiff('drivers/md/dm-ploop-map.c', correct, broken));
    assert.equal(fs.length, 1, JSON.stringify(fs.map((f) => f.message)));
    assert.equal(fs[0]!.status, 'introduced');
    assert.ok(
      fs[0]!.facts.some((f) => /takes them onto '&list' in the hidden/.test(f)),
      fs[0]!.facts.join('\n'),
    );
    const back = modelFindings(await reviewDiff('drivers/md/dm-ploop-map.c', broken, correct));
    assert.deepEqual(
      back.map((f) => f.status),
      ['fixed'],
    );
  });
});

describe('kreview explain on a model finding', () => {
  it('shows the model, the invariant, the witness and what each step did', async () => {
    const { main } = await import('../../src/cli.js');
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'kreview-explain-'));
    const c = join(dir, 'wb.c');
    writeFileSync(c, seedLike);
    let json = '';
    await main(['check', c, '--format', 'json', '--fail-on', 'never'], { stdout: (s) => void (json += s), stderr: () => undefined });
    const f = (JSON.parse(json).findings as { rule: string; fingerprint: string; witness?: { model?: string } }[]).find((x) => x.rule === 'model-violation');
    assert.ok(f?.witness?.model === 'dm-ploop', json.slice(0, 400));
    const out = join(dir, 'out.json');
    writeFileSync(out, json);
    let text = '';
    const code = await main(['explain', f!.fingerprint, '--from', out], { stdout: (s) => void (text += s), stderr: () => undefined });
    assert.equal(code, 0);
    assert.match(text, /^model-violation \(warning/);
    assert.match(text, /witness \(model dm-ploop\):/);
    assert.match(text, /model: dm-ploop/);
    assert.match(text, /invariant: every pio parked on wait_llist/);
    assert.match(text, /CPU1 .*llist_add.*-- puts pio#1 on md->wait_llist/);
    assert.match(text, /rests on:\n {2}- model dm-ploop/);
  });
});

describe('model dm-ploop: where its rule does not apply', () => {
  it('stays out of code that parks on, and drains, another list', async () => {
    const other = correct.replaceAll('wait_llist', 'retry_llist');
    const m = await modelsOn(other);
    assert.deepEqual(m.runs, [], 'the parking rule is about md_page.wait_llist / wait_list only');
  });

  it('follows the older list_head wait list too (its own parking rule), silent when correct, loud when broken', async () => {
    const toList = (t: string): string =>
      t
        .replace('llist_add((struct llist_node *)&pio->list, &md->wait_llist);', 'list_add_tail(&pio->list, &md->wait_list);')
        .replace(
          /\twaiting = llist_del_all\(&md->wait_llist\);\n\tllist_for_each_safe\(pos, tmp, waiting\) \{\n[^}]*\}\n/,
          '\tlist_splice_tail_init(&md->wait_list, &list);\n',
        );
    const ok = await modelsOn(toList(correct));
    assert.ok(ok.runs.length > 0 && ok.runs.every((r) => r.verdict === 'safe'), JSON.stringify(ok.runs));
    const bad = await modelsOn(toList(broken));
    assert.equal(bad.findings.length, 1);
    assert.match(bad.findings[0]!.finding.message, /parked on md->wait_list again/);
  });
});

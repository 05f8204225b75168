// The seed threads' diffs (read from ../shared/seeds when present; never copied into the repo).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildImages } from '../../src/source/index.js';
import { GAP_MARKER, OPAQUE_COND } from '../../src/source/types.js';
import { parseGitDiff } from './patch-helper.js';
import { structureErrors, rowsOf, fn } from './unit-check.js';

const seeds = join(dirname(fileURLToPath(import.meta.url)), '../../../shared/seeds');
const have = existsSync(seeds);

/** The diffs of a seed: every `diff --git` run up to the next mail separator. */
function seedDiffs(file: string, lenient = false) {
  const text = readFileSync(join(seeds, file), 'utf8');
  const parts = text.split(/^(?=diff --git )/m).slice(1);
  // consecutive file diffs of one mail stay together; a new mail starts after a signature line
  const mails: string[] = [];
  let cur = '';
  for (const p of parts) {
    cur += p;
    if (/^--\s*$/m.test(p) || /^-{5,}\s*$/m.test(p)) {
      mails.push(cur);
      cur = '';
    }
  }
  if (cur) mails.push(cur);
  return mails.map((m, i) => parseGitDiff(m, { id: `${file}#${i}`, lenientContext: lenient }));
}

describe('source: seed diffs', { skip: have ? false : 'no ../shared/seeds' }, () => {
  it('seed 001: every unit parses; the reloc function keeps its gap, its goto and its label', async () => {
    const images = await buildImages(seedDiffs('001_899b0611785e33a7.txt'));
    for (const im of images) {
      for (const u of [im.pre, im.post]) if (u) assert.deepEqual(await structureErrors(u), [], `${im.path} ${u.side}`);
    }
    const map = images.find((i) => i.path === 'drivers/md/dm-ploop-map.c')!;
    const reloc = fn(map.post, 'ploop_prepare_reloc_index_wb');
    assert.equal(reloc.entryKnown, false);
    assert.ok(reloc.missing.includes('start'));
    const rows = rowsOf(map.post!, 'ploop_prepare_reloc_index_wb');
    const gap = rows.findIndex((r) => r.text.includes(`${GAP_MARKER}(`));
    const go = rows.findIndex((r) => /goto out_reset;/.test(r.text));
    const label = rows.findIndex((r) => /^out_reset:$/.test(r.text));
    assert.ok(gap > 0 && go > gap && label > go, 'gap, then the conditional goto, then the label');
    assert.ok(
      rows.slice(gap, go).some((r) => r.text.includes(`${OPAQUE_COND}(`)),
      'the goto sits in a block opened in the gap',
    );
    assert.ok(rows.some((r) => /spin_lock_irq\(&ploop->bat_lock\);/.test(r.text)));
    const brk = fn(map.post, 'ploop_break_bat_update');
    assert.equal(brk.completeness, 'full');
    assert.ok(brk.entryKnown && brk.exitKnown && brk.touched);
    assert.ok(map.functions.includes('ploop_locate_new_cluster_and_attach_pio'));
    const header = images.find((i) => i.path === 'drivers/md/dm-ploop.h')!;
    assert.deepEqual(header.functions, []);
  });

  it('seed 000: the first hunk starts inside ploop_bat_write_complete', async () => {
    const [im] = await buildImages(seedDiffs('000_5f578594dd1de3df.txt'));
    const f = fn(im!.post, 'ploop_bat_write_complete');
    assert.equal(f.entryKnown, false);
    const rows = rowsOf(im!.post!, 'ploop_bat_write_complete');
    assert.equal(rows[0]!.line, null);
    assert.match(rows[0]!.text, /^static void ploop_bat_write_complete\(struct pio \*pio, void \*piwb_ptr\) \{$/);
    assert.equal(rows.find((r) => /int completed = atomic_read/.test(r.text))?.line, 900);
    assert.deepEqual(await structureErrors(im!.post!), []);
    assert.deepEqual(await structureErrors(im!.pre!), []);
  });

  it('seed 002: diffs with stripped indentation still give parseable functions', async () => {
    const images = await buildImages(seedDiffs('002_3a531e4ba390b899.txt', true));
    for (const im of images) {
      for (const u of [im.pre, im.post]) if (u) assert.deepEqual(await structureErrors(u), [], `${im.path} ${u.side}`);
    }
    const second = images.filter((i) => i.path === 'drivers/md/dm.c')[1]!;
    assert.equal(fn(second.post, 'alloc_multiple_bios').completeness, 'full');
    assert.ok(second.functions.includes('__send_duplicate_bios'));
  });
});

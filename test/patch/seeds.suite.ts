// Patch stage on the seed threads (read from ../shared/seeds when present; never copied into the repo),
// through the real pipeline: scanMessages + reviewScan. Kinds, files and functions per seed.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { reviewScan, scanMessages, type ScanResult } from '../../src/pipeline.js';
import { loadSemanticsDir } from '../../src/semantics/load.js';

const seeds = join(dirname(fileURLToPath(import.meta.url)), '../../../shared/seeds');
const have = existsSync(seeds);

describe('patch: seed threads through the pipeline', { skip: have ? false : 'no ../shared/seeds' }, () => {
  let res: ScanResult;
  const seed = (prefix: string) => {
    const msgs = res.doc.messages.filter((m) => m.input.includes(`/${prefix}_`));
    assert.equal(msgs.length, 1, prefix);
    const patches = msgs[0]!.patches.map((id) => res.doc.patches.find((p) => p.id === id)!);
    return { msg: msgs[0]!, patches };
  };
  const fns = (p: { files: { functions: string[] }[] }): string[] => p.files.flatMap((f) => f.functions);

  before(async () => {
    const files = readdirSync(seeds)
      .filter((f) => /^\d{3}_.*\.txt$/.test(f))
      .sort()
      .map((f) => join(seeds, f));
    res = await scanMessages(files);
    await reviewScan(res, { sem: loadSemanticsDir() });
  });

  it('000: one diff of one file, patch 38 of 65, v2; its first hunk inside ploop_bat_write_complete', () => {
    const { msg, patches } = seed('000');
    assert.deepEqual([msg.series!.number, msg.series!.total, msg.series!.version, msg.series!.cover], [38, 65, 2, false]);
    assert.deepEqual(
      patches.map((p) => p.kind),
      ['diff'],
    );
    assert.deepEqual(
      patches[0]!.files.map((f) => [f.path, f.oldBlob, f.newBlob, f.hunks.length]),
      [['drivers/md/dm-ploop-map.c', '50d974245519', '6923e0bad794', 3]],
    );
    assert.ok(fns(patches[0]!).includes('ploop_bat_write_complete'));
  });

  it('001: a three-file diff; the functions of the md-update rework', () => {
    const { patches } = seed('001');
    assert.deepEqual(
      patches.map((p) => p.kind),
      ['diff'],
    );
    const files = patches[0]!.files;
    assert.deepEqual(
      files.map((f) => f.path),
      ['drivers/md/dm-ploop-cmd.c', 'drivers/md/dm-ploop-map.c', 'drivers/md/dm-ploop.h'],
    );
    assert.equal(files[1]!.hunks.length, 24);
    for (const f of [
      'ploop_prepare_reloc_index_wb',
      'ploop_break_bat_update',
      'ploop_locate_new_cluster_and_attach_pio',
      'ploop_process_one_discard_pio',
      'ploop_submit_metadata_writeback',
      'ploop_advance_local_after_bat_wb',
    ])
      assert.ok(files[1]!.functions.includes(f), f);
    assert.deepEqual(files[0]!.functions, ['ploop_grow_relocate_cluster']);
    assert.deepEqual(files[2]!.functions, []);
  });

  it('002: the quoted dm_wq_work (kind code) and two stripped RFC diffs, the second with alloc_multiple_bios', () => {
    const { patches } = seed('002');
    assert.deepEqual(
      patches.map((p) => p.kind),
      ['code', 'diff', 'diff'],
    );
    const [code, first, second] = patches;
    assert.equal(code!.quoteDepth, 3);
    assert.deepEqual(fns(code!), ['dm_wq_work']);
    assert.equal(code!.files[0]!.hunks[0]!.oldStart, 2206);
    assert.equal(first!.subject, '[PATCH] DM: remove num_write_bios target interface.');
    assert.deepEqual(
      first!.files.map((f) => f.path),
      ['drivers/md/dm.c', 'include/linux/device-mapper.h'],
    );
    assert.ok(first!.damage.includes('whitespace-stripped'));
    assert.deepEqual(
      second!.files.map((f) => [f.path, f.oldBlob]),
      [['drivers/md/dm.c', '8c1a05609eea']],
    );
    assert.ok(fns(second!).includes('alloc_multiple_bios'));
    assert.ok(fns(second!).includes('__send_duplicate_bios'));
  });

  it('003: a fragment pasted unquoted, its signature line wrapped twice by the mailer and rejoined', () => {
    const { msg, patches } = seed('003');
    assert.deepEqual(
      patches.map((p) => p.kind),
      ['fragment'],
    );
    assert.ok(patches[0]!.damage.includes('wrapped-lines'));
    assert.deepEqual(fns(patches[0]!), ['new_netfs_begin_writethrough']);
    assert.deepEqual([msg.series!.reply, msg.series!.number, msg.series!.total], [true, 19, 26]);
    assert.equal(patches[0]!.comments.length, 1);
  });

  it('004: quoted added lines in pieces, numbered hunks of an unknown file, then zram_drv.h', () => {
    const { patches } = seed('004');
    assert.deepEqual(
      patches.map((p) => [p.kind, p.quoteDepth]),
      [['quoted', 1]],
    );
    const [unknown, header] = patches[0]!.files;
    assert.equal(unknown!.path, null);
    assert.equal(header!.path, 'drivers/block/zram/zram_drv.h');
    for (const f of ['page_requests_rw', 'zram_thread', 'use_aio_store', 'get_page_requests', 'queue_page_request_list', 'create_workers'])
      assert.ok(unknown!.functions.includes(f), f);
    assert.ok(!unknown!.functions.includes('mem_limit'), 'a DEVICE_ATTR_RW() section is no function');
    assert.ok(unknown!.hunks.some((h) => h.oldStart === 954 && h.newStart === 1380));
    assert.ok(patches[0]!.comments.length >= 5);
  });
});

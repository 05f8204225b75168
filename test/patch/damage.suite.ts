// Patch stage: whitespace-damaged diffs. Lost context prefixes, stripped indentation, lines wrapped
// by the mailer (plain and format=flowed), tabs turned to spaces; hunks recounted, headers kept.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { patchesOf, extractBody, shape } from './helpers.js';

describe('patch: damage repair', () => {
  it('archive copy with stripped indentation: context restored, counts meet the header, footer cut', async () => {
    const [p, ...rest] = await patchesOf('stripped-archive.txt');
    assert.equal(rest.length, 0);
    assert.equal(p!.kind, 'diff');
    for (const d of ['context-prefix-lost', 'empty-context-lines', 'whitespace-stripped']) assert.ok(p!.damage.includes(d), d);
    assert.ok(!p!.damage.includes('recounted'));
    const h = p!.files[0]!.hunks[0]!;
    assert.deepEqual([h.oldLines, h.newLines], [13, 16]);
    assert.deepEqual(h.declared, { oldLines: 13, newLines: 16 });
    assert.deepEqual(shape(p!), ['  -+ -----++++++ ++   ']);
    const restored = h.lines.filter((l) => l.repair === 'restored-context-prefix').map((l) => l.text);
    assert.deepEqual(restored, [
      '{',
      'struct gizmo_dev *gd = container_of(work, struct gizmo_dev, db_work);',
      '',
      'writel(GIZMO_DB_KICK, gd->regs + GIZMO_DOORBELL);',
      '}',
      '',
      'static void gizmo_irq_enable(struct gizmo_dev *gd)',
    ]);
    assert.equal(h.lines.at(-1)!.oldLine, 313);
    assert.ok(!h.lines.some((l) => /Attachment|PGP|2\.45/.test(l.text)));
  });

  it('lines wrapped by the mailer: joined, and the header decides a doubtful one', async () => {
    const [p] = await patchesOf('wrapped.eml');
    assert.ok(p!.damage.includes('wrapped-lines'));
    const h = p!.files[0]!.hunks[0]!;
    assert.deepEqual([h.oldLines, h.newLines], [6, 12]);
    assert.deepEqual(shape(p!), ['   ++++++   ']);
    const joined = h.lines.filter((l) => l.repair === 'joined-wrap');
    assert.deepEqual(
      joined.map((l) => [l.text, l.joined]),
      [
        ['\t * The threaded handler runs with the ring lock dropped; see the comment in gizmo_irq_thread().', [14, 15]],
        ['\tret = devm_request_threaded_irq(&pdev->dev, gd->irq, gizmo_irq, gizmo_irq_thread, IRQF_ONESHOT, dev_name(&pdev->dev), gd);', [17, 18]],
        ['\t\treturn dev_err_probe(&pdev->dev, ret, "cannot request irq %d\\n", gd->irq);', [20, 21]],
      ],
    );
    assert.deepEqual(
      h.lines.slice(-3).map((l) => [l.oldLine, l.newLine]),
      [
        [80, 86],
        [81, 87],
        [82, 88],
      ],
    );
  });

  it('format=flowed: a soft line break inside a diff line is joined, space-stuffing undone', async () => {
    const [p] = await patchesOf('flowed.eml');
    assert.ok(p!.damage.includes('format-flowed'));
    assert.ok(p!.damage.includes('wrapped-lines'));
    const h = p!.files[0]!.hunks[0]!;
    assert.deepEqual(shape(p!), ['  ++   ']);
    assert.equal(h.lines[3]!.text, '\t\tdev_warn(gd->dev, "firmware %u is older than the driver expects, please update\\n", hdr->version);');
    assert.equal(h.lines[0]!.text, '\tif (hdr->version < GIZMO_FW_MIN)');
    assert.deepEqual([h.oldLines, h.newLines], [5, 7]);
  });

  it('tabs turned into spaces are flagged, the text kept', async () => {
    const [p] = await patchesOf('tabs-expanded.eml');
    assert.deepEqual(p!.damage, ['tabs-expanded']);
    assert.equal(p!.files[0]!.hunks[0]!.lines[0]!.text, '        int tries = 10;');
  });

  it('a hunk header the mailer wrapped: its section is joined back', () => {
    const ex = extractBody(
      [
        'diff --git a/drivers/misc/gizmo/gizmo-core.c b/drivers/misc/gizmo/gizmo-core.c',
        '--- a/drivers/misc/gizmo/gizmo-core.c',
        '+++ b/drivers/misc/gizmo/gizmo-core.c',
        '@@ -1276,6 +1276,7 @@ static struct gizmo_req *gizmo_req_alloc(struct gizmo_dev *gd,',
        'unsigned int flags)',
        ' \tstruct gizmo_req *req;',
        ' ',
        ' \treq = kzalloc(sizeof(*req), GFP_KERNEL);',
        '+\tmight_sleep();',
        ' \tif (!req)',
        ' \t\treturn NULL;',
        ' \treq->gd = gd;',
        '',
      ].join('\n'),
    );
    const h = ex.patches[0]!.files[0]!.hunks[0]!;
    assert.equal(h.section, 'static struct gizmo_req *gizmo_req_alloc(struct gizmo_dev *gd, unsigned int flags)');
    assert.deepEqual([h.oldLines, h.newLines, h.lines[0]!.text], [6, 7, '\tstruct gizmo_req *req;']);
    assert.ok(ex.patches[0]!.damage.includes('wrapped-lines'));
  });

  it('a hand-edited hunk whose header is wrong: the lines win, the header is kept', () => {
    const ex = extractBody(
      [
        'diff --git a/lib/gizmo_util.c b/lib/gizmo_util.c',
        '--- a/lib/gizmo_util.c',
        '+++ b/lib/gizmo_util.c',
        '@@ -20,6 +20,6 @@ int gizmo_sum(const u8 *p, size_t n)',
        ' \tint s = 0;',
        '-\twhile (n--)',
        '+\twhile (n-- > 0)',
        ' \t\ts += *p++;',
        '+\ts &= 0xffff;',
        ' \treturn s;',
        '@@ -40,2 +40,2 @@ int gizmo_xor(const u8 *p, size_t n)',
        ' \tint x = 0;',
        '-\treturn x;',
        '+\treturn x & 0xff;',
        '',
      ].join('\n'),
    );
    const f = ex.patches[0]!.files[0]!;
    assert.deepEqual(
      f.hunks.map((h) => [h.oldLines, h.newLines, h.declared]),
      [
        [4, 5, { oldLines: 6, newLines: 6 }],
        [2, 2, { oldLines: 2, newLines: 2 }],
      ],
    );
    assert.ok(ex.patches[0]!.damage.includes('recounted'));
  });

  it('the blank line and the prose after a damaged hunk are not part of it', () => {
    const ex = extractBody(
      [
        '--- a/fs/gizmofs/inode.c',
        '+++ b/fs/gizmofs/inode.c',
        '@@ -5,4 +5,5 @@ static int gizmofs_fill(struct super_block *sb)',
        'struct inode *root;',
        '',
        '+ sb->s_magic = GIZMOFS_MAGIC;',
        'root = gizmofs_iget(sb, 1);',
        'return 0;',
        '',
        'I did not test this on big-endian machines, sorry.',
        '',
      ].join('\n'),
    );
    const p = ex.patches[0]!;
    assert.deepEqual(shape(p), ['  +  ']);
    assert.equal(p.files[0]!.hunks[0]!.lines.at(-1)!.text, 'return 0;');
  });

  it('changelog bullets after a damaged hunk end it', () => {
    const ex = extractBody(['@@ -5,2 +5,2 @@', 'int a;', '-int b;', '+int c;', '', '- rebased on the new tree', '- dropped the second patch', ''].join('\n'));
    assert.deepEqual(shape(ex.patches[0]!), [' -+']);
  });

  it('extraction time stays linear in the message size', () => {
    const piece = (k: number): string =>
      [
        `diff --git a/drivers/gizmo/g${k}.c b/drivers/gizmo/g${k}.c`,
        `--- a/drivers/gizmo/g${k}.c`,
        `+++ b/drivers/gizmo/g${k}.c`,
        `@@ -${k * 10 + 1},6 +${k * 10 + 1},7 @@ static int g${k}(struct gizmo_dev *gd)`,
        'struct gizmo_ring *r = gd->ring;', // stripped: every context line is a doubt
        '',
        '- spin_lock(&r->lock);',
        '+ spin_lock_irq(&r->lock);',
        '+ r->count++;',
        'r->head = 0;',
        'spin_unlock(&r->lock);',
        'return 0;',
        '> a quoted line in between',
        'Some words of the reply in between.',
      ].join('\n');
    const body = (n: number): string => Array.from({ length: n }, (_, k) => piece(k)).join('\n') + '\n';
    const time = (n: number): number => {
      const text = body(n);
      extractBody(text);
      const t0 = performance.now();
      for (let r = 0; r < 3; r++) extractBody(text);
      return (performance.now() - t0) / 3;
    };
    const small = time(500);
    const big = time(4000);
    assert.ok(big < small * 8 * 2.5, `8x the text took ${(big / small).toFixed(1)}x the time`);
    assert.equal(extractBody(body(50)).patches.length, 50);
  });
});

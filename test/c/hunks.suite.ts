// C front end: reconstructed hunk text (gap markers, opaque conditions, unknown ends, synthesised rows),
// metas from the source stage, damaged signatures and error nodes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatFunctionIR } from '../../src/c/format.js';
import { FIXTURES, fn, lowerFixture, lowerText, meta, ops } from './helpers.js';

const hunkText = readFileSync(join(FIXTURES, 'hunks.c'), 'utf8');
// rows 0-1: lines 895-896; row 2 '{' synthesised; marker rows synthesised; code rows map to real lines.
const hunkLines: (number | null)[] = [
  895,
  896,
  null,
  null,
  900,
  901,
  902,
  903,
  904,
  905,
  null,
  null,
  920,
  null,
  null,
  null,
  null,
  null,
  null,
  null,
  1500,
  1501,
  1502,
  1503,
  null,
  null,
  null,
];

describe('c/hunks', () => {
  it('lowers gap markers, opaque conditions and unknown ends with real lines from the lineMap', async () => {
    const m1 = meta({
      name: 'pbw_complete',
      startRow: 0,
      endRow: 16,
      missing: ['gap 1 (lines 897-899)', 'gap 2 (lines 906-918)', 'end'],
      exitKnown: false,
      gaps: [
        { id: 1, fromLine: 897, toLine: 899 },
        { id: 2, fromLine: 906, toLine: 918 },
        { id: 3, fromLine: null, toLine: null },
        { id: 4, fromLine: 921, toLine: 930 },
      ],
    });
    const m = await lowerText(hunkText, { lineMap: hunkLines, functions: [m1], origin: 'hunks', file: 'drivers/md/pbw.c' });
    const f = fn(m, 'pbw_complete');
    assert.equal(f.meta, m1, 'the meta of the source stage is attached as is');
    assert.equal(f.startLine, 895);
    assert.deepEqual(ops(f), [
      '- gap 1',
      '900 atomic read piwb->count -> r1',
      '900 assign completed = r1 == 1',
      '902 acquire spin &piwb->lock irq=irqsave flags=flags',
      '904 write piwb->completed',
      '904 assign piwb->completed = completed',
      '905 release spin &piwb->lock irq=irqsave flags=flags',
      '- gap 2',
      '920 list del node=pio->list',
      '- gap 4',
    ]);
    const opaque = f.blocks.find((b) => b.term.k === 'branch' && b.term.cond.k === 'opaque');
    assert.ok(opaque && opaque.term.k === 'branch' && opaque.term.why === 'gap');
    assert.deepEqual(opaque.term.cond, { k: 'opaque', id: 3 });
    const exits = f.blocks.filter((b) => b.term.k === 'unknown-exit' || b.term.k === 'return');
    assert.deepEqual(
      exits.map((b) => b.term.k),
      ['unknown-exit'],
      'the visible end is not a return',
    );
    const text = formatFunctionIR(f);
    assert.match(text, /---- gap 2 \(lines 906-918\): code not shown/);
    assert.match(text, /missing: gap 1 \(lines 897-899\); gap 2 \(lines 906-918\); end/);
    assert.match(text, /exit NOT known/);
  });

  it('ignores preprocessor lines and #define continuations; annotations survive', async () => {
    const m = await lowerText(hunkText, { lineMap: hunkLines });
    const f = fn(m, 'pbw_tail');
    assert.deepEqual(ops(f), ['1503 write pbw->tail', '1503 assign pbw->tail = n']);
    assert.deepEqual(f.annotations.mustHold, ['&pbw->lock']);
    assert.equal(f.blocks[0]!.term.k, 'unknown-exit');
    assert.deepEqual([...m.keys()], ['pbw_complete', 'pbw_tail'], 'no function from the #define');
    // without metas (a whole file), a full meta is made up
    assert.equal(f.meta.completeness, 'full');
    assert.equal(f.meta.touched, false);
  });

  it('recovers a function whose signature did not parse, and one whose text is only known by its meta', async () => {
    const text = 'static void pbw_broken(struct pio *pio, void *ptr,\n{\n\tspin_lock(&pio->lock);\n\tpio->n = 1;\n\tspin_unlock(&pio->lock);\n}\n';
    const m = await lowerText(text);
    const f = fn(m, 'pbw_broken');
    assert.deepEqual(ops(f), ['3 acquire spin &pio->lock', '4 write pio->n', '4 assign pio->n = 1', '5 release spin &pio->lock']);
    assert.match(f.diagnostics[0]!, /signature did not parse/);
    assert.deepEqual(
      f.params.map((p) => p.name),
      ['pio', 'ptr'],
    );

    const withMeta = await lowerText(text, { functions: [meta({ name: 'pbw_broken', startRow: 0, endRow: 5, entryKnown: false, missing: ['signature'] })] });
    const g = fn(withMeta, 'pbw_broken');
    assert.equal(g.meta.entryKnown, false);
    assert.deepEqual(ops(g, ['acquire', 'release']), ['3 acquire spin &pio->lock', '5 release spin &pio->lock']);
    assert.match(g.diagnostics[0]!, /no function definition parsed here/);
  });

  it('keeps the statements around an error node and says what it could not read', async () => {
    const m = await lowerFixture('recovery.c');
    const f = fn(m, 'qdev_reset');
    const unknown = ops(f, ['unknown']);
    assert.equal(unknown.length, 1);
    assert.match(unknown[0]!, /^9 unknown: parse error/);
    assert.deepEqual(
      ops(f, ['acquire', 'release', 'call']).map((s) => s.replace(/\(.*/, '')),
      ['7 acquire spin &qd->lock', '9 call QDEV_TRACE', '10 release spin &qd->lock', '11 call qdev_hw_reset'],
    );
    assert.ok(f.blocks.some((b) => b.label === 'out'));
    assert.match(f.diagnostics.join('\n'), /line 9: parse error/);
    const g = fn(m, 'qdev_mangled');
    assert.deepEqual(ops(g, ['acquire', 'release', 'call']), [
      '28 acquire spin &qd->lock irq=irq',
      '31 release spin &qd->lock irq=irq',
      '32 call qdev_wake(qd)',
    ]);
    assert.match(g.diagnostics.join('\n'), /line 29: parse error: @@ -120,7 \+120,9 @@/);
    // the function after the damage is whole
    assert.deepEqual(ops(fn(m, 'qdev_after')), ['21 acquire mutex &qd->mutex', '22 call qdev_sync(qd)', '23 release mutex &qd->mutex']);
  });
});

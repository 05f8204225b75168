// Patch stage: diffs quoted in review replies, at any depth, with the reviewer's comments between
// the quoted lines tied to the line they follow.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { unquote } from '../../src/patch/lines.js';
import { patchesOf, extractBody, shape } from './helpers.js';

describe('patch: quoting', () => {
  it('quote prefixes: depth and the text after them', () => {
    const cases: [string, number, string][] = [
      ['> +\tfoo();', 1, '+\tfoo();'],
      ['>+\tfoo();', 1, '+\tfoo();'],
      ['>  \tfoo();', 1, ' \tfoo();'],
      ['>', 1, ''],
      ['> ', 1, ''],
      ['> > -x', 2, '-x'],
      ['>> -x', 2, '-x'],
      ['>>> 2206 static void f(void)', 3, '2206 static void f(void)'],
      ['> >> +y', 3, '+y'],
      ['no quote', 0, 'no quote'],
    ];
    for (const [raw, depth, text] of cases) assert.deepEqual(unquote(raw), { depth, text }, raw);
  });

  it('a quoted diff keeps its file, blobs and hunk numbers; comments follow the line they answer', async () => {
    const [p, ...rest] = await patchesOf('quoted-review.eml');
    assert.equal(rest.length, 0);
    assert.equal(p!.kind, 'quoted');
    assert.equal(p!.quoteDepth, 1);
    const f = p!.files[0]!;
    assert.deepEqual([f.path, f.oldBlob, f.newBlob], ['drivers/misc/gizmo/gizmo-core.c', '0b1c2d3e4f5a', 'a5f4e3d2c1b0']);
    const [h1, h2] = f.hunks;
    // the first hunk is whole although a comment sits inside it
    assert.deepEqual([h1!.oldStart, h1!.oldLines, h1!.newStart, h1!.newLines], [118, 10, 118, 13]);
    assert.equal(h1!.lines.find((l) => l.text === '\treturn IRQ_HANDLED;')!.newLine, 129);
    // the second was cut by the reviewer: recounted, the header kept
    assert.deepEqual([h2!.oldStart, h2!.oldLines, h2!.newStart, h2!.newLines], [301, 3, 304, 7]);
    assert.deepEqual(h2!.declared, { oldLines: 6, newLines: 12 });
    assert.ok(p!.damage.includes('recounted'));
    const at = (c: (typeof p.comments)[number]): string => f.hunks[c.after!.hunk]!.lines[c.after!.line]!.text;
    assert.equal(p!.comments.length, 3);
    assert.match(p!.comments[0]!.text, /^Is the lock needed here at all\?/);
    assert.equal(at(p!.comments[0]!), '\tgd->db_pending = true;');
    assert.match(p!.comments[1]!.text, /^Why not schedule_work\(\)\?/);
    assert.equal(at(p!.comments[1]!), '}');
    assert.match(p!.comments[2]!.text, /must not be under\na spinlock/);
    assert.equal(at(p!.comments[2]!), '\t\twritel(GIZMO_DB_KICK, gd->regs + GIZMO_DOORBELL);');
    assert.deepEqual(
      p!.comments.map((c) => c.depth),
      [0, 0, 0],
    );
    // the quoted changelog and the attribution line are not part of the patch
    assert.ok(p!.files.every((x) => x.hunks.every((h) => h.lines.every((l) => !/Signed-off-by|wrote:/.test(l.text)))));
  });

  it('nested quotes: a diff at depth 2, comments at depth 1 and 0, ">>" and "> >" alike', async () => {
    const [p] = await patchesOf('quoted-nested.eml');
    assert.equal(p!.kind, 'quoted');
    assert.equal(p!.quoteDepth, 2);
    const f = p!.files[0]!;
    assert.equal(f.path, null); // the file header was not quoted
    assert.ok(p!.damage.includes('no-header'));
    const h = f.hunks[0]!;
    assert.deepEqual([h.oldStart, h.newStart, h.oldLines, h.newLines, h.declared], [44, 44, 6, 9, { oldLines: 6, newLines: 9 }]);
    assert.deepEqual(shape(p!), ['  -++++   ']);
    assert.deepEqual(
      p!.comments.map((c) => [c.depth, c.text.split('\n')[0], c.after]),
      [
        [1, 'This needs the open mutex, the counter alone does not stop two', { file: 0, hunk: 0, line: 6 }],
        [0, 'Not really: atomic_inc_return() is the decision, whoever goes over', { file: 0, hunk: 0, line: 6 }],
        [0, 'Thanks,', { file: 0, hunk: 0, line: 9 }],
      ],
    );
  });

  it('only some lines quoted, without any header: a fragment at the quote depth', () => {
    const ex = extractBody(
      [
        'On Mon, Jun 10, 2024 at 09:00:02AM +0200, Ann Author wrote:',
        '> +\tspin_lock_irq(&gd->ring_lock);',
        '>  \ttail = gd->ring_tail;',
        '> +\tspin_unlock_irq(&gd->ring_lock);',
        '',
        'A timer callback runs in softirq context.',
        '',
      ].join('\n'),
    );
    const [p] = ex.patches;
    assert.equal(p!.kind, 'fragment');
    assert.equal(p!.quoteDepth, 1);
    assert.deepEqual(shape(p!), ['+ +']);
    assert.equal(p!.files[0]!.hunks[0]!.lines[0]!.oldLine, null);
    assert.equal(p!.comments[0]!.text, 'A timer callback runs in softirq context.');
  });

  it('a quoted line that lost its quote prefix to the wrap is joined back', () => {
    const ex = extractBody(
      [
        '> @@ -10,3 +10,3 @@ static int gizmo_cfg(struct gizmo_dev *gd)',
        '>  \tint ret;',
        '> -\tret = gizmo_write_cfg(gd, GIZMO_CFG_MODE, gd->mode | GIZMO_MODE_BATCHED,',
        'GIZMO_CFG_TIMEOUT);',
        '> +\tret = gizmo_write_cfg(gd, GIZMO_CFG_MODE, gd->mode, GIZMO_CFG_TIMEOUT);',
        '>  \treturn ret;',
        '',
      ].join('\n'),
    );
    const p = ex.patches[0]!;
    assert.deepEqual(shape(p), [' -+ ']);
    assert.equal(p.files[0]!.hunks[0]!.lines[1]!.text, '\tret = gizmo_write_cfg(gd, GIZMO_CFG_MODE, gd->mode | GIZMO_MODE_BATCHED, GIZMO_CFG_TIMEOUT);');
    assert.ok(p.damage.includes('quote-prefix-lost'));
    assert.deepEqual(p.comments, []);
  });
});

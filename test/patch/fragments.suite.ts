// Patch stage: diff text without headers (quoted `+` lines, pieces cut with snip markers), hunks whose
// file header was cut, and code quoted with its line numbers.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { patchesOf, extractFixture, extractBody, shape } from './helpers.js';

describe('patch: fragments and numbered code', () => {
  it('quoted pieces between snip markers, then hunks with numbers and an unknown file, then a new file', async () => {
    const [p, ...rest] = await patchesOf('fragment-snips.eml');
    assert.equal(rest.length, 0);
    assert.equal(p!.kind, 'quoted');
    assert.equal(p!.quoteDepth, 1);
    assert.ok(p!.damage.includes('snipped') && p!.damage.includes('no-header'));
    const [unknown, header] = p!.files;
    assert.deepEqual([unknown!.path, unknown!.status], [null, 'unknown']);
    // three header-less pieces ([..snip..], [...]) and one numbered hunk
    assert.deepEqual(
      unknown!.hunks.map((h) => [h.oldStart, h.newStart, h.lines.length, h.declared]),
      [
        [null, null, 9, null],
        [null, null, 4, null],
        [null, null, 4, null],
        [420, 470, 9, { oldLines: 6, newLines: 9 }],
      ],
    );
    assert.equal(unknown!.hunks[0]!.lines[0]!.text, 'static int gizmo_ring_show(struct seq_file *m, void *v)');
    assert.ok(unknown!.hunks[0]!.lines.every((l) => l.oldLine === null && l.newLine === null));
    assert.equal(unknown!.hunks[3]!.lines[3]!.newLine, 473);
    assert.equal(header!.path, 'drivers/misc/gizmo/gizmo.h');
    assert.equal(header!.hunks[0]!.lines.length, 5);
    assert.deepEqual(
      p!.comments.map((c) => [c.text.split('\n')[0], c.after]),
      [
        ['seq_printf() under the irq-disabled lock is fine, but copy the two', { file: 0, hunk: 0, line: 5 }],
        ['This returns with gd->lock held.', { file: 0, hunk: 2, line: 3 }],
      ],
    );
  });

  it('an unquoted reply that pasted added lines, one of them wrapped twice by the mailer', () => {
    const ex = extractBody(
      [
        '-----Original Message-----',
        'From: Ann Author <ann@example.org>',
        'Sent: Monday, June 17, 2024 9:00 AM',
        'To: Carl Reviewer <carl@example.net>; linux-gizmo@lists.example.org; linux-',
        'kernel@vger.example.org',
        'Subject: [PATCH 3/6] gizmo: new request path',
        '',
        'The old path is kept until the last patch of the series.',
        '',
        '[..snip..]',
        '',
        '+struct gizmo_req *new_gizmo_req_start(struct gizmo_dev *gd, unsigned int ',
        'flags',
        'ctx)',
        '+{',
        '+       struct gizmo_req *req;',
        '+',
        '+       mutex_lock(&gd->req_lock);',
        '+       req = gizmo_req_alloc(gd, flags);',
        '+       if (!req)',
        '+               mutex_unlock(&gd->req_lock);',
        '+       req->ctx = ctx;',
        '',
        'The error path above falls through with req == NULL.',
        '',
        'Thanks,',
        'Carl',
        '',
      ].join('\n'),
      { subject: 'RE: [PATCH 3/6] gizmo: new request path' },
    );
    const [p] = ex.patches;
    assert.equal(ex.patches.length, 1);
    assert.equal(p!.kind, 'fragment');
    assert.equal(p!.subject, '[PATCH 3/6] gizmo: new request path');
    assert.equal(p!.author, 'Ann Author <ann@example.org>');
    const h = p!.files[0]!.hunks[0]!;
    assert.equal(h.lines[0]!.text, 'struct gizmo_req *new_gizmo_req_start(struct gizmo_dev *gd, unsigned int flags ctx)');
    assert.deepEqual(h.lines[0]!.joined, [12, 13, 14]);
    assert.equal(h.lines.length, 9);
    assert.ok(p!.damage.includes('wrapped-lines') && p!.damage.includes('tabs-expanded'));
    assert.match(p!.comments[0]!.text, /^The error path above falls through/);
  });

  it('code quoted with line numbers, three levels deep; a numbered list is not code', async () => {
    const [ex] = await extractFixture('numbered-code.eml');
    assert.equal(ex!.patches.length, 1);
    const p = ex!.patches[0]!;
    assert.equal(p.kind, 'code');
    assert.equal(p.quoteDepth, 3);
    assert.deepEqual([p.files[0]!.path, p.files[0]!.status], [null, 'unknown']);
    const h = p.files[0]!.hunks[0]!;
    assert.deepEqual([h.oldStart, h.newStart, h.lines.length], [512, 512, 13]);
    assert.deepEqual(h.lines[0], {
      kind: 'context',
      text: 'static void gizmo_deferred_work(struct work_struct *work)',
      oldLine: 512,
      newLine: 512,
      bodyLine: 10,
    });
    assert.deepEqual([h.lines[4]!.text, h.lines[4]!.oldLine], ['', 516]);
    assert.ok(p.damage.includes('whitespace-stripped'));
  });

  it('numbered code that skips lines is one hunk per run', () => {
    const ex = extractBody(
      [
        '> 88 static int gizmo_get(struct gizmo_dev *gd)',
        '> 89 {',
        '> 90 \tmutex_lock(&gd->lock);',
        '> ...',
        '> 97 \tmutex_unlock(&gd->lock);',
        '> 98 \treturn 0;',
        '> 99 }',
        '',
      ].join('\n'),
    );
    const h = ex.patches[0]!.files[0]!.hunks;
    assert.deepEqual(
      h.map((x) => [x.oldStart, x.lines.length]),
      [
        [88, 3],
        [97, 3],
      ],
    );
    assert.equal(h[0]!.lines[2]!.text, '\tmutex_lock(&gd->lock);');
  });

  it('changelog bullets and votes are not removed or added lines', async () => {
    const [ex] = await extractFixture('prose-only.eml');
    assert.deepEqual(ex!.patches, []);
    assert.match(ex!.reason!, /cover letter/);
    const bullets = extractBody('Changes:\n- fix the unlock in the error path\n- rename the helper\n+1 on the idea\n');
    assert.deepEqual(bullets.patches, []);
    assert.match(bullets.reason!, /start with \+ or - but read as prose/);
  });

  it('a single quoted line of code is a fragment; a lone "+" word is not', () => {
    const one = extractBody('> +\tspin_lock_irqsave(&gd->ring_lock, flags);\n\nirqsave is not needed here.\n');
    assert.deepEqual(shape(one.patches[0]!), ['+']);
    assert.deepEqual(extractBody('+ agreed\n').patches, []);
  });
});

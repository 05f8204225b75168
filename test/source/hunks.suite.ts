// Hunk mode: functions rebuilt from the hunks alone, on diffs shaped like real review mail.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildImages, type FileImages } from '../../src/source/index.js';
import { GAP_MARKER, OPAQUE_COND, UNKNOWN_END } from '../../src/source/types.js';
import { parseGitDiff, fragmentPatch, codePatch, stripIndent } from './patch-helper.js';
import { gitDiff, structureErrors, rowsOf, fn } from './unit-check.js';

const here = dirname(fileURLToPath(import.meta.url));
const fx = (name: string): string => readFileSync(join(here, '../../fixtures/source/hunks', name), 'utf8');
const RING = 'drivers/ring/ring.c';

async function images(text: string, opts: Parameters<typeof parseGitDiff>[1] = {}): Promise<FileImages> {
  const p = parseGitDiff(text, opts);
  const all = await buildImages([p]);
  assert.equal(all.length, 1);
  return all[0]!;
}

/** Index of the first row of `rows` matching, after `from`. */
function find(rows: { text: string }[], re: RegExp, from = 0): number {
  for (let i = from; i < rows.length; i++) if (re.test(rows[i]!.text)) return i;
  return -1;
}

describe('source: hunk mode (intact indentation)', () => {
  let im: FileImages;
  before(async () => {
    im = await images(gitDiff(fx('ring.before.c'), fx('ring.after.c'), RING));
  });

  it('makes both sides in hunk mode and names every function the patch changes', async () => {
    assert.equal(im.pre?.origin, 'hunks');
    assert.equal(im.post?.origin, 'hunks');
    assert.ok(im.notes.some((n) => /hunk mode: no tree/.test(n)));
    assert.deepEqual(
      [...im.functions].sort(),
      ['ring_complete_batch', 'ring_drain', 'ring_poll', 'ring_resize', 'ring_setup', 'ring_should_flush', 'ring_stats_update', 'ring_submit'].sort(),
    );
    assert.deepEqual(await structureErrors(im.post!), []);
    assert.deepEqual(await structureErrors(im.pre!), []);
    // text outside functions (the struct, the #defines, the prototype) is not in the unit
    assert.ok(!/struct ring_req \{/.test(im.post!.text));
  });

  it('a hunk starting inside a function: name and parameters from the @@ section, entry unknown, gaps between hunks', () => {
    const f = fn(im.post, 'ring_complete_batch');
    assert.equal(f.entryKnown, false);
    assert.equal(f.exitKnown, false);
    assert.equal(f.completeness, 'partial');
    assert.ok(f.missing.includes('start') && f.missing.includes('end'));
    assert.ok(f.missing.includes('signature'), 'the section was cut after the second parameter');
    const rows = rowsOf(im.post!, 'ring_complete_batch');
    assert.deepEqual(rows[0], { text: 'static void ring_complete_batch(struct ring *r, struct ring_req *first) {', line: null });
    assert.deepEqual(rows[find(rows, /int last = atomic_read/)], { text: '\tint last = atomic_read(&r->inflight) == 1;', line: 27 });
    const gap = f.gaps.find((g) => rows.some((r) => r.text.includes(`${GAP_MARKER}(${g.id});`)))!;
    assert.deepEqual({ from: gap.fromLine, to: gap.toLine }, { from: 31, to: 43 });
    assert.ok(f.missing.includes(`gap ${gap.id} (lines 31-43)`));
    // the second hunk closes the list iteration opened in the gap: an opaque block keeps `done++` conditional
    const g = find(rows, new RegExp(`${GAP_MARKER}\\(`));
    assert.match(rows[g + 1]!.text, new RegExp(`^\\tif \\(${OPAQUE_COND}\\(\\d+\\)\\) \\{$`));
    assert.deepEqual(rows[g + 2], { text: '\t\tdone++;', line: 44 });
    assert.equal(rows[rows.length - 2]!.text, `\t${UNKNOWN_END}();`);
    assert.equal(rows[rows.length - 1]!.text, '}');
    assert.ok(f.touched);
  });

  it('a hunk that starts with the end of a comment and closes a block opened before it', () => {
    const f = fn(im.post, 'ring_submit');
    assert.ok(f.missing.includes('partial comment at line 63'), f.missing.join(', '));
    assert.equal(f.exitKnown, true);
    const rows = rowsOf(im.post!, 'ring_submit');
    assert.ok(!rows.some((r) => /^\s*\*/.test(r.text)), 'the comment tail is blanked');
    const open = find(rows, new RegExp(`if \\(${OPAQUE_COND}\\(`));
    const gotoRow = find(rows, /goto out_unlock;/);
    assert.ok(open > 0 && open < gotoRow, 'the goto stays conditional');
    assert.equal(rows[find(rows, /^out_unlock:$/)]!.line, 74);
  });

  it('continues a loop across a gap and closes it in the next hunk', () => {
    const f = fn(im.post, 'ring_drain');
    const rows = rowsOf(im.post!, 'ring_drain');
    assert.equal(f.gaps.filter((g) => rows.some((r) => r.text.includes(`${GAP_MARKER}(${g.id});`))).length, 1);
    assert.ok(
      f.missing.some((m) => /^gap \d+ \(lines 94-96\)$/.test(m)),
      f.missing.join(', '),
    );
    // the first hunk starts inside the while loop (opener synthesised), the second closes it
    assert.match(rows[1]!.text, new RegExp(`if \\(${OPAQUE_COND}\\(`));
    assert.equal(rows[find(rows, /cond_resched/)]!.line, 100);
    assert.equal(f.touched, true);
    assert.equal(fn(im.pre, 'ring_drain').touched, false, 'nothing removed from ring_drain');
  });

  it('moves a continuation line at a hunk start into the gap', () => {
    const f = fn(im.post, 'ring_should_flush');
    assert.ok(f.missing.includes('partial statement at line 114'), f.missing.join(', '));
    const rows = rowsOf(im.post!, 'ring_should_flush');
    assert.ok(!rows.some((r) => /time_after|READ_ONCE/.test(r.text)));
    assert.equal(f.exitKnown, true);
  });

  it('resolves #ifdef/#else/#endif across hunks, taking the first branch, and records it', () => {
    const f = fn(im.post, 'ring_stats_update');
    assert.deepEqual(
      f.preproc.map((d) => [d.line, d.directive, d.taken]),
      [
        [126, '#ifdef CONFIG_RING_STATS', 'then'],
        [136, '#else', 'none'],
      ],
    );
    const rows = rowsOf(im.post!, 'ring_stats_update');
    assert.equal(rows.filter((r) => /stats\.reqs\+\+/.test(r.text)).length, 1);
    assert.ok(!rows.some((r) => /bytes_unknown|^#/.test(r.text)));
    // the hunk ended in the middle of a statement: blanked and part of the gap
    assert.ok(f.missing.includes('partial statement at line 131'));
    const gap = f.gaps.find((g) => rows.some((r) => r.text.includes(`${GAP_MARKER}(${g.id});`)))!;
    assert.deepEqual([gap.fromLine, gap.toLine], [131, 134]);
  });

  it('wraps a braceless body whose if is hidden, closes a block left open before a gap, unknown end', () => {
    const f = fn(im.post, 'ring_setup');
    const rows = rowsOf(im.post!, 'ring_setup');
    const ret = find(rows, /return -ENOMEM;/);
    assert.match(rows[ret - 1]!.text, new RegExp(`^\\tif \\(${OPAQUE_COND}\\(\\d+\\)\\) \\{$`));
    assert.equal(rows[ret + 1]!.text, '\t}');
    const go = find(rows, /goto out_free;/);
    assert.deepEqual(rows[go + 1], { text: '\t}', line: null });
    assert.match(rows[go + 2]!.text, new RegExp(`^\\t${GAP_MARKER}\\(\\d+\\);$`));
    assert.equal(rows[find(rows, /atomic_set/)]!.line, 161);
    assert.equal(f.exitKnown, false);
    assert.ok(f.missing.includes('end'));
    assert.equal(fn(im.post, 'ring_resize').entryKnown, false);
    assert.match(rowsOf(im.post!, 'ring_resize')[1]!.text, new RegExp(`if \\(${OPAQUE_COND}`));
  });

  it('a do { } while closed in view but opened in the gap, and a trailing if without its body', () => {
    const f = fn(im.post, 'ring_poll');
    const rows = rowsOf(im.post!, 'ring_poll');
    assert.equal(rows[1]!.text, '\tdo {');
    assert.ok(rows.some((r) => r.text === '\t} while (spins < 100);'));
    assert.ok(!rows.some((r) => /RING_HW_READY/.test(r.text)));
    assert.ok(
      f.missing.some((m) => /^partial statement at line 210$/.test(m)),
      f.missing.join(', '),
    );
  });

  it('line maps: every real row maps to its line in the image, synthesised rows to null', () => {
    const post = im.post!;
    const after = fx('ring.after.c').split('\n');
    const before = fx('ring.before.c').split('\n');
    post.text.split('\n').forEach((t, r) => {
      const l = post.lineMap[r];
      if (l == null) return;
      if (t.trim()) assert.equal(t, after[l - 1], `post row ${r} -> line ${l}`);
    });
    im.pre!.text.split('\n').forEach((t, r) => {
      const l = im.pre!.lineMap[r];
      if (l != null && t.trim()) assert.equal(t, before[l - 1], `pre row ${r} -> line ${l}`);
    });
    assert.equal(post.lineMap.length, post.text.split('\n').length - 1);
    assert.equal(post.bodyLineMap!.length, post.lineMap.length);
  });
});

describe('source: hunk mode (indentation stripped by the mailer)', () => {
  let im: FileImages;
  before(async () => {
    im = await images(gitDiff(fx('ring.before.c'), fx('ring.after.c'), RING), { mangle: stripIndent, damage: ['whitespace-stripped'] });
  });

  it('still parses, with the same functions and markers from brace counting', async () => {
    assert.ok(im.notes.some((n) => /indentation stripped/.test(n)));
    assert.deepEqual(await structureErrors(im.post!), []);
    assert.deepEqual(await structureErrors(im.pre!), []);
    assert.deepEqual(
      im.post!.functions.map((f) => f.name),
      ['ring_complete_batch', 'ring_submit', 'ring_drain', 'ring_should_flush', 'ring_stats_update', 'ring_setup', 'ring_resize', 'ring_poll'],
    );
    const rows = rowsOf(im.post!, 'ring_submit');
    assert.ok(find(rows, new RegExp(`if \\(${OPAQUE_COND}`)) < find(rows, /goto out_unlock;/));
    // without indentation the braceless `return -ENOMEM;` cannot be told from a statement, but a
    // jump followed by more code can only be the body of a hidden if
    const setup = rowsOf(im.post!, 'ring_setup');
    assert.match(setup[find(setup, /return -ENOMEM;/) - 1]!.text, new RegExp(`if \\(${OPAQUE_COND}`));
    const poll = rowsOf(im.post!, 'ring_poll');
    assert.equal(poll[1]!.text, '\tdo {');
  });
});

describe('source: hunk mode edge cases', () => {
  it('a + only fragment: no pre-image, unknown file, lines from the message body', async () => {
    const p = fragmentPatch(
      [
        '+static int widget_attach(struct widget *w, struct bus *b)',
        '+{',
        '+\tint ret;',
        '+',
        '+\tmutex_lock(&b->lock);',
        '+\tret = bus_add(b, w);',
        '+\tif (ret)',
        '+\t\tmutex_unlock(&b->lock);',
        '+',
        '+\tw->bus = b;',
        '+\treturn ret;',
        '+}',
      ].join('\n'),
    );
    const [im] = await buildImages([p]);
    assert.equal(im!.pre, null);
    assert.equal(im!.path, null);
    assert.equal(im!.post!.file, null);
    // No file and no line numbers: lines are counted in the message body.
    assert.equal(im!.post!.lineIn, 'body');
    assert.deepEqual(im!.post!.lineMap, im!.post!.bodyLineMap);
    const f = fn(im!.post, 'widget_attach');
    assert.equal(f.completeness, 'full');
    assert.deepEqual(f.missing, []);
    assert.ok(f.entryKnown && f.exitKnown && f.touched);
    const rows = im!.post!.text.split('\n');
    assert.equal(im!.post!.bodyLineMap![rows.indexOf('\tw->bus = b;')], 10);
    assert.deepEqual(await structureErrors(im!.post!), []);
  });

  it('fragment pieces: a function cut by a snip gets an unknown end; one starting mid-body gets an unknown name', async () => {
    const p = fragmentPatch(
      [
        '+static int queue_one(struct q *q, struct item *it)',
        '+{',
        '+\tstruct entry *e = kmalloc(sizeof(*e), GFP_NOIO);',
        '+',
        '+\tif (!e)',
        '+\t\treturn -ENOMEM;',
        '[..]',
        '+\t\tspin_unlock(&q->lock);',
        '+\t\treturn -EBUSY;',
        '+\t}',
        '+\tlist_add_tail(&e->node, &q->items);',
        '+\tspin_unlock(&q->lock);',
        '+\treturn 0;',
        '+}',
      ].join('\n'),
    );
    const [im] = await buildImages([p]);
    const u = im!.post!;
    // the second piece: no section, no signature, same function continued (the first was left open)
    assert.deepEqual(
      u.functions.map((f) => f.name),
      ['queue_one'],
    );
    const f = fn(u, 'queue_one');
    assert.equal(f.exitKnown, true);
    assert.ok(f.missing.some((m) => /^gap \d+ \(lines unknown\)$/.test(m)));
    assert.deepEqual(await structureErrors(u), []);

    const q = fragmentPatch(['+\t\tspin_unlock(&q->lock);', '+\t\treturn -EBUSY;', '+\t}', '+\treturn 0;', '+}'].join('\n'));
    const [im2] = await buildImages([q]);
    const g = im2!.post!.functions[0]!;
    assert.match(g.name, /^<unknown@\d+>$/);
    assert.equal(g.entryKnown, false);
    assert.ok(g.missing.includes('start') && g.missing.includes('signature'));
    assert.deepEqual(await structureErrors(im2!.post!), []);
  });

  it('an else whose if is hidden, and an #endif whose #if is hidden', async () => {
    const diff = [
      'diff --git a/drivers/x/x.c b/drivers/x/x.c',
      'index 1111111..2222222 100644',
      '--- a/drivers/x/x.c',
      '+++ b/drivers/x/x.c',
      '@@ -40,7 +40,7 @@ static void x_update(struct x_dev *xd, int v)',
      '\telse',
      '\t\txd->mode = X_SLOW;',
      '#endif',
      '-\txd->val = v;',
      '+\tWRITE_ONCE(xd->val, v);',
      '\tspin_unlock(&xd->lock);',
      ' ',
      '\tx_notify(xd);',
    ]
      .map((l, i) => (i >= 5 && !/^[-+]/.test(l) ? ' ' + l : l))
      .join('\n');
    const im = await images(diff);
    const f = fn(im.post, 'x_update');
    assert.deepEqual(f.preproc, [{ line: 42, directive: '#endif (its #if is not visible)', taken: 'none' }]);
    const rows = rowsOf(im.post!, 'x_update');
    const e = find(rows, /^\telse$/);
    assert.match(rows[e - 1]!.text, new RegExp(`if \\(${OPAQUE_COND}\\(\\d+\\)\\) \\{ \\}`));
    assert.deepEqual(await structureErrors(im.post!), []);
  });

  it('case labels whose switch is hidden get an opaque switch; a macro tail at a hunk start is blanked', async () => {
    const lines = [
      'diff --git a/drivers/m/m.c b/drivers/m/m.c',
      'index 1111111..2222222 100644',
      '--- a/drivers/m/m.c',
      '+++ b/drivers/m/m.c',
      '@@ -80,8 +80,10 @@ static long m_ioctl(struct m *m, unsigned int cmd, unsigned long arg)',
      ' \t\tret = m_get(m, arg);',
      ' \t\tbreak;',
      ' \tcase M_SET:',
      '+\t\tmutex_lock(&m->lock);',
      ' \t\tret = m_set(m, arg);',
      '+\t\tmutex_unlock(&m->lock);',
      ' \t\tbreak;',
      ' \tdefault:',
      ' \t\tret = -ENOTTY;',
      ' \t}',
      '@@ -120,6 +122,7 @@ static long m_ioctl(struct m *m, unsigned int cmd, unsigned long arg)',
      ' \t\tspin_lock(&(m)->stat_lock);\t\\',
      ' \t\t(m)->stat++;\t\t\t\\',
      ' \t\tspin_unlock(&(m)->stat_lock);\t\\',
      '+\t\t(m)->stat_changed = true;\t\\',
      ' \t} while (0)',
      ' ',
      ' static void m_reset(struct m *m)',
    ];
    const im = await images(lines.join('\n'));
    const rows = rowsOf(im.post!, 'm_ioctl');
    assert.match(rows[1]!.text, new RegExp(`^\\tswitch \\(${OPAQUE_COND}\\(\\d+\\)\\) \\{$`));
    // the statements before the first visible case label are under a hidden one
    assert.match(rows[2]!.text, new RegExp(`^\\tcase ${OPAQUE_COND}\\(\\d+\\):$`));
    assert.ok(rows.some((r) => r.text === '\tcase M_SET:'));
    // the macro body is not function code: only m_ioctl's lines are in the unit
    assert.doesNotMatch(im.post!.text, /stat_lock|stat_changed/);
    assert.deepEqual(im.functions, ['m_ioctl']);
    assert.deepEqual(await structureErrors(im.post!), []);
  });

  it('#if 0 takes the other side; a branch holding the change is preferred over an untouched first branch', async () => {
    const before = [
      'static int y_probe(struct y *y)',
      '{',
      '#if 0',
      '\ty_old_probe(y);',
      '#else',
      '\ty_new_probe(y);',
      '#endif',
      '#ifdef CONFIG_Y_FAST',
      '\ty_fast(y);',
      '#else',
      '\ty_slow(y);',
      '#endif',
      '\treturn 0;',
      '}',
      '',
    ].join('\n');
    const after = before.replace('\ty_slow(y);', '\ty_slow(y, 1);');
    const im = await images(gitDiff(before, after, 'drivers/y/y.c', 20));
    const f = fn(im.post, 'y_probe');
    assert.deepEqual(
      f.preproc.map((d) => [d.directive, d.taken]),
      [
        ['#if 0', 'else'],
        ['#else', 'else'],
        ['#ifdef CONFIG_Y_FAST', 'else'],
        ['#else', 'else'],
      ],
    );
    assert.match(im.post!.text, /y_new_probe/);
    assert.doesNotMatch(im.post!.text, /y_old_probe|y_fast/);
    assert.match(im.post!.text, /y_slow\(y, 1\)/);
    assert.equal(f.completeness, 'full');
  });

  it('quoted code with line numbers: one function, line map from the numbers', async () => {
    const p = codePatch(
      [
        '2206 static void z_work(struct work_struct *work)',
        '2207 {',
        '2208 struct z *z = container_of(work, struct z, work);',
        '2209 struct bio *bio;',
        '2210 ',
        '2211 spin_lock_irq(&z->lock);',
        '2212 bio = bio_list_pop(&z->deferred);',
        '2213 spin_unlock_irq(&z->lock);',
        '2214 if (bio)',
        '2215 submit_bio(bio);',
        '2216 }',
      ].join('\n'),
    );
    const [im] = await buildImages([p]);
    const u = im!.post!;
    const f = fn(u, 'z_work');
    assert.equal(f.completeness, 'full');
    assert.equal(u.lineMap[f.startRow], 2206);
    assert.equal(u.lineMap[f.endRow], 2216);
    assert.ok(im!.pre, 'quoted code is the same on both sides');
    assert.equal(fn(im!.pre, 'z_work').touched, false);
    assert.deepEqual(await structureErrors(u), []);
  });

  it('a created file is whole; a later patch of the series applies to it without a tree', async () => {
    const created = [
      'diff --git a/drivers/n/n.c b/drivers/n/n.c',
      'new file mode 100644',
      'index 0000000..1111111',
      '--- /dev/null',
      '+++ b/drivers/n/n.c',
      '@@ -0,0 +1,9 @@',
      '+#include "n.h"',
      '+',
      '+static int n_open(struct n *n)',
      '+{',
      '+\tmutex_lock(&n->lock);',
      '+\tn->users++;',
      '+\tmutex_unlock(&n->lock);',
      '+\treturn 0;',
      '+}',
    ].join('\n');
    const second = [
      'diff --git a/drivers/n/n.c b/drivers/n/n.c',
      'index 1111111..2222222 100644',
      '--- a/drivers/n/n.c',
      '+++ b/drivers/n/n.c',
      '@@ -5,5 +5,7 @@ static int n_open(struct n *n)',
      ' \tmutex_lock(&n->lock);',
      ' \tn->users++;',
      '+\tif (n->users > N_MAX)',
      '+\t\treturn -EBUSY;',
      ' \tmutex_unlock(&n->lock);',
      ' \treturn 0;',
      ' }',
    ].join('\n');
    const p1 = parseGitDiff(created, { id: 's#1.1' });
    const p2 = parseGitDiff(second, { id: 's#2.1' });
    const [a, b] = await buildImages([p1, p2]);
    assert.equal(a!.pre, null);
    assert.equal(fn(a!.post, 'n_open').completeness, 'full');
    assert.equal(b!.pre!.origin, 'previous-patch');
    assert.equal(
      b!.raw!.post,
      created
        .split('\n')
        .slice(6)
        .map((l) => l.slice(1))
        .join('\n')
        .replace('\tn->users++;\n', '\tn->users++;\n\tif (n->users > N_MAX)\n\t\treturn -EBUSY;\n') + '\n',
    );
    assert.equal(fn(b!.post, 'n_open').completeness, 'full');
    assert.equal(fn(b!.post, 'n_open').touched, true);
  });
});

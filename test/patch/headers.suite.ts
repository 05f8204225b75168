// Patch stage: file headers of git, plain `diff -u` and quilt diffs; blob hashes, modes, renames,
// binaries, `\ No newline`, base-commit, the signature cut.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { patchesOf, extractBody, shape } from './helpers.js';
import { splitGitPaths, unquotePath } from '../../src/patch/diff-headers.js';

describe('patch: file headers', () => {
  it('git format-patch: every kind of file change, blobs, modes, base-commit', async () => {
    const [p, ...rest] = await patchesOf('format-patch-multi.patch');
    assert.equal(rest.length, 0);
    assert.equal(p!.kind, 'diff');
    assert.equal(p!.quoteDepth, 0);
    assert.deepEqual(p!.damage, []);
    assert.equal(p!.baseCommit, '6b1f3a5d9c0e2f4a8b7d6c5e4f3a2b1c0d9e8f7a');
    const files = p!.files.map((f) => [f.path, f.status, f.oldPath, f.newPath, f.oldBlob, f.newBlob, f.binary, f.hunks.length]);
    assert.deepEqual(files, [
      ['drivers/misc/gizmo/Makefile', 'modified', 'drivers/misc/gizmo/Makefile', 'drivers/misc/gizmo/Makefile', '1a2b3c4d5e6f', '6f5e4d3c2b1a', false, 1],
      [
        'drivers/misc/gizmo/gizmo-core.c',
        'modified',
        'drivers/misc/gizmo/gizmo-core.c',
        'drivers/misc/gizmo/gizmo-core.c',
        '0b1c2d3e4f5a',
        'a5f4e3d2c1b0',
        false,
        2,
      ],
      ['drivers/misc/gizmo/gizmo-debug.c', 'deleted', 'drivers/misc/gizmo/gizmo-debug.c', null, '77aa66bb55cc', null, false, 1],
      [
        'drivers/misc/gizmo/gizmo-ring.h',
        'renamed',
        'drivers/misc/gizmo/gizmo-old.h',
        'drivers/misc/gizmo/gizmo-ring.h',
        '4c4c4c4c4c4c',
        '5d5d5d5d5d5d',
        false,
        1,
      ],
      ['drivers/misc/gizmo/gizmo-ring.c', 'added', null, 'drivers/misc/gizmo/gizmo-ring.c', null, '9e9e9e9e9e9e', false, 1],
      ['drivers/misc/gizmo/fw/logo.bin', 'added', null, 'drivers/misc/gizmo/fw/logo.bin', null, '3b18e512dba79e4c8300dd08aeb37f8e728b8dad', true, 0],
      ['scripts/gizmo-fw.sh', 'modified', 'scripts/gizmo-fw.sh', 'scripts/gizmo-fw.sh', null, null, false, 0],
    ]);
    const [make, core, , ren, added, , script] = p!.files;
    assert.equal(ren!.similarity, 81);
    assert.deepEqual([script!.oldMode, script!.newMode], ['100644', '100755']);
    assert.deepEqual([core!.oldMode, core!.newMode], ['100644', '100644']);
    // "\ No newline" marks the line before it, on each side
    const ml = make!.hunks[0]!.lines;
    assert.deepEqual(
      ml.map((l) => [l.kind, !!l.noNewlineAtEnd]),
      [
        ['context', false],
        ['context', false],
        ['del', true],
        ['add', true],
      ],
    );
    // hunk numbering, sections, line numbers on both sides
    const h = core!.hunks[1]!;
    assert.deepEqual([h.oldStart, h.oldLines, h.newStart, h.newLines, h.section], [140, 14, 140, 13, 'static int gizmo_start(struct gizmo_dev *gd)']);
    assert.deepEqual(h.declared, { oldLines: 14, newLines: 13 });
    assert.equal(core!.hunks[0]!.section, '');
    const kick = h.lines.find((l) => l.text === '\tgizmo_ring_kick(gd);')!;
    assert.deepEqual([kick.oldLine, kick.newLine], [152, 151]);
    assert.equal(h.lines.find((l) => l.text.includes('dev_err'))!.oldLine, null);
    assert.deepEqual(shape(p!, 1), ['   -+   ', '   ----+  -++ +   ']);
    // the new file starts at line 1; the changelog's "- keeps ..." bullets and the diffstat are no diff
    assert.equal(added!.hunks[0]!.lines[0]!.newLine, 1);
    assert.equal(added!.hunks[0]!.oldStart, 0);
    assert.ok(!p!.files.some((f) => f.hunks.some((hk) => hk.lines.some((l) => /keeps gizmo_ring_kick|2\.45\.1|base-commit/.test(l.text)))));
  });

  it('plain diff -urN: tree prefix and timestamps dropped, an epoch-dated side is a created file', async () => {
    const [p] = await patchesOf('diff-urN.diff');
    assert.equal(p!.kind, 'diff');
    assert.deepEqual(
      p!.files.map((f) => [f.path, f.status, f.oldPath]),
      [
        ['drivers/misc/gizmo/gizmo-core.c', 'modified', 'drivers/misc/gizmo/gizmo-core.c'],
        ['drivers/misc/gizmo/gizmo-trace.h', 'added', null],
      ],
    );
    assert.equal(p!.files[0]!.hunks[0]!.section, 'static void gizmo_stop(struct gizmo_dev *gd)');
    assert.deepEqual(shape(p!, 1), ['+++']);
  });

  it('quilt Index: blocks', async () => {
    const [p] = await patchesOf('quilt.eml');
    assert.equal(p!.files.length, 1);
    assert.equal(p!.files[0]!.path, 'drivers/misc/gizmo/gizmo-ring.c');
    assert.deepEqual([p!.files[0]!.hunks[0]!.oldLines, p!.files[0]!.hunks[0]!.newLines], [7, 7]);
    assert.equal(p!.subject, '[patch 3/7] gizmo: do not sleep under the ring lock');
  });

  it('git paths with spaces, quotes and no prefix', () => {
    assert.deepEqual(splitGitPaths('a/dir with space/x.c b/dir with space/x.c'), ['a/dir with space/x.c', 'b/dir with space/x.c']);
    assert.deepEqual(splitGitPaths('"a/caf\\303\\251.c" "b/caf\\303\\251.c"'), ['a/café.c', 'b/café.c']);
    assert.deepEqual(splitGitPaths('lib/x.c lib/x.c'), ['lib/x.c', 'lib/x.c']);
    assert.equal(unquotePath('"a/tab\\there"'), 'a/tab\there');
    const ex = extractBody(
      'diff --git a/docs/old name.txt b/docs/new name.txt\nsimilarity index 100%\nrename from docs/old name.txt\nrename to docs/new name.txt\n',
    );
    const f = ex.patches[0]!.files[0]!;
    assert.deepEqual([f.status, f.oldPath, f.newPath, f.similarity, f.hunks.length], ['renamed', 'docs/old name.txt', 'docs/new name.txt', 100, 0]);
  });

  it('copies and combined diffs', () => {
    const ex = extractBody(
      [
        'diff --git a/lib/a.c b/lib/b.c',
        'similarity index 90%',
        'copy from lib/a.c',
        'copy to lib/b.c',
        'index 1234567..89abcde 100644',
        '--- a/lib/a.c',
        '+++ b/lib/b.c',
        '@@ -1,2 +1,2 @@',
        '-int a;',
        '+int b;',
        ' int c;',
        'diff --cc fs/x.c',
        'index 1111111,2222222..3333333',
        '--- a/fs/x.c',
        '+++ b/fs/x.c',
        '@@@ -1,1 -1,1 +1,1 @@@',
        '',
      ].join('\n'),
    );
    const [copy, cc] = ex.patches[0]!.files;
    assert.deepEqual([copy!.status, copy!.oldPath, copy!.newPath, copy!.similarity], ['copied', 'lib/a.c', 'lib/b.c', 90]);
    assert.deepEqual(shape(ex.patches[0]!), ['-+ ']);
    assert.equal(cc!.status, 'unknown');
    assert.match(ex.notes.join('\n'), /combined diff \(merge\) not supported/);
  });

  it('a quote that kept only the "+++ b/path" line still names the file', () => {
    const ex = extractBody(
      [
        '> +++ b/drivers/misc/gizmo/gizmo-core.c',
        '> @@ -9,2 +9,3 @@ static int gizmo_open(struct inode *inode, struct file *file)',
        '>  \tint ret;',
        '> +\tmight_sleep();',
        '>  \treturn 0;',
        '',
      ].join('\n'),
    );
    const p = ex.patches[0]!;
    assert.equal(p.kind, 'quoted');
    assert.deepEqual([p.files[0]!.path, p.files[0]!.status, p.files[0]!.hunks.length], ['drivers/misc/gizmo/gizmo-core.c', 'modified', 1]);
  });

  it('a "-- " line is a removed "- " line only while the header expects one', () => {
    const ex = extractBody(
      ['--- a/Documentation/gizmo.txt', '+++ b/Documentation/gizmo.txt', '@@ -1,2 +1,1 @@', ' Options:', '-- ', '-- ', '2.40.0', ''].join('\n'),
    );
    const p = ex.patches[0]!;
    assert.deepEqual(shape(p), [' -']);
    assert.equal(p.files[0]!.hunks[0]!.lines[1]!.text, '- ');
  });

  it('a hunk header with numbers past exact integers is damaged: named in a note, its lines kept unnumbered', () => {
    const diff = (header: string): string =>
      [
        'diff --git a/drivers/misc/gizmo/ring.c b/drivers/misc/gizmo/ring.c',
        '--- a/drivers/misc/gizmo/ring.c',
        '+++ b/drivers/misc/gizmo/ring.c',
        `${header} static int gizmo_ring_fill(struct gizmo_ring *r)`,
        ' \tspin_lock(&r->lock);',
        '+\tspin_unlock(&r->lock);',
        ' \treturn -ENOMEM;',
        '',
      ].join('\n');
    for (const [header, why] of [
      ['@@ -12345678901234567890,2 +1,3 @@', '12345678901234567890 is too large for a line number or count'],
      ['@@ -1,2 +1,18446744073709551616 @@', '18446744073709551616 is too large for a line number or count'],
      ['@@ -9007199254740990,2 +1,3 @@', 'its lines would run past the largest exact line number'],
    ]) {
      const ex = extractBody(diff(header!));
      assert.equal(ex.patches.length, 1, header);
      const p = ex.patches[0]!;
      assert.equal(p.kind, 'diff');
      assert.ok(p.damage.includes('damaged-hunk-header'), header);
      assert.deepEqual(ex.notes, [`body line 4: damaged hunk header ${JSON.stringify(header)}: ${why}; its lines are read without line numbers`]);
      const h = p.files[0]!.hunks[0]!;
      assert.deepEqual([h.oldStart, h.newStart, h.declared, h.section], [null, null, null, 'static int gizmo_ring_fill(struct gizmo_ring *r)']);
      assert.deepEqual(shape(p), [' + ']);
      assert.ok(h.lines.every((l) => l.oldLine === null && l.newLine === null));
      assert.doesNotMatch(JSON.stringify(p), /\de[+-]?\d/); // no number written as a float
    }
    // Large but exact numbers are a header like any other.
    const ok = extractBody(diff('@@ -4294967296,2 +4294967296,3 @@'));
    const h = ok.patches[0]!.files[0]!.hunks[0]!;
    assert.deepEqual([h.oldStart, h.newStart, h.lines.at(-1)!.oldLine], [4294967296, 4294967296, 4294967297]);
    assert.deepEqual(ok.notes, []);
  });
});

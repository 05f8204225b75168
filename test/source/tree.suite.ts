// Tree mode: real git repositories built in the test, patches from `git format-patch`.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simpleGit, type SimpleGit } from 'simple-git';
import { buildImages, wholeFileUnit, TreeError, type FileImages } from '../../src/source/index.js';
import { parseGitDiff, stripIndent } from './patch-helper.js';
import type { Patch } from '../../src/patch/types.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, '../../fixtures/source/tree');
const DEMO_C = 'drivers/demo/demo.c';
const DEMO_H = 'drivers/demo/demo.h';
const MAKEFILE = 'drivers/demo/Makefile';

const base = {
  [DEMO_C]: readFileSync(join(fixtures, 'demo.c'), 'utf8'),
  [DEMO_H]: readFileSync(join(fixtures, 'demo.h'), 'utf8'),
  [MAKEFILE]: readFileSync(join(fixtures, 'Makefile'), 'utf8'),
};

/** Edit a text by exact replacement; fails loudly when the fixture changed under the test. */
function edit(text: string, from: string, to: string): string {
  assert.ok(text.includes(from), `fixture does not contain ${JSON.stringify(from)}`);
  return text.replace(from, to);
}

// Three commits of a series on demo.c/demo.h, plus a new file in the third.
const v1 = edit(
  base[DEMO_C],
  '\tspin_lock_irq(&dev->lock);\n\tif (!list_empty(&dev->queue)) {',
  '\tspin_lock_irq(&dev->lock);\n\tif (dev->dead)\n\t\tgoto out;\n\tif (!list_empty(&dev->queue)) {',
);
const v1b = edit(v1, '\t\tdev->nr_reqs--;\n\t}\n\tspin_unlock_irq(&dev->lock);', '\t\tdev->nr_reqs--;\n\t}\nout:\n\tspin_unlock_irq(&dev->lock);');
const v2 = edit(
  v1b,
  'static void demo_complete(struct demo_dev *dev, struct demo_req *req, int err)\n{\n\treq->status = err;',
  'static void demo_complete(struct demo_dev *dev, struct demo_req *req, int err)\n{\n\tunsigned long flags;\n\n\tspin_lock_irqsave(&dev->lock, flags);\n\treq->status = err;\n\tspin_unlock_irqrestore(&dev->lock, flags);',
);
const v2h = edit(base[DEMO_H], '\tunsigned int nr_reqs;\n', '\tunsigned int nr_reqs;\n\tbool dead;\n');
const v3 = edit(
  v2,
  'int demo_register(struct demo_dev *dev)\n{\n\tspin_lock(&demo_global_lock);',
  'int demo_register(struct demo_dev *dev)\n{\n\tif (demo_dev_busy(dev))\n\t\treturn -EBUSY;\n\tspin_lock(&demo_global_lock);',
);
const NEW_FILE = 'drivers/demo/demo_debug.c';
const newFile = `// SPDX-License-Identifier: GPL-2.0
#include "demo.h"

static int demo_debug_show(struct seq_file *m, void *v)
{
\tstruct demo_dev *dev = m->private;

\tspin_lock_irq(&dev->lock);
\tseq_printf(m, "%u\\n", dev->nr_reqs);
\tspin_unlock_irq(&dev->lock);
\treturn 0;
}
`;

let root = '';
let full = ''; // repository with the whole series committed
let baseOnly = ''; // repository with only the base commit's files
let drift = ''; // a tree whose demo.c moved on: lines added at the top, one context line changed
let bare = '';
let baseSha = '';
let series: Patch[] = [];
let seriesText = '';

async function initRepo(dir: string): Promise<SimpleGit> {
  mkdirSync(dir, { recursive: true });
  const git = simpleGit(dir);
  await git.init();
  await git.addConfig('user.name', 'kreview test');
  await git.addConfig('user.email', 'test@kreview.invalid');
  await git.addConfig('commit.gpgsign', 'false');
  return git;
}

function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
}

async function commit(git: SimpleGit, dir: string, files: Record<string, string>, msg: string): Promise<string> {
  writeFiles(dir, files);
  await git.add('.');
  await git.commit(msg);
  return (await git.revparse(['HEAD'])).trim();
}

/** Split `git format-patch --stdout` output into one Patch per mail. */
function splitMails(text: string, input: string): Patch[] {
  const mails = text.split(/^(?=From [0-9a-f]{40} )/m).filter((m) => m.trim());
  return mails.map((m, i) => parseGitDiff(m, { id: `${input}#${i}.1`, input }));
}

function imageOf(images: FileImages[], patch: Patch, path: string): FileImages {
  const im = images.find((i) => i.patch === patch && i.path === path);
  assert.ok(im, `no image for ${path} of ${patch.id}`);
  return im;
}

describe('source: tree mode', () => {
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'kreview-source-'));
    full = join(root, 'full');
    const git = await initRepo(full);
    baseSha = await commit(git, full, base, 'demo: base');
    await commit(git, full, { [DEMO_C]: v1b, [DEMO_H]: v2h }, 'demo: stop dequeueing from a dead device');
    await commit(git, full, { [DEMO_C]: v2 }, 'demo: set the status under the lock');
    await commit(git, full, { [DEMO_C]: v3, [NEW_FILE]: newFile }, 'demo: refuse to register a busy device; debugfs');
    seriesText = await git.raw(['format-patch', '--stdout', `--base=${baseSha}`, '-3']);
    series = splitMails(seriesText, 'series.mbox');

    baseOnly = join(root, 'base');
    await commit(await initRepo(baseOnly), baseOnly, base, 'demo: base only');

    drift = join(root, 'drift');
    const drifted = edit(
      '/* local header lines */\n/* pushing everything down */\n/* by five */\n/* lines */\n/* here */\n' + base[DEMO_C],
      '\tstruct demo_req *req = NULL;\n',
      '\tstruct demo_req *req = NULL; /* nothing yet */\n',
    );
    await commit(await initRepo(drift), drift, { ...base, [DEMO_C]: drifted }, 'demo: drifted');

    bare = join(root, 'bare.git');
    await simpleGit(root).raw(['clone', '--bare', '-q', baseOnly, bare]);
  });
  after(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('reads three patches with index lines and a base-commit', () => {
    assert.equal(series.length, 3);
    assert.equal(series[0]!.baseCommit, baseSha);
    const f = series[0]!.files.find((x) => x.path === DEMO_C)!;
    assert.match(f.oldBlob ?? '', /^[0-9a-f]{7,}$/);
  });

  it('single patch: pre-image from the index blob, post-image identical to the committed file', async () => {
    const images = await buildImages([series[0]!], { tree: baseOnly });
    const c = imageOf(images, series[0]!, DEMO_C);
    assert.equal(c.pre?.origin, 'index-blob');
    assert.equal(c.post?.origin, 'applied');
    assert.equal(c.raw?.pre, base[DEMO_C]);
    assert.equal(c.raw?.post, v1b);
    assert.ok(
      c.notes.some((n) => /matches index/.test(n)),
      c.notes.join('; '),
    );
    // whole file, identity line map
    assert.equal(c.post!.lineMap.length, v1b.split('\n').length - 1);
    assert.ok(c.post!.lineMap.every((l, i) => l === i + 1));
    const names = c.post!.functions.map((f) => f.name);
    for (const n of ['demo_req_alloc', 'demo_queue', 'demo_dequeue', 'demo_work', 'demo_register', 'demo_unregister']) {
      assert.ok(names.includes(n), `missing ${n} in ${names.join(',')}`);
    }
    assert.deepEqual(c.functions, ['demo_dequeue']);
    const deq = c.post!.functions.find((f) => f.name === 'demo_dequeue')!;
    assert.equal(deq.touched, true);
    assert.equal(deq.completeness, 'full');
    assert.equal(c.post!.functions.find((f) => f.name === 'demo_work')!.touched, false); // only shifted
    assert.equal(c.pre!.functions.find((f) => f.name === 'demo_dequeue')!.touched, false); // nothing removed
    // the row of a function is where the text has it
    const rows = c.post!.text.split('\n');
    assert.match(rows[deq.startRow]!, /^static struct demo_req \*demo_dequeue\(/);
    assert.equal(rows[deq.endRow], '}');
    // the header's hunk is outside every function; the Makefile is not C
    const h = imageOf(images, series[0]!, DEMO_H);
    assert.equal(h.raw?.post, v2h);
    assert.deepEqual(h.functions, []);
  });

  it('series in order on a tree that lacks the later blobs: previous-patch pre-images, exact post-images', async () => {
    const images = await buildImages(series, { tree: baseOnly });
    const expect = [
      [base[DEMO_C], v1b, 'index-blob'],
      [v1b, v2, 'previous-patch'],
      [v2, v3, 'previous-patch'],
    ] as const;
    series.forEach((p, i) => {
      const c = imageOf(images, p, DEMO_C);
      assert.equal(c.pre?.origin, expect[i]![2], `patch ${i + 1}: ${c.notes.join('; ')}`);
      assert.equal(c.raw?.pre, expect[i]![0]);
      assert.equal(c.raw?.post, expect[i]![1], `patch ${i + 1} post-image`);
    });
    assert.deepEqual(imageOf(images, series[1]!, DEMO_C).functions, ['demo_complete']);
    assert.deepEqual(imageOf(images, series[2]!, DEMO_C).functions, ['demo_register']);
    const created = imageOf(images, series[2]!, NEW_FILE);
    assert.equal(created.pre, null);
    assert.equal(created.raw?.post, newFile);
    assert.deepEqual(created.functions, ['demo_debug_show']);
  });

  it('end to end: kreview scan of the format-patch mbox with --tree applies the series in order', async () => {
    const { scanMessages, reviewScan } = await import('../../src/pipeline.js');
    const { defaultSemantics } = await import('../../src/semantics/load.js');
    const mbox = join(root, 'series.mbox');
    writeFileSync(mbox, seriesText);
    const res = await scanMessages([mbox]);
    assert.equal(res.doc.patches.length, 3);
    const reviews = await reviewScan(res, { sem: defaultSemantics(), tree: baseOnly });
    const posts = reviews.map((r) => r.images.find((i) => i.path === DEMO_C)!);
    assert.deepEqual(
      posts.map((i) => i.pre?.origin),
      ['index-blob', 'previous-patch', 'previous-patch'],
    );
    assert.deepEqual(
      posts.map((i) => i.raw?.post),
      [v1b, v2, v3],
    );
    assert.deepEqual(
      res.doc.patches.map((p) => p.files.find((f) => f.path === DEMO_C)?.functions),
      [['demo_dequeue'], ['demo_complete'], ['demo_register']],
    );
  });

  it('series on the full tree: every pre-image is the index blob', async () => {
    const images = await buildImages(series, { tree: full });
    for (const p of series) {
      const c = imageOf(images, p, DEMO_C);
      assert.equal(c.pre?.origin, 'index-blob');
      assert.equal(c.post?.origin, 'index-blob'); // the real post blob exists and is preferred
    }
    assert.equal(imageOf(images, series[2]!, DEMO_C).raw?.post, v3);
  });

  it('a bare repository works as a tree', async () => {
    const images = await buildImages([series[0]!], { tree: bare });
    assert.equal(imageOf(images, series[0]!, DEMO_C).raw?.post, v1b);
  });

  it('applies with offset and fuzz to a tree whose file moved on, and says so', async () => {
    const p = parseGitDiff(seriesText.split(/^(?=From [0-9a-f]{40} )/m).filter(Boolean)[0]!, { id: 'drift#0.1' });
    p.baseCommit = null;
    const images = await buildImages([p], { tree: drift });
    const c = imageOf(images, p, DEMO_C);
    assert.equal(c.pre?.origin, 'tree-head', c.notes.join('; '));
    assert.ok(
      c.notes.some((n) => /offset \+5/.test(n)),
      c.notes.join('; '),
    );
    assert.ok(
      c.notes.some((n) => /fuzz/.test(n)),
      c.notes.join('; '),
    );
    assert.ok(
      c.notes.some((n) => /differs from index/.test(n)),
      c.notes.join('; '),
    );
    assert.match(c.raw!.post!, /if \(dev->dead\)\n\t\tgoto out;/);
    assert.match(c.raw!.post!, /struct demo_req \*req = NULL; \/\* nothing yet \*\//); // the tree's context kept
  });

  it('a mail with stripped indentation applies ignoring whitespace; the real post blob is preferred when the tree has it', async () => {
    const text = seriesText.split(/^(?=From [0-9a-f]{40} )/m).filter(Boolean)[0]!;
    const p = parseGitDiff(text, { id: 'ws#0.1', mangle: stripIndent, damage: ['whitespace-stripped'] });
    let c = imageOf(await buildImages([p], { tree: full }), p, DEMO_C);
    assert.equal(c.post?.origin, 'index-blob');
    assert.equal(c.raw?.post, v1b);
    assert.ok(
      c.notes.some((n) => /applied result differs/.test(n)),
      c.notes.join('; '),
    );
    assert.deepEqual(c.functions, ['demo_dequeue']); // touched rows from the real blob
    c = imageOf(await buildImages([p], { tree: baseOnly }), p, DEMO_C);
    assert.equal(c.post?.origin, 'applied');
    assert.ok(
      c.notes.some((n) => /matched ignoring whitespace/.test(n)),
      c.notes.join('; '),
    );
    assert.ok(
      c.notes.some((n) => /differs from index/.test(n)),
      c.notes.join('; '),
    );
    assert.match(c.raw!.post!, /\nstatic struct demo_req \*demo_dequeue\(struct demo_dev \*dev\)\n\{\n\tstruct demo_req \*req = NULL;\n/); // context from the tree
    assert.deepEqual(c.functions, ['demo_dequeue']);
  });

  it('falls back to base-commit, then HEAD, when the index blob is unknown', async () => {
    const p = parseGitDiff(seriesText.split(/^(?=From [0-9a-f]{40} )/m).filter(Boolean)[0]!, { id: 'bc#0.1' });
    for (const f of p.files) f.oldBlob = 'deadbeefdead';
    let c = imageOf(await buildImages([p], { tree: full }), p, DEMO_C);
    assert.equal(c.pre?.origin, 'base-commit', c.notes.join('; '));
    assert.ok(c.notes.some((n) => /index blob deadbeefdead is not in the tree/.test(n)));
    assert.equal(c.raw?.post, v1b);
    p.baseCommit = null;
    c = imageOf(await buildImages([p], { tree: baseOnly }), p, DEMO_C);
    assert.equal(c.pre?.origin, 'tree-head', c.notes.join('; '));
    assert.equal(c.raw?.post, v1b);
  });

  it('a patch that does not apply falls back to hunk mode with a note', async () => {
    const text = seriesText.split(/^(?=From [0-9a-f]{40} )/m).filter(Boolean)[1]!; // patch 2 on the base: its context is not there
    const p = parseGitDiff(text.replace(/\treq->status = err;\n/g, '\treq->status = err ^ 1;\n'), { id: 'bad#0.1' });
    p.baseCommit = null;
    const c = imageOf(await buildImages([p], { tree: baseOnly }), p, DEMO_C);
    assert.ok(
      c.notes.some((n) => /does not apply to .*hunk 1 at line \d+/.test(n)),
      c.notes.join('; '),
    );
    assert.ok(c.notes.some((n) => /hunk mode/.test(n)));
    assert.equal(c.post?.origin, 'hunks');
    assert.equal(c.raw, undefined);
    assert.deepEqual(c.functions, ['demo_complete']);
  });

  it('skips non-C files with a note and refuses a tree that is not a repository', async () => {
    const p = parseGitDiff(
      'diff --git a/drivers/demo/Makefile b/drivers/demo/Makefile\nindex 1111111..2222222 100644\n--- a/drivers/demo/Makefile\n+++ b/drivers/demo/Makefile\n@@ -1 +1,2 @@\n obj-$(CONFIG_DEMO) += demo.o\n+obj-$(CONFIG_DEMO) += demo_debug.o\n',
    );
    const images = await buildImages([p], { tree: baseOnly });
    assert.equal(images.length, 1);
    assert.equal(images[0]!.pre, null);
    assert.ok(images[0]!.notes.some((n) => /not a C source file/.test(n)));
    await assert.rejects(buildImages([p], { tree: join(root, 'nope') }), TreeError);
  });

  it('wholeFileUnit: every definition, preprocessed row for row', async () => {
    const u = await wholeFileUnit(DEMO_C, base[DEMO_C]);
    assert.equal(u.origin, 'file');
    assert.equal(u.side, 'post');
    const rows = u.text.split('\n');
    assert.equal(rows.length - 1, base[DEMO_C].split('\n').length - 1);
    const q = u.functions.find((f) => f.name === 'demo_queue')!;
    assert.deepEqual(
      q.preproc.map((d) => [d.directive, d.taken]),
      [
        ['#ifdef CONFIG_DEMO_STATS', 'then'],
        ['#else', 'none'],
      ],
    );
    assert.ok(rows.some((r) => r.includes('dev->stats.queued++')));
    assert.ok(!rows.some((r) => r.includes('queued_nostats')));
    assert.ok(!rows.some((r) => r.startsWith('#')));
    assert.ok(u.functions.every((f) => f.completeness === 'full' && f.entryKnown && f.exitKnown && !f.touched));
  });
});

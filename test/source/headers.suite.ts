// Headers read from the kernel tree a file lives in: the struct annotations of `include/` guard the
// fields a driver touches, on disk (`check`) and in a git tree (`scan --tree`).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { simpleGit } from 'simple-git';
import { checkFile, forgetHeaders, reviewPatches } from '../../src/review.js';
import { defaultSemantics } from '../../src/semantics/load.js';
import { kernelRoot } from '../../src/source/headers.js';
import { parseGitDiff } from './patch-helper.js';

const sem = defaultSemantics();

const GIZMO_H = `/* A shared counter block, its lock and an RCU-published configuration. */
#include <linux/spinlock.h>

struct gizmo_cfg {
\tunsigned int rate;
};

struct gizmo {
\tspinlock_t lock;
\tunsigned long hits __guarded_by(&lock);
\tstruct gizmo_cfg __rcu *cfg;
};

struct gizmo_unused {
\tint x;
};
`;

const DRIVER_C = `// A driver of the gizmo block: the struct is defined in include/linux/gizmo.h.
#include <linux/gizmo.h>

void gizmo_hit(struct gizmo *g)
{
\tspin_lock(&g->lock);
\tg->hits++;
\tspin_unlock(&g->lock);
}

unsigned int gizmo_rate(struct gizmo *g)
{
\tstruct gizmo_cfg *c = g->cfg;

\treturn c->rate;
}
`;

const ADDED = `
void gizmo_reset(struct gizmo *g)
{
\tg->hits = 0;
}
`;

function write(root: string, files: Record<string, string>): void {
  for (const [p, t] of Object.entries(files)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), t);
  }
}

const rulesOf = (fs: { rule: string; line: number | null; message: string }[]): string[] => fs.map((f) => `${f.rule}:${f.line}`).sort();

describe('source: headers from the kernel tree', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kreview-headers-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    forgetHeaders();
  });

  it('finds the tree a file sits in by its include/linux/kernel.h, and nothing outside one', () => {
    const tree = join(dir, 'root-find');
    write(tree, { 'include/linux/kernel.h': '/* */\n', 'drivers/a/b/x.c': '' });
    assert.equal(kernelRoot(join(tree, 'drivers/a/b')), tree);
    assert.equal(kernelRoot(join(tree, 'drivers')), tree);
    assert.equal(kernelRoot(dir), null);
  });

  it('check: __guarded_by and __rcu written in include/ guard the fields a driver touches', async () => {
    const tree = join(dir, 'disk');
    write(tree, { 'include/linux/kernel.h': '/* */\n', 'include/linux/gizmo.h': GIZMO_H, 'drivers/gizmo/gizmo.c': DRIVER_C + ADDED });
    const path = join(tree, 'drivers/gizmo/gizmo.c');
    const r = await checkFile(path, readFileSync(path, 'utf8'), { sem });
    const unguarded = r.findings.filter((f) => f.rule === 'unguarded-access');
    assert.deepEqual(rulesOf(unguarded), ['unguarded-access:13', 'unguarded-access:20']);
    assert.ok(
      unguarded.every((f) => f.facts.some((x) => x.includes('include/linux/gizmo.h'))),
      JSON.stringify(unguarded.map((f) => f.facts)),
    );
    // Only the structs the file names come from include/: gizmo_unused is not taken on.
    const structs = r.functions[0]!.unit!.structs.map((s) => s.name).sort();
    assert.deepEqual(structs, ['gizmo', 'gizmo_cfg']);
  });

  it('check: the same file outside a kernel tree knows no annotation, and says nothing', async () => {
    const alone = join(dir, 'alone');
    write(alone, { 'gizmo.c': DRIVER_C + ADDED });
    const path = join(alone, 'gizmo.c');
    const r = await checkFile(path, readFileSync(path, 'utf8'), { sem });
    assert.deepEqual(rulesOf(r.findings), []);
  });

  it('scan --tree: the header at the base commit guards the fields a patch touches', async () => {
    const repo = join(dir, 'repo');
    write(repo, { 'include/linux/kernel.h': '/* */\n', 'include/linux/gizmo.h': GIZMO_H, 'drivers/gizmo/gizmo.c': DRIVER_C });
    const git = simpleGit(repo);
    await git.init();
    await git.addConfig('user.name', 'kreview test');
    await git.addConfig('user.email', 'test@kreview.invalid');
    await git.addConfig('commit.gpgsign', 'false');
    await git.add('.');
    await git.commit('base');
    writeFileSync(join(repo, 'drivers/gizmo/gizmo.c'), DRIVER_C + ADDED);
    const diff = await git.diff(['--full-index']);
    const patch = parseGitDiff(diff, { id: 'gizmo#1.1' });
    const [withTree] = await reviewPatches([patch], { sem, tree: repo });
    const got = withTree!.findings.filter((f) => f.rule === 'unguarded-access').map((f) => `${f.line}:${f.status}`);
    assert.deepEqual(got, ['20:introduced'], JSON.stringify(withTree!.notes));
  });
});

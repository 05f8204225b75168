// The Action in patches mode: a pull request that adds a 3-patch series to a patch queue. The
// patches are made with git format-patch from a small kernel tree (one introduces a lock leak on an
// error path, one fixes a reference leak, one is clean); the review comment goes on the line of the
// patch file that adds the flagged line. Without a kernel tree the hunks alone are reviewed, and the
// run says so; with one checked out in the workspace, pre-images come from it.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { FakeGitHub } from '../support/github-server.js';
import { makePullRepo, pullFiles, runBundle, type PullRepoMade } from '../support/pull-repo.js';
import type { RunDocument } from '../../src/report/document.js';

const FILE = 'drivers/demo/knob.c';
const head =
  '#include <linux/spinlock.h>\n#include <linux/kref.h>\n\nstruct knob {\n\tspinlock_t lock;\n\tstruct kref ref;\n\tint level;\n};\n\nstatic void knob_free(struct kref *r)\n{\n\tkfree(container_of(r, struct knob, ref));\n}\n';
const turn = (leak: boolean) =>
  `\nstatic int knob_turn(struct knob *k, int to)\n{\n\tspin_lock(&k->lock);\n${leak ? '\tif (to > 10)\n\t\treturn -ERANGE;\n' : ''}\tk->level = to;\n\tspin_unlock(&k->lock);\n\treturn 0;\n}\n`;
const peek = (leak: boolean) =>
  `\nstatic int knob_peek(struct knob *k)\n{\n\tint v;\n\n\tkref_get(&k->ref);\n\tif (!k->level)${leak ? '\n\t\treturn -ENODATA;' : ' {\n\t\tkref_put(&k->ref, knob_free);\n\t\treturn -ENODATA;\n\t}'}\n\tv = k->level;\n\tkref_put(&k->ref, knob_free);\n\treturn v;\n}\n`;
const reset = (doc: boolean) =>
  `\n${doc ? '/* Back to the lowest level. */\n' : ''}static void knob_reset(struct knob *k)\n{\n\tspin_lock(&k->lock);\n\tk->level = 0;\n\tspin_unlock(&k->lock);\n}\n`;

/** A kernel tree and the three patches on it, as git format-patch writes them. */
async function kernelAndSeries(dir: string): Promise<{ tree: string; patches: Record<string, string> }> {
  const tree = join(dir, 'linux-src');
  mkdirSync(join(tree, 'drivers', 'demo'), { recursive: true });
  const git = simpleGit(tree);
  const c = ['-c', 'user.name=Ada Example', '-c', 'user.email=ada@example.org'];
  await git.raw(['init', '-q', '-b', 'master']);
  const write = async (text: string, msg: string): Promise<void> => {
    writeFileSync(join(tree, FILE), text);
    await git.add([FILE]);
    await git.raw([...c, 'commit', '-q', '-m', msg]);
  };
  await write(head + turn(false) + peek(true) + reset(false), 'demo: add the knob driver');
  await git.raw(['tag', 'base']);
  await write(head + turn(true) + peek(true) + reset(false), 'demo: knob: refuse levels above 10');
  await write(head + turn(true) + peek(false) + reset(false), 'demo: knob: drop the reference when there is no level');
  await write(head + turn(true) + peek(false) + reset(true), 'demo: knob: document knob_reset()');
  const out = join(dir, 'series');
  await git.raw(['format-patch', '-q', '--numbered', '-o', out, 'base..HEAD']);
  const patches: Record<string, string> = {};
  for (const [i, name] of [
    '0001-demo-knob-refuse-levels-above-10.patch',
    '0002-demo-knob-drop-the-reference-when-there-is-no-level.patch',
    '0003-demo-knob-document-knob_reset.patch',
  ].entries()) {
    patches[`patches/${name}`] = readFileSync(join(out, name), 'utf8');
    assert.ok(patches[`patches/${name}`]!.includes(`[PATCH ${i + 1}/3]`));
  }
  await git.raw(['checkout', '-q', 'base']);
  return { tree, patches };
}

describe('action: patches mode', () => {
  let dir: string;
  let repo: PullRepoMade;
  let patches: Record<string, string>;
  let kernel: string;
  let n = 0;
  const payload = () => ({
    pull_request: {
      number: 11,
      head: { sha: repo.headSha, ref: 'pr', repo: { full_name: 'acme/bsp' } },
      base: { sha: repo.baseSha, ref: 'main', repo: { full_name: 'acme/bsp' } },
    },
    repository: { full_name: 'acme/bsp' },
  });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kreview-action-patches-'));
    ({ tree: kernel, patches } = await kernelAndSeries(dir));
    repo = await makePullRepo(dir, {
      base: { 'README.md': 'A board support package: kernel patches live in patches/.\n' },
      commits: [{ message: 'patches: the knob fixes', files: patches }],
    });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const review = async (inputs: Record<string, string>, server?: FakeGitHub): Promise<{ gh: FakeGitHub; doc: RunDocument; stdout: string; code: number }> => {
    const gh =
      server ??
      new FakeGitHub({
        owner: 'acme',
        repo: 'bsp',
        number: 11,
        headSha: repo.headSha,
        baseSha: repo.baseSha,
        headRepo: 'acme/bsp',
        files: await pullFiles(repo),
      });
    await gh.start();
    try {
      const r = await runBundle(join(dir, `run-${++n}`), {
        event: 'pull_request',
        payload: payload(),
        workspace: repo.checkout,
        api: gh.url,
        inputs: { 'github-token': 'write-token', ...inputs },
      });
      return { gh, doc: JSON.parse(readFileSync(r.outputs.json!, 'utf8')) as RunDocument, stdout: r.stdout + r.stderr, code: r.code };
    } finally {
      await gh.stop();
    }
  };

  it('reviews the patch files without a tree, says so, and comments on the patch line', async () => {
    const { gh, doc, stdout, code } = await review({});
    assert.equal(doc.pullRequest?.mode, 'patches', 'auto: patch files and no C');
    // From the hunks alone the functions are partly seen: the leak is a warning, below the default fail-on.
    assert.equal(code, 0, stdout);
    assert.equal(doc.findings.find((f) => f.status === 'introduced')?.severity, 'warning');
    assert.deepEqual(doc.inputs.map((i) => i.path).sort(), Object.keys(patches).sort());
    assert.ok(
      doc.notes.some((x) => /no kernel tree given .*hunks alone/.test(x)),
      doc.notes.join('\n'),
    );
    assert.equal(
      gh.reviewComments.length,
      1,
      JSON.stringify(
        doc.findings.map((f) => [f.rule, f.status, f.function]),
        null,
        1,
      ),
    );
    const c = gh.reviewComments[0]!;
    assert.equal(c.path, 'patches/0001-demo-knob-refuse-levels-above-10.patch');
    assert.equal(patches[c.path]!.split('\n')[c.line - 1], '+\t\treturn -ERANGE;');
    assert.match(c.body, /`lock-leak` — introduced by \\\[PATCH 1\/3\\\] demo: knob: refuse levels above 10/);
    assert.match(gh.reviews[0]!.body, /### Fixed \(1\)[\s\S]*`ref-leak` in `knob_peek\(\)`/);
  });

  it('comment: summary keeps one comment on the pull request, edited in place', async () => {
    const { gh } = await review({ comment: 'summary' });
    assert.equal(gh.issueComments.length, 1);
    assert.equal(gh.reviews.length + gh.reviewComments.length, 0, 'no review in summary mode');
    assert.match(gh.issueComments[0]!.body, /^<!-- kreview:summary -->\n## kreview: 1 introduced by this pull request/);
    assert.match(gh.issueComments[0]!.body, /`lock-leak` in `knob_turn\(\)`/);
    const before = gh.calls.length;
    await review({ comment: 'summary' }, gh);
    assert.deepEqual(
      gh.calls.slice(before).filter((c) => c.method !== 'GET'),
      [],
      'the same run again changes nothing',
    );
    assert.equal(gh.issueComments.length, 1);
  });

  it('takes pre-images from a kernel tree checked out in the workspace', async () => {
    const linux = join(repo.checkout, 'linux');
    await simpleGit(repo.checkout).raw(['clone', '-q', kernel, linux]);
    try {
      const { gh, doc, code } = await review({ tree: 'linux', mode: 'patches' });
      assert.equal(code, 1, 'the whole file seen: the leak is an error');
      assert.ok(!doc.notes.some((x) => /hunks alone/.test(x)));
      assert.ok(
        doc.notes.some((x) => /pre-image: index blob/.test(x)),
        doc.notes.join('\n'),
      );
      assert.equal(gh.reviewComments.length, 1);
      assert.equal(gh.reviewComments[0]!.path, 'patches/0001-demo-knob-refuse-levels-above-10.patch');
    } finally {
      rmSync(linux, { recursive: true, force: true });
    }
  });
});

// The Action end to end in commits mode: a real git repository with a 3-commit pull request (one
// commit introduces a lock leak on an error path, one fixes a reference leak, one is clean), a
// shallow checkout, the bundle run as GitHub runs it, and a local server speaking GitHub's REST API.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Log } from 'sarif';
import { FakeGitHub } from '../support/github-server.js';
import { makePullRepo, pullFiles, pushCommit, runBundle, type PullRepoMade } from '../support/pull-repo.js';
import { validateSarif } from '../support/sarif-validator.js';
import type { RunDocument } from '../../src/report/document.js';

const FILE = 'drivers/demo/widget.c';
const HEAD = `// SPDX-License-Identifier: GPL-2.0
#include <linux/mutex.h>
#include <linux/kref.h>

struct widget {
\tstruct mutex lock;
\tstruct kref ref;
\tint value;
\tint limit;
};

static void widget_release(struct kref *ref)
{
\tkfree(container_of(ref, struct widget, ref));
}
`;
const SET_OK = `
static int widget_set(struct widget *w, int v)
{
\tmutex_lock(&w->lock);
\tw->value = v;
\tmutex_unlock(&w->lock);
\treturn 0;
}
`;
const SET_LEAK = `
static int widget_set(struct widget *w, int v)
{
\tmutex_lock(&w->lock);
\tif (v > w->limit)
\t\treturn -ERANGE;
\tw->value = v;
\tmutex_unlock(&w->lock);
\treturn 0;
}
`;
const SET_FIXED = `
static int widget_set(struct widget *w, int v)
{
\tmutex_lock(&w->lock);
\tif (v > w->limit) {
\t\tmutex_unlock(&w->lock);
\t\treturn -ERANGE;
\t}
\tw->value = v;
\tmutex_unlock(&w->lock);
\treturn 0;
}
`;
const USE_LEAK = `
static int widget_use(struct widget *w)
{
\tkref_get(&w->ref);
\tif (!w->value)
\t\treturn -EINVAL;
\tw->value--;
\tkref_put(&w->ref, widget_release);
\treturn 0;
}
`;
const USE_OK = `
static int widget_use(struct widget *w)
{
\tkref_get(&w->ref);
\tif (!w->value) {
\t\tkref_put(&w->ref, widget_release);
\t\treturn -EINVAL;
\t}
\tw->value--;
\tkref_put(&w->ref, widget_release);
\treturn 0;
}
`;
const COUNT = `
static int widget_count(struct widget *w)
{
\treturn w->value;
}
`;
const COUNT_DOC = `
/* How many uses the widget has left. */
static int widget_count(struct widget *w)
{
\treturn w->value;
}
`;

const file = (set: string, use: string, count: string): Record<string, string> => ({ [FILE]: HEAD + set + use + count });

describe('action: commits mode', () => {
  let dir: string;
  let repo: PullRepoMade;
  let gh: FakeGitHub;
  let n = 0;
  const payload = (headRepo = 'acme/linux') => ({
    pull_request: {
      number: 7,
      head: { sha: repo.headSha, ref: 'pr', repo: { full_name: headRepo } },
      base: { sha: repo.baseSha, ref: 'main', repo: { full_name: 'acme/linux' } },
    },
    repository: { full_name: 'acme/linux' },
  });
  const run = (inputs: Record<string, string> = {}, headRepo?: string) =>
    runBundle(join(dir, `run-${++n}`), {
      event: 'pull_request',
      payload: payload(headRepo),
      workspace: repo.checkout,
      api: gh.url,
      inputs: { 'github-token': 'write-token', ...inputs },
    });
  const sync = async (): Promise<void> => {
    gh.pull.headSha = repo.headSha;
    gh.pull.files = await pullFiles(repo);
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kreview-action-'));
    repo = await makePullRepo(dir, {
      base: file(SET_OK, USE_LEAK, COUNT),
      commits: [
        { message: 'demo: refuse values above the limit', files: file(SET_LEAK, USE_LEAK, COUNT) },
        { message: 'demo: drop the reference when the widget is used up', files: file(SET_LEAK, USE_OK, COUNT) },
        { message: 'demo: document widget_count()', files: file(SET_LEAK, USE_OK, COUNT_DOC) },
      ],
    });
    gh = new FakeGitHub({ owner: 'acme', repo: 'linux', number: 7, headSha: repo.headSha, baseSha: repo.baseSha, headRepo: 'acme/linux', files: [] });
    await sync();
    await gh.start();
  });
  after(async () => {
    await gh.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('posts one review: the lock leak on its line, blamed on its commit; the fixed leak credited', async () => {
    const r = await run({ sarif: join(dir, 'kreview.sarif') });
    assert.equal(r.code, 1, `the introduced error fails the job\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /fetched to depth \d+ to find the merge base|fetched [0-9a-f]{12}/, 'the shallow checkout was deepened, and that is said');
    assert.equal(gh.reviews.length, 1);
    assert.equal(gh.reviewComments.length, 1, 'one inline comment: nothing for the fix or the clean commit');
    const c = gh.reviewComments[0]!;
    const head = readFileSync(join(repo.checkout, FILE), 'utf8').split('\n');
    assert.equal(c.path, FILE);
    assert.equal(head[c.line - 1], '\t\treturn -ERANGE;', 'on the return that keeps the lock');
    assert.equal(c.commit_id, repo.headSha);
    assert.match(c.body, /`lock-leak` — introduced by [0-9a-f]{12} demo: refuse values above the limit/);
    assert.ok(c.body.includes(repo.commits[0]!.slice(0, 12)));
    assert.match(c.body, /<!-- kreview:fingerprint=lock-leak:[0-9a-f]{12} -->/);
    const review = gh.reviews[0]!;
    assert.equal(review.state, 'COMMENT');
    assert.match(review.body, /## kreview: 1 introduced by this pull request/);
    assert.match(review.body, /### Fixed \(1\)[\s\S]*`ref-leak` in `widget_use\(\)`[\s\S]*fixed by [0-9a-f]{12} demo: drop the reference/);
    assert.deepEqual({ introduced: r.outputs.introduced, fixed: r.outputs.fixed }, { introduced: '1', fixed: '1' });
    assert.match(r.summary, /^## kreview: /m);
    const doc = JSON.parse(readFileSync(r.outputs.json!, 'utf8')) as RunDocument;
    assert.equal(doc.pullRequest?.mode, 'commits');
    const blame = new Map(doc.findings.map((f) => [`${f.rule}/${f.status}`, f.commit]));
    assert.equal(blame.get('lock-leak/introduced'), repo.commits[0]);
    assert.equal(blame.get('ref-leak/fixed'), repo.commits[1]);
    assert.ok(!doc.findings.some((f) => f.commit === repo.commits[2] && f.status !== 'present'), 'the clean commit changes nothing');
    const v = validateSarif(JSON.parse(readFileSync(join(dir, 'kreview.sarif'), 'utf8')) as Log, join(dir, `run-${n}`));
    if (!v.skipped) assert.deepEqual(v.problems, []);
  });

  it('on a fork it posts nothing, and the workflow_run job posts from its artifact', async () => {
    const fork = new FakeGitHub({ ...gh.pull, headRepo: 'mallory/linux' });
    fork.readOnly.add('read-token');
    await fork.start();
    try {
      const r = await runBundle(join(dir, 'fork'), {
        event: 'pull_request',
        payload: payload('mallory/linux'),
        workspace: repo.checkout,
        api: fork.url,
        inputs: { 'github-token': 'read-token' },
      });
      assert.equal(fork.writes().length, 0, 'no write call from the fork job');
      assert.match(r.stdout, /comes from a fork/);
      const doc = JSON.parse(readFileSync(r.outputs.json!, 'utf8')) as RunDocument;
      assert.equal(doc.pullRequest?.fork, true);
      const post = await runBundle(join(dir, 'post'), {
        event: 'workflow_run',
        payload: {
          workflow_run: { id: 99, event: 'pull_request', head_sha: repo.headSha, head_repository: { full_name: 'mallory/linux' } },
          repository: { full_name: 'acme/linux' },
        },
        workspace: join(dir, 'post'),
        api: fork.url,
        inputs: { 'github-token': 'write-token', 'post-from': r.outputs.json! },
      });
      assert.equal(post.code, 0, post.stdout + post.stderr);
      assert.equal(fork.reviews.length, 1, 'the posting job posts the review');
      assert.equal(fork.reviewComments.length, 1);
      assert.ok(fork.writes().every((c) => c.token === 'write-token'));
      // The artifact is the fork's: one about another commit, or not a run document, is refused.
      const tampered = join(dir, 'tampered.json');
      writeFileSync(tampered, JSON.stringify({ ...doc, pullRequest: { ...doc.pullRequest, headSha: 'f'.repeat(40) } }));
      const bad = join(dir, 'bad.json');
      writeFileSync(bad, JSON.stringify({ ...doc, findings: [{ rule: 'x' }] }));
      for (const [file, why] of [
        [tampered, /the run reviewed ffffffffffff, the workflow run was for/],
        [bad, /does not match the run document schema/],
      ] as const) {
        const refused = await runBundle(join(dir, `post-${basename(file)}`), {
          event: 'workflow_run',
          payload: { workflow_run: { id: 99, event: 'pull_request', head_sha: repo.headSha }, repository: { full_name: 'acme/linux' } },
          workspace: dir,
          api: fork.url,
          inputs: { 'github-token': 'write-token', 'post-from': file },
        });
        assert.equal(refused.code, 2);
        assert.match(refused.stdout, why);
      }
      assert.equal(fork.reviews.length, 1, 'nothing more was posted');
    } finally {
      await fork.stop();
    }
  });

  it('a second run posts nothing', async () => {
    const before = gh.calls.length;
    const r = await run();
    assert.equal(r.code, 1);
    const writes = gh.calls.slice(before).filter((c) => c.method !== 'GET');
    assert.deepEqual(writes, [], 'no write call at all');
    assert.equal(gh.reviewComments.length, 1);
  });

  it('after a push that fixes it, the comment is edited to say so, not posted again', async () => {
    await pushCommit(repo, 'demo: unlock on the range error', file(SET_FIXED, USE_OK, COUNT_DOC));
    await sync();
    const before = gh.calls.length;
    const r = await run();
    assert.equal(r.code, 0, `nothing introduced is left\n${r.stdout}`);
    const writes = gh.calls.slice(before).filter((c) => c.method !== 'GET');
    assert.ok(!writes.some((c) => c.method === 'POST'), 'no new review or comment');
    assert.equal(writes.filter((c) => c.method === 'PATCH').length, 1);
    assert.equal(gh.reviewComments.length, 1);
    assert.match(gh.reviewComments[0]!.body, /^:white_check_mark: \*\*No longer reported\*\* at [0-9a-f]{12}/);
    assert.match(gh.reviewComments[0]!.body, /<!-- kreview:resolved -->/);
  });
});

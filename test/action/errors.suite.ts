// The Action when things go wrong: a bad event payload, no token, GitHub refusing (403, 422) or
// rate-limiting. Each gets an error in the log and a failing exit status, and a refused review
// leaves nothing behind, so the next run posts it once.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeGitHub } from '../support/github-server.js';
import { makePullRepo, pullFiles, runBundle, type PullRepoMade } from '../support/pull-repo.js';

const FILE = 'drivers/demo/gadget.c';
const OK = 'static int gadget_set(struct gadget *g, int v)\n{\n\tspin_lock(&g->lock);\n\tg->v = v;\n\tspin_unlock(&g->lock);\n\treturn 0;\n}\n';
const LEAK =
  'static int gadget_set(struct gadget *g, int v)\n{\n\tspin_lock(&g->lock);\n\tif (v < 0)\n\t\treturn -EINVAL;\n\tg->v = v;\n\tspin_unlock(&g->lock);\n\treturn 0;\n}\n';

describe('action: errors', () => {
  let dir: string;
  let repo: PullRepoMade;
  let n = 0;
  const payload = () => ({
    pull_request: {
      number: 3,
      head: { sha: repo.headSha, ref: 'pr', repo: { full_name: 'acme/linux' } },
      base: { sha: repo.baseSha, ref: 'main', repo: { full_name: 'acme/linux' } },
    },
    repository: { full_name: 'acme/linux' },
  });
  const server = async (): Promise<FakeGitHub> => {
    const gh = new FakeGitHub({
      owner: 'acme',
      repo: 'linux',
      number: 3,
      headSha: repo.headSha,
      baseSha: repo.baseSha,
      headRepo: 'acme/linux',
      files: await pullFiles(repo),
    });
    await gh.start();
    return gh;
  };
  const run = (gh: FakeGitHub, o: { payload?: unknown; inputs?: Record<string, string> } = {}) =>
    runBundle(join(dir, `run-${++n}`), {
      event: 'pull_request',
      payload: o.payload ?? payload(),
      workspace: repo.checkout,
      api: gh.url,
      inputs: { 'github-token': 'write-token', ...o.inputs },
    });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kreview-action-errors-'));
    repo = await makePullRepo(dir, { base: { [FILE]: OK }, commits: [{ message: 'gadget: refuse negative values', files: { [FILE]: LEAK } }] });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a malformed event payload is named, and fails the job', async () => {
    const gh = await server();
    try {
      const notJson = await run(gh, { payload: '{"pull_request": ' });
      assert.equal(notJson.code, 2);
      assert.match(notJson.stdout, /::error::kreview: event payload .*event\.json: not JSON/);
      const noHead = await run(gh, { payload: { pull_request: { number: 3, base: payload().pull_request.base }, repository: { full_name: 'acme/linux' } } });
      assert.equal(noHead.code, 2);
      assert.match(noHead.stdout, /not a pull_request event: pull_request\.head: /);
      const badInput = await run(gh, { inputs: { mode: 'everything' } });
      assert.equal(badInput.code, 2);
      assert.match(badInput.stdout, /input mode: 'everything' is not one of auto, commits, patches/);
      assert.equal(gh.calls.length, 0, 'nothing was asked of GitHub');
    } finally {
      await gh.stop();
    }
  });

  it('no token: said before anything is analysed', async () => {
    const gh = await server();
    try {
      const r = await run(gh, { inputs: { 'github-token': '' } });
      assert.equal(r.code, 2);
      assert.match(r.stdout, /input github-token is empty/);
      assert.doesNotMatch(r.stdout, /commits mode/, 'it stopped before the analysis');
    } finally {
      await gh.stop();
    }
  });

  for (const [status, message, hint] of [
    [403, 'Resource not accessible by integration', /failed with 403: Resource not accessible by integration: the token may lack permission/],
    [422, 'Validation Failed', /failed with 422: Validation Failed: GitHub refused the content/],
  ] as const) {
    it(`a ${status} on the review: a clear error, nothing half-posted, the next run posts it once`, async () => {
      const gh = await server();
      try {
        gh.failures.push({ method: 'POST', path: /\/pulls\/3\/reviews$/, status, message });
        const r = await run(gh);
        assert.equal(r.code, 2, r.stdout);
        assert.match(r.stdout, new RegExp(`::error::kreview: GitHub API create the review ${hint.source}`));
        assert.equal(gh.reviews.length + gh.reviewComments.length, 0);
        const again = await run(gh);
        assert.equal(again.code, 1, 'the introduced error fails the job');
        assert.equal(gh.reviews.length, 1);
        assert.equal(gh.reviewComments.length, 1);
      } finally {
        await gh.stop();
      }
    });
  }

  it('request-changes: the review asks for changes when it has an error', async () => {
    const gh = await server();
    try {
      const r = await run(gh, { inputs: { 'request-changes': 'true' } });
      assert.equal(r.code, 1);
      assert.equal(gh.reviews[0]?.state, 'REQUEST_CHANGES');
    } finally {
      await gh.stop();
    }
  });

  it('a rate limit is waited out; one that does not end fails the job and says so', async () => {
    const gh = await server();
    try {
      const limited = () => ({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 1) });
      gh.failures.push({ method: 'GET', path: /\/pulls\/3\/files$/, status: 403, message: 'API rate limit exceeded', headers: limited() });
      const r = await run(gh);
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stdout, /primary rate limit on GET \S*\/pulls\/3\/files\S*: retrying in \d+ s/);
      assert.equal(gh.reviews.length, 1);
      const gh2 = await server();
      try {
        gh2.failures.push({ method: 'GET', path: /\/pulls\/3\/files$/, status: 403, message: 'API rate limit exceeded', headers: limited(), times: 10 });
        const r2 = await run(gh2);
        assert.equal(r2.code, 2);
        assert.match(r2.stdout, /::error::kreview: GitHub API list pull request files failed with 403: API rate limit exceeded: rate limited/);
        assert.equal(gh2.writes().length, 0);
      } finally {
        await gh2.stop();
      }
    } finally {
      await gh.stop();
    }
  });
});

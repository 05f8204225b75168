// A GitHub repository as a nightly source: its open pull request is fetched into the source's tree
// (refs/pull/N/head, as GitHub serves it) and reviewed as the Action reviews it; a push is the next
// version, compared with the one before; an unchanged pull request is not reviewed again.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { loadNightConfig } from '../../src/cron/config.js';
import { runNight } from '../../src/cron/night.js';
import { FakeGitHub } from '../support/github-server.js';
import { makePullRepo, pushCommit, type PullRepoMade } from '../support/pull-repo.js';

const FILE = 'drivers/demo/lamp.c';
const lamp = (leak: boolean, fixed = false) =>
  `static int lamp_set(struct lamp *l, int on)\n{\n\tmutex_lock(&l->lock);\n${leak ? (fixed ? '\tif (on < 0) {\n\t\tmutex_unlock(&l->lock);\n\t\treturn -EINVAL;\n\t}\n' : '\tif (on < 0)\n\t\treturn -EINVAL;\n') : ''}\tl->on = on;\n\tmutex_unlock(&l->lock);\n\treturn 0;\n}\n`;

describe('cron: a GitHub source', () => {
  let dir: string;
  let repo: PullRepoMade;
  let gh: FakeGitHub;
  let config: string;
  const publish = async (): Promise<void> => {
    // GitHub keeps every pull request's head under refs/pull/N/head.
    await simpleGit(repo.origin).raw(['update-ref', 'refs/pull/5/head', repo.headSha]);
    gh.pull.headSha = repo.headSha;
  };
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kreview-cron-gh-'));
    repo = await makePullRepo(dir, { base: { [FILE]: lamp(false) }, commits: [{ message: 'lamp: refuse negative values', files: { [FILE]: lamp(true) } }] });
    gh = new FakeGitHub({
      owner: 'acme',
      repo: 'linux',
      number: 5,
      headSha: repo.headSha,
      baseSha: repo.baseSha,
      headRepo: 'acme/linux',
      files: [],
      title: 'lamp: range check',
      updatedAt: '2024-06-11T09:00:00Z',
    });
    await gh.start();
    await publish();
    const tree = join(dir, 'tree');
    await simpleGit(dir).raw(['clone', '-q', `file://${repo.origin}`, tree]);
    config = join(dir, 'nightly.yaml');
    writeFileSync(
      config,
      [
        `database: ${join(dir, 'db.sqlite')}`,
        `output: ${join(dir, 'out')}`,
        'sources:',
        '  - name: acme',
        '    github: acme/linux',
        `    tree: ${tree}`,
        '    token-env: KREVIEW_TEST_TOKEN',
      ].join('\n'),
    );
    process.env.KREVIEW_TEST_TOKEN = 'night-token';
    process.env.GITHUB_API_URL = gh.url;
  });
  after(async () => {
    delete process.env.KREVIEW_TEST_TOKEN;
    delete process.env.GITHUB_API_URL;
    await gh.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reviews the open pull request, then its next push as the next version', async () => {
    const n1 = await runNight(loadNightConfig(config), { now: () => new Date('2024-06-12T04:00:00Z') });
    assert.deepEqual(n1.digest.events, []);
    assert.equal(n1.digest.series.length, 1);
    assert.equal(n1.digest.series[0]!.title, '#5 lamp: range check');
    assert.deepEqual(
      n1.digest.series[0]!.versions[0]!.new.map((f) => `${f.rule} ${f.function}`),
      ['lock-leak lamp_set'],
    );
    // Nothing changed: not reviewed again.
    const n2 = await runNight(loadNightConfig(config), { now: () => new Date('2024-06-13T04:00:00Z') });
    assert.equal(n2.digest.nothingNew, true);
    // A push that fixes it: version 2 says so.
    await pushCommit(repo, 'lamp: unlock on the error path', { [FILE]: lamp(true, true) });
    await publish();
    gh.pull.updatedAt = '2024-06-13T10:00:00Z';
    const n3 = await runNight(loadNightConfig(config), { now: () => new Date('2024-06-14T04:00:00Z') });
    const v2 = n3.digest.series[0]!.versions.find((v) => v.version === 2)!;
    assert.deepEqual(
      v2.fixed.map((f) => f.rule),
      ['lock-leak'],
    );
    assert.deepEqual(v2.new, []);
    assert.ok(gh.writes().length === 0, 'the nightly job only reads GitHub');
  });
});

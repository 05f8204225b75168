// The nightly digest issue, against the local fake GitHub: opened on the first night, edited (never
// opened twice) on the next ones, its body the night's Markdown digest behind a hidden marker, with
// text from mail escaped and @mentions broken; an API failure is said in the night's events and
// the night finishes.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterNight } from '../../src/cron/after.js';
import { loadNightConfig } from '../../src/cron/config.js';
import { ISSUE_MARKER, noMentions } from '../../src/cron/issue.js';
import { runNight, type NightResult } from '../../src/cron/night.js';
import { FakeGitHub } from '../support/github-server.js';
import { makeNights, nightConfig, type Nights } from '../support/nights.js';

const TOKEN_ENV = 'KREVIEW_TEST_ISSUE_TOKEN';
const TITLE = 'kreview nightly digest';
const DAYS = { 1: '2024-06-12', 2: '2024-06-13', 3: '2024-06-14' } as const;

describe('cron: digest issue', () => {
  let dir: string;
  let n: Nights;
  let cfgPath: string;
  const gh = new FakeGitHub({
    owner: 'demo',
    repo: 'nightly',
    number: 7,
    headSha: 'a'.repeat(40),
    baseSha: 'b'.repeat(40),
    headRepo: 'demo/nightly',
    files: [],
  });
  const saved: Record<string, string | undefined> = {};
  const night = (k: 1 | 2 | 3): Promise<NightResult> => {
    n.night(k);
    return runNight(loadNightConfig(cfgPath), { now: () => new Date(`${DAYS[k]}T04:00:00Z`), after: afterNight });
  };
  const ours = () => gh.issues.filter((i) => i.title === TITLE && i.state === 'open');

  before(async () => {
    for (const k of ['GITHUB_API_URL', TOKEN_ENV]) saved[k] = process.env[k];
    await gh.start();
    process.env.GITHUB_API_URL = gh.url;
    process.env[TOKEN_ENV] = 'nightly-token';
    // Another open issue, and a closed one with the same title: neither is the digest.
    gh.issues.push({ number: 3, title: 'Something else', body: 'unrelated', state: 'open', user: { login: 'someone', type: 'User' } });
    gh.issues.push({ number: 4, title: TITLE, body: 'an old digest', state: 'closed', user: { login: 'github-actions[bot]', type: 'Bot' } });
    dir = mkdtempSync(join(tmpdir(), 'kreview-issue-'));
    n = makeNights(dir);
    cfgPath = nightConfig(dir, n, { extra: ['github-issue:', '  repository: demo/nightly', `  token-env: ${TOKEN_ENV}`].join('\n') });
  });
  after(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await gh.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("night 1: the issue is opened with the night's digest", async () => {
    const r = await night(1);
    assert.deepEqual(r.digest.events, []);
    assert.equal(ours().length, 1);
    const issue = ours()[0]!;
    assert.ok(issue.number > 7, 'a new number');
    assert.ok(issue.body.startsWith(ISSUE_MARKER));
    assert.match(issue.body, /# kreview nightly: 2024-06-12/);
    assert.match(issue.body, /1 new, 0 fixed/);
    assert.match(issue.body, /## demo: dial: range checks/);
    assert.match(issue.body, /\*\*new in v1[^*]*\*\*: `drivers\/demo\/dial\.c:\d+ dial_set\(\) error: .*\[lock-leak, introduced\]`/);
    assert.match(issue.body, /\\\[PATCH v1 1\/2\\\] demo: dial: refuse positions above max/, 'subjects escaped');
    assert.deepEqual(
      gh.writes().map((c) => `${c.method} ${c.path}`),
      ['POST /repos/demo/nightly/issues'],
    );
    assert.ok(gh.calls.every((c) => c.token === 'nightly-token'));
    assert.equal(gh.issues.find((i) => i.number === 3)!.body, 'unrelated');
    assert.equal(gh.issues.find((i) => i.number === 4)!.body, 'an old digest');
  });

  it('night 2: the same issue is edited, not opened again', async () => {
    const number = ours()[0]!.number;
    await night(2);
    assert.equal(ours().length, 1);
    const issue = ours()[0]!;
    assert.equal(issue.number, number);
    assert.match(issue.body, /# kreview nightly: 2024-06-13/);
    assert.match(issue.body, /\*\*new in v2[^*]*\*\*: `.*\[ref-leak, introduced\]`/);
    assert.match(issue.body, /\*\*fixed in v2[^*]*\*\*: `.*\[lock-leak, introduced\]`/);
    assert.doesNotMatch(issue.body, /# kreview nightly: 2024-06-12/, 'the body is the latest night, not a log');
    assert.deepEqual(
      gh.writes().map((c) => `${c.method} ${c.path}`),
      ['POST /repos/demo/nightly/issues', `PATCH /repos/demo/nightly/issues/${number}`],
    );
  });

  it("an API failure is said in the night's events; the night finishes", async () => {
    const before = ours()[0]!.body;
    gh.failures.push({ method: 'PATCH', path: /\/issues\/\d+$/, status: 403, message: 'Resource not accessible by integration' });
    const r = await night(3);
    const ev = r.digest.events.filter((e) => e.source === 'github-issue');
    assert.equal(ev.length, 1);
    assert.equal(ev[0]!.level, 'error');
    assert.match(
      ev[0]!.text,
      /PATCH \/repos\/demo\/nightly\/issues\/\d+ failed with 403: Resource not accessible by integration: the token may not write issues in demo\/nightly \(it needs issues: write\)/,
    );
    assert.equal(ours()[0]!.body, before);
    assert.equal(ours().length, 1);
  });

  it('without its token the issue is left alone and the night says why', async () => {
    delete process.env[TOKEN_ENV];
    const calls = gh.calls.length;
    const r = await night(3);
    assert.equal(gh.calls.length, calls);
    assert.deepEqual(
      r.digest.events.map((e) => [e.source, e.level]),
      [['github-issue', 'error']],
    );
    assert.match(r.digest.events[0]!.text, new RegExp(`${TOKEN_ENV} is not set`));
  });

  it('@mentions from mail notify nobody; code spans are left as they are', () => {
    assert.equal(
      noMentions('Thanks @torvalds, see ada@example.org and `@x y` (@gregkh)'),
      'Thanks @&#8203;torvalds, see ada@example.org and `@x y` (@&#8203;gregkh)',
    );
    assert.equal(noMentions('``a ` @b`` @c ` @d'), '``a ` @b`` @&#8203;c ` @&#8203;d');
  });
});

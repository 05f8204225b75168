// The nightly job's reply mails, over a real SMTP conversation (smtp-server on 127.0.0.1, with
// authentication): the reply to the patch that introduced a finding arrives once, threaded under it
// and quoting the hunk; nights with nothing new send nothing; running a night's hook again sends
// nothing twice; dry-run writes .eml files and sends nothing; a refused recipient is recorded as a
// failure and said in the night's events, and the night finishes.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { afterNight } from '../../src/cron/after.js';
import { loadNightConfig } from '../../src/cron/config.js';
import { NightDb } from '../../src/cron/db.js';
import { digestOf } from '../../src/cron/digest.js';
import { runNight, type NightResult } from '../../src/cron/night.js';
import { ConfigError } from '../../src/config/index.js';
import { makeNights, nightConfig, type Nights } from '../support/nights.js';
import { FakeSmtp } from '../support/smtp.js';

const PASSWORD_ENV = 'KREVIEW_TEST_SMTP_PASSWORD';
const DAYS = { 1: '2024-06-12', 2: '2024-06-13', 3: '2024-06-14' } as const;

const addrs = (a: AddressObject | AddressObject[] | undefined): string[] =>
  a ? (Array.isArray(a) ? a : [a]).flatMap((x) => x.value.map((v) => v.address ?? '')) : [];
const refs = (m: ParsedMail): string[] => (m.references === undefined ? [] : Array.isArray(m.references) ? m.references : [m.references]);

interface MailRow {
  report_message_id: string;
  patch_message_id: string | null;
  run_id: number;
  state: string;
  path: string | null;
  error: string | null;
}

function mailYaml(o: { port: number; send?: boolean; dryRun?: boolean; replyAll?: boolean; to?: string[]; perMinute?: number }): string {
  return [
    'mail:',
    `  send: ${o.send ?? true}`,
    ...(o.dryRun === undefined ? [] : [`  dry-run: ${o.dryRun}`]),
    `  reply-all: ${o.replyAll ?? true}`,
    ...(o.to ? [`  to: [${o.to.map((a) => JSON.stringify(a)).join(', ')}]`] : []),
    '  from: "kreview bot <kreview@example.net>"',
    `  per-minute: ${o.perMinute ?? 600}`,
    '  smtp:',
    '    host: 127.0.0.1',
    `    port: ${o.port}`,
    '    user: tester',
    `    password-env: ${PASSWORD_ENV}`,
  ].join('\n');
}

/** A fixture, an SMTP server and a night runner with the CLI's after-hook. */
function setting(prefix: string) {
  const s = {
    dir: '',
    n: null as unknown as Nights,
    smtp: new FakeSmtp({ tester: 's3cret-pass' }),
    cfgPath: '',
    async start(mail: (port: number) => string): Promise<void> {
      s.dir = mkdtempSync(join(tmpdir(), prefix));
      s.n = makeNights(s.dir);
      await s.smtp.start();
      s.cfgPath = nightConfig(s.dir, s.n, { extra: mail(s.smtp.port) });
    },
    async stop(): Promise<void> {
      await s.smtp.stop();
      rmSync(s.dir, { recursive: true, force: true });
    },
    async night(k: 1 | 2 | 3): Promise<NightResult> {
      s.n.night(k);
      return runNight(loadNightConfig(s.cfgPath), { now: () => new Date(`${DAYS[k]}T04:00:00Z`), after: afterNight });
    },
    withDb<T>(f: (db: NightDb) => T): T {
      const db = new NightDb(loadNightConfig(s.cfgPath).database);
      try {
        return f(db);
      } finally {
        db.close();
      }
    },
    mails(): MailRow[] {
      return s.withDb((db) => db.db.prepare('SELECT * FROM mails ORDER BY id').all() as MailRow[]);
    },
    subjectOf(messageId: string): string {
      return s.withDb((db) => (db.db.prepare('SELECT subject FROM messages WHERE message_id = ?').get(messageId) as { subject: string }).subject);
    },
    /** Run the after-hook of run `runId` again, as a re-run would. */
    async hookAgain(runId: number): Promise<void> {
      const cfg = loadNightConfig(s.cfgPath);
      const db = new NightDb(cfg.database);
      try {
        await afterNight({ db, runId, cfg, digest: digestOf(db, runId), log: () => {} });
      } finally {
        db.close();
      }
    },
  };
  return s;
}

describe('cron: mail sent over SMTP', () => {
  const s = setting('kreview-mail-');
  let saved: string | undefined;

  before(async () => {
    saved = process.env[PASSWORD_ENV];
    process.env[PASSWORD_ENV] = 's3cret-pass';
    await s.start((port) => mailYaml({ port, dryRun: false, replyAll: true }));
  });
  after(async () => {
    if (saved === undefined) delete process.env[PASSWORD_ENV];
    else process.env[PASSWORD_ENV] = saved;
    await s.stop();
  });

  it('night 1: the reply to the patch with the lock leak arrives, threaded under it, quoting the hunk', async () => {
    const r = await s.night(1);
    assert.equal(r.digest.counts.new, 1);
    assert.equal(s.smtp.received.length, 1, 'one patch introduces something: one reply');
    const got = s.smtp.received[0]!;
    assert.equal(got.user, 'tester', 'sent after authenticating');
    assert.equal(got.from, 'kreview@example.net');
    assert.deepEqual(got.to, ['ada@example.org'], 'reply-all: To: the author (the patch had no other recipient)');
    const m = await simpleParser(got.raw);
    const patchId = s.n.ids.v1[0]!;
    assert.equal(m.subject, `Re: ${s.subjectOf(patchId)}`);
    assert.match(m.subject ?? '', /^Re: \[PATCH[^\]]*1\/2\] demo: dial: refuse positions above max$/);
    assert.equal(m.inReplyTo, `<${patchId}>`);
    assert.equal(refs(m).at(-1), `<${patchId}>`, 'References: the thread, the patch last');
    assert.match(refs(m)[0]!, /^<cover-v1\./, 'the thread starts at the cover letter');
    assert.deepEqual(addrs(m.to), ['ada@example.org']);
    const text = m.text ?? '';
    assert.match(text, /^> \+\tif \(pos > d->max\)$/m, 'the hunk is quoted');
    assert.match(text, /^> \+\t\treturn -ERANGE;$/m);
    assert.match(text, /drivers\/demo\/dial\.c:\d+ dial_set\(\) error: .*\[lock-leak, introduced\]/, 'the finding under the quote');
    assert.ok(text.indexOf('return -ERANGE') < text.indexOf('[lock-leak, introduced]'), 'the finding is under its line');
    const rows = s.mails();
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.state, 'sent');
    assert.equal(`<${rows[0]!.report_message_id}>`, m.messageId);
    assert.equal(rows[0]!.patch_message_id, patchId);
    assert.equal(rows[0]!.run_id, r.runId);
    assert.ok(rows[0]!.path && existsSync(rows[0]!.path), 'the .eml sent is kept in the run folder');
    assert.ok(rows[0]!.path!.startsWith(join(s.dir, 'reports', 'runs', '2024-06-12-run1', 'mails')));
  });

  it('night 2: the reference leak new in v2 is mailed; what v2 fixed and the review reply are not', async () => {
    const r = await s.night(2);
    assert.equal(r.digest.counts.new, 1);
    assert.equal(s.smtp.received.length, 2);
    const m = await simpleParser(s.smtp.received[1]!.raw);
    const patchId = s.n.ids.v2[1]!;
    assert.equal(m.subject, `Re: ${s.subjectOf(patchId)}`);
    assert.equal(m.inReplyTo, `<${patchId}>`);
    assert.match(m.text ?? '', /\[ref-leak, introduced\]/);
    assert.doesNotMatch(m.text ?? '', /lock-leak/);
    assert.deepEqual(
      s.mails().map((x) => x.state),
      ['sent', 'sent'],
    );
  });

  it('night 3: nothing new, nothing sent', async () => {
    const r = await s.night(3);
    assert.equal(r.digest.nothingNew, true);
    assert.equal(s.smtp.received.length, 2);
  });

  it("running the nights' after-hook again sends nothing twice", async () => {
    for (const run of [1, 2, 3]) await s.hookAgain(run);
    assert.equal(s.smtp.received.length, 2);
    const rows = s.mails();
    assert.equal(rows.length, 2);
    assert.ok(rows.every((x) => x.state === 'sent' && x.error === null));
    assert.equal(s.smtp.authFailures, 0);
  });
});

describe('cron: mail dry-run', () => {
  const s = setting('kreview-mail-dry-');
  before(() => s.start((port) => mailYaml({ port, replyAll: true, to: ['Demo Review <review@lists.example.org>'] })));
  after(() => s.stop());

  it('writes each reply as an .eml in the run folder, records it as written, sends nothing', async () => {
    const r = await s.night(1);
    assert.equal(loadNightConfig(s.cfgPath).mail.dryRun, true, 'dry-run is the default');
    assert.equal(s.smtp.received.length, 0);
    const dir = join(s.dir, 'reports', 'runs', '2024-06-12-run1', 'mails');
    const files = readdirSync(dir);
    assert.equal(files.length, 1);
    assert.match(files[0]!, /^0001-re-patch.*demo-dial-refuse-positions-above-max\.eml$/);
    const m = await simpleParser(readFileSync(join(dir, files[0]!)));
    assert.equal(m.inReplyTo, `<${s.n.ids.v1[0]}>`);
    assert.deepEqual(addrs(m.to), ['ada@example.org']);
    assert.deepEqual(addrs(m.cc), ['review@lists.example.org'], 'the fixed recipients in Cc: when the reply goes to the author');
    const rows = s.mails();
    assert.deepEqual(
      rows.map((x) => [x.state, x.path, `<${x.report_message_id}>`]),
      [['written', join(dir, files[0]!), m.messageId]],
    );
    assert.equal(r.digest.events.filter((e) => e.source === 'mail').length, 0);
    // Again: the same file, still written, still nothing sent.
    await s.hookAgain(r.runId);
    assert.deepEqual(readdirSync(dir), files);
    assert.equal(s.smtp.received.length, 0);
    assert.deepEqual(
      s.mails().map((x) => x.state),
      ['written'],
    );
  });
});

describe('cron: mail refused', () => {
  const s = setting('kreview-mail-fail-');
  let saved: string | undefined;
  before(async () => {
    saved = process.env[PASSWORD_ENV];
    process.env[PASSWORD_ENV] = 's3cret-pass';
    await s.start((port) => mailYaml({ port, dryRun: false, replyAll: false, to: ['Demo Review <review@lists.example.org>'] }));
    s.smtp.refuse = /@lists\.example\.org$/;
  });
  after(async () => {
    if (saved === undefined) delete process.env[PASSWORD_ENV];
    else process.env[PASSWORD_ENV] = saved;
    await s.stop();
  });

  it('a recipient refused: the mail is recorded as failed, the night says so and finishes', async () => {
    const r = await s.night(1);
    assert.equal(s.smtp.received.length, 0);
    const rows = s.mails();
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.state, 'failed');
    assert.match(rows[0]!.error ?? '', /550|mailbox unavailable|rejected/);
    const ev = r.digest.events.filter((e) => e.source === 'mail');
    assert.equal(ev.length, 1);
    assert.equal(ev[0]!.level, 'error');
    assert.match(ev[0]!.text, /demo: dial: refuse positions above max.*not sent: .*(550|mailbox unavailable|rejected)/);
    assert.deepEqual(
      s.withDb((db) => db.runs().map((x) => x.state)),
      ['done'],
    );
  });

  it('a failed mail goes out when the hook runs again and the server takes it, To: the review list', async () => {
    s.smtp.refuse = null;
    await s.hookAgain(1);
    assert.equal(s.smtp.received.length, 1);
    assert.deepEqual(s.smtp.received[0]!.to, ['review@lists.example.org'], 'reply-all off: the fixed recipients only');
    const m = await simpleParser(s.smtp.received[0]!.raw);
    assert.deepEqual(addrs(m.to), ['review@lists.example.org']);
    assert.equal(m.cc, undefined);
    assert.deepEqual(
      s.mails().map((x) => [x.state, x.error]),
      [['sent', null]],
    );
    await s.hookAgain(1);
    assert.equal(s.smtp.received.length, 1, 'and never twice');
  });
});

describe('cron: mail pace', () => {
  const s = setting('kreview-mail-pace-');
  let saved: string | undefined;
  before(async () => {
    saved = process.env[PASSWORD_ENV];
    process.env[PASSWORD_ENV] = 's3cret-pass';
    await s.start((port) => mailYaml({ port, dryRun: false, replyAll: true, perMinute: 60 }));
  });
  after(async () => {
    if (saved === undefined) delete process.env[PASSWORD_ENV];
    else process.env[PASSWORD_ENV] = saved;
    await s.stop();
  });

  it('per-minute: 60 sends one reply a second', async () => {
    s.n.night(1); // v1 and v2 read in the same night: a reply to each
    const r = await s.night(2);
    assert.ok(r.digest.counts.new >= 2);
    assert.equal(s.smtp.received.length, 2);
    const [a, b] = s.smtp.received;
    assert.ok(b!.at - a!.at >= 950, `${b!.at - a!.at} ms apart`);
    assert.deepEqual(
      s.mails().map((x) => x.state),
      ['sent', 'sent'],
    );
  });
});

describe('cron: mail configuration', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'kreview-mail-cfg-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const load = (mail: string[]): ReturnType<typeof loadNightConfig> => {
    const p = join(dir, 'nightly.yaml');
    writeFileSync(p, ['sources:', '  - name: list', '    mbox: list.mbox', 'mail:', ...mail.map((l) => `  ${l}`), ''].join('\n'));
    return loadNightConfig(p);
  };
  const smtp = ['smtp:', '  host: smtp.example.org', '  user: bot', '  password-env: SMTP_PASSWORD'];

  it('refuses sending with no recipient, naming the file, the line and the key', () => {
    assert.throws(
      () => load(['send: true', 'dry-run: false', ...smtp]),
      (e: Error) => {
        assert.ok(e instanceof ConfigError);
        assert.match(e.message, /nightly\.yaml:5: mail\.send: .*needs recipients: reply-all: true .* or to: \[addresses\]/);
        return true;
      },
    );
    assert.equal(load(['send: true', 'dry-run: false', 'reply-all: true', ...smtp]).mail.replyAll, true);
    assert.deepEqual(load(['send: true', 'dry-run: false', 'to: [review@lists.example.org]', ...smtp]).mail.to, ['review@lists.example.org']);
    assert.deepEqual(load(['send: true']).mail.to, [], 'dry-run needs no recipient');
  });

  it('checks the addresses of to: and that an smtp user has a password variable', () => {
    assert.throws(() => load(['to: ["Review <review@lists.example.org>", "not an address"]']), /nightly\.yaml:5: mail\.to\.1: an address/);
    assert.throws(
      () => load(['send: true', 'dry-run: false', 'reply-all: true', 'smtp:', '  host: smtp.example.org', '  user: bot']),
      /nightly\.yaml:\d+: mail\.smtp\.user: an smtp user needs password-env/,
    );
  });
});

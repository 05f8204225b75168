// Ingest: where messages come from: Maildir, directories, stdin, gzip, public-inbox git archives, bad paths.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { simpleGit } from 'simple-git';
import { InputError, openInput } from '../../src/ingest/index.js';
import { fixture, readInput } from './helpers.js';

const mail = (n: number, subject: string, body = `body ${n}\n`): string =>
  `From: Ann Author <ann@example.org>\nSubject: ${subject}\nMessage-ID: <pi-${n}@example.org>\nDate: Mon, 4 Mar 2024 10:${String(n % 60).padStart(2, '0')}:00 +0000\n\n${body}`;

/** A non-bare public-inbox-shaped repo built with simple-git: commits writing m, one deletion writing d. */
async function buildInbox(dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const git = simpleGit({ baseDir: dir });
  await git.init(['--initial-branch=master']);
  await git.addConfig('user.name', 'Inbox').addConfig('user.email', 'inbox@example.org').addConfig('commit.gpgsign', 'false');
  const commits: string[] = [];
  const commit = async (msg: string): Promise<void> => {
    await git.commit(msg, { '--allow-empty-message': null });
    commits.push((await git.revparse(['HEAD'])).trim());
  };
  writeFileSync(join(dir, 'm'), mail(1, '[PATCH 1/2] acme: first'));
  await git.add('m');
  await commit('one');
  writeFileSync(join(dir, 'm'), mail(2, '[PATCH 2/2] acme: second'));
  await git.add('m');
  await commit('two');
  // public-inbox deletion: m removed, the deleted message kept as d
  await git.rm('m');
  writeFileSync(join(dir, 'd'), mail(2, '[PATCH 2/2] acme: second'));
  await git.add('d');
  await commit('delete two');
  await git.rm('d');
  writeFileSync(join(dir, 'm'), mail(3, 'Re: [PATCH 1/2] acme: first'));
  await git.add('m');
  await commit('three');
  return commits;
}

/** A bare epoch with many commits (git fast-import): exercises cat-file's request window and large blobs. */
function buildBareEpoch(dir: string, n: number, bigAt: number): void {
  mkdirSync(dir, { recursive: true });
  const init = spawnSync('git', ['-c', 'init.defaultBranch=master', 'init', '-q', '--bare', dir]);
  assert.equal(init.status, 0, init.stderr.toString());
  const parts: Buffer[] = [];
  for (let i = 1; i <= n; i++) {
    const body = i === bigAt ? `${'+\tbig_line_of_a_large_patch();\n'.repeat(8000)}` : `body ${i}\n`;
    const blob = Buffer.from(mail(100 + i, `epoch message ${i}`, body));
    parts.push(
      Buffer.from(`commit refs/heads/master\ncommitter Inbox <inbox@example.org> ${1700000000 + i} +0000\ndata 0\nM 100644 inline m\ndata ${blob.length}\n`),
      blob,
      Buffer.from('\n'),
    );
  }
  const fi = spawnSync('git', ['fast-import', '--quiet'], { cwd: dir, input: Buffer.concat(parts) });
  assert.equal(fi.status, 0, fi.stderr.toString());
}

describe('ingest/sources', () => {
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'kreview-ingest-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('reads a Maildir in file-name order and lists tmp/ as skipped', async () => {
    const { summary, messages } = await readInput(fixture('maildir'));
    assert.equal(summary.kind, 'maildir');
    assert.deepEqual(
      messages.map((m) => [m.origin.file, m.subject]),
      [
        ['cur/1710000000.M100P1.host,S=500:2,S', 'maildir first (cur)'],
        ['new/1710000100.M200P1.host', 'maildir second (new)'],
        ['cur/1710000200.M300P1.host,S=500:2,RS', 'Re: maildir first (cur)'],
      ],
    );
    assert.deepEqual(summary.skipped, [{ item: 'tmp/1710000300.M400P1.host', reason: 'Maildir tmp/: a delivery still in progress' }]);
    assert.equal(summary.messages, 3);
  });

  it('reads a directory recursively in a fixed order and skips what is not mail, saying why', async () => {
    const { summary, messages } = await readInput(fixture('dir'));
    assert.equal(summary.kind, 'directory');
    assert.deepEqual(
      messages.map((m) => [m.origin.index, m.origin.file, m.subject]),
      [
        [1, '0001-acme-unlock.patch', '[PATCH v3 2/5] acme: unlock the ring on refill failure'],
        [2, 'sub/archived.txt', 'Re: [PATCH 4/9] acme: rework the statistics under the ring lock'],
        [3, 'sub/reply.eml', '[PATCH RFC] block: take the queue lock around the tag map update'],
        [4, 'sub/thread.mbox', '[PATCH 1/2] acme: first'],
        [5, 'sub/thread.mbox', '[PATCH 2/2] acme: second'],
      ],
    );
    assert.equal(messages[4]!.origin.offset, readFileSync(fixture('dir/sub/thread.mbox')).indexOf('From 2222'));
    const skipped = new Map(summary.skipped.map((s) => [s.item, s.reason]));
    assert.equal(skipped.size, 2);
    assert.match(skipped.get('logo.bin')!, /^not mail: binary data \(NUL byte at offset \d+\)$/);
    assert.match(skipped.get('README')!, /^not mail: text without mail headers/);
    assert.deepEqual(summary.errors, []);
  });

  it('reads stdin, sniffed like a file, in any chunking', async () => {
    const bytes = readFileSync(fixture('splitter.mbox'));
    const chunks = Array.from({ length: Math.ceil(bytes.length / 100) }, (_, i) => bytes.subarray(i * 100, i * 100 + 100));
    const { summary, messages } = await readInput('-', { stdin: Readable.from(chunks) });
    assert.equal(summary.path, '-');
    assert.equal(summary.kind, 'stdin');
    assert.equal(summary.format, 'mbox');
    assert.equal(messages.length, 3);
    assert.equal(messages[0]!.origin.input, '-');
    assert.equal(messages[2]!.origin.offset, bytes.indexOf('From bob@example.com Mon Mar  4'));

    const txt = await readInput('-', { stdin: Readable.from([readFileSync(fixture('pipermail.txt'))]) });
    assert.equal(txt.summary.format, 'archive-text');
    assert.equal(txt.messages[0]!.from, 'Erin Example <erin.example@example.com>');

    const eml = await readInput('-', { stdin: Readable.from([readFileSync(fixture('mime-qp.eml'))]) });
    assert.equal(eml.summary.format, 'message');
    assert.equal(eml.messages[0]!.from, 'Jörg Tester <joerg@example.de>');
  });

  it('reads gzip-compressed mboxes, on disk and on stdin', async () => {
    const bytes = readFileSync(fixture('splitter.mbox'));
    const gz = join(tmp, 'list.mbox.gz');
    writeFileSync(gz, gzipSync(bytes));
    const file = await readInput(gz);
    assert.equal(file.summary.kind, 'mbox');
    assert.deepEqual(
      file.messages.map((m) => m.origin.offset),
      [0, bytes.indexOf('From ann@example.org Mon Mar  4'), bytes.indexOf('From bob@example.com Mon Mar  4')],
    );
    const stdin = await readInput('-', { stdin: Readable.from([gzipSync(bytes)]) });
    assert.equal(stdin.messages.length, 3);
  });

  it('reads a public-inbox repository built with simple-git, skipping the deletion commit', async () => {
    const dir = join(tmp, 'inbox-repo');
    const commits = await buildInbox(dir);
    const { summary, messages } = await readInput(dir);
    assert.equal(summary.kind, 'public-inbox');
    assert.deepEqual(summary.errors, []);
    assert.deepEqual(
      messages.map((m) => [m.origin.commit, m.subject]),
      [
        [commits[0], '[PATCH 1/2] acme: first'],
        [commits[1], '[PATCH 2/2] acme: second'],
        [commits[3], 'Re: [PATCH 1/2] acme: first'],
      ],
    );
    assert.deepEqual(
      messages.map((m) => m.origin.index),
      [1, 2, 3],
    );
    assert.equal(summary.skipped.length, 1);
    assert.equal(summary.skipped[0]!.item, `commit ${commits[2]}`);
    assert.match(summary.skipped[0]!.reason, /deletion/);
  });

  it('reads a v2 inbox: git/N.git epochs in numeric order, many commits and a large blob', async () => {
    const inbox = join(tmp, 'inbox-v2');
    const src = join(tmp, 'inbox-src');
    await buildInbox(src);
    mkdirSync(join(inbox, 'git'), { recursive: true });
    const clone = spawnSync('git', ['clone', '-q', '--bare', src, join(inbox, 'git', '0.git')]);
    assert.equal(clone.status, 0, clone.stderr.toString());
    buildBareEpoch(join(inbox, 'git', '10.git'), 2, 0);
    buildBareEpoch(join(inbox, 'git', '2.git'), 150, 77);
    buildBareEpoch(join(inbox, 'git', '3.git'), 0, 0); // a new epoch without commits yet
    writeFileSync(join(inbox, 'msgmap.sqlite3'), 'not read');
    const { summary, messages } = await readInput(inbox);
    assert.equal(summary.kind, 'public-inbox');
    assert.deepEqual(summary.errors, []);
    assert.equal(messages.length, 3 + 150 + 2);
    assert.deepEqual([...new Set(messages.map((m) => m.origin.file))], ['git/0.git', 'git/2.git', 'git/10.git']);
    assert.deepEqual(summary.skipped, [
      {
        item: `git/0.git commit ${(await simpleGit({ baseDir: src }).revparse(['HEAD~1'])).trim()}`,
        reason: 'public-inbox deletion (the commit holds d instead of m)',
      },
      { item: 'git/3.git', reason: 'repository has no commits yet' },
    ]);
    const e2 = messages.filter((m) => m.origin.file === 'git/2.git');
    assert.deepEqual(
      e2.map((m) => m.subject),
      Array.from({ length: 150 }, (_, i) => `epoch message ${i + 1}`),
    );
    assert.equal(e2[76]!.body.length, '+\tbig_line_of_a_large_patch();\n'.length * 8000);
    assert.deepEqual(
      messages.map((m) => m.origin.index),
      messages.map((_, i) => i + 1),
    );
    assert.ok(messages.every((m) => /^[0-9a-f]{40}$/.test(m.origin.commit!) && m.error === null));
  });

  it('streams an epoch: stopping early leaves no git process or temporary file, and no temporary directory is needed', async () => {
    const inbox = join(tmp, 'inbox-stream');
    const epoch = join(inbox, 'git', '0.git');
    buildBareEpoch(epoch, 300, 0);
    const whole = await readInput(inbox);
    assert.equal(whole.messages.length, 300);
    const spool = join(tmp, 'spool');
    mkdirSync(spool);
    const saved = process.env.TMPDIR;
    try {
      // The commit list is spooled under TMPDIR and unlinked once open: nothing is left, even half-way.
      process.env.TMPDIR = spool;
      const r = await openInput(inbox);
      let n = 0;
      for await (const _ of r.messages()) if (++n === 5) break;
      assert.deepEqual(readdirSync(spool), []);
      // No git still running in the epoch (where /proc tells).
      const gitsIn = (dir: string): string[] =>
        existsSync('/proc/self')
          ? readdirSync('/proc').filter((pid) => {
              try {
                return /^\d+$/.test(pid) && readlinkSync(`/proc/${pid}/cwd`) === dir && readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('git');
              } catch {
                return false;
              }
            })
          : [];
      for (let i = 0; i < 50 && gitsIn(epoch).length; i++) await new Promise((res) => setTimeout(res, 20));
      assert.deepEqual(gitsIn(epoch), []);
      // Without a usable temporary directory the list is read from git directly: the same messages.
      process.env.TMPDIR = join(tmp, 'no-such-dir');
      const direct = await readInput(inbox);
      assert.deepEqual(direct.summary, whole.summary);
      assert.deepEqual(direct.messages, whole.messages);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  });

  it('reports an epoch whose history git cannot walk', async () => {
    const dir = join(tmp, 'inbox-broken');
    const commits = await buildInbox(dir);
    const c = commits[1]!;
    unlinkSync(join(dir, '.git', 'objects', c.slice(0, 2), c.slice(2)));
    const { summary, messages } = await readInput(dir);
    assert.equal(messages.length, 0);
    assert.equal(summary.errors.length, 1);
    assert.match(summary.errors[0]!, new RegExp(`^${dir}: cannot list commits: .*${c}`, 's'));
  });

  it('reports a bare repository that is not a public-inbox', async () => {
    const dir = join(tmp, 'not-inbox.git');
    const src = join(tmp, 'plain-src');
    mkdirSync(src);
    const git = simpleGit({ baseDir: src });
    await git.init(['--initial-branch=master']);
    await git.addConfig('user.name', 'T').addConfig('user.email', 't@example.org');
    writeFileSync(join(src, 'README'), 'hello\n');
    await git.add('README');
    await git.commit('readme');
    spawnSync('git', ['clone', '-q', '--bare', src, dir]);
    const { summary, messages } = await readInput(dir);
    assert.equal(messages.length, 0);
    assert.equal(summary.errors.length, 1);
    assert.match(summary.errors[0]!, /README, not a message blob m/);
  });

  it('throws InputError only for paths that cannot be read at all', async () => {
    await assert.rejects(
      openInput(join(tmp, 'does-not-exist.mbox')),
      (e: unknown) => e instanceof InputError && /does-not-exist\.mbox: cannot read: ENOENT/.test(e.message),
    );
    // a binary file is read (and reported), not refused
    const bin = join(tmp, 'blob.bin');
    writeFileSync(bin, Buffer.from([0, 1, 2, 3, 0xff, 0xfe]));
    const r = await readInput(bin);
    assert.equal(r.messages.length, 0);
    assert.match(r.summary.errors[0]!, /blob\.bin: not mail: binary data/);
    assert.equal(r.summary.skipped.length, 1);
  });

  it('refuses an unreadable file with InputError', { skip: process.getuid?.() === 0 && 'root reads everything' }, async () => {
    const p = join(tmp, 'secret.mbox');
    writeFileSync(p, 'From a@b Tue Nov 21 23:01:09 2017\n\n');
    chmodSync(p, 0o000);
    await assert.rejects(openInput(p), (e: unknown) => e instanceof InputError && /EACCES/.test(e.message));
  });

  it('lets messages() be read once only', async () => {
    const r = await openInput(fixture('single.eml'));
    for await (const _ of r.messages());
    assert.throws(() => r.messages(), /only once/);
  });

  it('reads text saved with a byte order mark (UTF-8 and UTF-16)', async () => {
    const mbox = readFileSync(fixture('crlf.mbox'));
    const p8 = join(tmp, 'bom8.mbox');
    writeFileSync(p8, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), mbox]));
    const r8 = await readInput(p8);
    assert.deepEqual(
      r8.messages.map((m) => [m.subject, m.origin.offset]),
      [
        ['[PATCH 1/2] acme: first', 3],
        ['[PATCH 2/2] acme: second', 3 + mbox.indexOf('From 2222')],
      ],
    );
    const p16 = join(tmp, 'bom16.txt');
    const text = readFileSync(fixture('pipermail.txt'), 'utf8');
    writeFileSync(p16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    const r16 = await readInput(p16);
    assert.equal(r16.summary.kind, 'archive-text');
    assert.equal(r16.messages[0]!.from, 'Erin Example <erin.example@example.com>');
    assert.equal(r16.messages[0]!.body, text.slice(0, text.indexOf('More information')));
  });

  it('turns a .patch holding several format-patch messages into an mbox', async () => {
    const p = join(tmp, 'series.patch');
    writeFileSync(p, readFileSync(fixture('crlf.mbox')));
    const { summary, messages } = await readInput(p);
    assert.equal(messages.length, 2);
    assert.equal(summary.kind, 'mbox');
  });
});

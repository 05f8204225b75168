// Ingest: the mbox splitter (git mailsplit's separator rule), >From unescaping, offsets, streaming.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isFromLine, splitMbox, unescapeFromLines, type RawMboxMessage } from '../../src/ingest/mbox.js';
import { chunked, fixture, readInput } from './helpers.js';

async function split(buf: Buffer, size = buf.length || 1): Promise<{ raws: RawMboxMessage[]; preamble: number }> {
  const raws: RawMboxMessage[] = [];
  let preamble = 0;
  for await (const r of splitMbox(chunked(buf, size), (n) => (preamble = n))) raws.push(r);
  return { raws, preamble };
}

describe('ingest/mbox', () => {
  it('recognises envelope lines as git is_from_line() does', () => {
    for (const yes of [
      'From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001',
      'From someone@example.com Tue Nov 21 23:01:09 2017',
      'From - Tue Nov 21 23:01:09 2017',
      'From khorenko at virtuozzo.com  Wed Feb 12 12:33:31 2025',
      'From ann@example.org Mon Mar  4 10:20:00 2024',
    ])
      assert.equal(isFromLine(yes), true, yes);
    for (const no of [
      'From the datasheet we know the ring is refilled from the NAPI poll',
      'From: Ann Author <ann@example.org>',
      'From x Tue Nov 21 2017 and more words', // no time of day
      'From x Tue Nov 21 23:1:09 2017', // not hh:mm:ss
      'From x Tue Nov 21 23:01:09 +0000 2017', // zone before the year: strtol sees +0000
      'From x Mon Jan  1 00:00:00 90', // year <= 90
      'From 12:00:00 1999', // shorter than 19 characters... and the colon rule
      '>From someone@example.com Tue Nov 21 23:01:09 2017',
    ])
      assert.equal(isFromLine(no), false, no);
  });

  it('splits only at From lines after a blank line that look like separators', async () => {
    const path = fixture('splitter.mbox');
    const bytes = readFileSync(path);
    const { summary, messages } = await readInput(path);
    assert.equal(summary.kind, 'mbox');
    assert.equal(summary.messages, 3);
    assert.deepEqual(summary.errors, []);
    assert.deepEqual(
      messages.map((m) => m.messageId),
      ['20240304091112.1-ann@example.org', 'bob-1@example.com', 'cy-1@example.net'],
    );
    const first = messages[0]!.body;
    assert.match(first, /^From the datasheet we know the ring is refilled from the NAPI poll$/m);
    assert.match(first, /^From someone@example\.com Tue Nov 21 23:01:09 2017$/m);
    assert.match(first, /^\+\t\t\tspin_unlock_bh\(&ring->lock\);$/m);
    // offsets point at each envelope line
    for (const m of messages) {
      const at = m.origin.offset!;
      assert.ok(at === 0 || bytes[at - 1] === 0x0a);
      assert.ok(isFromLine(bytes.toString('latin1', at, bytes.indexOf(0x0a, at))), `offset ${at}`);
    }
    assert.equal(messages[1]!.origin.offset, bytes.indexOf('From ann@example.org Mon Mar  4'));
    assert.equal(messages[2]!.origin.offset, bytes.indexOf('From bob@example.com Mon Mar  4'));
  });

  it('undoes mboxrd >From quoting one level at a time and leaves "> From" alone', async () => {
    const { messages } = await readInput(fixture('splitter.mbox'));
    const reply = messages[1]!.body.split('\n');
    assert.ok(reply.includes('From the datasheet we know the ring is refilled from the NAPI poll'));
    assert.ok(reply.includes('>From here on it is quoted twice'));
    assert.ok(reply.includes('>>From and three times'));
    const third = messages[2]!.body.split('\n');
    assert.ok(third.includes('> From a quick look, yes.'));
    assert.ok(third.includes('From time to time I wonder about this driver.'));

    const b = (s: string): string => unescapeFromLines(Buffer.from(s)).toString();
    assert.equal(b('>From x\n>>From y\n> From z\n>Fromage\nmid >From w\n'), 'From x\n>From y\n> From z\n>Fromage\nmid >From w\n');
    const untouched = Buffer.from('no escapes here\n');
    assert.equal(unescapeFromLines(untouched), untouched);
  });

  it('gives the same messages whatever the chunk boundaries', async () => {
    for (const name of ['splitter.mbox', 'crlf.mbox', 'no-final-newline.mbox', 'truncated.mbox', 'no-headers.mbox']) {
      const buf = readFileSync(fixture(name));
      const whole = (await split(buf)).raws;
      assert.ok(whole.length >= 2, name);
      for (const size of [1, 2, 5, 7, 64, 333]) {
        const parts = (await split(buf, size)).raws;
        assert.deepEqual(
          parts.map((r) => [r.offset, r.envelope, r.bytes.toString('latin1'), r.noFinalNewline]),
          whole.map((r) => [r.offset, r.envelope, r.bytes.toString('latin1'), r.noFinalNewline]),
          `${name} in ${size}-byte chunks`,
        );
      }
    }
  });

  it('reads CRLF mboxes', async () => {
    const path = fixture('crlf.mbox');
    const bytes = readFileSync(path);
    const { messages } = await readInput(path);
    assert.equal(messages.length, 2);
    assert.equal(messages[0]!.subject, '[PATCH 1/2] acme: first');
    assert.equal(messages[0]!.body, 'body one\nFrom the datasheet, a body line.\n');
    assert.equal(messages[1]!.body, 'body two\n');
    assert.equal(messages[1]!.origin.offset, bytes.indexOf('From 2222'));
  });

  it('keeps a last message that has no final newline, flagged', async () => {
    const { messages } = await readInput(fixture('no-final-newline.mbox'));
    assert.equal(messages.length, 2);
    assert.equal(messages[0]!.body, 'complete message\n');
    assert.deepEqual(messages[0]!.damage, []);
    assert.equal(messages[1]!.body, 'last line without newline');
    assert.ok(messages[1]!.damage.includes('truncated'));
  });

  it('accounts for an empty mbox', async () => {
    const { summary, messages } = await readInput(fixture('empty.mbox'));
    assert.equal(messages.length, 0);
    assert.equal(summary.kind, 'mbox');
    assert.deepEqual(summary.errors, []);
    assert.equal(summary.skipped.length, 1);
    assert.match(summary.skipped[0]!.reason, /empty/);
  });

  it('flags a truncated last message and an unclosed multipart', async () => {
    const { messages } = await readInput(fixture('truncated.mbox'));
    assert.equal(messages.length, 2);
    const [mime, cut] = messages as [(typeof messages)[0], (typeof messages)[0]];
    assert.ok(mime.damage.includes('truncated'));
    assert.equal(mime.attachments.length, 1);
    assert.match(mime.attachments[0]!.text, /^@@ -412,7 \+412,9 @@/m);
    assert.ok(cut.damage.includes('truncated'));
    assert.ok(cut.body.endsWith('+\t\t\tspin_unl'));
    assert.equal(cut.error, null);
  });

  it('reports a message without headers by input, number and offset, and goes on', async () => {
    const path = fixture('no-headers.mbox');
    const bytes = readFileSync(path);
    const { summary, messages } = await readInput(path);
    assert.equal(summary.messages, 4);
    assert.deepEqual(
      messages.map((m) => m.subject),
      ['good one', '', '', 'good two'],
    );
    const off2 = bytes.indexOf('From 8888');
    const off3 = bytes.indexOf('From 9999');
    assert.equal(messages[1]!.error, `${path}: message 2 (offset ${off2}): no header block`);
    assert.match(messages[1]!.body, /lost its headers/);
    assert.equal(messages[2]!.error, `${path}: message 3 (offset ${off3}): empty message`);
    assert.equal(messages[0]!.error, null);
    assert.equal(messages[3]!.error, null);
    assert.deepEqual(
      messages.map((m) => m.origin.index),
      [1, 2, 3, 4],
    );
  });

  it('counts bytes before the first envelope line instead of dropping them silently', async () => {
    const buf = Buffer.from('junk\n\nFrom x@y Tue Nov 21 23:01:09 2017\nSubject: s\n\nb\n');
    const { raws, preamble } = await split(buf, 3);
    assert.equal(raws.length, 1);
    assert.equal(raws[0]!.offset, 6);
    assert.equal(preamble, 6);
  });

  it('yields each message before reading the rest of the stream', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    async function* source(): AsyncGenerator<Buffer> {
      yield Buffer.from('From a@b Tue Nov 21 23:01:09 2017\nSubject: one\n\nbody\n\n');
      yield Buffer.from('From a@b Tue Nov 21 23:01:10 2017\n');
      await gate; // the rest arrives only after the consumer has seen message one
      yield Buffer.from('Subject: two\n\nbody\n');
    }
    const seen: string[] = [];
    const timeout = setTimeout(() => release(), 2000);
    for await (const r of splitMbox(source())) {
      seen.push(r.bytes.toString());
      if (seen.length === 1) {
        assert.equal(r.bytes.toString(), 'Subject: one\n\nbody\n');
        release();
      }
    }
    clearTimeout(timeout);
    assert.equal(seen.length, 2);
  });
});

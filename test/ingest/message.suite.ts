// Ingest: header parsing (folding, RFC 2047, addresses, ids), dates, single-message files, headerless patches.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseDate } from '../../src/ingest/dates.js';
import { decodeWords, formatAddress, messageIds, parseParams, splitHeaderBlock } from '../../src/ingest/headers.js';
import { parseMessage } from '../../src/ingest/message.js';
import { fixture, readInput } from './helpers.js';

const origin = { input: 't.eml', index: 1 };

describe('ingest/message', () => {
  it('parses the dates mail and archives write', () => {
    const cases: [string, string | null][] = [
      ['Tue, 21 Nov 2017 23:01:09 -0500 (EST)', '2017-11-22T04:01:09.000Z'],
      ['Wed, 22 Nov 2017 14:25:18 +1100', '2017-11-22T03:25:18.000Z'],
      ['4 Mar 2024 10:11:12 +0100', '2024-03-04T09:11:12.000Z'],
      ['Mon, 4 Mar 2024 10:11:12 GMT', '2024-03-04T10:11:12.000Z'],
      ['Wed Feb 12 12:33:31 MSK 2025', '2025-02-12T09:33:31.000Z'], // pipermail
      ['Tue Nov 21 2017 - 23:01:09 EST', '2017-11-22T04:01:09.000Z'], // lkml.iu.edu
      ['Thursday, March 28, 2024 10:04 PM', '2024-03-28T22:04:00'], // Outlook, no zone
      ['29/03/2024 10:34', '2024-03-29T10:34:00'],
      ['(09/22/16 15:42)', '2016-09-22T15:42:00'],
      ['2024-03-28 16:34 UTC', '2024-03-28T16:34:00.000Z'],
      ['2024-03-28T16:34:05+02:00', '2024-03-28T14:34:05.000Z'],
      ['Tue, Nov 21 2017', '2017-11-21'],
      ['05/04/2024 09:40', null], // day and month cannot be told apart
      ['Feb 30 2024 10:00:00 +0000', null],
      ['sometime last week', null],
      ['', null],
    ];
    for (const [input, want] of cases) assert.equal(parseDate(input), want, input);
  });

  it('decodes RFC 2047 words, joining adjacent ones and split multi-byte characters', () => {
    assert.equal(decodeWords('=?utf-8?q?J=C3=B6rg?= <j@x>'), 'Jörg <j@x>');
    assert.equal(decodeWords('=?utf-8?b?SsO2?= =?utf-8?b?cmc=?='), 'Jörg');
    // 'ö' (C3 B6) split across two encoded words
    assert.equal(decodeWords('=?utf-8?q?J=C3?=\n =?utf-8?q?=B6rg?='), 'Jörg');
    assert.equal(decodeWords('a =?iso-8859-1?q?caf=E9?= b'), 'a café b');
    assert.equal(decodeWords('=?utf-8?q?a?= plain =?utf-8?q?b?='), 'a plain b');
    assert.equal(decodeWords('=?x-unknown?q?abc?='), 'abc');
    assert.equal(decodeWords('no words here'), 'no words here');
  });

  it('formats From values as "Name <addr>"', () => {
    const cases: [string, string][] = [
      ['Ann Author <ann@example.org>', 'Ann Author <ann@example.org>'],
      ['"Developer, Dan" <dan@example.org>', 'Developer, Dan <dan@example.org>'],
      ['dan@example.org (Dan Developer)', 'Dan Developer <dan@example.org>'],
      ['khorenko at virtuozzo.com (Konstantin Khorenko)', 'Konstantin Khorenko <khorenko@virtuozzo.com>'],
      ['<ann@example.org>', 'ann@example.org'],
      ['ann@example.org', 'ann@example.org'],
      ['=?utf-8?q?J=C3=B6rg_Tester?= <joerg@example.de>', 'Jörg Tester <joerg@example.de>'],
      ['NeilBrown', 'NeilBrown'],
    ];
    for (const [input, want] of cases) assert.equal(formatAddress(input), want, input);
  });

  it('extracts message ids without brackets, in order, deduplicated', () => {
    assert.deepEqual(messageIds('<a@x> <b@y>\n <a@x>'), ['a@x', 'b@y']);
    assert.deepEqual(messageIds("<c@z> (Dan's message of Tue)"), ['c@z']);
    assert.deepEqual(messageIds('bare@id'), ['bare@id']);
    assert.deepEqual(messageIds(null), []);
  });

  it('parses MIME parameters with quotes and RFC 2231 continuations', () => {
    const p = parseParams(`attachment; filename*0*=utf-8''a%C3%BC; filename*1="b.patch"; size=3`);
    assert.equal(p.value, 'attachment');
    assert.equal(p.params.get('filename'), 'aüb.patch');
    const ct = parseParams('Text/Plain; charset="UTF-8"; format=flowed; name="x;y.diff"');
    assert.equal(ct.value, 'text/plain');
    assert.equal(ct.params.get('name'), 'x;y.diff');
    assert.equal(ct.params.get('format'), 'flowed');
  });

  it('finds the header block on bytes and tells a missing blank line apart', () => {
    const hb = splitHeaderBlock(Buffer.from('From 1234 Mon Sep 17 00:00:00 2001\nSubject: a\n  b\nX: c\n\nbody\n'))!;
    assert.equal(hb.envelope, 'From 1234 Mon Sep 17 00:00:00 2001');
    assert.deepEqual(hb.fields, [
      { name: 'subject', value: 'a b' },
      { name: 'x', value: 'c' },
    ]);
    assert.equal(hb.noBlankLine, false);
    const noBlank = splitHeaderBlock(Buffer.from('Subject: s\nFrom: a@b\nHello there, no blank line.\n'))!;
    assert.equal(noBlank.noBlankLine, true);
    assert.equal(splitHeaderBlock(Buffer.from('Hello,\nno headers\n')), null);
  });

  it('reads a single .eml with folded subject and a commented In-Reply-To', async () => {
    const { summary, messages } = await readInput(fixture('single.eml'));
    assert.equal(summary.kind, 'message');
    assert.equal(messages.length, 1);
    const m = messages[0]!;
    assert.equal(m.subject, '[PATCH RFC] block: take the queue lock around the tag map update');
    assert.equal(m.from, 'Developer, Dan <dan@example.org>');
    assert.equal(m.date, '2024-01-17T08:00:00.000Z');
    assert.equal(m.messageId, '20240117080000.77-1-dan@example.org');
    assert.equal(m.inReplyTo, 'rfc-question@example.org');
    assert.deepEqual(m.references, ['rfc-question@example.org']);
    assert.equal(m.body, 'Body of a single .eml message.\n');
    assert.equal(m.error, null);
  });

  it('reads git format-patch output as one message', async () => {
    const { summary, messages } = await readInput(fixture('format-patch.patch'));
    assert.equal(summary.kind, 'message');
    assert.equal(messages.length, 1);
    const m = messages[0]!;
    assert.equal(m.subject, '[PATCH v3 2/5] acme: unlock the ring on refill failure');
    assert.equal(m.from, 'Ann Author <ann@example.org>');
    assert.equal(m.date, '2024-03-04T09:11:12.000Z');
    assert.ok(m.body.startsWith('Drop the lock before the early return.\n'));
    assert.match(m.body, /^-- $/m);
    assert.match(m.body, /^@@ -412,7 \+412,9 @@ static int acme_rx_refill/m);
  });

  it('reads a bare diff as one message named after the file', async () => {
    const path = fixture('acme-refill-unlock.diff');
    const { summary, messages } = await readInput(path);
    assert.equal(summary.kind, 'message');
    const m = messages[0]!;
    assert.equal(m.subject, 'acme-refill-unlock');
    assert.equal(m.body, readFileSync(path, 'utf8'));
    assert.equal(m.from, '');
    assert.equal(m.error, null);
  });

  it('reads git show output: subject, author and date from the commit', async () => {
    const { messages } = await readInput(fixture('git-show.patch'));
    const m = messages[0]!;
    assert.equal(m.subject, 'acme: unlock the ring on refill failure');
    assert.equal(m.from, 'Ann Author <ann@example.org>');
    assert.equal(m.date, '2024-03-04T09:11:12.000Z');
    assert.match(m.body, /^diff --git /m);
  });

  it('decodes raw 8-bit headers, CRLF bodies and flags a missing blank line', async () => {
    const raw = Buffer.from('From: Jörg <j@x.de>\r\nSubject: Grüße\r\nMessage-ID: <m@x>\r\nbody starts here\r\nline 2\r\n');
    const m = await parseMessage(raw, origin);
    assert.equal(m.from, 'Jörg <j@x.de>');
    assert.equal(m.subject, 'Grüße');
    assert.equal(m.body, 'body starts here\nline 2\n');
    assert.deepEqual(m.damage, ['no-blank-line-after-headers']);
    assert.equal(m.error, null);
  });

  it('falls back to windows-1252 for invalid UTF-8 and says so', async () => {
    const raw = Buffer.concat([Buffer.from('From: a@b\nSubject: s\n\n'), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a])]);
    const m = await parseMessage(raw, origin);
    assert.equal(m.body, 'café\n');
    assert.ok(m.damage.includes('charset-fallback'));
  });
});

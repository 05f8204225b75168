// Ingest: one damaged message must not cost the archive. A NUL inside one message, bare-CR line ends,
// junk before the first envelope and a message of headers only (no blank line before the next envelope)
// each leave every other message as it was, and every message and stray byte is accounted for.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { scanMessages } from '../../src/pipeline.js';
import { bareCrToLfChunks } from '../../src/ingest/lineends.js';
import { splitMbox } from '../../src/ingest/mbox.js';
import type { Message } from '../../src/ingest/types.js';
import { extractPatches, seriesOf } from '../../src/patch/index.js';
import { runCli } from '../support/cli.js';
import { chunked, readInput } from './helpers.js';
import { ringFixDiff } from '../support/snippets.js';

/** One message of a three-patch series as `git format-patch` and an mbox writer leave it. */
function patchMail(n: number, commitText = 'The error path returns with the ring lock held.'): string {
  const threading = n > 1 ? 'In-Reply-To: <ring-0@example.org>\nReferences: <ring-0@example.org>\n' : '';
  return [
    `From dana@example.org Tue Apr  9 08:1${n}:00 2024`,
    'From: Dana Dev <dana@example.org>',
    'To: netdev@vger.kernel.org',
    `Subject: [PATCH ${n}/3] gizmo: release the ring lock on error ${n}`,
    `Date: Tue, 9 Apr 2024 08:1${n}:00 +0200`,
    `Message-ID: <ring-${n}@example.org>`,
    `${threading}`,
    commitText,
    '',
    'Signed-off-by: Dana Dev <dana@example.org>',
    '---',
    ringFixDiff({ file: `drivers/misc/gizmo/ring${n}.c` }),
    '',
  ].join('\n');
}

const SERIES = [1, 2, 3].map((n) => patchMail(n)).join('');
const SUBJECTS = [1, 2, 3].map((n) => `[PATCH ${n}/3] gizmo: release the ring lock on error ${n}`);
const IDS = [1, 2, 3].map((n) => `ring-${n}@example.org`);

/** What a reader must get from the three messages wherever they sit: subject, id, series place, one patch. */
function assertSeries(ms: Message[]): void {
  assert.deepEqual(
    ms.map((m) => m.subject),
    SUBJECTS,
  );
  assert.deepEqual(
    ms.map((m) => m.messageId),
    IDS,
  );
  assert.deepEqual(
    ms.map((m) => [seriesOf(m).number, seriesOf(m).total]),
    [
      [1, 3],
      [2, 3],
      [3, 3],
    ],
  );
  ms.forEach((m, k) => {
    assert.equal(m.error, null, m.subject);
    const ex = extractPatches(m);
    assert.equal(ex.patches.length, 1, m.subject);
    assert.equal(ex.patches[0]!.files[0]!.path, `drivers/misc/gizmo/ring${k + 1}.c`);
    assert.deepEqual(
      ex.patches[0]!.files[0]!.hunks.map((h) => [h.oldStart, h.oldLines, h.newStart, h.newLines]),
      [[40, 6, 40, 7]],
    );
  });
}

describe('ingest/damaged-mbox', () => {
  let tmp: string;
  const file = (name: string, content: string | Buffer): string => {
    const p = join(tmp, name);
    writeFileSync(p, content);
    return p;
  };
  let clean: Message[];
  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'kreview-damaged-'));
    clean = (await readInput(file('clean.mbox', SERIES))).messages;
    assertSeries(clean);
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('reads an mbox with NUL bytes in one message: that message is flagged and named, the others are untouched', async () => {
    // A run of zeros (a disk block lost) inside the second message, well within the bytes the sniffer reads.
    const zeros = '\0'.repeat(512);
    const text = [patchMail(1), patchMail(2, `The error path returns with the ring ${zeros}lock held.`), patchMail(3)].join('');
    const path = file('nul.mbox', text);
    const { summary, messages } = await readInput(path);
    assert.equal(summary.kind, 'mbox');
    assert.equal(summary.messages, 3);
    assert.deepEqual(summary.errors, []);
    assert.deepEqual(summary.skipped, []);
    assertSeries(messages);
    assert.deepEqual(
      messages.map((m) => m.damage),
      [[], ['nul-bytes'], []],
    );
    for (const k of [0, 2]) assert.equal(messages[k]!.body, clean[k]!.body);
    assert.ok(messages[1]!.body.includes(zeros));
    // The note names the message (input, number, offset) and what was wrong with it.
    const offset = Buffer.from(text).indexOf('From dana@example.org Tue Apr  9 08:12:00 2024');
    assert.equal(messages[1]!.origin.offset, offset);
    assert.deepEqual(extractPatches(messages[1]!).notes, [
      `${path}: message 2 (offset ${offset}): NUL bytes (binary data) in the message: read as text around them`,
    ]);
    // A message file with a NUL in it is the same: read, flagged.
    const eml = await readInput(file('nul.eml', patchMail(2, `Zeros: ${zeros}`).replace(/^From .*\n/, '')));
    assert.equal(eml.summary.kind, 'message');
    assert.deepEqual(
      eml.messages.map((m) => [m.subject, m.damage, extractPatches(m).patches.length]),
      [[SUBJECTS[1], ['nul-bytes'], 1]],
    );
  });

  it('still refuses a file of binary data that is not shaped like mail', async () => {
    const { summary, messages } = await readInput(file('zeros.bin', Buffer.concat([Buffer.from('GIZMO\0\x01\x02'), Buffer.alloc(2048)])));
    assert.equal(messages.length, 0);
    assert.match(summary.skipped[0]?.reason ?? '', /^not mail: binary data \(NUL byte at offset 5\)$/);
  });

  it('reads an mbox with bare CR line ends (old Mac) as its messages, flagged, offsets unchanged', async () => {
    const path = file('mac.mbox', SERIES.replace(/\n/g, '\r'));
    const { summary, messages } = await readInput(path);
    assert.equal(summary.kind, 'mbox');
    assert.deepEqual(summary.errors, []);
    assertSeries(messages);
    messages.forEach((m, k) => {
      assert.deepEqual(m.damage, ['cr-line-ends']);
      assert.equal(m.body, clean[k]!.body);
      assert.equal(m.origin.offset, clean[k]!.origin.offset); // CR and LF are one byte each
      assert.ok(extractPatches(m).patches[0]!.damage.includes('cr-line-ends'));
    });
    // Streamed in small pieces from stdin, and as a single message file, the same.
    for (const size of [1, 5, 64]) {
      const viaStdin = await readInput('-', { stdin: Readable.from(chunked(Buffer.from(SERIES.replace(/\n/g, '\r')), size)) });
      assert.deepEqual(
        viaStdin.messages.map((m) => [m.subject, m.body, m.damage]),
        messages.map((m) => [m.subject, m.body, m.damage]),
        `${size}-byte chunks`,
      );
    }
    const eml = patchMail(1)
      .replace(/^From .*\n/, '')
      .replace(/\n$/, ''); // no envelope, no separator line
    const one = await readInput(file('mac.eml', eml.replace(/\n/g, '\r')));
    assert.equal(one.messages[0]!.subject, SUBJECTS[0]);
    assert.equal(one.messages[0]!.body, clean[0]!.body);
    assert.deepEqual(one.messages[0]!.damage, ['cr-line-ends']);
  });

  it('turns bare CRs into LF in any chunking, and leaves CRLF alone', async () => {
    const text = Buffer.from('a\rb\r\nc\r\rd\r\n\re\r');
    for (const size of [1, 2, 3, 4, 7, 64]) {
      const out: Buffer[] = [];
      for await (const c of bareCrToLfChunks(chunked(text, size))) out.push(c);
      assert.equal(Buffer.concat(out).toString('latin1'), 'a\nb\r\nc\n\nd\r\n\ne\n', `${size}-byte chunks`);
    }
  });

  it('keeps junk before the first envelope out of the messages, and says how much there was', async () => {
    for (const junk of ['saved by mutt\n', 'saved by mutt\n\n', '\x1b[1mmbox\x1b[0m 3 messages\nfolder: netdev\n']) {
      const path = file('junk.mbox', junk + SERIES);
      const { summary, messages } = await readInput(path);
      assert.equal(summary.kind, 'mbox', JSON.stringify(junk));
      assertSeries(messages);
      assert.deepEqual(
        messages.map((m) => m.body),
        clean.map((m) => m.body),
      );
      assert.deepEqual(
        messages.map((m) => m.origin.offset! - junk.length),
        clean.map((m) => m.origin.offset),
      );
      assert.deepEqual(summary.errors, [`${path}: ${junk.length} bytes before the first "From " line are not part of any message`]);
    }
  });

  it('reads a long text that quotes one format-patch as a text, but a cut archive as an mbox', async () => {
    const prose = Array.from({ length: 12 }, (_, k) => `Line ${k + 1} of a saved web page about the gizmo ring.`).join('\n');
    const page = await readInput(file('page.txt', `${prose}\n\n${patchMail(1)}`));
    assert.equal(page.summary.kind, 'archive-text');
    assert.equal(page.messages.length, 1);
    // The same head, then the rest of an archive: the head is the tail of a message cut off above.
    const cut = await readInput(file('cut.mbox', `${prose}\n\n${SERIES}`));
    assert.equal(cut.summary.kind, 'mbox');
    assertSeries(cut.messages);
    assert.equal(cut.summary.errors.length, 1);
  });

  it('ends a message of headers only at the next envelope even without a blank line', async () => {
    const ping = [
      'From cy@example.net Tue Apr  9 08:11:30 2024',
      'From: Cy Checker <cy@example.net>',
      'Subject: ping',
      'Message-ID: <ping-1@example.net>',
      '',
    ].join('\n');
    const text = [patchMail(1), ping, patchMail(2), patchMail(3)].join('');
    const path = file('headers-only.mbox', text);
    const { summary, messages } = await readInput(path);
    assert.equal(summary.messages, 4);
    assert.deepEqual(summary.errors, []);
    assertSeries([messages[0]!, messages[2]!, messages[3]!]);
    const p = messages[1]!;
    assert.deepEqual([p.subject, p.messageId, p.from, p.body, p.error], ['ping', 'ping-1@example.net', 'Cy Checker <cy@example.net>', '', null]);
    assert.equal(messages[2]!.origin.offset, Buffer.from(text).indexOf('From dana@example.org Tue Apr  9 08:12:00 2024'));
    assert.equal(messages[2]!.body, clean[1]!.body);
  });

  it('splits the damaged shapes the same whatever the chunk boundaries', async () => {
    const ping = 'From cy@example.net Tue Apr  9 08:11:30 2024\nSubject: ping\n';
    const junk = 'junk\nFrom a@b Tue Apr  9 08:11:30 2024\nnot a header\n'; // no header after it: junk too
    const inputs = [
      `saved by mutt\n${SERIES}`,
      `saved by mutt\n\n\n${SERIES}`,
      `${patchMail(1)}${ping}${patchMail(2)}`,
      `${junk}${patchMail(1)}${ping}`, // the stream ends in a message of headers only
      `${patchMail(1)}${ping.trimEnd()}`, // ... without a final newline
    ];
    for (const text of inputs) {
      const buf = Buffer.from(text);
      const split = async (size: number) => {
        let preamble = 0;
        const out: unknown[] = [];
        for await (const r of splitMbox(chunked(buf, size), (n) => (preamble = n)))
          out.push([r.offset, r.envelope, r.bytes.toString('latin1'), r.noFinalNewline]);
        return { out, preamble };
      };
      const whole = await split(buf.length);
      assert.ok(whole.out.length >= 2, text.slice(0, 40));
      for (const size of [1, 2, 3, 5, 7, 13, 64]) assert.deepEqual(await split(size), whole, `${size}-byte chunks of ${JSON.stringify(text.slice(0, 30))}`);
    }
  });

  it('reports every message of a damaged mbox end to end: scan --format json', async () => {
    const ping = 'From cy@example.net Tue Apr  9 08:11:30 2024\nFrom: Cy Checker <cy@example.net>\nSubject: ping\nMessage-ID: <ping-1@example.net>\n';
    const text = `saved by mutt\n${patchMail(1)}${ping}${patchMail(2, 'A NUL \0 in the text.')}${patchMail(3)}`;
    const path = file('all.mbox', text);
    const r = await runCli(['scan', '--format', 'json', '--fail-on', 'never', path]);
    assert.equal(r.code, 0, r.err);
    const doc = JSON.parse(r.out) as {
      inputs: { kind: string; messages: number; errors: string[] }[];
      messages: { index: number; status: string; subject: string; messageId: string; damage: string[]; note: string | null; patches: string[] }[];
    };
    assert.equal(doc.inputs[0]!.kind, 'mbox');
    assert.equal(doc.inputs[0]!.messages, 4);
    assert.deepEqual(doc.inputs[0]!.errors, [`${path}: 14 bytes before the first "From " line are not part of any message`]);
    assert.deepEqual(
      doc.messages.map((m) => [m.index, m.status, m.subject, m.messageId, m.patches.length]),
      [
        [1, 'ok', SUBJECTS[0], IDS[0], 1],
        [2, 'no-patch', 'ping', 'ping-1@example.net', 0],
        [3, 'ok', SUBJECTS[1], IDS[1], 1],
        [4, 'ok', SUBJECTS[2], IDS[2], 1],
      ],
    );
    assert.deepEqual(doc.messages[2]!.damage, ['nul-bytes']);
    assert.match(doc.messages[2]!.note ?? '', /^.*all\.mbox: message 3 \(offset \d+\): NUL bytes/);
    // The text report says it too, under the message.
    const t = await runCli(['scan', '--fail-on', 'never', path]);
    // (Bold names when colours are on, as under CI=true: \S* takes the escape codes.)
    assert.match(t.out, /all\.mbox#3\S* [^\n]*\n {2}from [^\n]*\n {2}damage: nul-bytes\n/);
  });

  // Found by the fuzz properties (npm run fuzz, seed 42): gzip magic bytes and nothing after them
  // threw out of the reader for mail given in memory or on a stream.
  it('gzip magic followed by garbage or nothing is refused as corrupt gzip, never thrown', async () => {
    const cut = gzipSync(Buffer.from(SERIES)).subarray(0, 40);
    for (const bytes of [Buffer.from([0x1f, 0x8b]), cut]) {
      const r = await scanMessages([{ name: 'x.mbox', text: bytes }]);
      assert.deepEqual(r.unreadable, ['x.mbox']);
      assert.match(r.doc.inputs[0]!.errors[0]!, /corrupt gzip data/);
    }
  });
});

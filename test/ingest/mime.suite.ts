// Ingest: MIME bodies (base64, quoted-printable, charsets, attachments, format=flowed, HTML-only, alternatives).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeQuotedPrintable, MAX_MIME_DEPTH } from '../../src/ingest/mime.js';
import { parseMessage } from '../../src/ingest/message.js';
import { extractPatches } from '../../src/patch/index.js';
import { fixture, readInput } from './helpers.js';
import { ringFixDiff } from '../support/snippets.js';

const one = async (name: string) => (await readInput(fixture(name))).messages[0]!;

// The diff every MIME fixture carries, as it must come out after decoding.
const DIFF_LINES = [
  'diff --git a/drivers/net/ethernet/acme/acme_main.c b/drivers/net/ethernet/acme/acme_main.c',
  'index 3c1e5f0a9b21..7d4b2e8c6f10 100644',
  '@@ -412,7 +412,9 @@ static int acme_rx_refill(struct acme_ring *ring)',
  '\tspin_lock_bh(&ring->lock);'.replace(/^/, ' '),
  '\t\tskb = netdev_alloc_skb(ring->ndev, ACME_RX_BUF);'.replace(/^/, ' '),
  '+\t\t\tspin_unlock_bh(&ring->lock);',
];

function hasDiff(text: string): void {
  const lines = text.split('\n');
  for (const l of DIFF_LINES) assert.ok(lines.includes(l), `missing line: ${JSON.stringify(l)}`);
}

const GIZMO_PATCH = ringFixDiff();

/** A message of `levels` multiparts nested in one another (its own included); `leaf` is the innermost part. */
function nestedMultiparts(levels: number, leaf: string): Buffer {
  let part = leaf;
  for (let k = levels; k >= 1; k--) {
    const head = k === 1 ? 'From: Dana Dev <dana@example.org>\nSubject: [PATCH] gizmo: unlock on error\nMIME-Version: 1.0\n' : '';
    part = `${head}Content-Type: multipart/mixed; boundary="lvl${k}"\n\n--lvl${k}\nContent-Type: text/plain\n\nwrapped at level ${k}\n--lvl${k}\n${part}\n--lvl${k}--\n`;
  }
  return Buffer.from(part);
}

describe('ingest/mime', () => {
  it('decodes a base64 body', async () => {
    const m = await one('mime-base64.eml');
    assert.equal(m.error, null);
    assert.ok(m.body.startsWith('The refill loop leaks the ring lock; fix attached inline below.\n\ndiff --git'));
    hasDiff(m.body);
    assert.deepEqual(m.damage, []);
  });

  it('decodes a quoted-printable body and encoded-word headers', async () => {
    const m = await one('mime-qp.eml');
    assert.equal(m.subject, '[PATCH] acme: quoted-printable body für den Test');
    assert.equal(m.from, 'Jörg Tester <joerg@example.de>');
    const lines = m.body.split('\n');
    // the soft line break joined, =C3=BC and =3D decoded
    assert.equal(lines[0], 'Grüße from the QP test: a long line that the encoder has to wrap because it is longer than seventy-six characters in total.');
    assert.equal(lines[1], 'a=b stays a=b');
    hasDiff(m.body);
  });

  it('decodes a latin-1 body and latin-1 encoded words', async () => {
    const m = await one('mime-latin1.eml');
    assert.equal(m.body, 'Café crème: the lock is taken twice.\n');
    assert.equal(m.subject, 'Résumé of the acme locking');
    // the From header carries raw latin-1 bytes: read as windows-1252 and flagged
    assert.equal(m.from, 'René Latin <rene@example.fr>');
    assert.ok(m.damage.includes('charset-fallback'));
  });

  it('puts text/x-patch and *.patch/*.diff parts in attachments, drops images and signatures', async () => {
    const m = await one('mime-attachment.eml');
    assert.equal(m.body, 'Two patches are attached: one as text/x-patch, one as an inline\ntext/plain part with a .patch name.\n');
    assert.deepEqual(
      m.attachments.map((a) => [a.filename, a.contentType]),
      [
        ['0001-acme-unlock.patch', 'text/x-patch'],
        ['0002-acme-stats-über.diff', 'text/plain'],
      ],
    );
    for (const a of m.attachments) hasDiff(a.text);
    assert.ok(!m.body.includes('PGP SIGNATURE'));
    assert.deepEqual(m.damage, []);
  });

  it('flags format=flowed, undoes space-stuffing and does not join soft breaks', async () => {
    const m = await one('mime-flowed.eml');
    assert.ok(m.damage.includes('format-flowed'));
    const lines = m.body.split('\n');
    assert.equal(lines[0], 'This line was wrapped by the client at the ');
    assert.equal(lines[1], 'space before this word.');
    const hunk = lines.indexOf('@@ -1,3 +1,4 @@');
    assert.deepEqual(lines.slice(hunk + 1, hunk + 5), [' spin_lock_bh(&ring->lock);', '+ ring->free = 0;', ' ', ' spin_unlock_bh(&ring->lock);']);
  });

  it('converts HTML-only mail to text, flagged', async () => {
    const m = await one('mime-html.eml');
    assert.deepEqual(m.damage, ['html-converted']);
    assert.match(m.body, /I think acme_rx_refill\(\) still leaks the lock\./);
    assert.match(m.body, /Second paragraph & more\./);
    assert.doesNotMatch(m.body, /<p>|&amp;/);
  });

  it('takes the text/plain alternative when there is one', async () => {
    const m = await one('mime-alternative.eml');
    assert.equal(m.body, 'plain version wins');
    assert.deepEqual(m.damage, []);
  });

  it('reads a multipart without a boundary as text, flagged', async () => {
    const raw = Buffer.from('From: a@b\nSubject: s\nContent-Type: multipart/mixed\n\nsome text\n');
    const m = await parseMessage(raw, { input: 'x', index: 1 });
    assert.equal(m.body, 'some text\n');
    assert.ok(m.damage.includes('mime-broken'));
  });

  it('reads a part without headers as body text, even one starting with "From "', async () => {
    const raw = Buffer.from(
      'From: a@b\r\nSubject: s\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\npreamble\r\n--zz\r\n\r\nFrom the datasheet: part one\r\n--zz\r\nContent-Type: text/plain\r\n\r\npart two\r\n--zz--\r\nepilogue\r\n',
    );
    const m = await parseMessage(raw, { input: 'x', index: 1 });
    assert.equal(m.body, 'From the datasheet: part one\npart two');
    assert.deepEqual(m.damage, []);
  });

  it('flags a body declared quoted-printable that was never encoded', async () => {
    const raw = Buffer.from(
      'From: a@b\nSubject: s\nContent-Transfer-Encoding: quoted-printable\n\n+static const struct demo_ops ops =\n+{ .run = demo_run };\n+\tif (a == b)\n',
    );
    const m = await parseMessage(raw, { input: 'x', index: 1 });
    assert.deepEqual(m.damage, ['quoted-printable-soft-breaks']);
    const ok = await parseMessage(Buffer.from('From: a@b\nSubject: s\nContent-Transfer-Encoding: quoted-printable\n\nlong=\nline a=3Db\n'), {
      input: 'x',
      index: 1,
    });
    assert.equal(ok.body, 'longline a=b\n');
    assert.deepEqual(ok.damage, []);
  });

  it('reads multiparts nested past the depth limit as text, so a patch there is found, and says so', async () => {
    const patch = `Content-Type: text/x-patch; name="0001-gizmo.patch"\nContent-Disposition: attachment; filename="0001-gizmo.patch"\n\n${GIZMO_PATCH}`;
    const origin = { input: 'deep.eml', index: 7 };
    // At the limit every multipart is opened: the patch is an attachment, nothing is damaged.
    const within = await parseMessage(nestedMultiparts(MAX_MIME_DEPTH, patch), origin);
    assert.deepEqual(within.damage, []);
    assert.deepEqual(
      within.attachments.map((a) => a.filename),
      ['0001-gizmo.patch'],
    );
    assert.deepEqual(extractPatches(within).notes, []);

    const deep = await parseMessage(nestedMultiparts(MAX_MIME_DEPTH + 1, patch), origin);
    assert.equal(deep.error, null);
    assert.deepEqual(deep.damage, ['mime-depth-limit']);
    // The text parts above the limit are read as parts; the rest is searched as text.
    for (let k = 1; k <= MAX_MIME_DEPTH; k++) assert.match(deep.body, new RegExp(`^wrapped at level ${k}$`, 'm'));
    const ex = extractPatches(deep);
    assert.equal(ex.patches.length, 1);
    assert.equal(ex.patches[0]!.files[0]!.path, 'drivers/misc/gizmo/ring.c');
    assert.deepEqual(
      ex.patches[0]!.files[0]!.hunks.map((h) => [h.oldStart, h.oldLines, h.newStart, h.newLines]),
      [[40, 6, 40, 7]],
    );
    const note = `deep.eml: message 7: MIME multiparts nested more than ${MAX_MIME_DEPTH} deep (the depth limit): the parts below the limit were read as plain text`;
    assert.deepEqual(ex.notes, [note]);

    // With no patch to be found there, the note goes with the reason.
    const image = 'Content-Type: image/png\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo=\n';
    const none = extractPatches(await parseMessage(nestedMultiparts(MAX_MIME_DEPTH + 3, image), origin));
    assert.equal(none.patches.length, 0);
    assert.ok(none.reason?.endsWith(`; ${note}`), none.reason ?? '');
  });

  it('decodes quoted-printable soft breaks, escapes and broken escapes', () => {
    const qp = (s: string): string => decodeQuotedPrintable(Buffer.from(s, 'latin1')).toString('latin1');
    assert.equal(qp('ab=\r\ncd=3D=C3=A9\n'), 'abcd=\xc3\xa9\n');
    assert.equal(qp('soft=  \nbreak'), 'softbreak');
    assert.equal(qp('a=ZZb=\n'), 'a=ZZb');
    assert.equal(qp('end='), 'end');
  });
});

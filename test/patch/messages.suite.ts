// Patch stage: whole messages. Several patches in one reply (in-body headers, scissors, rules),
// attachments, archive pages, why nothing was found, and every message accounted for in the output.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { FIXTURES, fixture, patchesOf, extractFixture, extractBody, bodyMessage } from './helpers.js';
import { extractPatches } from '../../src/patch/index.js';
import { scanMessages } from '../../src/pipeline.js';
import { formatScanText } from '../../src/report/scan-text.js';

describe('patch: messages', () => {
  it('a reply carrying patches: in-body headers, scissors and a rule separate them, each with its subject', async () => {
    const ps = await patchesOf('inbody-patches.eml');
    assert.deepEqual(
      ps.map((p) => [p.id.replace(/^.*#/, '#'), p.kind, p.subject, p.author ?? null, p.files.map((f) => f.path)]),
      [
        ['#1.1', 'diff', '[PATCH 1/2] gizmo: take the ring lock in the reset path', 'Carl Reviewer <carl@example.net>', ['drivers/misc/gizmo/gizmo-core.c']],
        [
          '#1.2',
          'diff',
          '[PATCH 2/2] gizmo: hold the ring lock in the timeout handler',
          'Carl Reviewer <carl@example.net>',
          ['drivers/misc/gizmo/gizmo-core.c'],
        ],
        ['#1.3', 'diff', 'Re: [PATCH 1/2] gizmo: take the ring lock in the reset path', null, ['drivers/misc/gizmo/gizmo.h']],
      ],
    );
    // the second applies on the first: its pre-image blob is the first one's post-image
    assert.equal(ps[1]!.files[0]!.oldBlob, ps[0]!.files[0]!.newBlob);
    // the signature and the sign-off after the last diff are not diff lines
    assert.ok(ps.every((p) => p.files.every((f) => f.hunks.every((h) => h.lines.every((l) => !/^2\.45|^Carl$/.test(l.text))))));
    assert.deepEqual(ps[2]!.files[0]!.hunks[0]!.lines.length, 7);
  });

  it('a patch in a text/x-patch attachment', async () => {
    const [p] = await patchesOf('attachment.eml');
    assert.deepEqual(p!.from, { attachment: '0001-gizmo-fix-the-irq-error-path.patch' });
    assert.ok(p!.damage.includes('attachment'));
    assert.equal(p!.subject, '[PATCH] gizmo: fix the irq error path');
    assert.equal(p!.files[0]!.hunks[0]!.newLines, 11);
  });

  it('a pipermail page: the diff up to the signature, the archive footer ignored', async () => {
    const [p] = await patchesOf('pipermail-patch.txt');
    assert.equal(p!.author, 'Ivy Example <ivy.example@example.com>');
    assert.equal(p!.kind, 'diff');
    assert.equal(p!.files[0]!.hunks.length, 1);
    assert.deepEqual([p!.files[0]!.hunks[0]!.oldLines, p!.files[0]!.hunks[0]!.newLines], [7, 9]);
    assert.deepEqual(p!.damage, []);
  });

  it('says why no patch was found', async () => {
    const [reply] = await extractFixture('reply-prose.eml');
    assert.equal(reply!.reason, 'a reply that quotes no code (1 quoted line, 3 lines of its own)');
    assert.equal(extractBody('').reason, 'empty body');
    assert.equal(extractBody('Thanks, applied to gizmo-next.\n').reason, 'prose only, 1 line; no diff or code');
    assert.match(
      extractBody(
        'The following changes since commit 6b1f3a5d9c0e2f4a8b7d6c5e4f3a2b1c0d9e8f7a:\n\n  gizmo: v6.10-rc1\n\nare available in the Git repository at:\n\n  https://git.example.org/gizmo.git tags/gizmo-fixes\n',
      ).reason!,
      /pull request/,
    );
  });

  it('base-commit goes to the patch it follows; a cover letter reports its own', () => {
    const ex = extractBody(
      [
        '--- a/lib/g.c',
        '+++ b/lib/g.c',
        '@@ -1,1 +1,1 @@',
        '-int a;',
        '+int b;',
        '',
        'base-commit: 0123456789abcdef0123456789abcdef01234567',
        '-- ',
        '2.45.1',
        '',
      ].join('\n'),
    );
    assert.equal(ex.patches[0]!.baseCommit, '0123456789abcdef0123456789abcdef01234567');
    assert.deepEqual(ex.baseCommits, ['0123456789abcdef0123456789abcdef01234567']);
  });

  it('an attachment without a patch is accounted for in the notes', () => {
    const m = bodyMessage('See the attached log.\n');
    m.attachments.push({ filename: 'dmesg.txt', contentType: 'text/plain', text: '[    1.234] gizmo: probe failed\n' });
    const ex = extractPatches(m);
    assert.deepEqual(ex.patches, []);
    assert.match(ex.notes.join('\n'), /^attachment dmesg\.txt: no patch \(prose only/);
  });

  it('every message of every fixture is accounted for, in JSON and text', async () => {
    const files = readdirSync(FIXTURES)
      .sort()
      .map((f) => fixture(f));
    const res = await scanMessages(files);
    const { doc } = res;
    assert.equal(doc.inputs.length, files.length);
    assert.equal(
      doc.messages.length,
      doc.inputs.reduce((a, i) => a + i.messages, 0),
    );
    for (const m of doc.messages) {
      assert.ok(m.status === 'ok' || m.status === 'no-patch', `${m.input}#${m.index}: ${m.status} ${m.error}`);
      if (m.status === 'no-patch') assert.ok(m.note, `${m.input}#${m.index} says why it has no patch`);
      else assert.ok(m.patches.length > 0);
      assert.ok(m.series, `${m.input}#${m.index} has a series position`);
    }
    assert.equal(doc.patches.length, res.patches.length);
    assert.deepEqual(
      doc.patches.map((p) => p.id),
      doc.messages.flatMap((m) => m.patches),
    );
    const text = formatScanText(doc);
    for (const m of doc.messages) assert.ok(text.includes(`${m.input}#${m.index}`), `${m.input}#${m.index} in the text output`);
    for (const i of doc.inputs) assert.ok(text.includes(`${i.path}: ${i.kind}`));
    assert.match(text, /no patch: a reply that quotes no code/);
    assert.match(text, /patch 1: quoted code with line numbers, quoted at depth 3/);
    assert.match(text, /\[v3 2\/4\] \[PATCH net-next v3 2\/4\]/);
    assert.match(text, /drivers\/misc\/gizmo\/gizmo-ring\.h \(renamed from drivers\/misc\/gizmo\/gizmo-old\.h\) 1 hunk/);
    assert.match(text, /drivers\/misc\/gizmo\/fw\/logo\.bin \(new file, binary\)/);
  });
});

// Patch stage: subject tags, series ids stable across versions, the document's series list, and the
// order patches of a series are applied in.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fixture } from './helpers.js';
import { parseSubject } from '../../src/patch/subject.js';
import { authorKey, quotedAuthor } from '../../src/patch/series.js';
import { attributionOf } from '../../src/patch/markers.js';
import { scanMessages } from '../../src/pipeline.js';
import { applicationGroups } from '../../src/review.js';

describe('patch: series', () => {
  it('subject tags in any order and number', () => {
    const cases: [string, Partial<ReturnType<typeof parseSubject>>][] = [
      ['[PATCH v2 38/65] dm-thing: make it ready', { version: 2, number: 38, total: 65, title: 'dm-thing: make it ready', tags: [], patch: true }],
      ['[Devel] [PATCH vz9 v2 38/65] gizmo: split', { version: 2, number: 38, total: 65, tags: ['Devel', 'vz9'], title: 'gizmo: split' }],
      ['[RFC PATCH] gizmo: batch', { rfc: true, version: 1, number: null, tags: ['RFC'], title: 'gizmo: batch' }],
      ['[PATCH net-next v3 0/7] gizmo: rework', { version: 3, number: 0, total: 7, tags: ['net-next'] }],
      ['[PATCH RESEND v2 1/3] gizmo: x', { resend: true, version: 2, number: 1, total: 3, tags: ['RESEND'] }],
      ['[PATCHv4 2/3] gizmo: x', { version: 4, number: 2, total: 3 }],
      ['[PATCH 1/2 v5] gizmo: x', { version: 5, number: 1, total: 2 }],
      ['[RFC v2 2/5] gizmo: x', { rfc: true, version: 2, number: 2, total: 5 }],
      ['[RFC][PATCH 3/4] gizmo: x', { rfc: true, number: 3, total: 4 }],
      ['Re: [PATCH 2/3] zram-like: x', { reply: true, number: 2, total: 3, title: 'zram-like: x' }],
      ['AW: Re: [PATCH] gizmo: x', { reply: true, title: 'gizmo: x' }],
      ['Fwd: [PATCH v2] gizmo: x', { forward: true, version: 2 }],
      ['RE[2]: [PATCH 6.6 034/123] gizmo: x', { reply: true, number: 34, total: 123, tags: ['6.6'] }],
      ['[GIT PULL] gizmo fixes for 6.10-rc3', { patch: false, tags: ['GIT', 'PULL'], title: 'gizmo fixes for 6.10-rc3' }],
      ['[dm-devel] Re: [PATCH] gizmo: x', { reply: true, tags: ['dm-devel'], title: 'gizmo: x' }],
      ['gizmo: no tags at all', { patch: false, version: 1, number: null, title: 'gizmo: no tags at all' }],
    ];
    for (const [s, want] of cases) {
      const got = parseSubject(s);
      for (const [k, v] of Object.entries(want)) assert.deepEqual(got[k as keyof typeof got], v, `${s}: ${k}`);
    }
  });

  it('authors and attributions', () => {
    assert.equal(authorKey('Jörg Tëster <jt@example.org>'), 'jorg tester');
    assert.equal(authorKey('"Tester, Jörg" <jt@example.org>'), 'tester jorg');
    assert.equal(authorKey('jt@example.org'), 'jt@example.org');
    assert.equal(attributionOf('On Tue, 21 Nov 2017, Ann Author wrote:'), 'Ann Author');
    assert.equal(attributionOf('On (09/22/16 15:42), Ann Author wrote:'), 'Ann Author');
    assert.equal(attributionOf('Ann Author <ann@example.org> wrote:'), 'Ann Author <ann@example.org>');
    assert.equal(attributionOf('On Mon, Jun 10, 2024 at 09:00:02AM +0200, Ann Author wrote:'), 'Ann Author');
    assert.equal(attributionOf('I wrote:'), null);
    assert.equal(
      quotedAuthor('On 1/2/2024, Bo wrote:\n-----Original Message-----\nFrom: Ann Author <ann@example.org>\nSent: today\n\nx\n'),
      'Ann Author <ann@example.org>',
    );
  });

  it('one series across versions: ids from the cover letter, replies attached, another author apart', async () => {
    const res = await scanMessages([fixture('series-v1.mbox'), fixture('series-v2.mbox'), fixture('prose-only.eml')]);
    const { doc } = res;
    const msgs = doc.messages;
    const ids = new Set(msgs.slice(0, 7).map((m) => m.series!.id));
    assert.equal(ids.size, 1, 'v1 and v2 cover, patches and the reply share one series id');
    assert.equal(msgs[8]!.series!.id, msgs[0]!.series!.id, 'the v3 cover letter too');
    assert.notEqual(msgs[7]!.series!.id, msgs[0]!.series!.id, "another author's patch with the same title is its own series");
    const s = doc.series.find((x) => x.id === msgs[0]!.series!.id)!;
    assert.equal(s.title, 'gizmo: ring locking fixes');
    assert.equal(s.author, 'Ann Author <ann@example.org>');
    assert.deepEqual(
      s.versions.map((v) => [
        v.version,
        v.total,
        v.messages.map((m) => m.number),
        v.patches.length,
        v.replies.length,
        v.replyPatches.length,
        v.cover?.index ?? null,
      ]),
      [
        [1, 2, [0, 1, 2], 2, 0, 0, 1],
        [2, 2, [0, 1, 2], 2, 1, 1, 1],
        [3, 4, [0], 0, 0, 0, 1],
      ],
    );
    assert.equal(s.versions[1]!.baseCommit, '6b1f3a5d9c0e2f4a8b7d6c5e4f3a2b1c0d9e8f7a');
    const reply = msgs[3 + 3]!;
    assert.deepEqual([reply.series!.reply, reply.series!.version, reply.series!.number], [true, 2, 2]);
    // the patches carry their series position and the cover's base-commit
    const v2p1 = res.patches.find((p) => p.subject.startsWith('[PATCH v2 1/2]'))!;
    assert.deepEqual(v2p1.series, { id: s.id, version: 2, number: 1, total: 2, reply: false });
    assert.equal(v2p1.baseCommit, '6b1f3a5d9c0e2f4a8b7d6c5e4f3a2b1c0d9e8f7a');
    // every message is in exactly one series entry
    const listed = doc.series.flatMap((x) => x.versions.flatMap((v) => [...v.messages, ...v.replies])).map((r) => `${r.input}#${r.index}`);
    assert.deepEqual(listed.slice().sort(), msgs.map((m) => `${m.input}#${m.index}`).sort());
    const listedPatches = doc.series.flatMap((x) => x.versions.flatMap((v) => [...v.patches, ...v.replyPatches]));
    assert.deepEqual(listedPatches.sort(), doc.patches.map((p) => p.id).sort());
  });

  it('applicationGroups: a series version in number order, a message with several diffs together, the rest alone', async () => {
    const res = await scanMessages([fixture('series-v1.mbox'), fixture('series-v2.mbox'), fixture('inbody-patches.eml'), fixture('quoted-review.eml')]);
    const groups = applicationGroups(res.patches).map((g) => g.map((p) => p.subject));
    assert.deepEqual(groups, [
      ['[PATCH 1/2] gizmo: take the ring lock in the reset path', '[PATCH 2/2] gizmo: hold the ring lock in the timeout handler'],
      ['[PATCH v2 1/2] gizmo: take the ring lock in the reset path', '[PATCH v2 2/2] gizmo: hold the ring lock in the timeout handler'],
      ['Re: [PATCH v2 2/2] gizmo: hold the ring lock in the timeout handler'],
      ['[PATCH] gizmo: take the ring lock in the reset path'],
      [
        '[PATCH 1/2] gizmo: take the ring lock in the reset path',
        '[PATCH 2/2] gizmo: hold the ring lock in the timeout handler',
        'Re: [PATCH 1/2] gizmo: take the ring lock in the reset path',
      ],
      ['Re: [PATCH v2 3/5] gizmo: defer the doorbell write to the worker'],
    ]);
  });

  it('patches sent without threading (format-patch into one file) are one series when they follow each other', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const mail = (n: number, title: string, author = 'Ada Example <ada@example.org>'): string =>
      `From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\nFrom: ${author}\nSubject: [PATCH ${n}/3] ${title}\nMessage-Id: <p${n}.${author.length}@example.org>\n\n${title}.\n---\ndiff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1,3 +1,3 @@ int f(void)\n {\n-\treturn ${n - 1};\n+\treturn ${n};\n }\n-- \n2.43.0\n\n`;
    const dir = mkdtempSync(join(tmpdir(), 'kreview-series-'));
    const path = join(dir, 'run.mbox');
    writeFileSync(path, mail(1, 'gizmo: one') + mail(2, 'gizmo: two') + mail(3, 'gizmo: three') + mail(2, 'other: two', 'Bo Other <bo@example.net>'));
    const res = await scanMessages([path]);
    const groups = applicationGroups(res.patches).map((g) => g.map((p) => p.subject));
    assert.deepEqual(groups, [['[PATCH 1/3] gizmo: one', '[PATCH 2/3] gizmo: two', '[PATCH 3/3] gizmo: three'], ['[PATCH 2/3] other: two']]);
    assert.equal(res.doc.series.filter((x) => x.author.startsWith('Ada')).length, 1);
  });
});

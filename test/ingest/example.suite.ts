// Ingest: the README's example thread (fixtures/mail/example.mbox) reads as a 4-message series with valid diffs.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { readInput } from './helpers.js';

const EXAMPLE = fileURLToPath(new URL('../../fixtures/mail/example.mbox', import.meta.url));

/** Every hunk's declared counts match its lines (the body must hold a well-formed git diff). */
function checkHunks(body: string): number {
  const lines = body.split('\n');
  let hunks = 0;
  for (let i = 0; i < lines.length; i++) {
    const h = /^@@ -(\d+),(\d+) \+(\d+),(\d+) @@/.exec(lines[i]!);
    if (!h) continue;
    hunks++;
    let oldN = 0;
    let newN = 0;
    let j = i + 1;
    for (; j < lines.length && (oldN < Number(h[2]) || newN < Number(h[4])); j++) {
      const c = lines[j]![0];
      if (c === ' ') {
        oldN++;
        newN++;
      } else if (c === '-') oldN++;
      else if (c === '+') newN++;
      else assert.fail(`line ${j + 1} inside a hunk: ${JSON.stringify(lines[j])}`);
    }
    assert.deepEqual([oldN, newN], [Number(h[2]), Number(h[4])], lines[i]);
    assert.ok(/^(?:diff --git |-- $|@@ )/.test(lines[j] ?? '-- '), `hunk ends at ${JSON.stringify(lines[j])}`);
  }
  return hunks;
}

describe('ingest/example', () => {
  it('is a cover letter, two patches and a review reply, threaded', async () => {
    const { summary, messages } = await readInput(EXAMPLE);
    assert.equal(summary.kind, 'mbox');
    assert.deepEqual(summary.errors, []);
    assert.deepEqual(
      messages.map((m) => m.subject),
      [
        '[PATCH v2 0/2] misc: demo: fix a kmap leak and validate queued requests',
        '[PATCH v2 1/2] misc: demo: unmap the page when the length check fails',
        '[PATCH v2 2/2] misc: demo: validate and account requests before queueing them',
        'Re: [PATCH v2 2/2] misc: demo: validate and account requests before queueing them',
      ],
    );
    const [cover, p1, p2, reply] = messages as [(typeof messages)[0], (typeof messages)[0], (typeof messages)[0], (typeof messages)[0]];
    assert.equal(p1.inReplyTo, cover.messageId);
    assert.equal(p2.inReplyTo, cover.messageId);
    assert.equal(reply.inReplyTo, p2.messageId);
    assert.deepEqual(reply.references, [cover.messageId, p2.messageId]);
    assert.match(cover.body, /^base-commit: [0-9a-f]{40}$/m);
    for (const p of [p1, p2]) {
      assert.match(p.body, /^diff --git a\/drivers\/misc\/demo\/demo-core\.c b\/drivers\/misc\/demo\/demo-core\.c$/m);
      assert.match(p.body, /^index [0-9a-f]{12}\.\.[0-9a-f]{12} 100644$/m);
      assert.match(p.body, /^-- $/m);
      assert.equal(checkHunks(p.body), 1);
    }
    assert.match(p1.body, /^\+\t\tkunmap_local\(vaddr\);$/m);
    assert.match(p2.body, /^\+\t\tgoto err;$/m);
    assert.match(reply.body, /^> \+\t\tgoto err;$/m);
    assert.match(reply.body, /dd->lock stays held/);
    assert.ok(messages.every((m) => m.error === null && m.damage.length === 0 && m.date !== null));
  });
});

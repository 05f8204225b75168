// Ingest: mail saved from web archives as text (pipermail, hypermail, Outlook-quoted replies), and the seeds.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArchiveText } from '../../src/ingest/archive.js';
import { fixture, readInput } from './helpers.js';

const SEEDS = fileURLToPath(new URL('../../../shared/seeds/', import.meta.url));

/** The body keeps the file's lines up to the archive footer, so line N of the body is line N of the file. */
function sameLines(body: string, file: string): void {
  const b = body.split('\n');
  const f = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < b.length - 1; i++) assert.equal(b[i], f[i], `line ${i + 1}`);
}

describe('ingest/archive', () => {
  it('reads a pipermail page: subject line, "name at domain" sender, date, footer cut', async () => {
    const path = fixture('pipermail.txt');
    const { summary, messages } = await readInput(path);
    assert.equal(summary.kind, 'archive-text');
    const m = messages[0]!;
    assert.equal(m.subject, '[Acme-devel] [PATCH v2 3/7] acme: defer ring teardown to the reset worker');
    assert.equal(m.from, 'Erin Example <erin.example@example.com>');
    assert.equal(m.date, '2024-03-14T15:05:09.000Z');
    assert.deepEqual(m.damage, ['archive-text']);
    assert.doesNotMatch(m.body, /More information about/);
    assert.match(m.body, /^\+\t\t\tspin_unlock_bh\(&ring->lock\);$/m);
    sameLines(m.body, path);
  });

  it('reads a web archive copy: junk glued to the subject, From:/Date: lines', async () => {
    const m = (await readInput(fixture('webarchive.txt'))).messages[0]!;
    assert.equal(m.subject, 'Re: [PATCH 4/9] acme: rework the statistics under the ring lock');
    assert.equal(m.from, 'Frank Reviewer');
    assert.equal(m.date, '2024-04-05T08:12:44.000Z');
    assert.match(m.body, /^> \+ if \(!ring->stats\)$/m);
  });

  it('reads an Outlook-quoted reply: subject from the Original Message, sender from the attribution', async () => {
    const path = fixture('outlook-reply.txt');
    const m = (await readInput(path)).messages[0]!;
    assert.equal(m.subject, 'Re: [PATCH 4/9] acme: rework the statistics under the ring lock');
    assert.equal(m.from, 'Gina Tester');
    assert.equal(m.date, null); // "05/04/2024": day and month cannot be told apart, and the quoted Sent: is not this date
    assert.doesNotMatch(m.body, /Reply via email/);
    sameLines(m.body, path);
  });

  it('still makes a message of text with nothing of mail in it', async () => {
    const { summary, messages } = await readInput(fixture('prose.txt'));
    assert.equal(summary.kind, 'archive-text');
    assert.equal(messages.length, 1);
    assert.equal(messages[0]!.subject, 'Some notes I took while reading the acme driver.');
    assert.equal(messages[0]!.error, null);
    for (const odd of ['', '\n\n\n', '>>> only quotes\n', 'On , wrote:\n', '-----Original Message-----\n', 'x'.repeat(5000)]) {
      const m = parseArchiveText(odd, { input: 'odd', index: 1 });
      assert.deepEqual(m.damage, ['archive-text']);
      assert.equal(m.error, null);
    }
  });

  it('reads each seed thread as one archive-text message with its subject and sender', { skip: !existsSync(SEEDS) && 'no ../shared/seeds' }, async () => {
    const want: Record<string, [string, string]> = {
      '000': [
        '[Devel] [PATCH vz9 v2 38/65] dm-ploop: make ploop_bat_write_complete ready for parallel pio completion',
        'Konstantin Khorenko <khorenko@virtuozzo.com>',
      ],
      '001': ['[Devel] [PATCH vz9 v2] dm-ploop: fix and rework md updates', 'Alexander Atanasov <alexander.atanasov@virtuozzo.com>'],
      '002': ["Re: [dm-devel] new patchset to eliminate DM's use of BIOSET_NEED_RESCUER", 'NeilBrown'],
      '003': ['Re: [PATCH 19/26] netfs: New writeback implementation', 'Naveen Mamindlapalli'],
      '004': ['Re: [PATCH 2/3] zram: support page-based parallel write', 'Sergey Senozhatsky'],
    };
    const files = readdirSync(SEEDS)
      .filter((f) => f.endsWith('.txt'))
      .sort();
    assert.ok(files.length >= 5);
    for (const f of files) {
      const path = join(SEEDS, f);
      const { summary, messages } = await readInput(path);
      assert.equal(summary.kind, 'archive-text', f);
      assert.equal(messages.length, 1, f);
      const m = messages[0]!;
      assert.ok(m.damage.includes('archive-text'), f);
      assert.equal(m.error, null, f);
      assert.ok(m.date, `${f}: a date`);
      const w = want[f.slice(0, 3)];
      if (w) {
        assert.equal(m.subject, w[0], f);
        assert.equal(m.from, w[1], f);
      }
      sameLines(m.body, path);
    }
  });
});

// Reply mails: one per patch that introduces something, threaded under it, the hunk quoted down to
// the flagged line with the finding right under it, how to reproduce, the trailers to add. Every
// .eml is parsed back with mailparser.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { simpleParser, type ParsedMail, type AddressObject } from 'mailparser';
import { runCli as run } from '../support/cli.js';

const addrs = (a: AddressObject | AddressObject[] | undefined): string[] =>
  a ? (Array.isArray(a) ? a : [a]).flatMap((x) => x.value.map((v) => v.address ?? '')) : [];

/** A patch adding a file with two functions, each leaving its lock held on an error return. */
const TWO_BUGS = [
  'From: Cy Author <cy@example.com>',
  'To: drivers-devel@example.org',
  'Cc: Dee Maint <dee@example.org>, cy@example.com',
  'Subject: [PATCH] gizmo: add the gizmo core',
  'Message-ID: <gizmo-1@example.com>',
  'Date: Thu, 13 Jun 2024 08:00:00 +0000',
  '',
  'Add the core of the gizmo driver.',
  '',
  'Signed-off-by: Cy Author <cy@example.com>',
  '---',
  'diff --git a/drivers/misc/gizmo.c b/drivers/misc/gizmo.c',
  'new file mode 100644',
  'index 000000000000..1111111111aa',
  '--- /dev/null',
  '+++ b/drivers/misc/gizmo.c',
  '@@ -0,0 +1,24 @@',
  '+static int gizmo_start(struct gizmo *g)',
  '+{',
  '+\tmutex_lock(&g->lock);',
  '+\tif (g->running)',
  '+\t\treturn -EBUSY;',
  '+\tg->running = true;',
  '+\tmutex_unlock(&g->lock);',
  '+\treturn 0;',
  '+}',
  '+',
  '+static int gizmo_set(struct gizmo *g, int v)',
  '+{',
  '+\tspin_lock(&g->slock);',
  '+\tif (v < 0)',
  '+\t\treturn -EINVAL;',
  '+\tg->value = v;',
  '+\tspin_unlock(&g->slock);',
  '+\treturn 0;',
  '+}',
  '+',
  '+static void gizmo_stop(struct gizmo *g)',
  '+{',
  '+\tg->running = false;',
  '+}',
  '-- ',
  '2.39.5',
  '',
].join('\n');

describe('email reports', () => {
  let dir: string;
  const mails = async (outDir: string): Promise<{ name: string; raw: string; mail: ParsedMail }[]> => {
    const out = [];
    for (const name of readdirSync(outDir).sort()) {
      const raw = readFileSync(join(outDir, name), 'utf8');
      out.push({ name, raw, mail: await simpleParser(raw) });
    }
    return out;
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kreview-email-'));
    writeFileSync(join(dir, 'gizmo.patch'), TWO_BUGS);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('replies to the patch that introduced something, threaded under it, and to nothing else', async () => {
    const out = join(dir, 'example');
    const r = await run(['scan', '-f', 'email', '--out-dir', out, 'fixtures/mail/example.mbox']);
    assert.equal(r.code, 1);
    assert.match(r.err, /1 reply mail for 1 introduced finding/);
    const [m, ...rest] = await mails(out);
    assert.equal(rest.length, 0, 'patch 1/2 only fixes something: no mail for it');
    assert.equal(m!.mail.subject, 'Re: [PATCH v2 2/2] misc: demo: validate and account requests before queueing them');
    assert.equal(m!.mail.inReplyTo, '<20240611073012.18211-3-ada@example.org>');
    assert.deepEqual(m!.mail.references, ['<20240611073012.18211-1-ada@example.org>', '<20240611073012.18211-3-ada@example.org>']);
    assert.match(m!.mail.messageId ?? '', /^<kreview-[0-9a-f]{20}@localhost>$/);
    assert.deepEqual(addrs(m!.mail.from), ['kreview@localhost']);
    assert.deepEqual(addrs(m!.mail.to), [], 'addressing is off by default');
    assert.deepEqual(addrs(m!.mail.cc), []);
    const text = m!.mail.text!;
    const lines = text.split('\n');
    // Interleaved: the attribution, the quoted hunk down to the flagged line, then the finding.
    const attr = lines.findIndex((l) => /^On .*, Ada Example <ada@example\.org> wrote:$/.test(l));
    const hunk = lines.findIndex((l) => l.startsWith('> @@ -'));
    const finding = lines.findIndex((l) => l.startsWith('drivers/misc/demo/demo-core.c:59 demo_queue_request() error: inconsistent returns'));
    assert.ok(attr > 0 && hunk > attr && finding > hunk, text);
    assert.equal(lines[finding - 2], '> +\treturn ret;', 'the flagged line is the last one quoted');
    assert.ok(
      lines.slice(hunk, finding - 1).every((l) => l.startsWith('>')),
      'nothing but the quote above the finding',
    );
    assert.match(text, /^ {2}kreview scan fixtures\/mail\/example\.mbox$/m);
    assert.match(text, /b4 am -o - 20240611073012\.18211-3-ada@example\.org \| kreview scan -/);
    assert.match(text, /^Reported-by: kreview <kreview@localhost>$/m);
    assert.ok(text.includes(`Closes: https://lore.kernel.org/r/${m!.mail.messageId!.slice(1, -1)}`), 'Closes: names this report');
    assert.match(m!.raw, /^X-Kreview-Fingerprints: lock-leak:[0-9a-f]{12}/m);
  });

  it('puts each finding under its own line, and addresses the thread when asked to', async () => {
    const cfg = join(dir, 'reply.yaml');
    writeFileSync(cfg, 'email:\n  from: "Gizmo Bot <bot@ci.example.org>"\n  reply-all: true\n  archive: https://lists.example.org/r/\n');
    const out = join(dir, 'gizmo');
    await run(['scan', '-f', 'email', '--out-dir', out, '--config', cfg, join(dir, 'gizmo.patch')]);
    const [m, ...rest] = await mails(out);
    assert.equal(rest.length, 0, 'one patch, one mail');
    assert.equal(m!.mail.subject, 'Re: [PATCH] gizmo: add the gizmo core');
    assert.deepEqual(addrs(m!.mail.from), ['bot@ci.example.org']);
    assert.deepEqual(addrs(m!.mail.to), ['cy@example.com']);
    assert.deepEqual(addrs(m!.mail.cc), ['drivers-devel@example.org', 'dee@example.org'], 'the recipients, without the author twice');
    assert.deepEqual([m!.mail.references].flat(), ['<gizmo-1@example.com>']);
    const lines = m!.mail.text!.split('\n');
    const first = lines.findIndex((l) => l.startsWith('drivers/misc/gizmo.c:5 gizmo_start() error:'));
    const second = lines.findIndex((l) => l.startsWith('drivers/misc/gizmo.c:15 gizmo_set() error:'));
    assert.ok(first > 0 && second > first, m!.mail.text);
    assert.equal(lines[first - 2], '> +\t\treturn -EBUSY;');
    assert.equal(lines[second - 2], '> +\t\treturn -EINVAL;');
    // The second quote continues where the first stopped, not from the hunk's start again.
    const between = lines.slice(first, second);
    assert.ok(!between.includes('> +static int gizmo_start(struct gizmo *g)'));
    assert.ok(between.includes('> +static int gizmo_set(struct gizmo *g, int v)'));
    assert.match(m!.mail.text!, /^Closes: https:\/\/lists\.example\.org\/r\/kreview-[0-9a-f]{20}@ci\.example\.org$/m);
  });

  it('writes nothing for a run with nothing introduced', async () => {
    const out = join(dir, 'none');
    const r = await run(['check', '-f', 'email', '--out-dir', out, 'fixtures/c/lock-leak/ladders.c']);
    assert.equal(readdirSync(out).length, 0);
    assert.match(r.err, /0 reply mails/);
  });
});

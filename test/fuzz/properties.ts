// Fuzzing kreview's untrusted-input paths (fast-check): mail, diffs and C, generated from grammars
// of their own and mutated from the fixtures. Every property requires that no exception escapes;
// the mail ones also that every message is accounted for and that good messages next to a damaged
// one come out exactly as they do without it. `npm test` runs them briefly with a fixed seed;
// `npm run fuzz -- --runs N` runs them long.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { scanMessages, type ScanDocument } from '../../src/pipeline.js';
import { checkFile, reviewPatches } from '../../src/review.js';
import { defaultSemantics } from '../../src/semantics/load.js';
import { ringFixDiff } from '../support/snippets.js';

const sem = defaultSemantics();
const root = join(import.meta.dirname, '../..');

const word = fc.stringMatching(/^[a-z]{2,8}$/);

/** One patch mail (an mbox entry) whose diff adds an unlock to an error path of a made-up driver. */
function patchMail(n: number, words: string[]): string {
  const file = `drivers/misc/${words[0]}/${words[1]}${n}.c`;
  return [
    `From dev@example.org Tue Apr  9 08:00:0${n % 10} 2024`,
    'From: A Developer <dev@example.org>',
    `Subject: [PATCH] ${words[0]}: ${words.slice(1).join(' ')} ${n}`,
    `Date: Tue, 9 Apr 2024 08:00:0${n % 10} +0200`,
    `Message-ID: <fuzz-${n}-${words.join('-')}@example.org>`,
    '',
    `The ${words[2]} path returns with the lock held.`,
    '',
    '---',
    ringFixDiff({ file, ring: words[0], fill: `${words[1]}_fill`, at: 10 + n, index: false }),
    '',
  ].join('\n');
}

/** Damage done to one message: none of it may reach its neighbours. */
const damage = fc.oneof(
  fc.record({ k: fc.constant('nul' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ k: fc.constant('bytes' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  fc.record({ k: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ k: fc.constant('no-blank' as const) }),
  fc.record({ k: fc.constant('header-junk' as const), junk: fc.string({ maxLength: 40 }) }),
);

/** Apply damage inside the message after its envelope line (never creating a new `\nFrom ` boundary). */
type Damage = typeof damage extends fc.Arbitrary<infer T> ? T : never;

function damaged(mail: string, d: Damage): Buffer {
  const nl = mail.indexOf('\n') + 1;
  const head = Buffer.from(mail.slice(0, nl));
  let body = Buffer.from(mail.slice(nl));
  const at = (x: number): number => 1 + (x % Math.max(1, body.length - 2));
  switch (d.k) {
    case 'nul': {
      const i = at(d.at);
      body = Buffer.concat([body.subarray(0, i), Buffer.alloc(d.n), body.subarray(i)]);
      break;
    }
    case 'bytes': {
      const i = at(d.at);
      // Never a line break: a line of its own could look like an envelope.
      const bytes = Buffer.from(d.bytes.map((b: number) => (b === 10 || b === 13 ? 32 : b)));
      body = Buffer.concat([body.subarray(0, i), bytes, body.subarray(i)]);
      break;
    }
    case 'truncate':
      body = body.subarray(0, at(d.at));
      if (body[body.length - 1] !== 10) body = Buffer.concat([body, Buffer.from('\n\n')]);
      break;
    case 'no-blank':
      body = Buffer.from(body.toString('latin1').replace(/\n\n/, '\n'), 'latin1');
      break;
    case 'header-junk':
      body = Buffer.concat([Buffer.from(`${d.junk.replace(/[\r\n]/g, ' ')}\n`), body]);
      break;
  }
  // The next message's envelope must start a line after a blank one.
  if (!body.toString('latin1').endsWith('\n\n')) body = Buffer.concat([body, Buffer.from(body[body.length - 1] === 10 ? '\n' : '\n\n')]);
  return Buffer.concat([head, body]);
}

/** What a good message gives: its subject, status and the files and hunks of its patches. */
function view(doc: ScanDocument, subject: string): string {
  const m = doc.messages.filter((x) => x.subject === subject);
  return JSON.stringify(
    m.map((x) => ({
      status: x.status,
      error: x.error,
      patches: x.patches.map((id) =>
        doc.patches.find((p) => p.id === id)?.files.map((f) => [f.path, f.hunks.map((h) => [h.oldStart, h.oldLines, h.newStart, h.newLines])]),
      ),
    })),
  );
}

export interface Property {
  name: string;
  // biome-ignore lint/suspicious/noExplicitAny: properties of different argument tuples run alike
  prop: fc.IAsyncProperty<any>;
}

const mailProperty = fc.asyncProperty(
  fc.array(fc.array(word, { minLength: 3, maxLength: 3 }), { minLength: 2, maxLength: 4 }),
  fc.nat(),
  damage,
  async (wordsList, which, d) => {
    const mails = wordsList.map((w, i) => patchMail(i + 1, w));
    const bad = which % mails.length;
    const clean = await scanMessages([{ name: 'clean.mbox', text: Buffer.from(mails.filter((_, i) => i !== bad).join('')) }]);
    const mixed = await scanMessages([{ name: 'mixed.mbox', text: Buffer.concat(mails.map((m, i) => (i === bad ? damaged(m, d) : Buffer.from(m)))) }]);
    // Every message is in the output: the good ones and the damaged one (as a message or an error).
    assert.ok(mixed.doc.messages.length >= mails.length, `${mixed.doc.messages.length} messages for ${mails.length}`);
    for (const [i, m] of mails.entries()) {
      if (i === bad) continue;
      const subject = /^Subject: (.*)$/m.exec(m)![1]!;
      assert.equal(view(mixed.doc, subject), view(clean.doc, subject), subject);
    }
  },
);

const bytesProperty = fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), fc.constantFrom('x.mbox', 'x.eml', 'x.patch', 'x.txt'), async (bytes, name) => {
  const r = await scanMessages([{ name, text: Buffer.from(bytes) }]);
  // Accounted for: read as messages, or said to be unreadable.
  assert.ok(r.doc.messages.length > 0 || r.unreadable.length > 0 || r.doc.inputs.length > 0);
});

/** A diff, then lines dropped, repeated, renumbered or mangled: extraction and hunk-mode review never throw. */
const diffProperty = fc.asyncProperty(
  fc.array(word, { minLength: 3, maxLength: 3 }),
  fc.array(
    fc.oneof(
      fc.record({ k: fc.constant('drop' as const), at: fc.nat() }),
      fc.record({ k: fc.constant('dup' as const), at: fc.nat() }),
      fc.record({ k: fc.constant('strip' as const), at: fc.nat() }),
      fc.record({ k: fc.constant('insert' as const), at: fc.nat(), text: fc.string({ maxLength: 30 }) }),
      fc.record({ k: fc.constant('renumber' as const), a: fc.oneof(fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER)), b: fc.nat(), big: fc.boolean() }),
    ),
    { maxLength: 6 },
  ),
  async (words, edits) => {
    const lines = patchMail(1, words).split('\n');
    for (const e of edits) {
      const i = 'at' in e ? 1 + (e.at % (lines.length - 1)) : 0;
      if (e.k === 'drop') lines.splice(i, 1);
      else if (e.k === 'dup') lines.splice(i, 0, lines[i]!);
      else if (e.k === 'strip') lines[i] = lines[i]!.replace(/^[ +-]/, '');
      else if (e.k === 'insert') lines.splice(i, 0, e.text.replace(/[\r\n]/g, ' '));
      else {
        const h = lines.findIndex((l) => l.startsWith('@@'));
        if (h >= 0) lines[h] = `@@ -${e.big ? '98765432109876543210' : e.a},${e.b} +${e.a},${e.b + 1} @@`;
      }
    }
    const r = await scanMessages([{ name: 'diff.mbox', text: Buffer.from(lines.join('\n')) }]);
    await reviewPatches(r.patches, { sem });
  },
);

const cFiles = (() => {
  const out: string[] = [];
  const dir = join(root, 'fixtures/c');
  for (const rule of readdirSync(dir).sort())
    for (const f of readdirSync(join(dir, rule)).sort()) if (f.endsWith('.c')) out.push(readFileSync(join(dir, rule, f), 'utf8'));
  return out;
})();

/** A fixture C file with bytes cut, repeated or inserted (braces, parens, directives): checking it never throws. */
const cProperty = fc.asyncProperty(
  fc.nat(),
  fc.array(
    fc.record({
      at: fc.nat(),
      len: fc.integer({ min: 0, max: 200 }),
      insert: fc.oneof(
        fc.constantFrom('{', '}', '(', ')', ';', '#if 0\n', '#endif\n', '/*', '*/', 'goto out;', 'out:', '"', "'", '\\\n', 'else'),
        fc.string({ maxLength: 20 }),
      ),
    }),
    { minLength: 1, maxLength: 5 },
  ),
  async (pick, edits) => {
    let text = cFiles[pick % cFiles.length]!;
    for (const e of edits) {
      const i = e.at % (text.length + 1);
      text = text.slice(0, i) + e.insert + text.slice(i + e.len);
    }
    const r = await checkFile('fuzz.c', text, { sem });
    assert.ok(Array.isArray(r.findings));
  },
);

export const properties: Property[] = [
  { name: 'mail: a damaged message leaves its neighbours as they were', prop: mailProperty },
  { name: 'mail: any bytes are read or refused, never thrown on', prop: bytesProperty },
  { name: 'diffs: mangled patches are extracted and reviewed without an exception', prop: diffProperty },
  { name: 'C: mutated fixtures are checked without an exception', prop: cProperty },
];

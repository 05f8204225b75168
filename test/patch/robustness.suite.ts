// Patch stage on mangled mail: the fixtures with lines dropped, split, quoted, stripped of their
// prefix, tabs expanded, markers inserted. Extraction never throws and every Patch it gives is
// well formed (counts match lines, numbering runs on, comments point at real lines).
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { FIXTURES, fixture, messagesOf } from './helpers.js';
import { extractPatches, seriesOf } from '../../src/patch/index.js';
import type { Message } from '../../src/ingest/types.js';
import type { Patch } from '../../src/patch/types.js';
import { rng } from '../support/rng.js';

const INSERTS = [
  '[...]',
  '-- ',
  '@@ -1,2 +1,3 @@',
  'diff --git a/x.c b/x.c',
  '',
  '> > +',
  '-----',
  'From: Someone <s@example.org>',
  '1234 foo();',
  '\\ No newline at end of file',
  '>',
];

function mangle(r: () => number, body: string): string {
  const ls = body.split('\n');
  const n = 1 + Math.floor(r() * 8);
  for (let k = 0; k < n && ls.length; k++) {
    const i = Math.floor(r() * ls.length);
    switch (Math.floor(r() * 6)) {
      case 0:
        ls.splice(i, 1);
        break;
      case 1:
        ls[i] = `> ${ls[i]}`;
        break;
      case 2:
        ls[i] = ls[i]!.replace(/^[ +-]/, '');
        break;
      case 3: {
        const l = ls[i]!;
        const at = Math.floor(r() * l.length);
        ls.splice(i, 1, l.slice(0, at), l.slice(at));
        break;
      }
      case 4:
        ls.splice(i, 0, INSERTS[Math.floor(r() * INSERTS.length)]!);
        break;
      default:
        ls[i] = ls[i]!.replace(/\t/g, '        ');
    }
  }
  return ls.join('\n');
}

function wellFormed(p: Patch, lines: number, where: string): void {
  assert.ok(p.bodyLine >= 1 && p.bodyLine <= lines, `${where}: patch body line`);
  p.files.forEach((f, fi) => {
    assert.equal(f.path, f.newPath ?? f.oldPath, `${where}: path`);
    f.hunks.forEach((h, hi) => {
      const at = `${where} file ${fi} hunk ${hi}`;
      assert.equal(h.oldLines, h.lines.filter((l) => l.kind !== 'add').length, `${at}: old count`);
      assert.equal(h.newLines, h.lines.filter((l) => l.kind !== 'del').length, `${at}: new count`);
      let o: number | null = null;
      let n: number | null = null;
      for (const l of h.lines) {
        assert.ok(l.bodyLine >= 1 && l.bodyLine <= lines, `${at}: body line ${l.bodyLine}`);
        assert.equal(typeof l.text, 'string');
        if (l.kind !== 'add' && l.oldLine !== null) {
          if (o !== null) assert.equal(l.oldLine, o + 1, `${at}: old numbering`);
          o = l.oldLine;
        }
        if (l.kind !== 'del' && l.newLine !== null) {
          if (n !== null) assert.equal(l.newLine, n + 1, `${at}: new numbering`);
          n = l.newLine;
        }
        if (l.kind === 'add') assert.equal(l.oldLine, null);
        if (l.kind === 'del') assert.equal(l.newLine, null);
      }
      if (h.oldStart === null)
        assert.ok(
          h.lines.every((l) => l.oldLine === null || p.kind === 'code'),
          `${at}: no numbers without a header`,
        );
    });
  });
  for (const c of p.comments) {
    assert.ok(c.text.trim(), `${where}: empty comment`);
    if (c.after) assert.ok(p.files[c.after.file]?.hunks[c.after.hunk]?.lines[c.after.line], `${where}: comment after a missing line`);
  }
}

describe('patch: robustness on mangled mail', () => {
  let messages: Message[] = [];
  before(async () => {
    for (const f of readdirSync(FIXTURES).sort()) messages.push(...(await messagesOf(fixture(f))));
    messages = messages.filter((m) => !m.error);
  });

  it('never throws; every patch is well formed', () => {
    const r = rng(2024);
    let patches = 0;
    for (let round = 0; round < 30; round++) {
      for (const m of messages) {
        const body = mangle(r, m.body);
        const mm: Message = { ...m, body, attachments: m.attachments.map((a) => ({ ...a, text: mangle(r, a.text) })) };
        seriesOf(mm);
        const ex = extractPatches(mm);
        const ids = new Set(ex.patches.map((p) => p.id));
        assert.equal(ids.size, ex.patches.length, 'patch ids are unique');
        if (!ex.patches.length) assert.ok(ex.reason, `${m.origin.input}: a reason when nothing was found`);
        for (const p of ex.patches) {
          const from = p.from;
          const text = from === 'body' ? body : mm.attachments.find((a) => a.filename === from.attachment)!.text;
          wellFormed(p, text.split('\n').length, `${m.origin.input} round ${round}`);
          patches++;
        }
      }
    }
    assert.ok(patches > messages.length * 20);
  });
});

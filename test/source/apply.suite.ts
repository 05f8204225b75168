// The fuzz-tolerant hunk application, on its own.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyHunks, joinText, splitText } from '../../src/source/apply.js';
import type { Hunk, DiffLine } from '../../src/patch/types.js';

/** A hunk from ' ', '-', '+' prefixed lines; `\` after a line marks "no newline at end of file". */
function hunk(oldStart: number | null, body: string[]): Hunk {
  const lines: DiffLine[] = [];
  for (const raw of body) {
    if (raw.startsWith('\\')) {
      lines[lines.length - 1]!.noNewlineAtEnd = true;
      continue;
    }
    const kind = raw[0] === '+' ? 'add' : raw[0] === '-' ? 'del' : 'context';
    lines.push({ kind, text: raw.slice(1), oldLine: null, newLine: null, bodyLine: 1 });
  }
  const oldLines = lines.filter((l) => l.kind !== 'add').length;
  const newLines = lines.filter((l) => l.kind !== 'del').length;
  return { oldStart, newStart: oldStart, oldLines, newLines, declared: null, section: '', lines, bodyLine: 1 };
}

const file = (n: number): string => Array.from({ length: n }, (_, i) => `\tline_${i + 1}();`).join('\n') + '\n';

describe('source: applying hunks', () => {
  it('applies at the stated position and reports added and removed rows', () => {
    const r = applyHunks(splitText(file(10)), [hunk(4, [' \tline_4();', '-\tline_5();', '+\tfive();', '+\tfive_b();', ' \tline_6();'])]);
    assert.ok(r.ok);
    assert.deepEqual(r.notes, []);
    assert.deepEqual([...r.removed], [4]);
    assert.deepEqual([...r.added], [4, 5]);
    assert.equal(r.post.lines.length, 11);
    assert.equal(r.post.lines[5], '\tfive_b();');
  });

  it('finds a hunk at an offset, nearest first, and carries the offset to the next hunk', () => {
    const text = '\tx();\n'.repeat(30) + file(40);
    const r = applyHunks(splitText(text), [
      hunk(5, [' \tline_5();', ' \tline_6();', '-\tline_7();', ' \tline_8();']),
      hunk(20, [' \tline_20();', '+\tadded();', ' \tline_21();']),
    ]);
    assert.ok(r.ok);
    // like GNU patch, every hunk away from its stated line is reported; hunk 2 was found first try
    assert.deepEqual(r.notes, ['hunk 1 applied at line 35 (offset +30)', 'hunk 2 applied at line 50 (offset +30)']);
    assert.equal(r.post.lines[30 + 20 - 1], '\tadded();'); // one line removed by hunk 1
  });

  it("matches ignoring whitespace, keeping the tree's own context lines", () => {
    const r = applyHunks(splitText(file(6)), [hunk(2, [' line_2();', '-line_3();', '+three();', ' line_4();'])]);
    assert.ok(r.ok);
    assert.deepEqual(r.notes, ['hunk 1 matched ignoring whitespace']);
    assert.deepEqual(r.post.lines.slice(1, 4), ['\tline_2();', 'three();', '\tline_4();']);
  });

  it('uses fuzz when the outer context changed, never when too little would be left to place the hunk', () => {
    const pre = splitText(file(12).replace('\tline_3();', '\tline_3_renamed();'));
    const r = applyHunks(pre, [hunk(3, [' \tline_3();', ' \tline_4();', ' \tline_5();', '-\tline_6();', ' \tline_7();'])]);
    assert.ok(r.ok);
    assert.ok(r.notes.includes('hunk 1 applied with fuzz 1'));
    assert.deepEqual([...r.removed], [5]);
    // only braces would be left after dropping context: refuse rather than guess
    const braces = splitText('{\n\tfoo();\n}\n{\n\tbar();\n}\n');
    const bad = applyHunks(braces, [hunk(1, [' \tnot_here();', ' {', '-\tgone();', ' }'])]);
    assert.equal(bad.ok, false);
    assert.match(bad.ok ? '' : bad.failure, /^hunk 1 at line 1: "gone\(\);" not found/);
  });

  it('keeps "no newline at end of file" exact on both sides', () => {
    const pre = splitText('a\nb\nc');
    assert.equal(pre.eol, false);
    const r = applyHunks(pre, [hunk(2, [' b', '-c', '\\', '+c', '+d'])]);
    assert.ok(r.ok);
    assert.equal(joinText(r.post), 'a\nb\nc\nd\n');
    const back = applyHunks(splitText('a\nb\nc\nd\n'), [hunk(2, [' b', ' c', '-d', '+e', '\\'])]);
    assert.ok(back.ok);
    assert.equal(joinText(back.post), 'a\nb\nc\ne');
  });

  it('creates a file from nothing and empties one', () => {
    const r = applyHunks(splitText(''), [hunk(0, ['+int x;', '+int y;'])]);
    assert.ok(r.ok);
    assert.equal(joinText(r.post), 'int x;\nint y;\n');
    const d = applyHunks(splitText('int x;\nint y;\n'), [hunk(1, ['-int x;', '-int y;'])]);
    assert.ok(d.ok);
    assert.equal(joinText(d.post), '');
  });
});

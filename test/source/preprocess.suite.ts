// Preprocessor resolution, on its own: rows kept, one configuration chosen, every choice said.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { preprocess, type PPLine } from '../../src/source/preprocess.js';

const run = (text: string, changed: number[] = []): PPLine[] => text.split('\n').map((t, i) => ({ text: t, changed: changed.includes(i) }));
const kept = (texts: string[]): string[] => texts.filter((t) => t.trim() !== '');

describe('source: preprocessor', () => {
  it('keeps every row; takes first branches and the live side of #if 0; blanks directives with continuations', () => {
    const src = [
      '#define WIDE(x) \\',
      '\t((x) * 2)',
      '#include <linux/kernel.h>',
      'a();',
      '#if 0',
      'dead();',
      '#elif defined(CONFIG_B)',
      'b();',
      '#else',
      'c();',
      '#endif',
      '#ifdef CONFIG_D',
      '#ifndef CONFIG_E',
      'de();',
      '#endif',
      '#else',
      'not_d();',
      '#endif',
      '#pragma once',
    ].join('\n');
    const r = preprocess([run(src)]);
    assert.equal(r.texts[0]!.length, src.split('\n').length);
    assert.deepEqual(kept(r.texts[0]!), ['a();', 'b();', 'de();']);
    assert.deepEqual(
      r.decisions.map((d) => [d.index, d.directive, d.taken]),
      [
        [4, '#if 0', 'else'],
        [6, '#elif defined(CONFIG_B)', 'then'],
        [8, '#else', 'none'],
        [11, '#ifdef CONFIG_D', 'then'],
        [12, '#ifndef CONFIG_E', 'then'],
        [15, '#else', 'none'],
      ],
    );
  });

  it('prefers the branch the patch changed when the first one is untouched', () => {
    const src = ['#ifdef CONFIG_X', 'x();', '#else', 'y_changed();', '#endif'].join('\n');
    const r = preprocess([run(src, [3])]);
    assert.deepEqual(kept(r.texts[0]!), ['y_changed();']);
    assert.deepEqual(
      r.decisions.map((d) => d.taken),
      ['else', 'else'],
    );
  });

  it('an #if whose #endif is hidden, and an #else/#endif whose #if is hidden, across runs', () => {
    const r = preprocess([
      run(['a();', '#ifdef CONFIG_Q', 'q();'].join('\n')),
      run(['q_more();', '#else', 'not_q();', '#endif', 'z();'].join('\n')),
      run(['#ifdef CONFIG_R', 'r();'].join('\n')),
      run(['after_gap();'].join('\n')), // no #else/#endif here: the group closed in the gap
      run(['orphan_then();', '#else', 'orphan_else();', '#endif', 'tail();'].join('\n')),
    ]);
    assert.deepEqual(r.texts.map(kept), [['a();', 'q();'], ['q_more();', 'z();'], ['r();'], ['after_gap();'], ['orphan_then();', 'tail();']]);
    assert.deepEqual(
      r.decisions.filter((d) => d.run === 4).map((d) => [d.directive, d.taken]),
      [
        ['#else (its #if is not visible)', 'none'],
        ['#endif (its #if is not visible)', 'none'],
      ],
    );
  });

  it('an untaken branch cut by a gap does not swallow the code after the gap', () => {
    const r = preprocess([run(['#if 0', 'dead();'].join('\n')), run(['live();'].join('\n'))]);
    assert.deepEqual(r.texts.map(kept), [[], ['live();']]);
  });

  it('ignores directives inside comments and blanks a macro tail at the start of a run', () => {
    const r = preprocess([run(['/*', '#if 0', '*/', 'x();'].join('\n')), run(['\t\tfoo(a); \\', '\t} while (0)', 'y();'].join('\n'))]);
    assert.deepEqual(kept(r.texts[0]!), ['/*', '#if 0', '*/', 'x();']);
    assert.deepEqual(kept(r.texts[1]!), ['y();']);
  });
});

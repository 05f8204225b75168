// No text from an input may reach a shell, and a diff's paths never reach the file system: the
// only program kreview starts is git, with an argument array, and tree objects are read by name.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { reviewPatches } from '../../src/review.js';
import { defaultSemantics } from '../../src/semantics/load.js';
import { parseGitDiff } from '../source/patch-helper.js';

const root = join(import.meta.dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('security: processes and paths', () => {
  it('src/ starts no shell: child processes are git, with argument arrays', () => {
    const bad: string[] = [];
    let users = 0;
    for (const f of sources(join(root, 'src'))) {
      const text = readFileSync(f, 'utf8');
      const imp = /import\s*\{([^}]*)\}\s*from\s*'(?:node:)?child_process'/.exec(text);
      if (!imp) continue;
      users++;
      const names = imp[1]!
        .split(',')
        .map((n) =>
          n
            .trim()
            .split(/\s+as\s+/)
            .pop()!
            .trim(),
        )
        .filter((n) => n && !n.startsWith('type '));
      for (const n of names) {
        if (/^(?:exec|execSync|spawnSync|execFileSync|fork)$/.test(n)) bad.push(`${f}: imports ${n}`);
        for (const m of text.matchAll(new RegExp(`\\b${n}\\(\\s*([^,)]*)`, 'g'))) if (m[1]!.trim() !== "'git'") bad.push(`${f}: ${n}(${m[1]})`);
      }
      if (/\bshell\s*:\s*true/.test(text)) bad.push(`${f}: shell: true`);
    }
    // Wrappers (promisify(execFile) as run) are called with 'git' too.
    assert.ok(users > 0, 'no use of child_process found: the check is looking in the wrong place');
    assert.deepEqual(bad, []);
  });

  describe('a diff naming a path outside the tree', () => {
    let dir = '';
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'kreview-paths-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('is never read from the file system beside the tree', async () => {
      const repo = join(dir, 'repo');
      mkdirSync(join(repo, 'drivers'), { recursive: true });
      writeFileSync(join(repo, 'drivers/a.c'), 'int a(void)\n{\n\treturn 0;\n}\n');
      // The file a hostile diff points at: outside the tree, and it must stay unread.
      writeFileSync(join(dir, 'secret.c'), 'int secret(void)\n{\n\treturn 42;\n}\n');
      const git = simpleGit(repo);
      await git.init();
      await git.addConfig('user.name', 'kreview test');
      await git.addConfig('user.email', 'test@kreview.invalid');
      await git.add('.');
      await git.commit('base');
      const diff = [
        'diff --git a/../secret.c b/../secret.c',
        '--- a/../secret.c',
        '+++ b/../secret.c',
        '@@ -1,4 +1,4 @@',
        ' int secret(void)',
        ' {',
        '-\treturn 42;',
        '+\treturn 43;',
        ' }',
        '',
      ].join('\n');
      const [r] = await reviewPatches([parseGitDiff(diff, { id: 'evil#1.1' })], { sem: defaultSemantics(), tree: repo });
      const image = r!.images[0]!;
      assert.notEqual(image.pre?.origin, 'tree-head', JSON.stringify(r!.notes));
      assert.ok(!r!.notes.some((n) => /pre-image: the tree/.test(n)), r!.notes.join('\n'));
      assert.equal(readFileSync(join(dir, 'secret.c'), 'utf8').includes('return 42'), true);
    });
  });
});

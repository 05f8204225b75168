// The Action runs the committed bundle, not the sources: it must be what `npm run build:action`
// makes of them now (the usual check for JavaScript actions), and action.yml must point at it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from '../support/pull-repo.js';

describe('action: bundle', () => {
  it('the committed bundle is a fresh build of the sources', () => {
    const out = mkdtempSync(join(tmpdir(), 'kreview-bundle-'));
    try {
      execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-action.mjs'), out], { cwd: ROOT, stdio: 'pipe' });
      const committed = join(ROOT, 'action');
      assert.deepEqual(readdirSync(out).sort(), readdirSync(committed).sort());
      for (const f of readdirSync(out)) {
        assert.ok(readFileSync(join(out, f)).equals(readFileSync(join(committed, f))), `action/${f} is stale: run npm run build:action and commit it`);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('action.yml runs it on node24 and declares the inputs it reads', () => {
    const action = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as {
      runs: { using: string; main: string };
      inputs: Record<string, unknown>;
      outputs: Record<string, unknown>;
    };
    assert.equal(action.runs.using, 'node24');
    assert.equal(action.runs.main, 'action/index.mjs');
    const src = readFileSync(join(ROOT, 'src', 'action', 'inputs.ts'), 'utf8');
    const read = new Set([...src.matchAll(/(?:getInput|choice|optional)\('([a-z-]+)'/g)].map((m) => m[1]!));
    assert.deepEqual([...read].sort(), Object.keys(action.inputs).sort());
    const index = readFileSync(join(ROOT, 'src', 'action', 'index.ts'), 'utf8');
    const set = new Set([...index.matchAll(/setOutput\('([a-z-]+)'/g)].map((m) => m[1]!));
    assert.deepEqual([...set].sort(), Object.keys(action.outputs).sort());
  });
});

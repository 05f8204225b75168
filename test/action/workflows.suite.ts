// The workflows users copy (workflows/): they call the Action with inputs it has, analyse on
// pull_request and never on pull_request_target, post only from workflow_run without checking the
// pull request out, and hand the run over under the artifact name and file the other side expects.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from '../support/pull-repo.js';

interface Step {
  uses?: string;
  with?: Record<string, unknown>;
}
interface Workflow {
  name: string;
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  jobs: Record<string, { steps: Step[] }>;
}

const read = (f: string): Workflow => parse(readFileSync(join(ROOT, 'workflows', f), 'utf8')) as Workflow;
const steps = (w: Workflow): Step[] => Object.values(w.jobs).flatMap((j) => j.steps);
const action = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as { inputs: Record<string, unknown> };

describe('action: workflows', () => {
  const files = readdirSync(join(ROOT, 'workflows')).filter((f) => f.endsWith('.yml'));

  it('use the Action with inputs it declares, and declare their permissions', () => {
    assert.deepEqual(files.sort(), ['kreview-patch-queue.yml', 'kreview-post.yml', 'kreview-pr.yml']);
    for (const f of files) {
      const w = read(f);
      assert.ok(w.permissions && Object.keys(w.permissions).length > 0, `${f}: permissions`);
      const ours = steps(w).filter((s) => s.uses?.endsWith('/kreview@v1'));
      assert.equal(ours.length, 1, `${f}: one kreview step`);
      for (const k of Object.keys(ours[0]!.with ?? {})) assert.ok(k in action.inputs, `${f}: input ${k} is not in action.yml`);
    }
  });

  it('analyse on pull_request with a read-only checkout; post on workflow_run without one', () => {
    const post = read('kreview-post.yml');
    assert.deepEqual(Object.keys(post.on), ['workflow_run']);
    assert.ok(!steps(post).some((s) => s.uses?.startsWith('actions/checkout')), 'the posting job never checks out the PR');
    assert.equal(post.permissions['pull-requests'], 'write');
    for (const f of ['kreview-pr.yml', 'kreview-patch-queue.yml']) {
      const w = read(f);
      assert.deepEqual(Object.keys(w.on), ['pull_request'], `${f}: never pull_request_target`);
      assert.notEqual(w.permissions['pull-requests'], 'write', `${f}: the analysis needs no write token`);
      for (const s of steps(w).filter((x) => x.uses?.startsWith('actions/checkout'))) assert.equal(s.with?.['persist-credentials'], false, `${f}: no token left in the checkout`);
      assert.ok((post.on.workflow_run as { workflows: string[] }).workflows.includes(w.name), `kreview-post.yml follows ${w.name}`);
      const upload = steps(w).find((s) => s.uses?.startsWith('actions/upload-artifact'));
      const download = steps(post).find((s) => s.uses?.startsWith('actions/download-artifact'));
      assert.equal(upload?.with?.name, download?.with?.name, `${f}: the artifact name`);
    }
    const from = String(steps(post).find((s) => s.uses?.endsWith('/kreview@v1'))!.with!['post-from']);
    assert.ok(from.endsWith('/kreview-run.json'), 'the file the analysis writes (outputs.json)');
    assert.match(readFileSync(join(ROOT, 'src', 'action', 'index.ts'), 'utf8'), /join\(outDir, 'kreview-run\.json'\)/);
  });
});

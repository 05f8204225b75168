// The workflows users copy (workflows/): they call the Action with inputs it has, analyse on
// pull_request and never on pull_request_target, post only from workflow_run without checking the
// pull request out, and hand the run over under the artifact name and file the other side expects.
// The nightly one runs `kreview cron --once` on a schedule, carries its state in the Actions cache
// and publishes the reports on Pages. The backfill one runs N shards as a matrix and merges them.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from '../support/pull-repo.js';

interface Step {
  id?: string;
  if?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  needs?: string | string[];
  strategy?: { 'fail-fast'?: boolean; matrix: Record<string, unknown> };
  if?: string;
  permissions?: Record<string, string>;
  environment?: { name: string; url?: string };
  outputs?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  name: string;
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

const read = (f: string): Workflow => parse(readFileSync(join(ROOT, 'workflows', f), 'utf8')) as Workflow;
const steps = (w: Workflow): Step[] => Object.values(w.jobs).flatMap((j) => j.steps);
const action = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as { inputs: Record<string, unknown> };

describe('action: workflows', () => {
  const files = readdirSync(join(ROOT, 'workflows')).filter((f) => f.endsWith('.yml'));

  it('use the Action with inputs it declares, and declare their permissions', () => {
    assert.deepEqual(files.sort(), ['kreview-backfill.yml', 'kreview-nightly.yml', 'kreview-patch-queue.yml', 'kreview-post.yml', 'kreview-pr.yml']);
    for (const f of files) {
      const w = read(f);
      assert.ok(w.permissions && Object.keys(w.permissions).length > 0, `${f}: permissions`);
      if (f === 'kreview-nightly.yml' || f === 'kreview-backfill.yml') continue; // run the CLI, not the Action
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
      for (const s of steps(w).filter((x) => x.uses?.startsWith('actions/checkout')))
        assert.equal(s.with?.['persist-credentials'], false, `${f}: no token left in the checkout`);
      assert.ok((post.on.workflow_run as { workflows: string[] }).workflows.includes(w.name), `kreview-post.yml follows ${w.name}`);
      const upload = steps(w).find((s) => s.uses?.startsWith('actions/upload-artifact'));
      const download = steps(post).find((s) => s.uses?.startsWith('actions/download-artifact'));
      assert.equal(upload?.with?.name, download?.with?.name, `${f}: the artifact name`);
    }
    const from = String(steps(post).find((s) => s.uses?.endsWith('/kreview@v1'))!.with!['post-from']);
    assert.ok(from.endsWith('/kreview-run.json'), 'the file the analysis writes (outputs.json)');
    assert.match(readFileSync(join(ROOT, 'src', 'action', 'index.ts'), 'utf8'), /join\(outDir, 'kreview-run\.json'\)/);
  });

  it('nightly: on a schedule, the database restored from the cache and saved, the reports on Pages', () => {
    const text = readFileSync(join(ROOT, 'workflows', 'kreview-nightly.yml'), 'utf8');
    const w = read('kreview-nightly.yml');
    assert.deepEqual(Object.keys(w.on).sort(), ['schedule', 'workflow_dispatch'], 'scheduled, and by hand; never on pull requests');
    const schedule = w.on.schedule as { cron: string }[];
    assert.equal(schedule.length, 1);
    assert.match(schedule[0]!.cron, /^(\S+ ){4}\S+$/, 'a five-field cron expression');
    assert.deepEqual(w.permissions, { contents: 'read' }, 'the workflow token reads; each job asks for what it writes');
    const env = w.env ?? {};
    const state = env.KREVIEW_STATE!;
    const reports = env.KREVIEW_REPORTS!;
    assert.ok(state && reports.startsWith(`${state}/`), 'the site is kept with the database');
    // The configuration shown in the header puts the database and the site where the cache and Pages look.
    assert.equal(/^#\s+database: (\S+)/m.exec(text)?.[1]?.startsWith(`${state}/`), true, 'database: in the cached folder');
    assert.equal(/^#\s+output: (\S+)/m.exec(text)?.[1], reports, 'output: is the published folder');
    const vars = (v: unknown): string => String(v).replace(/\$\{\{\s*env\.(\w+)\s*\}\}/g, (_m, k: string) => env[k] ?? `<${k}>`);

    const nightly = w.jobs.nightly!;
    const at = (pred: (s: Step) => boolean): number => nightly.steps.findIndex(pred);
    for (const s of nightly.steps.filter((x) => x.uses?.startsWith('actions/checkout')))
      assert.equal(s.with?.['persist-credentials'], false, 'no token left in a checkout');
    const kernel = nightly.steps.find((s) => s.uses?.startsWith('actions/checkout') && s.with?.path === 'linux');
    assert.ok(kernel?.if?.includes('vars.KREVIEW_KERNEL'), 'the kernel is checked out when one is configured');

    const restore = at((s) => !!s.uses?.startsWith('actions/cache/restore@'));
    const run = at((s) => /\bnpx kreview cron --once --config "?\$KREVIEW_CONFIG"?$/.test(s.run?.trim() ?? ''));
    const install = at((s) => /\bnpm install\b.*\bkreview@/.test(s.run ?? ''));
    const save = at((s) => !!s.uses?.startsWith('actions/cache/save@'));
    assert.ok(restore >= 0 && install >= 0 && run >= 0 && save >= 0, 'restore, install, kreview cron --once, save');
    assert.ok(restore < run && install < run && run < save, 'restored before the run, saved after');
    const r = nightly.steps[restore]!;
    const sv = nightly.steps[save]!;
    assert.equal(vars(r.with?.path), state);
    assert.equal(vars(sv.with?.path), state, 'the same folder is saved');
    const key = String(r.with?.key);
    assert.match(key, /\$\{\{ github\.run_id \}\}/, 'a new key per run (cache entries cannot be replaced)');
    const prefix = String(r.with?.['restore-keys']);
    assert.ok(key.startsWith(prefix) && prefix.length > 0, 'restore-keys: the newest entry of any earlier run');
    assert.equal(sv.with?.key, `\${{ steps.${r.id}.outputs.cache-primary-key }}`, 'saved under the key restore tried');
    assert.match(sv.if ?? '', /always\(\)/, 'saved even when the night failed');

    const pages = nightly.steps.find((s) => s.uses?.startsWith('actions/upload-pages-artifact@'));
    assert.equal(vars(pages?.with?.path), reports);
    const artifact = nightly.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
    assert.equal(vars(artifact?.with?.path), reports);
    const deploy = Object.values(w.jobs).find((j) => j.steps.some((s) => s.uses?.startsWith('actions/deploy-pages@')));
    assert.ok(deploy, 'a job deploys to Pages');
    assert.equal(deploy.needs, 'nightly');
    assert.deepEqual(deploy.permissions, { pages: 'write', 'id-token': 'write' });
    assert.equal(deploy.environment?.name, 'github-pages');
    assert.match(deploy.if ?? '', /needs\.nightly\.outputs\.pages == 'success'/);
    assert.equal(nightly.outputs?.pages, `\${{ steps.${pages!.id}.outcome }}`);
    assert.equal(nightly.permissions?.pages, undefined, 'only the deploy job may write Pages');
  });

  it('backfill: N shards as a matrix, each --shard I/N of one pinned input and version, one merge that publishes', () => {
    const w = read('kreview-backfill.yml');
    assert.deepEqual(Object.keys(w.on), ['workflow_dispatch'], 'started by hand');
    const inputs = (w.on.workflow_dispatch as { inputs: Record<string, unknown> }).inputs;
    assert.ok('shards' in inputs && 'what' in inputs);
    assert.deepEqual(w.permissions, { contents: 'read' });
    const { plan, shard, merge } = w.jobs;
    assert.ok(plan && shard && merge);
    assert.equal(shard.needs, 'plan');
    assert.equal(shard.strategy?.['fail-fast'], false, 'one shard failing does not cancel the others');
    assert.equal(shard.strategy?.matrix.index, `\${{ fromJSON(needs.plan.outputs.shards) }}`);
    const run = shard.steps.find((s) => s.run?.includes('--shard'))!;
    assert.equal(run.env?.SHARD, `\${{ matrix.index }}/\${{ needs.plan.outputs.count }}`);
    for (const cmd of ['check', 'scan']) assert.match(run.run!, new RegExp(`kreview ${cmd} .*--shard "\\$SHARD" --format json --output "\\$OUT"`));
    const upload = shard.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'))!;
    assert.equal(upload.with?.name, `kreview-shard-\${{ matrix.index }}`);
    for (const s of shard.steps.filter((x) => x.uses?.startsWith('actions/checkout'))) assert.equal(s.with?.['persist-credentials'], false);
    // Every job installs the version the plan resolved: the merge refuses shards of two versions.
    for (const j of [shard, merge])
      assert.ok(j.steps.some((s) => s.env?.VERSION === `\${{ needs.plan.outputs.version }}` && /kreview@\$VERSION/.test(s.run ?? '')));

    assert.deepEqual(merge.needs, ['plan', 'shard']);
    assert.match(merge.if ?? '', /!cancelled\(\)/, 'the merge runs when a shard failed, and names it');
    const download = merge.steps.find((s) => s.uses?.startsWith('actions/download-artifact@'))!;
    assert.equal(download.with?.pattern, 'kreview-shard-*');
    assert.equal(download.with?.['merge-multiple'], true);
    assert.ok(merge.steps.some((s) => /kreview merge shards\/\*\.json --format json --output kreview\.json/.test(s.run ?? '')));
    assert.ok(
      merge.steps.some((s) => /GITHUB_STEP_SUMMARY/.test(s.run ?? '')),
      'the Markdown in the job summary',
    );
    assert.ok(merge.steps.some((s) => s.uses?.startsWith('github/codeql-action/upload-sarif@')));
    assert.equal(merge.permissions?.['security-events'], 'write');
  });
});

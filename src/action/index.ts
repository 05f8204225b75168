// The GitHub Action (action.yml at the repository root runs its bundle, action/index.mjs).
//
// On pull_request: review the PR (its commits, or the patch files it adds), write the run as JSON
// (the artifact a workflow_run job posts from), SARIF when asked, the job summary and the outputs,
// then post the review, unless the PR comes from a fork: its token is read-only, and posting is
// left to the workflow_run job. With post-from (on workflow_run): check the artifact and post it.
// The exit status: 1 when the PR introduces findings at or above fail-on, 2 when the Action could
// not do its job (said as an error in the log).

import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import * as core from '@actions/core';
import { readRunDocument, RunFileError, type RunDocument } from '../report/document.js';
import { renderMarkdown } from '../report/markdown.js';
import { renderSarif } from '../report/sarif.js';
import { loadSemantics, loadSetup, SetupError } from '../run.js';
import type { Severity } from '../analysis/types.js';
import { analyseCommits, analysePatches, pickMode, type AnalyseContext } from './analyse.js';
import { PullRepo } from './git.js';
import { gitHubClient, api } from './github.js';
import { ActionError, pullRequestPayload, readInputs, workflowRunPayload, type ActionInputs } from './inputs.js';
import { postRun } from './post.js';

/** A run document posted from an artifact is refused above this size. */
const MAX_ARTIFACT = 20 << 20;
const RANK: Record<Severity, number> = { info: 1, warning: 2, error: 3 };

const log = (s: string): void => core.info(s);

/** A configuration or baseline file named relative to the checkout, read as the base commit has it. */
async function fromBase(repo: PullRepo, commit: string, path: string, dir: string): Promise<string | null> {
  if (isAbsolute(path)) return path;
  const text = await repo.show(commit, path);
  if (text === null) return null;
  const out = join(dir, path.replace(/[\\/]/g, '_'));
  writeFileSync(out, text);
  return out;
}

async function analysis(inputs: ActionInputs): Promise<number> {
  const ev = pullRequestPayload();
  const pr = ev.pull_request;
  const fork = pr.head.repo?.full_name !== pr.base.repo.full_name;
  // Said before the analysis, not after it: posting will need a token.
  if (inputs.comment !== 'none' && !fork && !inputs.token) gitHubClient(inputs.token, log);
  const ws = resolve(process.env.GITHUB_WORKSPACE ?? process.cwd());
  const outDir = join(process.env.RUNNER_TEMP ?? tmpdir(), 'kreview');
  mkdirSync(outDir, { recursive: true });
  const repo = new PullRepo(ws);
  await repo.ensure([pr.base.sha, pr.head.sha]);
  const mergeBase = await repo.mergeBase(pr.base.sha, pr.head.sha);

  // The pull request may change the configuration; its review follows the one it is made against.
  const config = await fromBase(repo, mergeBase, inputs.config ?? '.kreview.yaml', outDir);
  if (inputs.config && config === null) throw new ActionError(`input config: ${inputs.config} is not in the base commit ${mergeBase.slice(0, 12)}`);
  const baseline = inputs.baseline ? await fromBase(repo, mergeBase, inputs.baseline, outDir) : null;
  if (inputs.baseline && baseline === null) throw new ActionError(`input baseline: ${inputs.baseline} is not in the base commit ${mergeBase.slice(0, 12)}`);
  const setup = await loadSetup({ config: config ?? undefined, baseline: baseline ?? undefined }, outDir);
  const sem = await loadSemantics(
    undefined,
    setup.cfg.semantics.map((d) => resolve(ws, d)),
  );
  const tree = inputs.tree ? resolve(ws, inputs.tree) : null;
  const ctx: AnalyseContext = { repo, pr: ev, setup, sem, tree, args: [] };
  const mode = inputs.mode === 'auto' ? await pickMode(ctx, mergeBase) : inputs.mode;
  ctx.args = mode === 'commits' ? ['scan', '--tree', '.', `pull-${pr.number}.mbox`] : ['scan', ...(tree ? ['--tree', inputs.tree!] : []), '<patch files>'];
  log(`kreview: pull request #${pr.number}, ${mode} mode, ${mergeBase.slice(0, 12)}..${pr.head.sha.slice(0, 12)}`);
  const doc = mode === 'commits' ? await analyseCommits(ctx, mergeBase) : await analysePatches(ctx, mergeBase);
  if (config) doc.invocation.config = inputs.config ?? '.kreview.yaml';

  await report(doc, inputs, ws, outDir);
  if (inputs.comment !== 'none') {
    if (doc.pullRequest!.fork) {
      core.notice(
        `pull request #${pr.number} comes from a fork: its token is read-only, so nothing is posted here; the workflow_run job (workflows/kreview-post.yml) posts the review from this run's artifact`,
      );
    } else {
      await postRun(gitHubClient(inputs.token, log), doc, { comment: inputs.comment, requestChanges: inputs.requestChanges, log });
    }
  }
  return failing(doc, inputs.failOn ?? setup.cfg.failOn ?? 'error');
}

/** The run as JSON (the artifact), SARIF when asked, the job summary and the outputs. */
async function report(doc: RunDocument, inputs: ActionInputs, ws: string, outDir: string): Promise<void> {
  const json = join(outDir, 'kreview-run.json');
  writeFileSync(json, JSON.stringify(doc, null, 1) + '\n');
  core.setOutput('json', json);
  if (inputs.sarif) {
    const sarif = resolve(ws, inputs.sarif);
    writeFileSync(sarif, JSON.stringify(renderSarif(doc), null, 1) + '\n');
    core.setOutput('sarif', sarif);
  }
  const pr = doc.pullRequest!;
  const fixed = new Set(doc.findings.filter((f) => f.status === 'fixed' && !pr.open.includes(f.fingerprint)).map((f) => f.fingerprint));
  const present = new Set(doc.findings.filter((f) => f.status === 'present' && !pr.open.includes(f.fingerprint)).map((f) => f.fingerprint));
  core.setOutput('introduced', String(pr.open.length));
  core.setOutput('fixed', String(fixed.size));
  core.setOutput('present', String(present.size));
  if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(renderMarkdown(doc)).write();
  for (const n of doc.notes) log(`note: ${n}`);
}

/** 1 when the PR introduces (and its head keeps) a finding at or above `level` that is not in the baseline. */
function failing(doc: RunDocument, level: string): number {
  if (level === 'never') return 0;
  const open = new Set(doc.pullRequest?.open ?? []);
  const bad = doc.findings.filter((f) => f.status === 'introduced' && open.has(f.fingerprint) && RANK[f.severity] >= RANK[level as Severity]);
  for (const f of bad)
    core.error(`${f.message} [${f.rule}]`, {
      file: f.head?.path ?? f.file ?? undefined,
      startLine: f.head?.line ?? f.line ?? undefined,
      title: `kreview ${f.rule}`,
    });
  return bad.length ? 1 : 0;
}

/** The workflow_run job: post what the analysis job found, after checking it is about this pull request's head. */
async function post(inputs: ActionInputs): Promise<number> {
  const ev = workflowRunPayload();
  const path = resolve(process.env.GITHUB_WORKSPACE ?? process.cwd(), inputs.postFrom!);
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new ActionError(`input post-from: ${inputs.postFrom} does not exist (did the artifact download?)`);
  }
  if (size > MAX_ARTIFACT) throw new ActionError(`input post-from: ${inputs.postFrom} has ${size} bytes, more than ${MAX_ARTIFACT}: not posted`);
  let doc: RunDocument;
  try {
    doc = await readRunDocument(path);
  } catch (e) {
    if (e instanceof RunFileError) throw new ActionError(`input post-from: ${e.message}`);
    throw e;
  }
  const pr = doc.pullRequest;
  if (!pr) throw new ActionError(`input post-from: ${inputs.postFrom} is not a pull request run (no pullRequest)`);
  if (pr.repository !== ev.repository.full_name)
    throw new ActionError(`input post-from: the run is about ${pr.repository}, this workflow runs in ${ev.repository.full_name}`);
  if (pr.headSha !== ev.workflow_run.head_sha)
    throw new ActionError(`input post-from: the run reviewed ${pr.headSha.slice(0, 12)}, the workflow run was for ${ev.workflow_run.head_sha.slice(0, 12)}`);
  if (inputs.comment === 'none') return 0;
  const gh = gitHubClient(inputs.token, log);
  const [owner, repo] = pr.repository.split('/') as [string, string];
  const live = await api('get the pull request', () => gh.rest.pulls.get({ owner, repo, pull_number: pr.number }));
  if (live.data.head.sha !== pr.headSha) {
    core.notice(
      `pull request #${pr.number} has moved on to ${live.data.head.sha.slice(0, 12)}: this run (${pr.headSha.slice(0, 12)}) is not posted; the newer one will be`,
    );
    return 0;
  }
  if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(renderMarkdown(doc)).write();
  await postRun(gh, doc, { comment: inputs.comment, requestChanges: inputs.requestChanges, log });
  return 0;
}

/** Run the Action; the exit status (0, 1 for findings at or above fail-on, 2 when it could not do its job). */
export async function runAction(): Promise<number> {
  try {
    const inputs = readInputs();
    return inputs.postFrom ? await post(inputs) : await analysis(inputs);
  } catch (e) {
    if (e instanceof ActionError || e instanceof SetupError) core.error(`kreview: ${e.message}`);
    else core.error(`kreview: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return 2;
  }
}

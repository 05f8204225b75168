// What the Action is asked to do: its inputs (action.yml) and the event that started the workflow,
// each checked, with an error that names the input or the field of the payload.

import { readFileSync } from 'node:fs';
import * as core from '@actions/core';
import { z } from 'zod';
import { FAIL_ON, type FailOn } from '../config/index.js';

/** Something the workflow gave that the Action cannot use: logged as an error, the job fails. */
export class ActionError extends Error {}

export interface ActionInputs {
  token: string;
  mode: 'auto' | 'commits' | 'patches';
  /** The kernel tree pre-images come from: the checkout for commits mode; for patches mode only when given. */
  tree: string | null;
  failOn: FailOn | null;
  comment: 'review' | 'summary' | 'none';
  requestChanges: boolean;
  sarif: string | null;
  config: string | null;
  baseline: string | null;
  /** The posting job: a run document made by the analysis job, to post (and nothing analysed). */
  postFrom: string | null;
}

function choice<T extends string>(name: string, allowed: readonly T[], dflt: T): T {
  const v = core.getInput(name).trim() || dflt;
  if (!(allowed as readonly string[]).includes(v)) throw new ActionError(`input ${name}: '${v}' is not one of ${allowed.join(', ')}`);
  return v as T;
}

const optional = (name: string): string | null => core.getInput(name).trim() || null;

export function readInputs(): ActionInputs {
  const failOn = optional('fail-on');
  if (failOn !== null && !(FAIL_ON as readonly string[]).includes(failOn))
    throw new ActionError(`input fail-on: '${failOn}' is not one of ${FAIL_ON.join(', ')}`);
  const rc = core.getInput('request-changes').trim() || 'false';
  if (rc !== 'true' && rc !== 'false') throw new ActionError(`input request-changes: '${rc}' is not true or false`);
  return {
    token: core.getInput('github-token').trim(),
    mode: choice('mode', ['auto', 'commits', 'patches'] as const, 'auto'),
    tree: optional('tree'),
    failOn: failOn as FailOn | null,
    comment: choice('comment', ['review', 'summary', 'none'] as const, 'review'),
    requestChanges: rc === 'true',
    sarif: optional('sarif'),
    config: optional('config'),
    baseline: optional('baseline'),
    postFrom: optional('post-from'),
  };
}

const sha = z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, 'a commit id');
const repo = z.object({ full_name: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'owner/name') });

const pullRequestEvent = z.object({
  pull_request: z.object({
    number: z.number().int().positive(),
    head: z.object({ sha, ref: z.string(), repo: repo.nullable() }),
    base: z.object({ sha, ref: z.string(), repo }),
  }),
  repository: repo,
});
export type PullRequestEvent = z.infer<typeof pullRequestEvent>;

const workflowRunEvent = z.object({
  workflow_run: z.object({
    id: z.number().int(),
    event: z.string(),
    head_sha: sha,
    head_repository: repo.nullable().optional(),
  }),
  repository: repo,
});
export type WorkflowRunEvent = z.infer<typeof workflowRunEvent>;

function readPayload(): { name: string; payload: unknown; path: string } {
  const name = process.env.GITHUB_EVENT_NAME ?? '';
  const path = process.env.GITHUB_EVENT_PATH;
  if (!path) throw new ActionError('GITHUB_EVENT_PATH is not set: kreview runs as a step of a GitHub Actions workflow');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ActionError(`event payload ${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  try {
    return { name, payload: JSON.parse(text), path };
  } catch (e) {
    throw new ActionError(`event payload ${path}: not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
}

function parse<T>(schema: z.ZodType<T>, payload: unknown, path: string, what: string): T {
  const r = schema.safeParse(payload);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw new ActionError(`event payload ${path}: not a ${what} event: ${issue.path.join('.') || '(top)'}: ${issue.message}`);
}

/** The pull_request event the analysis runs on. */
export function pullRequestPayload(): PullRequestEvent {
  const { name, payload, path } = readPayload();
  if (name === 'pull_request_target') {
    core.warning(
      'kreview on pull_request_target: it only reads the checkout, but the job holds a write token while the pull request is checked out; run the analysis on pull_request and post with workflow_run (workflows/kreview-post.yml)',
    );
  } else if (name !== 'pull_request') {
    throw new ActionError(
      `kreview reviews pull requests: run it on pull_request (this is ${name || 'an unnamed event'}); to post a review made elsewhere, give post-from on workflow_run`,
    );
  }
  return parse(pullRequestEvent, payload, path, 'pull_request');
}

/** The workflow_run event the posting job runs on. */
export function workflowRunPayload(): WorkflowRunEvent {
  const { payload, path } = readPayload();
  return parse(workflowRunEvent, payload, path, 'workflow_run');
}

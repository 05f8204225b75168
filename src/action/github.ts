// The GitHub REST API as the Action uses it: octokit with GitHub's recommended throttling (writes
// spaced out, rate limits waited out a bounded number of times) and retries of server errors.
// Every failure becomes an error that says which call failed and why.

import { Octokit } from '@octokit/rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { VERSION } from '../version.js';
import { ActionError } from './inputs.js';

const Client = Octokit.plugin(retry, throttling);
export type GitHubClient = InstanceType<typeof Client>;

/** Waits longer than this for a rate limit are not waited: the job fails and says until when. */
const MAX_WAIT_S = 120;
const MAX_RATE_RETRIES = 2;

export function gitHubClient(token: string, log: (s: string) => void): GitHubClient {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression quoted in a message, not a template
  if (!token) throw new ActionError('input github-token is empty: posting a review needs a token (the default is the workflow token, ${{ github.token }})');
  const onLimit =
    (kind: string) =>
    (retryAfter: number, options: { method?: string; url?: string }, _o: unknown, retryCount: number): boolean => {
      const what = `${options.method ?? ''} ${options.url ?? ''}`.trim();
      if (retryCount < MAX_RATE_RETRIES && retryAfter <= MAX_WAIT_S) {
        log(`GitHub ${kind} rate limit on ${what}: retrying in ${retryAfter} s`);
        return true;
      }
      log(`GitHub ${kind} rate limit on ${what}: giving up (retry after ${retryAfter} s)`);
      return false;
    };
  return new Client({
    auth: token,
    baseUrl: (process.env.GITHUB_API_URL ?? 'https://api.github.com').replace(/\/$/, ''),
    userAgent: `kreview/${VERSION}`,
    throttle: { onRateLimit: onLimit('primary'), onSecondaryRateLimit: onLimit('secondary') },
    // Server errors are retried; 4xx are not (a per-request `retries` would retry those too).
    retry: { retries: 2 },
    log: { debug: () => {}, info: () => {}, warn: log, error: log },
  });
}

/** An API error as a sentence: the call, the status, GitHub's message and what it usually means. */
export function apiError(call: string, e: unknown): ActionError {
  const err = e as { status?: number; message?: string; response?: { data?: { message?: string; errors?: unknown[] }; headers?: Record<string, string> } };
  const status = err.status;
  const msg = err.response?.data?.message ?? err.message ?? String(e);
  const details = err.response?.data?.errors?.length ? ` (${JSON.stringify(err.response.data.errors).slice(0, 300)})` : '';
  let hint = '';
  if (status === 401) hint = ': the token is not valid';
  else if (status === 403 && err.response?.headers?.['x-ratelimit-remaining'] === '0') hint = ': rate limited';
  else if (status === 403 || status === 404)
    hint = ': the token may lack permission (pull-requests: write to post; on a fork the workflow token is read-only, post with workflow_run)';
  else if (status === 422) hint = ': GitHub refused the content';
  return new ActionError(`GitHub API ${call} failed${status ? ` with ${status}` : ''}: ${msg}${details}${hint}`);
}

/** Call the API; a failure becomes an ActionError naming the call. */
export async function api<T>(call: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw apiError(call, e);
  }
}

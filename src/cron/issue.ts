// The night's digest as one GitHub issue, edited every night: the open issue with the configured
// title (the one carrying kreview's hidden marker first) gets the night's Markdown digest as its
// body, or is opened when there is none. Text from mail is escaped (digest-md.ts), and @mentions are
// broken so a subject cannot notify anyone. A failure of the API is said in the night's events and
// logged; the night goes on.

import { gitHubClient } from '../action/github.js';
import { digestMarkdown } from './digest-md.js';
import type { Digest } from './digest.js';
import type { AfterRun } from './night.js';

export const ISSUE_MARKER = '<!-- kreview:nightly-digest -->';
/** GitHub refuses issue bodies over 65536 characters. */
const MAX_BODY = 65_000;

/** `@name` outside code spans as `@&#8203;name` (a zero-width space): shown the same, notifies nobody. */
export function noMentions(md: string): string {
  const plain = (s: string): string => s.replace(/(^|[^\w`])@(?=[A-Za-z0-9])/g, '$1@&#8203;');
  return md
    .split('\n')
    .map((line) => {
      let out = '';
      let i = 0;
      for (;;) {
        const open = /`+/g;
        open.lastIndex = i;
        const o = open.exec(line);
        if (!o) return out + plain(line.slice(i));
        out += plain(line.slice(i, o.index));
        // A code span ends at the next run of as many backticks; without one the backticks are text.
        const close = new RegExp(`(?<!\`)${o[0]}(?!\`)`, 'g');
        close.lastIndex = o.index + o[0].length;
        const c = close.exec(line);
        const end = c ? c.index + o[0].length : o.index + o[0].length;
        out += line.slice(o.index, end);
        i = end;
      }
    })
    .join('\n');
}

/** The issue's body: the marker, then the night's digest (cut at a line when too long for GitHub). */
export function issueBody(d: Digest): string {
  let md = noMentions(digestMarkdown(d));
  if (md.length + ISSUE_MARKER.length + 200 > MAX_BODY) {
    const lines = md.split('\n');
    let kept = 0;
    let size = 0;
    while (kept < lines.length && size + lines[kept]!.length + 1 < MAX_BODY - ISSUE_MARKER.length - 200) size += lines[kept++]!.length + 1;
    md = `${lines.slice(0, kept).join('\n')}\n\n**Cut here**: the digest has ${lines.length - kept} more lines than an issue holds; the night's report has them all.\n`;
  }
  return `${ISSUE_MARKER}\n${md}`;
}

/** A failed call as a sentence: the call, the status, GitHub's message, what it usually means. */
function failure(call: string, repository: string, e: unknown): string {
  const err = e as { status?: number; message?: string; response?: { data?: { message?: string } } };
  const s = err.status;
  const msg = err.response?.data?.message ?? err.message ?? String(e);
  let hint = '';
  if (s === 401) hint = ': the token is not valid';
  else if (s === 403 || s === 404) hint = `: the token may not write issues in ${repository} (it needs issues: write)`;
  else if (s === 410) hint = `: issues are turned off in ${repository}`;
  return `GitHub API ${call} failed${s ? ` with ${s}` : ''}: ${msg}${hint}`;
}

/** Open or edit the digest issue (runNight's `after` hook, through afterNight). Never throws. */
export async function updateIssue(ctx: AfterRun, opts: { env?: NodeJS.ProcessEnv } = {}): Promise<void> {
  const gi = ctx.cfg.githubIssue;
  if (!gi) return;
  const { db, runId, log } = ctx;
  const fail = (text: string): void => {
    db.event(runId, 'github-issue', 'error', text);
    log('issue-error', { repository: gi.repository, error: text });
  };
  const token = (opts.env ?? process.env)[gi.tokenEnv];
  if (!token) return fail(`${gi.tokenEnv} is not set: the digest issue in ${gi.repository} was not updated`);
  const [owner, repo] = gi.repository.split('/') as [string, string];
  const body = issueBody(ctx.digest);
  let call = `GET /repos/${gi.repository}/issues`;
  try {
    const gh = gitHubClient(token, (s) => log('github', { message: s }));
    const open = await gh.paginate(gh.rest.issues.listForRepo, { owner, repo, state: 'open', per_page: 100 });
    const same = open.filter((i) => !i.pull_request && i.title === gi.title);
    const ours = same.find((i) => i.body?.includes(ISSUE_MARKER)) ?? same[0];
    if (ours) {
      call = `PATCH /repos/${gi.repository}/issues/${ours.number}`;
      await gh.rest.issues.update({ owner, repo, issue_number: ours.number, body });
      log('issue', { repository: gi.repository, number: ours.number, action: 'edited' });
    } else {
      call = `POST /repos/${gi.repository}/issues`;
      const r = await gh.rest.issues.create({ owner, repo, title: gi.title, body });
      log('issue', { repository: gi.repository, number: r.data.number, action: 'opened' });
    }
  } catch (e) {
    fail(failure(call, gi.repository, e));
  }
}

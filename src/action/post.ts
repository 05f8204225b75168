// Posting a run on its pull request: one review with an inline comment on the line of each finding
// the PR introduces (findings off the diff go in the review's body), or one summary comment.
// Re-runs post only what is new: every comment carries its finding's fingerprint in a hidden
// marker, a comment whose finding is gone is edited to say so, one whose finding comes back is
// edited back, and an earlier review's body is edited in place; nothing is posted twice.
//
// The run document may come from an untrusted job (a fork's pull request): it was checked against
// the schema, every text from it is escaped here, paths must be plain relative paths the PR
// itself changes, and sizes are capped.

import type { Finding } from '../analysis/types.js';
import { verdictLine, type PullRequestRun, type RunDocument } from '../report/document.js';
import { fence, fixedLine, ICON, introducedBlock, mdEscape, patchTitle } from '../report/markdown.js';
import { formatTrace, formatWitness } from '../report/smatch.js';
import { VERSION } from '../version.js';
import { api, type GitHubClient } from './github.js';

const REVIEW_MARK = '<!-- kreview:review -->';
const SUMMARY_MARK = '<!-- kreview:summary -->';
const RESOLVED_MARK = '<!-- kreview:resolved -->';
const FP_MARK = /<!-- kreview:fingerprint=([a-z0-9-]+:[0-9a-f]{12}) -->/;
const fpMark = (fp: string): string => `<!-- kreview:fingerprint=${fp} -->`;

/** GitHub refuses bodies over 65,536 characters; stay well below. */
const MAX_BODY = 60_000;
/** More inline comments than this in one review go to its body. */
const MAX_INLINE = 50;

export interface PostOptions {
  comment: 'review' | 'summary';
  requestChanges: boolean;
  log: (s: string) => void;
}

export interface PostResult {
  /** Inline comments posted now. */
  posted: number;
  /** Findings said in the review's body (not on a line of the diff). */
  inBody: number;
  resolved: number;
  reopened: number;
  review: 'created' | 'updated' | 'unchanged' | 'none';
}

/** A plain path inside the repository: relative, no `..`, no backslash or control characters. */
export function safePath(p: string): boolean {
  return p.length > 0 && p.length <= 4096 && !p.startsWith('/') && !/[\\\0-\x1f]/.test(p) && !p.split('/').some((s) => s === '..' || s === '');
}

/** The lines of the head a review comment may go on: every line of every hunk's new side. */
export function commentableLines(patch: string | undefined): Set<number> {
  const out = new Set<number>();
  if (!patch) return out;
  let line = 0;
  for (const l of patch.split('\n')) {
    const h = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(l);
    if (h) {
      line = Number(h[1]);
      continue;
    }
    if (line === 0 || l.startsWith('-') || l.startsWith('\\')) continue;
    out.add(line++);
  }
  return out;
}

function cap(body: string, what: string): string {
  return body.length <= MAX_BODY
    ? body
    : `${body.slice(0, MAX_BODY)}\n\n… (${what} cut at ${MAX_BODY} characters; the job summary and the SARIF have all of it)`;
}

/** An inline comment: the finding in full, under the line it is about. */
export function commentBody(doc: RunDocument, f: Finding): string {
  const out: string[] = [];
  const by = patchTitle(doc, f);
  out.push(`${ICON[f.severity]} **${f.severity}** \`${f.rule}\`${by ? ` — introduced by ${mdEscape(by)}` : ''}`);
  out.push('', mdEscape(f.message));
  if (f.trace.length) out.push('', '<details><summary>Path</summary>', '', fence(formatTrace(f)), '', '</details>');
  if (f.witness) out.push('', fence(formatWitness(f)));
  if (f.facts.length) out.push('', '<details><summary>Rests on</summary>', '', ...f.facts.map((x) => `- ${mdEscape(x)}`), '', '</details>');
  out.push('', `<sub>kreview ${VERSION} · ${f.confidence} confidence · \`${f.fingerprint}\`</sub>`);
  return `${cap(out.join('\n'), 'comment')}\n${fpMark(f.fingerprint)}`;
}

/** The review's body: the verdict, what could not go on a line, what the PR fixed. */
export function reviewBody(doc: RunDocument, inline: Finding[], inBody: Finding[], mark = REVIEW_MARK): string {
  const pr = doc.pullRequest!;
  const fixed = doc.findings.filter((f) => f.status === 'fixed' && !pr.open.includes(f.fingerprint));
  const out: string[] = [mark, `## kreview: ${pr.open.length} introduced by this pull request`];
  out.push(
    '',
    `<sub>${verdictLine(doc.summary)} over ${doc.patches.length} patch${doc.patches.length === 1 ? '' : 'es'} · ${pr.mode} mode · head ${pr.headSha.slice(0, 12)} · kreview ${VERSION}</sub>`,
  );
  if (inline.length) out.push('', `${inline.length} on the lines they are about, below.`);
  if (inBody.length) {
    out.push('', `### Not on a line of this diff (${inBody.length})`);
    for (const f of inBody) out.push('', introducedBlock(doc, f));
  }
  if (fixed.length) {
    out.push('', `### Fixed (${fixed.length})`, '');
    for (const f of fixed) out.push(fixedLine(doc, f));
  }
  // The run's notes (where each image came from, how the checkout was fetched) go to the job summary:
  // they change from run to run and would make the body change with them.
  return cap(out.join('\n'), 'review');
}

function resolvedBody(old: string, pr: PullRequestRun): string {
  const inner = old.replace(FP_MARK, '').replace(RESOLVED_MARK, '').trim();
  const fp = FP_MARK.exec(old)![1]!;
  return `:white_check_mark: **No longer reported** at ${pr.headSha.slice(0, 12)}.\n\n<details><summary>What was reported</summary>\n\n${inner}\n\n</details>\n${RESOLVED_MARK}\n${fpMark(fp)}`;
}

interface Marked {
  id: number;
  body: string;
  fingerprint: string;
  resolved: boolean;
}

/** Comments kreview made earlier: written by a bot, carrying a fingerprint marker. */
function ours(comments: { id: number; body?: string | null; user?: { type?: string } | null }[]): Map<string, Marked> {
  const out = new Map<string, Marked>();
  for (const c of comments) {
    const m = c.body ? FP_MARK.exec(c.body) : null;
    if (!m || c.user?.type !== 'Bot' || out.has(m[1]!)) continue;
    out.set(m[1]!, { id: c.id, body: c.body!, fingerprint: m[1]!, resolved: c.body!.includes(RESOLVED_MARK) });
  }
  return out;
}

export async function postRun(gh: GitHubClient, doc: RunDocument, opts: PostOptions): Promise<PostResult> {
  const pr = doc.pullRequest;
  if (!pr) throw new Error('postRun: the run reviewed no pull request');
  const [owner, repo] = pr.repository.split('/') as [string, string];
  const base = { owner, repo, pull_number: pr.number };
  const result: PostResult = { posted: 0, inBody: 0, resolved: 0, reopened: 0, review: 'none' };
  const open = new Set(pr.open);
  const introduced = doc.findings.filter((f) => f.status === 'introduced' && !f.baseline && open.has(f.fingerprint));

  if (opts.comment === 'summary') {
    const body = reviewBody(doc, [], introduced, SUMMARY_MARK);
    const comments = await api('list issue comments', () => gh.paginate(gh.rest.issues.listComments, { owner, repo, issue_number: pr.number, per_page: 100 }));
    const prior = comments.find((c) => c.user?.type === 'Bot' && c.body?.includes(SUMMARY_MARK));
    if (prior) {
      if (prior.body !== body) {
        await api('update the summary comment', () => gh.rest.issues.updateComment({ owner, repo, comment_id: prior.id, body }));
        result.review = 'updated';
      } else result.review = 'unchanged';
    } else if (introduced.length) {
      await api('create the summary comment', () => gh.rest.issues.createComment({ owner, repo, issue_number: pr.number, body }));
      result.review = 'created';
    }
    result.inBody = introduced.length;
    return result;
  }

  const files = await api('list pull request files', () => gh.paginate(gh.rest.pulls.listFiles, { ...base, per_page: 100 }));
  const lines = new Map(files.map((f) => [f.filename, commentableLines(f.patch)]));
  const onDiff = (f: Finding): boolean => !!f.head && safePath(f.head.path) && !!lines.get(f.head.path)?.has(f.head.line);
  const inline = introduced.filter(onDiff).slice(0, MAX_INLINE);
  const inBody = introduced.filter((f) => !inline.includes(f));
  result.inBody = inBody.length;

  const posted = ours(await api('list review comments', () => gh.paginate(gh.rest.pulls.listReviewComments, { ...base, per_page: 100 })));
  const fresh = inline.filter((f) => !posted.has(f.fingerprint));
  const reviews = await api('list reviews', () => gh.paginate(gh.rest.pulls.listReviews, { ...base, per_page: 100 }));
  const prior = reviews.filter((r) => r.user?.type === 'Bot' && r.body?.includes(REVIEW_MARK)).at(-1);
  const body = reviewBody(doc, inline, inBody);

  if (fresh.length || (!prior && inBody.length)) {
    // One call: the review and all its comments land together or not at all.
    const serious = introduced.some((f) => f.severity !== 'info');
    await api('create the review', () =>
      gh.rest.pulls.createReview({
        ...base,
        commit_id: pr.headSha,
        event: opts.requestChanges && serious ? 'REQUEST_CHANGES' : 'COMMENT',
        body,
        comments: fresh.map((f) => ({ path: f.head!.path, line: f.head!.line, side: 'RIGHT' as const, body: commentBody(doc, f) })),
      }),
    );
    result.posted = fresh.length;
    result.review = 'created';
  } else if (prior) {
    if (prior.body !== body) {
      await api('update the review', () => gh.rest.pulls.updateReview({ ...base, review_id: prior.id, body }));
      result.review = 'updated';
    } else result.review = 'unchanged';
  }

  // Earlier comments: edited in place when their finding went away or came back.
  for (const c of posted.values()) {
    const isOpen = open.has(c.fingerprint);
    if (!isOpen && !c.resolved) {
      await api('mark a comment resolved', () => gh.rest.pulls.updateReviewComment({ owner, repo, comment_id: c.id, body: resolvedBody(c.body, pr) }));
      result.resolved++;
    } else if (isOpen && c.resolved) {
      const f = introduced.find((x) => x.fingerprint === c.fingerprint);
      const again = f ? commentBody(doc, f) : c.body.replace(RESOLVED_MARK, '');
      await api('mark a comment reported again', () =>
        gh.rest.pulls.updateReviewComment({
          owner,
          repo,
          comment_id: c.id,
          body: `:rotating_light: **Reported again** at ${pr.headSha.slice(0, 12)}.\n\n${again}`,
        }),
      );
      result.reopened++;
    }
  }
  opts.log(
    `review: ${result.review}; ${result.posted} new inline comment(s), ${result.inBody} in the body, ${result.resolved} resolved, ${result.reopened} reported again`,
  );
  return result;
}

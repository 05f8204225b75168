// A local HTTP server on 127.0.0.1 that speaks the GitHub REST endpoints the Action calls, with
// GitHub's own checks where they matter (a review comment must be on a line of the pull request's
// diff, the review on its head commit, writes need a token that may write), and a record of every
// call. Failures can be queued to answer the next matching calls (403, 422, rate limits).

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PullFile {
  filename: string;
  status: string;
  patch?: string;
}

export interface PullState {
  owner: string;
  repo: string;
  number: number;
  headSha: string;
  baseSha: string;
  headRepo: string;
  files: PullFile[];
  /** For the list of open pull requests (the nightly job's GitHub source). */
  title?: string;
  author?: string;
  updatedAt?: string;
  headRef?: string;
}

export interface Call {
  method: string;
  path: string;
  body: unknown;
  token: string | null;
}

interface User {
  login: string;
  type: 'Bot' | 'User';
}

export interface ReviewComment {
  id: number;
  pull_request_review_id: number;
  user: User;
  body: string;
  path: string;
  line: number;
  side: string;
  commit_id: string;
}

export interface Review {
  id: number;
  user: User;
  body: string;
  state: string;
  commit_id: string;
}

export interface IssueComment {
  id: number;
  user: User;
  body: string;
}

export interface Issue {
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  user: User;
}

export interface Failure {
  method: string;
  path: RegExp;
  status: number;
  headers?: Record<string, string>;
  message: string;
  /** How many matching calls it answers (default 1). */
  times?: number;
}

const BOT: User = { login: 'github-actions[bot]', type: 'Bot' };
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The lines of the new side of a file's patch (GitHub lets review comments go on those only). */
function rightLines(patch: string | undefined): Set<number> {
  const out = new Set<number>();
  let line = 0;
  for (const l of (patch ?? '').split('\n')) {
    const h = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(l);
    if (h) line = Number(h[1]);
    else if (line && !l.startsWith('-') && !l.startsWith('\\')) out.add(line++);
  }
  return out;
}

export class FakeGitHub {
  calls: Call[] = [];
  reviews: Review[] = [];
  reviewComments: ReviewComment[] = [];
  issueComments: IssueComment[] = [];
  /** The repository's issues (GET/POST /repos/:o/:r/issues, PATCH /repos/:o/:r/issues/:n). */
  issues: Issue[] = [];
  failures: Failure[] = [];
  /** Tokens that may only read (a fork's pull request token). */
  readOnly = new Set<string>();
  private nextId = 1000;
  private server: Server | null = null;

  constructor(public pull: PullState) {}

  get url(): string {
    const a = this.server!.address() as AddressInfo;
    return `http://127.0.0.1:${a.port}`;
  }

  writes(): Call[] {
    return this.calls.filter((c) => WRITES.has(c.method));
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const auth = req.headers.authorization ?? '';
    const token = /^(?:token|bearer)\s+(.+)$/i.exec(auth)?.[1] ?? null;
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = text;
    }
    this.calls.push({ method, path: url.pathname, body, token });
    const send = (status: number, data: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-ratelimit-remaining': '4999', ...headers });
      res.end(JSON.stringify(data));
    };
    const fail = this.failures.find((f) => f.method === method && f.path.test(url.pathname));
    if (fail) {
      fail.times = (fail.times ?? 1) - 1;
      if (fail.times <= 0) this.failures.splice(this.failures.indexOf(fail), 1);
      send(fail.status, { message: fail.message, documentation_url: 'https://docs.github.com/rest' }, fail.headers);
      return;
    }
    if (!token) return send(401, { message: 'Requires authentication' });
    if (WRITES.has(method) && this.readOnly.has(token)) return send(403, { message: 'Resource not accessible by integration' });
    const p = this.pull;
    const prefix = `/repos/${p.owner}/${p.repo}`;
    const path = url.pathname;
    const page = <T>(items: T[]): void => {
      const per = Number(url.searchParams.get('per_page') ?? 30);
      const n = Number(url.searchParams.get('page') ?? 1);
      const slice = items.slice((n - 1) * per, n * per);
      const headers: Record<string, string> = {};
      if (n * per < items.length) headers.link = `<${this.url}${path}?per_page=${per}&page=${n + 1}>; rel="next"`;
      send(200, slice, headers);
    };
    const pr = `${prefix}/pulls/${p.number}`;
    const b = (body ?? {}) as Record<string, unknown>;
    if (method === 'GET' && path === pr) {
      return send(200, {
        number: p.number,
        head: { sha: p.headSha, repo: { full_name: p.headRepo } },
        base: { sha: p.baseSha, repo: { full_name: `${p.owner}/${p.repo}` } },
      });
    }
    if (method === 'GET' && path === `${prefix}/pulls`) {
      if ((url.searchParams.get('state') ?? 'open') !== 'open') return page([]);
      return page([
        {
          number: p.number,
          title: p.title ?? `pull request ${p.number}`,
          state: 'open',
          updated_at: p.updatedAt ?? '2024-06-11T09:00:00Z',
          user: { login: p.author ?? 'ada', type: 'User' },
          head: { sha: p.headSha, ref: p.headRef ?? 'pr', repo: { full_name: p.headRepo } },
          base: { sha: p.baseSha, ref: 'main', repo: { full_name: `${p.owner}/${p.repo}` } },
        },
      ]);
    }
    if (method === 'GET' && path === `${pr}/files`) return page(p.files);
    if (method === 'GET' && path === `${pr}/comments`) return page(this.reviewComments);
    if (method === 'GET' && path === `${pr}/reviews`) return page(this.reviews);
    if (method === 'POST' && path === `${pr}/reviews`) {
      if (b.commit_id !== p.headSha) return send(422, { message: `commit_id ${String(b.commit_id)} is not the pull request's head` });
      const comments = (b.comments as { path: string; line: number; side?: string; body: string }[] | undefined) ?? [];
      for (const c of comments) {
        const file = p.files.find((f) => f.filename === c.path);
        if (!file || !rightLines(file.patch).has(c.line) || (c.side ?? 'RIGHT') !== 'RIGHT') {
          return send(422, { message: 'Unprocessable Entity', errors: [`pull_request_review_thread.line must be part of the diff (${c.path}:${c.line})`] });
        }
      }
      const review: Review = { id: this.nextId++, user: BOT, body: String(b.body ?? ''), state: String(b.event ?? 'COMMENT'), commit_id: p.headSha };
      this.reviews.push(review);
      for (const c of comments) {
        this.reviewComments.push({
          id: this.nextId++,
          pull_request_review_id: review.id,
          user: BOT,
          body: c.body,
          path: c.path,
          line: c.line,
          side: 'RIGHT',
          commit_id: p.headSha,
        });
      }
      return send(200, review);
    }
    const reviewPut = new RegExp(`^${pr}/reviews/(\\d+)$`).exec(path);
    if (method === 'PUT' && reviewPut) {
      const r = this.reviews.find((x) => x.id === Number(reviewPut[1]));
      if (!r) return send(404, { message: 'Not Found' });
      r.body = String(b.body ?? '');
      return send(200, r);
    }
    const commentPatch = new RegExp(`^${prefix}/pulls/comments/(\\d+)$`).exec(path);
    if (method === 'PATCH' && commentPatch) {
      const c = this.reviewComments.find((x) => x.id === Number(commentPatch[1]));
      if (!c) return send(404, { message: 'Not Found' });
      c.body = String(b.body ?? '');
      return send(200, c);
    }
    const issue = `${prefix}/issues/${p.number}/comments`;
    if (method === 'GET' && path === issue) return page(this.issueComments);
    if (method === 'POST' && path === issue) {
      const c: IssueComment = { id: this.nextId++, user: BOT, body: String(b.body ?? '') };
      this.issueComments.push(c);
      return send(201, c);
    }
    const issuePatch = new RegExp(`^${prefix}/issues/comments/(\\d+)$`).exec(path);
    if (method === 'PATCH' && issuePatch) {
      const c = this.issueComments.find((x) => x.id === Number(issuePatch[1]));
      if (!c) return send(404, { message: 'Not Found' });
      c.body = String(b.body ?? '');
      return send(200, c);
    }
    if (method === 'GET' && path === `${prefix}/issues`) {
      const state = url.searchParams.get('state') ?? 'open';
      return page(this.issues.filter((i) => state === 'all' || i.state === state));
    }
    if (method === 'POST' && path === `${prefix}/issues`) {
      if (!b.title) return send(422, { message: 'Validation Failed', errors: [{ resource: 'Issue', code: 'missing_field', field: 'title' }] });
      // Issues and pull requests share their numbers.
      const number = Math.max(p.number, ...this.issues.map((i) => i.number)) + 1;
      const i: Issue = { number, title: String(b.title), body: String(b.body ?? ''), state: 'open', user: BOT };
      this.issues.push(i);
      return send(201, i);
    }
    const issueEdit = new RegExp(`^${prefix}/issues/(\\d+)$`).exec(path);
    if (method === 'PATCH' && issueEdit) {
      const i = this.issues.find((x) => x.number === Number(issueEdit[1]));
      if (!i) return send(404, { message: 'Not Found' });
      if (b.title !== undefined) i.title = String(b.title);
      if (b.body !== undefined) i.body = String(b.body);
      if (b.state === 'open' || b.state === 'closed') i.state = b.state;
      return send(200, i);
    }
    send(404, { message: `Not Found: ${method} ${path}` });
  }
}

// A GitHub repository as a nightly source: its open pull requests updated since the last run, each
// fetched into the source's kernel tree and reviewed as the Action reviews it (commits mode). A pull
// request is a series; each new head it is pushed to is its next version, compared with the one before.

import { analyseCommits } from '../action/analyse.js';
import { PullRepo } from '../action/git.js';
import { api, gitHubClient } from '../action/github.js';
import type { PullRequestEvent } from '../action/inputs.js';
import type { Finding } from '../analysis/types.js';
import { VERSION } from '../version.js';
import type { SourceConfig } from './config.js';
import { introduced, saidBefore, verdicts, type NightContext } from './night.js';
import { SourceError, gitFetch } from './sources.js';

export async function followGitHub(ctx: NightContext, src: Extract<SourceConfig, { kind: 'github' }>): Promise<void> {
  const { db, runId } = ctx;
  const token = process.env[src.tokenEnv] ?? '';
  if (!token) throw new SourceError(`${src.repository}: no token in $${src.tokenEnv}`);
  if (!src.tree) throw new SourceError(`${src.repository}: no tree to fetch pull requests into`);
  if (src.fetchTree) await gitFetch(src.tree);
  const gh = gitHubClient(token, (s) => ctx.log('github', { source: src.name, text: s }));
  const [owner, repo] = src.repository.split('/') as [string, string];
  const sourceId = db.source(src.name, 'github', src.repository);
  const since = db.cursor(sourceId, 'updated');
  const pulls = await api(`list the open pull requests of ${src.repository}`, () =>
    gh.paginate(gh.rest.pulls.list, { owner, repo, state: 'open', sort: 'updated', direction: 'desc', per_page: 100 }, (resp, done) => {
      if (since && resp.data.some((p) => p.updated_at <= since)) done();
      return resp.data;
    }),
  );
  const fresh = pulls.filter((p) => !since || p.updated_at > since).reverse();
  const git = new PullRepo(src.tree);
  for (const p of fresh) {
    if (ctx.signal?.aborted) return;
    const seenHead = db.cursor(sourceId, `pull:${p.number}`);
    if (seenHead === p.head.sha) {
      db.setCursor(sourceId, 'updated', p.updated_at);
      continue;
    }
    try {
      await git.git.raw(['fetch', '--no-tags', '--quiet', 'origin', `+refs/pull/${p.number}/head:refs/kreview/pull/${p.number}`]);
    } catch (e) {
      db.event(
        runId,
        src.name,
        'warning',
        `pull request #${p.number}: cannot fetch its head (${String(e instanceof Error ? e.message : e).trim()}); trying by commit id`,
      );
    }
    const ev: PullRequestEvent = {
      pull_request: {
        number: p.number,
        head: { sha: p.head.sha, ref: p.head.ref, repo: p.head.repo ? { full_name: p.head.repo.full_name } : null },
        base: { sha: p.base.sha, ref: p.base.ref, repo: { full_name: src.repository } },
      },
      repository: { full_name: src.repository },
    };
    await git.ensure([p.base.sha, p.head.sha]);
    const mergeBase = await git.mergeBase(p.base.sha, p.head.sha);
    const doc = await analyseCommits(
      { repo: git, pr: ev, setup: ctx.setup, sem: ctx.sem, tree: null, args: ['scan', '--tree', src.tree, `pull-${p.number}.mbox`] },
      mergeBase,
    );
    // What the pull request introduces and its head still has.
    const open = new Set(doc.pullRequest?.open ?? []);
    const now = new Map([...introduced(doc)].filter(([fp]) => open.has(fp)));
    const key = `github:${src.repository}#${p.number}`;
    db.tx(() => {
      const seriesId = db.seriesByKey(key)?.id ?? db.addSeries(key, null, `#${p.number} ${p.title}`, p.user?.login ?? '', runId);
      const prev = db
        .versions(seriesId)
        .filter((v) => v.analysed_run_id !== null)
        .at(-1);
      const version = (prev?.version ?? 0) + 1;
      const v = db.version(seriesId, version, runId);
      // A force-push may have dropped the previous head's commits: the earlier answer stands for it.
      const rows = verdicts(prev ? saidBefore(db, prev.id) : new Map<string, { f: Finding; since: number }>(), now, version);
      for (const r of rows) db.addFinding(v.id, r.f, r.source, r.verdict, r.since, runId);
      db.addAnalysis(runId, v.id, 'version', JSON.stringify(doc));
      db.markAnalysed(v.id, runId, VERSION, ctx.semHash);
      db.setCursor(sourceId, `pull:${p.number}`, p.head.sha);
      db.setCursor(sourceId, 'updated', p.updated_at);
    });
    ctx.log('pull', { source: src.name, number: p.number, head: p.head.sha.slice(0, 12), findings: now.size });
  }
}

// The pull request reviewed, in one of two modes:
//   commits  a PR against a kernel tree: its commits are one patch series, applied in order on
//            the merge base with pre-images from the checkout; every finding names its commit;
//   patches  a PR that adds patch files to a patch queue: those files are the mail, pre-images
//            from a kernel tree when the workflow checked one out, else the hunks alone.
// Either way the result says what the PR introduces that its head still has, and where on the
// head a review comment about it goes.

import { isFromLine } from '../ingest/index.js';
import type { Finding } from '../analysis/types.js';
import type { ScanInput } from '../pipeline.js';
import { patchOf, type PullRequestRun, type RunDocument } from '../report/document.js';
import { scanRun, type Setup } from '../run.js';
import type { Semantics } from '../semantics/index.js';
import { mapLine, type PullRepo } from './git.js';
import type { PullRequestEvent } from './inputs.js';

/** What a patch queue keeps its patches in. */
export const PATCH_FILE = /\.(?:patch|diff|mbox|mbx|eml)$/i;
const C_FILE = /\.[ch]$/;
/** Patch files larger than this are not read (said in the notes). */
const MAX_PATCH_FILE = 32 << 20;

export interface AnalyseContext {
  repo: PullRepo;
  pr: PullRequestEvent;
  setup: Setup;
  sem: Semantics;
  args: string[];
  /** A kernel tree for patches mode (commits mode uses the checkout). */
  tree: string | null;
}

/** auto: a PR that changes patch files and no C is a patch queue; anything else is reviewed commit by commit. */
export async function pickMode(ctx: AnalyseContext, mergeBase: string): Promise<'commits' | 'patches'> {
  const changed = await ctx.repo.changed(mergeBase, ctx.pr.pull_request.head.sha);
  const patches = changed.some((f) => f.status !== 'D' && PATCH_FILE.test(f.path));
  const c = changed.some((f) => C_FILE.test(f.path));
  return patches && !c ? 'patches' : 'commits';
}

function pullRequestRun(ctx: AnalyseContext, mergeBase: string, mode: PullRequestRun['mode'], open: string[]): PullRequestRun {
  const p = ctx.pr.pull_request;
  return {
    repository: ctx.pr.repository.full_name,
    number: p.number,
    headSha: p.head.sha,
    baseSha: p.base.sha,
    mergeBase,
    fork: p.head.repo?.full_name !== p.base.repo.full_name,
    mode,
    open,
  };
}

/**
 * What the PR introduces and its last patch still has, walking the patches in order: introduced
 * opens a fingerprint, fixed closes it, present keeps it (and is where it was last seen). Returns,
 * per open fingerprint, the finding that introduced it and the one it was last seen as.
 */
export function stillOpen(findings: Finding[], order: (f: Finding) => number): Map<string, { introduced: Finding; last: Finding }> {
  const byFp = new Map<string, Finding[]>();
  for (const f of findings) byFp.set(f.fingerprint, [...(byFp.get(f.fingerprint) ?? []), f]);
  const open = new Map<string, { introduced: Finding; last: Finding }>();
  for (const [fp, list] of byFp) {
    let cur: { introduced: Finding; last: Finding } | null = null;
    for (const f of [...list].sort((a, b) => order(a) - order(b))) {
      if (f.status === 'introduced') cur = { introduced: f, last: f };
      else if (f.status === 'fixed') cur = null;
      else if (cur) cur.last = f;
    }
    if (cur && !cur.introduced.baseline) open.set(fp, cur);
  }
  return open;
}

export async function analyseCommits(ctx: AnalyseContext, mergeBase: string): Promise<RunDocument> {
  const { repo, pr } = ctx;
  const head = pr.pull_request.head.sha;
  const commits = await repo.commits(mergeBase, head);
  const name = `pull-${pr.pull_request.number}.mbox`;
  const mbox = commits.length ? await repo.formatPatch(mergeBase, head) : '';
  const { doc } = await scanRun(commits.length ? [{ name, text: mbox }] : [], { setup: ctx.setup, sem: ctx.sem, tree: repo.dir, args: ctx.args });
  if (!commits.length) doc.notes.push(`pull request #${pr.pull_request.number}: no commits between ${mergeBase.slice(0, 12)} and ${head.slice(0, 12)}`);
  // format-patch writes one message per commit, in order, each after a "From <commit>" line.
  const written = mbox
    .split('\n')
    .filter(isFromLine)
    .map((l) => l.slice(5, 45));
  const commitOf = (f: Finding): string | undefined => {
    const m = patchOf(doc, f.patch)?.message;
    return m ? written[m.index - 1] : undefined;
  };
  for (const f of doc.findings) {
    const c = commitOf(f);
    if (c) f.commit = c;
  }
  const order = new Map(commits.map((c, i) => [c, i]));
  const open = stillOpen(doc.findings, (f) => order.get(f.commit ?? '') ?? -1);
  for (const { introduced, last } of open.values()) {
    if (!last.file || last.line === null || !last.commit || last.lineIn !== 'file') continue;
    const seen = await repo.show(last.commit, last.file);
    const now = await repo.show(head, last.file);
    if (seen === null || now === null) continue;
    const line = mapLine(seen, now, last.line);
    if (line !== null) introduced.head = { path: last.file, line };
  }
  doc.notes.push(...repo.notes);
  doc.pullRequest = pullRequestRun(ctx, mergeBase, 'commits', [...open.keys()]);
  return doc;
}

/**
 * The line of a patch file that shows body line `bodyLine` of message `index` (1-based) in it, when
 * the text is as sent (a plain body; an encoded one is not found again): checked against `expect`.
 */
export function patchFileLine(text: string, index: number, bodyLine: number, expect: string): number | null {
  const lines = text.split('\n');
  let start = 0;
  const froms = lines.flatMap((l, i) => (isFromLine(l) ? [i] : []));
  if (froms.length) {
    const at = froms[index - 1];
    if (at === undefined) return null;
    start = at + 1;
  } else if (index !== 1) {
    return null;
  }
  let blank = start;
  while (blank < lines.length && lines[blank]!.replace(/\r$/, '') !== '') blank++;
  const row = blank + bodyLine; // the body starts on the row after the blank line
  return lines[row]?.replace(/\r$/, '') === expect ? row + 1 : null;
}

export async function analysePatches(ctx: AnalyseContext, mergeBase: string): Promise<RunDocument> {
  const { repo, pr } = ctx;
  const head = pr.pull_request.head.sha;
  const notes: string[] = [];
  const inputs: { name: string; text: string }[] = [];
  for (const f of await repo.changed(mergeBase, head)) {
    if (f.status === 'D' || !PATCH_FILE.test(f.path)) continue;
    const mode = await repo.mode(head, f.path);
    // Read from git, never the file system: a link is its target's name, not a way out of the workspace.
    if (mode !== '100644' && mode !== '100755') {
      notes.push(`${f.path}: not read: ${mode === '120000' ? 'a symbolic link' : mode === '160000' ? 'a submodule' : `mode ${mode}`}`);
      continue;
    }
    const text = await repo.show(head, f.path);
    if (text === null) continue;
    if (text.length > MAX_PATCH_FILE) {
      notes.push(`${f.path}: not read: ${text.length} bytes, more than ${MAX_PATCH_FILE}`);
      continue;
    }
    inputs.push({ name: f.path, text });
  }
  const scanInputs: ScanInput[] = inputs;
  const { doc } = await scanRun(scanInputs, { setup: ctx.setup, sem: ctx.sem, tree: ctx.tree ?? undefined, args: ctx.args });
  if (!inputs.length) notes.push(`pull request #${pr.pull_request.number}: no patch files added or changed`);
  if (!ctx.tree) notes.push('no kernel tree given (input tree): pre-images rebuilt from the hunks alone');
  doc.notes.push(...notes, ...repo.notes);
  const order = new Map(doc.patches.map((p, i) => [p.id, i]));
  const open = stillOpen(doc.findings, (f) => order.get(f.patch ?? '') ?? -1);
  const textOf = new Map(inputs.map((i) => [i.name, i.text]));
  for (const { introduced } of open.values()) {
    const where = patchOf(doc, introduced.patch);
    const text = where ? textOf.get(where.patch.input) : undefined;
    const hunk = introduced.hunk;
    if (!where?.message || text === undefined || !hunk?.bodyLine || where.patch.from !== 'body') continue;
    const line = patchFileLine(text, where.message.index, hunk.bodyLine, hunk.lines.at(-1)!);
    if (line !== null) introduced.head = { path: where.patch.input, line };
  }
  doc.pullRequest = pullRequestRun(ctx, mergeBase, 'patches', [...open.keys()]);
  return doc;
}

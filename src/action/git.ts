// The pull request's commits as the checkout has them (simple-git): make sure the base and head
// are there (a shallow checkout is fetched deeper, and that is said), find the merge base, list
// the commits, and read files at any of them.

import { diffArrays } from 'diff';
import { simpleGit, type SimpleGit } from 'simple-git';
import { ActionError } from './inputs.js';

/** Depths tried, in turn, when the checkout is too shallow to hold the merge base. */
const DEEPEN = [50, 500, 5000];

export class PullRepo {
  readonly git: SimpleGit;
  /** What had to be done to the checkout, for the run's notes. */
  readonly notes: string[] = [];

  constructor(readonly dir: string) {
    this.git = simpleGit({ baseDir: dir, maxConcurrentProcesses: 4 });
  }

  async has(sha: string): Promise<boolean> {
    try {
      await this.git.raw(['cat-file', '-e', `${sha}^{commit}`]);
      return true;
    } catch {
      return false;
    }
  }

  private async shallow(): Promise<boolean> {
    return (await this.git.raw(['rev-parse', '--is-shallow-repository'])).trim() === 'true';
  }

  private async fetch(args: string[], why: string): Promise<void> {
    try {
      await this.git.raw(['fetch', '--no-tags', '--quiet', ...args]);
      this.notes.push(`checkout: ${why}`);
    } catch (e) {
      throw new ActionError(`checkout ${this.dir}: ${why} failed: ${String(e instanceof Error ? e.message : e).trim()}`);
    }
  }

  /** The commits, fetched by id from origin when the checkout lacks them. */
  async ensure(shas: string[]): Promise<void> {
    const missing: string[] = [];
    for (const s of shas) if (!(await this.has(s))) missing.push(s);
    if (missing.length) await this.fetch(['origin', ...missing], `fetched ${missing.map((s) => s.slice(0, 12)).join(', ')} from origin`);
  }

  /** The merge base of base and head, deepening a shallow checkout until it holds one. */
  async mergeBase(base: string, head: string): Promise<string> {
    const find = async (): Promise<string | null> => {
      try {
        return (await this.git.raw(['merge-base', base, head])).trim() || null;
      } catch {
        return null;
      }
    };
    let mb = await find();
    for (const depth of DEEPEN) {
      if (mb || !(await this.shallow())) break;
      await this.fetch([`--depth=${depth}`, 'origin', base, head], `shallow checkout fetched to depth ${depth} to find the merge base`);
      mb = await find();
    }
    if (!mb && (await this.shallow())) {
      await this.fetch(['--unshallow', 'origin'], 'shallow checkout unshallowed to find the merge base');
      mb = await find();
    }
    if (!mb) throw new ActionError(`checkout ${this.dir}: ${base.slice(0, 12)} and ${head.slice(0, 12)} have no merge base`);
    return mb;
  }

  /** The commits from `from` (excluded) to `to`, oldest first, without merges (which carry no patch of their own). */
  async commits(from: string, to: string): Promise<string[]> {
    const all = (await this.git.raw(['rev-list', '--reverse', `${from}..${to}`])).split('\n').filter(Boolean);
    const plain = (await this.git.raw(['rev-list', '--reverse', '--no-merges', `${from}..${to}`])).split('\n').filter(Boolean);
    if (plain.length < all.length)
      this.notes.push(`${all.length - plain.length} merge commit(s) in the pull request not reviewed (a merge has no patch of its own)`);
    return plain;
  }

  /** The commits as a patch series in one mbox (`[PATCH n/N]`, full blob ids for the pre-images). */
  async formatPatch(from: string, to: string): Promise<string> {
    return this.git.raw(['format-patch', '--stdout', '--numbered', '--full-index', '--no-signature', `${from}..${to}`]);
  }

  /** The text of `path` at `commit`, or null when it is not there. */
  async show(commit: string, path: string): Promise<string | null> {
    try {
      return await this.git.raw(['show', `${commit}:${path}`]);
    } catch {
      return null;
    }
  }

  /** The object mode of `path` at `commit` ('100644', '120000' for a symlink ...), null when absent. */
  async mode(commit: string, path: string): Promise<string | null> {
    const out = (await this.git.raw(['ls-tree', commit, '--', path])).trim();
    return out ? out.split(/\s+/)[0]! : null;
  }

  /** Files changed between two commits, with their status letter (A, M, D, R...). */
  async changed(from: string, to: string): Promise<{ status: string; path: string }[]> {
    const out = await this.git.raw(['diff', '--name-status', '--no-renames', '-z', from, to]);
    const parts = out.split('\0').filter(Boolean);
    const files: { status: string; path: string }[] = [];
    for (let i = 0; i + 1 < parts.length; i += 2) files.push({ status: parts[i]!, path: parts[i + 1]! });
    return files;
  }
}

/**
 * Where line `line` of `before` is in `after` (1-based), or null when the line itself changed:
 * a finding made at one commit, placed on the head a review comment goes on.
 */
export function mapLine(before: string, after: string, line: number): number | null {
  if (before === after) return line;
  let a = 0;
  let b = 0;
  for (const part of diffArrays(before.split('\n'), after.split('\n'))) {
    const n = part.value.length;
    if (part.added) {
      b += n;
    } else if (part.removed) {
      if (line > a && line <= a + n) return null;
      a += n;
    } else {
      if (line > a && line <= a + n) return b + (line - a);
      a += n;
      b += n;
    }
  }
  return null;
}

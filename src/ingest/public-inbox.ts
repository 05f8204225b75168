// public-inbox v2 archives (what lore.kernel.org mirrors hold): `git/0.git`, `git/1.git`... epochs, each a bare
// repository where every commit adds or replaces one blob named `m` holding one raw message. A deletion commit
// replaces `m` by `d`. A single repository (bare or not) in that shape is read the same way.
// Commits are listed oldest first with simple-git; blobs are read through one `git cat-file --batch` per repo.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { catFileBatch } from './catfile.js';

export interface Epoch {
  /** The repository (git dir or work tree) to run git in. */
  dir: string;
  /** How the epoch is named in origins (`git/0.git`), or null for a single repository. */
  label: string | null;
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

/** A bare repository: HEAD, objects/, refs/ at the top. */
export async function isBareRepo(dir: string): Promise<boolean> {
  return (await isFile(join(dir, 'HEAD'))) && (await isDir(join(dir, 'objects'))) && (await isDir(join(dir, 'refs')));
}

/** Names at the top of HEAD's tree, or null when there is no commit (or git fails). */
async function headTree(dir: string): Promise<string[] | null> {
  try {
    const out = await simpleGit({ baseDir: dir }).raw(['ls-tree', '--name-only', 'HEAD']);
    return out.split('\n').filter(Boolean);
  } catch {
    return null;
  }
}

export type InboxLayout =
  | { kind: 'v2'; epochs: Epoch[] }
  | { kind: 'repo'; epochs: Epoch[] }
  /** A bare repository that is not in public-inbox shape: why. */
  | { kind: 'not-inbox'; reason: string };

/**
 * Recognise a public-inbox: a v2 inbox directory (`git/N.git`), or a repository whose HEAD tree holds `m`
 * or `d`. Returns null for a directory that is not a git repository at all (or a work tree of other files).
 */
export async function detectInbox(dir: string): Promise<InboxLayout | null> {
  if (await isDir(join(dir, 'git'))) {
    let names: string[] = [];
    try {
      names = await readdir(join(dir, 'git'));
    } catch {
      names = [];
    }
    const epochs = names
      .map((n) => /^(\d+)\.git$/.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .sort((a, b) => Number(a[1]) - Number(b[1]))
      .map((m) => ({ dir: join(dir, 'git', m[0]), label: `git/${m[0]}` }));
    if (epochs.length) return { kind: 'v2', epochs };
  }
  const bare = await isBareRepo(dir);
  const worktree = !bare && (await isDir(join(dir, '.git')));
  if (!bare && !worktree) return null;
  const top = await headTree(dir);
  if (top && (top.includes('m') || top.includes('d'))) return { kind: 'repo', epochs: [{ dir, label: null }] };
  if (!bare) return null; // a work tree of ordinary files: read it as a directory
  return {
    kind: 'not-inbox',
    reason:
      top === null
        ? 'git repository with no commits'
        : `git repository whose HEAD holds ${top.slice(0, 5).join(', ') || 'nothing'}, not a message blob m (public-inbox v2)`,
  };
}

export type InboxItem = { commit: string; data: Buffer } | { commit: string; skipped: string };

/** Commits of one epoch, oldest first; null when the repository has no commit yet (a new, empty epoch). */
export async function listCommits(dir: string): Promise<string[] | null> {
  const git = simpleGit({ baseDir: dir });
  let head = '';
  try {
    head = (await git.raw(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'])).trim();
  } catch {
    head = '';
  }
  if (!/^[0-9a-f]{40,64}$/.test(head)) return null;
  const out = await git.raw(['rev-list', '--reverse', 'HEAD']);
  return out.split('\n').filter((l) => /^[0-9a-f]{40,64}$/.test(l));
}

/** Every commit's message blob, in order; deletions and commits without `m` come back as skipped. */
export async function* epochMessages(epoch: Epoch, commits: string[]): AsyncGenerator<InboxItem> {
  const git = simpleGit({ baseDir: epoch.dir });
  for await (const r of catFileBatch(
    epoch.dir,
    commits.map((c) => `${c}:m`),
  )) {
    const commit = r.spec.slice(0, -2);
    if ('data' in r) {
      if (r.type === 'blob') yield { commit, data: r.data };
      else yield { commit, skipped: `m is a ${r.type}, not a message blob` };
      continue;
    }
    // Rare (deletions), so a separate git call is fine here.
    let hasD = false;
    try {
      hasD = (await git.raw(['cat-file', '-t', `${commit}:d`])).trim() === 'blob';
    } catch {
      hasD = false;
    }
    yield { commit, skipped: hasD ? 'public-inbox deletion (the commit holds d instead of m)' : 'commit holds no message blob m' };
  }
}

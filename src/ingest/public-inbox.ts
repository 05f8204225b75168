// public-inbox v2 archives (what lore.kernel.org mirrors hold): `git/0.git`, `git/1.git`... epochs, each a bare
// repository where every commit adds or replaces one blob named `m` holding one raw message. A deletion commit
// replaces `m` by `d`. A single repository (bare or not) in that shape is read the same way.
// Commits are listed oldest first by one `git rev-list --reverse` per epoch (spooled to a temporary file), and
// their blobs read through one `git cat-file --batch` per epoch as the list is streamed back: nothing held
// grows with the epoch's size.
import { type ChildProcess, spawn } from 'node:child_process';
import { type FileHandle, mkdtemp, open, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
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

/** The epoch's HEAD commit, or null when the repository has no commit yet (a new, empty epoch). */
export async function headCommit(dir: string): Promise<string | null> {
  let head = '';
  try {
    head = (await simpleGit({ baseDir: dir }).raw(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'])).trim();
  } catch {
    head = '';
  }
  return /^[0-9a-f]{40,64}$/.test(head) ? head : null;
}

/** git could not list an epoch's commits (a broken history): the epoch is reported, the others are read. */
class ListError extends Error {}

/** `git rev-list --reverse <head>` with its output to a pipe or a file; `done` rejects with a ListError. */
function revList(dir: string, head: string, out: 'pipe' | number): { child: ChildProcess; done: Promise<void> } {
  const child = spawn('git', ['rev-list', '--reverse', head], { cwd: dir, stdio: ['ignore', out, 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    if (stderr.length < 4096) stderr += d.toString('utf8');
  });
  const done = new Promise<void>((res, rej) => {
    const failed = (why: string): void => rej(new ListError(`cannot list commits: ${why}`));
    child.on('error', (e) => failed(e.message));
    child.on('close', (code) => (code === 0 ? res() : failed(stderr.trim() || `git rev-list exited with ${code}`)));
  });
  done.catch(() => {}); // awaited by the caller; not an unhandled rejection while the caller reads
  return { child, done };
}

const COMMIT = /^[0-9a-f]{40,64}$/;

async function* commitLines(src: AsyncIterable<Buffer>): AsyncGenerator<string> {
  let rest = '';
  for await (const chunk of src) {
    const lines = (rest + chunk.toString('latin1')).split('\n');
    rest = lines.pop()!;
    for (const l of lines) if (COMMIT.test(l)) yield l;
  }
  if (COMMIT.test(rest)) yield rest;
}

/**
 * The commits reachable from `head`, oldest first. Throws `cannot list commits: ...` when git fails.
 *
 * git holds every commit of its walk (~200 bytes each) until its output has been read, and the list is read
 * at the pace of the consumer, which may be a whole review run. So the list is written to a temporary file,
 * git exits, and the file (unlinked once open) is streamed; neither process keeps anything that grows with the
 * epoch while its messages are read. Without a usable temporary directory the list comes straight from git.
 */
export async function* streamCommits(dir: string, head: string): AsyncGenerator<string> {
  let spool: string | null = null;
  let list: FileHandle | null = null;
  try {
    try {
      spool = await mkdtemp(join(tmpdir(), 'kreview-commits-'));
      const out = await open(join(spool, 'list'), 'w');
      try {
        await revList(dir, head, out.fd).done;
      } finally {
        await out.close();
      }
      list = await open(join(spool, 'list'), 'r');
    } finally {
      // The open handle keeps the list readable; nothing is left behind even if reading stops half-way.
      if (spool) await rm(spool, { recursive: true, force: true }).catch(() => {});
    }
  } catch (e) {
    if (e instanceof ListError) throw e;
    list = null; // no temporary space: read from git directly
  }
  if (list) {
    try {
      yield* commitLines(list.createReadStream({ autoClose: false, highWaterMark: 1 << 16 }));
    } finally {
      await list.close();
    }
    return;
  }
  const git = revList(dir, head, 'pipe');
  try {
    yield* commitLines(git.child.stdout as AsyncIterable<Buffer>);
    await git.done;
  } finally {
    if (git.child.exitCode === null) git.child.kill();
  }
}

async function* specsOf(commits: Iterable<string> | AsyncIterable<string>): AsyncGenerator<string> {
  for await (const c of commits) yield `${c}:m`;
}

/**
 * Every commit's message blob, in order; deletions and commits without `m` come back as skipped. `commits` may
 * be a list or a stream (streamCommits).
 */
export async function* epochMessages(epoch: Epoch, commits: readonly string[] | AsyncIterable<string>): AsyncGenerator<InboxItem> {
  const git = simpleGit({ baseDir: epoch.dir });
  for await (const r of catFileBatch(epoch.dir, Array.isArray(commits) ? commits.map((c) => `${c}:m`) : specsOf(commits))) {
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

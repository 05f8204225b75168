// What arrived since the last run, per source: the new commits of a public-inbox archive after the
// stored cursor of each epoch (git fetch first when asked), the messages of an mbox file or a
// Maildir that the database does not have yet (by Message-ID, or a hash of the text). Each new
// message comes with the cursor to store once it is written, so a batch and its cursor commit together.

import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { splitMbox } from '../ingest/index.js';
import { messageId, header, splitHeaderBlock } from '../ingest/headers.js';
import { unescapeFromLines } from '../ingest/mbox.js';
import { detectInbox, epochMessages } from '../ingest/public-inbox.js';
import { fileChunks } from '../ingest/stream.js';
import type { SourceConfig } from './config.js';
import type { NightDb } from './db.js';

export interface NewMessage {
  /** Message-ID, or `sha256:<hash>` of the text when there is none. */
  key: string;
  raw: Buffer;
  /** Where it was found (for the report when it cannot be read). */
  where: string;
  /** The cursor to store once this message (and every one before it) is in the database. */
  cursor?: { key: string; value: string };
}

/** A source that cannot be read at all: said in the night's report, the other sources go on. */
export class SourceError extends Error {}

/** The message's identity: its Message-ID, or a hash of its bytes. */
export function messageKey(raw: Buffer): string {
  const hb = splitHeaderBlock(raw);
  const id = hb ? messageId(header(hb.fields, 'message-id')) : null;
  return id ?? `sha256:${createHash('sha256').update(raw).digest('hex')}`;
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/** Fetch a git repository from its remotes (an archive mirror, a kernel tree). */
export async function gitFetch(dir: string): Promise<void> {
  try {
    await simpleGit({ baseDir: dir }).raw(['fetch', '--quiet', '--all', '--prune']);
  } catch (e) {
    throw new SourceError(`${dir}: git fetch failed: ${String(e instanceof Error ? e.message : e).trim()}`);
  }
}

async function* publicInbox(src: Extract<SourceConfig, { kind: 'public-inbox' }>, db: NightDb, sourceId: number): AsyncGenerator<NewMessage> {
  if (!(await exists(src.path))) throw new SourceError(`${src.path}: not found`);
  const layout = await detectInbox(src.path);
  if (!layout) throw new SourceError(`${src.path}: not a public-inbox archive (no git/N.git epochs, no repository of message blobs)`);
  if (layout.kind === 'not-inbox') throw new SourceError(`${src.path}: ${layout.reason}`);
  for (const epoch of layout.epochs) {
    if (src.fetch) await gitFetch(epoch.dir);
    const key = `epoch:${epoch.label ?? '.'}`;
    const since = db.cursor(sourceId, key);
    const git = simpleGit({ baseDir: epoch.dir });
    let head: string;
    try {
      head = (await git.raw(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'])).trim();
    } catch {
      continue; // an epoch with no commit yet
    }
    if (!head || head === since) continue;
    let range: string;
    try {
      range = since ? await git.raw(['rev-list', '--reverse', `${since}..${head}`]) : await git.raw(['rev-list', '--reverse', head]);
    } catch (e) {
      throw new SourceError(`${epoch.dir}: the stored cursor ${since?.slice(0, 12)} is not in the archive any more (${String(e).trim().split('\n')[0]})`);
    }
    const commits = range.split('\n').filter((l) => /^[0-9a-f]{40,64}$/.test(l));
    for await (const item of epochMessages(epoch, commits)) {
      const cursor = { key, value: item.commit };
      if ('skipped' in item) {
        // A deletion or a commit without a message moves the cursor all the same.
        yield { key: '', raw: Buffer.alloc(0), where: `${epoch.label ?? src.path} commit ${item.commit.slice(0, 12)}`, cursor };
        continue;
      }
      yield { key: messageKey(item.data), raw: item.data, where: `${epoch.label ?? src.path} commit ${item.commit.slice(0, 12)}`, cursor };
    }
  }
}

async function* mbox(src: Extract<SourceConfig, { kind: 'mbox' }>, db: NightDb, sourceId: number): AsyncGenerator<NewMessage> {
  if (!(await exists(src.path))) throw new SourceError(`${src.path}: not found`);
  let n = 0;
  for await (const m of splitMbox(fileChunks(src.path))) {
    n++;
    const raw = unescapeFromLines(m.bytes);
    const key = messageKey(raw);
    if (!db.hasMessage(sourceId, key)) yield { key, raw, where: `${src.path} message ${n} (offset ${m.offset})` };
  }
}

async function* maildir(src: Extract<SourceConfig, { kind: 'maildir' }>, db: NightDb, sourceId: number): AsyncGenerator<NewMessage> {
  if (!(await exists(src.path))) throw new SourceError(`${src.path}: not found`);
  for (const sub of ['cur', 'new']) {
    const dir = join(src.path, sub);
    if (!(await exists(dir))) continue;
    for (const name of (await readdir(dir)).sort()) {
      if (name.startsWith('.')) continue;
      const raw = await readFile(join(dir, name));
      const key = messageKey(raw);
      if (!db.hasMessage(sourceId, key)) yield { key, raw, where: `${sub}/${name}` };
    }
  }
}

/** The new messages of a mail source, oldest first. */
export function newMessages(src: SourceConfig, db: NightDb, sourceId: number): AsyncGenerator<NewMessage> {
  switch (src.kind) {
    case 'public-inbox':
      return publicInbox(src, db, sourceId);
    case 'mbox':
      return mbox(src, db, sourceId);
    case 'maildir':
      return maildir(src, db, sourceId);
    case 'github':
      throw new Error('newMessages: a github source has pull requests, not mail');
  }
}

/** Where a source lives, for the database. */
export function sourceLocation(src: SourceConfig): string {
  return src.kind === 'github' ? src.repository : src.path;
}

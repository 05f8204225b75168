// One run split over machines (#17): `kreview check|scan --shard I/N` analyses the I-th of N parts
// of its inputs (I counts from 1), `kreview merge` joins the N run documents (report/merge.ts).
//
// Every shard walks or reads all of its inputs and keeps the ones a stable hash gives it:
//   check: a file, by its path relative to the directory named on the command line (a file named
//          itself: its base name), so where the tree is checked out does not matter;
//   scan:  a message, by its series (settled over all the mail, so every version, cover letter and
//          review of a series lands in one shard and series grouping works as in one run), else by
//          its Message-ID, else by a hash of its content.
// Each shard's document records what it holds (`shard`: the place of each of its files or messages
// in the unsharded run, the number of them all, a digest of every key), so the merge can check that
// every input is accounted for exactly once and put everything back in the unsharded order.

import { createHash, type Hash } from 'node:crypto';
import { basename, relative, sep } from 'node:path';
import type { Message } from './ingest/types.js';
import type { Patch } from './patch/types.js';
import type { MessageEntry, ScanDocument } from './pipeline.js';

/** The I-th of N shards, I from 1 to N. */
export interface Shard {
  index: number;
  count: number;
}

/** What a shard's run document says of it (`shard` in the JSON). */
export interface ShardInfo extends Shard {
  /** What the inputs were partitioned by: check's file paths, scan's series (messages). */
  by: 'path' | 'series';
  /** Files (check) or messages (scan) of the whole run, over every shard. */
  total: number;
  /** sha-256 of every file's or message's key, in order: the shards of one run agree on it. */
  digest: string;
  /** For each of this document's files (check) or messages (scan), its 0-based place in the whole run. */
  positions: number[];
}

export const MAX_SHARDS = 10_000;

export class ShardError extends Error {}

/** `I/N` as --shard takes it: 1 <= I <= N. */
export function parseShard(v: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(v);
  if (!m) throw new ShardError('I/N: the I-th of N shards, I from 1 to N (e.g. 1/4)');
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > MAX_SHARDS) throw new ShardError(`the number of shards is 1 to ${MAX_SHARDS}`);
  if (index < 1 || index > count) throw new ShardError(`shards count from 1: the index is 1 to ${count}`);
  return { index, count };
}

/** The shard (1 to count) `key` belongs to: the same on every machine. */
export function shardOf(key: string, count: number): number {
  const h = createHash('sha256').update(key).digest();
  return (h.readUIntBE(0, 6) % count) + 1;
}

/** The partition key of a file check found: its path under the directory named, with `/`. */
export function pathKey(root: string, path: string): string {
  if (path === root) return basename(path);
  return relative(root, path).split(sep).join('/');
}

/** The partition key of a message: its series, else its Message-ID, else a hash of its content. */
export function messageKey(m: Pick<MessageEntry, 'series' | 'messageId'>, content: string | null): string {
  if (m.series) return `series:${m.series.id}`;
  if (m.messageId) return `message-id:${m.messageId}`;
  return `content:${content ?? ''}`;
}

/** A message's content, hashed (for one with no Message-ID: where it was read from must not matter). */
export function contentKey(msg: Message): string {
  const h = createHash('sha256');
  for (const part of [msg.from, msg.date ?? '', msg.subject, msg.body, ...msg.attachments.map((a) => a.text)]) h.update(part).update('\0');
  return h.digest('hex');
}

/** A partition made as the inputs go by: which of them this shard keeps, and the record of it. */
export class Partition {
  private readonly hash: Hash = createHash('sha256');
  private total = 0;
  private readonly positions: number[] = [];

  constructor(
    private readonly shard: Shard,
    private readonly by: ShardInfo['by'],
  ) {}

  /** Count the input with this key; true when this shard keeps it. */
  take(key: string): boolean {
    this.hash.update(key).update('\n');
    const at = this.total++;
    if (shardOf(key, this.shard.count) !== this.shard.index) return false;
    this.positions.push(at);
    return true;
  }

  info(): ShardInfo {
    return {
      index: this.shard.index,
      count: this.shard.count,
      by: this.by,
      total: this.total,
      digest: this.hash.copy().digest('hex'),
      positions: this.positions,
    };
  }
}

/**
 * Keep this shard's part of a scan (its series ids already settled over all the mail): the messages,
 * the series they belong to, and the patches to review. `contents`: each message's content key,
 * for the ones with neither series nor Message-ID.
 */
export function shardScan(doc: ScanDocument, patches: Patch[], contents: (string | null)[], shard: Shard): { patches: Patch[]; info: ShardInfo } {
  const part = new Partition(shard, 'series');
  const kept: MessageEntry[] = [];
  doc.messages.forEach((m, k) => {
    if (part.take(messageKey(m, contents[k] ?? null))) kept.push(m);
  });
  doc.messages = kept;
  doc.series = doc.series.filter((s) => shardOf(`series:${s.id}`, shard.count) === shard.index);
  const ids = new Set(kept.flatMap((m) => m.patches));
  return { patches: patches.filter((p) => ids.has(p.id)), info: part.info() };
}

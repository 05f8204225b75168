// The scan pipeline: inputs -> messages -> patches (-> images -> IR -> findings, as the stages land).
// Everything a run reads is accounted for in the document it returns.

import { openInput, openText, InputError } from './ingest/index.js';
import { refusal } from './ingest/entries.js';
import { ABORTED, unlessAborted } from './interrupt.js';
import type { InputSummary, Message } from './ingest/types.js';
import { extractPatches, groupSeries, seriesOf, type SeriesEntry, type SeriesMember } from './patch/index.js';
import type { Patch, ReviewComment, SeriesInfo } from './patch/types.js';
import type { Finding } from './analysis/types.js';
import { applicationGroups, openGroupReview, type PatchReview, type ReviewOptions } from './review.js';
import type { ResultStore } from './cache/results.js';
import { preferQuickStart } from './c/parser.js';
import { scanGroupKeys } from './cache/scan-cache.js';
import { contentKey, shardScan, type Shard, type ShardInfo } from './shard.js';
import { groupReviewer, slimReview, type ReviewWorkerData, type SlimReview } from './workers/review-groups.js';
import type { TaskResult } from './workers/pool.js';

export interface MessageEntry {
  input: string;
  index: number;
  /** The file inside a directory or Maildir input the message was read from. */
  file?: string;
  messageId: string | null;
  subject: string;
  from: string;
  to: string[];
  cc: string[];
  date: string | null;
  inReplyTo: string | null;
  references: string[];
  series: (Pick<SeriesInfo, 'id' | 'version' | 'number' | 'total' | 'cover' | 'reply'> & { tags: string[] }) | null;
  patches: string[]; // patch ids
  status: 'ok' | 'no-patch' | 'error';
  error: string | null;
  /** Why no patch was found, or what damage was repaired. */
  note: string | null;
  damage: string[];
}

export interface PatchFileEntry {
  path: string | null;
  oldPath: string | null;
  status: string;
  binary: boolean;
  oldBlob: string | null;
  newBlob: string | null;
  hunks: { oldStart: number | null; oldLines: number; newStart: number | null; newLines: number; section: string }[];
  functions: string[];
}

export interface PatchEntry {
  id: string;
  input: string;
  messageId: string | null;
  subject: string;
  kind: Patch['kind'];
  quoteDepth: number;
  bodyLine: number;
  from: Patch['from'];
  damage: string[];
  baseCommit: string | null;
  files: PatchFileEntry[];
  /** Reviewer comments between the quoted lines, with the quoted line each follows. */
  comments: ReviewComment[];
}

/** What a scan gives the run document (report/document.ts). */
export interface ScanDocument {
  inputs: InputSummary[];
  messages: MessageEntry[];
  patches: PatchEntry[];
  /** Every series seen (also a lone patch or a reply whose series is not in the input), with its versions. */
  series: SeriesEntry[];
  findings: Finding[];
  /** What the analysis could not do, per patch and file ("does not apply; hunk mode", "budget exhausted"). */
  notes: string[];
}

export interface ScanOptions {
  stdin?: NodeJS.ReadableStream;
  onMessage?: (count: number, input: string) => void;
  /** Stop reading (SIGINT, SIGTERM): what was read so far is the result. */
  signal?: AbortSignal;
  /** Keep only this shard's messages (all are read: series are settled over the whole mail). */
  shard?: Shard;
}

export interface ScanResult {
  doc: ScanDocument;
  /** The patches with their lines, in input order (for the later stages). */
  patches: Patch[];
  /** Inputs that could not be read at all: not opened, or content that is not mail (the CLI exits 2). */
  unreadable: string[];
  /** With ScanOptions.shard: what this shard holds. */
  shard?: ShardInfo;
}

function describeError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** What a scan reads: a path ('-' for stdin), or mail already in memory under a name. */
export type ScanInput = string | { name: string; text: string | Buffer };

export async function scanMessages(inputs: ScanInput[], opts: ScanOptions = {}): Promise<ScanResult> {
  const doc: ScanDocument = {
    inputs: [],
    messages: [],
    patches: [],
    series: [],
    findings: [],
    notes: [],
  };
  const patches: Patch[] = [];
  const members: SeriesMember[] = [];
  const memberEntries: MessageEntry[] = [];
  const unreadable: string[] = [];
  // With a shard: each message's content key (for one with no Message-ID), in message order.
  const contents: (string | null)[] = [];
  let count = 0;

  for (const input of inputs) {
    if (opts.signal?.aborted) break;
    const path = typeof input === 'string' ? input : input.name;
    let reader: Awaited<ReturnType<typeof openInput>> | typeof ABORTED;
    try {
      // Opening stdin or a FIFO waits for its first bytes: a signal must not wait with it.
      reader = await unlessAborted(typeof input === 'string' ? openInput(path, { stdin: opts.stdin }) : openText(path, input.text), opts.signal);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      unreadable.push(path);
      doc.inputs.push({ path, kind: 'message', messages: 0, errors: [describeError(e)], skipped: [] });
      continue;
    }
    if (reader === ABORTED) break;
    doc.inputs.push(reader.summary);
    const messages = reader.messages();
    for (;;) {
      const next = await unlessAborted(messages.next(), opts.signal);
      if (next === ABORTED || next.done) break;
      const entry = processMessage(next.value, patches, members, memberEntries);
      doc.messages.push(entry);
      if (opts.shard) contents.push(next.value.messageId ? null : contentKey(next.value));
      opts.onMessage?.(++count, path);
    }
    if (refusal(reader.summary)) unreadable.push(path);
  }
  settleSeries(doc, patches, members, memberEntries);
  const part = opts.shard ? shardScan(doc, patches, contents, opts.shard) : null;
  const kept = part?.patches ?? patches;
  for (const p of kept) doc.patches.push(patchEntry(p));
  return { doc, patches: kept, unreadable, ...(part ? { shard: part.info } : {}) };
}

/** Series ids over the whole input: patches take their thread's series, covers pass on their base-commit. */
function settleSeries(doc: ScanDocument, patches: Patch[], members: SeriesMember[], entries: MessageEntry[]): void {
  const g = groupSeries(members);
  doc.series = g.series;
  const byPatch = new Map(patches.map((p) => [p.id, p]));
  const baseOf = new Map<string, string>();
  for (const s of g.series) for (const v of s.versions) if (v.baseCommit) baseOf.set(`${s.id}\0${v.version}`, v.baseCommit);
  g.infos.forEach((info, k) => {
    const entry = entries[k]!;
    entry.series = { id: info.id, version: info.version, number: info.number, total: info.total, cover: info.cover, reply: info.reply, tags: info.tags };
    for (const id of members[k]!.patches) {
      const p = byPatch.get(id);
      if (!p) continue;
      p.series = { id: info.id, version: info.version, number: info.number, total: info.total, reply: info.reply };
      if (!info.reply && p.baseCommit === null && p.kind === 'diff') p.baseCommit = baseOf.get(`${info.id}\0${info.version}`) ?? null;
    }
  });
}

function processMessage(msg: Message, out: Patch[], members: SeriesMember[], memberEntries: MessageEntry[]): MessageEntry {
  const entry: MessageEntry = {
    input: msg.origin.input,
    index: msg.origin.index,
    ...(msg.origin.file ? { file: msg.origin.file } : {}),
    messageId: msg.messageId,
    subject: msg.subject,
    from: msg.from,
    to: msg.to,
    cc: msg.cc,
    date: msg.date,
    inReplyTo: msg.inReplyTo,
    references: msg.references,
    series: null,
    patches: [],
    status: 'ok',
    error: null,
    note: null,
    damage: [...msg.damage],
  };
  if (msg.error) {
    entry.status = 'error';
    entry.error = msg.error;
    return entry;
  }
  try {
    const s = seriesOf(msg);
    entry.series = { id: s.id, version: s.version, number: s.number, total: s.total, cover: s.cover, reply: s.reply, tags: s.tags };
    const ex = extractPatches(msg);
    for (const p of ex.patches) {
      out.push(p);
      entry.patches.push(p.id);
    }
    members.push({
      input: msg.origin.input,
      index: msg.origin.index,
      messageId: msg.messageId,
      inReplyTo: msg.inReplyTo,
      references: msg.references,
      from: msg.from,
      info: s,
      patches: entry.patches.slice(),
      baseCommits: ex.baseCommits,
    });
    memberEntries.push(entry);
    if (ex.patches.length === 0) {
      entry.status = 'no-patch';
      entry.note = ex.reason;
    } else if (ex.notes.length) {
      entry.note = ex.notes.join('; ');
    }
  } catch (e) {
    entry.status = 'error';
    entry.error = `${msg.origin.input}: message ${msg.origin.index}: ${describeError(e)}`;
  }
  return entry;
}

function patchEntry(p: Patch): PatchEntry {
  return {
    id: p.id,
    input: p.input,
    messageId: p.messageId,
    subject: p.subject,
    kind: p.kind,
    quoteDepth: p.quoteDepth,
    bodyLine: p.bodyLine,
    from: p.from,
    damage: p.damage,
    baseCommit: p.baseCommit,
    comments: p.comments,
    files: p.files.map((f) => ({
      path: f.path,
      oldPath: f.oldPath,
      status: f.status,
      binary: f.binary,
      oldBlob: f.oldBlob,
      newBlob: f.newBlob,
      hunks: f.hunks.map((h) => ({
        oldStart: h.oldStart,
        oldLines: h.oldLines,
        newStart: h.newStart,
        newLines: h.newLines,
        section: h.section,
      })),
      functions: [],
    })),
  };
}

export interface ReviewScanOptions extends ReviewOptions {
  signal?: AbortSignal;
  /**
   * With more than one: the application groups are reviewed on that many workers (one group that
   * kills its worker fails only its patches), and the reviews returned are empty: what the run
   * document needs comes back from the workers.
   */
  jobs?: number;
  /** What the workers load for themselves (the rules directories, the ignore globs' file). */
  workers?: Omit<ReviewWorkerData, 'rules' | 'tree'>;
  /** Each worker's heap (default: BUDGETS.workerHeapMb). */
  heapMb?: number;
  /** Results kept by content (`--cache DIR`): a group reviewed before with the same everything is not reviewed again. */
  cache?: ResultStore;
}

/**
 * Analyse the patches of a scan, an application group (a series applied in order, or a lone patch)
 * at a time: fills `functions` of each patch file and the document's findings, in group order
 * whichever way each group was reviewed (this thread, a worker, the cache). A group whose review
 * fails gets a note on each of its patches; the others go on. Returns the reviews made in this
 * thread (none on workers or from the cache).
 */
export async function reviewScan(res: ScanResult, opts: ReviewScanOptions): Promise<PatchReview[]> {
  const groups = applicationGroups(res.patches);
  const apply = applier(res.doc);
  const reviews: PatchReview[] = [];
  const jobs = Math.min(opts.jobs ?? 1, groups.length);
  // One series (or lone patch) parses little: no background optimisation to wait for at exit.
  if (groups.length <= 1) preferQuickStart();
  const local = jobs <= 1 ? await openGroupReview(opts) : null;
  const pool = local
    ? null
    : groupReviewer(
        jobs,
        { ...(opts.workers ?? { rulesDir: undefined, extraSemantics: [], ignore: [], configPath: null }), rules: opts.rules, tree: opts.tree },
        opts.heapMb,
      );
  const review = async (group: Patch[]): Promise<TaskResult<SlimReview[]>> => {
    if (pool) return pool.review(group);
    try {
      const rs = await local!.review(group);
      reviews.push(...rs);
      return { ok: true, value: rs.map(slimReview) };
    } catch (e) {
      return { ok: false, error: `the review failed: ${e instanceof Error ? e.message : String(e)}` };
    }
  };
  const keyOf = opts.cache ? await scanGroupKeys(opts) : null;
  // Results are taken in group order, a few per worker in flight (one at a time in this thread).
  const inFlight: { group: Patch[]; result: Promise<TaskResult<SlimReview[]>> }[] = [];
  const take = async (): Promise<void> => {
    const { group, result } = inFlight.shift()!;
    const r = await result;
    if (r.ok) for (const s of r.value) apply(s);
    else for (const p of group) apply({ id: p.id, findings: [], notes: [`not reviewed: ${r.error}`], functions: [] });
  };
  try {
    for (const group of groups) {
      if (opts.signal?.aborted) break;
      const key = keyOf?.(group) ?? null;
      const hit = key ? opts.cache!.get('scan', key) : null;
      const result = hit
        ? Promise.resolve<TaskResult<SlimReview[]>>({ ok: true, value: JSON.parse(hit) as SlimReview[] })
        : review(group).then((r) => {
            if (r.ok && key) opts.cache!.put('scan', key, JSON.stringify(r.value));
            return r;
          });
      inFlight.push({ group, result });
      while (inFlight.length > (pool ? 2 * jobs : 0)) await take();
    }
    while (inFlight.length) await take();
  } finally {
    local?.close();
    await pool?.close();
  }
  return reviews;
}

/** What a patch's review gives the run document: its files' functions, its findings and notes. */
function applier(doc: ScanDocument): (r: SlimReview) => void {
  const entries = new Map(doc.patches.map((p) => [p.id, p]));
  return (r) => {
    const entry = entries.get(r.id);
    if (entry)
      r.functions.forEach((fns, i) => {
        if (fns && entry.files[i]) entry.files[i]!.functions = fns;
      });
    doc.findings.push(...r.findings);
    doc.notes.push(...r.notes.map((n) => `${r.id}: ${n}`));
  };
}

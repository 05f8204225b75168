// One night: finish what a crash left, read what every source got since the last run, review it
// in batches (each written in one transaction with its cursor), follow each series from version to
// version, then report what this run has to say, once.
//
// Per series version vN, S(vN) is what its patches introduce. Against the previous version:
// new in vN (in S(vN), not in S(vN-1)), fixed in vN (the other way round), still there since vK
// (in both; K from the earlier row). When kreview's version or semantics changed since vN-1 was
// analysed, vN-1 is analysed again first: what that changes is kreview's doing, said apart, and vN
// is compared with the new answer. Review replies with quoted diffs are reviewed too, never as a version.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Finding } from '../analysis/types.js';
import { splitHeaderBlock } from '../ingest/headers.js';
import { scanMessages, type MessageEntry } from '../pipeline.js';
import type { SeriesEntry } from '../patch/index.js';
import type { RunDocument } from '../report/document.js';
import { loadSemantics, loadSetup, scanRun, type Setup } from '../run.js';
import type { Semantics } from '../semantics/index.js';
import type { ResultStore } from '../cache/results.js';
import { VERSION } from '../version.js';
import type { NightConfig, SourceConfig } from './config.js';
import { NightDb, type FindingRow, type SeriesRow, type Verdict } from './db.js';
import { digestOf, type Digest } from './digest.js';
import { changeId, findSeries, type SeriesSeen } from './series.js';
import { gitFetch, newMessages, SourceError, sourceLocation, type NewMessage } from './sources.js';

/** One line per event (JSON on a pipe, a progress bar on a terminal: the CLI decides). */
export type NightLog = (event: string, fields?: Record<string, unknown>) => void;

export interface NightOptions {
  log?: NightLog;
  now?: () => Date;
  /** Stop between batches (SIGTERM, SIGINT). */
  signal?: AbortSignal;
  /** After the site is written: mails, the GitHub issue (the CLI wires them; tests may too). */
  after?: (ctx: AfterRun) => Promise<void>;
  /** Writes the reports of a run (report.ts); the default is the real site writer. */
  writeReports?: (db: NightDb, runId: number, cfg: NightConfig) => Promise<void>;
}

export interface AfterRun {
  db: NightDb;
  runId: number;
  cfg: NightConfig;
  digest: Digest;
  log: NightLog;
}

export interface NightResult {
  runId: number;
  digest: Digest;
  /** Runs a crash had left: aborted ones (their batches kept), and ones whose report was finished now. */
  recovered: { aborted: number[]; reported: number[] };
  stopped: boolean;
}

export interface NightContext {
  db: NightDb;
  cfg: NightConfig;
  runId: number;
  setup: Setup;
  sem: Semantics;
  semHash: string;
  log: NightLog;
  signal?: AbortSignal;
  /** Reviews kept by content in the database: a series unchanged since it was last reviewed is not reviewed again. */
  results: ResultStore;
}

/** A hash of what decides findings besides the patch: the semantics files and the analysis configuration. */
export function semanticsHash(sem: Semantics, analysisConfig: string | null): string {
  const h = createHash('sha256');
  for (const f of sem.files) h.update(f.path).update('\0').update(JSON.stringify(f.rules)).update('\0');
  if (analysisConfig) h.update(readFileSync(analysisConfig));
  return h.digest('hex').slice(0, 16);
}

/** The run's folder under the output: sortable, and unique per run. */
export function runDirName(runId: number, startedAt: string): string {
  return `${startedAt.slice(0, 10)}-run${runId}`;
}

export async function runNight(cfg: NightConfig, opts: NightOptions = {}): Promise<NightResult> {
  const now = opts.now ?? (() => new Date());
  const log: NightLog = opts.log ?? (() => {});
  const writeReports = opts.writeReports ?? (async (db: NightDb, runId: number, c: NightConfig) => (await import('./report.js')).writeReports(db, runId, c));
  const setup = await loadSetup({ config: cfg.analysis ?? undefined });
  const sem = await loadSemantics(undefined, setup.cfg.semantics);
  const db = new NightDb(cfg.database);
  try {
    const semHash = semanticsHash(sem, cfg.analysis);
    const { aborted, reporting } = db.unfinished();
    const reported: number[] = [];
    for (const r of reporting) {
      // A run killed while it wrote its report: what it claimed is written again, by it.
      await writeReports(db, r.id, cfg);
      db.finishRun(r.id, now().toISOString());
      reported.push(r.id);
      log('recovered', { run: r.id, what: 'report finished' });
    }
    if (aborted.length) log('recovered', { runs: aborted, what: 'aborted; their stored batches are kept, their findings reported by this run' });
    const started = now().toISOString();
    const runId = db.startRun(VERSION, semHash, started);
    log('run', { run: runId, sources: cfg.sources.length, kreview: VERSION, semantics: semHash });
    const ctx: NightContext = { db, cfg, runId, setup, sem, semHash, log, signal: opts.signal, results: db.resultStore() };
    let stopped = false;
    for (const src of cfg.sources) {
      if (opts.signal?.aborted) {
        stopped = true;
        break;
      }
      try {
        if (src.kind === 'github') await (await import('./github.js')).followGitHub(ctx, src);
        else await followMail(ctx, src);
      } catch (e) {
        const text = e instanceof SourceError ? e.message : `${e instanceof Error ? e.message : String(e)}`;
        db.event(runId, src.name, 'error', text);
        log('source-error', { source: src.name, error: text });
      }
    }
    if (opts.signal?.aborted) stopped = true;
    const claimed = db.claimUnreported(runId, join(cfg.output, 'runs', runDirName(runId, started)));
    log('report', { run: runId, findings: claimed });
    // Mails and the digest issue first: what they run into is in the night's report.
    if (opts.after) await opts.after({ db, runId, cfg, digest: digestOf(db, runId), log });
    await writeReports(db, runId, cfg);
    db.finishRun(runId, now().toISOString());
    const digest = digestOf(db, runId);
    log('done', { run: runId, ...digest.counts, messages: digest.messages, stopped });
    return { runId, digest, recovered: { aborted, reported }, stopped };
  } finally {
    db.close();
  }
}

async function followMail(ctx: NightContext, src: Exclude<SourceConfig, { kind: 'github' }>): Promise<void> {
  const { db, cfg, log } = ctx;
  if (src.tree && src.fetchTree) {
    try {
      await gitFetch(src.tree);
    } catch (e) {
      db.event(ctx.runId, src.name, 'warning', `${(e as Error).message}; the tree is used as it is`);
    }
  }
  const sourceId = db.source(src.name, src.kind, sourceLocation(src));
  let batch: NewMessage[] = [];
  let read = 0;
  for await (const m of newMessages(src, db, sourceId)) {
    batch.push(m);
    if (batch.length >= cfg.batchSize) {
      read += batch.length;
      await writeBatch(ctx, src, sourceId, batch);
      log('batch', { source: src.name, read });
      batch = [];
      if (ctx.signal?.aborted) return;
    }
  }
  if (batch.length) {
    read += batch.length;
    await writeBatch(ctx, src, sourceId, batch);
    log('batch', { source: src.name, read });
  }
}

/** What a version's patches introduce: its findings by fingerprint. */
export function introduced(doc: RunDocument): Map<string, Finding> {
  const out = new Map<string, Finding>();
  for (const f of doc.findings) if (f.status === 'introduced' && !f.baseline && !out.has(f.fingerprint)) out.set(f.fingerprint, withSubject(doc, f));
  return out;
}

/** A finding as stored: with the subject of its patch, for the reports. */
function withSubject(doc: RunDocument, f: Finding): Finding {
  const p = doc.patches.find((x) => x.id === f.patch);
  return { ...f, patchSubject: p?.subject ?? null } as Finding;
}

/** A finding row to write: on this version, or on the previous one (what kreview's change alone did). */
export interface PlannedRow {
  f: Finding;
  verdict: Verdict;
  since: number;
  on: 'this' | 'previous';
  source: FindingRow['source'];
}

interface VersionPlan {
  seen: SeriesSeen;
  row: SeriesRow | null;
  version: number;
  messages: NewMessage[];
  doc?: RunDocument;
  rows?: PlannedRow[];
  previousId?: number;
  toolDoc?: RunDocument;
}

async function writeBatch(ctx: NightContext, src: Exclude<SourceConfig, { kind: 'github' }>, sourceId: number, batch: NewMessage[]): Promise<void> {
  const { db, runId } = ctx;
  const name = (key: string): string => `${src.name}:${key}`;
  // One copy of each message: the source may hold it twice, or the database already.
  const seenKeys = new Set<string>();
  const fresh = batch.filter((m) => m.key && !seenKeys.has(m.key) && !db.hasMessage(sourceId, m.key) && seenKeys.add(m.key));
  const parsed = await scanMessages(fresh.map((m) => ({ name: name(m.key), text: m.raw })));
  const seriesById = new Map<string, SeriesEntry>(parsed.doc.series.map((s) => [s.id, s]));
  const entries = new Map<string, MessageEntry>();
  for (const e of parsed.doc.messages) if (!entries.has(e.input)) entries.set(e.input, e);

  const plans = new Map<string, VersionPlan>();
  // A reply goes with the version it answers: found in this batch's series, or by its thread in the database.
  const replies: { m: NewMessage; plan: VersionPlan | null; versionId: number | null; analyse: boolean }[] = [];
  // b4 writes change-id in the cover letter only: it names the whole series.
  const changeIds = new Map<string, string>();
  for (const m of fresh) {
    const e = entries.get(name(m.key));
    const id = changeId(m.raw.toString('utf8'));
    if (e?.series && id && !changeIds.has(e.series.id)) changeIds.set(e.series.id, id);
  }
  const seenOf = (e: MessageEntry): SeriesSeen | null => {
    const s = e.series ? seriesById.get(e.series.id) : undefined;
    return s ? { key: s.id, changeId: changeIds.get(s.id) ?? null, title: s.title, author: s.author } : null;
  };
  const planFor = (seen: SeriesSeen, version: number): VersionPlan => {
    const row = findSeries(db, seen);
    // One plan per stored series (or per new key) and version.
    const k = `${row ? `#${row.id}` : seen.key}\0${version}`;
    let p = plans.get(k);
    if (!p) plans.set(k, (p = { seen, row, version, messages: [] }));
    if (!p.seen.changeId && seen.changeId) p.seen.changeId = seen.changeId;
    return p;
  };
  const loose: NewMessage[] = [];
  for (const m of fresh) {
    const e = entries.get(name(m.key));
    // Kept and accounted for, but said: a source should hold mail.
    if (!splitHeaderBlock(m.raw)) db.event(runId, src.name, 'warning', `${m.where}: not a mail message (no header block); kept as text`);
    else if (e?.status === 'error') db.event(runId, src.name, 'warning', `${m.where}: ${e.error}`);
    const seen = e && e.status !== 'error' ? seenOf(e) : null;
    if (!e || !seen || !e.series) {
      loose.push(m);
      continue;
    }
    if (e.series.reply) {
      const known = db.versionOfThread([e.inReplyTo, ...e.references].filter((x): x is string => !!x));
      if (known !== null) replies.push({ m, plan: null, versionId: known, analyse: e.patches.length > 0 });
      else if (e.patches.length) replies.push({ m, plan: planFor(seen, e.series.version), versionId: null, analyse: true });
      else loose.push(m);
    } else if (e.patches.length || e.series.cover) {
      planFor(seen, e.series.version).messages.push(m);
    } else loose.push(m);
  }

  // Analyse first (no transaction is held while kreview works), then write it all at once.
  for (const p of plans.values()) if (p.messages.length) await analyseVersion(ctx, src, p, name);
  let replyDoc: RunDocument | null = null;
  const reviewed = replies.filter((r) => r.analyse);
  if (reviewed.length) {
    replyDoc = (
      await scanRun(
        reviewed.map((r) => ({ name: name(r.m.key), text: r.m.raw })),
        { setup: ctx.setup, sem: ctx.sem, cache: ctx.results, tree: src.tree ?? undefined, args: ['scan', ...(src.tree ? ['--tree', src.tree] : []), '-'] },
      )
    ).doc;
  }

  db.tx(() => {
    const seriesId = (p: VersionPlan): number => {
      if (!p.row) {
        const again = findSeries(db, p.seen);
        p.row = again ?? {
          id: db.addSeries(p.seen.key, p.seen.changeId, p.seen.title, p.seen.author, runId),
          key: p.seen.key,
          change_id: p.seen.changeId,
          title: p.seen.title,
          author: p.seen.author,
          first_run_id: runId,
        };
      }
      return p.row.id;
    };
    const store = (m: NewMessage, versionId: number | null, reply: boolean): void => {
      const e = entries.get(name(m.key));
      const id = db.addMessage({
        sourceId,
        key: m.key,
        messageId: e?.messageId ?? null,
        subject: e?.subject ?? '',
        author: e?.from ?? '',
        date: e?.date ?? null,
        raw: m.raw,
        runId,
      });
      db.placeMessage(id, versionId, reply);
    };
    for (const p of plans.values()) {
      const v = db.version(seriesId(p), p.version, runId);
      for (const m of p.messages) store(m, v.id, false);
      if (!p.doc) continue;
      // A version analysed again (more of it arrived): what was not reported yet is worked out anew.
      db.db.prepare(`DELETE FROM findings WHERE version_id = ? AND source = 'version' AND reported_run_id IS NULL`).run(v.id);
      for (const r of p.rows ?? []) db.addFinding(r.on === 'this' ? v.id : p.previousId!, r.f, r.source, r.verdict, r.since, runId);
      db.addAnalysis(runId, v.id, 'version', JSON.stringify(p.doc));
      if (p.toolDoc) db.addAnalysis(runId, p.previousId!, 'tool-check', JSON.stringify(p.toolDoc));
      db.markAnalysed(v.id, runId, VERSION, ctx.semHash);
    }
    const versionOf = new Map<string, number>();
    for (const r of replies) {
      const vid = r.versionId ?? db.version(seriesId(r.plan!), r.plan!.version, runId).id;
      versionOf.set(name(r.m.key), vid);
      store(r.m, vid, true);
    }
    if (replyDoc) {
      for (const f of introduced(replyDoc).values()) {
        const vid = versionOf.get(f.input);
        if (vid !== undefined) db.addFinding(vid, f, 'reply', 'reply', 0, runId);
      }
      db.addAnalysis(runId, null, 'replies', JSON.stringify(replyDoc));
    }
    for (const m of loose) store(m, null, false);
    const last = [...batch].reverse().find((m) => m.cursor);
    if (last?.cursor) db.setCursor(sourceId, last.cursor.key, last.cursor.value);
  });
}

/** Analyse a version with all its messages so far, and compare it with the version before. */
async function analyseVersion(ctx: NightContext, src: Exclude<SourceConfig, { kind: 'github' }>, p: VersionPlan, name: (k: string) => string): Promise<void> {
  const { db } = ctx;
  const scan = async (texts: { name: string; text: Buffer }[]): Promise<RunDocument> =>
    // Made again by piping the series from the archive (b4 am -o - MESSAGE-ID) into this.
    (
      await scanRun(texts, {
        setup: ctx.setup,
        sem: ctx.sem,
        cache: ctx.results,
        tree: src.tree ?? undefined,
        args: ['scan', ...(src.tree ? ['--tree', src.tree] : []), '-'],
      })
    ).doc;
  const storedVersion = p.row ? db.versions(p.row.id).find((v) => v.version === p.version) : undefined;
  const stored = storedVersion ? db.versionMessages(storedVersion.id) : [];
  p.doc = await scan([...stored.map((s) => ({ name: name(s.key), text: s.raw })), ...p.messages.map((m) => ({ name: name(m.key), text: m.raw }))]);
  const now = introduced(p.doc);
  const prev = p.row ? db.previousVersion(p.row.id, p.version) : undefined;
  const rows: PlannedRow[] = [];
  let before = new Map<string, { f: Finding; since: number }>();
  if (prev) {
    p.previousId = prev.id;
    const old = saidBefore(db, prev.id);
    before = old;
    if (prev.tool_version !== VERSION || prev.semantics_hash !== ctx.semHash) {
      // kreview changed since vN-1 was analysed: ask it again, and say what that alone changes.
      p.toolDoc = await scan(db.versionMessages(prev.id).map((s) => ({ name: name(s.key), text: s.raw })));
      const again = introduced(p.toolDoc);
      for (const [fp, f] of again) if (!old.has(fp)) rows.push({ f, verdict: 'tool-new', since: prev.version, on: 'previous', source: 'tool' });
      for (const [fp, o] of old) if (!again.has(fp)) rows.push({ f: o.f, verdict: 'tool-gone', since: o.since, on: 'previous', source: 'tool' });
      before = new Map([...again].map(([fp, f]) => [fp, { f, since: old.get(fp)?.since ?? prev.version }]));
    }
  }
  p.rows = [...rows, ...verdicts(before, now, p.version)];
}

/** Version `version` against the one before: new, still there (since when), fixed. */
export function verdicts(before: Map<string, { f: Finding; since: number }>, now: Map<string, Finding>, version: number): PlannedRow[] {
  const rows: PlannedRow[] = [];
  for (const [fp, f] of now) {
    const had = before.get(fp);
    rows.push(
      had
        ? { f, verdict: 'persisting', since: had.since, on: 'this', source: 'version' }
        : { f, verdict: 'new', since: version, on: 'this', source: 'version' },
    );
  }
  for (const [fp, o] of before) if (!now.has(fp)) rows.push({ f: o.f, verdict: 'fixed', since: o.since, on: 'this', source: 'version' });
  return rows;
}

/** What a version's previous version said (new or still there), by fingerprint. */
export function saidBefore(db: NightDb, versionId: number): Map<string, { f: Finding; since: number }> {
  const out = new Map<string, { f: Finding; since: number }>();
  for (const r of db.findings(versionId, 'version'))
    if (r.verdict === 'new' || r.verdict === 'persisting') out.set(r.fingerprint, { f: JSON.parse(r.json) as Finding, since: r.since_version });
  return out;
}

// The nightly job's memory: an embedded SQLite database (better-sqlite3). Sources and their
// cursors, every message seen (with its raw text, to analyse it again when kreview changes), series
// and their versions, findings per version with their verdict against the version before, the
// analyses made, runs, events, mails. Migrations are numbered; each batch is written in one
// transaction, so a run killed at any moment loses nothing and reports nothing twice.

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import Database from 'better-sqlite3';
import type { Finding, Severity } from '../analysis/types.js';
import { contentKey, type CacheStats, type ResultStore } from '../cache/results.js';

/** Each entry moves the schema one version up; never edit one that has shipped, add the next. */
const MIGRATIONS: string[] = [
  `
  CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    state TEXT NOT NULL CHECK (state IN ('running', 'reporting', 'done', 'aborted')),
    tool_version TEXT NOT NULL,
    semantics_hash TEXT NOT NULL,
    report_dir TEXT
  );
  CREATE TABLE sources (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    location TEXT NOT NULL
  );
  CREATE TABLE cursors (
    source_id INTEGER NOT NULL REFERENCES sources(id),
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (source_id, key)
  );
  CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id),
    key TEXT NOT NULL,
    message_id TEXT,
    subject TEXT NOT NULL,
    author TEXT NOT NULL,
    date TEXT,
    raw BLOB NOT NULL,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    version_id INTEGER REFERENCES versions(id),
    reply INTEGER NOT NULL DEFAULT 0,
    UNIQUE (source_id, key)
  );
  CREATE TABLE series (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    change_id TEXT,
    title TEXT NOT NULL,
    author TEXT NOT NULL,
    first_run_id INTEGER NOT NULL REFERENCES runs(id)
  );
  CREATE INDEX series_change_id ON series(change_id);
  CREATE TABLE versions (
    id INTEGER PRIMARY KEY,
    series_id INTEGER NOT NULL REFERENCES series(id),
    version INTEGER NOT NULL,
    first_run_id INTEGER NOT NULL REFERENCES runs(id),
    analysed_run_id INTEGER REFERENCES runs(id),
    tool_version TEXT,
    semantics_hash TEXT,
    UNIQUE (series_id, version)
  );
  CREATE TABLE findings (
    id INTEGER PRIMARY KEY,
    version_id INTEGER NOT NULL REFERENCES versions(id),
    fingerprint TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('version', 'reply', 'tool')),
    verdict TEXT NOT NULL CHECK (verdict IN ('new', 'persisting', 'fixed', 'tool-new', 'tool-gone', 'reply')),
    since_version INTEGER NOT NULL,
    rule TEXT NOT NULL,
    severity TEXT NOT NULL,
    status TEXT NOT NULL,
    file TEXT,
    line INTEGER,
    function TEXT NOT NULL,
    message TEXT NOT NULL,
    json TEXT NOT NULL,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    reported_run_id INTEGER REFERENCES runs(id),
    UNIQUE (version_id, fingerprint, source, verdict)
  );
  CREATE INDEX findings_reported ON findings(reported_run_id);
  CREATE TABLE analyses (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    version_id INTEGER REFERENCES versions(id),
    kind TEXT NOT NULL CHECK (kind IN ('version', 'replies', 'tool-check')),
    doc BLOB NOT NULL
  );
  CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    source TEXT,
    level TEXT NOT NULL CHECK (level IN ('info', 'warning', 'error')),
    text TEXT NOT NULL
  );
  CREATE TABLE mails (
    id INTEGER PRIMARY KEY,
    report_message_id TEXT NOT NULL UNIQUE,
    patch_message_id TEXT,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    state TEXT NOT NULL CHECK (state IN ('written', 'sent', 'failed')),
    path TEXT,
    error TEXT
  );
  `,
  // 2: analysis results kept by content (cache/results.ts), so a version analysed again after a
  // reply re-reviews only the series that changed.
  `
  CREATE TABLE results (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    sum TEXT NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (kind, key)
  ) WITHOUT ROWID;
  `,
];

export type Verdict = 'new' | 'persisting' | 'fixed' | 'tool-new' | 'tool-gone' | 'reply';
export type RunState = 'running' | 'reporting' | 'done' | 'aborted';

export interface RunRow {
  id: number;
  started_at: string;
  finished_at: string | null;
  state: RunState;
  tool_version: string;
  semantics_hash: string;
  report_dir: string | null;
}

export interface SeriesRow {
  id: number;
  key: string;
  change_id: string | null;
  title: string;
  author: string;
  first_run_id: number;
}

export interface VersionRow {
  id: number;
  series_id: number;
  version: number;
  first_run_id: number;
  analysed_run_id: number | null;
  tool_version: string | null;
  semantics_hash: string | null;
}

export interface FindingRow {
  id: number;
  version_id: number;
  fingerprint: string;
  source: 'version' | 'reply' | 'tool';
  verdict: Verdict;
  since_version: number;
  rule: string;
  severity: Severity;
  status: string;
  file: string | null;
  line: number | null;
  function: string;
  message: string;
  json: string;
  run_id: number;
  reported_run_id: number | null;
}

export interface MessageInsert {
  sourceId: number;
  key: string;
  messageId: string | null;
  subject: string;
  author: string;
  date: string | null;
  raw: Buffer;
  runId: number;
}

export const pack = (s: string | Buffer): Buffer => deflateSync(s);
export const unpack = (b: Buffer): Buffer => inflateSync(b);

export class NightDb {
  readonly db: Database.Database;

  constructor(readonly path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.migrate();
  }

  close(): void {
    this.db.close();
  }

  /** The schema version this database is at. */
  schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  private migrate(): void {
    const at = this.schemaVersion();
    if (at > MIGRATIONS.length) throw new Error(`${this.path}: database schema version ${at} is newer than this kreview knows (${MIGRATIONS.length})`);
    for (let v = at; v < MIGRATIONS.length; v++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[v]!);
        this.db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  /** The results table as a ResultStore: each value deflated, checked against its hash when read. */
  resultStore(): ResultStore & { stats: CacheStats } {
    const get = this.db.prepare('SELECT sum, value FROM results WHERE kind = ? AND key = ?');
    const put = this.db.prepare('INSERT OR REPLACE INTO results (kind, key, sum, value) VALUES (?, ?, ?, ?)');
    const stats: CacheStats = { hits: 0, misses: 0, damaged: 0, unwritable: 0 };
    return {
      stats,
      get(kind, key) {
        const row = get.get(kind, key) as { sum: string; value: Buffer } | undefined;
        if (!row) {
          stats.misses++;
          return null;
        }
        try {
          const value = unpack(row.value).toString('utf8');
          if (contentKey([value]) === row.sum) {
            stats.hits++;
            return value;
          }
        } catch {
          // not deflate data: damaged like any other mismatch
        }
        stats.damaged++;
        stats.misses++;
        return null;
      },
      put(kind, key, value) {
        try {
          put.run(kind, key, contentKey([value]), pack(value));
        } catch {
          stats.unwritable++; // a full disk costs the next run the time, not this run its report
        }
      },
    };
  }

  tx<T>(f: () => T): T {
    return this.db.transaction(f)();
  }

  // --- runs ---------------------------------------------------------------------------------

  startRun(toolVersion: string, semanticsHash: string, now: string): number {
    return Number(
      this.db.prepare(`INSERT INTO runs (started_at, state, tool_version, semantics_hash) VALUES (?, 'running', ?, ?)`).run(now, toolVersion, semanticsHash)
        .lastInsertRowid,
    );
  }

  run(id: number): RunRow | undefined {
    return this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
  }

  runs(): RunRow[] {
    return this.db.prepare('SELECT * FROM runs ORDER BY id').all() as RunRow[];
  }

  /** Runs a crash left behind: 'running' ones are aborted (their committed batches stay); 'reporting' ones are returned to finish. */
  unfinished(): { aborted: number[]; reporting: RunRow[] } {
    const running = this.db.prepare(`SELECT id FROM runs WHERE state = 'running'`).all() as { id: number }[];
    this.db.prepare(`UPDATE runs SET state = 'aborted' WHERE state = 'running'`).run();
    return { aborted: running.map((r) => r.id), reporting: this.db.prepare(`SELECT * FROM runs WHERE state = 'reporting' ORDER BY id`).all() as RunRow[] };
  }

  /** Every finding no report has carried yet becomes this run's to report (one statement: all or nothing). */
  claimUnreported(runId: number, reportDir: string): number {
    return this.tx(() => {
      const n = this.db.prepare('UPDATE findings SET reported_run_id = ? WHERE reported_run_id IS NULL').run(runId).changes;
      this.db.prepare(`UPDATE runs SET state = 'reporting', report_dir = ? WHERE id = ?`).run(reportDir, runId);
      return n;
    });
  }

  finishRun(runId: number, now: string): void {
    this.db.prepare(`UPDATE runs SET state = 'done', finished_at = ? WHERE id = ?`).run(now, runId);
  }

  event(runId: number, source: string | null, level: 'info' | 'warning' | 'error', text: string): void {
    this.db.prepare('INSERT INTO events (run_id, source, level, text) VALUES (?, ?, ?, ?)').run(runId, source, level, text);
  }

  events(runId: number): { source: string | null; level: string; text: string }[] {
    return this.db.prepare('SELECT source, level, text FROM events WHERE run_id = ? ORDER BY id').all(runId) as {
      source: string | null;
      level: string;
      text: string;
    }[];
  }

  // --- sources and cursors ------------------------------------------------------------------

  source(name: string, kind: string, location: string): number {
    const row = this.db.prepare('SELECT id FROM sources WHERE name = ?').get(name) as { id: number } | undefined;
    if (row) {
      this.db.prepare('UPDATE sources SET kind = ?, location = ? WHERE id = ?').run(kind, location, row.id);
      return row.id;
    }
    return Number(this.db.prepare('INSERT INTO sources (name, kind, location) VALUES (?, ?, ?)').run(name, kind, location).lastInsertRowid);
  }

  cursor(sourceId: number, key: string): string | null {
    return (this.db.prepare('SELECT value FROM cursors WHERE source_id = ? AND key = ?').get(sourceId, key) as { value: string } | undefined)?.value ?? null;
  }

  setCursor(sourceId: number, key: string, value: string): void {
    this.db
      .prepare('INSERT INTO cursors (source_id, key, value) VALUES (?, ?, ?) ON CONFLICT (source_id, key) DO UPDATE SET value = excluded.value')
      .run(sourceId, key, value);
  }

  // --- messages -----------------------------------------------------------------------------

  hasMessage(sourceId: number, key: string): boolean {
    return !!this.db.prepare('SELECT 1 FROM messages WHERE source_id = ? AND key = ?').get(sourceId, key);
  }

  /** Insert a message unless the source already has it; its row id either way. */
  addMessage(m: MessageInsert): number {
    const have = this.db.prepare('SELECT id FROM messages WHERE source_id = ? AND key = ?').get(m.sourceId, m.key) as { id: number } | undefined;
    if (have) return have.id;
    return Number(
      this.db
        .prepare('INSERT INTO messages (source_id, key, message_id, subject, author, date, raw, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(m.sourceId, m.key, m.messageId, m.subject, m.author, m.date, pack(m.raw), m.runId).lastInsertRowid,
    );
  }

  placeMessage(id: number, versionId: number | null, reply: boolean): void {
    this.db.prepare('UPDATE messages SET version_id = ?, reply = ? WHERE id = ?').run(versionId, reply ? 1 : 0, id);
  }

  /** The raw texts of a version's own messages (not its replies), oldest first. */
  versionMessages(versionId: number): { key: string; raw: Buffer }[] {
    return (
      this.db.prepare('SELECT key, raw FROM messages WHERE version_id = ? AND reply = 0 ORDER BY id').all(versionId) as { key: string; raw: Buffer }[]
    ).map((r) => ({ key: r.key, raw: unpack(r.raw) }));
  }

  /** The version a thread belongs to: the first of these Message-IDs that is a version's own message. */
  versionOfThread(messageIds: string[]): number | null {
    for (const id of messageIds) {
      const r = this.db.prepare('SELECT version_id FROM messages WHERE message_id = ? AND version_id IS NOT NULL AND reply = 0 LIMIT 1').get(id) as
        | { version_id: number }
        | undefined;
      if (r) return r.version_id;
    }
    return null;
  }

  messageCount(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n;
  }

  // --- series and versions ------------------------------------------------------------------

  seriesByKey(key: string): SeriesRow | undefined {
    return this.db.prepare('SELECT * FROM series WHERE key = ?').get(key) as SeriesRow | undefined;
  }

  seriesByChangeId(changeId: string): SeriesRow | undefined {
    return this.db.prepare('SELECT * FROM series WHERE change_id = ? ORDER BY id LIMIT 1').get(changeId) as SeriesRow | undefined;
  }

  seriesByAuthor(author: string): SeriesRow[] {
    return this.db.prepare('SELECT * FROM series WHERE author = ? ORDER BY id').all(author) as SeriesRow[];
  }

  allSeries(): SeriesRow[] {
    return this.db.prepare('SELECT * FROM series ORDER BY id').all() as SeriesRow[];
  }

  addSeries(key: string, changeId: string | null, title: string, author: string, runId: number): number {
    return Number(
      this.db.prepare('INSERT INTO series (key, change_id, title, author, first_run_id) VALUES (?, ?, ?, ?, ?)').run(key, changeId, title, author, runId)
        .lastInsertRowid,
    );
  }

  version(seriesId: number, version: number, runId: number): VersionRow {
    const have = this.db.prepare('SELECT * FROM versions WHERE series_id = ? AND version = ?').get(seriesId, version) as VersionRow | undefined;
    if (have) return have;
    const id = Number(
      this.db.prepare('INSERT INTO versions (series_id, version, first_run_id) VALUES (?, ?, ?)').run(seriesId, version, runId).lastInsertRowid,
    );
    return this.db.prepare('SELECT * FROM versions WHERE id = ?').get(id) as VersionRow;
  }

  versions(seriesId: number): VersionRow[] {
    return this.db.prepare('SELECT * FROM versions WHERE series_id = ? ORDER BY version').all(seriesId) as VersionRow[];
  }

  /** The latest version of the series below `version` that was analysed. */
  previousVersion(seriesId: number, version: number): VersionRow | undefined {
    return this.db
      .prepare('SELECT * FROM versions WHERE series_id = ? AND version < ? AND analysed_run_id IS NOT NULL ORDER BY version DESC LIMIT 1')
      .get(seriesId, version) as VersionRow | undefined;
  }

  markAnalysed(versionId: number, runId: number, toolVersion: string, semanticsHash: string): void {
    this.db
      .prepare('UPDATE versions SET analysed_run_id = ?, tool_version = ?, semantics_hash = ? WHERE id = ?')
      .run(runId, toolVersion, semanticsHash, versionId);
  }

  // --- findings and analyses ----------------------------------------------------------------

  /** Record a finding of a version; one already recorded (same fingerprint, source, verdict) keeps its report. */
  addFinding(versionId: number, f: Finding, source: FindingRow['source'], verdict: Verdict, since: number, runId: number): void {
    this.db
      .prepare(
        `INSERT INTO findings (version_id, fingerprint, source, verdict, since_version, rule, severity, status, file, line, function, message, json, run_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (version_id, fingerprint, source, verdict) DO UPDATE SET json = excluded.json, line = excluded.line, message = excluded.message`,
      )
      .run(versionId, f.fingerprint, source, verdict, since, f.rule, f.severity, f.status, f.file, f.line, f.function, f.message, JSON.stringify(f), runId);
  }

  findings(versionId: number, source?: FindingRow['source']): FindingRow[] {
    return (
      source
        ? this.db.prepare('SELECT * FROM findings WHERE version_id = ? AND source = ? ORDER BY id').all(versionId, source)
        : this.db.prepare('SELECT * FROM findings WHERE version_id = ? ORDER BY id').all(versionId)
    ) as FindingRow[];
  }

  reportedIn(runId: number): FindingRow[] {
    return this.db.prepare('SELECT * FROM findings WHERE reported_run_id = ? ORDER BY version_id, id').all(runId) as FindingRow[];
  }

  addAnalysis(runId: number, versionId: number | null, kind: 'version' | 'replies' | 'tool-check', doc: string): void {
    this.db.prepare('INSERT INTO analyses (run_id, version_id, kind, doc) VALUES (?, ?, ?, ?)').run(runId, versionId, kind, pack(doc));
  }

  /** The run documents of the analyses made in a run (for its HTML report). */
  analysesOf(runId: number): { versionId: number | null; kind: string; doc: string }[] {
    return (
      this.db.prepare('SELECT version_id, kind, doc FROM analyses WHERE run_id = ? ORDER BY id').all(runId) as {
        version_id: number | null;
        kind: string;
        doc: Buffer;
      }[]
    ).map((r) => ({
      versionId: r.version_id,
      kind: r.kind,
      doc: unpack(r.doc).toString('utf8'),
    }));
  }

  /** Findings reported per day (by the day their run started) and rule, verdict: the front page's trends. */
  trends(days: number, now: Date): { day: string; rule: string; verdict: Verdict; n: number }[] {
    const since = new Date(now.getTime() - days * 86_400_000).toISOString().slice(0, 10);
    return this.db
      .prepare(
        `SELECT substr(r.started_at, 1, 10) AS day, f.rule AS rule, f.verdict AS verdict, count(*) AS n
         FROM findings f JOIN runs r ON r.id = f.reported_run_id
         WHERE substr(r.started_at, 1, 10) >= ? GROUP BY day, f.rule, f.verdict ORDER BY day`,
      )
      .all(since) as { day: string; rule: string; verdict: Verdict; n: number }[];
  }

  // --- mails --------------------------------------------------------------------------------

  mailState(reportMessageId: string): 'written' | 'sent' | 'failed' | undefined {
    return (this.db.prepare('SELECT state FROM mails WHERE report_message_id = ?').get(reportMessageId) as { state: 'written' | 'sent' | 'failed' } | undefined)
      ?.state;
  }

  recordMail(
    reportMessageId: string,
    patchMessageId: string | null,
    runId: number,
    state: 'written' | 'sent' | 'failed',
    path: string | null,
    error: string | null = null,
  ): void {
    this.db
      .prepare(
        `INSERT INTO mails (report_message_id, patch_message_id, run_id, state, path, error) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (report_message_id) DO UPDATE SET state = excluded.state, path = excluded.path, error = excluded.error`,
      )
      .run(reportMessageId, patchMessageId, runId, state, path, error);
  }
}

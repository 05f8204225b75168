// What the nightly site shows, read from the database as of one run: the runs and what each
// reported, the series with their versions and open findings, a series' history version by version,
// and the findings reported per day. Queries the schema of db.ts directly (read only).
//
// Everything is cut at the run the site is written for (`upTo`): a run, finding, series or version
// that came later is not there yet, so the same database gives the same site whenever it is written.

import type { Finding } from '../analysis/types.js';
import type { FindingRow, NightDb, RunRow, SeriesRow, Verdict, VersionRow } from './db.js';

export const VERDICTS: readonly Verdict[] = ['new', 'fixed', 'persisting', 'reply', 'tool-new', 'tool-gone'];

export type VerdictCounts = Record<Verdict, number>;

const zero = (): VerdictCounts => ({ new: 0, fixed: 0, persisting: 0, reply: 0, 'tool-new': 0, 'tool-gone': 0 });

export interface RunSummary {
  run: RunRow;
  /** Messages it stored. */
  messages: number;
  /** Findings it reported, by verdict. */
  counts: VerdictCounts;
  errors: number;
  warnings: number;
}

export interface SeriesSummary {
  series: SeriesRow;
  versions: VersionRow[];
  /** The newest version (arrived, analysed or not). */
  latest: VersionRow;
  /** The newest analysed version, and what is open in it (new or still there). */
  analysed: VersionRow | null;
  open: number;
  /** The run the newest version arrived in. */
  lastRunId: number;
}

export interface VersionFinding {
  row: FindingRow;
  finding: Finding;
}

export interface VersionHistory {
  version: VersionRow;
  /** The run that analysed it, when that is part of the site yet. */
  analysedRunId: number | null;
  patches: { subject: string; author: string; date: string | null }[];
  replies: number;
  findings: VersionFinding[];
  counts: VerdictCounts;
}

export interface TrendRow {
  day: string;
  rule: string;
  verdict: Verdict;
  n: number;
}

/** The run the site is written for: the newest run that has a report folder. */
export function siteRunId(db: NightDb): number | null {
  return (db.db.prepare('SELECT max(id) AS id FROM runs WHERE report_dir IS NOT NULL').get() as { id: number | null }).id;
}

export function runSummaries(db: NightDb, upTo: number): RunSummary[] {
  const runs = db.db.prepare('SELECT * FROM runs WHERE id <= ? ORDER BY id').all(upTo) as RunRow[];
  const out = new Map<number, RunSummary>(runs.map((r) => [r.id, { run: r, messages: 0, counts: zero(), errors: 0, warnings: 0 }]));
  for (const c of db.db
    .prepare('SELECT reported_run_id AS run, verdict, count(*) AS n FROM findings WHERE reported_run_id <= ? GROUP BY reported_run_id, verdict')
    .all(upTo) as { run: number; verdict: Verdict; n: number }[]) {
    const s = out.get(c.run);
    if (s && c.verdict in s.counts) s.counts[c.verdict] = c.n;
  }
  for (const c of db.db.prepare('SELECT run_id AS run, count(*) AS n FROM messages WHERE run_id <= ? GROUP BY run_id').all(upTo) as {
    run: number;
    n: number;
  }[]) {
    const s = out.get(c.run);
    if (s) s.messages = c.n;
  }
  for (const c of db.db
    .prepare(`SELECT run_id AS run, level, count(*) AS n FROM events WHERE run_id <= ? AND level IN ('error', 'warning') GROUP BY run_id, level`)
    .all(upTo) as { run: number; level: string; n: number }[]) {
    const s = out.get(c.run);
    if (s && c.level === 'error') s.errors = c.n;
    else if (s) s.warnings = c.n;
  }
  return [...out.values()];
}

/** The versions of every series as of the run (a version analysed later counts as not analysed). */
function versionsUpTo(db: NightDb, upTo: number): Map<number, VersionRow[]> {
  const out = new Map<number, VersionRow[]>();
  for (const v of db.db.prepare('SELECT * FROM versions WHERE first_run_id <= ? ORDER BY series_id, version').all(upTo) as VersionRow[]) {
    const row = v.analysed_run_id !== null && v.analysed_run_id > upTo ? { ...v, analysed_run_id: null } : v;
    const list = out.get(v.series_id);
    if (list) list.push(row);
    else out.set(v.series_id, [row]);
  }
  return out;
}

/** Every series, the most recently active first. */
export function seriesSummaries(db: NightDb, upTo: number): SeriesSummary[] {
  const versions = versionsUpTo(db, upTo);
  const open = new Map<number, number>();
  for (const c of db.db
    .prepare(
      `SELECT version_id AS v, count(*) AS n FROM findings WHERE source = 'version' AND verdict IN ('new', 'persisting') AND reported_run_id <= ? GROUP BY version_id`,
    )
    .all(upTo) as { v: number; n: number }[])
    open.set(c.v, c.n);
  const out: SeriesSummary[] = [];
  for (const s of db.db.prepare('SELECT * FROM series WHERE first_run_id <= ? ORDER BY id').all(upTo) as SeriesRow[]) {
    const vs = versions.get(s.id) ?? [];
    const latest = vs.at(-1);
    if (!latest) continue;
    const analysed = [...vs].reverse().find((v) => v.analysed_run_id !== null) ?? null;
    out.push({
      series: s,
      versions: vs,
      latest,
      analysed,
      open: analysed ? (open.get(analysed.id) ?? 0) : 0,
      lastRunId: Math.max(...vs.map((v) => Math.max(v.first_run_id, v.analysed_run_id ?? 0))),
    });
  }
  return out.sort((a, b) => b.lastRunId - a.lastRunId || b.series.id - a.series.id);
}

const FINDING_ORDER: Record<Verdict, number> = { new: 0, persisting: 1, fixed: 2, reply: 3, 'tool-new': 4, 'tool-gone': 5 };

/** A series version by version, oldest first, with what each was found to have. */
export function seriesHistory(db: NightDb, s: SeriesSummary, upTo: number): VersionHistory[] {
  const messages = db.db.prepare('SELECT subject, author, date, reply FROM messages WHERE version_id = ? AND run_id <= ? ORDER BY id');
  const findings = db.db.prepare('SELECT * FROM findings WHERE version_id = ? AND reported_run_id <= ? ORDER BY id');
  return s.versions.map((v) => {
    const ms = messages.all(v.id, upTo) as { subject: string; author: string; date: string | null; reply: number }[];
    const rows = (findings.all(v.id, upTo) as FindingRow[]).sort((a, b) => (FINDING_ORDER[a.verdict] ?? 9) - (FINDING_ORDER[b.verdict] ?? 9) || a.id - b.id);
    const counts = zero();
    for (const r of rows) if (r.verdict in counts) counts[r.verdict]++;
    return {
      version: v,
      analysedRunId: v.analysed_run_id,
      patches: ms.filter((m) => !m.reply).map((m) => ({ subject: m.subject, author: m.author, date: m.date })),
      replies: ms.filter((m) => m.reply).length,
      findings: rows.map((row) => ({ row, finding: parseFinding(row) })),
      counts,
    };
  });
}

/** The stored finding; its row's columns when the JSON cannot be read. */
function parseFinding(r: FindingRow): Finding {
  try {
    return JSON.parse(r.json) as Finding;
  } catch {
    return {
      rule: r.rule,
      ruleMessageId: '',
      severity: r.severity,
      confidence: 'high',
      message: r.message,
      input: '',
      patch: null,
      messageId: null,
      file: r.file,
      line: r.line,
      lineIn: 'file',
      function: r.function,
      status: r.status as Finding['status'],
      objects: [],
      trace: [],
      facts: [],
      fingerprint: r.fingerprint,
      snippet: [],
      baseline: false,
    };
  }
}

/** Findings reported per day (the day their run started, UTC) by rule and verdict, from `from` on. */
export function trendRows(db: NightDb, upTo: number, from: string): TrendRow[] {
  return db.db
    .prepare(
      `SELECT substr(r.started_at, 1, 10) AS day, f.rule AS rule, f.verdict AS verdict, count(*) AS n
       FROM findings f JOIN runs r ON r.id = f.reported_run_id
       WHERE f.reported_run_id <= ? AND substr(r.started_at, 1, 10) >= ?
       GROUP BY day, f.rule, f.verdict ORDER BY day, f.rule, f.verdict`,
    )
    .all(upTo, from) as TrendRow[];
}

/** The days (UTC) a run started on, from `from` on. */
export function runDays(db: NightDb, upTo: number, from: string): string[] {
  return (
    db.db
      .prepare('SELECT DISTINCT substr(started_at, 1, 10) AS day FROM runs WHERE id <= ? AND substr(started_at, 1, 10) >= ? ORDER BY day')
      .all(upTo, from) as { day: string }[]
  ).map((r) => r.day);
}

/** The day the first run started (UTC). */
export function firstRunDay(db: NightDb, upTo: number): string | null {
  return (db.db.prepare('SELECT substr(min(started_at), 1, 10) AS day FROM runs WHERE id <= ?').get(upTo) as { day: string | null }).day;
}

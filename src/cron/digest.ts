// What a night has to say: for every series version that arrived, its findings against the
// version before (new in vN, fixed in vN, still there since vK), what the review replies showed, and
// what changed because kreview changed rather than the patch. Built from the database, from the
// findings the run claimed to report, so nothing is said twice.

import type { Finding } from '../analysis/types.js';
import type { FindingRow, NightDb, RunRow, Verdict } from './db.js';

export interface DigestFinding {
  verdict: Verdict;
  since: number;
  fingerprint: string;
  rule: string;
  severity: string;
  file: string | null;
  line: number | null;
  function: string;
  message: string;
  /** The subject of the patch it is in. */
  patch: string | null;
  finding: Finding;
}

export interface DigestVersion {
  version: number;
  versionId: number;
  new: DigestFinding[];
  fixed: DigestFinding[];
  persisting: DigestFinding[];
  replies: DigestFinding[];
  /** Changed by kreview (a new version or semantics), not by the patch: on the version before. */
  toolNew: DigestFinding[];
  toolGone: DigestFinding[];
}

export interface DigestSeries {
  id: number;
  title: string;
  author: string;
  versions: DigestVersion[];
}

export interface Digest {
  run: { id: number; startedAt: string; finishedAt: string | null; toolVersion: string };
  previous: { id: number; startedAt: string } | null;
  /** Messages this run stored (new since the last run). */
  messages: number;
  series: DigestSeries[];
  events: { source: string | null; level: string; text: string }[];
  counts: { new: number; fixed: number; persisting: number; replies: number; tool: number };
  nothingNew: boolean;
}

function item(r: FindingRow): DigestFinding {
  const f = JSON.parse(r.json) as Finding & { patchSubject?: string };
  return {
    verdict: r.verdict,
    since: r.since_version,
    fingerprint: r.fingerprint,
    rule: r.rule,
    severity: r.severity,
    file: r.file,
    line: r.line,
    function: r.function,
    message: r.message,
    patch: f.patchSubject ?? null,
    finding: f,
  };
}

export function digestOf(db: NightDb, runId: number): Digest {
  const run = db.run(runId) as RunRow;
  const prev = db
    .runs()
    .filter((r) => r.id < runId && r.state === 'done')
    .at(-1);
  const rows = db.reportedIn(runId);
  const versions = new Map<number, DigestVersion>();
  const seriesOf = new Map<number, DigestSeries>();
  const byId = new Map(db.allSeries().map((s) => [s.id, s]));
  const versionRows = new Map<number, { series_id: number; version: number; analysed_run_id: number | null }>();
  for (const s of byId.values()) for (const v of db.versions(s.id)) versionRows.set(v.id, v);
  const entry = (versionId: number): DigestVersion | null => {
    const vr = versionRows.get(versionId);
    if (!vr) return null;
    let v = versions.get(versionId);
    if (!v) {
      v = { version: vr.version, versionId, new: [], fixed: [], persisting: [], replies: [], toolNew: [], toolGone: [] };
      versions.set(versionId, v);
      const s = byId.get(vr.series_id)!;
      let ds = seriesOf.get(s.id);
      if (!ds) {
        ds = { id: s.id, title: s.title, author: s.author, versions: [] };
        seriesOf.set(s.id, ds);
      }
      ds.versions.push(v);
    }
    return v;
  };
  // Every version analysed tonight is said, with or without findings.
  for (const [id, vr] of versionRows) if (vr.analysed_run_id === runId) entry(id);
  for (const r of rows) {
    const v = entry(r.version_id);
    if (!v) continue;
    const list = { new: v.new, fixed: v.fixed, persisting: v.persisting, reply: v.replies, 'tool-new': v.toolNew, 'tool-gone': v.toolGone }[r.verdict];
    list.push(item(r));
  }
  const series = [...seriesOf.values()];
  for (const s of series) s.versions.sort((a, b) => a.version - b.version);
  const counts = { new: 0, fixed: 0, persisting: 0, replies: 0, tool: 0 };
  for (const v of versions.values()) {
    counts.new += v.new.length;
    counts.fixed += v.fixed.length;
    counts.persisting += v.persisting.length;
    counts.replies += v.replies.length;
    counts.tool += v.toolNew.length + v.toolGone.length;
  }
  const messages = (db.db.prepare('SELECT count(*) AS n FROM messages WHERE run_id = ?').get(runId) as { n: number }).n;
  return {
    run: { id: run.id, startedAt: run.started_at, finishedAt: run.finished_at, toolVersion: run.tool_version },
    previous: prev ? { id: prev.id, startedAt: prev.started_at } : null,
    messages,
    series,
    events: db.events(runId),
    counts,
    nothingNew: rows.length === 0 && messages === 0,
  };
}

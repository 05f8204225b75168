// A night's reports in the output folder, all written from the database:
//
//   runs/<day>-run<N>/index.html   the HTML report of the night's analyses
//   runs/<day>-run<N>/digest.md    what changed since the previous run, in Markdown
//   runs/<day>-run<N>/digest.json  the same, as data
//   series/<id>.html               one page per series: v1 → vN, what each version was found to have
//   index.html                     the front page: the latest night, trends, every run and series
//   latest -> runs/<day>-run<N>    the newest run's folder
//
// Idempotent: a run killed while writing them writes them again, the same (the dates come from the
// database, not the clock; a file whose content is already there is not touched; every file is
// written to a temporary name and renamed over the old one, the `latest` link too). The site (front
// page, series pages, `latest`) is written as of the newest run that has a report folder, so
// writing an older run's reports again never takes the site back in time.

import { lstatSync, mkdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { mergeDocuments, type RunDocument } from '../report/document.js';
import { renderHtml } from '../report/html.js';
import type { NightConfig } from './config.js';
import type { NightDb, RunRow } from './db.js';
import { digestOf, type Digest } from './digest.js';
import { digestMarkdown } from './digest-md.js';
import { firstRunDay, runDays, runSummaries, seriesHistory, seriesSummaries, siteRunId, trendRows } from './history.js';
import { frontPage, href, seriesFile, seriesPage } from './site.js';
import { dayWindow } from './trends.js';

/** Days the front page's trends go back at most. */
export const TREND_DAYS = 90;

/**
 * Write a file unless it already holds exactly this; through a temporary file renamed over it (one
 * name per file, so what a killed run left there is overwritten or removed, never piled up).
 */
export function writeAtomic(path: string, content: string): void {
  const tmp = `${path}.tmp`;
  try {
    if (readFileSync(path, 'utf8') === content) {
      rmSync(tmp, { force: true });
      return;
    }
  } catch {
    // not there yet
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(tmp, content);
  renameSync(tmp, path);
}

/** Point `link` at `target` (relative), replacing what was there in one rename. */
export function replaceLink(link: string, target: string): void {
  const tmp = `${link}.tmp`;
  rmSync(tmp, { force: true });
  try {
    if (lstatSync(link).isSymbolicLink() && readlinkSync(link) === target) return;
  } catch {
    // not there yet
  }
  symlinkSync(target, tmp);
  renameSync(tmp, link);
}

/**
 * What a night's digest.json holds: the digest, written before the run is marked finished (so
 * `finishedAt` is always null there, whether the report is written the first time or again).
 */
export function digestFile(d: Digest): string {
  return `${JSON.stringify({ ...d, run: { ...d.run, finishedAt: null } }, null, 1)}\n`;
}

function writeRunFolder(db: NightDb, run: RunRow, cfg: NightConfig): void {
  const dir = run.report_dir!;
  mkdirSync(dir, { recursive: true });
  const digest = digestOf(db, run.id);
  writeAtomic(join(dir, 'digest.json'), digestFile(digest));
  writeAtomic(
    join(dir, 'digest.md'),
    digestMarkdown(digest, {
      report: 'index.html',
      front: href(dir, join(cfg.output, 'index.html')),
      series: (id) => href(dir, seriesFile(cfg.output, id)),
    }),
  );
  const docs = db.analysesOf(run.id).map((a) => JSON.parse(a.doc) as RunDocument);
  const doc = mergeDocuments(docs, { args: ['cron', '--config', cfg.path], tree: null, config: null, baseline: null });
  writeAtomic(join(dir, 'index.html'), renderHtml(doc));
}

/** The front page, the series pages and `latest`, as of run `upTo`. */
function writeSite(db: NightDb, upTo: number, cfg: NightConfig): void {
  const run = db.run(upTo)!;
  const runs = runSummaries(db, upTo);
  const series = seriesSummaries(db, upTo);
  const byId = new Map(runs.map((s) => [s.run.id, s.run]));
  for (const s of series) {
    writeAtomic(seriesFile(cfg.output, s.series.id), seriesPage({ output: cfg.output, run, summary: s, history: seriesHistory(db, s, upTo), runs: byId }));
  }
  const days = dayWindow(run.started_at.slice(0, 10), firstRunDay(db, upTo), TREND_DAYS);
  const from = days[0]!;
  writeAtomic(
    join(cfg.output, 'index.html'),
    frontPage({
      output: cfg.output,
      run,
      digest: digestOf(db, upTo),
      runs,
      series,
      trends: { days, rows: trendRows(db, upTo, from), runDays: runDays(db, upTo, from) },
    }),
  );
  if (run.report_dir) replaceLink(join(cfg.output, 'latest'), relative(cfg.output, run.report_dir));
}

/** Write every report of run `runId` (idempotent: a second call writes the same files). */
export async function writeReports(db: NightDb, runId: number, cfg: NightConfig): Promise<void> {
  const run = db.run(runId);
  if (!run?.report_dir) throw new Error(`run ${runId} has no report folder`);
  mkdirSync(cfg.output, { recursive: true });
  writeRunFolder(db, run, cfg);
  // runId has a report folder, so the newest run with one is runId or a later run.
  writeSite(db, siteRunId(db) ?? runId, cfg);
}

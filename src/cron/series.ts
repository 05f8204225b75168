// Following a series from one version to the next across nights: by b4's change-id when the
// cover letter has one, by kreview's series key (normalised subject + author), and otherwise by
// a close enough title from the same author, so v3 finds v2 even when its subject changed a little.

import type { NightDb, SeriesRow } from './db.js';

/** b4's `change-id:` trailer (in the cover letter, or a lone patch). */
export function changeId(body: string): string | null {
  return /^change-id:[ \t]*(\S+)[ \t]*$/im.exec(body)?.[1] ?? null;
}

const words = (t: string): Set<string> =>
  new Set(
    t
      .toLowerCase()
      .replace(/\[[^\]]*\]/g, ' ')
      .split(/[^a-z0-9_]+/)
      .filter((w) => w.length > 1 && !/^v\d+$/.test(w)),
  );

/** How alike two titles are: the Dice coefficient of their words (1 for the same words). */
export function titleLikeness(a: string, b: string): number {
  const x = words(a);
  const y = words(b);
  if (!x.size || !y.size) return 0;
  let common = 0;
  for (const w of x) if (y.has(w)) common++;
  return (2 * common) / (x.size + y.size);
}

/** Titles at least this alike, from the same author, are one series. */
export const SAME_SERIES = 0.75;

export interface SeriesSeen {
  key: string;
  changeId: string | null;
  title: string;
  author: string;
}

/** The stored series this one is (or null for a new one). */
export function findSeries(db: NightDb, s: SeriesSeen): SeriesRow | null {
  if (s.changeId) {
    const byChange = db.seriesByChangeId(s.changeId);
    if (byChange) return byChange;
  }
  const byKey = db.seriesByKey(s.key);
  if (byKey) return byKey;
  let best: { row: SeriesRow; score: number } | null = null;
  for (const row of db.seriesByAuthor(s.author)) {
    const score = titleLikeness(row.title, s.title);
    if (score >= SAME_SERIES && (!best || score > best.score)) best = { row, score };
  }
  return best?.row ?? null;
}

// Series: where a message stands in a patch series, and which messages make up one series across
// its versions.
//
// Per message (seriesOf): the subject's tags, and an id from the normalised title and the author, so
// that v1 and v2 of a single patch, or the cover letters of v1 and v2, get the same id. For the patches
// of a series, whose titles differ, the id is settled once the whole input is read (groupSeries):
// git send-email threads every patch under the cover letter (or patch 1), so each patch takes the id
// of the series message at the root of its thread, and a reply takes the id of what it replies to.

import { createHash } from 'node:crypto';
import type { Message } from '../ingest/types.js';
import type { SeriesInfo } from './types.js';
import { normalTitle, parseSubject } from './subject.js';
import { bodyLines } from './lines.js';
import { attributionOf, headerBlockAt } from './markers.js';

/** The name an author is compared by: "Name <addr>" → name (folded), else the address. */
export function authorKey(from: string | null): string | null {
  if (!from) return null;
  const m = /^"?([^"<]*)"?\s*<([^>]*)>$/.exec(from.trim());
  const name = (m ? m[1]! : /@/.test(from) ? '' : from).trim();
  const addr = (m ? m[2]! : /@/.test(from) ? from : '').trim().toLowerCase();
  const folded = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
  return folded || addr || null;
}

export function seriesId(title: string, author: string | null): string {
  const key = `${normalTitle(title)}\0${author ?? ''}`;
  return `series-${createHash('sha1').update(key).digest('hex').slice(0, 12)}`;
}

/** The author a reply quotes: an `-----Original Message-----` block's From, else the first "X wrote:". */
export function quotedAuthor(body: string): string | null {
  const lines = bodyLines(body.length > 20000 ? body.slice(0, 20000) : body);
  let attribution: string | null = null;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (/^\s*-{2,}\s*Original Message\s*-{2,}\s*$/i.test(l.text)) {
      const hb = headerBlockAt(lines, i, l.depth);
      if (hb?.from) return hb.from;
    }
    if (!attribution) attribution = attributionOf(l.text);
  }
  return attribution;
}

const HAS_DIFF = /^(?:>\s?)*(?:diff --git |@@ -\d+(?:,\d+)? \+\d+)/m;

/** A body that describes a series rather than carrying a patch: a shortlog or a diffstat summary, no diff. */
export function isCoverBody(body: string): boolean {
  if (HAS_DIFF.test(body)) return false;
  return /^\S.*\(\d+\):\s*$/m.test(body) || /^\s*\d+ files? changed(?:, \d+ insertions?\(\+\))?(?:, \d+ deletions?\(-\))?\s*$/m.test(body);
}

export function seriesOf(msg: Message): SeriesInfo {
  const s = parseSubject(msg.subject);
  const reply = s.reply || s.forward;
  const who = reply ? quotedAuthor(msg.body) : msg.from || null;
  const author = authorKey(who);
  const cover = !reply && (s.number === 0 || (s.patch && isCoverBody(msg.body) && !msg.attachments.length));
  return {
    id: seriesId(s.title, author),
    version: s.version,
    number: s.number,
    total: s.total,
    cover,
    tags: s.tags,
    title: s.title,
    reply,
    author,
  };
}

/** One message as the series grouping sees it. */
export interface SeriesMember {
  input: string;
  index: number;
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  from: string;
  info: SeriesInfo;
  patches: string[];
  baseCommits: string[];
}

export interface MessageRef {
  input: string;
  index: number;
  messageId: string | null;
}

export interface SeriesVersion {
  version: number;
  total: number | null;
  cover: MessageRef | null;
  /** The series' own messages (cover letter and patches), in number order. */
  messages: (MessageRef & { number: number | null })[];
  patches: string[];
  /** Review replies threaded under this version, and the patches they carry (quoted diffs, proposals). */
  replies: MessageRef[];
  replyPatches: string[];
  baseCommit: string | null;
}

export interface SeriesEntry {
  id: string;
  title: string;
  author: string;
  tags: string[];
  versions: SeriesVersion[];
}

export interface Grouping {
  series: SeriesEntry[];
  /** Final series info per member, in member order (ids settled, replies attached). */
  infos: SeriesInfo[];
}

/** How far up a thread to look for the series a message belongs to (threads are shallow; archives are not). */
const MAX_WALK = 64;

const refOf = (m: SeriesMember): MessageRef => ({ input: m.input, index: m.index, messageId: m.messageId });

/** Settle series ids over the whole input and list every series with its versions. */
export function groupSeries(members: readonly SeriesMember[]): Grouping {
  const byId = new Map<string, number>();
  members.forEach((m, k) => {
    if (m.messageId && !byId.has(m.messageId)) byId.set(m.messageId, k);
  });
  /** Messages this one replies to, nearest first. */
  const parents = (k: number): number[] => {
    const m = members[k]!;
    const out: number[] = [];
    const add = (id: string | null | undefined): void => {
      const p = id ? byId.get(id) : undefined;
      if (p !== undefined && p !== k && !out.includes(p)) out.push(p);
    };
    add(m.inReplyTo);
    for (let r = m.references.length - 1; r >= 0; r--) add(m.references[r]);
    return out;
  };
  const isSeriesMsg = (k: number): boolean => {
    const i = members[k]!.info;
    return !i.reply && (i.number !== null || i.cover || members[k]!.patches.length > 0);
  };

  // 1. the root of each series message: the oldest ancestor of the same author and version
  const root = new Array<number>(members.length).fill(-1);
  const rootOf = (k: number): number => {
    const path: number[] = [];
    let cur = k;
    const seen = new Set<number>();
    for (;;) {
      if (root[cur]! >= 0) break;
      seen.add(cur);
      path.push(cur);
      const me = members[cur]!.info;
      const up = parents(cur).find((p) => {
        const pi = members[p]!.info;
        return isSeriesMsg(p) && !seen.has(p) && pi.author === me.author && pi.version === me.version && (pi.cover || pi.number !== null) && me.number !== null;
      });
      if (up === undefined) {
        root[cur] = cur;
        break;
      }
      cur = up;
    }
    const r = root[cur]!;
    for (const p of path) root[p] = r;
    return r;
  };
  const infos = members.map((m) => ({ ...m.info }));
  const seriesIdx = members.map((_, k) => k).filter(isSeriesMsg);
  for (const k of seriesIdx) rootOf(k);

  // 1b. patches sent without threading (`git format-patch --stdout` into one file): an unthreaded
  //     m/n joins the run of the same author, version and n before it in the same input, if its
  //     number comes after the run's last.
  const runs = new Map<string, { root: number; last: number }>();
  for (const k of seriesIdx) {
    const m = members[k]!;
    const i = m.info;
    if (i.number === null || i.total === null || i.total < 2) continue;
    const key = `${m.input}\0${i.author}\0${i.version}\0${i.total}`;
    const run = runs.get(key);
    if (root[k] === k && !parents(k).length && run && i.number > run.last) {
      root[k] = run.root;
      run.last = i.number;
    } else if (!run || i.number <= run.last || root[k] !== run.root) {
      runs.set(key, { root: root[k]!, last: i.number });
    } else {
      run.last = i.number;
    }
  }

  // 2. a root sent in reply to an earlier version of the same author's series continues that series
  const roots = [...new Set(seriesIdx.map((k) => root[k]!))].sort((a, b) => infos[a]!.version - infos[b]!.version);
  const rootId = new Map<number, string>();
  for (const r of roots) {
    let id = infos[r]!.id;
    const stack = parents(r);
    const seen = new Set<number>([r]);
    while (stack.length && seen.size < MAX_WALK) {
      const p = stack.shift()!;
      if (seen.has(p)) continue;
      seen.add(p);
      const pi = members[p]!.info;
      if (isSeriesMsg(p) && pi.author === infos[r]!.author && pi.version < infos[r]!.version && rootId.has(root[p] ?? -1)) {
        id = rootId.get(root[p]!)!;
        break;
      }
      stack.push(...parents(p));
    }
    rootId.set(r, id);
  }
  for (const k of seriesIdx) infos[k]!.id = rootId.get(root[k]!) ?? infos[k]!.id;

  // 3. replies take the series of the nearest series message above them
  for (let k = 0; k < members.length; k++) {
    if (isSeriesMsg(k)) continue;
    const queue = parents(k);
    const seen = new Set<number>([k]);
    while (queue.length && seen.size < MAX_WALK) {
      const p = queue.shift()!;
      if (seen.has(p)) continue;
      seen.add(p);
      if (isSeriesMsg(p)) {
        infos[k]!.id = infos[p]!.id;
        infos[k]!.version = infos[p]!.version;
        if (infos[k]!.number === null) {
          infos[k]!.number = infos[p]!.number;
          infos[k]!.total = infos[p]!.total;
        }
        break;
      }
      queue.push(...parents(p));
    }
  }

  // 4. the series list
  const entries = new Map<string, SeriesEntry>();
  const versionOf = (e: SeriesEntry, v: number): SeriesVersion => {
    let sv = e.versions.find((x) => x.version === v);
    if (!sv) {
      sv = { version: v, total: null, cover: null, messages: [], patches: [], replies: [], replyPatches: [], baseCommit: null };
      e.versions.push(sv);
    }
    return sv;
  };
  const titleRank = new Map<string, number>(); // lower is a better title source: cover, then patch 1 ...
  members.forEach((m, k) => {
    const info = infos[k]!;
    let e = entries.get(info.id);
    if (!e) {
      e = { id: info.id, title: info.title, author: m.from, tags: [], versions: [] };
      entries.set(info.id, e);
      titleRank.set(info.id, Infinity);
    }
    const series = isSeriesMsg(k);
    const rank = !series ? 1e9 : info.cover ? -1 : (info.number ?? 0);
    if (rank < titleRank.get(info.id)!) {
      titleRank.set(info.id, rank);
      e.title = info.title;
      e.author = m.from;
    }
    for (const t of info.tags) if (!e.tags.includes(t)) e.tags.push(t);
    const sv = versionOf(e, info.version);
    if (series) {
      sv.messages.push({ ...refOf(m), number: info.number });
      if (info.cover) sv.cover ??= refOf(m);
      if (info.total !== null) sv.total ??= info.total;
      sv.patches.push(...m.patches);
      if (m.baseCommits.length) sv.baseCommit ??= m.baseCommits[0]!;
    } else {
      sv.replies.push(refOf(m));
      sv.replyPatches.push(...m.patches);
    }
  });
  for (const e of entries.values()) {
    e.versions.sort((a, b) => a.version - b.version);
    for (const v of e.versions) v.messages.sort((a, b) => (a.number ?? 0) - (b.number ?? 0));
  }
  return { series: [...entries.values()], infos };
}

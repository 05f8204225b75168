// `kreview merge`: the run documents of `--shard I/N` runs (shard.ts) joined into the document one
// unsharded run makes. Shards of different commands, kreview versions, rule sets, shard counts or
// inputs are refused; every file or message must be held by exactly one shard. Files, messages,
// patches, series, findings and notes are put back in the unsharded run's order (each shard's
// positions, then the order the analysis makes: patches by the groups they apply in).
//
// What differs from the unsharded run's JSON: `merge` (the merge's command line, the shards and
// theirs), and `invocation.args`, which is the first shard's without `--shard I/N` (the unsharded
// run's, but for the --output or --format it was given). A shard missing or interrupted is named,
// and the report is still made, marked `incomplete` (the CLI then exits 2).

import type { Finding } from '../analysis/types.js';
import type { MessageEntry, PatchEntry } from '../pipeline.js';
import { applicationGroups } from '../review.js';
import type { ShardInfo } from '../shard.js';
import { type CheckedFile, type RunDocument, SCHEMA_VERSION, summarize } from './document.js';

/** Shards that cannot be one run: the CLI says why, naming the files, and exits 2. */
export class MergeError extends Error {}

export interface ShardRun {
  path: string;
  doc: RunDocument;
}

export interface Merged {
  doc: RunDocument;
  /** Said on stderr: a shard given twice (taken once). */
  warnings: string[];
  /** Shards missing or interrupted (1-based): the report is incomplete. */
  lacking: number[];
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** A document without what differs between two runs of one shard (its command line). */
const content = (d: RunDocument): string => JSON.stringify({ ...d, invocation: { ...d.invocation, args: [] } });

function shardName(s: ShardInfo): string {
  return `shard ${s.index}/${s.count}`;
}

/** Rank of each note by the file or patch it names (`<owner>: ...`); notes naming neither go last, in order. */
function noteRank(notes: string[], rank: Map<string, number>): string[] {
  const ranked = notes.map((n, k) => {
    let r = Number.POSITIVE_INFINITY;
    for (let at = n.indexOf(': '); at >= 0; at = n.indexOf(': ', at + 1)) {
      const hit = rank.get(n.slice(0, at));
      if (hit !== undefined) {
        r = hit;
        break;
      }
    }
    return { n, r, k };
  });
  return ranked.sort((a, b) => a.r - b.r || a.k - b.k).map((x) => x.n);
}

/** Stable: findings of one file or patch keep the order their shard found them in. */
function byRank(findings: Finding[], rank: Map<string, number>, owner: (f: Finding) => string | null): Finding[] {
  const r = (f: Finding): number => rank.get(owner(f) ?? '') ?? Number.POSITIVE_INFINITY;
  return findings
    .map((f, k) => ({ f, k, r: r(f) }))
    .sort((a, b) => a.r - b.r || a.k - b.k)
    .map((x) => x.f);
}

/** A shard's command line without its --shard: the run the merge stands for. */
export function withoutShard(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--shard') i++;
    else if (!args[i]!.startsWith('--shard=')) out.push(args[i]!);
  }
  return out;
}

/** Merge shard documents; `args` is the merge's own command line. */
export function mergeShards(runs: ShardRun[], args: string[]): Merged {
  if (!runs.length) throw new MergeError('no run documents to merge');
  for (const r of runs) {
    if (!r.doc.shard) throw new MergeError(`${r.path}: not a shard: made without --shard I/N (there is nothing to merge it with)`);
  }
  const first = runs[0]!;
  const f0 = first.doc.shard!;
  for (const r of runs.slice(1)) {
    const d = r.doc;
    const s = d.shard!;
    const against = `${r.path} and ${first.path}`;
    if (d.command !== first.doc.command) throw new MergeError(`${against}: shards of different commands (${d.command} and ${first.doc.command})`);
    if (d.tool.version !== first.doc.tool.version)
      throw new MergeError(
        `${against}: shards made by different kreview versions (${d.tool.version} and ${first.doc.tool.version}): make every shard with one`,
      );
    if (!same(d.rules, first.doc.rules)) {
      const other = new Map(first.doc.rules.map((x) => [x.id, x]));
      const diff = d.rules.filter((x) => !same(x, other.get(x.id))).map((x) => x.id);
      throw new MergeError(`${against}: shards made with different rules (${diff.slice(0, 5).join(', ') || 'the rule lists differ'})`);
    }
    if (s.count !== f0.count) throw new MergeError(`${against}: shards of different splits (${shardName(s)} and ${shardName(f0)})`);
    if (s.by !== f0.by) throw new MergeError(`${against}: shards partitioned by different keys (${s.by} and ${f0.by})`);
  }

  // One document per shard; a shard given twice is taken once when both say the same.
  const warnings: string[] = [];
  const byIndex = new Map<number, ShardRun>();
  for (const r of runs) {
    const s = r.doc.shard!;
    const had = byIndex.get(s.index);
    if (!had) {
      byIndex.set(s.index, r);
      continue;
    }
    if (content(had.doc) !== content(r.doc)) throw new MergeError(`${shardName(s)} given twice with different results (${had.path} and ${r.path})`);
    warnings.push(`${shardName(s)} given twice (${had.path} and ${r.path}): taken once`);
  }
  const shards = [...byIndex.values()].sort((a, b) => a.doc.shard!.index - b.doc.shard!.index);
  const missing: number[] = [];
  for (let i = 1; i <= f0.count; i++) if (!byIndex.has(i)) missing.push(i);
  const interrupted = shards.filter((r) => r.doc.incomplete).map((r) => r.doc.shard!.index);

  // Shards that ran to the end read the same inputs.
  const whole = shards.filter((r) => !r.doc.incomplete);
  const ref = whole[0] ?? shards[0]!;
  for (const r of whole) {
    const s = r.doc.shard!;
    const rs = ref.doc.shard!;
    if (s.total !== rs.total || s.digest !== rs.digest || !same(r.doc.inputs, ref.doc.inputs)) {
      const what = s.by === 'path' ? 'files' : 'messages';
      throw new MergeError(
        `${r.path} and ${ref.path}: shards of different inputs (${s.total} ${what} and ${rs.total}${s.total === rs.total ? ', not the same ones' : ''}): give every shard the same inputs`,
      );
    }
  }

  // Every file or message held by one shard: the positions of the shards are disjoint.
  const holder = new Map<number, ShardRun>();
  for (const r of shards) {
    for (const p of r.doc.shard!.positions) {
      const other = holder.get(p);
      if (other)
        throw new MergeError(
          `${other.path} (${shardName(other.doc.shard!)}) and ${r.path} (${shardName(r.doc.shard!)}) both hold input ${p + 1}: not one split`,
        );
      holder.set(p, r);
    }
  }
  const lacking = [...new Set([...missing, ...interrupted])].sort((a, b) => a - b);
  if (!lacking.length && holder.size !== ref.doc.shard!.total)
    throw new MergeError(`${holder.size} of ${ref.doc.shard!.total} inputs are held by the shards given: not one split`);

  // Each shard's files or messages, at their places in the whole run.
  const placed = <T>(items: (d: RunDocument) => T[]): T[] =>
    shards
      .flatMap((r) => {
        const pos = r.doc.shard!.positions;
        const list = items(r.doc);
        if (list.length !== pos.length)
          throw new MergeError(
            `${r.path}: ${list.length} ${f0.by === 'path' ? 'files' : 'messages'} but ${pos.length} positions: not a shard document kreview made`,
          );
        return list.map((x, k) => ({ x, at: pos[k]! }));
      })
      .sort((a, b) => a.at - b.at)
      .map((e) => e.x);

  // A finding twice (one file or patch analysed by two documents): kept once.
  const seen = new Set<string>();
  const findings: Finding[] = [];
  for (const r of shards) {
    const mine = new Set<string>();
    for (const f of r.doc.findings) {
      const key = `${f.fingerprint}\0${f.input}\0${f.patch ?? ''}`;
      if (seen.has(key)) continue;
      mine.add(key);
      findings.push(f);
    }
    for (const k of mine) seen.add(k);
  }
  const notes = shards.flatMap((r) => r.doc.notes);

  let files: CheckedFile[] = [];
  let messages: MessageEntry[] = [];
  let patches: PatchEntry[] = [];
  let series: RunDocument['series'] = [];
  let ordered: Finding[];
  let orderedNotes: string[];
  if (first.doc.command === 'check') {
    files = placed((d) => d.files);
    const rank = new Map<string, number>();
    files.forEach((f, k) => {
      if (!rank.has(f.path)) rank.set(f.path, k);
    });
    ordered = byRank(findings, rank, (f) => f.input);
    orderedNotes = noteRank(notes, rank);
  } else {
    messages = placed((d) => d.messages);
    const byId = new Map(shards.flatMap((r) => r.doc.patches.map((p) => [p.id, p] as const)));
    const inOrder = messages.flatMap((m) => m.patches);
    patches = inOrder.map((id) => byId.get(id)).filter((p): p is PatchEntry => !!p);
    const listed = new Set(inOrder);
    patches.push(...[...byId.values()].filter((p) => !listed.has(p.id)));
    // Series in the order their first message came (messages in error are not grouped).
    const seriesAt = new Map<string, number>();
    messages.forEach((m, k) => {
      if (m.series && m.status !== 'error' && !seriesAt.has(m.series.id)) seriesAt.set(m.series.id, k);
    });
    series = shards
      .flatMap((r) => r.doc.series)
      .map((s, k) => ({ s, k, at: seriesAt.get(s.id) ?? Number.POSITIVE_INFINITY }))
      .sort((a, b) => a.at - b.at || a.k - b.k)
      .map((e) => e.s);
    // Findings and notes in the order the patches were reviewed: by the groups they apply in.
    const messageOf = new Map<string, MessageEntry>();
    for (const m of messages) for (const id of m.patches) messageOf.set(id, m);
    const groups = applicationGroups(
      patches.map((p) => {
        const m = messageOf.get(p.id);
        const s = m?.series;
        return {
          id: p.id,
          kind: p.kind,
          input: p.input,
          messageIndex: m?.index ?? 0,
          series: s ? { id: s.id, version: s.version, number: s.number, total: s.total, reply: s.reply } : null,
        };
      }),
    );
    const rank = new Map<string, number>();
    groups.flat().forEach((p, k) => rank.set(p.id, k));
    ordered = byRank(findings, rank, (f) => f.patch);
    orderedNotes = noteRank(notes, rank);
  }

  const doc: RunDocument = {
    schemaVersion: SCHEMA_VERSION,
    tool: ref.doc.tool,
    command: first.doc.command,
    invocation: { ...ref.doc.invocation, args: withoutShard(shards[0]!.doc.invocation.args) },
    rules: ref.doc.rules,
    inputs: ref.doc.inputs,
    messages,
    patches,
    series,
    files,
    findings: ordered,
    notes: orderedNotes,
    summary: summarize(ordered),
  };
  if (lacking.length) {
    const parts = [
      ...missing.map((i) => `shard ${i}/${f0.count} missing`),
      ...interrupted.map((i) => `shard ${i}/${f0.count} interrupted (${byIndex.get(i)!.path})`),
    ];
    const reason = `${parts.join('; ')}: this report covers ${holder.size} of the run's ${ref.doc.shard!.total} ${f0.by === 'path' ? 'files' : 'messages'}`;
    doc.incomplete = { shards: lacking, reason };
    doc.notes.push(reason);
  }
  doc.merge = { args, count: f0.count, shards: shards.map((r) => ({ index: r.doc.shard!.index, args: r.doc.invocation.args })) };
  return { doc, warnings, lacking };
}

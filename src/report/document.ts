// The run document: everything one `kreview scan` or `kreview check` found, as one versioned JSON
// contract (schemas/kreview-run.schema.json). Every report format is rendered from it, so
// `kreview report RUN.json` gives exactly what the run would have printed.
//
// Compatibility: within a schemaVersion, fields are only added (readers ignore unknown fields);
// removing or changing the meaning of one takes a new schemaVersion.

import { readFileSync } from 'node:fs';
import type { Finding, Severity, Status } from '../analysis/types.js';
import type { InputSummary } from '../ingest/types.js';
import type { SeriesEntry } from '../patch/index.js';
import type { MessageEntry, PatchEntry, ScanDocument } from '../pipeline.js';
import type { ShardInfo } from '../shard.js';
import { VERSION } from '../version.js';

export const SCHEMA_VERSION = 1;

/** A C file given to `kreview check`, and what became of it. */
export interface CheckedFile {
  path: string;
  /** failed: read, but its analysis died (a worker out of its memory budget, a crash): said, never lost. */
  status: 'ok' | 'ignored' | 'unreadable' | 'failed';
  functions: number;
  /** Why it was not analysed, when it was not. */
  reason: string | null;
}

export interface RunSummary {
  findings: number;
  byStatus: Record<Status, number>;
  bySeverity: Record<Severity, number>;
  /** Findings whose fingerprint is in the baseline (counted in the figures above too). */
  baseline: number;
}

export interface RunDocument {
  schemaVersion: typeof SCHEMA_VERSION;
  tool: { name: 'kreview'; version: string };
  command: 'scan' | 'check';
  /** How the run was made, enough to make it again. */
  invocation: { args: string[]; tree: string | null; config: string | null; baseline: string | null };
  /** Each rule as the run used it (after the config file and the command line). */
  rules: { id: string; enabled: boolean; severity: Severity }[];
  inputs: InputSummary[];
  messages: MessageEntry[];
  patches: PatchEntry[];
  series: SeriesEntry[];
  files: CheckedFile[];
  findings: Finding[];
  notes: string[];
  summary: RunSummary;
  /**
   * Set when the report lacks part of what it was asked to cover: a signal stopped the run (which,
   * and what the report covers), or a merge was given some shards only (`shards`: the ones missing
   * or themselves incomplete).
   */
  incomplete?: { signal: 'SIGINT' | 'SIGTERM'; reason: string } | { shards: number[]; reason: string };
  /** A `--shard I/N` run: which shard, and what it holds of the whole run (shard.ts). */
  shard?: ShardInfo;
  /** Made by `kreview merge` from shards: its command line, how many shards, and each one's. */
  merge?: MergeInfo;
  /** The pull request a GitHub Action run reviewed. */
  pullRequest?: PullRequestRun;
}

export interface MergeInfo {
  /** The merge's command line (invocation.args is the first shard's, without --shard). */
  args: string[];
  count: number;
  shards: { index: number; args: string[] }[];
}

/** What the Action knew of the pull request it reviewed (and the posting job checks again). */
export interface PullRequestRun {
  repository: string; // owner/name of the base repository
  number: number;
  headSha: string;
  baseSha: string;
  /** Where the reviewed changes start: the merge base (commits mode) or the base (patches mode). */
  mergeBase: string;
  /** The head is in another repository: the workflow token is read-only and posting is left to workflow_run. */
  fork: boolean;
  mode: 'commits' | 'patches';
  /** Fingerprints of what the pull request introduces and its head still has: what is posted and what fails it. */
  open: string[];
}

export function summarize(findings: Finding[]): RunSummary {
  const s: RunSummary = {
    findings: findings.length,
    byStatus: { introduced: 0, fixed: 0, present: 0 },
    bySeverity: { error: 0, warning: 0, info: 0 },
    baseline: 0,
  };
  for (const f of findings) {
    s.byStatus[f.status]++;
    s.bySeverity[f.severity]++;
    if (f.baseline) s.baseline++;
  }
  return s;
}

/** "2 introduced, 1 fixed, 14 already present (3 in the baseline)": the one line every format starts with. */
export function verdictLine(s: RunSummary): string {
  if (!s.findings) return 'no findings';
  const parts = [`${s.byStatus.introduced} introduced`, `${s.byStatus.fixed} fixed`, `${s.byStatus.present} already present`];
  return `${parts.join(', ')}${s.baseline ? ` (${s.baseline} in the baseline)` : ''}`;
}

/** The patch entry and the message a finding's patch came from (scan documents). */
export function patchOf(doc: RunDocument, patchId: string | null): { patch: PatchEntry; message: MessageEntry | undefined } | null {
  if (!patchId) return null;
  const patch = doc.patches.find((p) => p.id === patchId);
  if (!patch) return null;
  const message = doc.messages.find((m) => m.patches.includes(patchId));
  return { patch, message };
}

export interface RunParts {
  command: RunDocument['command'];
  invocation: RunDocument['invocation'];
  rules: RunDocument['rules'];
  scan?: ScanDocument;
  files?: CheckedFile[];
  findings?: Finding[];
  notes?: string[];
  shard?: ShardInfo;
}

export function runDocument(p: RunParts): RunDocument {
  const findings = p.scan?.findings ?? p.findings ?? [];
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'kreview', version: VERSION },
    command: p.command,
    invocation: p.invocation,
    rules: p.rules,
    inputs: p.scan?.inputs ?? [],
    messages: p.scan?.messages ?? [],
    patches: p.scan?.patches ?? [],
    series: p.scan?.series ?? [],
    files: p.files ?? [],
    findings,
    notes: [...(p.scan?.notes ?? []), ...(p.notes ?? [])],
    summary: summarize(findings),
    ...(p.shard ? { shard: p.shard } : {}),
  };
}

/** Several runs as one (the nightly job's analyses of one night): their inputs, messages, patches, findings and notes together. */
export function mergeDocuments(docs: RunDocument[], invocation: RunDocument['invocation']): RunDocument {
  const first = docs[0];
  const all = <K extends 'inputs' | 'messages' | 'patches' | 'series' | 'files' | 'findings' | 'notes'>(k: K): RunDocument[K] =>
    docs.flatMap((d) => d[k] as unknown[]) as RunDocument[K];
  const findings = all('findings');
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'kreview', version: VERSION },
    command: first?.command ?? 'scan',
    invocation,
    rules: first?.rules ?? [],
    inputs: all('inputs'),
    messages: all('messages'),
    patches: all('patches'),
    series: all('series'),
    files: all('files'),
    findings,
    notes: all('notes'),
    summary: summarize(findings),
  };
}

/** A saved run that cannot be read: the CLI says why and exits 2. */
export class RunFileError extends Error {}

/**
 * Read a saved run document. Not JSON, cut short, another tool's JSON or another schema version
 * each get their own message; the structure is then checked against the JSON Schema.
 */
export async function readRunDocument(path: string): Promise<RunDocument> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new RunFileError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    const cut = text.trim().length > 0 && !/[}\]]\s*$/.test(text);
    throw new RunFileError(`${path}: not JSON${cut ? ' (the file looks cut short)' : ''}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new RunFileError(`${path}: not a kreview run document (the JSON is not an object)`);
  const d = doc as Record<string, unknown>;
  const tool = d.tool as { name?: unknown } | undefined;
  if (tool?.name !== 'kreview') throw new RunFileError(`${path}: not a kreview run document (no "tool": {"name": "kreview"})`);
  if (d.schemaVersion === undefined) {
    throw new RunFileError(
      `${path}: a kreview output from before the versioned contract (no schemaVersion); run kreview again to get schema version ${SCHEMA_VERSION}`,
    );
  }
  if (d.schemaVersion !== SCHEMA_VERSION) {
    throw new RunFileError(`${path}: schema version ${JSON.stringify(d.schemaVersion)} is not supported (kreview ${VERSION} reads version ${SCHEMA_VERSION})`);
  }
  const { validateRunDocument } = await import('./schema.js');
  const problems = validateRunDocument(doc);
  if (problems.length)
    throw new RunFileError(
      `${path}: does not match the run document schema: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''}`,
    );
  return doc as RunDocument;
}

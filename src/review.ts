// Reviewing patches and files: images -> IR -> analysis -> findings with introduced/fixed/present.
// The scan pipeline calls reviewPatches(); `kreview check` calls checkFiles().

import type { FunctionIR, StructInfo } from './c/ir.js';
import { lowerUnit, unitStructs } from './c/index.js';
import { analyzeImages, analyzeSide, compareImages, walkImage, type SideAnalysis } from './analysis/index.js';
import type { SummaryTable } from './analysis/summary.js';
import type { RawFinding } from './analysis/check.js';
import { fingerprint } from './analysis/fingerprint.js';
import type { Finding } from './analysis/types.js';
import type { FilePatch, Patch } from './patch/types.js';
import { hunkDownTo } from './patch/excerpt.js';
import type { Semantics } from './semantics/index.js';
import { buildImages, wholeFileUnit, type FileImages } from './source/index.js';
import { GitTree } from './source/git.js';
import { excerpt } from './source/excerpt.js';
import { diskHeaders, forgetHeaderTexts, treeHeaders, type HeaderSource } from './source/headers.js';
import type { CUnit } from './source/types.js';
import type { RuleSettings } from './analysis/registry.js';

export interface ReviewOptions {
  sem: Semantics;
  tree?: string;
  /** Rules off, severities changed (config file and command line). */
  rules?: RuleSettings;
  /** Files not to review (the config's ignore globs): said in the notes, never silently dropped. */
  ignored?: (path: string) => boolean;
}

/** Where a function's code came from: its unit, and the patch file that made it (none for `kreview check`). */
interface Origin {
  unit: CUnit;
  file: FilePatch | null;
}

export interface PatchReview {
  patch: Patch;
  images: FileImages[];
  pre: FunctionIR[];
  post: FunctionIR[];
  findings: Finding[];
  notes: string[];
}

/** Lower every unit; a unit that fails is reported in notes, never dropped silently. */
async function lowerAll(
  units: { unit: CUnit; file: FilePatch | null }[],
  sem: Semantics,
  notes: string[],
  origins: Map<FunctionIR, Origin>,
): Promise<FunctionIR[]> {
  const out: FunctionIR[] = [];
  for (const { unit: u, file } of units) {
    try {
      const fns = await lowerUnit(u, sem);
      for (const fn of fns) {
        origins.set(fn, { unit: u, file });
        if (fn.notAnalysed) notes.push(`${u.file ?? '<fragment>'}: ${fn.name}() (${u.side}, line ${fn.startLine ?? '?'}): not analysed: ${fn.notAnalysed}`);
      }
      out.push(...fns);
    } catch (e) {
      notes.push(`${u.file ?? '<fragment>'} (${u.side}): could not parse: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return out;
}

interface Where {
  input: string;
  patch: string | null;
  messageId: string | null;
}

function toFinding(raw: RawFinding, fn: FunctionIR, origin: Origin | undefined, where: Where): Finding {
  const lineIn = origin?.unit.lineIn ?? 'file';
  const f: Finding = {
    rule: raw.rule,
    ruleMessageId: raw.messageId,
    severity: raw.severity,
    confidence: raw.confidence,
    message: raw.message,
    input: where.input,
    patch: where.patch,
    messageId: where.messageId,
    file: fn.file,
    line: raw.line,
    lineIn,
    function: raw.function,
    status: 'present',
    objects: raw.objects,
    trace: raw.trace,
    ...(raw.witness ? { witness: raw.witness } : {}),
    facts: raw.facts,
    fingerprint: fingerprint(raw.rule, fn.file, raw.function, raw.objects, raw.discriminator),
    snippet: origin
      ? excerpt(
          origin.unit,
          raw.line,
          raw.trace.filter((t) => !t.function || t.function === raw.function).map((t) => t.line),
        )
      : [],
    baseline: false,
  };
  const hunk = origin?.file && raw.line !== null ? hunkDownTo(origin.file, raw.line, fn.side, lineIn) : null;
  if (hunk) f.hunk = hunk;
  return f;
}

function sideFindings(a: SideAnalysis, origins: Map<FunctionIR, Origin>, where: Where): Finding[] {
  return a.findings.map(({ fn, finding }) => toFinding(finding, fn, origins.get(fn), where));
}

/**
 * Patches grouped into the order they apply in, so the source stage applies patch n on patch n-1's
 * post-image: the sent patches of one series version by number, and the diffs one message carries
 * one after another (a reply with several in-body patches). Everything else (quoted diffs, fragments,
 * code, lone patches) alone. Groups keep the position of their first patch.
 */
export function applicationGroups<P extends Pick<Patch, 'kind' | 'input' | 'messageIndex' | 'series'>>(patches: P[]): P[][] {
  const groups: P[][] = [];
  const byKey = new Map<string, P[]>();
  const order = new Map(patches.map((p, k) => [p, k]));
  const msgKey = (p: P): string => `message\0${p.input}\0${p.messageIndex}`;
  const diffsPerMessage = new Map<string, number>();
  for (const p of patches) if (p.kind === 'diff') diffsPerMessage.set(msgKey(p), (diffsPerMessage.get(msgKey(p)) ?? 0) + 1);
  for (const p of patches) {
    let key: string | null = null;
    const s = p.series;
    if (p.kind === 'diff' && s && !s.reply && s.number !== null && s.total !== null && s.total > 1) key = `series\0${s.id}\0${s.version}`;
    else if (p.kind === 'diff' && diffsPerMessage.get(msgKey(p))! > 1) key = msgKey(p);
    if (key === null) {
      groups.push([p]);
      continue;
    }
    let g = byKey.get(key);
    if (!g) {
      g = [];
      byKey.set(key, g);
      groups.push(g);
    }
    g.push(p);
  }
  const num = (p: P): number => (p.series && !p.series.reply ? (p.series.number ?? 0) : 0);
  for (const g of groups) g.sort((a, b) => num(a) - num(b) || order.get(a)! - order.get(b)!);
  return groups;
}

export async function reviewPatches(patches: Patch[], opts: ReviewOptions): Promise<PatchReview[]> {
  const out: PatchReview[] = [];
  const reviewer = await openGroupReview(opts);
  try {
    for (const group of applicationGroups(patches)) out.push(...(await reviewer.review(group)));
  } finally {
    reviewer.close();
  }
  return out;
}

/** Review application groups one after another in this thread, the tree (when there is one) open across them. */
export async function openGroupReview(opts: ReviewOptions): Promise<{ review(group: Patch[]): Promise<PatchReview[]>; close(): void }> {
  // With a tree, the files' headers come from it (at the patch's base commit, else HEAD).
  const tree = opts.tree ? await GitTree.open(opts.tree) : null;
  return { review: (group) => reviewGroup(group, tree, opts), close: () => tree?.close() };
}

/**
 * The headers of each file a patch touches, from the tree: structs added to each image's unit,
 * and the local helpers the functions call, lowered once as context for both sides.
 */
async function treeContext(
  src: HeaderSource,
  images: FileImages[],
  fns: FunctionIR[],
  origins: Map<FunctionIR, Origin>,
  sem: Semantics,
  notes: string[],
): Promise<FunctionIR[]> {
  const context = new Set<FunctionIR>();
  for (const i of images) {
    if (i.path === null) continue;
    for (const unit of [i.pre, i.post]) {
      if (!unit) continue;
      const mine = fns.filter((f) => origins.get(f)?.unit === unit);
      const text = unit.raw?.join('\n') ?? unit.text;
      await addHeaderStructs(src, i.path, text, mine, sem, notes);
      for (const h of await headerHelpers(src, i.path, text, mine, sem, notes)) context.add(h);
    }
  }
  return [...context];
}

async function reviewGroup(group: Patch[], tree: GitTree | null, opts: ReviewOptions): Promise<PatchReview[]> {
  const out: PatchReview[] = [];
  const images = await buildImages(group, { tree: opts.tree });
  for (const patch of group) {
    const all = images.filter((i) => i.patch === patch);
    const notes: string[] = [];
    const mine: FileImages[] = [];
    for (const i of all) {
      if (i.path !== null && opts.ignored?.(i.path)) notes.push(`${i.path}: not reviewed: ignored by the configuration`);
      else {
        mine.push(i);
        notes.push(...i.notes.map((n) => `${i.path ?? '<fragment>'}: ${n}`));
      }
    }
    const origins = new Map<FunctionIR, Origin>();
    const pre = await lowerAll(
      mine.flatMap((i) => (i.pre ? [{ unit: i.pre, file: i.file }] : [])),
      opts.sem,
      notes,
      origins,
    );
    const post = await lowerAll(
      mine.flatMap((i) => (i.post ? [{ unit: i.post, file: i.file }] : [])),
      opts.sem,
      notes,
      origins,
    );
    const where = { input: patch.input, patch: patch.id, messageId: patch.messageId };
    const headerNotes: string[] = [];
    const context = tree ? await treeContext(treeHeaders(tree, patch.baseCommit ?? 'HEAD'), mine, [...pre, ...post], origins, opts.sem, headerNotes) : [];
    notes.push(...new Set(headerNotes));
    const sides = analyzeImages(
      [
        { side: 'pre', fns: pre },
        { side: 'post', fns: post },
      ],
      opts.sem,
      { rules: opts.rules, context },
    );
    const preA = sides.pre!;
    const postA = sides.post!;
    for (const name of [...preA.exhausted, ...postA.exhausted]) notes.push(`${name}(): analysis budget exhausted; findings may be incomplete`);
    notes.push(...new Set([...preA.notes, ...postA.notes]));
    // Code quoted in a review (no diff) is what the review is about: all of it counts as touched.
    const quotedCode = patch.kind === 'code';
    const touched = new Set([...pre, ...post].filter((f) => quotedCode || f.meta.touched).map((f) => `${f.file}\0${f.name}`));
    const findings = compareImages(sideFindings(preA, origins, where), sideFindings(postA, origins, where))
      // Pre-existing problems only where the patch touched the function; changes anywhere.
      .filter((c) => c.status !== 'present' || touched.has(`${c.item.file}\0${c.item.function}`))
      .map((c) => ({ ...c.item, status: c.status }));
    out.push({ patch, images: mine, pre, post, findings, notes });
  }
  return out;
}

export interface FileCheck {
  path: string;
  functions: FunctionIR[];
  findings: Finding[];
  notes: string[];
}

/** Lowered functions of each local header, per semantics (rules change what the front end emits). */
let headerFns = new WeakMap<Semantics, Map<string, Promise<FunctionIR[]>>>();

/**
 * Forget the headers read so far (their texts, helpers and structs): a run over a whole tree
 * (`semantics mine`) keeps only those of the directory at hand, so its memory stays flat.
 */
export function forgetHeaders(): void {
  headerFns = new WeakMap();
  headerStructCache.clear();
  forgetHeaderTexts();
}

function once<T>(cache: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let p = cache.get(key);
  if (!p) cache.set(key, (p = make()));
  return p;
}

async function headerUnit(src: HeaderSource, h: string): Promise<CUnit> {
  const t = await src.read(h);
  if (t instanceof Error) throw t;
  return wholeFileUnit(h, t);
}

const unread = (h: string, e: unknown): string => `${h}: included header not read: ${e instanceof Error ? e.message : String(e)}`;

/**
 * The helpers a file calls from its local headers, lowered (once per header): context for the
 * file's summaries, never checked themselves (the header is checked as a file of its own).
 */
async function headerHelpers(src: HeaderSource, path: string, text: string, fns: FunctionIR[], sem: Semantics, notes: string[]): Promise<FunctionIR[]> {
  if (path.endsWith('.h')) return [];
  const headers = await src.local(path, text);
  if (!headers.length) return [];
  let bySem = headerFns.get(sem);
  if (!bySem) headerFns.set(sem, (bySem = new Map()));
  const called = new Set<string>();
  const calls = (f: FunctionIR): void => {
    for (const b of f.blocks) for (const op of b.ops) if (op.kind === 'call' && !op.indirect) called.add(op.callee);
  };
  for (const f of fns) calls(f);
  const available: FunctionIR[] = [];
  for (const h of headers) {
    try {
      available.push(...(await once(bySem, `${src.id}\0${h}`, async () => lowerUnit(await headerUnit(src, h), sem))));
    } catch (e) {
      notes.push(unread(h, e));
    }
  }
  // The helpers the file calls, and the helpers those call.
  const out = new Set<FunctionIR>();
  for (let grew = true; grew; ) {
    grew = false;
    for (const f of available) {
      if (out.has(f) || !called.has(f.name)) continue;
      out.add(f);
      calls(f);
      grew = true;
    }
  }
  return [...out];
}

/** Struct definitions of each header (read once per process). */
const headerStructCache = new Map<string, Promise<StructInfo[]>>();

/**
 * The structs the file's headers define (and the file does not), with the locking annotations on
 * their members: `__guarded_by(&lock)` and `__rcu` written in `md.h` or `include/linux/netdevice.h`
 * guard the fields `md.c` touches. Every struct of a local header; of the tree's `include/`, the
 * ones the file names (`struct net_device`), so a file does not take on the whole kernel's types.
 * Added to the unit the file's functions share.
 */
async function addHeaderStructs(src: HeaderSource, path: string, text: string, fns: FunctionIR[], sem: Semantics, notes: string[]): Promise<void> {
  if (path.endsWith('.h') || !fns.length) return;
  const unit = fns.find((f) => f.unit)?.unit ?? { structs: [], globals: [], callbacks: [] };
  const have = new Set(unit.structs.map((s) => s.name));
  const named = new Set([...text.matchAll(/\b(?:struct|union)\s+([A-Za-z_]\w*)/g)].map((m) => m[1]!));
  const headers = [...(await src.local(path, text)).map((h) => ({ h, all: true })), ...(await src.system(path, text)).map((h) => ({ h, all: false }))];
  for (const { h, all } of headers) {
    try {
      const structs = await once(headerStructCache, `${src.id}\0${h}`, async () => {
        const ss = await unitStructs(await headerUnit(src, h), sem);
        return ss.map((s) => ({ ...s, fields: s.fields.map((f) => ({ ...f, file: h })) }));
      });
      for (const s of structs) {
        if (have.has(s.name) || (!all && !named.has(s.name))) continue;
        have.add(s.name);
        unit.structs.push(s);
      }
    } catch (e) {
      notes.push(unread(h, e));
    }
  }
  for (const f of fns) f.unit ??= unit;
}

/** `kreview check`: whole C files, no patch; every finding is `present`. */
export async function checkFile(path: string, text: string, opts: ReviewOptions): Promise<FileCheck> {
  const notes: string[] = [];
  const unit = await wholeFileUnit(path, text);
  const origins = new Map<FunctionIR, Origin>();
  const fns = await lowerAll([{ unit, file: null }], opts.sem, notes, origins);
  await addHeaderStructs(diskHeaders, path, text, fns, opts.sem, notes);
  const context = await headerHelpers(diskHeaders, path, text, fns, opts.sem, notes);
  const a = analyzeSide(fns, opts.sem, { rules: opts.rules, context });
  for (const name of a.exhausted) notes.push(`${name}(): analysis budget exhausted; findings may be incomplete`);
  notes.push(...a.notes);
  return { path, functions: fns, findings: sideFindings(a, origins, { input: path, patch: null, messageId: null }), notes };
}

/**
 * A file's functions and what each does for its callers, without running the checks: what
 * `kreview semantics mine` reads from a kernel tree (`path` is where it is on disk).
 */
export async function summarizeFile(
  path: string,
  text: string,
  sem: Semantics,
): Promise<{ functions: FunctionIR[]; summaries: SummaryTable; notes: string[] }> {
  const notes: string[] = [];
  const unit = await wholeFileUnit(path, text);
  const fns = await lowerAll([{ unit, file: null }], sem, notes, new Map());
  const context = await headerHelpers(diskHeaders, path, text, fns, sem, notes);
  const { summaries } = walkImage(fns, sem, { context });
  return { functions: fns, summaries, notes };
}

// Reviewing patches and files: images -> IR -> analysis -> findings with introduced/fixed/present.
// The scan pipeline calls reviewPatches(); `kreview check` calls checkFiles().

import type { FunctionIR } from './c/ir.js';
import { lowerUnit } from './c/index.js';
import { analyzeImages, analyzeSide, compareImages, type SideAnalysis } from './analysis/index.js';
import type { RawFinding } from './analysis/check.js';
import { fingerprint } from './analysis/fingerprint.js';
import type { Finding, Status } from './analysis/types.js';
import type { Patch } from './patch/types.js';
import type { Semantics } from './semantics/index.js';
import { buildImages, wholeFileUnit, type FileImages } from './source/index.js';
import type { CUnit } from './source/types.js';

export interface ReviewOptions {
  sem: Semantics;
  tree?: string;
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
async function lowerAll(units: CUnit[], sem: Semantics, notes: string[]): Promise<FunctionIR[]> {
  const out: FunctionIR[] = [];
  for (const u of units) {
    try {
      out.push(...(await lowerUnit(u, sem)));
    } catch (e) {
      notes.push(`${u.file ?? '<fragment>'} (${u.side}): could not parse: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return out;
}

function toFinding(raw: RawFinding, fn: FunctionIR, status: Status, where: { input: string; patch: string | null; messageId: string | null }): Finding {
  return {
    rule: raw.rule,
    severity: raw.severity,
    confidence: raw.confidence,
    message: raw.message,
    input: where.input,
    patch: where.patch,
    messageId: where.messageId,
    file: fn.file,
    line: raw.line,
    function: raw.function,
    status,
    objects: raw.objects,
    trace: raw.trace,
    ...(raw.witness ? { witness: raw.witness } : {}),
    facts: raw.facts,
    fingerprint: fingerprint(raw.rule, fn.file, raw.function, raw.objects, raw.discriminator),
  };
}

function sideFindings(a: SideAnalysis, where: { input: string; patch: string | null; messageId: string | null }): Finding[] {
  return a.findings.map(({ fn, finding }) => toFinding(finding, fn, 'present', where));
}

/**
 * Patches grouped into the order they apply in, so the source stage applies patch n on patch n-1's
 * post-image: the sent patches of one series version by number, and the diffs one message carries
 * one after another (a reply with several in-body patches). Everything else (quoted diffs, fragments,
 * code, lone patches) alone. Groups keep the position of their first patch.
 */
export function applicationGroups(patches: Patch[]): Patch[][] {
  const groups: Patch[][] = [];
  const byKey = new Map<string, Patch[]>();
  const order = new Map(patches.map((p, k) => [p, k]));
  const msgKey = (p: Patch): string => `message\0${p.input}\0${p.messageIndex}`;
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
  const num = (p: Patch): number => (p.series && !p.series.reply ? (p.series.number ?? 0) : 0);
  for (const g of groups) g.sort((a, b) => num(a) - num(b) || order.get(a)! - order.get(b)!);
  return groups;
}

export async function reviewPatches(patches: Patch[], opts: ReviewOptions): Promise<PatchReview[]> {
  const out: PatchReview[] = [];
  for (const group of applicationGroups(patches)) {
    const images = await buildImages(group, { tree: opts.tree });
    for (const patch of group) {
      const mine = images.filter((i) => i.patch === patch);
      const notes = mine.flatMap((i) => i.notes.map((n) => `${i.path ?? '<fragment>'}: ${n}`));
      const pre = await lowerAll(mine.flatMap((i) => (i.pre ? [i.pre] : [])), opts.sem, notes);
      const post = await lowerAll(mine.flatMap((i) => (i.post ? [i.post] : [])), opts.sem, notes);
      const where = { input: patch.input, patch: patch.id, messageId: patch.messageId };
      const sides = analyzeImages([{ side: 'pre', fns: pre }, { side: 'post', fns: post }], opts.sem);
      const preA = sides.pre!;
      const postA = sides.post!;
      for (const name of [...preA.exhausted, ...postA.exhausted]) notes.push(`${name}(): analysis budget exhausted; findings may be incomplete`);
      notes.push(...new Set([...preA.notes, ...postA.notes]));
      // Code quoted in a review (no diff) is what the review is about: all of it counts as touched.
      const quotedCode = patch.kind === 'code';
      const touched = new Set([...pre, ...post].filter((f) => quotedCode || f.meta.touched).map((f) => `${f.file}\0${f.name}`));
      const findings = compareImages(sideFindings(preA, where), sideFindings(postA, where))
        // Pre-existing problems only where the patch touched the function; changes anywhere.
        .filter((c) => c.status !== 'present' || touched.has(`${c.item.file}\0${c.item.function}`))
        .map((c) => ({ ...c.item, status: c.status }));
      out.push({ patch, images: mine, pre, post, findings, notes });
    }
  }
  return out;
}

export interface FileCheck {
  path: string;
  functions: FunctionIR[];
  findings: Finding[];
  notes: string[];
}

/** `kreview check`: whole C files, no patch; every finding is `present`. */
export async function checkFile(path: string, text: string, opts: ReviewOptions): Promise<FileCheck> {
  const notes: string[] = [];
  const unit = await wholeFileUnit(path, text);
  const fns = await lowerAll([unit], opts.sem, notes);
  const a = analyzeSide(fns, opts.sem);
  for (const name of a.exhausted) notes.push(`${name}(): analysis budget exhausted; findings may be incomplete`);
  notes.push(...a.notes);
  return { path, functions: fns, findings: sideFindings(a, { input: path, patch: null, messageId: null }), notes };
}

// Source stage entry point: the pre- and post-image of every C file a patch touches.
//
// Tree mode (a kernel git tree is given): the pre-image is the real file (the patch's `index`
// blob, the base-commit's file, the tree's HEAD, or an earlier patch's post-image in a series),
// the post-image is that file with the hunks applied (or the real post blob when the tree has
// it); units are whole files. Hunk mode (no tree, or the patch does not apply): the functions the
// hunks show are rebuilt from the hunks alone (see reconstruct.ts).

import type { Patch, FilePatch } from '../patch/types.js';
import type { CUnit, ImageOrigin, Side } from './types.js';
import { diffArrays } from 'diff';
import { applyHunks, joinText, splitText, type FileText } from './apply.js';
import { wholeTextUnit } from './definitions.js';
import { blobId, GitTree, type GitObject } from './git.js';
import { detectIndentStyle } from './lex.js';
import { reconstructSide, sideSegments } from './reconstruct.js';

export type { CUnit, FunctionMeta } from './types.js';
export { TreeError } from './git.js';

export interface SourceOptions {
  tree?: string; // a kernel git checkout or bare git dir
}

/** The images of one file of one patch. */
export interface FileImages {
  patch: Patch;
  file: FilePatch;
  path: string | null;
  pre: CUnit | null; // null when the file is new (or nothing of it is visible)
  post: CUnit | null; // null when the file is deleted
  /** How the images were made, and anything that went wrong ("does not apply at hunk 2; hunk mode"). */
  notes: string[];
  /** Names of the functions the patch touches in this file (either side). */
  functions: string[];
  /** Whole-file images as text, before preprocessing (tree mode and created files only). */
  raw?: { pre: string | null; post: string | null };
}

/** A post-image kept for the next patch of the series that touches the same file. */
interface KnownImage {
  text: FileText;
  patchId: string;
}

interface Run {
  tree: GitTree | null;
  /** path -> the latest whole post-image produced in this run */
  images: Map<string, KnownImage>;
}

function isCSource(path: string | null): boolean {
  return path === null || /\.(c|h)$/.test(path);
}

const short = (id: string): string => id.slice(0, 12);

/** Functions the patch changes; for quoted code (nothing changed), the functions it shows. */
function touchedNames(pre: CUnit | null, post: CUnit | null, shown: boolean): string[] {
  const out = new Set<string>();
  for (const u of [pre, post]) for (const f of u?.functions ?? []) if (f.touched || shown) out.add(f.name);
  return [...out];
}

interface Candidate {
  origin: ImageOrigin;
  label: string;
  text: FileText;
  raw: string;
}

/** Where the pre-image can come from, best first. */
async function preCandidates(patch: Patch, f: FilePatch, run: Run, notes: string[]): Promise<Candidate[]> {
  const path = f.oldPath ?? f.path!;
  const out: Candidate[] = [];
  const add = (origin: ImageOrigin, label: string, obj: GitObject | string): void => {
    const raw = typeof obj === 'string' ? obj : obj.content.toString('utf8');
    if (out.some((c) => c.raw === raw)) return;
    out.push({ origin, label, text: splitText(raw), raw });
  };
  const tree = run.tree;
  if (tree && f.oldBlob) {
    const blobs = await tree.blobs(f.oldBlob);
    if (!blobs.length) notes.push(`index blob ${f.oldBlob} is not in the tree`);
    if (blobs.length > 1) notes.push(`index blob ${f.oldBlob} is ambiguous in the tree (${blobs.length} blobs); trying each`);
    for (const b of blobs) add('index-blob', `index blob ${f.oldBlob}${blobs.length > 1 ? ` (${short(b.oid)})` : ''}`, b);
  }
  const prev = run.images.get(path);
  if (prev) add('previous-patch', `the post-image of ${prev.patchId}`, joinText(prev.text));
  if (tree && patch.baseCommit) {
    const b = await tree.fileAt(patch.baseCommit, path);
    if (b) add('base-commit', `base-commit ${short(patch.baseCommit)}`, b);
    else notes.push(`${path} not found at base-commit ${short(patch.baseCommit)}`);
  }
  if (tree) {
    const b = await tree.fileAt('HEAD', path);
    if (b) add('tree-head', "the tree's HEAD", b);
  }
  return out;
}

/** Tree mode for one file: whole-file units, or null when the patch cannot be applied (hunk mode). */
interface Images {
  pre: CUnit | null;
  post: CUnit | null;
  raw?: { pre: string | null; post: string | null };
}

async function wholeFileImages(patch: Patch, f: FilePatch, run: Run, notes: string[]): Promise<Images | null> {
  const path = f.path!;
  let preText: FileText;
  let preOrigin: ImageOrigin | null = null;
  let applied: Extract<ReturnType<typeof applyHunks>, { ok: true }> | null = null;
  if (f.status === 'added' || f.oldPath === null) {
    preText = { lines: [], eol: true };
    const r = applyHunks(preText, f.hunks);
    if (!r.ok) {
      notes.push(`new file does not apply: ${r.failure}`);
      return null;
    }
    applied = r;
  } else {
    const cands = await preCandidates(patch, f, run, notes);
    if (!cands.length) {
      notes.push(`no pre-image of ${f.oldPath} (no index blob, previous patch, base-commit or HEAD copy)`);
      return null;
    }
    let chosen: Candidate | null = null;
    for (const c of cands) {
      const r = applyHunks(c.text, f.hunks);
      if (r.ok) {
        chosen = c;
        applied = r;
        break;
      }
      notes.push(`does not apply to ${c.label}: ${r.failure}`);
    }
    if (!chosen || !applied) return null;
    preText = chosen.text;
    preOrigin = chosen.origin;
    notes.push(`pre-image: ${chosen.label}`);
    if (chosen.origin !== 'index-blob' && f.oldBlob && run.tree) {
      const id = blobId(chosen.raw, run.tree.objectFormat);
      if (id.startsWith(f.oldBlob)) notes.push(`pre-image matches index ${f.oldBlob}`);
    }
  }
  notes.push(...applied.notes);

  let postText: FileText | null = f.status === 'deleted' ? null : applied.post;
  let postOrigin: ImageOrigin = 'applied';
  let addedRows = applied.added;
  if (postText) {
    const raw = joinText(postText);
    const format = run.tree?.objectFormat ?? 'sha1';
    const matches = f.newBlob ? blobId(raw, format).startsWith(f.newBlob) : null;
    const real = f.newBlob && run.tree ? await run.tree.blobs(f.newBlob) : [];
    if (real.length === 1) {
      const realText = real[0]!.content.toString('utf8');
      postOrigin = 'index-blob';
      if (realText === raw) notes.push(`post-image: index blob ${f.newBlob} (the applied result is identical)`);
      else {
        notes.push(`post-image: index blob ${f.newBlob} from the tree (the applied result differs from it)`);
        postText = splitText(realText);
        addedRows = changedRows(preText.lines, postText.lines).added;
      }
    } else if (matches === true) {
      notes.push(`post-image: applied; matches index ${f.newBlob}`);
    } else if (matches === false) {
      notes.push(`post-image: applied; differs from index ${f.newBlob} (fuzz or damaged whitespace)`);
    } else {
      notes.push('post-image: applied');
    }
    run.images.set(path, { text: postText, patchId: patch.id });
  } else {
    run.images.delete(f.oldPath ?? path);
  }

  const pre =
    preOrigin === null
      ? null
      : await wholeTextUnit({ file: f.oldPath ?? path, side: 'pre', origin: preOrigin, lines: preText.lines, changed: applied.removed });
  const post = postText ? await wholeTextUnit({ file: path, side: 'post', origin: postOrigin, lines: postText.lines, changed: addedRows }) : null;
  return { pre, post, raw: { pre: preOrigin === null ? null : joinText(preText), post: postText ? joinText(postText) : null } };
}

/** Rows that differ between two versions of a file (when the real blob replaced our application). */
function changedRows(a: readonly string[], b: readonly string[]): { added: Set<number>; removed: Set<number> } {
  const added = new Set<number>();
  const removed = new Set<number>();
  let ia = 0;
  let ib = 0;
  for (const part of diffArrays(a as string[], b as string[])) {
    const n = part.count ?? part.value.length;
    if (part.added) for (let k = 0; k < n; k++) added.add(ib++);
    else if (part.removed) for (let k = 0; k < n; k++) removed.add(ia++);
    else {
      ia += n;
      ib += n;
    }
  }
  return { added, removed };
}

/** Is this side of the file entirely visible in the hunks (a created or deleted file)? */
function wholeSide(f: FilePatch, side: Side): string[] | null {
  const whole = side === 'post' ? f.status === 'added' || f.oldPath === null : f.status === 'deleted' || f.newPath === null;
  if (!whole || f.path === null) return null;
  const segs = sideSegments(f.hunks, side);
  if (segs.length !== 1) return null;
  const first = segs[0]!.lines[0]!;
  if (first.line !== null && first.line !== 1) return null;
  return segs[0]!.lines.map((l) => l.text);
}

/** Hunk mode for one file. */
async function hunkImages(patch: Patch, f: FilePatch, run: Run, notes: string[]): Promise<Images> {
  const style = detectIndentStyle(
    f.hunks.flatMap((h) => h.lines.map((l) => l.text)),
    patch.damage,
  );
  if (style.stripped) notes.push('indentation stripped by the mailer: block structure from braces only');
  const side = async (s: Side): Promise<CUnit | null> => {
    if (s === 'pre' && (f.status === 'added' || (f.oldPath === null && f.path !== null && f.status !== 'unknown'))) return null;
    if (s === 'post' && f.status === 'deleted') return null;
    const whole = wholeSide(f, s);
    if (whole) {
      const changed = new Set(whole.map((_, i) => i));
      const unit = await wholeTextUnit({ file: f.path, side: s, origin: 'hunks', lines: whole, changed });
      if (s === 'post' && f.path) run.images.set(f.path, { text: { lines: whole, eol: true }, patchId: patch.id });
      return unit;
    }
    const segs = sideSegments(f.hunks, s);
    if (!segs.length) return null;
    const r = reconstructSide(segs, { file: f.path, side: s, style });
    notes.push(...r.notes);
    return r.unit;
  };
  const pre = await side('pre');
  const post = await side('post');
  if (f.path && f.status !== 'added') run.images.delete(f.path); // only a partial post-image is known now
  return { pre, post };
}

async function fileImages(patch: Patch, f: FilePatch, run: Run): Promise<FileImages> {
  const notes: string[] = [];
  const base: FileImages = { patch, file: f, path: f.path, pre: null, post: null, notes, functions: [] };
  if (!isCSource(f.path)) {
    notes.push('not a C source file: skipped');
    return base;
  }
  if (f.binary) {
    notes.push('binary file: skipped');
    return base;
  }
  if (!f.hunks.length) {
    notes.push(f.status === 'renamed' || f.status === 'copied' ? `${f.status} without changes: nothing to analyse` : 'no hunks: nothing to analyse');
    return base;
  }
  f.hunks.forEach((h, k) => {
    const d = h.declared;
    if (d && (d.oldLines !== h.oldLines || d.newLines !== h.newLines)) {
      notes.push(
        `hunk ${k + 1} does not match its header (-${d.oldLines} +${d.newLines} declared, -${h.oldLines} +${h.newLines} present): the patch text is incomplete or damaged`,
      );
    }
  });
  let images: Images | null = null;
  const canApply = f.path !== null && f.hunks.every((h) => h.oldStart !== null) && (patch.kind === 'diff' || patch.kind === 'quoted');
  if (canApply && (run.tree || run.images.has(f.oldPath ?? f.path!) || f.status === 'added')) {
    images = await wholeFileImages(patch, f, run, notes);
    if (!images) notes.push('hunk mode: the patch could not be applied to a pre-image');
  } else if (!run.tree) {
    notes.push('hunk mode: no tree');
  } else {
    notes.push(`hunk mode: ${f.path === null ? 'file unknown' : 'hunks without line numbers'}`);
  }
  images ??= await hunkImages(patch, f, run, notes);
  base.pre = images.pre;
  base.post = images.post;
  base.functions = touchedNames(images.pre, images.post, patch.kind === 'code');
  if (images.raw) base.raw = images.raw;
  return base;
}

/** Images for every C file of every patch; patches of one series are applied in the order given. */
export async function buildImages(patches: Patch[], opts: SourceOptions = {}): Promise<FileImages[]> {
  const tree = opts.tree ? await GitTree.open(opts.tree) : null;
  const run: Run = { tree, images: new Map() };
  const out: FileImages[] = [];
  try {
    for (const patch of patches) {
      for (const f of patch.files) out.push(await fileImages(patch, f, run));
    }
  } finally {
    tree?.close();
  }
  return out;
}

/** A whole C file as a unit (kreview check). */
export async function wholeFileUnit(path: string, text: string): Promise<CUnit> {
  return wholeTextUnit({ file: path, side: 'post', origin: 'file', lines: splitText(text).lines });
}

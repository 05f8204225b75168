// Patch stage, property style: clean `git format-patch` text, generated from random file versions with
// jsdiff's structuredPatch, must give the same Patch as the source tests' strict parser
// (test/source/patch-helper.ts) and the same hunks as jsdiff's parsePatch. Quoting the whole diff,
// losing trailing whitespace, or losing the context lines' leading space must not change what is read.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parsePatch, structuredPatch } from 'diff';
import { extractBody } from './helpers.js';
import { parseGitDiff } from '../source/patch-helper.js';
import type { Patch } from '../../src/patch/types.js';
import { rng } from '../support/rng.js';

const STATEMENTS = [
  'spin_lock(&gd->lock);',
  'spin_unlock(&gd->lock);',
  'ret = gizmo_do(gd, req);',
  'if (ret)',
  '\tgoto out;',
  'list_del(&req->node);',
  'kfree(req);',
  'return 0;',
  'int ret = 0;',
  'struct gizmo_req *req;',
  '}',
  'mutex_lock(&gd->mutex);',
  'mutex_unlock(&gd->mutex);',
  'atomic_inc(&gd->refs);',
  'if (!req) {',
  'WARN_ON(!gd);',
  'gd->state = GIZMO_IDLE;',
  '/* the lock orders the ring updates */',
  '',
];

function file(r: () => number, n: number): string[] {
  return Array.from({ length: n }, () => {
    const s = STATEMENTS[Math.floor(r() * STATEMENTS.length)]!;
    return s ? '\t'.repeat(1 + Math.floor(r() * 2)) + s : s;
  });
}

function edit(r: () => number, lines: string[]): string[] {
  const out: string[] = [];
  for (const l of lines) {
    const x = r();
    if (x < 0.08) continue; // removed
    if (x < 0.14)
      out.push(...file(r, 1 + Math.floor(r() * 3))); // replaced
    else out.push(l);
    if (r() < 0.05) out.push(...file(r, 1 + Math.floor(r() * 2))); // added
  }
  return out;
}

const hex = (r: () => number): string =>
  Math.floor(r() * 0xfffffff)
    .toString(16)
    .padStart(7, '1');

/** One file's diff in git's format; null when the versions are equal. */
function gitFileDiff(r: () => number, path: string, kind: 'modify' | 'add' | 'delete'): string | null {
  const base = file(r, 8 + Math.floor(r() * 40));
  const oldLines = kind === 'add' ? [] : base;
  const newLines = kind === 'delete' ? [] : kind === 'add' ? base : edit(r, base);
  const oldEol = kind === 'add' || r() > 0.1;
  const newEol = kind === 'delete' || (kind === 'modify' && !oldEol ? r() > 0.5 : r() > 0.1);
  const text = (ls: string[], eol: boolean): string => (ls.length ? ls.join('\n') + (eol ? '\n' : '') : '');
  const sp = structuredPatch(`a/${path}`, `b/${path}`, text(oldLines, oldEol), text(newLines, newEol), '', '', { context: 3 });
  if (!sp.hunks.length) return null;
  const head = [`diff --git a/${path} b/${path}`];
  if (kind === 'add') head.push('new file mode 100644', `index 0000000..${hex(r)}`, '--- /dev/null', `+++ b/${path}`);
  else if (kind === 'delete') head.push('deleted file mode 100644', `index ${hex(r)}..0000000`, `--- a/${path}`, '+++ /dev/null');
  else head.push(`index ${hex(r)}..${hex(r)} 100644`, `--- a/${path}`, `+++ b/${path}`);
  for (const h of sp.hunks) {
    const os = h.oldLines === 0 ? h.oldStart - 1 : h.oldStart;
    const ns = h.newLines === 0 ? h.newStart - 1 : h.newStart;
    const section = r() < 0.6 ? ` static int gizmo_fn_${Math.floor(r() * 100)}(struct gizmo_dev *gd)` : '';
    head.push(`@@ -${os},${h.oldLines} +${ns},${h.newLines} @@${section}`, ...h.lines);
  }
  return head.join('\n') + '\n';
}

function message(seed: number): { body: string; diff: string } {
  const r = rng(seed);
  const diffs: string[] = [];
  const nFiles = 1 + Math.floor(r() * 3);
  for (let k = 0; k < nFiles; k++) {
    const x = r();
    const d = gitFileDiff(r, `drivers/gizmo/part${k}.c`, x < 0.15 ? 'add' : x < 0.25 ? 'delete' : 'modify');
    if (d) diffs.push(d);
  }
  if (!diffs.length) diffs.push(gitFileDiff(r, 'drivers/gizmo/extra.c', 'add')!);
  const diff = diffs.join('');
  const body = `The ring indexes need the lock (case ${seed}).\n\nSigned-off-by: Ann Author <ann@example.org>\n---\n drivers/gizmo | 1 +\n\n${diff}-- \n2.45.1\n`;
  return { body, diff };
}

/** The fields the source stage reads, for comparing Patches. */
function project(p: Patch, opts: { repairs?: boolean } = {}) {
  return p.files.map((f) => ({
    oldPath: f.oldPath,
    newPath: f.newPath,
    path: f.path,
    status: f.status,
    oldBlob: f.oldBlob,
    newBlob: f.newBlob,
    hunks: f.hunks.map((h) => ({
      oldStart: h.oldStart,
      newStart: h.newStart,
      oldLines: h.oldLines,
      newLines: h.newLines,
      declared: h.declared,
      section: h.section,
      lines: h.lines.map((l) => ({
        kind: l.kind,
        text: l.text,
        oldLine: l.oldLine,
        newLine: l.newLine,
        bodyLine: l.bodyLine,
        noNewlineAtEnd: !!l.noNewlineAtEnd,
        ...(opts.repairs ? { repair: l.repair ?? null } : {}),
      })),
    })),
  }));
}

const SEEDS = Array.from({ length: 150 }, (_, k) => 1000 + k * 7);

describe('patch: clean diffs (property)', () => {
  it('equal to the strict parser of the source tests', () => {
    for (const seed of SEEDS) {
      const { body } = message(seed);
      const ex = extractBody(body);
      assert.equal(ex.patches.length, 1, `seed ${seed}`);
      const p = ex.patches[0]!;
      assert.equal(p.kind, 'diff');
      assert.deepEqual(p.damage, [], `seed ${seed}`);
      assert.deepEqual(project(p, { repairs: true }), project(parseGitDiff(body), { repairs: true }), `seed ${seed}`);
    }
  });

  it("the same hunks as jsdiff's parsePatch", () => {
    for (const seed of SEEDS) {
      const { body, diff } = message(seed);
      const ours = extractBody(body).patches[0]!.files;
      const theirs = parsePatch(diff);
      assert.equal(ours.length, theirs.length, `seed ${seed}`);
      ours.forEach((f, k) => {
        const t = theirs[k]!;
        const mine = f.hunks.map((h) => ({
          oldStart: h.oldLines === 0 ? h.oldStart! + 1 : h.oldStart,
          oldLines: h.oldLines,
          newStart: h.newLines === 0 ? h.newStart! + 1 : h.newStart,
          newLines: h.newLines,
          lines: h.lines.flatMap((l) => [
            (l.kind === 'add' ? '+' : l.kind === 'del' ? '-' : ' ') + l.text,
            ...(l.noNewlineAtEnd ? ['\\ No newline at end of file'] : []),
          ]),
        }));
        assert.deepEqual(mine, t.hunks, `seed ${seed} file ${k}`);
      });
    }
  });

  it('quoting the whole message changes the kind and depth, nothing else', () => {
    for (const seed of SEEDS.slice(0, 60)) {
      const { body } = message(seed);
      const quoted = body
        .split('\n')
        .map((l) => (l ? `> ${l}` : l))
        .join('\n');
      const plain = extractBody(body).patches[0]!;
      const q = extractBody(`On Mon, Ann Author wrote:\n${quoted}`).patches[0]!;
      assert.equal(q.kind, 'quoted');
      assert.equal(q.quoteDepth, 1);
      const shift = (x: ReturnType<typeof project>) =>
        x.map((f) => ({ ...f, hunks: f.hunks.map((h) => ({ ...h, lines: h.lines.map((l) => ({ ...l, bodyLine: l.bodyLine - 1 })) })) }));
      assert.deepEqual(shift(project(q)), project(plain), `seed ${seed}`);
    }
  });

  it('lost trailing whitespace and lost context prefixes read back the same lines', () => {
    for (const seed of SEEDS.slice(0, 60)) {
      const { body } = message(seed);
      const plain = extractBody(body).patches[0]!;
      const trimmed = extractBody(body.replace(/[ \t]+$/gm, '')).patches[0]!;
      assert.deepEqual(project(trimmed), project(plain), `seed ${seed}: trailing whitespace`);
      // every context line loses its leading space (as archives that strip one level of indentation do)
      let inHunk = false;
      const lost = body
        .split('\n')
        .map((l) => {
          if (l.startsWith('@@')) inHunk = true;
          else if (l.startsWith('diff --git') || l === '-- ') inHunk = false;
          return inHunk && l.startsWith(' ') && l.trim() ? l.slice(1) : l;
        })
        .join('\n');
      const got = extractBody(lost).patches[0]!;
      const want = project(parseGitDiff(lost, { lenientContext: true }));
      assert.deepEqual(project(got), want, `seed ${seed}: lost prefixes`);
    }
  });
});

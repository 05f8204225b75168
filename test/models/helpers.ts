// Shared helpers for the model suites: fixtures lowered to IR, the models run on them, and patches
// made between two versions of a fixture (hunk mode, as kreview sees mail without a tree).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { FunctionIR } from '../../src/c/ir.js';
import { lowerUnit } from '../../src/c/index.js';
import { analyzeModels, type ModelAnalysis } from '../../src/analysis/models.js';
import type { Finding } from '../../src/analysis/types.js';
import { emptyMessage } from '../../src/ingest/message.js';
import { extractPatches } from '../../src/patch/index.js';
import { reviewPatches } from '../../src/review.js';
import { defaultSemantics } from '../../src/semantics/load.js';
import { wholeFileUnit } from '../../src/source/index.js';

export const sem = defaultSemantics();
const DIR = fileURLToPath(new URL('../../fixtures/models/', import.meta.url));

export function fixtureText(name: string): string {
  return readFileSync(join(DIR, name), 'utf8');
}

export async function functionsOf(text: string, path = 'fixture.c'): Promise<FunctionIR[]> {
  return lowerUnit(await wholeFileUnit(path, text), sem);
}

/** The subsystem models over a whole C text (as `kreview check` runs them). */
export async function modelsOn(text: string): Promise<ModelAnalysis> {
  return analyzeModels('post', await functionsOf(text), sem);
}

/** `text` with `from` replaced by `to`; fails when `from` is not there (the edit must mean something). */
export function edit(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`edit: text not found: ${JSON.stringify(from.slice(0, 60))}`);
  return text.replace(from, to);
}

/** `git diff` between two texts of one file, as a patch mail carries it (with git's function context). */
export function gitDiff(path: string, before: string, after: string, opts: { wholeFunctions?: boolean } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'kreview-diff-'));
  try {
    for (const [side, text] of [
      ['a', before],
      ['b', after],
    ] as const) {
      mkdirSync(dirname(join(dir, side, path)), { recursive: true });
      writeFileSync(join(dir, side, path), text);
    }
    try {
      execFileSync('git', ['diff', '--no-index', '--no-color', ...(opts.wholeFunctions ? ['--function-context'] : []), `a/${path}`, `b/${path}`], {
        cwd: dir,
        encoding: 'utf8',
      });
      return '';
    } catch (e) {
      // git diff --no-index exits 1 when the files differ; the diff is on stdout.
      return (e as { stdout?: string }).stdout ?? '';
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The findings kreview reports for a mail carrying the diff from `before` to `after` (no tree: hunks only). */
export async function reviewDiff(path: string, before: string, after: string, opts: { wholeFunctions?: boolean } = {}): Promise<Finding[]> {
  const diff = gitDiff(path, before, after, opts);
  const msg = emptyMessage({ input: 'test.patch', index: 1 });
  msg.subject = '[PATCH] model test';
  msg.body = `A change.\n\nSigned-off-by: Test <test@example.org>\n---\n${diff}`;
  const { patches } = extractPatches(msg);
  if (!patches.length) throw new Error('reviewDiff: no patch extracted');
  return (await reviewPatches(patches, { sem })).flatMap((r) => r.findings);
}

export const modelFindings = (fs: Finding[]): Finding[] => fs.filter((f) => f.rule === 'model-violation' || f.rule === 'deadlock');

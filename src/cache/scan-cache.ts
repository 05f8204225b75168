// `kreview scan --cache DIR`: an application group's reviews kept by the group's patches (their
// text, ids and series place), the tree's identity (its path and the commit HEAD names, which the
// pre-images fall back to), the rules and settings, the ignore globs, and kreview's code.
import { resolve } from 'node:path';
import type { Patch } from '../patch/types.js';
import type { ReviewScanOptions } from '../pipeline.js';
import { GitTree } from '../source/git.js';
import { codeKey, contentKey, ruleSettingsKey } from './results.js';

/**
 * The key of each group under these options, or null when something the review depends on cannot
 * be keyed (a tree whose HEAD does not resolve, an ignore test given as a function alone).
 */
export async function scanGroupKeys(opts: ReviewScanOptions): Promise<((group: Patch[]) => string) | null> {
  let tree = '';
  if (opts.tree) {
    const head = await GitTree.head(opts.tree);
    if (!head) return null;
    tree = `${resolve(opts.tree)}\0${head}`;
  }
  let ignore = '';
  if (opts.workers) ignore = JSON.stringify([opts.workers.ignore, opts.workers.configPath]);
  else if (opts.ignored) return null;
  const run = contentKey(['scan', codeKey(), opts.sem.contentKey, ruleSettingsKey(opts.rules), ignore, tree]);
  return (group) => contentKey([run, JSON.stringify(group)]);
}

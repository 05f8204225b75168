// `kreview check --cache DIR`: a file's result kept by its content, the headers it may read (each
// by content, or as absent), the rules and their settings, and kreview's code. A hit is the
// stored result; a miss is analysed and stored.
import { readFileSync } from 'node:fs';
import type { RuleSettings } from '../analysis/registry.js';
import type { Semantics } from '../semantics/index.js';
import { diskHeaderCandidates } from '../source/headers.js';
import type { FileChecker } from '../workers/check-files.js';
import { codeKey, contentKey, ruleSettingsKey, type ResultStore } from './results.js';

/** What every file's key shares: kreview's code, the rules, the user's rule settings. */
export function checkRunKey(sem: Semantics, rules: RuleSettings | undefined): string {
  return contentKey(['check', codeKey(), sem.contentKey, ruleSettingsKey(rules)]);
}

/** The key of one file: the run's, its path and text, and each header it may read. */
export function checkFileKey(run: string, path: string, text: string): string {
  const { root, paths } = diskHeaderCandidates(path, text);
  const parts: (string | Buffer)[] = [run, path, text, root ?? ''];
  for (const p of paths) {
    parts.push(p);
    try {
      parts.push(readFileSync(p));
    } catch {
      parts.push('\0absent');
    }
  }
  return contentKey(parts);
}

/** A checker that answers from the store what it can, and stores what it had to analyse. */
export function cachedChecker(inner: FileChecker, store: ResultStore, run: string): FileChecker {
  return {
    async check(t) {
      const key = checkFileKey(run, t.path, t.text);
      const hit = store.get('check', key);
      if (hit !== null) return { ok: true, value: JSON.parse(hit) };
      const r = await inner.check(t);
      // A failed file is not stored: the next run tries it again.
      if (r.ok) store.put('check', key, JSON.stringify(r.value));
      return r;
    },
    close: () => inner.close(),
  };
}

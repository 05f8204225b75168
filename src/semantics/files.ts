// What a loaded rule file is, shared by the loader (YAML/JSON, validated), the compiled cache and
// the semantics built from them; types only, so that a run from the cache loads no parser.

import type { FunctionFacts, RuleFile } from './schema.js';

/** Mined function entries kept as text: each entry's JSON starts at `at` and ends at the line's end. */
export interface FunctionIndex {
  text: string;
  at: Map<string, number>;
}

export interface LoadedRuleFile {
  path: string;
  rules: RuleFile;
  /**
   * A generated file's `functions`, checked against the schema one by one when first looked up
   * (tens of thousands of entries: checking them all would be most of every run's start-up).
   */
  unchecked?: Record<string, unknown>;
  /** Checks one of `unchecked` (set by the loader, which has the schema). */
  checkEntry?: (name: string, raw: unknown) => FunctionFacts;
  /** A compiled copy's function entries, checked when the copy was made (cache.ts). */
  functionIndex?: FunctionIndex;
}

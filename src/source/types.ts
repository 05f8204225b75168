// Types of the source stage: the C text that the front end parses, for each side of a patch.

export type Side = 'pre' | 'post';

/** Where an image's text came from. */
export type ImageOrigin =
  | 'index-blob' // `git cat-file` of the patch's `index <old>..<new>` blob
  | 'base-commit' // the file at the `base-commit:` trailer's commit
  | 'tree-head' // the file at the tree's HEAD (no blob, no base-commit)
  | 'applied' // post-image: the pre-image with the hunks applied
  | 'previous-patch' // pre-image: the post-image of an earlier patch of the same series
  | 'hunks' // reconstructed from the hunks alone
  | 'file'; // a whole C file given to `kreview check`

/**
 * Markers the source stage writes into reconstructed text, understood by the C front end:
 *   __kreview_gap(N);            code we cannot see (between hunks); state-preserving, but may hold any code
 *   __kreview_opaque(N)          a condition we cannot see (used for blocks opened in a gap)
 *   __kreview_unknown_end();     the function continues past what we can see: not an exit
 * Their numbers index FunctionMeta.gaps.
 */
export const GAP_MARKER = '__kreview_gap';
export const OPAQUE_COND = '__kreview_opaque';
export const UNKNOWN_END = '__kreview_unknown_end';

export interface GapInfo {
  id: number;
  /** Image lines the gap spans, when known from hunk headers (inclusive); null when unknown. */
  fromLine: number | null;
  toLine: number | null;
}

/** What is known about one function definition in a CUnit's text. */
export interface FunctionMeta {
  name: string;
  startRow: number; // 0-based row in CUnit.text of the definition's first line
  endRow: number; // 0-based row of its last line
  completeness: 'full' | 'partial';
  /** What is missing: 'start' (entered mid-function), 'end', 'signature', 'gap N (lines a-b)', 'prefix statement', ... */
  missing: string[];
  entryKnown: boolean; // false: the visible code starts mid-function; locks may already be held
  exitKnown: boolean; // false: the function end is not visible
  gaps: GapInfo[];
  /** True when the patch changed lines of this function (on this side). */
  touched: boolean;
  /** Preprocessor conditionals inside the function and the side analysed. */
  preproc: { line: number | null; directive: string; taken: 'then' | 'else' | 'none' }[];
}

/** One parseable C text: a whole file (tree mode, `kreview check`) or the reconstructed functions of a file (hunk mode). */
export interface CUnit {
  file: string | null; // path in the tree; null when unknown (fragments, quoted code)
  side: Side;
  origin: ImageOrigin;
  text: string;
  /** Row (0-based) of `text` → 1-based line in the real file image; null for rows kreview synthesised. */
  lineMap: (number | null)[];
  /** Row → 1-based line in the message body it was read from (hunk mode), when known. */
  bodyLineMap?: (number | null)[];
  /** Function definitions in `text` with what is known about them. In tree mode: every function of the file. */
  functions: FunctionMeta[];
  /** `#define` directives of the image (continuations joined), for expanding the unit's own macros. */
  defines?: string[];
  /** What `lineMap` counts: lines of the file (default), or of the message body, for code quoted with no file name and no line numbers. */
  lineIn?: 'file' | 'body';
  /** The rows as written, before preprocessing blanked directives and untaken branches (whole-file units), for showing code. */
  raw?: readonly string[];
}

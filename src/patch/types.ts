// Types of the patch stage: diffs and code pulled out of message bodies.

/**
 * diff     - a patch with `diff --git`/`---`/`+++` headers, as sent
 * quoted   - a diff quoted in a reply (`> ` prefixes), possibly partial
 * fragment - diff lines without file header (quoted `> +` lines, `[..snip..]` pieces); file unknown
 * code     - plain code quoted with line numbers (`2206 static void dm_wq_work(...)`); file unknown
 */
export type PatchKind = 'diff' | 'quoted' | 'fragment' | 'code';

export type LineKind = 'context' | 'add' | 'del';

export interface DiffLine {
  kind: LineKind;
  /** Content without the diff prefix and without quote prefixes; wrapped continuations re-joined. */
  text: string;
  oldLine: number | null; // line in the pre-image (null for added lines, or unknown)
  newLine: number | null; // line in the post-image (null for removed lines, or unknown)
  bodyLine: number; // 1-based line in the message body (or attachment) where this line starts
  noNewlineAtEnd?: boolean; // followed by "\ No newline at end of file"
  /** How the line was repaired, when it was: joined a wrapped line, restored a lost context prefix. */
  repair?: 'joined-wrap' | 'restored-context-prefix';
  /** Body lines the text was joined from, when a wrapped line was re-joined (bodyLine is the first). */
  joined?: number[];
}

export interface Hunk {
  /** Start lines from the @@ header; null when the hunk had no header (fragments). */
  oldStart: number | null;
  newStart: number | null;
  /** Counts recounted from the lines actually present. */
  oldLines: number;
  newLines: number;
  /** Counts as declared in the header (null when there was no header). */
  declared: { oldLines: number; newLines: number } | null;
  /** Text after the second @@: usually the enclosing function's first line. '' if none. */
  section: string;
  lines: DiffLine[];
  bodyLine: number; // where the hunk (header or first line) starts in the body
}

export type FileStatus = 'modified' | 'added' | 'deleted' | 'renamed' | 'copied' | 'unknown';

export interface FilePatch {
  oldPath: string | null; // a/ path without prefix; null for created files or when unknown
  newPath: string | null; // b/ path without prefix; null for deleted files or when unknown
  /** The path to report: newPath ?? oldPath; null when unknown (fragments, code). */
  path: string | null;
  status: FileStatus;
  oldBlob: string | null; // abbreviated blob hash from `index <old>..<new>`
  newBlob: string | null;
  oldMode: string | null;
  newMode: string | null;
  binary: boolean;
  /** `similarity index N%` of a rename or copy. */
  similarity?: number;
  hunks: Hunk[];
}

/** A reviewer's words between quoted lines, tied to the quoted line they follow. */
export interface ReviewComment {
  text: string;
  bodyLine: number; // first line of the comment in the body
  /** The quoted diff line the comment follows (file index, hunk index, line index), when there is one. */
  after: { file: number; hunk: number; line: number } | null;
  /** Quote depth of the comment's lines (0 = the replier's own words). */
  depth?: number;
}

export interface Patch {
  id: string; // stable: `${input}#${messageIndex}.${n}` (n = 1-based patch number within the message)
  input: string;
  messageIndex: number;
  messageId: string | null;
  subject: string; // the message subject, or an in-body `Subject:` that introduced this diff
  kind: PatchKind;
  quoteDepth: number; // 0 = sent as is, 1 = '> ', 2 = '> > ' ...
  /** What was wrong with the text and repaired: 'whitespace-stripped', 'wrapped-lines', 'format-flowed',
   *  'recounted', 'tabs-expanded', 'no-header', 'snipped', 'attachment' ... */
  damage: string[];
  baseCommit: string | null; // `base-commit:` trailer
  files: FilePatch[];
  comments: ReviewComment[];
  bodyLine: number; // where the patch starts in the body
  /** Where the text came from: the body, or an attachment's file name. */
  from: 'body' | { attachment: string | null };
  /** In-body `From:` (git am style) that introduced this diff, when there was one. */
  author?: string;
  /** Series position, filled in once the whole input is read (see series.ts); applies patches in order. */
  series?: { id: string; version: number; number: number | null; total: number | null; reply: boolean } | null;
}

/** Series position parsed from the subject and threading. */
export interface SeriesInfo {
  /** Stable across versions of the same series: normalised subject + author. */
  id: string;
  version: number; // 1 when no vN tag
  number: number | null; // m of [PATCH m/n]
  total: number | null; // n of [PATCH m/n]
  cover: boolean; // 0/n or a cover letter
  tags: string[]; // RFC, RESEND, extra prefixes ([Devel], vz9 ...)
  /** The subject with all tags removed ("dm-ploop: fix and rework md updates"). */
  title: string;
  /** A reply (Re:, AW:, Fwd: ...) to a message of the series rather than one of its patches. */
  reply: boolean;
  /** The series author the id is keyed on: the sender, or for a reply the author it quotes; null when unknown. */
  author: string | null;
}

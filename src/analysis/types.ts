// What a check reports.

export type Severity = 'error' | 'warning' | 'info';
export type Confidence = 'high' | 'medium' | 'low';
/** introduced = post-image only; fixed = pre-image only; present = both (and every finding of `kreview check`). */
export type Status = 'introduced' | 'fixed' | 'present';

export interface TraceStep {
  line: number | null;
  text: string; // the code at that step
  note: string; // what happens there ("acquires '&ploop->bat_lock'", "takes the error branch")
  function?: string; // when the step is in another function (a callee, the other thread)
}

/** A concrete interleaving of two or more threads that breaks something. */
export interface Witness {
  threads: { id: string; name: string; function: string }[]; // id: CPU0, CPU1 ...
  steps: { thread: string; line: number | null; function: string; text: string; note: string }[];
  /** The state that breaks at the end of the steps. */
  breaks: string;
  model?: string; // subsystem model, when one was used
  invariant?: string;
}

export interface Finding {
  rule: string;
  /** Which of the rule's message templates `message` was made from (see `kreview rules --format json`). */
  ruleMessageId: string;
  severity: Severity;
  confidence: Confidence;
  message: string;
  input: string; // the input path the code came from (seed file, mbox, C file)
  patch: string | null; // patch id, null for `kreview check`
  messageId: string | null; // the Message-ID of the mail the patch came from
  file: string | null; // file path; null when the code came from a fragment with no file
  line: number | null; // line in the image the finding is about (post-image, or pre-image for fixed ones)
  /** What `line` and the trace's lines count: lines of `file`, or of the message body for code quoted with no file name and no line numbers. */
  lineIn: 'file' | 'body';
  function: string;
  status: Status;
  objects: string[]; // normalised objects involved ('&ploop->bat_lock')
  trace: TraceStep[];
  witness?: Witness;
  /** The facts the finding rests on: rules, inferred guards with counts, summaries of callees, missing context. */
  facts: string[];
  /** Stable across line shifts and versions: rule + file + function + normalised objects. */
  fingerprint: string;
  /** The code around the finding and its trace, from the image it was found in. */
  snippet: { line: number; text: string }[];
  /** The patch hunk that shows the finding's line, quoted down to it (findings of a patch on a line it shows); bodyLine: that line's place in the message body. */
  hunk?: { header: string; lines: string[]; bodyLine?: number };
  /** The commit whose patch this is (a pull request reviewed commit by commit). */
  commit?: string;
  /** Where a pull request's head shows this finding (the path and line a review comment goes on), when it is still there. */
  head?: { path: string; line: number };
  /** The fingerprint is in the baseline the run was given: known, not counted for --fail-on. */
  baseline: boolean;
}

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
  severity: Severity;
  confidence: Confidence;
  message: string;
  input: string; // the input path the code came from (seed file, mbox, C file)
  patch: string | null; // patch id, null for `kreview check`
  messageId: string | null;
  file: string | null; // file path; null when the code came from a fragment with no file
  line: number | null; // line in the image the finding is about (post-image, or pre-image for fixed ones)
  function: string;
  status: Status;
  objects: string[]; // normalised objects involved ('&ploop->bat_lock')
  trace: TraceStep[];
  witness?: Witness;
  /** The facts the finding rests on: rules, inferred guards with counts, summaries of callees, missing context. */
  facts: string[];
  /** Stable across line shifts and versions: rule + file + function + normalised objects. */
  fingerprint: string;
}

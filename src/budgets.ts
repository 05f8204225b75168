// Every limit kreview puts on the work one input may cause, in one place. Each is reported when
// hit (a note naming the input and the budget); the run goes on with the rest of the input.

export const BUDGETS = {
  /**
   * Syntax nesting of one function (statements and expressions): a function nested deeper (a
   * 3,000-branch `else if` chain, a 5,000-deep `?:`) is not lowered; the file's other functions are.
   */
  functionNesting: 1500,
  /** Entries of a function's live-variable sets (blocks x names): past it no fact is pruned. */
  livenessEntries: 2_000_000,
  /** Milliseconds of one tree-sitter parse: past it the file (or patch image) fails with a note. */
  parseMs: 20_000,
  /** Bytes of one C file (or header) read for analysis: a bigger one is refused with a note. */
  sourceBytes: 4 * 1024 * 1024,
  /** MIME nesting of one message: deeper multiparts are read as text, and the message says so. */
  mimeDepth: 20,
  /** Heap of one analysis worker, in MB: a file whose analysis needs more is reported as failed. */
  workerHeapMb: 2048,
  /**
   * Share of the machine's memory (or its container's limit) one run's workers may take together:
   * by default a run starts no more workers than fit in it at their heap budget each.
   */
  runMemoryShare: 0.75,
  /** Block visits of one walk of a function by the path engine: past it the walk stops, partial. */
  functionVisits: 20_000,
  /**
   * Milliseconds of one walk of a function: past it the walk stops, partial, as with the visits.
   * A safety net for a machine far slower than the visits budget assumes, never hit by a function
   * the visits budget already bounds on an ordinary one.
   */
  functionMs: 10_000,
} as const;

/** A rule file that cannot be used: the message names the file and line (or the function entry). */
export class RuleError extends Error {}

// error-path-fallthrough: an error branch cleans up (unlock, put, free) but does not leave, so the
// code after it runs on the failed value or without the released resource.

import type { Check, CheckContext, RawFinding } from '../check.js';
import { contextFacts } from '../check.js';

export const errorPathFallthrough: Check = {
  meta: {
    id: 'error-path-fallthrough',
    severity: 'error',
    description: 'an error branch that cleans up but does not return, so the code after it runs on the failed value',
  },
  run(ctx: CheckContext): RawFinding[] {
    const { fn, walk } = ctx;
    const out: RawFinding[] = [];
    for (const e of walk.events) {
      if (e.k !== 'err-fallthrough') continue;
      const { confidence, facts } = contextFacts(fn, false);
      out.push({
        rule: 'error-path-fallthrough',
        severity: 'error',
        confidence,
        message: `error branch on '${e.subject}' at ${e.branchLine ?? '?'} cleans up (${e.cleanup.text.replace(/;$/, '')}) but does not leave: line ${e.use.line ?? '?'} ${e.use.what}`,
        line: e.branchLine,
        function: fn.name,
        objects: [e.subject, e.cleanup.obj],
        trace: [...e.trace, { line: e.use.line, text: e.use.text, note: e.use.what }],
        facts: [...facts, `the error side ends at ${e.cleanup.line ?? '?'} without return/goto`],
      });
    }
    return out;
  },
};

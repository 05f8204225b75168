// error-path-fallthrough: an error branch cleans up (unlock, put, free) but does not leave, so the
// code after it runs on the failed value or without the released resource.

import type { Check, CheckContext, RawFinding } from '../check.js';
import { defineRule, report } from '../rule.js';
import { contextFacts } from '../check.js';

export const errorPathFallthroughRule = defineRule({
  id: 'error-path-fallthrough',
  severity: 'error',
  kind: 'path',
  summary: 'an error branch that cleans up but does not return, so the code after it runs on the failed value',
  description:
    'Reports a branch taken when a value failed (NULL, IS_ERR(), a negative return) that releases or frees something, as an error path does, but then falls through to code that uses the failed value or the released object: the missing return or goto turns the error path into a use after unlock or a NULL dereference.',
  help: {
    bad: `req = alloc_request(ctx);
if (!req)
\tmutex_unlock(&ctx->lock);\t/* no return: falls through */
req->ctx = ctx;`,
    good: `req = alloc_request(ctx);
if (!req) {
\tmutex_unlock(&ctx->lock);
\treturn -ENOMEM;
}
req->ctx = ctx;`,
  },
  cwe: [755],
  tags: ['error-handling'],
  messages: {
    fallthrough: "error branch on '{{subject}}' at {{line}} cleans up ({{cleanup}}) but does not leave: line {{useLine}} {{use}}",
  },
});

export const errorPathFallthrough: Check = {
  meta: errorPathFallthroughRule,
  run(ctx: CheckContext): RawFinding[] {
    const { fn, walk } = ctx;
    const out: RawFinding[] = [];
    for (const e of walk.events) {
      if (e.k !== 'err-fallthrough') continue;
      const { confidence, facts } = contextFacts(fn, false);
      out.push(
        report(errorPathFallthroughRule, {
          messageId: 'fallthrough',
          data: { subject: e.subject, line: e.branchLine, cleanup: e.cleanup.text.replace(/;$/, ''), useLine: e.use.line, use: e.use.what },
          confidence,
          line: e.branchLine,
          function: fn.name,
          objects: [e.subject, e.cleanup.obj],
          trace: [...e.trace, { line: e.use.line, text: e.use.text, note: e.use.what }],
          facts: [...facts, `the error side ends at ${e.cleanup.line ?? '?'} without return/goto`],
        }),
      );
    }
    return out;
  },
};

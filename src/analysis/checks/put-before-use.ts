// put-before-use: an object dereferenced after the function dropped what may be its last
// reference (put_device(dev); dev->id ...), directly or inside a callee whose summary drops it.

import type { Check, CheckContext, RawFinding } from '../check.js';
import { contextFacts } from '../check.js';
import { defineRule, report } from '../rule.js';

export const putBeforeUseRule = defineRule({
  id: 'put-before-use',
  severity: 'warning',
  kind: 'path',
  summary: 'an object used after the function dropped what may be its last reference',
  description:
    'Follows each reference the function holds; after the put that drops the last one it holds (put_device(), fput(), of_node_put(), kref_put() with its release, the pairs in rules/, a callee whose summary drops it), a dereference of the object (a field read or written, a lock inside it) may touch freed memory: another CPU can drop the remaining references in between. A put of a reference the caller handed in is said at info: the caller may still hold one.',
  help: {
    bad: `dev = bus_find_device_by_name(bus, NULL, name);
put_device(dev);
if (dev->driver)\t/* dev may be gone */
\tbind(dev);`,
    good: `dev = bus_find_device_by_name(bus, NULL, name);
if (dev->driver)
\tbind(dev);
put_device(dev);`,
  },
  cwe: [416],
  tags: ['reference-counting', 'memory'],
  messages: {
    used: "'{{obj}}' used after its reference was dropped at {{putLine}} ({{pair}}): it may be freed",
  },
});

export const putBeforeUse: Check = {
  meta: putBeforeUseRule,
  run(ctx: CheckContext): RawFinding[] {
    const { fn, walk } = ctx;
    const out: RawFinding[] = [];
    const said = new Set<string>();
    for (const e of walk.events) {
      if (e.k !== 'use-after-put' || said.has(e.obj)) continue;
      said.add(e.obj);
      const { confidence, facts } = contextFacts(fn, false);
      out.push(
        report(putBeforeUseRule, {
          messageId: 'used',
          data: { obj: e.obj, putLine: e.putLine, pair: e.pair },
          confidence,
          basis: { weak: e.own ? [] : ['handed-in'] },
          line: e.line,
          function: fn.name,
          objects: [e.obj],
          trace: [...e.trace, { line: e.line, text: e.text, note: `uses '${e.obj}' after the put at ${e.putLine ?? '?'}` }],
          facts: [
            ...facts,
            e.own
              ? `the put at ${e.putLine ?? '?'} drops the last reference this function held`
              : `the put at ${e.putLine ?? '?'} drops a reference the caller handed in`,
          ],
        }),
      );
    }
    return out;
  },
};

// Kernel-style snippets several suites share, written for the tests (no kernel code).

/** A rate setter that returns with its spinlock held on the error path: one lock-leak. */
export const SET_RATE_LEAK = [
  'static int set_rate(struct clk_priv *p, unsigned int rate)',
  '{',
  '\tspin_lock(&p->lock);',
  '\tif (rate > p->max)',
  '\t\treturn -EINVAL;',
  '\tp->rate = rate;',
  '\tspin_unlock(&p->lock);',
  '\treturn 0;',
  '}',
  '',
].join('\n');

/**
 * A git diff that releases a ring's lock on its -ENOMEM return (a fix: the lock-leak it removes is
 * `fixed`). Names and the hunk's line are the caller's, so that many such patches differ.
 */
export function ringFixDiff(o: { file?: string; ring?: string; fill?: string; at?: number; index?: boolean } = {}): string {
  const file = o.file ?? 'drivers/misc/gizmo/ring.c';
  const ring = o.ring ?? 'gizmo_ring';
  const at = o.at ?? 40;
  return [
    `diff --git a/${file} b/${file}`,
    ...(o.index === false ? [] : ['index 0a1b2c3..4d5e6f7 100644']),
    `--- a/${file}`,
    `+++ b/${file}`,
    `@@ -${at},6 +${at},7 @@ static int ${o.fill ?? `${ring}_fill`}(struct ${ring} *r)`,
    ' \tspin_lock(&r->lock);',
    ' \tif (!r->slots) {',
    ' \t\tr->err = -ENOMEM;',
    '+\t\tspin_unlock(&r->lock);',
    ' \t\treturn -ENOMEM;',
    ' \t}',
    ' \tspin_unlock(&r->lock);',
    '',
  ].join('\n');
}

// Three nights of list traffic for the nightly job's tests: a public-inbox archive and the kernel
// tree its patches apply to. Night 1: v1 of a 2-patch series (patch 1 leaks a lock on an error
// path) and unrelated mail. Night 2: v2 (the leak fixed, patch 2 now leaks a reference) and a
// review reply quoting v1. Night 3: nothing.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Inbox, KernelTree, mail } from './inbox.js';

const FILE = 'drivers/demo/dial.c';
const HEAD = `// SPDX-License-Identifier: GPL-2.0
#include <linux/mutex.h>
#include <linux/kref.h>

struct dial {
\tstruct mutex lock;
\tstruct kref ref;
\tint pos;
\tint max;
};

static void dial_free(struct kref *r)
{
\tkfree(container_of(r, struct dial, ref));
}
`;
const SET = (leak: boolean, fixed: boolean) =>
  `
static int dial_set(struct dial *d, int pos)
{
\tmutex_lock(&d->lock);
${leak ? (fixed ? '\tif (pos > d->max) {\n\t\tmutex_unlock(&d->lock);\n\t\treturn -ERANGE;\n\t}\n' : '\tif (pos > d->max)\n\t\treturn -ERANGE;\n') : ''}\td->pos = pos;
\tmutex_unlock(&d->lock);
\treturn 0;
}
`;
const GET = (leak: boolean) =>
  `
static int dial_get(struct dial *d)
{
\tint pos;
${leak ? '\n\tkref_get(&d->ref);\n\tif (d->pos < 0)\n\t\treturn -EINVAL;\n' : ''}\tpos = d->pos;
${leak ? '\tkref_put(&d->ref, dial_free);\n' : ''}\treturn pos;
}
`;
const NOTE = (n: boolean) => `\n${n ? '/* The dial turns between 0 and max. */\n' : ''}static int dial_max(struct dial *d)\n{\n\treturn d->max;\n}\n`;
const file = (text: string): Record<string, string> => ({ [FILE]: text });

export interface Nights {
  inbox: Inbox;
  tree: string;
  /** Add night n's mail to the archive (1, 2 or 3). */
  night(n: 1 | 2 | 3): number;
  /** Message-IDs of the series' patches, per version. */
  ids: { v1: string[]; v2: string[] };
}

export function makeNights(dir: string): Nights {
  const inbox = new Inbox(join(dir, 'lore', 'demo-devel'));
  const kernel = new KernelTree(join(dir, 'linux'));
  const base = kernel.commit(file(HEAD + SET(false, false) + GET(false) + NOTE(false)), 'demo: add the dial driver');
  const title = 'demo: dial: range checks';
  const v1 = kernel.series(base, 1, title, [
    { message: 'demo: dial: refuse positions above max', files: file(HEAD + SET(true, false) + GET(false) + NOTE(false)) },
    { message: 'demo: dial: say what max means', files: file(HEAD + SET(true, false) + GET(false) + NOTE(true)) },
  ]);
  const v2 = kernel.series(base, 2, title, [
    { message: 'demo: dial: refuse positions above max', files: file(HEAD + SET(true, true) + GET(false) + NOTE(false)) },
    { message: 'demo: dial: hold a reference while reading the position', files: file(HEAD + SET(true, true) + GET(true) + NOTE(false)) },
  ]);
  const id = (m: string): string => /^Message-I[dD]: <([^>]+)>/m.exec(m)![1]!;
  const reply = mail({
    from: 'Bo Reviewer <bo@example.net>',
    subject: 'Re: [PATCH 1/2] demo: dial: refuse positions above max',
    id: 'bo-reply-1@example.net',
    inReplyTo: id(v1[1]!),
    body: ['On Tue, Ada Example wrote:', '> +\tif (pos > d->max)', '> +\t\treturn -ERANGE;', '', 'This returns with d->lock held.'].join('\n'),
  });
  const unrelated = mail({ from: 'Cy <cy@example.com>', subject: 'Meeting notes for June', id: 'notes-1@example.com', body: 'Nothing to review here.' });
  const nights: Record<1 | 2 | 3, string[]> = { 1: [...v1, unrelated], 2: [...v2, reply], 3: [] };
  return {
    inbox,
    tree: kernel.dir,
    night: (n) => {
      inbox.add(...nights[n]);
      return nights[n].length;
    },
    ids: { v1: v1.slice(1).map(id), v2: v2.slice(1).map(id) },
  };
}

/** The nightly configuration for these nights. */
export function nightConfig(dir: string, n: Nights, o: { extra?: string; batchSize?: number; schedule?: string } = {}): string {
  const path = join(dir, 'kreview-nightly.yaml');
  writeFileSync(
    path,
    [
      `schedule: "${o.schedule ?? '0 4 * * *'}"`,
      'timezone: UTC',
      `database: ${join(dir, 'state', 'kreview.sqlite')}`,
      `output: ${join(dir, 'reports')}`,
      `batch-size: ${o.batchSize ?? 3}`,
      'sources:',
      '  - name: demo-devel',
      `    public-inbox: ${n.inbox.dir}`,
      `    tree: ${n.tree}`,
      '    fetch-tree: false',
      o.extra ?? '',
    ].join('\n'),
  );
  return path;
}

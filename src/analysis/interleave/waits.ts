// Completions, the kernel's one-shot waits: complete() lets one waiter through (complete_all()
// every one), wait_for_completion() blocks until it may go. The variants with a timeout, a signal
// or a kill can give up instead of waiting, so a thread in one of them is never stuck for good.
// Part of the explorer's shared primitives (world.ts): models never redefine them.

import type { World, Loc, Value } from './world.js';
import { int } from './world.js';

const ALL = 1 << 20; // complete_all(): every waiter, now and later

type Wait = { blocks: true } | { blocks: false; failed: Value; done: Value };

const WAITS: Record<string, Wait> = {
  wait_for_completion: { blocks: true },
  wait_for_completion_io: { blocks: true },
  wait_for_completion_state: { blocks: true },
  wait_for_completion_timeout: { blocks: false, failed: int(0), done: int(1) },
  wait_for_completion_io_timeout: { blocks: false, failed: int(0), done: int(1) },
  wait_for_completion_interruptible: { blocks: false, failed: int(-512), done: int(0) },
  wait_for_completion_killable: { blocks: false, failed: int(-512), done: int(0) },
  wait_for_completion_interruptible_timeout: { blocks: false, failed: int(0), done: int(1) },
  wait_for_completion_killable_timeout: { blocks: false, failed: int(0), done: int(1) },
  try_wait_for_completion: { blocks: false, failed: int(0), done: int(1) },
};

const SIGNALS = new Set(['complete', 'complete_all', 'init_completion', 'reinit_completion', 'completion_done']);

export function isCompletionCall(name: string): boolean {
  return name in WAITS || SIGNALS.has(name);
}

/** Run a completion call on the completion at `loc`: its result, or what it waits for. */
export function completionCall(w: World, name: string, loc: Loc): { value: Value; note: string } | { blocked: string } {
  const key = `${loc}#done`;
  const done = w.counts.get(key) ?? 0;
  switch (name) {
    case 'complete':
      w.counts.set(key, done >= ALL ? done : done + 1);
      return { value: int(0), note: `completes ${w.describe(loc)}` };
    case 'complete_all':
      w.counts.set(key, ALL);
      return { value: int(0), note: `completes ${w.describe(loc)} for every waiter` };
    case 'init_completion':
    case 'reinit_completion':
      w.counts.delete(key);
      return { value: int(0), note: `${w.describe(loc)} not done` };
    case 'completion_done':
      return { value: int(done > 0 ? 1 : 0), note: `${w.describe(loc)} is ${done > 0 ? '' : 'not '}done` };
  }
  const wait = WAITS[name]!;
  if (done > 0) {
    if (done < ALL) w.counts.set(key, done - 1);
    return { value: wait.blocks ? int(0) : wait.done, note: `${w.describe(loc)} is done: goes on` };
  }
  if (wait.blocks) return { blocked: `${w.describe(loc)} to complete` };
  return { value: wait.failed, note: `${w.describe(loc)} is not done: gives up (timeout or signal)` };
}

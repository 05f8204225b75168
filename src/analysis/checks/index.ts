// Every check kreview runs, in report order. One file per rule.

import type { Check } from '../check.js';
import { allocLeak } from './alloc-leak.js';
import { doubleLock } from './double-lock.js';
import { errorPathFallthrough } from './error-path-fallthrough.js';
import { flagLeak } from './flag-leak.js';
import { irqMismatch } from './irq-mismatch.js';
import { lockLeak } from './lock-leak.js';
import { lockOrder } from './lock-order.js';
import { putBeforeUse } from './put-before-use.js';
import { refLeak } from './ref-leak.js';
import { refUnderflow } from './ref-underflow.js';
import { sleepInAtomic } from './sleep-in-atomic.js';
import { unlockUnheld } from './unlock-unheld.js';

export const engineChecks: Check[] = [
  lockLeak,
  doubleLock,
  unlockUnheld,
  irqMismatch,
  sleepInAtomic,
  refLeak,
  refUnderflow,
  allocLeak,
  putBeforeUse,
  flagLeak,
  errorPathFallthrough,
  lockOrder,
];

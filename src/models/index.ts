// The subsystem models kreview knows. A model takes part when its rules file is loaded and the
// input holds the functions its scenarios need; adding one is a rules file plus a file here.

import { dm } from './dm.js';
import { dmPloop } from './dm-ploop.js';
import { netfs } from './netfs.js';
import type { Model } from './types.js';
import { zram } from './zram.js';

export const models: Model[] = [dmPloop, zram, dm, netfs];

export type { Model, ModelInput, Scenario } from './types.js';

// The Action's entry point (bundled into action/index.mjs by scripts/build-action.mjs).
import { runAction } from './index.js';

process.exitCode = await runAction();

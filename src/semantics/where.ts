import { join } from 'node:path';
import { PACKAGE_ROOT } from '../paths.js';

/** The bundled rules/ at the package root. */
export const DEFAULT_RULES_DIR = join(PACKAGE_ROOT, 'rules');

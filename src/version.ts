import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

/** package.json, read once (one level above src/ or dist/). */
const pkg = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'package.json'), 'utf8')) as { version: string; homepage?: unknown };

/** The package version. */
export const VERSION: string = pkg.version;

/** The package's home page, when package.json names one. */
export const HOMEPAGE: string | undefined = typeof pkg.homepage === 'string' && /^https?:\/\//.test(pkg.homepage) ? pkg.homepage : undefined;

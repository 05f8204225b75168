// A finding's identity across line shifts, versions of a series and nightly runs: rule, file,
// function and the normalised objects, never line numbers.

import { createHash } from 'node:crypto';

export function fingerprint(rule: string, file: string | null, fn: string, objects: string[], discriminator?: string): string {
  const h = createHash('sha1');
  h.update([rule, file ?? '', fn, [...objects].sort().join(','), discriminator ?? ''].join('\0'));
  return `${rule}:${h.digest('hex').slice(0, 12)}`;
}

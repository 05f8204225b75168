// Patch stage entry point. (Placeholder signature: implemented by the patch work.)
import type { Message } from '../ingest/types.js';
import type { Patch, SeriesInfo } from './types.js';

export type { Patch, SeriesInfo } from './types.js';

export interface Extraction {
  patches: Patch[];
  /** When no patch was found: why, in words a user understands ("prose only, 14 lines; no diff or code"). */
  reason: string | null;
  /** Problems met while extracting (a hunk that could not be repaired ...), each naming the body line. */
  notes: string[];
}

/** Every diff, quoted diff, fragment and line-numbered code in a message (body and text attachments). */
export function extractPatches(_msg: Message): Extraction {
  throw new Error('patch extraction not implemented yet');
}

/** Series position from the subject (tags, vN, m/n) and author; ids are stable across versions. */
export function seriesOf(_msg: Message): SeriesInfo {
  throw new Error('series parsing not implemented yet');
}

// Message damage that a token alone does not explain: what the reader did about it, in words, naming the
// message. The patch stage adds these to the message's notes, so a report shows them next to the message
// whether or not a patch was found in it.
import type { Message } from './types.js';
import { describeOrigin } from './message.js';
import { MAX_MIME_DEPTH } from './mime.js';

const NOTES = new Map<string, string>([
  ['nul-bytes', 'NUL bytes (binary data) in the message: read as text around them'],
  ['mime-depth-limit', `MIME multiparts nested more than ${MAX_MIME_DEPTH} deep (the depth limit): the parts below the limit were read as plain text`],
]);

/** A note for each damage of the message that needs one. */
export function damageNotes(msg: Message): string[] {
  const notes: string[] = [];
  for (const d of msg.damage) {
    const note = NOTES.get(d);
    if (note) notes.push(`${describeOrigin(msg.origin)}: ${note}`);
  }
  return notes;
}

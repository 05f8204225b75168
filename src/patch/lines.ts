// Body lines with their quote prefixes taken apart: `> `, `>`, `> > `, `>> `, `>>> ` ...
// Every later step works on (depth, text) so that a diff quoted at any depth reads like one sent as is.

export interface BodyLine {
  /** 1-based line number in the text (body or attachment). */
  no: number;
  /** The line as written (trailing '\r' removed). */
  raw: string;
  /** Number of quote markers ('>') in the prefix. */
  depth: number;
  /** The line without its quote prefix. */
  text: string;
}

/**
 * Split a quote prefix off a line. The prefix is a run of '>' each optionally followed by one space;
 * exactly one space after the last '>' belongs to the prefix, so `>  foo` is a quoted context line ` foo`
 * and `>+foo` (no space) a quoted added line.
 */
export function unquote(raw: string): { depth: number; text: string } {
  if (raw.charCodeAt(0) !== 62 /* > */) return { depth: 0, text: raw };
  let i = 0;
  let depth = 0;
  while (i < raw.length && raw.charCodeAt(i) === 62) {
    depth++;
    i++;
    if (raw.charCodeAt(i) === 32 && raw.charCodeAt(i + 1) === 62)
      i++; // "> >": the space separates markers
    else if (raw.charCodeAt(i) === 32) {
      i++;
      break;
    }
  }
  return { depth, text: raw.slice(i) };
}

/** The lines of a text with quote depth; line ends already normalised to '\n' by ingest. */
export function bodyLines(text: string): BodyLine[] {
  const parts = text.split('\n');
  if (parts.length && parts[parts.length - 1] === '') parts.pop();
  const out: BodyLine[] = new Array(parts.length);
  for (let i = 0; i < parts.length; i++) {
    let raw = parts[i]!;
    if (raw.endsWith('\r')) raw = raw.slice(0, -1);
    const q = unquote(raw);
    out[i] = { no: i + 1, raw, depth: q.depth, text: q.text };
  }
  return out;
}

/** A line with nothing but whitespace after its quote prefix. */
export const isBlank = (l: BodyLine): boolean => l.text.trim() === '';

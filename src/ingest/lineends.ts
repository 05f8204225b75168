// Line ends other than LF and CRLF: mail saved on classic Mac OS (Eudora, Entourage, old Mac mbox files)
// ends every line with a bare CR. The rest of ingest splits lines on LF, so such a file is read through
// bareCrToLf(), which turns each bare CR into LF byte for byte: offsets in the file stay as they were.
// Whether a file needs it is decided from its lines, not from a stray CR somewhere in it.

const LF = 0x0a;
const CR = 0x0d;

/** Does this text end its lines with bare CRs (more bare CRs than LFs)? */
export function hasBareCrLineEnds(sample: Uint8Array): boolean {
  let lf = 0;
  let bareCr = 0;
  for (let i = 0; i < sample.length; i++) {
    const c = sample[i]!;
    if (c === LF) lf++;
    else if (c === CR && sample[i + 1] !== LF) bareCr++;
  }
  return bareCr > lf;
}

/** Bare CRs in b[from, to) to LF; a CR at to - 1 counts as bare (callers hold back a CR whose next byte is unknown). */
function fixRange(b: Buffer, from: number, to: number): void {
  for (let i = b.indexOf(CR, from); i !== -1 && i < to; i = b.indexOf(CR, i + 1)) {
    if (i + 1 >= to || b[i + 1] !== LF) b[i] = LF;
  }
}

/** A copy of `b` with every bare CR turned into LF (a CR at the very end counts as bare). */
export function bareCrToLf(b: Uint8Array): Buffer {
  const out = Buffer.from(b);
  fixRange(out, 0, out.length);
  return out;
}

/**
 * The same for a stream. A CR that ends a chunk is held back until the next chunk shows whether an LF
 * follows it (CRLF is left alone).
 */
export async function* bareCrToLfChunks(src: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let held = false; // the last chunk ended in a CR, not passed on yet
  for await (const chunk of src) {
    if (!chunk.length) continue;
    const endsInCr = chunk[chunk.length - 1] === CR;
    const body = endsInCr ? chunk.subarray(0, chunk.length - 1) : chunk;
    const lead = held ? 1 : 0;
    const out = Buffer.allocUnsafe(lead + body.length);
    if (held) out[0] = chunk[0] === LF ? CR : LF;
    body.copy(out, lead);
    // A CR last in `body` is followed by the held-back one: bare.
    fixRange(out, lead, out.length);
    held = endsInCr;
    if (out.length) yield out;
  }
  if (held) yield Buffer.from([LF]);
}

// Bytes to text under a declared (or missing, or wrong) charset.
// Mail declares charsets loosely: labels in any case, quoted, unknown ('x-unknown', 'unknown-8bit'),
// or 'us-ascii' on 8-bit text. We never throw here: an unusable label falls back to UTF-8 when the bytes
// are valid UTF-8, otherwise to windows-1252 (which maps every byte), and the caller is told.
import { isUtf8 } from 'node:buffer';
import { TextDecoder } from 'node:util';

export interface Decoded {
  text: string;
  /** The declared charset could not be used as given (unknown label, or invalid bytes for it). */
  fallback: boolean;
}

const decoders = new Map<string, TextDecoder | null>();

function decoderFor(label: string): TextDecoder | null {
  let d = decoders.get(label);
  if (d === undefined) {
    try {
      d = new TextDecoder(label, { fatal: true });
    } catch {
      d = null;
    }
    decoders.set(label, d);
  }
  return d;
}

const lenient1252 = new TextDecoder('windows-1252');

/** Normalise a charset label: lower case, quotes and RFC 2231 language suffix removed, common aliases mapped. */
export function normalizeCharset(label: string | null | undefined): string | null {
  if (!label) return null;
  let l = label
    .trim()
    .replace(/^["']|["']$/g, '')
    .toLowerCase();
  const star = l.indexOf('*'); // RFC 2231 language: utf-8*en
  if (star > 0) l = l.slice(0, star);
  if (!l) return null;
  if (l === 'utf8' || l === 'utf-8' || l === 'unicode-1-1-utf-8') return 'utf-8';
  if (l === 'ascii' || l === 'us-ascii' || l === 'ansi_x3.4-1968' || l === 'iso646-us' || l === 'us') return 'us-ascii';
  if (l === 'latin1' || l === 'latin-1' || l === 'iso8859-1' || l === 'iso_8859-1' || l === 'l1') return 'iso-8859-1';
  const iso = /^iso[-_]?8859[-_]?(\d+)$/.exec(l);
  if (iso) return `iso-8859-${iso[1]}`;
  const win = /^(?:cp|windows-?)(125\d)$/.exec(l);
  if (win) return `windows-${win[1]}`;
  return l;
}

/** Decode bytes as UTF-8 when valid, else windows-1252; `fallback` says the bytes were not UTF-8. */
export function decodeGuess(bytes: Uint8Array): Decoded {
  if (isUtf8(bytes)) return { text: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'), fallback: false };
  return { text: lenient1252.decode(bytes), fallback: true };
}

/** Decode bytes under a declared charset. */
export function decodeCharset(bytes: Uint8Array, charset: string | null | undefined): Decoded {
  const cs = normalizeCharset(charset);
  if (cs === null || cs === 'utf-8' || cs === 'us-ascii') {
    // Undeclared or ASCII/UTF-8: 8-bit bytes in 'us-ascii' text are common and almost always UTF-8.
    const d = decodeGuess(bytes);
    return { text: d.text, fallback: d.fallback && cs !== null };
  }
  const dec = decoderFor(cs);
  if (dec) {
    try {
      return { text: dec.decode(bytes), fallback: false };
    } catch {
      // Invalid bytes for the declared charset (mislabelled mail): guess instead.
    }
  }
  const g = decodeGuess(bytes);
  return { text: g.text, fallback: true };
}

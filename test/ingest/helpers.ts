// Shared helpers for the ingest suites: fixture paths and reading every message of an input.
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { openInput } from '../../src/ingest/index.js';
import type { InputSummary, Message } from '../../src/ingest/types.js';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/mail/ingest/', import.meta.url));
export const fixture = (name: string): string => join(FIXTURES, name);

export interface ReadResult {
  summary: InputSummary;
  messages: Message[];
}

/** Open an input and read all of its messages. */
export async function readInput(path: string, opts: { stdin?: NodeJS.ReadableStream } = {}): Promise<ReadResult> {
  const reader = await openInput(path, opts);
  const messages: Message[] = [];
  for await (const m of reader.messages()) messages.push(m);
  return { summary: reader.summary, messages };
}

/** Feed a buffer as chunks of `size` bytes. */
export async function* chunked(buf: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

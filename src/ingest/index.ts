// Ingest stage entry point. (Placeholder signature: implemented by the ingest work.)
import type { InputSummary, Message } from './types.js';

export type { InputSummary, Message } from './types.js';

/** An opened input: its summary (updated while messages are read) and its messages, streamed. */
export interface InputReader {
  summary: InputSummary;
  messages(): AsyncGenerator<Message>;
}

/** Thrown for an input path that cannot be read at all (the CLI exits 2). */
export class InputError extends Error {}

export async function openInput(path: string, _opts: { stdin?: NodeJS.ReadableStream } = {}): Promise<InputReader> {
  throw new InputError(`${path}: ingest not implemented yet`);
}

// Shared helpers for the patch suites: fixture paths, messages from files or text, patches out of them.
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { openInput } from '../../src/ingest/index.js';
import type { Message } from '../../src/ingest/types.js';
import { emptyMessage } from '../../src/ingest/message.js';
import { extractPatches, type Extraction } from '../../src/patch/index.js';
import type { Patch } from '../../src/patch/types.js';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/mail/patch/', import.meta.url));
export const fixture = (name: string): string => join(FIXTURES, name);

/** Every message of an input file. */
export async function messagesOf(path: string): Promise<Message[]> {
  const r = await openInput(path);
  const out: Message[] = [];
  for await (const m of r.messages()) out.push(m);
  return out;
}

/** The extraction of each message of a fixture. */
export async function extractFixture(name: string): Promise<Extraction[]> {
  return (await messagesOf(fixture(name))).map((m) => extractPatches(m));
}

/** The patches of a one-message fixture. */
export async function patchesOf(name: string): Promise<Patch[]> {
  const ex = await extractFixture(name);
  return ex.flatMap((e) => e.patches);
}

/** A message whose body is `body` (no headers), for inline cases. */
export function bodyMessage(body: string, opts: { subject?: string; damage?: string[]; input?: string } = {}): Message {
  const m = emptyMessage({ input: opts.input ?? 'inline', index: 1 });
  m.body = body;
  m.subject = opts.subject ?? '';
  m.damage = opts.damage ?? [];
  return m;
}

export const extractBody = (body: string, opts: Parameters<typeof bodyMessage>[1] = {}): Extraction => extractPatches(bodyMessage(body, opts));

/** Line kinds as one string per hunk: ' ', '+', '-'. */
export const shape = (p: Patch, file = 0): string[] =>
  p.files[file]!.hunks.map((h) => h.lines.map((l) => (l.kind === 'add' ? '+' : l.kind === 'del' ? '-' : ' ')).join(''));

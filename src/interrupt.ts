// SIGINT and SIGTERM during `check` or `scan`: the run stops between files, messages or patch
// series, writes what it has done as a whole document marked incomplete, and exits with the
// shell's code for the signal (128 + its number). A second signal ends the process at once.

import type { RunDocument } from './report/document.js';

export const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;
export type StopSignal = keyof typeof SIGNAL_EXIT;

export class Interrupt {
  private readonly ac = new AbortController();
  private readonly handlers: [StopSignal, () => void][] = [];
  received: StopSignal | null = null;

  /** Aborted when the first signal arrives. */
  get signal(): AbortSignal {
    return this.ac.signal;
  }

  /** Listen for SIGINT and SIGTERM until dispose(). */
  static listen(): Interrupt {
    const it = new Interrupt();
    for (const sig of Object.keys(SIGNAL_EXIT) as StopSignal[]) {
      const h = (): void => {
        if (it.received) process.exit(SIGNAL_EXIT[sig]);
        it.received = sig;
        it.ac.abort();
      };
      process.on(sig, h);
      it.handlers.push([sig, h]);
    }
    return it;
  }

  dispose(): void {
    for (const [sig, h] of this.handlers.splice(0)) process.off(sig, h);
    // A read left blocked on a FIFO or a terminal keeps the process alive, and process.exit() waits
    // for it too. If the process is still here a second after the report was written, die of the
    // signal itself, as the shell expects of an interrupted program (its status is the same 128+n).
    const sig = this.received;
    if (sig) setTimeout(() => process.kill(process.pid, sig), 1000).unref();
  }
}

export const ABORTED: unique symbol = Symbol('aborted');

/** `p`, or ABORTED as soon as `signal` is (`p` is left to settle on its own, its failure ignored). */
export function unlessAborted<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T | typeof ABORTED> {
  if (!signal) return p;
  p.catch(() => {});
  if (signal.aborted) return Promise.resolve(ABORTED);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => resolve(ABORTED);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** Say in the document (a field and a note every format prints) that the run was cut short. */
export function markIncomplete(doc: RunDocument, signal: StopSignal, done: string): void {
  const reason = `interrupted by ${signal}: the run stopped early; this report covers only ${done}`;
  doc.incomplete = { signal, reason };
  doc.notes.push(reason);
}

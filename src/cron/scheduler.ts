// The long-lived `kreview cron`: node-cron fires on the configured schedule (in its time zone);
// one run at a time (a tick that finds the last run still going is refused, and that is logged);
// stop() aborts the current run between batches and waits for it to finish its report.

import cron, { type ScheduledTask } from 'node-cron';
import type { NightLog } from './night.js';

export interface SchedulerOptions {
  expression: string;
  timezone: string | null;
  /** One run; it should stop between batches once `signal` aborts. */
  run: (signal: AbortSignal) => Promise<void>;
  log: NightLog;
}

export class NightScheduler {
  private task: ScheduledTask | null = null;
  private current: Promise<void> | null = null;
  private controller = new AbortController();
  /** Ticks: started, and refused because a run was still going. */
  readonly ticks = { started: 0, refused: 0 };

  constructor(private readonly o: SchedulerOptions) {}

  start(): void {
    this.task = cron.schedule(this.o.expression, () => this.tick(), { ...(this.o.timezone ? { timezone: this.o.timezone } : {}), name: 'kreview-nightly' });
    this.o.log('scheduled', { schedule: this.o.expression, timezone: this.o.timezone ?? 'local' });
  }

  /** What a tick does: start a run unless one is going (exported for a run started by hand). */
  tick(): Promise<void> | null {
    if (this.controller.signal.aborted) return null;
    if (this.current) {
      this.ticks.refused++;
      this.o.log('refused', { reason: 'the previous run is still going' });
      return null;
    }
    this.ticks.started++;
    const p = this.o
      .run(this.controller.signal)
      .catch((e: unknown) => this.o.log('run-failed', { error: e instanceof Error ? e.message : String(e) }))
      .finally(() => {
        this.current = null;
      });
    this.current = p;
    return p;
  }

  /** Stop firing, ask the running run to stop between batches, and wait for it. */
  async stop(): Promise<void> {
    await this.task?.stop();
    await this.task?.destroy();
    this.controller.abort();
    await this.current;
    this.o.log('stopped', {});
  }
}

// How the nightly job talks: a progress bar on a terminal, one JSON object per line otherwise
// (for journald, a CI log, a file), each with its time and event name.

import { Presets, SingleBar } from 'cli-progress';
import type { NightLog } from './night.js';

export function nightLogger(o: { write: (line: string) => void; tty: boolean; now?: () => Date }): { log: NightLog; close: () => void } {
  const now = o.now ?? (() => new Date());
  if (!o.tty) return { log: (event, fields = {}) => o.write(JSON.stringify({ ts: now().toISOString(), event, ...fields }) + '\n'), close: () => {} };
  let bar: SingleBar | null = null;
  const log: NightLog = (event, fields = {}) => {
    if (event === 'batch') {
      if (!bar) {
        bar = new SingleBar({ format: '{source}: {value} messages read', stream: process.stderr }, Presets.shades_classic);
        bar.start(0, 0, { source: fields.source });
      }
      bar.update(Number(fields.read ?? 0), { source: fields.source });
      return;
    }
    bar?.stop();
    bar = null;
    const rest = Object.entries(fields)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    o.write(`kreview cron: ${event}${rest ? ` ${rest}` : ''}\n`);
  };
  return { log, close: () => bar?.stop() };
}

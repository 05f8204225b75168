// A worker for the pool's tests: echoes, or dies the ways real analysis can.
import { parentPort } from 'node:worker_threads';

parentPort!.on('message', (m: string) => {
  if (m === 'oom') {
    const hog: number[][] = [];
    for (;;) hog.push(new Array(1_000_000).fill(hog.length));
  }
  if (m === 'exit') process.exit(3);
  if (m === 'throw') throw new Error('crashed on purpose');
  parentPort!.postMessage({ ok: true, value: `done ${m}` });
});

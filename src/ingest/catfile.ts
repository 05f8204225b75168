// Reading many git objects through ONE long-running `git cat-file --batch` child: requests are written
// `<rev>\n`, replies come back in order as `<sha> <type> <size>\n<bytes>\n` (or `<rev> missing\n`).
// A process per object (simple-git, `git show`) costs ~11 ms each; this costs a few microseconds.
import { spawn } from 'node:child_process';

export type BatchReply = { spec: string; sha: string; type: string; data: Buffer } | { spec: string; missing: string }; // the reply line ("<spec> missing", "<spec> ambiguous")

/** Line and byte reads over a stream of chunks. */
class ByteReader {
  private chunks: Buffer[] = [];
  private size = 0;
  private ended = false;
  constructor(private readonly it: AsyncIterator<Buffer>) {}

  private async more(): Promise<boolean> {
    if (this.ended) return false;
    const r = await this.it.next();
    if (r.done) {
      this.ended = true;
      return false;
    }
    this.chunks.push(r.value);
    this.size += r.value.length;
    return true;
  }

  private take(n: number): Buffer {
    const first = this.chunks[0];
    let out: Buffer;
    if (first && first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      // Join only the chunks that hold the n bytes, not everything buffered behind them.
      let k = 0;
      let have = 0;
      while (have < n) have += this.chunks[k++]!.length;
      const joined = Buffer.concat(this.chunks.slice(0, k), have);
      out = joined.subarray(0, n);
      this.chunks.splice(0, k, ...(have > n ? [joined.subarray(n)] : []));
    }
    this.size -= n;
    return out;
  }

  async line(): Promise<string | null> {
    let scanned = 0;
    for (;;) {
      let off = 0;
      for (const c of this.chunks) {
        if (off + c.length > scanned) {
          const from = Math.max(0, scanned - off);
          const nl = c.indexOf(0x0a, from);
          if (nl !== -1) return this.take(off + nl + 1).toString('utf8', 0, off + nl);
        }
        off += c.length;
      }
      scanned = this.size;
      if (!(await this.more())) return null;
    }
  }

  async bytes(n: number): Promise<Buffer | null> {
    while (this.size < n) if (!(await this.more())) return null;
    return this.take(n);
  }
}

/**
 * Yield the object named by each spec (`<commit>:m`), in order. The specs may be an array or a stream (an
 * epoch's commit list as `git rev-list` writes it), read only as far as requests are sent. At most `window`
 * requests are outstanding, so neither pipe fills up whatever the consumer does; they are written in batches.
 * Throws when git cannot be run or dies.
 */
export async function* catFileBatch(gitDir: string, specs: Iterable<string> | AsyncIterable<string>, window = 64): AsyncGenerator<BatchReply> {
  const source: Iterator<string> | AsyncIterator<string> =
    Symbol.asyncIterator in specs ? specs[Symbol.asyncIterator]() : (specs as Iterable<string>)[Symbol.iterator]();
  const child = spawn('git', ['cat-file', '--batch'], { cwd: gitDir, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  let spawnError: Error | null = null;
  child.on('error', (e) => {
    spawnError = e;
  });
  child.stderr.on('data', (d: Buffer) => {
    if (stderr.length < 4096) stderr += d.toString('utf8');
  });
  child.stdin.on('error', () => {
    // EPIPE when git exits early: the read side reports it.
  });
  const total = Array.isArray(specs) ? specs.length : null;
  // Specs sent and not answered yet, oldest first: at most `window`, topped up when half have been answered.
  const pending: string[] = [];
  let exhausted = false;
  const refill = Math.max(1, window >> 1);
  const feed = async (): Promise<void> => {
    let s = '';
    while (!exhausted && pending.length < window) {
      const r = await source.next();
      if (r.done) {
        exhausted = true;
        break;
      }
      pending.push(r.value);
      s += `${r.value}\n`;
    }
    if (s) child.stdin.write(s);
    if (exhausted && child.stdin.writable) child.stdin.end();
  };
  const reader = new ByteReader(child.stdout[Symbol.asyncIterator]() as AsyncIterator<Buffer>);
  const fail = (what: string): Error => {
    const why = (spawnError as Error | null)?.message ?? stderr.trim();
    return new Error(`git cat-file --batch in ${gitDir}: ${what}${why ? `: ${why}` : ''}`);
  };
  let done = 0;
  try {
    await feed();
    while (pending.length) {
      const line = await reader.line();
      if (line === null) throw fail(`ended after ${done}${total === null ? '' : ` of ${total}`} objects`);
      const spec = pending.shift()!;
      done++;
      const m = /^([0-9a-f]{40,64}) (\S+) (\d+)$/.exec(line);
      if (!m) {
        yield { spec, missing: line };
      } else {
        const size = Number(m[3]);
        const data = await reader.bytes(size + 1);
        if (data === null) throw fail(`object ${m[1]} cut short`);
        yield { spec, sha: m[1]!, type: m[2]!, data: data.subarray(0, size) };
      }
      if (!exhausted && pending.length <= window - refill) await feed();
    }
  } finally {
    if (child.stdin.writable) child.stdin.end();
    if (child.exitCode === null) child.kill();
    // Stop a streamed source (its own git process) when the consumer stopped early or git failed.
    if (!exhausted) await source.return?.();
  }
}

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
      const all = Buffer.concat(this.chunks);
      out = all.subarray(0, n);
      this.chunks = all.length > n ? [all.subarray(n)] : [];
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
 * Yield the object named by each spec (`<commit>:m`), in order. At most `window` requests are outstanding,
 * so neither pipe fills up whatever the consumer does. Throws when git cannot be run or dies.
 */
export async function* catFileBatch(gitDir: string, specs: readonly string[], window = 64): AsyncGenerator<BatchReply> {
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
  let sent = 0;
  const feed = (n: number): void => {
    let s = '';
    while (n-- > 0 && sent < specs.length) s += `${specs[sent++]}\n`;
    if (s) child.stdin.write(s);
    if (sent >= specs.length && child.stdin.writable) child.stdin.end();
  };
  const reader = new ByteReader(child.stdout[Symbol.asyncIterator]() as AsyncIterator<Buffer>);
  const fail = (what: string): Error => {
    const why = (spawnError as Error | null)?.message ?? stderr.trim();
    return new Error(`git cat-file --batch in ${gitDir}: ${what}${why ? `: ${why}` : ''}`);
  };
  try {
    feed(window);
    for (let i = 0; i < specs.length; i++) {
      const line = await reader.line();
      if (line === null) throw fail(`ended after ${i} of ${specs.length} objects`);
      const m = /^([0-9a-f]{40,64}) (\S+) (\d+)$/.exec(line);
      if (!m) {
        yield { spec: specs[i]!, missing: line };
      } else {
        const size = Number(m[3]);
        const data = await reader.bytes(size + 1);
        if (data === null) throw fail(`object ${m[1]} cut short`);
        yield { spec: specs[i]!, sha: m[1]!, type: m[2]!, data: data.subarray(0, size) };
      }
      feed(1);
    }
  } finally {
    if (child.stdin.writable) child.stdin.end();
    if (child.exitCode === null) child.kill();
  }
}

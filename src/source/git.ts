// Reading objects from a kernel tree: one long-running `git cat-file --batch` per tree, so that
// a series touching hundreds of files costs one process, not hundreds.

import { spawn, execFile, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export class TreeError extends Error {}

export interface GitObject {
  oid: string;
  type: string;
  content: Buffer;
}

type Reply = GitObject | 'missing' | 'ambiguous';

/** Git's object id of a blob with this content. */
export function blobId(content: string | Buffer, format: 'sha1' | 'sha256' = 'sha1'): string {
  const buf = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  return createHash(format).update(`blob ${buf.length}\0`).update(buf).digest('hex');
}

/** Why `dir` cannot be read as a kernel tree (missing, not a directory, not a git repository), or null. */
export async function treeProblem(dir: string): Promise<string | null> {
  try {
    if (!(await stat(dir)).isDirectory()) return 'not a directory';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'no such directory' : `cannot read (${code ?? String(e)})`;
  }
  try {
    await run('git', ['-C', dir, 'rev-parse', '--git-dir'], { maxBuffer: 1 << 20 });
  } catch (e) {
    const msg =
      e instanceof Error && 'stderr' in e
        ? String((e as { stderr: unknown }).stderr)
            .trim()
            .split('\n')[0]
        : String(e);
    return msg && !/not a git repository/.test(msg) ? `not usable as a git repository (${msg})` : 'not a git repository';
  }
  return null;
}

export class GitTree {
  private proc: ChildProcessWithoutNullStreams | null = null;
  private buf: Buffer = Buffer.alloc(0);
  private waiting: { resolve: (r: Reply) => void; reject: (e: Error) => void }[] = [];
  private failed: Error | null = null;
  private cache = new Map<string, Promise<Reply>>();

  private constructor(
    readonly dir: string,
    readonly objectFormat: 'sha1' | 'sha256',
  ) {}

  /** Open a checkout or bare repository; throws TreeError naming the tree when it is not one. */
  static async open(dir: string): Promise<GitTree> {
    const problem = await treeProblem(dir);
    if (problem) throw new TreeError(`tree ${dir}: ${problem}`);
    let format: 'sha1' | 'sha256' = 'sha1';
    try {
      const { stdout } = await run('git', ['-C', dir, 'rev-parse', '--show-object-format']);
      if (stdout.trim() === 'sha256') format = 'sha256';
    } catch {
      /* old git: sha1 */
    }
    return new GitTree(dir, format);
  }

  private start(): ChildProcessWithoutNullStreams {
    if (this.proc) return this.proc;
    const proc = spawn('git', ['-C', this.dir, 'cat-file', '--batch'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    proc.stdout.on('data', (d: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      this.drain();
    });
    const fail = (why: string): void => {
      this.failed = new TreeError(`tree ${this.dir}: git cat-file --batch ${why}${stderr ? `: ${stderr.trim()}` : ''}`);
      for (const w of this.waiting.splice(0)) w.reject(this.failed);
    };
    proc.on('error', (e) => fail(`could not run (${e.message})`));
    proc.on('exit', (code) => {
      this.proc = null;
      if (this.waiting.length) fail(`exited with ${code}`);
    });
    proc.stdin.on('error', () => {
      /* reported through 'exit' */
    });
    this.proc = proc;
    return proc;
  }

  private drain(): void {
    for (;;) {
      const w = this.waiting[0];
      if (!w) return;
      const nl = this.buf.indexOf(10);
      if (nl < 0) return;
      const header = this.buf.subarray(0, nl).toString('utf8');
      if (/ (missing|ambiguous)$/.test(header)) {
        this.buf = this.buf.subarray(nl + 1);
        this.waiting.shift();
        w.resolve(header.endsWith('ambiguous') ? 'ambiguous' : 'missing');
        continue;
      }
      const m = /^([0-9a-f]+) (\S+) (\d+)$/.exec(header);
      if (!m) {
        this.buf = this.buf.subarray(nl + 1);
        this.waiting.shift();
        w.reject(new TreeError(`tree ${this.dir}: unexpected reply from git cat-file: ${header}`));
        continue;
      }
      const size = Number(m[3]);
      if (this.buf.length < nl + 1 + size + 1) return;
      const content = Buffer.from(this.buf.subarray(nl + 1, nl + 1 + size));
      this.buf = this.buf.subarray(nl + 1 + size + 1);
      this.waiting.shift();
      w.resolve({ oid: m[1]!, type: m[2]!, content });
    }
  }

  /** The commit HEAD names now (refs move: what a result read from HEAD depends on). */
  static async head(dir: string): Promise<string | null> {
    try {
      return (await run('git', ['-C', dir, 'rev-parse', '--verify', '-q', 'HEAD'])).stdout.trim() || null;
    } catch {
      return null;
    }
  }

  /** Any object name git understands: an (abbreviated) id, `<commit>:<path>`, `HEAD:<path>`. */
  read(name: string): Promise<Reply> {
    if (this.failed) return Promise.reject(this.failed);
    if (/[\n\r]/.test(name)) return Promise.resolve('missing');
    const cached = this.cache.get(name);
    if (cached) return cached;
    const p = new Promise<Reply>((resolve, reject) => {
      const proc = this.start();
      this.waiting.push({ resolve, reject });
      proc.stdin.write(`${name}\n`);
    });
    this.cache.set(name, p);
    return p;
  }

  /** A blob by (abbreviated) id; an ambiguous abbreviation yields every blob it could be. */
  async blobs(abbrev: string): Promise<GitObject[]> {
    const r = await this.read(abbrev);
    if (r === 'missing') return [];
    if (r !== 'ambiguous') return r.type === 'blob' ? [r] : [];
    let names: string[] = [];
    try {
      const { stdout } = await run('git', ['-C', this.dir, 'rev-parse', `--disambiguate=${abbrev}`], { maxBuffer: 1 << 24 });
      names = stdout.split('\n').filter(Boolean);
    } catch {
      return [];
    }
    const out: GitObject[] = [];
    for (const n of names) {
      const o = await this.read(n);
      if (o !== 'missing' && o !== 'ambiguous' && o.type === 'blob') out.push(o);
    }
    return out;
  }

  /** The blob at `rev:path`, or null. */
  async fileAt(rev: string, path: string): Promise<GitObject | null> {
    // A path from a diff names a file in the tree or nothing: `../x` would make git leave the
    // repository (and end the batch process), `/x` or `./x` mean the working directory.
    const norm = posix.normalize(path);
    if (norm === '..' || norm.startsWith('../') || norm.startsWith('/') || path.startsWith('./') || /[\0\n\r]/.test(path)) return null;
    const r = await this.read(`${rev}:${norm}`);
    return r !== 'missing' && r !== 'ambiguous' && r.type === 'blob' ? r : null;
  }

  close(): void {
    const p = this.proc;
    this.proc = null;
    if (p) p.stdin.end();
  }
}

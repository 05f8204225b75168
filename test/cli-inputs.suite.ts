// What the CLI does with arguments and inputs it cannot use: --tree and --rules that name no usable
// directory, directory walks (links never followed, FIFOs and devices never opened), C files that
// are binary, UTF-16 or too large, and the exit code rule (README, "Exit codes").
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { runCli as run } from './support/cli.js';
import { ROOT } from './support/pull-repo.js';
import { MAX_SOURCE_BYTES } from '../src/source-file.js';
import { SET_RATE_LEAK } from './support/snippets.js';

const EXAMPLE = join(ROOT, 'fixtures', 'mail', 'example.mbox');
const root = process.getuid?.() === 0;

const BUGGY = SET_RATE_LEAK;
const CLEAN = 'static void f(struct x *p)\n{\n\tspin_lock(&p->lock);\n\tp->n++;\n\tspin_unlock(&p->lock);\n}\n';

interface DocFile {
  path: string;
  status: string;
  functions: number;
  reason: string | null;
}

/** One line on stderr naming the argument, no stack trace. */
function oneLineError(err: string, re: RegExp): void {
  assert.match(err, re);
  assert.equal(err.trim().split('\n').length, 1, err);
  assert.doesNotMatch(err, /\n\s+at /);
}

describe('cli inputs', () => {
  let dir: string;
  const p = (...parts: string[]): string => join(dir, ...parts);
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kreview-inputs-'));
    writeFileSync(p('clean.c'), CLEAN);
    writeFileSync(p('buggy.c'), BUGGY);
    writeFileSync(p('zeros.c'), Buffer.alloc(4096));
    writeFileSync(p('zeros'), Buffer.alloc(4096));
    writeFileSync(p('random.bin'), randomBytes(64 * 1024));
    mkdirSync(p('plain'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('--tree and --rules name what cannot be used: one line naming the argument, exit 2', () => {
    for (const [what, arg] of [
      ['a directory that is no repository', 'plain'],
      ['a missing path', 'missing'],
      ['a regular file', 'clean.c'],
    ] as const) {
      it(`--tree: ${what}`, async () => {
        const want = { plain: /not a git repository/, missing: /no such directory/, 'clean.c': /not a directory/ }[arg];
        for (const args of [
          ['scan', '--tree', p(arg), EXAMPLE],
          ['ir', '--tree', p(arg), EXAMPLE],
        ]) {
          const r = await run(args);
          assert.equal(r.code, 2, args.join(' '));
          oneLineError(r.err, new RegExp(`^kreview: --tree ${p(arg).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ${want.source}`));
        }
      });
    }

    it('--rules: a regular file, a missing path', async () => {
      let r = await run(['check', '--rules', p('clean.c'), p('clean.c')]);
      assert.equal(r.code, 2);
      oneLineError(r.err, /^kreview: --rules .*clean\.c: not a directory$/m);
      r = await run(['check', '--rules', p('missing'), p('clean.c')]);
      assert.equal(r.code, 2);
      oneLineError(r.err, /^kreview: --rules .*missing: no such directory$/m);
      r = await run(['scan', '--rules', p('clean.c'), EXAMPLE]);
      assert.equal(r.code, 2);
      oneLineError(r.err, /^kreview: --rules .*clean\.c: not a directory$/m);
    });
  });

  describe('walking directories', () => {
    let tree: string;
    let outside: string;
    before(() => {
      tree = p('walk');
      outside = p('outside');
      mkdirSync(join(tree, 'sub'), { recursive: true });
      mkdirSync(outside);
      writeFileSync(join(tree, 'ok.c'), CLEAN);
      writeFileSync(join(tree, 'sub', 'b.c'), CLEAN);
      writeFileSync(join(outside, 'leak.c'), BUGGY);
      copyFileSync(EXAMPLE, join(outside, 'series.mbox'));
      symlinkSync('.', join(tree, 'self'));
      symlinkSync('..', join(tree, 'sub', 'up'));
      symlinkSync(outside, join(tree, 'out'));
      symlinkSync(join(outside, 'leak.c'), join(tree, 'outfile.c'));
      symlinkSync('/dev/zero', join(tree, 'x.c'));
      symlinkSync('nowhere.c', join(tree, 'gone.c'));
      execFileSync('mkfifo', [join(tree, 'fifo.c')]);
    });

    it('check: regular files once, links not followed, a FIFO and /dev/zero never opened, a dangling link reported', { timeout: 60_000 }, async () => {
      const r = await run(['check', '--format', 'json', tree]);
      const doc = JSON.parse(r.out) as { files: DocFile[]; findings: unknown[] };
      const by = new Map(doc.files.map((f) => [f.path.slice(tree.length + 1), f]));
      assert.deepEqual(
        doc.files.filter((f) => f.status === 'ok').map((f) => f.path.slice(tree.length + 1)),
        ['ok.c', 'sub/b.c'],
        'each file once, nothing through self, up or out',
      );
      assert.match(by.get('fifo.c')?.reason ?? '', /FIFO: not a regular file, not opened/);
      assert.match(by.get('x.c')?.reason ?? '', /symbolic link to \/dev\/zero: not followed/);
      assert.match(by.get('outfile.c')?.reason ?? '', /not followed \(it leads out of the tree\)/);
      assert.equal(by.get('gone.c')?.status, 'unreadable');
      assert.match(by.get('gone.c')?.reason ?? '', /broken symbolic link/);
      assert.equal(doc.findings.length, 0, 'leak.c outside the tree is not analysed');
      assert.equal(r.code, 0, 'what a directory holds that cannot be read does not change the exit code');
      const text = await run(['check', tree]);
      assert.match(text.out, /fifo\.c: ignored: FIFO/);
      assert.match(text.out, /gone\.c: unreadable: broken symbolic link/);
    });

    it('scan: no message read twice or from outside the tree; FIFO, links and dangling links reported', { timeout: 60_000 }, async () => {
      copyFileSync(EXAMPLE, join(tree, 'series.mbox'));
      try {
        const alone = JSON.parse((await run(['scan', '--format', 'json', EXAMPLE])).out) as { messages: unknown[] };
        const r = await run(['scan', '--format', 'json', tree]);
        const doc = JSON.parse(r.out) as { messages: unknown[]; inputs: { errors: string[]; skipped: { item: string; reason: string }[] }[] };
        assert.equal(doc.messages.length, alone.messages.length, 'series.mbox once; outside/series.mbox not at all');
        const skipped = new Map(doc.inputs[0]!.skipped.map((s) => [s.item, s.reason]));
        assert.match(skipped.get('fifo.c') ?? '', /FIFO: not a regular file/);
        assert.match(skipped.get('self') ?? '', /symbolic link to \.: not followed/);
        assert.match(skipped.get('out') ?? '', /leads out of the tree/);
        assert.match(skipped.get('x.c') ?? '', /\/dev\/zero: not followed/);
        assert.ok(
          doc.inputs[0]!.errors.some((e) => /gone\.c: broken symbolic link/.test(e)),
          doc.inputs[0]!.errors.join('\n'),
        );
        assert.equal(r.code, 1, 'the findings of series.mbox decide; the dangling link does not');
      } finally {
        rmSync(join(tree, 'series.mbox'));
      }
    });
  });

  describe('C file content, checked before parsing', () => {
    it('refuses 10 MB of random bytes named .c without parsing it', { timeout: 60_000 }, async () => {
      const d = p('bin');
      mkdirSync(d);
      writeFileSync(join(d, 'noise.c'), randomBytes(10 * 1024 * 1024));
      writeFileSync(join(d, 'ok.c'), CLEAN);
      const t0 = Date.now();
      const r = await run(['check', '--format', 'json', d]);
      assert.ok(Date.now() - t0 < 20_000, 'refused up front, not parsed');
      const doc = JSON.parse(r.out) as { files: DocFile[] };
      const noise = doc.files.find((f) => f.path.endsWith('noise.c'));
      assert.equal(noise?.status, 'unreadable');
      assert.match(noise?.reason ?? '', /not C source: binary data/);
      assert.equal(r.code, 0, 'found in a directory: reported, the exit code unchanged');
      const named = await run(['check', join(d, 'noise.c')]);
      assert.equal(named.code, 2, 'named on the command line: exit 2');
      assert.match(named.err, /noise\.c: not read: not C source: binary data/);
    });

    for (const enc of ['utf-16le', 'utf-16be'] as const) {
      it(`decodes ${enc} with a byte order mark`, async () => {
        const le = Buffer.from(`\ufeff${BUGGY}`, 'utf16le');
        const bytes = enc === 'utf-16le' ? le : Buffer.from(le).swap16();
        const f = p(`wide-${enc}.c`);
        writeFileSync(f, bytes);
        const r = await run(['check', '--format', 'json', f]);
        const doc = JSON.parse(r.out) as { files: DocFile[]; findings: { rule: string }[]; notes: string[] };
        assert.equal(doc.files[0]?.functions, 1);
        assert.deepEqual(
          doc.findings.map((x) => x.rule),
          ['lock-leak'],
        );
        assert.ok(doc.notes.some((n) => n.includes(`read as ${enc.toUpperCase()}`)));
        assert.equal(r.code, 1);
      });
    }

    it('names UTF-16 without a byte order mark instead of parsing it', async () => {
      const f = p('wide-nobom.c');
      writeFileSync(f, Buffer.from(BUGGY, 'utf16le'));
      const r = await run(['check', f]);
      assert.equal(r.code, 2);
      assert.match(r.err, /wide-nobom\.c: not read: not C source: UTF-16 text without a byte order mark/);
    });

    it('ir on a file of NULs says why and exits 2 (.c or mail)', async () => {
      let r = await run(['ir', p('zeros.c')]);
      assert.equal(r.code, 2);
      assert.match(r.err, /zeros\.c: not read: not C source: binary data \(NUL byte at offset 0\)/);
      r = await run(['ir', p('zeros')]);
      assert.equal(r.code, 2);
      assert.match(r.err, /zeros: not mail: binary data/);
    });

    it(`refuses a file over the size budget (${MAX_SOURCE_BYTES} bytes) with a note`, async () => {
      const d = p('big');
      mkdirSync(d);
      const f = join(d, 'huge.c');
      writeFileSync(f, `${CLEAN}/*${' '.repeat(MAX_SOURCE_BYTES)}*/\n`);
      writeFileSync(join(d, 'ok.c'), CLEAN);
      const r = await run(['check', d]);
      assert.match(r.out, /huge\.c: unreadable: too large: \d+ bytes \(the budget for one file is \d+\)/);
      assert.match(r.out, /^1 file, 1 functions/m);
      assert.equal(r.code, 0);
      const named = await run(['check', f]);
      assert.equal(named.code, 2);
      assert.match(named.err, /huge\.c: not read: too large/);
    });
  });

  describe('exit codes: 0 nothing at --fail-on, 1 findings, 2 arguments or a named input not read at all', () => {
    it('scan of a binary file named directly exits 2; a missing one too', async () => {
      let r = await run(['scan', p('random.bin')]);
      assert.equal(r.code, 2);
      assert.match(r.err, /random\.bin: not mail: binary data/);
      r = await run(['scan', p('missing.mbox')]);
      assert.equal(r.code, 2);
    });

    it('a named input not read outranks findings (2), and the findings are still reported', async () => {
      const r = await run(['scan', '--format', 'json', EXAMPLE, p('random.bin')]);
      assert.equal(r.code, 2);
      assert.ok((JSON.parse(r.out) as { findings: unknown[] }).findings.length > 0);
      const c = await run(['check', p('buggy.c'), p('missing.c')]);
      assert.equal(c.code, 2);
      assert.match(c.out, /lock-leak, present/);
    });

    it('check DIR with a dangling link: the rest decides (0 clean, 1 findings)', async () => {
      const d = p('dangling');
      mkdirSync(d);
      writeFileSync(join(d, 'a.c'), CLEAN);
      symlinkSync('nowhere.c', join(d, 'b.c'));
      assert.equal((await run(['check', d])).code, 0);
      writeFileSync(join(d, 'c.c'), BUGGY);
      assert.equal((await run(['check', d])).code, 1);
    });

    it('a FIFO named directly: check exits 2 without opening it', { timeout: 30_000 }, async () => {
      const f = p('named-fifo.c');
      execFileSync('mkfifo', [f]);
      const r = await run(['check', f]);
      assert.equal(r.code, 2);
      assert.match(r.err, /named-fifo\.c: not read: FIFO: not a regular file, not opened/);
    });

    it('an unreadable file: in a scanned directory reported (0), named directly 2', { skip: root && 'root reads every file' }, async () => {
      const d = p('locked');
      mkdirSync(d);
      const f = join(d, 'secret.mbox');
      copyFileSync(EXAMPLE, f);
      chmodSync(f, 0);
      const inDir = await run(['scan', d]);
      assert.equal(inDir.code, 0);
      assert.match(inDir.out, /secret\.mbox: cannot read/);
      assert.equal((await run(['scan', f])).code, 2);
      assert.equal((await run(['check', join(d)])).code, 0);
    });

    it('ir --function that is not there exits 2 with a message', async () => {
      const r = await run(['ir', '--function', 'nosuch', p('clean.c')]);
      assert.equal(r.code, 2);
      assert.match(r.err, /no function 'nosuch' in .*clean\.c \(1 functions: f\)/);
      assert.equal(r.out, '');
    });
  });
});

// `--cache DIR`: results kept by content. A second run gives the report byte for byte and analyses
// nothing; a change to anything a result depends on (the file, a header it includes, the rule
// settings, the tree's HEAD) analyses again; a damaged entry is ignored and written again.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './support/cli.js';
import { checkFileKey } from '../src/cache/check-cache.js';
import { contentKey } from '../src/cache/results.js';
import { NightDb } from '../src/cron/db.js';
import { deflateSync } from 'node:zlib';

/** A helper in a local header that takes the lock, and a caller that returns without releasing it on one path. */
const HELPER_LOCKS = 'struct gadget { spinlock_t lock; int ready; };\nstatic inline void gadget_grab(struct gadget *g)\n{\n\tspin_lock(&g->lock);\n}\n';
const HELPER_IDLE = 'struct gadget { spinlock_t lock; int ready; };\nstatic inline void gadget_grab(struct gadget *g)\n{\n\tg->ready = 0;\n}\n';
const CALLER =
  '#include "gadget.h"\n\nint gadget_start(struct gadget *g)\n{\n\tgadget_grab(g);\n\tif (!g->ready)\n\t\treturn -EAGAIN;\n\tspin_unlock(&g->lock);\n\treturn 0;\n}\n';

/** A directory holding the caller and its header with the locking helper. */
function gadget(dir: string): string {
  mkdirSync(dir);
  writeFileSync(join(dir, 'gadget.h'), HELPER_LOCKS);
  writeFileSync(join(dir, 'gadget.c'), CALLER);
  return dir;
}

const reused = (err: string): [number, number] => {
  const m = /cache: (\d+) results reused, (\d+) analysed/.exec(err);
  assert.ok(m, err);
  return [Number(m[1]), Number(m[2])];
};

/** Every entry file under the cache directory. */
function entries(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out.push(join(d, e.name));
    }
  };
  walk(dir);
  return out;
}

describe('cache: results kept by content', () => {
  let root = '';
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'kreview-cache-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('check: a second run reuses every result and prints the same report in every format', async () => {
    const src = join(import.meta.dirname, '../fixtures/c/lock-leak');
    const cache = join(root, 'c1');
    for (const format of ['json', 'text', 'sarif']) {
      const args = ['check', src, '--cache', cache, '--format', format, '--fail-on', 'never'];
      const first = await runCli(args);
      const second = await runCli(args);
      assert.equal(second.out, first.out, format);
      const [hits, misses] = reused(second.err);
      assert.equal(misses, 0, format);
      assert.ok(hits > 10, `${hits} reused`);
    }
  });

  it('check: a header the file includes, or the rule settings, changing analyses it again', async () => {
    const dir = gadget(join(root, 'hdr'));
    const cache = join(root, 'c2');
    const run = async (...more: string[]) => runCli(['check', join(dir, 'gadget.c'), '--cache', cache, '--format', 'json', '--fail-on', 'never', ...more]);
    const rules = (out: string): string[] => (JSON.parse(out) as { findings: { rule: string }[] }).findings.map((f) => f.rule);
    const first = await run();
    assert.deepEqual(rules(first.out), ['lock-leak']);
    assert.deepEqual(reused(first.err), [0, 1]);
    assert.deepEqual(reused((await run()).err), [1, 0]);
    writeFileSync(join(dir, 'gadget.h'), HELPER_IDLE);
    const changed = await run();
    assert.deepEqual(reused(changed.err), [0, 1]);
    assert.notDeepEqual(rules(changed.out), ['lock-leak']);
    const off = await run('--disable', 'unlock-unheld');
    assert.deepEqual(reused(off.err), [0, 1], 'other rule settings: another result');
  });

  it('check: a key names the headers a file may read, whether they exist or not', () => {
    const dir = join(root, 'keys');
    mkdirSync(dir);
    const k0 = checkFileKey('run', join(dir, 'x.c'), CALLER);
    writeFileSync(join(dir, 'gadget.h'), HELPER_LOCKS);
    const k1 = checkFileKey('run', join(dir, 'x.c'), CALLER);
    writeFileSync(join(dir, 'gadget.h'), HELPER_IDLE);
    const k2 = checkFileKey('run', join(dir, 'x.c'), CALLER);
    assert.equal(new Set([k0, k1, k2]).size, 3);
    assert.equal(checkFileKey('run', join(dir, 'x.c'), CALLER), k2);
    assert.notEqual(checkFileKey('other run', join(dir, 'x.c'), CALLER), k2);
    // Parts are length-prefixed: moving a boundary between parts is another key.
    assert.notEqual(contentKey(['ab', 'c']), contentKey(['a', 'bc']));
  });

  it('a damaged entry is not trusted: it is analysed and written again', async () => {
    const dir = gadget(join(root, 'dmg'));
    const cache = join(root, 'c3');
    const args = ['check', join(dir, 'gadget.c'), '--cache', cache, '--format', 'json', '--fail-on', 'never'];
    const first = await runCli(args);
    const [entry] = entries(cache);
    const good = readFileSync(entry!, 'utf8');
    const stored = JSON.parse(good) as { key: string; sum: string; value: string };
    const damages = [
      good.slice(0, good.length - 20),
      JSON.stringify({ ...stored, value: stored.value.replace('lock-leak', 'lock-leaK') }),
      JSON.stringify({ ...stored, key: 'f'.repeat(64) }),
      'not json',
    ];
    for (const d of damages) {
      writeFileSync(entry!, d);
      const r = await runCli(args);
      assert.equal(r.out, first.out);
      assert.match(r.err, /cache: 0 results reused, 1 analysed \(1 damaged entries made again\)/);
      assert.equal(readFileSync(entry!, 'utf8'), good);
    }
  });

  it('scan: a second run reuses every series; a tree whose HEAD moved is reviewed again', async () => {
    const tree = join(root, 'tree');
    mkdirSync(join(tree, 'drivers'), { recursive: true });
    const git = (...a: string[]): string => execFileSync('git', ['-C', tree, '-c', 'user.name=t', '-c', 'user.email=t@e', ...a], { encoding: 'utf8' });
    git('init', '-q');
    writeFileSync(join(tree, 'drivers', 'gadget.c'), CALLER);
    writeFileSync(join(tree, 'drivers', 'gadget.h'), HELPER_LOCKS);
    git('add', '.');
    git('commit', '-qm', 'base');
    const mail = join(import.meta.dirname, '../fixtures/mail');
    const cache = join(root, 'c4');
    const args = ['scan', mail, '--tree', tree, '--cache', cache, '--format', 'json', '--fail-on', 'never'];
    const first = await runCli(args);
    assert.equal(first.code, 0, first.err);
    const [, groups] = reused(first.err);
    assert.ok(groups > 5, `${groups} groups`);
    const second = await runCli(args);
    assert.equal(second.out, first.out);
    assert.deepEqual(reused(second.err), [groups, 0]);
    writeFileSync(join(tree, 'README'), 'moved\n');
    git('add', '.');
    git('commit', '-qm', 'next');
    assert.deepEqual(reused((await runCli(args)).err), [0, groups]);
  });

  it('the nightly database keeps results as the directory does, checked when read', () => {
    const db = new NightDb(':memory:');
    try {
      const store = db.resultStore();
      assert.equal(store.get('scan', 'k'), null);
      store.put('scan', 'k', '[{"id":"x"}]');
      assert.equal(store.get('scan', 'k'), '[{"id":"x"}]');
      for (const junk of [Buffer.from('not deflate'), deflateSync('[{"id":"y"}]')]) {
        db.db.prepare('UPDATE results SET value = ?').run(junk);
        assert.equal(store.get('scan', 'k'), null);
      }
      assert.deepEqual(store.stats, { hits: 1, misses: 3, damaged: 2, unwritable: 0 });
    } finally {
      db.close();
    }
  });

  it('a cache that cannot be written costs only the speed: the report is made and the failures are said', async () => {
    const dir = gadget(join(root, 'ro-src'));
    // A file where the directory should be: nothing can be stored under it, even as root.
    const cache = join(root, 'not-a-dir');
    writeFileSync(cache, 'x');
    const file = join(dir, 'gadget.c');
    const r = await runCli(['check', file, '--cache', cache, '--format', 'json', '--fail-on', 'never']);
    const plain = await runCli(['check', file, '--format', 'json', '--fail-on', 'never']);
    assert.equal(r.code, 0, r.err);
    const body = (out: string): unknown => {
      const { invocation: _, ...rest } = JSON.parse(out) as { invocation: unknown };
      return rest;
    };
    assert.deepEqual(body(r.out), body(plain.out));
    assert.match(r.err, /cache: 0 results reused, 1 analysed; 1 could not be stored/);
  });
});

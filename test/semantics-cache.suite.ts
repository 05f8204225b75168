import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync, chmodSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachedRuleDir, rulesCacheDir } from '../src/semantics/cache.js';
import { compileRuleDir, loadSemanticsDir, RuleError, DEFAULT_RULES_DIR } from '../src/semantics/load.js';
import { Semantics } from '../src/semantics/index.js';

const compile = async (d: string) => compileRuleDir(d);

/** A rules directory with a hand-written file and a generated one holding a good and a bad entry. */
function rulesDir(root: string): string {
  const dir = join(root, 'rules');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'kernel.yaml'),
    'subsystem: t\nprimitives:\n  frob_lock: { op: acquire, family: spin, lock: 0 }\n  frob_unlock: { op: release, family: spin, lock: 0 }\n',
  );
  writeFileSync(
    join(dir, 'mined.json'),
    JSON.stringify({
      subsystem: 'mined',
      provenance: { version: '6.12.1', tree: 'linux', generated: 'now', command: 'kreview semantics mine', files: 1 },
      functions: {
        good_fn: { at: 'a.c:1', params: [], exits: ['void'], sleeps: { why: 'x', always: true } },
        bad_fn: { at: 'a.c:2', params: [], exits: [] },
      },
    }),
  );
  return dir;
}

const copies = (dir: string): string[] => readdirSync(dir).filter((f) => f.startsWith('rules-'));

describe('semantics: the compiled rules cache', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'kreview-cache-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('answers exactly as the rules loaded from their text, from a fresh copy and from one read back', async () => {
    const cache = join(root, 'c1');
    const made = new Semantics((await cachedRuleDir(DEFAULT_RULES_DIR, compile, cache)).files);
    assert.equal(copies(cache).length, 1);
    const hit = new Semantics((await cachedRuleDir(DEFAULT_RULES_DIR, async () => assert.fail('a hit compiles nothing'), cache)).files);
    const text = loadSemanticsDir();
    assert.equal(hit.minedCount, text.minedCount);
    assert.deepEqual(
      hit.files.map((f) => [f.path, f.rules]),
      text.files.map((f) => [f.path, f.rules]),
    );
    for (const name of ['lock_device_hotplug', 'unlock_device_hotplug', 'mutex_lock', 'no_such_function'])
      for (const s of [made, hit]) assert.deepEqual(s.functionFacts(name), text.functionFacts(name), name);
  });

  it('keeps a bad generated entry an error of its own, raised when it is looked up', async () => {
    const dir = rulesDir(join(root, 'bad'));
    const cache = join(root, 'c2');
    for (let i = 0; i < 2; i++) {
      const sem = new Semantics((await cachedRuleDir(dir, compile, cache)).files);
      assert.equal(sem.functionFacts('good_fn')?.facts.sleeps?.always, true);
      assert.throws(
        () => sem.functionFacts('bad_fn'),
        (e: unknown) => e instanceof RuleError && /^rules\/mined\.json: functions\.bad_fn\.exits: /.test(e.message),
      );
    }
  });

  it('makes a new copy when a rule file changes, and keeps only the newest few', async () => {
    const dir = rulesDir(join(root, 'change'));
    const cache = join(root, 'c3');
    await cachedRuleDir(dir, compile, cache);
    const yaml = join(dir, 'kernel.yaml');
    writeFileSync(yaml, `${readFileSync(yaml, 'utf8')}  frob_trylock: { op: acquire, family: spin, lock: 0, try: nonzero }\n`);
    const sem = new Semantics((await cachedRuleDir(dir, compile, cache)).files);
    assert.equal(sem.primitive('frob_trylock')?.op, 'acquire');
    assert.equal(copies(cache).length, 2);
    for (let i = 0; i < 10; i++) {
      writeFileSync(join(dir, 'extra.yaml'), `subsystem: e${i}\n`);
      await cachedRuleDir(dir, compile, cache);
    }
    assert.equal(copies(cache).length, 8);
  });

  it('never trusts a damaged copy: it is ignored and made again', async () => {
    const dir = rulesDir(join(root, 'damage'));
    const cache = join(root, 'c4');
    await cachedRuleDir(dir, compile, cache);
    const [name] = copies(cache);
    const file = join(cache, name!);
    const good = readFileSync(file, 'utf8');
    const damaged = [
      good.slice(0, good.length - 10), // cut short
      good.replace('good_fn', 'goOd_fn'), // a byte changed, the length the same
      `${good}x\ty\tz\n`, // longer than it says
      'garbage',
      '',
    ];
    for (const d of damaged) {
      writeFileSync(file, d);
      let compiled = 0;
      const { files } = await cachedRuleDir(
        dir,
        async (x) => {
          compiled++;
          return compileRuleDir(x);
        },
        cache,
      );
      const sem = new Semantics(files);
      assert.equal(compiled, 1, `a damaged copy is made again (${JSON.stringify(d.slice(0, 20))})`);
      assert.equal(sem.functionFacts('good_fn')?.facts.sleeps?.always, true);
      assert.equal(readFileSync(file, 'utf8'), good);
    }
  });

  it('works with no cache at all, and with one that cannot be written', async () => {
    const dir = rulesDir(join(root, 'nocache'));
    assert.equal(new Semantics((await cachedRuleDir(dir, compile, null)).files).functionFacts('good_fn')?.facts.sleeps?.always, true);
    const ro = join(root, 'ro');
    mkdirSync(ro);
    chmodSync(ro, 0o500);
    try {
      assert.equal(new Semantics((await cachedRuleDir(dir, compile, join(ro, 'sub'))).files).primitive('frob_lock')?.op, 'acquire');
    } finally {
      chmodSync(ro, 0o700);
    }
  });

  it('says where copies live: KREVIEW_CACHE_DIR, empty to turn caching off, else XDG', () => {
    assert.equal(rulesCacheDir({ KREVIEW_CACHE_DIR: '/x/y' }), '/x/y');
    assert.equal(rulesCacheDir({ KREVIEW_CACHE_DIR: '' }), null);
    assert.equal(rulesCacheDir({ XDG_CACHE_HOME: '/xdg' }), '/xdg/kreview');
  });

  it('names a rules directory that cannot be read as the loader does', async () => {
    await assert.rejects(
      cachedRuleDir(join(root, 'missing'), compile, join(root, 'c5')),
      (e: unknown) => e instanceof RuleError && /rules directory not found/.test(e.message),
    );
    const dir = rulesDir(join(root, 'broken'));
    copyFileSync(join(dir, 'kernel.yaml'), join(dir, 'z.yaml'));
    writeFileSync(join(dir, 'z.yaml'), 'subsystem: z\nprimitives: [\n');
    await assert.rejects(
      cachedRuleDir(dir, compile, join(root, 'c6')),
      (e: unknown) => e instanceof RuleError && /rules\/z\.yaml:\d+: YAML error/.test(e.message),
    );
  });
});

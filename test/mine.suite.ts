import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { mineTree, minedRulesJson, treeVersion } from '../src/mine/index.js';
import { loadRuleDir, loadSemanticsDir, parseRuleJson, RuleError } from '../src/semantics/load.js';
import { Semantics } from '../src/semantics/index.js';
import { checkFile } from '../src/review.js';
import { runCli } from './support/cli.js';

// A small kernel tree, written for the test: a header with inline lock helpers, a core file with
// exported wrappers (locks, references, sleeping, an assertion), and a driver that defines one
// name twice with different effects (two configurations).
const TREE: Record<string, string> = {
  Makefile: 'VERSION = 6\nPATCHLEVEL = 99\nSUBLEVEL = 3\nEXTRAVERSION =\n',
  'include/linux/gadget.h': `struct gadget { struct mutex lock; spinlock_t stat_lock; struct kref ref; refcount_t users; int count; };
static inline void gadget_lock(struct gadget *g)
{
	mutex_lock(&g->lock);
}
static inline void gadget_unlock(struct gadget *g)
{
	mutex_unlock(&g->lock);
}
static inline void gadget_stat_lock_bh(struct gadget *g)
{
	local_bh_disable();
	spin_lock(&g->stat_lock);
}
static inline void gadget_irqs_back(unsigned long flags)
{
	local_irq_restore(flags);
}
`,
  'drivers/gadget/core.c': `#include <linux/gadget.h>
static void gadget_release(struct kref *kref)
{
	kfree(container_of(kref, struct gadget, ref));
}
void gadget_put(struct gadget *g)
{
	kref_put(&g->ref, gadget_release);
}
void gadget_settle(struct gadget *g)
{
	msleep(20);
	g->count = 0;
}
void gadget_count(struct gadget *g)
{
	lockdep_assert_held(&g->stat_lock);
	g->count++;
}
int gadget_lock_killable(struct gadget *g)
{
	return mutex_lock_killable(&g->lock);
}
void gadget_reset(struct gadget *g)
{
	gadget_lock(g);
	g->count = 0;
}
void gadget_setup(struct gadget *g)
{
	spin_lock_init(&g->stat_lock);
	refcount_set(&g->users, 1);
}
void gadget_swap(struct gadget *old, struct gadget *new)
{
	kref_get(&new->ref);
	kref_put(&old->ref, gadget_release);
}
struct gadget_base *gadget_lock_base(struct gadget *g) __acquires(&g->base->lock);
void gadget_touch(struct gadget *g)
{
	struct gadget_base *b = gadget_lock_base(g);

	b->n++;
	spin_unlock(&b->lock);
}
static void gadget_private(struct gadget *g)
{
	mutex_lock(&g->lock);
}
spinlock_t *gadget_slot_lockptr(struct gadget *g, int slot);
spinlock_t *gadget_slot_lock(struct gadget *g, int slot)
{
	spinlock_t *ptl = gadget_slot_lockptr(g, slot);

	spin_lock(ptl);
	return ptl;
}
static struct gadget *gadget_begin(struct gadget *parent)
{
	mutex_lock(&parent->lock);
	return gadget_new(parent);
}
static void gadget_end(struct gadget *child)
{
	mutex_unlock(&child->parent->lock);
}
struct gadget *gadget_create(struct gadget *parent)
{
	struct gadget *child = gadget_begin(parent);

	gadget_end(child);
	return child;
}
static struct gadget *__gadget_create_named(struct gadget *parent, const char *name)
{
	struct gadget *child = gadget_begin(parent);

	gadget_name(child, name);
	gadget_end(child);
	return child;
}
struct gadget *gadget_create_named(struct gadget *parent, const char *name)
{
	return __gadget_create_named(parent, name);
}
`,
  'drivers/gadget/variant_a.c': `void gadget_poke(struct gadget *g)
{
	mutex_lock(&g->lock);
}
`,
  'drivers/gadget/variant_b.c': `void gadget_poke(struct gadget *g)
{
	spin_lock(&g->stat_lock);
}
`,
};

let tree = '';
const rules = () => loadRuleDir().filter((f) => !f.rules.provenance);

describe('semantics mine: functions of a kernel tree as rules', () => {
  before(() => {
    tree = mkdtempSync(join(tmpdir(), 'kreview-mine-'));
    for (const [p, text] of Object.entries(TREE)) {
      mkdirSync(dirname(join(tree, p)), { recursive: true });
      writeFileSync(join(tree, p), text);
    }
    // A link back up the tree: followed, it would never end.
    symlinkSync('..', join(tree, 'drivers/gadget/up'));
  });
  after(() => rmSync(tree, { recursive: true, force: true }));

  it('finds lock, reference, sleeping and must-hold wrappers, with where each came from', async () => {
    const r = await mineTree({ tree, rules: rules() });
    const f = r.functions;
    assert.deepEqual(f.gadget_lock?.takes, [{ lock: '&g->lock', family: 'mutex', mode: 'exclusive', irq: 'none', on: undefined }]);
    assert.equal(f.gadget_lock?.at, 'include/linux/gadget.h:2');
    assert.equal(f.gadget_unlock?.drops[0]?.lock, '&g->lock');
    assert.deepEqual(
      f.gadget_put?.puts.map((p) => p.pair),
      ['kref'],
    );
    assert.equal(f.gadget_settle?.sleeps?.always, true);
    assert.match(f.gadget_settle?.sleeps?.why ?? '', /msleep/);
    assert.equal(f.gadget_count?.needs[0]?.lock, '&g->stat_lock');
    // Held only when it returns 0.
    assert.deepEqual(f.gadget_lock_killable?.takes[0]?.on, ['zero']);
    // A wrapper of a wrapper in another file: seen on the second pass.
    assert.equal(f.gadget_reset?.takes[0]?.lock, '&g->lock');
    assert.deepEqual(f.gadget_reset?.sleeps?.via, ['gadget_lock']);
    // Static functions of .c files are nobody else's to call; a name with two different bodies is left out.
    assert.equal(f.gadget_private, undefined);
    assert.equal(f.gadget_poke, undefined);
    assert.deepEqual(r.ambiguous, ['gadget_poke']);
    // A _bh wrapper's section goes with its lock; an irq section alone says nothing a caller can use.
    assert.deepEqual(
      f.gadget_stat_lock_bh?.takes.map((t) => [t.lock, t.irq]),
      [['&g->stat_lock', 'bh']],
    );
    assert.equal(f.gadget_irqs_back, undefined);
    // Setting up an object's counters takes no reference; moving one between objects says whose to nobody.
    assert.equal(f.gadget_setup, undefined);
    assert.equal(f.gadget_swap, undefined);
    // Released through the pointer a helper returned: what it leaves taken cannot be named.
    assert.deepEqual(f.gadget_touch?.takes ?? [], []);
    // A lock it returns holding is its value, as the caller names the call.
    assert.deepEqual(
      f.gadget_slot_lock?.takes.map((t) => t.lock),
      ['$return'],
    );
    // Taken by one helper, given back by another through a name this function does not have.
    assert.deepEqual(f.gadget_create?.takes ?? [], []);
    // Also one level up, where the helper's new object is its own local.
    assert.deepEqual(f.gadget_create_named?.takes ?? [], []);
    // Four files, each read once: the symbolic link is not followed.
    assert.equal(r.files, 4);
    assert.deepEqual(r.failed, []);
  });

  it('one pass does not see through a wrapper defined in another file', async () => {
    const r = await mineTree({ tree, rules: rules(), passes: 1, dirs: ['drivers/gadget/core.c'] });
    assert.equal(r.functions.gadget_reset, undefined);
    assert.ok(r.functions.gadget_put);
  });

  it('writes a rules file that loads back and serves callers as the body would', async () => {
    const r = await mineTree({ tree, rules: rules() });
    const version = treeVersion(tree);
    assert.equal(version, '6.99.3');
    const text = minedRulesJson(r, { tree: `linux-${version}`, version: version!, command: 'kreview semantics mine', files: r.files, generated: '2026-12-07' });
    const loaded = parseRuleJson(text, 'rules/kernel-mined.json');
    assert.equal(loaded.rules.provenance?.version, '6.99.3');
    assert.deepEqual(Object.keys(loaded.unchecked ?? {}), Object.keys(r.functions));
    // One function per line.
    assert.equal(text.split('\n').filter((l) => l.startsWith('    "gadget_')).length, Object.keys(r.functions).length);
    const sem = new Semantics([...rules(), loaded]);
    // A caller in another file, without the helpers' bodies: the mined facts stand in for them.
    const caller = `void gadget_twice(struct gadget *g)
{
	gadget_lock(g);
	gadget_reset(g);
	gadget_unlock(g);
}
void gadget_balanced(struct gadget *g)
{
	gadget_lock(g);
	g->count = 1;
	gadget_unlock(g);
}
void gadget_atomic(struct gadget *g)
{
	spin_lock(&g->stat_lock);
	gadget_settle(g);
	spin_unlock(&g->stat_lock);
}
`;
    const res = await checkFile('drivers/other/user.c', caller, { sem });
    const by = (fn: string) => res.findings.filter((x) => x.function === fn).map((x) => x.rule);
    assert.deepEqual(by('gadget_twice'), ['double-lock']);
    assert.deepEqual(by('gadget_balanced'), []);
    assert.deepEqual(by('gadget_atomic'), ['sleep-in-atomic']);
    const d = res.findings.find((x) => x.rule === 'double-lock')!;
    assert.match(JSON.stringify(d), /mined from include\/linux\/gadget\.h:2 \(linux 6\.99\.3\)|mined from drivers\/gadget\/core\.c:\d+ \(linux 6\.99\.3\)/);
    // Without them nothing is known of the helpers, and nothing is said.
    const bare = await checkFile('drivers/other/user.c', caller, { sem: new Semantics(rules()) });
    assert.deepEqual(
      bare.findings.filter((x) => x.severity !== 'info').map((x) => x.rule),
      [],
    );
  });

  it('kreview semantics mine writes the file and names a tree that is not there', async () => {
    const out = join(tree, 'mined.yaml');
    const r = await runCli(['semantics', 'mine', tree, '--dirs', 'include,drivers/gadget/core.c', '-o', out]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /\d+ functions from 2 files/);
    const parsed = parseRuleJson(readFileSync(out, 'utf8'), out);
    assert.equal(parsed.rules.provenance?.command, 'kreview semantics mine linux-6.99.3 --dirs include,drivers/gadget/core.c --passes 2');
    assert.ok(parsed.unchecked?.gadget_reset);
    const bad = await runCli(['semantics', 'mine', join(tree, 'nope')]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /nope: no such directory/);
    const glob = await runCli(['semantics', 'mine', tree, '--dirs', 'drivers/*.rs']);
    assert.equal(glob.code, 2);
    assert.match(glob.err, /drivers\/\*\.rs: matches no C file/);
  });
});

describe('semantics: generated rule files', () => {
  it('names the file and function of a bad entry, when it is looked up', () => {
    const text =
      '{"subsystem": "kernel-mined", "functions": {\n "good_fn": {"at": "a.c:1", "params": [], "exits": ["void"], "sleeps": {"why": "x", "always": true}},\n "bad_fn": {"at": "a.c:2", "params": [], "exits": []}}}';
    const sem = new Semantics([parseRuleJson(text, 'rules/kernel-mined.json')]);
    assert.equal(sem.functionFacts('good_fn')?.facts.sleeps?.always, true);
    assert.throws(
      () => sem.functionFacts('bad_fn'),
      (e: unknown) => e instanceof RuleError && /^rules\/kernel-mined\.json: functions\.bad_fn\.exits: /.test(e.message),
    );
    assert.throws(
      () => parseRuleJson('{"subsystem": "x",\n "functions": [}', 'rules/k.json'),
      (e: unknown) => e instanceof RuleError && /^rules\/k\.json:2: JSON error/.test(e.message),
    );
  });
});

describe('semantics: the mined kernel rules in rules/', () => {
  it('loads, says where it came from, and knows the core wrappers', () => {
    const sem = loadSemanticsDir();
    const file = sem.files.find((f) => f.path === 'rules/kernel-mined.json');
    assert.ok(file, 'rules/kernel-mined.json is bundled');
    assert.match(file.rules.provenance?.version ?? '', /^6\.12\./);
    assert.ok(sem.minedCount > 2000, `${sem.minedCount} mined functions`);
    // A lock wrapper and its release from drivers/base, a sleeping function from the core.
    assert.equal(sem.functionFacts('lock_device_hotplug')?.facts.takes[0]?.lock, '&device_hotplug_lock');
    assert.equal(sem.functionFacts('unlock_device_hotplug')?.facts.drops[0]?.lock, '&device_hotplug_lock');
    assert.match(sem.functionFacts('lock_device_hotplug')?.facts.at ?? '', /^drivers\/base\/core\.c:\d+$/);
    // Hand-written primitives are never shadowed by a mined body.
    assert.equal(sem.functionFacts('mutex_lock'), undefined);
  });
});

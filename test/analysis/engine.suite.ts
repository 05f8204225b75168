// The analysis engine's mechanisms on small inputs: correlated conditions through loops, widening,
// callee exits selected by the caller's tests, sound summaries of partial functions, reference
// moves, budgets, fingerprints.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeSide } from '../../src/analysis/index.js';
import { walkFunction } from '../../src/analysis/engine.js';
import { SummaryTable } from '../../src/analysis/summary.js';
import { joinFact } from '../../src/analysis/state.js';
import { entryLocks } from '../../src/analysis/entry-locks.js';
import { checkFile } from '../../src/review.js';
import { Semantics } from '../../src/semantics/index.js';
import { defaultSemantics, loadSemanticsDir, parseRuleText } from '../../src/semantics/load.js';
import { fileUnit, fn, lowerText, meta } from '../c/helpers.js';
import { lowerUnit } from '../../src/c/index.js';
import type { CUnit } from '../../src/source/types.js';

const sem = defaultSemantics();

async function analyze(text: string, unit: Partial<CUnit> = {}) {
  const fns = [...(await lowerText(text, unit)).values()];
  const a = analyzeSide(fns, sem, { races: false });
  const findings = a.findings.filter((f) => f.finding.severity !== 'info').map((f) => `${f.finding.line} ${f.finding.rule} ${f.fn.name}`);
  return { a, findings };
}

describe('analysis/engine', () => {
  it('keeps a loop counter that decides the lock apart from a dead inner counter (correlated in a retry loop)', async () => {
    const { findings, a } = await analyze(`
static void fill(struct ctx *c, unsigned int n)
{
	int pass;

	for (pass = 0; pass < 2; pass++) {
		unsigned int i;

		if (pass)
			mutex_lock(&c->lock);
		for (i = 0; i < n; i++)
			if (!try_one(c, pass ? GFP_NOIO : GFP_NOWAIT))
				break;
		if (pass)
			mutex_unlock(&c->lock);
		if (i == n)
			return;
	}
}
`);
    assert.deepEqual(findings, []);
    assert.deepEqual(a.exhausted, []);
  });

  it('joins the value facts of a counting loop instead of walking every count (converges, no budget)', async () => {
    const text = `
static int count(struct dev *d, int n)
{
	int i, sum = 0;

	spin_lock(&d->lock);
	for (i = 0; i < n; i++)
		sum += d->val[i];
	spin_unlock(&d->lock);
	return sum;
}
`;
    const f = fn(await lowerText(text), 'count');
    const w = walkFunction(f, { sem, summaries: new SummaryTable() });
    assert.equal(w.budgetExceeded, false);
    assert.ok(w.visits < 40, `visits ${w.visits}`);
    assert.deepEqual(joinFact({ t: 'int', v: 0 }, { t: 'int', v: 1 }), { t: 'nonneg' });
    assert.deepEqual(joinFact({ t: 'zero' }, { t: 'int', v: 0 }), { t: 'zero' });
    assert.deepEqual(joinFact({ t: 'int', v: -1 }, { t: 'int', v: 1 }), { t: 'nonzero' });
    assert.equal(joinFact({ t: 'int', v: 0 }, { t: 'errptr' }), undefined);
  });

  it('says when the budget runs out, and the findings note it', async () => {
    const text = `
static void spin(struct dev *d)
{
	int i;

	for (i = 0; i < 10; i++) {
		if (d->a) spin_lock(&d->l1);
		if (d->b) spin_lock(&d->l2);
		if (d->a) spin_unlock(&d->l1);
		if (d->b) spin_unlock(&d->l2);
	}
}
`;
    const f = fn(await lowerText(text), 'spin');
    const w = walkFunction(f, { sem, summaries: new SummaryTable(), budget: 5 });
    assert.equal(w.budgetExceeded, true);
    const a = analyzeSide([f], sem, { races: false, budget: 5 });
    assert.deepEqual(a.exhausted, ['spin']);
    const r = await checkFile('x.c', text, { sem });
    assert.deepEqual(r.notes, [], 'the default budget is enough here');
    // The time budget stops a walk as the visits budget does (read every 64 visits).
    const many = `void seq(int *v)\n{\n${Array.from({ length: 200 }, (_, i) => `\tif (v[${i}]) v[${i}]++;`).join('\n')}\n}\n`;
    const g = fn(await lowerText(many), 'seq');
    assert.equal(walkFunction(g, { sem, summaries: new SummaryTable() }).budgetExceeded, false);
    const timed = walkFunction(g, { sem, summaries: new SummaryTable(), budgetMs: 0 });
    assert.equal(timed.budgetExceeded, true);
    assert.equal(timed.visits, 64);
  });

  it("selects a callee exit from the caller's test; an unclassified return is the default exit", async () => {
    const { findings, a } = await analyze(`
static struct item *find_locked(struct tbl *t, int key)
{
	struct item *it;

	spin_lock(&t->lock);
	list_for_each_entry(it, &t->items, node)
		if (it->key == key)
			return it;
	spin_unlock(&t->lock);
	return ERR_PTR(-ENOENT);
}

static int touch(struct tbl *t, int key)
{
	struct item *it = find_locked(t, key);

	if (IS_ERR(it))
		return PTR_ERR(it);
	it->hits++;
	spin_unlock(&t->lock);
	return 0;
}

static int touch_buggy(struct tbl *t, int key)
{
	struct item *it = find_locked(t, key);

	if (IS_ERR(it))
		return PTR_ERR(it);
	if (it->dead)
		return -ENOENT;
	spin_unlock(&t->lock);
	return 0;
}
`);
    assert.deepEqual(findings, ['32 lock-leak touch_buggy']);
    const s = a.summaries.get('find_locked')!;
    assert.deepEqual(s.exits.map((e) => [e.cls, e.acquired.map((l) => l.obj)]).sort(), [
      ['any', ['&t->lock']],
      ['errptr', []],
    ]);
  });

  it('a partial function claims nothing its hidden code may undo', async () => {
    // Rows: the callee is seen in hunks: its start, a gap that hides the unlock, a visible error return.
    const text = [
      'static int prep(struct dev *d)',
      '{',
      '\tspin_lock(&d->md_lock);',
      '\td->busy = 1;',
      '\t__kreview_gap(0);',
      '\treturn -ENOMEM;',
      '}',
      '',
      'static void user(struct dev *d)',
      '{',
      '\tif (prep(d) < 0)',
      '\t\tgoto err;',
      '\td->ok = 1;',
      'err:',
      '\tspin_lock(&d->md_lock);',
      '\td->busy = 0;',
      '\tspin_unlock(&d->md_lock);',
      '}',
      '',
    ].join('\n');
    const lineMap = [10, 11, 12, 13, null, 40, 41, null, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, null];
    const functions = [
      meta({ name: 'prep', startRow: 0, endRow: 6, missing: ['gap 0 (lines 14-39)'], gaps: [{ id: 0, fromLine: 14, toLine: 39 }] }),
      meta({ name: 'user', startRow: 8, endRow: 17, completeness: 'full' }),
    ];
    const { findings, a } = await analyze(text, { lineMap, functions, origin: 'hunks' });
    assert.deepEqual(findings, [], 'no double lock or leak from a lock the gap may release');
    const s = a.summaries.get('prep')!;
    assert.equal(s.exitsKnown, false);
    assert.ok(
      s.exits.every((e) => e.unknown && !e.acquired.length),
      JSON.stringify(s.exits),
    );
    assert.deepEqual(
      s.touches.map((t) => t.obj),
      ['&d->md_lock'],
    );
    // Taken before the gap on every visible path: a fact (a caller holding it would deadlock).
    assert.deepEqual(
      s.acquires.map((x) => [x.obj, x.always]),
      [['&d->md_lock', true]],
    );
  });

  it('a release at the start of a function entered mid-way is neither unlock-unheld nor a requirement', async () => {
    const text = ['\tpbw->done = 1;', '\tspin_unlock(&pbw->lock);', '\treturn 0;', '}', ''].join('\n');
    const functions = [meta({ name: 'pbw_finish', startRow: 0, endRow: 3, missing: ['start'], entryKnown: false })];
    const src = `static int pbw_finish(struct pbw *pbw)\n{\n${text}`;
    const { findings, a } = await analyze(src, {
      functions: [meta({ ...functions[0]!, startRow: 0, endRow: 5 })],
      lineMap: [null, null, 20, 21, 22, 23, null],
    });
    assert.deepEqual(findings, []);
    const s = a.summaries.get('pbw_finish')!;
    assert.deepEqual(s.requires, []);
    assert.deepEqual(
      s.exits[0]!.released.map((r) => [r.obj, r.maybe]),
      [['&pbw->lock', true]],
    );
  });

  it("moves references through summaries: lookups that return one, helpers that drop the caller's", async () => {
    const { findings, a } = await analyze(`
static struct obj *obj_find(struct tbl *t, int id)
{
	struct obj *o = t->slot[id];

	if (!o || !kref_get_unless_zero(&o->kref))
		return NULL;
	return o;
}

static void obj_done(struct obj *o)
{
	kref_put(&o->kref, obj_release);
}

static int use_ok(struct tbl *t, int id)
{
	struct obj *o = obj_find(t, id);

	if (!o)
		return -ENOENT;
	o->uses++;
	obj_done(o);
	return 0;
}

static int use_leak(struct tbl *t, int id)
{
	struct obj *o = obj_find(t, id);

	if (!o)
		return -ENOENT;
	if (o->dead)
		return -ENODEV;
	obj_done(o);
	return 0;
}

static int use_twice(struct tbl *t, int id)
{
	struct obj *o = obj_find(t, id);

	if (!o)
		return -ENOENT;
	obj_done(o);
	obj_done(o);
	return 0;
}
`);
    assert.deepEqual(findings.sort(), ['34 ref-leak use_leak', '46 ref-underflow use_twice']);
    assert.deepEqual(a.summaries.get('obj_find')!.refs.returns?.pair, 'kref');
    assert.deepEqual(
      a.summaries.get('obj_done')!.refs.puts.map((p) => p.obj),
      ['o'],
    );
  });

  it('propagates acquires and sleeps through two levels of callees', async () => {
    const { findings, a } = await analyze(`
static void inner(struct dev *d)
{
	mutex_lock(&d->m);
	d->x = 0;
	mutex_unlock(&d->m);
}

static void middle(struct dev *d)
{
	inner(d);
}

static void outer(struct dev *d)
{
	mutex_lock(&d->m);
	middle(d);
	mutex_unlock(&d->m);
	spin_lock(&d->s);
	middle(d);
	spin_unlock(&d->s);
}
`);
    assert.deepEqual(findings.sort(), ['17 double-lock outer', '20 sleep-in-atomic outer']);
    assert.deepEqual(a.summaries.get('middle')!.maySleep?.via, ['inner']);
  });

  it('summarises functions the input only declares from their annotations, and partial bodies keep their promise', async () => {
    const { findings, a } = await analyze(`
void q_lock(struct q *q) __acquires(&q->lock);
void q_unlock(struct q *q) __releases(&q->lock);
int q_enter(struct q *q) __attribute__((context(&q->lock, 0, 1)));

static void ok(struct q *q)
{
	q_lock(q);
	q->n++;
	q_unlock(q);
}

static int leak(struct q *q)
{
	q_enter(q);
	if (q->n)
		return -EBUSY;
	q_unlock(q);
	return 0;
}
`);
    assert.deepEqual(findings, ['17 lock-leak leak']);
    const s = a.summaries.get('q_lock')!;
    assert.equal(s.source, 'annotation');
    assert.match(s.origin, /__acquires\(&q->lock\) on its declaration \(line 2\)/);
    assert.deepEqual(a.summaries.get('q_enter')!.contract.acquires, ['&q->lock']);
    assert.deepEqual(
      a.summaries.get('q_unlock')!.requires.map((r) => r.obj),
      ['&q->lock'],
    );
  });

  it('uses facts a maintainer writes in rules/: transient flags, handoffs, get/put pairs', async () => {
    const extra = parseRuleText(
      `subsystem: t
handoffs:
  - { acquire: tx_begin, release: tx_end, lock: tx_ctx.lock, why: a transaction holds the lock }
pairs:
  - { get: tx_grab_buf, put: tx_drop_buf, obj: return }
transientFlags: [TX_PREPARING]
`,
      'rules/t.yaml',
    );
    const rsem = new Semantics([...loadSemanticsDir().files, { path: 'rules/t.yaml', rules: extra }]);
    const fns = await lowerUnit(
      fileUnit(`
static int tx_step(struct tx_ctx *c)
{
	set_bit(TX_PREPARING, &c->flags);
	if (c->bad)
		return -EIO;
	clear_bit(TX_PREPARING, &c->flags);
	return 0;
}

static void tx_mark(struct tx_ctx *c)
{
	set_bit(TX_PREPARING, &c->flags);
}

static struct tx_ctx *tx_begin_locked(struct tx_ctx *c)
{
	mutex_lock(&c->lock);
	return c;
}

static int tx_use(struct tx_ctx *c)
{
	struct tx_ctx *t = tx_begin(c);
	void *b;

	if (IS_ERR(t))
		return PTR_ERR(t);
	b = tx_grab_buf(t);
	if (!b) {
		tx_end(t);
		return -ENOMEM;
	}
	if (c->bad) {
		tx_end(t);
		return -EIO;
	}
	tx_drop_buf(b);
	tx_end(t);
	return 0;
}
`),
      rsem,
    );
    const a = analyzeSide(fns, rsem, { races: false });
    const found = a.findings.filter((f) => f.finding.severity !== 'info').map((f) => `${f.finding.line} ${f.finding.rule} ${f.fn.name}`);
    // The transient flag must be cleared on every exit, even where the function never clears it;
    // the buffer from the declared pair leaks on the -EIO path; the handoff is not a leak.
    assert.deepEqual(found.sort(), ['14 flag-leak tx_mark', '36 ref-leak tx_use', '6 flag-leak tx_step']);
    const info = a.findings.filter((f) => f.finding.rule === 'lock-leak').map((f) => f.finding.facts.join(' '));
    assert.deepEqual(info, ['handoff: handed off to tx_end() (rules/t.yaml: a transaction holds the lock)']);
  });

  it("reads the caller's locks from what every path first does with them", async () => {
    const fns = await lowerText(`
static void wait_done(struct w *w)
{
	while (!w->done) {
		spin_unlock(&w->lock);
		schedule();
		spin_lock(&w->lock);
	}
}

static void maybe_locked(struct w *w, bool locked)
{
	if (!locked)
		spin_lock(&w->lock);
	w->n++;
	spin_unlock(&w->lock);
}

static void label_first(struct w *w)
{
	if (w->dead)
		goto out;
	spin_lock(&w->lock);
	w->n++;
out:
	spin_unlock(&w->lock);
}
`);
    assert.deepEqual(
      entryLocks(fn(fns, 'wait_done')).held.map((l) => l.obj),
      ['&w->lock'],
    );
    assert.deepEqual([...entryLocks(fn(fns, 'maybe_locked')).unknown], ['&w->lock']);
    const e = entryLocks(fn(fns, 'label_first'));
    assert.deepEqual([e.held, [...e.unknown]], [[], []]);
    const r = analyzeSide([...fns.values()], sem, { races: false });
    assert.deepEqual(
      r.findings.filter((f) => f.finding.severity !== 'info').map((f) => `${f.finding.line} ${f.finding.rule} ${f.fn.name}`),
      ['26 unlock-unheld label_first'],
    );
    // Dropping the caller's lock around schedule(): callers holding it are not told it sleeps with it.
    assert.deepEqual(r.summaries.get('wait_done')!.maySleep?.drops, ['&w->lock']);
    assert.deepEqual(r.summaries.get('wait_done')!.acquires, []);
  });

  it('takes a local that always points to one lock as that lock, and array element locks as several', async () => {
    const { findings } = await analyze(`
static void alias(struct dev *dev)
{
	spinlock_t *ptl = &dev->lock;

	spin_lock(ptl);
	dev->n++;
	spin_unlock(&dev->lock);
}

static void two_targets(struct dev *dev, bool a)
{
	spinlock_t *l;

	if (a)
		l = &dev->a_lock;
	else
		l = &dev->b_lock;
	spin_lock(l);
	spin_unlock(&dev->a_lock);
}

static void all_buckets(struct tbl *t)
{
	int i;

	for (i = 0; i < t->n; i++)
		spin_lock(&t->bucket[i].lock);
	t->gen++;
	for (i = 0; i < t->n; i++)
		spin_unlock(&t->bucket[i].lock);
}
`);
    // Two possible targets: not an alias, so the pointer's lock and a_lock stay apart.
    assert.deepEqual(findings, ['21 lock-leak two_targets']);
  });

  it('takes a lock rooted at a loop cursor as another object on each pass', async () => {
    const { findings } = await analyze(`
static void walk(struct node *n)
{
	while (n) {
		spin_lock(&n->lock);
		n->seen = 1;
		spin_unlock(&n->lock);
		n = n->next;
	}
}

static void walk_twice(struct node *n)
{
	while (n) {
		spin_lock(&n->lock);
		spin_unlock(&n->lock);
		spin_unlock(&n->lock);
		n = n->next;
	}
}
`);
    assert.deepEqual(findings, ['17 unlock-unheld walk_twice'], 'a double unlock within one pass is still one');
  });

  it('gives findings a fingerprint that does not move with line numbers', async () => {
    const body = (pad: string) => `${pad}
static int f(struct dev *d)
{
	spin_lock(&d->lock);
	if (d->bad)
		return -EINVAL;
	spin_unlock(&d->lock);
	return 0;
}
`;
    const a = await checkFile('drivers/x.c', body(''), { sem });
    const b = await checkFile('drivers/x.c', body('\n\n\n/* moved */\n'), { sem });
    assert.equal(a.findings.length, 1);
    assert.notEqual(a.findings[0]!.line, b.findings[0]!.line);
    assert.equal(a.findings[0]!.fingerprint, b.findings[0]!.fingerprint);
    const f = a.findings[0]!;
    assert.deepEqual([f.rule, f.severity, f.confidence, f.function, f.status, f.file], ['lock-leak', 'error', 'high', 'f', 'present', 'drivers/x.c']);
    assert.ok(f.trace.some((t) => t.note === "acquires '&d->lock'" && t.line === 4));
  });
  it('tells apart two paths that end at one return: which test sends each one there', async () => {
    const res = await checkFile(
      'drivers/x.c',
      `
static void post(struct q *q)
{
	spin_lock(&q->lock);
	if (q->connected)
		q->ops->kick(q);
	else
		spin_unlock(&q->lock);
}
`,
      { sem },
    );
    const f = res.findings.find((x) => x.rule === 'lock-leak')!;
    assert.equal(
      f.message,
      "inconsistent returns '&q->lock': held on return at 9 (when the test at line 5 is true), released on return at 9 (when the test at line 5 is false)",
    );
  });
});

// Race analysis: names of shared data, where guards come from (rules in scope, annotations,
// inference with enough evidence), callers' locks, set-up and tear-down, the witnesses, the
// unordered-publish fixtures (info by design, so the fixture runner's warning filter does not see
// them), the seed threads when ../shared/seeds exists, and `kreview explain`.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lowerUnit } from '../../src/c/index.js';
import type { FunctionIR } from '../../src/c/ir.js';
import { analyzeSide } from '../../src/analysis/index.js';
import { KeyResolver } from '../../src/analysis/races/keys.js';
import { analyzeRaces } from '../../src/analysis/races/index.js';
import type { Finding } from '../../src/analysis/types.js';
import { checkFile, reviewPatches } from '../../src/review.js';
import { defaultSemantics } from '../../src/semantics/load.js';
import { formatWitness } from '../../src/report/smatch.js';
import { main } from '../../src/cli.js';
import { parseExpectations } from './annotations.js';
import { parseGitDiff } from '../source/patch-helper.js';

const here = dirname(fileURLToPath(import.meta.url));
const FIXTURES = join(here, '..', '..', 'fixtures', 'c');
const SEEDS = join(here, '..', '..', '..', 'shared', 'seeds');

async function lower(text: string, file = 'drivers/x/x.c'): Promise<FunctionIR[]> {
  const rows = text.split('\n').length;
  return lowerUnit({ file, side: 'post', origin: 'file', text, lineMap: Array.from({ length: rows }, (_, i) => i + 1), functions: [] }, defaultSemantics());
}

async function findings(text: string, file = 'drivers/x/x.c'): Promise<Finding[]> {
  return (await checkFile(file, text, { sem: defaultSemantics() })).findings;
}

const lineOf = (text: string, needle: string): number => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('races', () => {
  describe('keys', () => {
    const text = `
struct hsp_port { spinlock_t lock; unsigned int pending; };
struct hsp_stats { u64 errors; };
struct hsp_ctrl { struct hsp_port *port; struct hsp_stats stats __guarded_by(&stat_lock); spinlock_t stat_lock; struct hsp_cfg __rcu *cfg; };
static struct hsp_workers workers;
void a(struct hsp_ctrl *ctrl, struct md_page *md)
{
	LIST_HEAD(batch);
	ctrl->port->pending++;
	ctrl->stats.errors = 0;
	workers.nr = 1;
	list_add(&x->node, &batch);
}
void b(void)
{
	md->piwb = NULL;
}
`;
    it('names a field by the struct that holds it, through pointers and embedded members', async () => {
      const fns = await lower(text);
      const keys = new KeyResolver(fns);
      const a = fns.find((f) => f.name === 'a')!;
      const nested = keys.data(a, 'ctrl->port->pending')!;
      assert.equal(nested.key, 'hsp_port.pending');
      assert.equal(nested.base, 'ctrl->port');
      const embedded = keys.data(a, 'ctrl->stats.errors')!;
      assert.equal(embedded.key, 'hsp_ctrl.stats.errors');
      assert.equal(embedded.base, 'ctrl');
      assert.equal(embedded.decl?.guardedBy, '&stat_lock');
      assert.equal(keys.data(a, 'ctrl->cfg')!.decl?.rcu, true);
      const global = keys.data(a, 'workers.nr')!;
      assert.deepEqual([global.key, global.global, global.local], ['workers.nr', true, false]);
      assert.equal(keys.data(a, 'batch')!.local, true);
      assert.equal(keys.lock(a, '&ctrl->port->lock').key, 'hsp_port.lock');
    });

    it('takes the type other functions declare for an undeclared name', async () => {
      const fns = await lower(text);
      const b = fns.find((f) => f.name === 'b')!;
      assert.equal(new KeyResolver(fns).data(b, 'md->piwb')!.key, 'md_page.piwb');
    });
  });

  describe('guards', () => {
    const oneFunction = `
struct cnt { spinlock_t lock; int n; };
void c_add(struct cnt *c) { spin_lock(&c->lock); c->n++; if (c->n > 9) c->n = 0; spin_unlock(&c->lock); }
void c_clear(struct cnt *c) { c->n = 0; }
`;
    it('infers nothing from one function, however many accesses it has', async () => {
      assert.deepEqual(
        (await findings(oneFunction)).filter((f) => f.rule === 'unguarded-access'),
        [],
      );
    });

    it('infers a guard from two functions and says how many sites and which functions', async () => {
      const text = `${oneFunction}int c_get(struct cnt *c) { int v; spin_lock(&c->lock); v = c->n; spin_unlock(&c->lock); return v; }\n`;
      const f = (await findings(text)).filter((x) => x.rule === 'unguarded-access');
      assert.equal(f.length, 1);
      assert.equal(f[0]!.function, 'c_clear');
      const guard = f[0]!.facts.find((x) => x.startsWith('guard: inferred'));
      assert.match(guard ?? '', /held at \d+ of \d+ accesses to cnt\.n .* in 2 functions \(c_add\(\), c_get\(\)\)/);
      assert.ok(f[0]!.facts.some((x) => /no caller of c_clear\(\) in the input/.test(x)));
      // An inferred guard, and lock-freeness only assumed (no caller, no lock of its own): info.
      assert.equal(f[0]!.severity, 'info');
      assert.ok(f[0]!.facts.some((x) => /^weak evidence: c_clear\(\) never takes 'cnt\.lock'/.test(x)));
    });

    it('an inferred guard is info even where the function takes the lock; a warning for an in-place update', async () => {
      const reset = `void c_reset(struct cnt *c, bool locked)
{
	if (locked) {
		spin_lock(&c->lock);
		c->n = 0;
		spin_unlock(&c->lock);
		return;
	}
	c->n = 0;
}
`;
      const text = `${oneFunction}int c_get(struct cnt *c) { int v; spin_lock(&c->lock); v = c->n; spin_unlock(&c->lock); return v; }
${reset}`;
      const f = (await findings(text)).filter((x) => x.rule === 'unguarded-access');
      const r = f.find((x) => x.function === 'c_reset');
      assert.equal(r?.severity, 'info');
      assert.equal(r?.line, text.split('\n').length - 2); // the bare `c->n = 0;` before the closing brace
      assert.equal(f.find((x) => x.function === 'c_clear')?.severity, 'info');
      // An increment without the lock, while other functions write under it, can lose an update.
      const bumped = `${text}void c_bump(struct cnt *c, bool locked) { if (locked) { spin_lock(&c->lock); c->n += 2; spin_unlock(&c->lock); return; } c->n++; }\n`;
      const g = (await findings(bumped)).filter((x) => x.rule === 'unguarded-access' && x.function === 'c_bump');
      assert.equal(g[0]?.severity, 'warning');
      assert.ok(
        g[0]!.facts.some((x) => /corroborated: 'c->n' is updated in place here .* one of the updates can be lost/.test(x)),
        g[0]!.facts.join('\n'),
      );
    });

    it('a work item that never takes the lock: its accesses rest on an inferred guard alone, so info', async () => {
      const text = `
struct wdev { struct mutex lock; struct work_struct work; struct file *backing; unsigned int gen; };
void wdev_attach(struct wdev *d, struct file *f) { mutex_lock(&d->lock); d->backing = f; d->gen++; mutex_unlock(&d->lock); }
void wdev_detach(struct wdev *d) { mutex_lock(&d->lock); d->backing = NULL; d->gen++; mutex_unlock(&d->lock); }
static void wdev_work(struct work_struct *w)
{
	struct wdev *d = container_of(w, struct wdev, work);

	vfs_fsync(d->backing, 0);
	d->gen = 0;
}
void wdev_init(struct wdev *d) { INIT_WORK(&d->work, wdev_work); }
`;
      const f = (await findings(text)).filter((x) => x.rule === 'unguarded-access' && x.function === 'wdev_work');
      assert.equal(f.find((x) => /reads 'd->backing'/.test(x.message))?.severity, 'info');
      assert.equal(f.find((x) => /writes 'd->gen'/.test(x.message))?.severity, 'info');
    });

    it('takes __guarded_by() from the member, with a single locked access', async () => {
      const text = `
struct st { spinlock_t lock; u64 hits __guarded_by(&lock); };
void st_hit(struct st *s) { spin_lock(&s->lock); s->hits++; spin_unlock(&s->lock); }
void st_reset(struct st *s) { s->hits = 0; }
`;
      const f = (await findings(text)).filter((x) => x.rule === 'unguarded-access');
      assert.deepEqual(
        f.map((x) => [x.function, x.line]),
        [['st_reset', 4]],
      );
      assert.match(f[0]!.facts[0]!, /annotation: st\.hits is declared __guarded_by\(&lock\)/);
      assert.equal(f[0]!.witness!.threads[1]!.function, 'st_hit');
    });

    it('applies a rule only where its file says it applies', async () => {
      const body = (name: string): string => `
void ${name}(struct ploop_index_wb *piwb)
{
	LIST_HEAD(l);
	spin_lock(&piwb->lock);
	spin_unlock(&piwb->lock);
	list_splice_init(&piwb->ready_data_pios, &l);
}
`;
      // rules/dm-ploop.yaml: ploop_index_wb.ready_data_pios is guarded by ploop_index_wb.lock, for ploop_* and drivers/md/dm-ploop*.
      assert.deepEqual(
        (await findings(body('foo_complete'), 'drivers/foo/foo.c')).filter((f) => f.rule === 'unguarded-access'),
        [],
      );
      const hit = (await findings(body('ploop_complete'), 'drivers/foo/foo.c')).filter((f) => f.rule === 'unguarded-access');
      assert.equal(hit.length, 1);
      assert.match(hit[0]!.message, /rules\/dm-ploop\.yaml/);
    });

    it('does not take a lock inside the pointee as the guard of the pointer', async () => {
      const text = `
struct md { spinlock_t md_lock; int x; };
struct wb { struct md *md; };
void w1(struct wb *wb) { spin_lock(&wb->md->md_lock); wb->md->x = 1; spin_unlock(&wb->md->md_lock); }
void w2(struct wb *wb) { spin_lock(&wb->md->md_lock); wb->md->x = 2; spin_unlock(&wb->md->md_lock); }
void w3(struct wb *wb, struct md *m) { wb->md = m; }
`;
      const f = (await findings(text)).filter((x) => x.rule === 'unguarded-access');
      assert.deepEqual(
        f.map((x) => x.function),
        [],
      );
    });
  });

  describe('callers and witnesses', () => {
    const text = `
struct q { spinlock_t lock; struct list_head items; int n; };
static void __q_add(struct q *q, struct item *it)
{
	list_add(&it->node, &q->items);
	q->n++;
}
void q_add(struct q *q, struct item *it)
{
	spin_lock(&q->lock);
	__q_add(q, it);
	spin_unlock(&q->lock);
}
int q_peek(struct q *q)
{
	lockdep_assert_held(&q->lock);
	return q->n;
}
void q_reset(struct q *q)
{
	q->n = 0;
}
`;
    it("holds the caller's lock in a static helper, and shows the caller's steps in the witness", async () => {
      const f = (await findings(text)).filter((x) => x.rule === 'unguarded-access');
      assert.deepEqual(
        f.map((x) => x.function),
        ['q_reset'],
      );
      const w = f[0]!.witness!;
      assert.deepEqual(
        w.threads.map((t) => t.function),
        ['q_reset', '__q_add'],
      );
      assert.deepEqual(
        w.steps.map((s) => [s.thread, s.function, s.line, s.text]),
        [
          ['CPU1', 'q_add', lineOf(text, 'spin_lock(&q->lock)'), 'spin_lock(&q->lock)'],
          ['CPU1', 'q_add', lineOf(text, '__q_add(q, it);'), '__q_add(q, it)'],
          ['CPU1', '__q_add', lineOf(text, 'q->n++'), 'q->n++'],
          ['CPU0', 'q_reset', lineOf(text, 'q->n = 0'), 'q->n = 0'],
          ['CPU1', 'q_add', lineOf(text, 'spin_unlock(&q->lock)'), 'spin_unlock(&q->lock)'],
        ],
      );
      assert.match(w.breaks, /CPU0 changes 'q->n' while CPU1 is inside its '&q->lock' section/);
      const table = formatWitness(f[0]!).join('\n');
      assert.match(table, /q_add\(\): spin_lock\(&q->lock\) \(\d+\)/);
    });

    it('reports a helper that one caller calls with the lock and another without it', async () => {
      const two = `${text.slice(0, text.indexOf('void q_reset'))}void q_del(struct q *q, struct item *it)
{
	spin_lock(&q->lock);
	list_del(&it->node);
	q->n--;
	spin_unlock(&q->lock);
}
void q_bump(struct q *q, struct item *it)
{
	__q_add(q, it);
}
`;
      const f = (await findings(two)).filter((x) => x.rule === 'unguarded-access');
      assert.deepEqual(
        f.map((x) => x.function),
        ['__q_add'],
      );
      const helper = f.find((x) => x.function === '__q_add')!;
      assert.ok(
        helper.facts.some((x) => /q_bump\(\) calls it at line \d+ without it/.test(x)),
        helper.facts.join('\n'),
      );
    });

    it('says a lock released without being taken was taken by the caller', async () => {
      const later = `
struct r { spinlock_t lock; int n; };
void r_inc(struct r *r) { spin_lock(&r->lock); r->n++; spin_unlock(&r->lock); }
void r_put_locked(struct r *r)
{
	r->n--;
	spin_unlock(&r->lock);
}
void r_zero(struct r *r)
{
	r->n = 0;
}
`;
      const f = (await findings(later)).filter((x) => x.rule === 'unguarded-access');
      assert.deepEqual(
        f.map((x) => x.function),
        ['r_zero'],
      );
      const steps = f[0]!.witness!.steps;
      // Either side may be chosen as CPU1; when it is the releasing one, the acquire is written out.
      const held = steps.find((s) => /\[by the caller; released at \d+\]/.test(s.text));
      if (held) assert.equal(held.text.startsWith('spin_lock(&r->lock)'), true);
      assert.ok(
        steps.every((s) => s.line !== null || /\[.*\]/.test(s.text)),
        JSON.stringify(steps),
      );
    });
  });

  describe('set-up and tear-down', () => {
    it('needs no lock before publication, needs it after', async () => {
      const text = readFileSync(join(FIXTURES, 'unguarded-access', 'lifecycle.c'), 'utf8');
      const f = (await findings(text)).filter((x) => x.rule === 'unguarded-access');
      assert.deepEqual(f.map((x) => x.function).sort(), [
        'vdp_host_count',
        'vdp_host_shutdown_early',
        'vdp_session_close',
        'vdp_session_open_bonus',
        'vdp_session_open_fast',
      ]);
      const fast = f.find((x) => x.function === 'vdp_session_open_fast')!;
      // The second `s->credits = 16;`: the one after list_add_tail() published the session.
      const at = text.split('\n').flatMap((l, i) => (l.includes('s->credits = 16;') ? [i + 1] : []));
      assert.equal(fast.line, at[1]);
    });
  });

  describe('unordered-publish fixtures (info by design)', () => {
    const dir = join(FIXTURES, 'unordered-publish');
    for (const file of readdirSync(dir)
      .filter((f) => f.endsWith('.c'))
      .sort()) {
      it(file, async () => {
        const text = readFileSync(join(dir, file), 'utf8');
        const got = (await findings(text, `fixtures/c/unordered-publish/${file}`)).filter((f) => f.rule === 'unordered-publish');
        assert.ok(
          got.every((f) => f.severity === 'info'),
          'unordered-publish is info',
        );
        const exp = parseExpectations(text).filter((e) => e.rule === 'unordered-publish');
        const problems: string[] = [];
        for (const e of exp) {
          const hit = got.some((f) => f.line === e.line);
          if (e.kind === 'ruleid' && !hit) problems.push(`line ${e.line}: expected, not reported`);
          if (e.kind === 'ok' && hit) problems.push(`line ${e.line}: reported but annotated ok`);
        }
        for (const f of got) if (!exp.some((e) => e.kind === 'ruleid' && e.line === f.line)) problems.push(`line ${f.line}: unannotated: ${f.message}`);
        assert.deepEqual(problems, []);
        for (const f of got) assert.match(f.message, /no release ordering/);
      });
    }
  });

  describe('lock names in messages', () => {
    it('names a lock nested in the object by its whole path', async () => {
      const text = `
struct evp { wait_queue_head_t wq; int count; };
void evp_inc(struct evp *ep) { spin_lock_irq(&ep->wq.lock); ep->count++; spin_unlock_irq(&ep->wq.lock); }
void evp_dec(struct evp *ep) { spin_lock_irq(&ep->wq.lock); ep->count--; spin_unlock_irq(&ep->wq.lock); }
void evp_reset(struct evp *ep) { spin_lock_irq(&ep->wq.lock); spin_unlock_irq(&ep->wq.lock); ep->count = 0; }
`;
      const f = (await findings(text)).filter((x) => x.rule === 'unguarded-access');
      assert.equal(f.length, 1);
      assert.match(f[0]!.message, /without holding '&ep->wq\.lock'/);
      assert.ok(f[0]!.facts.every((x) => !x.includes("'&ep->lock'")));
    });

    it('never names a variable the reported function does not have', async () => {
      const text = `
struct dbc { spinlock_t lock; };
struct dbuf { struct dbc *c; unsigned int state; };
void dbuf_hold(struct dbc *c, struct dbuf *b) { spin_lock(&c->lock); b->state = 1; spin_unlock(&c->lock); }
void dbuf_drop(struct dbc *c, struct dbuf *b) { spin_lock(&c->lock); b->state = 0; spin_unlock(&c->lock); }
void dbuf_clean(struct dbuf *b)
{
	spin_lock(&b->c->lock);
	spin_unlock(&b->c->lock);
	b->state = 2;
}
`;
      const f = (await findings(text)).filter((x) => x.rule === 'unguarded-access');
      const clean = f.find((x) => x.function === 'dbuf_clean');
      assert.ok(clean, 'dbuf_clean() is reported');
      assert.match(clean!.message, /without holding '&b->c->lock'/); // as the function itself writes it
      for (const x of f) if (x.function !== 'dbuf_hold' && x.function !== 'dbuf_drop') assert.doesNotMatch(x.message + x.facts.join(' '), /&c->lock/);
      // A function that never writes the lock: the lock by its key, not another function's variable.
      const other = `
struct dbc { spinlock_t lock; };
struct dbuf { unsigned int state; };
void dbuf_hold(struct dbc *c, struct dbuf *b) { spin_lock(&c->lock); b->state = 1; spin_unlock(&c->lock); }
void dbuf_drop(struct dbc *c, struct dbuf *b) { spin_lock(&c->lock); b->state = 0; spin_unlock(&c->lock); }
unsigned int dbuf_get(struct dbc *c, struct dbuf *b) { unsigned int s; spin_lock(&c->lock); s = b->state; spin_unlock(&c->lock); return s; }
void dbuf_set(struct dbuf *b) { b->state = 5; }
`;
      const set = (await findings(other)).find((x) => x.rule === 'unguarded-access' && x.function === 'dbuf_set');
      assert.ok(set, 'dbuf_set() is reported (at info)');
      assert.match(set!.message, /without holding 'dbc\.lock'/);
      assert.ok(!(set!.message + set!.facts.join(' ')).includes('&c->lock'));
    });
  });

  describe('callbacks', () => {
    it('a callback runs with the locks its helper holds where it calls it', async () => {
      const text = readFileSync(join(FIXTURES, 'unguarded-access', 'callbacks.c'), 'utf8');
      const f = (await findings(text)).filter((x) => x.rule === 'unguarded-access');
      assert.deepEqual(
        f.filter((x) => x.function === 'evq_count_proc'),
        [],
        'not even at info',
      );
      const reset = f.find((x) => x.function === 'evq_reset_proc');
      assert.equal(reset?.severity, 'info'); // the guard is inferred, and no code states it
      assert.ok(reset?.facts.some((x) => /evq_scan_then\(\) calls it at line \d+ after releasing it/.test(x)));
    });
  });

  describe('private objects', () => {
    it('an allocator wrapper named like a getter still hands back a fresh object', async () => {
      const text = `
struct ring { spinlock_t lock; unsigned int head; struct list_head node; };
struct host { spinlock_t lock; struct list_head rings; };
void ring_bump(struct ring *r) { spin_lock(&r->lock); r->head++; spin_unlock(&r->lock); }
void ring_reset(struct ring *r) { spin_lock(&r->lock); r->head = 0; spin_unlock(&r->lock); }
static struct ring *ring_get(void)
{
	struct ring *r = kvzalloc_node(sizeof(*r), GFP_KERNEL, NUMA_NO_NODE);

	if (!r)
		return NULL;
	spin_lock_init(&r->lock);
	return r;
}
void ring_put(struct ring *r) { kvfree(r); }
int host_add_ring(struct host *h)
{
	struct ring *r = ring_get();

	if (!r)
		return -ENOMEM;
	r->head = 16;
	spin_lock(&h->lock);
	list_add(&r->node, &h->rings);
	spin_unlock(&h->lock);
	spin_lock(&r->lock);
	r->head++;
	spin_unlock(&r->lock);
	return 0;
}
`;
      const f = (await findings(text)).filter((x) => x.rule === 'unguarded-access');
      assert.deepEqual(
        f.map((x) => `${x.function}:${x.severity}`),
        [],
      );
    });
  });

  describe('single-instance entries', () => {
    const text = `
struct mapped_device { spinlock_t lock; unsigned long flags; unsigned int pending; };
#define DMF_BUSY 3
static void dm_wq_work(struct mapped_device *md)
{
	if (test_bit(DMF_BUSY, &md->flags))
		return;
	__set_bit(DMF_BUSY, &md->flags);
	dm_resubmit(md);
	__clear_bit(DMF_BUSY, &md->flags);
}
`;
    it('a thread the rules declare with instances: 1 never overlaps itself', async () => {
      // rules/dm.yaml: dm_wq_work is the md work item (instances: 1); its parameter does not say so.
      assert.deepEqual(
        (await findings(text, 'drivers/md/dm.c')).filter((f) => f.rule === 'check-then-act'),
        [],
      );
      const other = (await findings(text.replace('dm_wq_work', 'dm_requeue'), 'drivers/md/dm.c')).filter((f) => f.rule === 'check-then-act');
      assert.equal(other.length, 1);
      assert.match(other[0]!.message, /^test_bit\(DMF_BUSY\) at \d+ then __set_bit/);
    });
  });

  describe('check-then-act witnesses', () => {
    it('a last-reference decision shows the separate decrement', async () => {
      const text = readFileSync(join(FIXTURES, 'check-then-act', 'last-reference.c'), 'utf8');
      const f = (await findings(text)).find((x) => x.function === 'fsx_io_segment_done')!;
      const dec = lineOf(text, 'atomic_dec(&io->pending);');
      assert.deepEqual(
        f.witness!.steps.map((s) => [s.thread, s.line]),
        [
          ['CPU0', f.line],
          ['CPU1', f.line],
          ['CPU0', dec],
          ['CPU1', dec],
        ],
      );
      assert.match(f.witness!.breaks, /never runs/);
    });
  });

  describe('seeds', { skip: !existsSync(SEEDS) && 'no ../shared/seeds' }, () => {
    const diffs = (file: string) => {
      const text = readFileSync(join(SEEDS, file), 'utf8');
      const parts = text.split(/^(?=diff --git )/m).slice(1);
      return parseGitDiff(parts.join(''), { id: file, input: file });
    };
    const review = async (file: string) => (await reviewPatches([diffs(file)], { sem: defaultSemantics() }))[0]!.findings;

    it('000: the atomic_read last-reference decision is introduced, the unlocked list pops fixed', async () => {
      const f = (await review('000_5f578594dd1de3df.txt')).filter((x) => x.function === 'ploop_bat_write_complete' && x.severity !== 'info');
      assert.ok(f.some((x) => x.rule === 'check-then-act' && x.status === 'introduced'));
      const pop = f.find((x) => x.rule === 'unguarded-access' && x.status === 'fixed');
      assert.ok(pop);
      // The witness stays on the pre-image: no post-image lines from the same function.
      assert.ok(pop.witness!.steps.every((s) => s.function !== 'ploop_bat_write_complete' || s.line === null || s.line <= 925));
    });

    it('001: md->piwb read after bat_lock is dropped is said (an inferred guard: info), fixed, with a concrete witness', async () => {
      const f = (await review('001_899b0611785e33a7.txt')).filter(
        (x) => x.function === 'ploop_locate_new_cluster_and_attach_pio' && x.rule === 'unguarded-access',
      );
      const piwb = f.find((x) => x.objects.includes('md_page.piwb'));
      assert.ok(piwb, f.map((x) => x.message).join('\n'));
      assert.equal(piwb.severity, 'info');
      assert.equal(piwb.status, 'fixed');
      const w = piwb.witness!;
      assert.ok(w.steps.every((s) => !/released later/.test(s.text)));
      assert.ok(
        w.steps.every((s) => s.line !== null || /\[.*\]/.test(s.text)),
        JSON.stringify(w.steps),
      );
      assert.equal(w.steps[0]!.thread, 'CPU0');
      assert.match(w.steps[0]!.text, /spin_unlock_irqrestore\(&ploop->bat_lock/);
    });
  });

  describe('kreview explain', () => {
    const file = join(FIXTURES, 'unguarded-access', 'callers.c');
    const run = async (argv: string[]) => {
      let out = '';
      let err = '';
      const code = await main(argv, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
      return { code, out, err };
    };

    it('prints trace, witness and the facts from a JSON output, and again by re-running', async () => {
      const checked = await run(['check', '--format', 'json', '--fail-on', 'never', file]);
      assert.equal(checked.code, 0);
      const doc = JSON.parse(checked.out) as { findings: Finding[] };
      const f = doc.findings.find((x) => x.rule === 'unguarded-access' && x.function === 'mlx_eq_drain_one')!;
      assert.ok(f.witness && f.witness.steps.length >= 3 && f.witness.breaks, 'JSON findings carry a witness object');
      const dir = mkdtempSync(join(tmpdir(), 'kreview-explain-'));
      const json = join(dir, 'out.json');
      writeFileSync(json, checked.out);
      const fromJson = await run(['explain', f.fingerprint, '--from', json]);
      assert.equal(fromJson.code, 0, fromJson.err);
      for (const part of ['unguarded-access (warning', 'path:', 'witness:', 'CPU0: mlx_eq_drain_one()', 'rests on:', 'guard: inferred', 'held at']) {
        assert.ok(fromJson.out.includes(part), `${part} in\n${fromJson.out}`);
      }
      const rerun = await run(['explain', f.fingerprint.split(':')[1]!.slice(0, 8), file]);
      assert.equal(rerun.code, 0, rerun.err);
      assert.equal(rerun.out, fromJson.out);
    });

    it('says which fingerprint was not found, and which file is not a kreview output', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'kreview-explain-'));
      const bad = join(dir, 'bad.json');
      writeFileSync(bad, 'not json');
      const missing = await run(['explain', 'unguarded-access:000000000000', file]);
      assert.equal(missing.code, 2);
      assert.match(missing.err, /no finding with fingerprint unguarded-access:000000000000/);
      const broken = await run(['explain', 'x', '--from', bad]);
      assert.equal(broken.code, 2);
      assert.ok(broken.err.includes(bad));
    });
  });

  it('runs on both images and keeps the findings of each side apart', async () => {
    const fns = await lower(
      'struct s { spinlock_t l; int v; };\nvoid a(struct s *s) { spin_lock(&s->l); s->v = 1; spin_unlock(&s->l); }\nvoid b(struct s *s) { spin_lock(&s->l); s->v = 2; spin_unlock(&s->l); }\nvoid c(struct s *s) { s->v = 3; }\n',
    );
    const side = analyzeSide(fns, defaultSemantics(), { races: false });
    const r = analyzeRaces(
      [
        { side: 'pre', walks: side.walks },
        { side: 'post', walks: side.walks },
      ],
      defaultSemantics(),
    );
    assert.equal(r.findings.pre.filter((f) => f.finding.rule === 'unguarded-access').length, 1);
    assert.equal(r.findings.post.filter((f) => f.finding.rule === 'unguarded-access').length, 1);
  });
});

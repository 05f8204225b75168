// Schema of the rule files in rules/*.yaml. A rule file holds facts a maintainer would write:
// which calls are lock/flag/list/atomic/reference primitives, which functions sleep, which calls
// pair as get/put, which functions hand a lock to another. Validated with zod on load.

import { z } from 'zod';

/** An argument position (0-based) or the call's return value. */
const ArgRef = z.union([z.number().int().min(0), z.literal('return')]);

const LockFamily = z.enum([
  'spin',
  'raw_spin',
  'rwlock',
  'mutex',
  'rwsem',
  'semaphore',
  'rcu',
  'srcu',
  'bit_spin',
  'local_irq',
  'local_bh',
  'preempt',
  'seqlock',
  'context',
]);
const LockMode = z.enum(['exclusive', 'read', 'write']);
const IrqMode = z.enum(['none', 'irq', 'irqsave', 'bh']);

const lockFields = {
  family: LockFamily,
  mode: LockMode.default('exclusive'),
  irq: IrqMode.default('none'),
  /** Argument holding the lock; omitted when `object` names a global context (rcu, irq, preempt). */
  lock: ArgRef.optional(),
  /** The lock is this member of the object the argument points to (`sk_lock.slock` for bh_lock_sock(sk)). */
  member: z.string().optional(),
  /** A fixed object for global contexts: 'rcu', 'irq', 'bh', 'preempt'. */
  object: z.string().optional(),
  /** Argument holding the irqsave flags. */
  flags: z.number().int().min(0).optional(),
  /** For bit_spin_lock(bit, word): the bit argument (the lock object is word:bit). */
  bit: z.number().int().min(0).optional(),
  /** Sparse's `__acquire(x)`/`__release(x)`: counts the lock context for the checker, takes or drops nothing. */
  marker: z.boolean().optional(),
};

/**
 * `kref_put_mutex(kref, release, lock)`, `atomic_dec_and_lock(a, lock)`: when the count reaches zero
 * the call returns non-zero with `lock` held (taken before the last reference went).
 */
const AndLock = z.strictObject({
  lock: z.number().int().min(0),
  family: LockFamily,
  irq: IrqMode.default('none'),
  flags: z.number().int().min(0).optional(),
});

export const Primitive = z.discriminatedUnion('op', [
  z.strictObject({
    op: z.literal('acquire'),
    ...lockFields,
    /**
     * Conditional acquire: succeeded when the result is non-zero (spin_trylock), zero (down_trylock,
     * which fails with 1), or zero with a negative errno for failure (_interruptible, _killable:
     * so `< 0` false means taken).
     */
    try: z.enum(['nonzero', 'zero', 'errno']).optional(),
    sleeps: z.boolean().default(false),
  }),
  z.strictObject({ op: z.literal('release'), ...lockFields }),
  z.strictObject({
    op: z.literal('flag'),
    action: z.enum(['set', 'clear', 'change', 'test', 'test-set', 'test-clear', 'test-change']),
    bit: z.number().int().min(0),
    word: z.number().int().min(0),
    atomic: z.boolean().default(true),
    ordering: z.enum(['relaxed', 'acquire', 'release', 'full']).default('relaxed'),
  }),
  z.strictObject({
    op: z.literal('list'),
    action: z.enum([
      'add',
      'add-tail',
      'del',
      'del-init',
      'move',
      'move-tail',
      'splice',
      'splice-init',
      'splice-tail',
      'splice-tail-init',
      'pop',
      'first',
      'empty',
      'init',
      'iterate',
      'del-all',
      'replace',
    ]),
    family: z.enum(['list', 'llist', 'hlist', 'bio_list']),
    head: ArgRef.optional(),
    node: ArgRef.optional(),
    target: ArgRef.optional(),
  }),
  z.strictObject({
    op: z.literal('atomic'),
    action: z.enum([
      'inc',
      'dec',
      'add',
      'sub',
      'read',
      'set',
      'dec-and-test',
      'sub-and-test',
      'inc-and-test',
      'inc-not-zero',
      'add-unless',
      'inc-return',
      'dec-return',
      'add-return',
      'sub-return',
      'xchg',
      'cmpxchg',
      'dec-if-positive',
    ]),
    family: z.enum(['atomic', 'atomic64', 'atomic_long', 'refcount', 'kref', 'percpu_ref', 'local']),
    obj: z.number().int().min(0),
    andLock: AndLock.optional(),
  }),
  z.strictObject({
    op: z.enum(['get', 'put']),
    pair: z.string(),
    obj: ArgRef,
    /** A get that can fail holds only when its result is non-null / non-zero / zero / not a negative errno. */
    succeeds: z.enum(['nonnull', 'nonzero', 'zero', 'errno']).optional(),
    andLock: AndLock.optional(),
  }),
  /**
   * The callee keeps the reference its caller holds on argument `obj`: it stores the object where
   * the reference stays (`d_instantiate()`, `sg_set_page()`), so the caller no longer owns it.
   */
  z.strictObject({ op: z.literal('keep'), obj: z.number().int().min(0) }),
  z.strictObject({
    op: z.literal('alloc'),
    gfp: z.number().int().min(0).optional(),
    /**
     * Never returns NULL when its GFP mask lets it sleep (mempool_alloc(): a preallocated pool
     * waits for an element to come back rather than fail).
     */
    sleepingNeverFails: z.boolean().optional(),
    /**
     * The call that gives back what it returns (`kfree` for kmalloc()): the caller owns the memory
     * until it frees it or hands it on (alloc-leak). Absent for allocations released by a put
     * (pages, bios, skbs) or owned elsewhere (devm_, idr).
     */
    release: z.string().optional(),
    /** An argument it stores with the new entry (`idr_alloc(idr, ptr, ..)` keeps `ptr`): handed on. */
    keeps: z.number().int().min(0).optional(),
  }),
  z.strictObject({ op: z.literal('free'), obj: z.number().int().min(0) }),
  z.strictObject({
    op: z.literal('access'),
    mode: z.enum(['read', 'write']),
    via: z.enum(['once', 'rcu', 'acquire', 'release']),
    obj: z.number().int().min(0),
    /** For writes: the argument holding the value. */
    value: z.number().int().min(0).optional(),
    /** RCU accessors valid without rcu_read_lock(): the update-side lock is held (`_protected`, rtnl_dereference), or only the pointer's value is used. */
    protected: z.boolean().optional(),
  }),
  z.strictObject({
    op: z.literal('assert'),
    /** claimed: the code says the lock is held here (lockdep_is_held() inside an expression), a hint about the caller's context, not a lock fact. */
    /** might-lock: the code may take the lock here (might_lock()): as lockdep, a take and a release at once. */
    what: z.enum(['held', 'claimed', 'not-held', 'might-sleep', 'might-lock', 'irqs-disabled', 'in-atomic']),
    lock: z.number().int().min(0).optional(),
  }),
  z.strictObject({ op: z.literal('barrier') }),
  /** An iterator macro used as a loop (`for_each_child_of_node(parent, child) stmt`): `cursor` is
   *  the argument it steps; with `pair`, each step holds a reference on the cursor that the next
   *  step drops, so leaving the loop early keeps one; the loop ends when the cursor is NULL. */
  z.strictObject({ op: z.literal('iterate'), cursor: z.number().int().min(0), pair: z.string().optional() }),
  /** Stops the machine; with `when`, only when that argument is true (BUG_ON(cond)). */
  z.strictObject({ op: z.literal('noreturn'), when: z.number().int().min(0).optional() }),
  /** No side effects (ARRAY_SIZE, min, BIT ...): a value, not a call that may change memory.
   *  `compileTime`: checked by the compiler, its arguments are not evaluated (BUILD_BUG_ON). */
  z.strictObject({ op: z.literal('pure'), compileTime: z.boolean().default(false) }),
  /** Wrappers whose value is their argument: likely(), unlikely(), WARN_ON() used as a condition. */
  z.strictObject({ op: z.literal('passthrough'), arg: z.number().int().min(0).default(0), warns: z.boolean().default(false) }),
]);
export type Primitive = z.infer<typeof Primitive>;
export type AndLock = z.infer<typeof AndLock>;

/** A get/put pair declared by a maintainer (beyond the primitives). */
export const Pair = z.strictObject({
  get: z.string(),
  put: z.string(),
  /** Where the reference is: an argument of get (and of put), or get's return value. */
  obj: ArgRef.default(0),
  putObj: z.number().int().min(0).default(0),
});

/** A lock handed from one function to another: `acquire` returns holding `lock`, `release` drops it. */
export const Handoff = z.strictObject({
  acquire: z.string(),
  release: z.string(),
  lock: z.string(), // normalised, with the struct type or field: 'netfs_inode.wb_lock'
  why: z.string().optional(),
});

/** Which lock protects which field: written as struct.field (type-qualified) or a normalised path. */
export const Guard = z.strictObject({
  field: z.string(),
  lock: z.string(),
  why: z.string().optional(),
});

/** A kind of thread the subsystem's code runs on, concurrently with the others (for the models). */
export const ThreadRule = z.strictObject({
  role: z.string(), // 'pio runner', 'md writeback completion'
  /** The functions such a thread runs (entry points, or the handlers it calls). */
  functions: z.array(z.string()).min(1),
  context: z.enum(['process', 'kthread', 'workqueue', 'softirq', 'hardirq']).default('process'),
  /** How many may run at once (runner kthreads: several; a work item: one). */
  instances: z.number().int().min(1).default(1),
  why: z.string().optional(),
});

/** A call that hands the entries of a list (or one object) to threads of another role. */
export const DispatchRule = z.strictObject({
  call: z.string(),
  list: z.number().int().min(0).optional(), // argument: a list of entries handed over
  item: z.number().int().min(0).optional(), // argument: one entry handed over (NULL: none)
  to: z.string(), // the role that receives them
  why: z.string().optional(),
});

/** A list where entries wait while a flag is set, until a thread of another role takes them off again. */
export const ParkingRule = z.strictObject({
  list: z.string(), // struct.field: 'md_page.wait_llist'
  word: z.string(), // struct.field of the flag word: 'md_page.status'
  while: z.array(z.string()).min(1), // the flags under which entries are parked
  drainedBy: z.string(), // the role that takes them off and dispatches them again
  why: z.string().optional(),
});

/** A count of outstanding pieces of work on an object; whoever drops it to zero completes the object. */
export const CompletionRule = z.strictObject({
  counter: z.string(), // struct.field: 'bio_request.nr_pages'
  /** A piece of work and the field that points at the object it counts towards. */
  item: z.string(), // struct.field: 'page_request.bio_req'
  /** The queue the pieces wait on before a thread takes them. */
  queue: z.string().optional(), // 'workers.req_list' or struct.field
  /** The call that does a piece's work; `arg` points into the piece. */
  work: z.strictObject({ call: z.string(), arg: z.number().int().min(0) }),
  /** Calls that complete the object (`arg` is the completed thing, reached from the object by `via`). */
  complete: z.strictObject({ calls: z.array(z.string()).min(1), arg: z.number().int().min(0).default(0), via: z.string().optional() }),
  why: z.string().optional(),
});

/** A call that finds one of the subsystem's shared objects (in a model's world: the one it holds). */
export const LookupRule = z.strictObject({
  call: z.string(),
  returns: z.string(), // struct name: 'md_page'
  why: z.string().optional(),
});

/** A call that may block, and on what. */
export const BlockingRule = z.strictObject({
  call: z.string(),
  on: z.string(), // what it waits for, in words a model maps to its state: 'target map', 'wb_lock'
  why: z.string().optional(),
});

/** A list of objects punted by a rescuer to be resubmitted by another context. */
export const RescueRule = z.strictObject({
  list: z.string(), // struct.field: 'mapped_device.rescued'
  resubmit: z.array(z.string()).min(1), // calls that resubmit an entry (generic_make_request)
  why: z.string().optional(),
});

/** A return class: what a function's value says on one of its exits (`zero`, a negative errno ...). */
const ReturnClass = z.enum(['void', 'zero', 'neg', 'pos', 'errptr', 'ptr', 'any']);

/** A lock a function leaves taken or dropped, in its own parameters' names (`&dev->lock`) or a global's. */
const FunctionLock = z.strictObject({
  lock: z.string(),
  family: LockFamily,
  mode: LockMode.default('exclusive'),
  irq: IrqMode.default('none'),
  /** The return classes on which it holds (`mutex_lock_interruptible` wrappers: zero); every exit when absent. */
  on: z.array(ReturnClass).optional(),
});

/**
 * What a function does for its callers, read from its body in a kernel tree by
 * `kreview semantics mine` (rules/kernel-mined.json): the summary kreview would compute had the
 * body been in the input. Names are the function's own parameter names.
 */
export const FunctionFacts = z.strictObject({
  /** Where the body is: `path:line` in the tree of the file's `provenance`. */
  at: z.string(),
  params: z.array(z.string()),
  /** The return classes of its exits. */
  exits: z.array(ReturnClass).min(1),
  /** Locks it returns holding (taken inside, not released). */
  takes: z.array(FunctionLock).default([]),
  /** Locks it releases that its caller held. */
  drops: z.array(FunctionLock.omit({ on: true })).default([]),
  /** Locks its caller must hold (asserted, or released and taken back). */
  needs: z.array(FunctionLock.omit({ on: true })).default([]),
  /** The sleeping call it makes, and the chain of calls down to it; `always` when on every path. */
  sleeps: z.strictObject({ why: z.string(), via: z.array(z.string()).default([]), always: z.boolean() }).optional(),
  /** References it takes on an object reached from a parameter, and leaves taken. */
  gets: z.array(z.strictObject({ obj: z.string(), pair: z.string() })).default([]),
  /** References of its caller it drops (`count`: the embedded counter it drops them on). */
  puts: z.array(z.strictObject({ obj: z.string(), pair: z.string(), count: z.string().optional() })).default([]),
  /** The get/put pair of a new reference it returns. */
  returns: z.string().optional(),
  /** Parameters it frees on every path / on some paths, keeps where they outlive the call, may keep through a callee, queues to deferred work. */
  frees: z.array(z.string()).default([]),
  mayFree: z.array(z.string()).default([]),
  keeps: z.array(z.string()).default([]),
  mayKeep: z.array(z.string()).default([]),
  defers: z.array(z.string()).default([]),
  /** Flags (`word:bit`, parameter names) it may clear. */
  clears: z.array(z.string()).default([]),
});
export type FunctionFacts = z.infer<typeof FunctionFacts>;

/**
 * Names written whole or as a prefix: a prefix stands for every longer name that goes on from it
 * with letters, digits and underscores (`wait_event_` for `wait_event_timeout`).
 */
const NameShapes = z.strictObject({
  names: z.array(z.string()).default([]),
  prefixes: z.array(z.string()).default([]),
});

export const RuleFile = z.strictObject({
  subsystem: z.string(),
  description: z.string().optional(),
  /** Where the subsystem facts apply; kernel.yaml applies everywhere. */
  applies: z
    .strictObject({
      paths: z.array(z.string()).default([]),
      functions: z.array(z.string()).default([]),
    })
    .optional(),
  primitives: z.record(z.string(), Primitive).default({}),
  /** Functions and macros that may sleep. */
  sleeping: z.array(z.string()).default([]),
  /** Functions that never sleep even if their names suggest it. */
  nonsleeping: z.array(z.string()).default([]),
  /**
   * Calls that hand an object to another context to finish the work (queue a work item, arm a
   * timer, an RCU callback): the busy flag or the reference its caller set for that work goes with it.
   */
  deferrers: z.array(z.string()).default([]),
  /**
   * Calls that set a semaphore's count (`sema_init(&s, n)`): argument 0 the semaphore, argument 1
   * the count. Any count but 1 makes it a counter or a signal (down() waits for another's up()),
   * not a mutual-exclusion lock.
   */
  semaphoreInits: z.array(z.string()).default([]),
  pairs: z.array(Pair).default([]),
  /**
   * Words in the names of lock helpers and of their releasing counterparts (`mddev_lock` and
   * `mddev_unlock`): a helper whose body takes a lock makes a bodiless counterpart its release.
   */
  lockWords: z.array(z.strictObject({ take: z.string(), release: z.array(z.string()).min(1) })).default([]),
  /**
   * Calls given a function's address to run it as a thread, work item or callback: `entry`, it
   * starts with no locks held; `single`, it never runs concurrently with itself (counted for an
   * entry's registrar only).
   */
  registrars: z
    .strictObject({
      entry: z.array(z.string()).default([]),
      single: z.array(z.string()).default([]),
    })
    .default({ entry: [], single: [] }),
  /**
   * Struct types of a callback's parameter: `single`, the one parameter of a handler that never
   * runs concurrently with itself (work item, tasklet, timer); `softirq`, a callback run in softirq context.
   */
  callbackParams: z
    .strictObject({
      single: z.array(z.string()).default([]),
      softirq: z.array(z.string()).default([]),
    })
    .default({ single: [], softirq: [] }),
  /** Calls that initialise an object's own locks, counters and queues: only done before it is shared. */
  initializers: z.array(z.string()).default([]),
  /** Calls that free the object their first argument points to. */
  freers: z.array(z.string()).default([]),
  /** Calls that wait for an object's other users (work, timers, threads, interrupts) to stop for good. */
  quiescers: z.array(z.string()).default([]),
  /** Calls that do nothing more when done twice (queueing work already pending, waking the woken). */
  idempotent: z.array(z.string()).default([]),
  /** Words in the names of calls that make an object reachable by others (`list_add`, `idr_alloc`). */
  publishWords: z.array(z.string()).default([]),
  /** Waits whose second argument is a condition the waiter re-evaluates after every wake-up. */
  waiters: NameShapes.default({ names: [], prefixes: [] }),
  /** Calls that use memory they are given (read it, fill it, print it) without keeping or freeing it. */
  borrowers: NameShapes.default({ names: [], prefixes: [] }),
  /** GFP flags that let an allocation sleep (direct reclaim), and flags that keep it atomic. */
  gfp: z
    .strictObject({
      sleeping: NameShapes.default({ names: [], prefixes: [] }),
      atomic: NameShapes.default({ names: [], prefixes: [] }),
    })
    .default({ sleeping: { names: [], prefixes: [] }, atomic: { names: [], prefixes: [] } }),
  /** Barriers that order the writes before them against a later store. */
  orderingBarriers: z.array(z.string()).default([]),
  /** Lock objects that are global execution contexts (an RCU read side, irqs or preemption off), not exclusive locks. */
  globalContexts: z.array(z.string()).default([]),
  handoffs: z.array(Handoff).default([]),
  guards: z.array(Guard).default([]),
  /** Flags that must not stay set when a function returns (cleared on every exit of the function that set them). */
  transientFlags: z.array(z.string()).default([]),
  /**
   * Counts of outstanding work that concurrent completions drop (`struct.field`): only the one that
   * drops the last may finish, so reading one to decide who is last is a race, not an idiom.
   */
  counters: z.array(z.strictObject({ count: z.string(), why: z.string().optional() })).default([]),
  // What the subsystem models (src/models/) run on: who runs concurrently and how work moves between them.
  threads: z.array(ThreadRule).default([]),
  dispatch: z.array(DispatchRule).default([]),
  parking: z.array(ParkingRule).default([]),
  completions: z.array(CompletionRule).default([]),
  blocking: z.array(BlockingRule).default([]),
  rescue: z.array(RescueRule).default([]),
  lookups: z.array(LookupRule).default([]),
  /**
   * Functions whose bodies their callers must not be judged by (`kreview semantics mine` leaves
   * them out): they move an object's own base reference or state, not one the caller holds
   * (`percpu_ref_kill()` drops the reference the object was created with).
   */
  notMined: z.array(z.string()).default([]),
  /** Where a generated file came from: the tree, its kernel version and the command that wrote it. */
  provenance: z.strictObject({ tree: z.string(), version: z.string(), command: z.string(), files: z.number().int(), generated: z.string() }).optional(),
  /** What functions defined in a kernel tree do for their callers, mined from their bodies. */
  functions: z.record(z.string(), FunctionFacts).default({}),
});
export type RuleFile = z.infer<typeof RuleFile>;

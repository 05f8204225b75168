// The operation IR: what every check works on. C is lowered once into these ops, placed on a
// control-flow graph per function. Objects are normalised access paths (`&ploop->bat_lock`,
// `md->status`, `piwb->ready_data_pios`) so that two mentions of the same thing compare equal.

import type { FunctionMeta, ImageOrigin, Side } from '../source/types.js';

export type LockFamily =
  | 'spin' // spinlock_t
  | 'raw_spin'
  | 'rwlock' // rwlock_t (read_lock / write_lock)
  | 'mutex'
  | 'rwsem' // rw_semaphore (down_read / down_write)
  | 'semaphore' // down / up
  | 'rcu' // rcu_read_lock (object "rcu"), rcu_read_lock_bh/sched variants
  | 'srcu' // srcu_read_lock(ssp) returning an index
  | 'bit_spin' // bit_spin_lock(bit, word)
  | 'local_irq' // local_irq_disable/save (object "irq")
  | 'local_bh' // local_bh_disable (object "bh")
  | 'preempt' // preempt_disable (object "preempt")
  | 'seqlock' // write_seqlock / read_seqlock_excl
  | 'context'; // a custom lock from rules/ or a sparse __acquires/__releases annotation

export type LockMode = 'exclusive' | 'read' | 'write';
/** What the acquire/release does to interrupts: irq = _irq, irqsave = _irqsave/_irqrestore (flags), bh = _bh. */
export type IrqMode = 'none' | 'irq' | 'irqsave' | 'bh';
/** When a conditional acquire (trylock, _interruptible, _killable) succeeded: its result non-zero, or zero. */
/** When a conditional acquire took the lock: non-zero, zero, or zero where failure is a negative errno. */
export type TrySuccess = 'nonzero' | 'zero' | 'errno';

/** A symbolic value, kept small so the engine can correlate branches. */
export type Expr =
  | { k: 'var'; name: string } // local, parameter or global identifier
  | { k: 'path'; path: string } // normalised field/array access: md->piwb, to[], ci->md->bs
  | { k: 'int'; value: number }
  | { k: 'bool'; value: boolean }
  | { k: 'null' }
  | { k: 'errno'; name: string } // -EIO and friends (the negative errno constant)
  | { k: 'errptr'; arg: Expr } // ERR_PTR(x)
  | { k: 'const'; name: string } // enum or macro constant: GFP_KERNEL, PIWB_TYPE_ALLOC
  | { k: 'str' } // string literal
  | { k: 'result'; id: string } // the value an op produced (a call, trylock, test_and_set_bit, atomic_dec_and_test ...)
  | { k: 'not'; e: Expr }
  | { k: 'logic'; op: '&&' | '||'; a: Expr; b: Expr } // only where both sides are free of ops
  | { k: 'cmp'; op: '==' | '!=' | '<' | '<=' | '>' | '>='; a: Expr; b: Expr }
  | { k: 'is_err'; e: Expr; orNull: boolean } // IS_ERR(x) / IS_ERR_OR_NULL(x)
  | { k: 'arith'; op: string; a: Expr; b: Expr | null } // + - * / % & | ^ << >> ~ (b null for unary)
  | { k: 'addr'; e: Expr } // &x where x is not a field path
  | { k: 'cond'; c: Expr; t: Expr; f: Expr } // c ? t : f with op-free operands
  | { k: 'opaque'; id: number } // __kreview_opaque(N): a condition hidden in a gap
  | { k: 'unknown'; text: string }; // anything else, with its source text

/** Fields every op carries. */
export interface OpBase {
  line: number | null; // line in the real file image (null on synthesised rows)
  row: number; // 0-based row in the parsed text
  text?: string; // the source statement or call, trimmed (for traces)
}

export type Op =
  | (OpBase & {
      kind: 'acquire';
      obj: string; // '&ploop->bat_lock'; 'rcu', 'irq', 'bh', 'preempt' for global contexts
      family: LockFamily;
      mode: LockMode;
      irq: IrqMode;
      flags?: string; // the irqsave flags variable
      try?: TrySuccess; // conditional: acquired only when `result` says so
      result?: string; // result id of the call (for try, srcu index ...)
      scoped?: boolean; // guard()/scoped_guard(): the lowering placed the matching releases at scope exits
      marker?: boolean; // sparse's __acquire(): one more level of a held lock's context, nothing taken
      primitive: string; // the called name: spin_lock_irqsave, guard(mutex) ...
    })
  | (OpBase & {
      kind: 'release';
      obj: string;
      family: LockFamily;
      mode: LockMode;
      irq: IrqMode;
      flags?: string;
      scoped?: boolean;
      marker?: boolean; // sparse's __release(): the context ends here, nothing is dropped
      primitive: string;
    })
  | (OpBase & {
      kind: 'flag';
      action: 'set' | 'clear' | 'change' | 'test' | 'test-set' | 'test-clear' | 'test-change';
      word: string; // 'md->status'
      bit: string; // 'MD_DIRTY'
      atomic: boolean; // false for __set_bit and plain |= &= ~ &
      ordering: 'relaxed' | 'acquire' | 'release' | 'full';
      result?: string; // for tests
      primitive: string; // set_bit, clear_bit_unlock, '|=', '&' ...
    })
  | (OpBase & {
      kind: 'list';
      action:
        | 'add'
        | 'add-tail'
        | 'del'
        | 'del-init'
        | 'move'
        | 'move-tail'
        | 'splice'
        | 'splice-init'
        | 'splice-tail'
        | 'splice-tail-init'
        | 'pop'
        | 'first'
        | 'empty'
        | 'init'
        | 'iterate'
        | 'del-all'
        | 'replace';
      family: 'list' | 'llist' | 'hlist' | 'bio_list';
      head: string | null; // the list head acted on: 'piwb->ready_data_pios'
      node: string | null; // the entry added/removed: 'pio->list'
      target: string | null; // destination head of splice/move
      result?: string; // for pop/first/empty/del-all
      primitive: string;
    })
  | (OpBase & {
      kind: 'atomic';
      action:
        | 'inc'
        | 'dec'
        | 'add'
        | 'sub'
        | 'read'
        | 'set'
        | 'dec-and-test'
        | 'sub-and-test'
        | 'inc-and-test'
        | 'inc-not-zero'
        | 'add-unless'
        | 'inc-return'
        | 'dec-return'
        | 'add-return'
        | 'sub-return'
        | 'xchg'
        | 'cmpxchg'
        | 'dec-if-positive';
      family: 'atomic' | 'atomic64' | 'atomic_long' | 'refcount' | 'kref' | 'percpu_ref' | 'local';
      obj: string; // 'piwb->count' (no leading &)
      result?: string;
      primitive: string;
    })
  | (OpBase & {
      kind: 'ref';
      /** keep: the callee stores the object with the caller's reference (rules `op: keep`). */
      action: 'get' | 'put' | 'keep';
      obj: string; // what the reference is to: 'to' (kmap result), 'dev', 'obj->kref'
      pair: string; // the pair's name: 'kmap_local', 'kref', 'get_device/put_device', 'zram_meta_get/zram_meta_put'
      source: 'primitive' | 'rule' | 'name'; // known primitive, declared in rules/, inferred from the names
      result?: string;
      /** A get that can fail: it holds only when the result is non-null / non-zero / zero. */
      succeeds?: 'nonnull' | 'nonzero' | 'zero' | 'errno';
      /** The argument was `&p->field`: the count is embedded in `*p`, the reference is on p. */
      member?: boolean;
      /** An iterator's step dropping its previous cursor: nothing happens when none is held. */
      step?: boolean;
      primitive: string;
    })
  | (OpBase & {
      kind: 'alloc';
      obj: string | null; // the variable or path the allocation is stored in
      gfp: string | null; // the GFP flags expression text: 'GFP_NOIO', 'try ? GFP_NOIO : GFP_NOWAIT'
      result?: string;
      /** Never NULL when the mask lets it sleep (rules: sleepingNeverFails). */
      sleepingNeverFails?: boolean;
      /** What frees it (rules: release): the caller owns it until then. */
      release?: string;
      primitive: string;
    })
  | (OpBase & { kind: 'free'; obj: string; primitive: string })
  | (OpBase & {
      kind: 'call'; // every call not lowered to a more specific op
      callee: string; // function name; for indirect calls the normalised expression ('ops->map')
      indirect: boolean;
      args: Expr[];
      argText: string[]; // normalised argument objects/text
      result?: string;
    })
  | (OpBase & {
      kind: 'access'; // a read or write of a field path or global
      mode: 'read' | 'write';
      path: string; // 'md->piwb', 'workers.nr_req'
      via: 'plain' | 'once' | 'rcu' | 'acquire' | 'release'; // READ_ONCE/WRITE_ONCE, rcu_dereference, smp_load_acquire ...
      /** An RCU accessor valid without rcu_read_lock() (rules/: `protected: true`). */
      protected?: boolean;
      inCondition: boolean; // the read feeds a branch condition
    })
  | (OpBase & { kind: 'assign'; target: string; value: Expr }) // to a local variable or a path
  | (OpBase & {
      kind: 'assert'; // what the code states about its context
      what: 'held' | 'claimed' | 'not-held' | 'might-sleep' | 'might-lock' | 'irqs-disabled' | 'in-atomic';
      obj: string | null;
      primitive: string;
    })
  | (OpBase & { kind: 'barrier'; barrier: string }) // smp_mb, smp_wmb, smp_mb__before_atomic ...
  | (OpBase & { kind: 'gap'; id: number }) // code we cannot see (hunk mode); state-preserving, not "no code"
  | (OpBase & { kind: 'unknown'; reason: string }); // a statement not understood (parse error): said, not dropped

export type OpKind = Op['kind'];

export type Terminator =
  | { k: 'jump'; to: number; why: 'fall' | 'goto' | 'break' | 'continue' | 'loop' | 'gap'; label?: string; line: number | null }
  | {
      k: 'branch';
      cond: Expr;
      t: number; // block taken when cond is true
      f: number;
      why: 'if' | 'loop' | 'iterator' | 'ternary' | 'logic' | 'case' | 'gap';
      line: number | null;
      /** A side that is a bare `goto label;` (`if (ret) goto err;`): the jump folded into the branch. */
      gotoT?: { label: string; line: number | null };
      gotoF?: { label: string; line: number | null };
      /** The condition is WARN_ON()'s: its true side is a bug the kernel warns about. */
      warns?: boolean;
    }
  | { k: 'switch'; on: Expr; cases: { match: Expr[] | 'default'; to: number }[]; line: number | null }
  | { k: 'return'; value: Expr | null; line: number | null }
  | { k: 'unknown-exit'; line: number | null } // the function continues beyond what we can see: not an exit
  | { k: 'noreturn'; why: string; line: number | null }; // BUG(), panic(), unreachable()

export interface Block {
  id: number; // index in FunctionIR.blocks
  ops: Op[];
  term: Terminator;
  label?: string; // C label at the start of the block
  loopHead?: boolean; // the target of a back-edge
}

export interface FunctionIR {
  name: string;
  file: string | null;
  side: Side;
  origin: ImageOrigin;
  startLine: number | null;
  endLine: number | null;
  isStatic: boolean;
  returnType: string; // 'void', 'int', 'bool', 'struct netfs_io_request *' ...
  /** rcu: declared `__rcu` (a pointer into RCU's address space, or a pointer to one). */
  params: { name: string; type: string; rcu?: boolean }[];
  locals: { name: string; type: string; line: number | null; rcu?: boolean }[];
  /** Set when the function was not lowered (over a budget, or the front end failed on it): why. */
  notAnalysed?: string;
  /** Sparse-style annotations on the definition: __acquires(x), __releases(x), __must_hold(x), __attribute__((context(x,a,b))). */
  annotations: {
    acquires: string[];
    releases: string[];
    mustHold: string[];
    /** `__cond_acquires(x)` (sparse: held when it returns non-zero), `__cond_acquires(ret, x)` (Clang: held when it returns `ret`). */
    condAcquires: { lock: string; when: 'nonzero' | 'zero' }[];
    /** `__must_not_hold(x)`: it takes x itself; a caller holding x deadlocks. */
    mustNotHold: string[];
    context: { lock: string; entry: number; exit: number }[];
  };
  blocks: Block[]; // blocks[0] is the entry
  meta: FunctionMeta;
  /** Functions the unit declares with sparse annotations but does not define (shared by its functions): summaries from annotations. */
  declared?: { name: string; params: { name: string; type: string }[]; annotations: FunctionIR['annotations']; line: number | null }[];
  /** Struct definitions and file-scope variables of the unit the function came from (shared by its functions). */
  unit?: { structs: StructInfo[]; globals: VarInfo[]; callbacks?: { member: string; fn: string }[] };
  /** Things the front end could not fully understand, said rather than dropped: 'parse error at line N: ...'. */
  diagnostics: string[];
}

/** A struct member or file-scope variable, with the locking annotations written on it. */
export interface VarInfo {
  name: string;
  type: string; // 'struct hsp_port *', 'spinlock_t', 'struct tpm_stats'
  line: number | null;
  guardedBy?: string; // __guarded_by(&lock): the lock, as written
  /** Set when `guardedBy` comes from a comment ("protected by ->lock"), not the annotation: what it says. */
  guardComment?: string;
  /** Where it is declared when not in the unit itself (a struct of an included header). */
  file?: string;
  ptGuardedBy?: string; // __pt_guarded_by(&lock): what the pointer points to is guarded
  rcu?: boolean; // an __rcu pointer
}

export interface StructInfo {
  name: string; // struct tag
  line: number | null;
  fields: VarInfo[];
}

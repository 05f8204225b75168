// The merged semantics: every rule file folded into lookup tables used by the front end and the checks.

import type { FunctionFacts, Primitive, RuleFile } from './schema.js';
import type { FunctionIndex, LoadedRuleFile } from './files.js';
import { indexedEntry } from './cache.js';
import { contentKey } from '../cache/results.js';

/** A mined function's facts, parsed (and checked) when first looked up. */
interface MinedEntry {
  facts: FunctionFacts | null;
  source: string;
  version: string | null;
  raw?: unknown;
  file?: LoadedRuleFile; // which checks `raw`
  index?: FunctionIndex; // or: a compiled copy's text, at `at`
  at?: number;
}

export interface PairRule {
  get: string;
  put: string;
  obj: number | 'return';
  putObj: number;
  source: string; // rule file
}

export class Semantics {
  readonly files: LoadedRuleFile[];
  private readonly prims = new Map<string, Primitive>();
  private readonly sleepers = new Set<string>();
  private readonly nonSleepers = new Set<string>();
  /** Calls that hand an object to another context (rules `deferrers`). */
  readonly deferrers = new Set<string>();
  /** Calls that set a semaphore's count (rules `semaphoreInits`). */
  readonly semaphoreInits = new Set<string>();
  private readonly pairsByName = new Map<string, PairRule>();
  readonly handoffs: (RuleFile['handoffs'][number] & { source: string })[] = [];
  readonly guards: (RuleFile['guards'][number] & { source: string })[] = [];
  readonly transientFlags = new Map<string, string>(); // flag -> rule file
  /** Completion counts (`struct.field` -> where declared and why). */
  readonly counters = new Map<string, { source: string; why?: string }>();
  /** Lock-taking name words and the words of their release counterparts (`lock` -> `unlock`). */
  readonly lockWords = new Map<string, string[]>();
  /** Calls that start the function whose address they get with no locks held (rules `registrars.entry`). */
  readonly entryRegistrars = new Set<string>();
  /** Registrars whose callback never runs concurrently with itself (rules `registrars.single`). */
  readonly singleRegistrars = new Set<string>();
  /** Lock/object initialisers (rules `initializers`). */
  readonly initializers = new Set<string>();
  /** Calls that free their first argument (rules `freers`). */
  readonly freers = new Set<string>();
  /** Calls that wait for an object's other users to stop (rules `quiescers`). */
  readonly quiescers = new Set<string>();
  /** Calls that do nothing more when done twice (rules `idempotent`). */
  readonly idempotent = new Set<string>();
  /** Barriers that order earlier writes against a later store (rules `orderingBarriers`). */
  readonly orderingBarriers = new Set<string>();
  /** Global execution contexts, not exclusive locks (rules `globalContexts`). */
  readonly globalContexts = new Set<string>();
  /** Functions the miner leaves out (rules `notMined`). */
  readonly notMined = new Set<string>();
  /**
   * What functions of a kernel tree do for their callers (rules `functions`, mined), with the file
   * and version: found in the files when first asked for (tens of thousands of entries, a few
   * dozen of which a run asks for), then kept; null for a name no file has.
   */
  private readonly mined = new Map<string, MinedEntry | null>();
  // What the patterns below are built from (each built once per instance, when first asked).
  private readonly singleParams = new Set<string>();
  private readonly softirqParams = new Set<string>();
  private readonly publishWords = new Set<string>();
  private readonly waiters = { names: new Set<string>(), prefixes: new Set<string>() };
  private readonly borrowers = { names: new Set<string>(), prefixes: new Set<string>() };
  private borrowerRe: RegExp | undefined;
  private readonly gfpSleeping = { names: new Set<string>(), prefixes: new Set<string>() };
  private readonly gfpAtomic = { names: new Set<string>(), prefixes: new Set<string>() };
  private singleParamRe?: RegExp;
  private softirqParamRe?: RegExp;
  private publishRe?: RegExp;
  private waiterRe?: RegExp;
  private gfpSleepingRe?: RegExp;
  private gfpAtomicRe?: RegExp;

  /** `key`: the content key of the rule directories the files were read from, when the loader knows it. */
  constructor(
    files: LoadedRuleFile[],
    private key?: string,
  ) {
    this.files = files;
    for (const file of files) {
      const { path, rules } = file;
      for (const [name, p] of Object.entries(rules.primitives)) this.prims.set(name, p);
      for (const s of rules.sleeping) this.sleepers.add(s);
      for (const s of rules.nonsleeping) this.nonSleepers.add(s);
      for (const d of rules.deferrers) this.deferrers.add(d);
      for (const d of rules.semaphoreInits) this.semaphoreInits.add(d);
      for (const p of rules.pairs) {
        const r: PairRule = { ...p, source: path };
        this.pairsByName.set(p.get, r);
        this.pairsByName.set(p.put, r);
      }
      for (const h of rules.handoffs) this.handoffs.push({ ...h, source: path });
      for (const g of rules.guards) this.guards.push({ ...g, source: path });
      for (const f of rules.transientFlags) this.transientFlags.set(f, path);
      for (const c of rules.counters) this.counters.set(c.count, { source: path, why: c.why });
      for (const w of rules.lockWords) this.lockWords.set(w.take, [...(this.lockWords.get(w.take) ?? []), ...w.release]);
      for (const r of rules.registrars.entry) this.entryRegistrars.add(r);
      for (const r of rules.registrars.single) this.singleRegistrars.add(r);
      for (const t of rules.callbackParams.single) this.singleParams.add(t);
      for (const t of rules.callbackParams.softirq) this.softirqParams.add(t);
      for (const c of rules.initializers) this.initializers.add(c);
      for (const c of rules.freers) this.freers.add(c);
      for (const c of rules.quiescers) this.quiescers.add(c);
      for (const c of rules.idempotent) this.idempotent.add(c);
      for (const w of rules.publishWords) this.publishWords.add(w);
      for (const [to, from] of [
        [this.waiters, rules.waiters],
        [this.borrowers, rules.borrowers],
        [this.gfpSleeping, rules.gfp.sleeping],
        [this.gfpAtomic, rules.gfp.atomic],
      ] as const) {
        for (const n of from.names) to.names.add(n);
        for (const p of from.prefixes) to.prefixes.add(p);
      }
      for (const b of rules.orderingBarriers) this.orderingBarriers.add(b);
      for (const c of rules.globalContexts) this.globalContexts.add(c);
      for (const c of rules.notMined) this.notMined.add(c);
    }
  }

  primitive(name: string): Primitive | undefined {
    return this.prims.get(name);
  }

  /** Whether a call may sleep by the rules (callee summaries are the engine's business). */
  sleeps(name: string): boolean {
    if (this.nonSleepers.has(name)) return false;
    if (this.sleepers.has(name)) return true;
    const p = this.prims.get(name);
    return !!p && p.op === 'acquire' && p.sleeps;
  }

  /** What a function defined elsewhere in the kernel does for its callers (mined from its body), if known. */
  functionFacts(name: string): { facts: FunctionFacts; source: string; version: string | null } | undefined {
    if (this.notMined.has(name)) return undefined;
    let m = this.mined.get(name);
    if (m === undefined) this.mined.set(name, (m = this.findMined(name)));
    if (!m) return undefined;
    if (!m.facts) {
      // A generated file's entry: checked the first time it is needed, or when its compiled copy was made.
      if (m.index) m.facts = indexedEntry(m.index, m.at!, m.source, name) as FunctionFacts;
      else m.facts = m.file!.checkEntry!(name, m.raw);
      m.raw = undefined;
    }
    return { facts: m.facts, source: m.source, version: m.version };
  }

  /** A key of everything the rules say: what results cached by content depend on. */
  get contentKey(): string {
    return (this.key ??= contentKey(this.files.flatMap((f) => [f.path, JSON.stringify(f.rules), f.functionIndex?.text ?? JSON.stringify(f.unchecked ?? {})])));
  }

  /** A function's entry in the last file that has one (a later file overrides an earlier one). */
  private findMined(name: string): MinedEntry | null {
    for (let i = this.files.length - 1; i >= 0; i--) {
      const file = this.files[i]!;
      const source = file.path;
      const version = file.rules.provenance?.version ?? null;
      if (Object.hasOwn(file.rules.functions, name)) return { facts: file.rules.functions[name]!, source, version };
      if (file.unchecked && Object.hasOwn(file.unchecked, name)) return { facts: null, raw: file.unchecked[name], file, source, version };
      const at = file.functionIndex?.at.get(name);
      if (at !== undefined) return { facts: null, index: file.functionIndex, at, source, version };
    }
    return null;
  }

  /** How many functions the rules describe by their mined bodies. */
  get minedCount(): number {
    const names = new Set<string>();
    for (const f of this.files) {
      for (const n of Object.keys(f.rules.functions)) names.add(n);
      for (const n of Object.keys(f.unchecked ?? {})) names.add(n);
      for (const n of f.functionIndex?.at.keys() ?? []) names.add(n);
    }
    return names.size;
  }

  /** One subsystem's rule file (for the models), by its `subsystem:` name. */
  subsystem(name: string): LoadedRuleFile | undefined {
    return this.files.find((f) => f.rules.subsystem === name);
  }

  /** A declared get/put pair that `name` belongs to. */
  pair(name: string): PairRule | undefined {
    return this.pairsByName.get(name);
  }

  /** The one parameter of a handler that never runs concurrently with itself (`struct work_struct *`). */
  get singleParamPattern(): RegExp {
    return (this.singleParamRe ??= new RegExp(`\\bstruct\\s+${anyOf([...this.singleParams])}\\s*\\*`));
  }

  /** A parameter that says its callback runs in softirq context (`struct timer_list *`). */
  get softirqParamPattern(): RegExp {
    return (this.softirqParamRe ??= new RegExp(`\\bstruct\\s+${anyOf([...this.softirqParams])}\\s*\\*`));
  }

  /** A call named with a word that publishes an object (`list_add_tail`, `idr_alloc`). */
  get publishPattern(): RegExp {
    return (this.publishRe ??= new RegExp(`(?:^|_)${anyOf([...this.publishWords])}(?:_|$)`));
  }

  /** A wait whose second argument is a condition re-evaluated after every wake-up (`wait_event_timeout`). */
  get waiterPattern(): RegExp {
    return (this.waiterRe ??= new RegExp(`^${shapes(this.waiters)}$`));
  }

  /** A call that uses memory it is given without keeping or freeing it (rules `borrowers`). */
  borrows(callee: string): boolean {
    return (this.borrowerRe ??= new RegExp(`^${shapes(this.borrowers)}$`)).test(callee);
  }

  /** A GFP mask (expression text) naming a flag that lets the allocation sleep. */
  get gfpSleepingPattern(): RegExp {
    return (this.gfpSleepingRe ??= new RegExp(`\\b${shapes(this.gfpSleeping)}\\b`));
  }

  /** A GFP mask (expression text) naming a flag that keeps the allocation atomic. */
  get gfpAtomicPattern(): RegExp {
    return (this.gfpAtomicRe ??= new RegExp(`\\b${shapes(this.gfpAtomic)}\\b`));
  }
}

/** Alternatives matching exactly one of the words (none: a pattern that never matches). */
function anyOf(words: string[]): string {
  return words.length ? `(?:${words.map(escape).join('|')})` : '(?!)';
}

/** Names whole, or a prefix followed by one or more word characters. */
function shapes(s: { names: Set<string>; prefixes: Set<string> }): string {
  const alts = [...[...s.names].map(escape), ...[...s.prefixes].map((p) => `${escape(p)}\\w+`)];
  return alts.length ? `(?:${alts.join('|')})` : '(?!)';
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

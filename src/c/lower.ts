// Lowering one function body: statements to blocks and terminators, expressions to ops and
// symbolic values. Conditions are lowered with short-circuit into branches, so that an op in the
// right-hand side of `&&` only happens on the path where it runs; scope-bound locks and
// `__free()` variables get their release on every exit from their scope.

import type { Block, Expr, FunctionIR, Op, OpBase, Terminator } from './ir.js';
import type { Semantics } from '../semantics/index.js';
import type { AndLock, Primitive } from '../semantics/schema.js';
import { CfgBuilder } from './builder.js';
import { classifyCall, isDeclaringMacro, type CallKind } from './calls.js';
import { collapse, dataObject, dropAddr, lockObject, normalize, strip } from './objects.js';
import type { Prepared } from './prepare.js';
import { field, firstNamed, HOLDS_ERROR, HOLDS_LABEL, named, operatorOf, type SNode } from './syntax.js';
import { declaredNames } from './declarations.js';

export interface UnitContext {
  prep: Prepared;
  src: string; // the prepared text (what the tree's indices refer to)
  lineMap: (number | null)[];
  sem: Semantics;
  calledInUnit: Set<string>;
  /** Functions the unit defines (their bodies, not their names, say what they do). */
  definedInUnit?: Set<string>;
}

export interface FunctionFacts {
  params: { name: string; type: string }[];
  /** The declarations before the body are all visible (no missing start, no gap before them). */
  declsComplete: boolean;
  name: string;
}

export interface LoweredBody {
  blocks: Block[];
  locals: FunctionIR['locals'];
  diagnostics: string[];
}

type AcquireOp = Extract<Op, { kind: 'acquire' }>;

interface Cleanup {
  pos: number; // text index from which it is active
  run: (at: SNode) => void; // emit the release/free at an exit statement
}

interface Scope {
  start: number;
  end: number;
  cleanups: Cleanup[];
}

interface JumpTarget {
  block: number;
  depth: number; // scopes.length when the construct was entered
  kind: 'loop' | 'switch' | 'once';
}

interface SwitchCtx {
  head: number;
  cases: { match: Expr[] | 'default'; to: number }[];
}

interface ValueCtx {
  used: boolean;
  /** The variable or path the value is assigned to (allocations, gets returning the reference). */
  target?: string;
  /** A call argument: bare unknown identifiers there are member names or functions, not globals. */
  arg?: boolean;
}

const CMP = new Set(['==', '!=', '<', '<=', '>', '>=']);
const MAX_TEXT = 160;

export class FunctionLowerer {
  private readonly b = new CfgBuilder();
  private readonly locals: FunctionIR['locals'] = [];
  private readonly localNames = new Set<string>();
  private readonly paramNames: Set<string>;
  private readonly diagnostics: string[] = [];
  private readonly scopes: Scope[] = [];
  private readonly breaks: JumpTarget[] = [];
  private readonly continues: JumpTarget[] = [];
  private readonly switches: SwitchCtx[] = [];
  private readonly labelBlocks = new Map<string, number>();
  private labelPos = new Map<string, number>();
  private results = 0;
  private temps = 0;
  private condDepth = 0;
  private readonly cleanupVars: { variable: string; fn: string; at: number }[];

  constructor(
    private readonly u: UnitContext,
    private readonly facts: FunctionFacts,
    fnNode: SNode,
  ) {
    this.paramNames = new Set(facts.params.map((p) => p.name));
    this.cleanupVars = u.prep.cleanups.filter((c) => c.at >= fnNode.start && c.at < fnNode.end);
  }

  lower(body: SNode): LoweredBody {
    this.labelPos = collectLabels(body, this.u.src);
    this.statement(body);
    if (this.b.cur !== null) {
      this.b.note(body.endRow);
      this.b.terminate({ k: 'return', value: null, line: this.lineOfRow(body.endRow) });
    }
    // Blocks still open are labels jumped to but never placed: the code goes on where we cannot see.
    const blocks = this.b.finish(() => ({ k: 'unknown-exit', line: null }));
    return { blocks, locals: this.locals, diagnostics: this.diagnostics };
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private lineOfRow(row: number): number | null {
    return this.u.lineMap[row] ?? null;
  }

  /** A node's source as written (annotations the pre-pass blanked included). */
  private original(n: SNode): string {
    const p = this.u.prep;
    return p.original.slice(p.toOriginal(n.start), p.toOriginal(n.end));
  }

  private text(n: SNode): string {
    // An op and the value it stands for ask for the same node's text one after the other.
    if (n === this.lastTextNode) return this.lastText;
    const p = this.u.prep;
    const s = collapse(p.original.slice(p.toOriginal(n.start), p.toOriginal(n.end)));
    this.lastTextNode = n;
    this.lastText = s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT - 3)}...` : s;
    return this.lastText;
  }

  private lastTextNode: SNode | null = null;
  private lastText = '';

  private raw(n: SNode): string {
    return this.u.src.slice(n.start, n.end);
  }

  private at(n: SNode, text?: string): OpBase {
    return { line: this.lineOfRow(n.row), row: n.row, text: text ?? this.text(n) };
  }

  private emit(op: Op): void {
    if (op.kind === 'access') {
      // Inside KCSAN's data_race() the author says the race is intended: the access is marked.
      if (this.marked > 0 && op.via === 'plain') op = { ...op, via: 'once' };
      // Inside WARN_ON() it is a diagnostic: the trace shows the whole check.
      if (this.warnText !== null) op = { ...op, text: this.warnText };
    }
    this.b.emit(op);
  }

  /** Depth of data_race(...) around the expression being lowered. */
  private marked = 0;
  /** The WARN_ON(...)-style call around the expression being lowered. */
  private warnText: string | null = null;
  /** The block a WARN_ON(...) condition's true side goes to. */
  private warnTarget: number | null = null;

  private inWrapper<T>(call: SNode, f: () => T): T {
    const fnNode = field(call, 'function');
    const name = fnNode ? this.raw(fnNode) : '';
    const p = this.u.sem.primitive(name);
    const warns = p?.op === 'passthrough' && p.warns && this.warnText === null;
    if (name !== 'data_race' && !warns) return f();
    if (name === 'data_race') this.marked++;
    if (warns) this.warnText = this.text(call);
    try {
      return f();
    } finally {
      if (name === 'data_race') this.marked--;
      if (warns) this.warnText = null;
    }
  }

  private result(): string {
    return `r${++this.results}`;
  }

  private diag(n: SNode, what: string): void {
    const line = this.lineOfRow(n.row);
    this.diagnostics.push(`${line !== null ? `line ${line}` : `row ${n.row + 1}`}: ${what}`);
  }

  private unknownOp(n: SNode, reason: string): void {
    this.emit({ kind: 'unknown', reason, ...this.at(n) });
    this.diag(n, reason);
  }

  private isLocal(name: string): boolean {
    return this.localNames.has(name) || this.paramNames.has(name);
  }

  /**
   * The argument a get/put pair inferred from its name counts: the one whose struct type the name
   * starts with (`pipe_buf_get(pipe, buf)` counts the `struct pipe_buffer *`), else the first.
   */
  private pairArgument(callee: string, args: SNode[]): number {
    if (args.length < 2) return 0;
    const stem = callee.replace(/^(get|put)_/, '').replace(/_(get|put|hold|unhold|ref|unref|grab|drop|ungrab|release)$/, '');
    for (let i = 0; i < args.length; i++) {
      // The variable itself, its address or an element of it (`buf`, `&bufs[i]`): its declared type.
      const name = /^([A-Za-z_]\w*)(?:\[\])?$/.exec(dataObject(args[i], this.u.src))?.[1] ?? null;
      const decl = name ? (this.locals.find((l) => l.name === name) ?? this.facts.params.find((p) => p.name === name)) : undefined;
      const tag = decl ? /\b(?:struct|union)\s+([A-Za-z_]\w*)/.exec(decl.type)?.[1] : undefined;
      if (tag && stem.length >= 3 && (tag === stem || tag.startsWith(stem))) return i;
    }
    return 0;
  }

  private declareLocal(name: string, type: string, n: SNode, rcu = false): void {
    if (!name) return;
    this.locals.push({ name, type, line: this.lineOfRow(n.row), ...(rcu ? { rcu } : {}) });
    this.localNames.add(name);
  }

  // ---- scopes and exits ---------------------------------------------------------------------------

  private pushScope(n: SNode): Scope {
    const s: Scope = { start: n.start, end: n.end, cleanups: [] };
    this.scopes.push(s);
    return s;
  }

  /** Leave the innermost scope by falling off its end. */
  private popScope(endAt: SNode): void {
    const s = this.scopes.pop();
    if (!s || this.b.cur === null) return;
    for (let i = s.cleanups.length - 1; i >= 0; i--) s.cleanups[i]!.run(endAt);
  }

  /** Run the cleanups of every scope deeper than `depth`; a goto target keeps the ones it stays in. */
  private leaveScopes(depth: number, at: SNode, labelAt?: number): void {
    if (this.b.cur === null) return;
    for (let i = this.scopes.length - 1; i >= depth; i--) {
      const s = this.scopes[i]!;
      for (let k = s.cleanups.length - 1; k >= 0; k--) {
        const c = s.cleanups[k]!;
        if (labelAt !== undefined && labelAt >= s.start && labelAt < s.end && labelAt >= c.pos) continue;
        c.run(at);
      }
    }
  }

  private labelBlock(name: string): number {
    let id = this.labelBlocks.get(name);
    if (id === undefined) {
      id = this.b.newBlock(name);
      this.labelBlocks.set(name, id);
    }
    return id;
  }

  // ---- statements ----------------------------------------------------------------------------------

  statement(n: SNode): void {
    this.b.note(n.row);
    if (n.type !== 'compound_statement' && n.type !== 'ERROR') this.damage(n);
    switch (n.type) {
      case 'compound_statement': {
        this.pushScope(n);
        for (const ch of n.children) if (ch.named) this.statement(ch);
        this.popScope(lastChild(n));
        return;
      }
      case 'declaration':
        return this.declaration(n);
      case 'expression_statement':
        return this.expressionStatement(n);
      case 'if_statement':
        return this.ifStatement(n);
      case 'while_statement':
        return this.whileStatement(n);
      case 'do_statement':
        return this.doStatement(n);
      case 'for_statement':
        return this.forStatement(n);
      case 'switch_statement':
        return this.switchStatement(n);
      case 'case_statement':
        return this.caseStatement(n);
      case 'break_statement':
        return this.breakStatement(n);
      case 'continue_statement':
        return this.continueStatement(n);
      case 'goto_statement':
        return this.gotoStatement(n);
      case 'labeled_statement': {
        const label = field(n, 'label');
        const name = label ? this.raw(label) : '?';
        this.b.fallInto(this.labelBlock(name), this.lineOfRow(n.row));
        for (const ch of n.children) if (ch.named && ch.field !== 'label') this.statement(ch);
        return;
      }
      case 'return_statement':
        return this.returnStatement(n);
      case 'attributed_statement':
        for (const ch of n.children) if (ch.named && ch.type !== 'attribute_declaration') this.statement(ch);
        return;
      case 'comment':
      case 'type_definition':
      case 'struct_specifier':
      case 'union_specifier':
      case 'enum_specifier':
      case 'function_definition':
        return;
      case 'gnu_asm_expression':
        this.emit({ kind: 'barrier', barrier: 'asm', ...this.at(n) });
        return;
      case 'ERROR':
        return this.errorNode(n);
      default:
        if (n.type.endsWith('_statement') || n.type.endsWith('_expression')) {
          // An expression standing where a statement should be (error recovery).
          if (n.type.endsWith('_expression')) {
            this.value(n, { used: false });
            return;
          }
        }
        if (!n.named || n.type === 'identifier' || n.type.startsWith('preproc')) return;
        this.unknownOp(n, `statement not understood (${n.type}): ${this.text(n)}`);
    }
  }

  /**
   * A statement whose own syntax (not that of nested statements) holds a parse error: lowered as
   * far as it goes, with an `unknown` op saying what was not understood.
   */
  private damage(n: SNode): void {
    if (!(n.holds & HOLDS_ERROR)) return; // the copy says nothing below is damaged
    const bad: SNode[] = [];
    const walk = (x: SNode): void => {
      for (const ch of x.children) {
        if (ch.type === 'compound_statement' || (ch !== n && isStatement(ch) && ch.type !== 'declaration')) continue;
        // `case 1 ... 3:` (a GNU case range) is understood by caseStatement.
        if (ch.type === 'ERROR' && n.type === 'case_statement' && this.raw(ch).trim().startsWith('...')) continue;
        if (ch.type === 'ERROR' || (ch.missing && ch.type !== ';')) bad.push(ch);
        else if (ch.children.length) walk(ch);
      }
    };
    walk(n);
    if (!bad.length) return;
    const what = bad.map((b) => (b.missing ? `missing ${b.type}` : `'${this.text(b)}'`)).join(', ');
    this.unknownOp(n, `parse error (${what}) in: ${this.text(n)}`);
  }

  /** Tree-sitter gave up here: say so, and lower the statements it still recognised inside. */
  private errorNode(n: SNode): void {
    const stmts = n.children.filter((c) => c.named && (isStatement(c) || c.type === 'declaration'));
    const rest = n.children.filter((c) => c.named && !stmts.includes(c) && c.type !== 'comment');
    if (rest.length || !stmts.length) this.unknownOp(n, `parse error: ${this.text(n)}`);
    for (const s of stmts) this.statement(s);
  }

  private declaration(n: SNode): void {
    const base = typeText(n, this.u.src, this.u.prep);
    const isExtern = n.children.some((c) => c.type === 'storage_class_specifier' && this.raw(c) === 'extern');
    // The pre-pass blanks `__rcu` for the grammar: read it back from the declaration as written.
    const rcu = /\b__rcu\b/.test(this.original(n));
    for (const d of n.children) {
      if (d.field !== 'declarator') continue;
      const inner = d.type === 'init_declarator' ? field(d, 'declarator') : d;
      const value = d.type === 'init_declarator' ? field(d, 'value') : undefined;
      if (!inner) continue;
      if (inner.type === 'function_declarator' && (!value || field(inner, 'declarator')?.type === 'identifier')) continue; // a prototype (or damage read as one)
      const { name, suffix } = declaredNames(inner, this.u.src);
      if (isExtern) continue;
      this.declareLocal(name, `${base}${suffix}`.trim(), d, rcu);
      const cleanup = this.cleanupVars.find((c) => c.variable === name && c.at >= n.start && c.at < n.end);
      if (value) {
        if (value.type === 'initializer_list') {
          this.initializer(value);
          this.emit({ kind: 'assign', target: name, value: { k: 'unknown', text: '{...}' }, ...this.at(d) });
        } else {
          const v = this.value(value, { used: true, target: name });
          this.emit({ kind: 'assign', target: name, value: v, ...this.at(d) });
        }
      }
      if (cleanup) this.registerFreeCleanup(name, cleanup.fn, d);
    }
  }

  private initializer(n: SNode): void {
    for (const ch of named(n)) {
      if (ch.type === 'initializer_pair') {
        const v = field(ch, 'value');
        if (v) v.type === 'initializer_list' ? this.initializer(v) : this.value(v, { used: true });
      } else if (ch.type === 'initializer_list') this.initializer(ch);
      else this.value(ch, { used: true });
    }
  }

  /** `T *p __free(kfree) = ...`: the cleanup function runs on p at every exit from the scope. */
  private registerFreeCleanup(variable: string, fn: string, decl: SNode): void {
    const scope = this.scopes[this.scopes.length - 1];
    if (!scope) return;
    scope.cleanups.push({
      pos: decl.end,
      run: (at) => this.cleanupCall(fn, variable, at),
    });
  }

  /** Lower `fn(variable)` at a scope exit as the rules say (free, put, release or a call). */
  private cleanupCall(fn: string, variable: string, at: SNode): void {
    const base = { ...this.at(at, `${fn}(${variable}) at scope exit`) };
    // `__free(device_node)` names a DEFINE_FREE() class, looked up as `free:<class>` in rules/.
    const cls = this.u.sem.primitive(`free:${fn}`);
    const kind = cls ? ({ k: 'primitive', p: cls } as const) : classifyCall(fn, this.u.sem, this.u.calledInUnit, this.u.definedInUnit);
    if (kind.k === 'primitive') {
      const p = kind.p;
      if (p.op === 'free') return this.emit({ kind: 'free', obj: variable, primitive: fn, ...base });
      if (p.op === 'put') return this.emit({ kind: 'ref', action: 'put', obj: variable, pair: p.pair, source: 'primitive', primitive: fn, ...base });
      if (p.op === 'release') {
        return this.emit({ kind: 'release', obj: variable, family: p.family, mode: p.mode, irq: p.irq, scoped: true, primitive: fn, ...base });
      }
    }
    if (kind.k === 'rule-pair' && kind.action === 'put')
      return this.emit({ kind: 'ref', action: 'put', obj: variable, pair: kind.pair, source: 'rule', primitive: fn, ...base });
    if (kind.k === 'name-pair' && kind.action === 'put')
      return this.emit({ kind: 'ref', action: 'put', obj: variable, pair: kind.pair, source: 'name', primitive: fn, ...base });
    this.emit({ kind: 'call', callee: fn, indirect: false, args: [{ k: 'var', name: variable }], argText: [variable], ...base });
  }

  private expressionStatement(n: SNode): void {
    const e = firstNamed(n);
    if (!e) return;
    if (e.type === 'call_expression') {
      const fn = field(e, 'function');
      // guard(mutex)(&m);
      if (fn?.type === 'call_expression') {
        const g = field(fn, 'function');
        if (g?.type === 'identifier' && this.raw(g) === 'guard') return this.guardStatement(e, fn);
      }
      if (fn?.type === 'identifier') {
        const name = this.raw(fn);
        if (isDeclaringMacro(name)) return this.declaringMacro(e, name);
      }
    }
    if (e.type === 'identifier') return; // `fallthrough;` and friends
    if (e.type === 'cast_expression' && this.raw(field(e, 'type') ?? e).replace(/\s/g, '') === 'void') {
      const v = field(e, 'value');
      if (v) this.value(v, { used: false });
      return;
    }
    this.value(e, { used: false });
  }

  private declaringMacro(call: SNode, name: string): void {
    const args = callArgs(call);
    const first = args[0];
    if (first?.type === 'identifier') this.declareLocal(this.raw(first), name, call);
    const kind = classifyCall(name, this.u.sem, this.u.calledInUnit, this.u.definedInUnit);
    if (kind.k === 'primitive') this.call(call, { used: false });
  }

  /** `guard(class)(args);`: held from here to the end of the enclosing scope. */
  private guardStatement(call: SNode, inner: SNode): void {
    const cls = callArgs(inner).map((a) => this.raw(a).trim())[0] ?? '';
    const args = callArgs(call);
    const acq = this.guardAcquire(`guard:${cls}`, `guard(${cls})`, args, call);
    if (!acq) {
      this.diag(call, `guard(${cls}): guard class not in rules/ (not lowered as a lock)`);
      this.plainCall(call, `guard(${cls})`, false, args, { used: false });
      return;
    }
    const scope = this.scopes[this.scopes.length - 1];
    if (scope) scope.cleanups.push({ pos: call.end, run: (at) => this.guardRelease(acq, at) });
  }

  /** The acquire of a guard class from the rules (`guard:<class>`), emitted; null when unknown. */
  private guardAcquire(ruleName: string, primitive: string, args: SNode[], at: SNode): AcquireOp | null {
    const p = this.u.sem.primitive(ruleName);
    if (p?.op !== 'acquire') return null;
    for (const a of args) this.value(a, { used: true, arg: true });
    const obj = this.lockObjectOf(p, args, at);
    const op: AcquireOp = {
      kind: 'acquire',
      obj,
      family: p.family,
      mode: p.mode,
      irq: p.irq,
      scoped: true,
      primitive,
      ...this.at(at),
    };
    if (p.try) {
      op.try = p.try;
      op.result = this.result();
    }
    this.emit(op);
    return op;
  }

  private guardRelease(acq: AcquireOp, at: SNode): void {
    this.emit({
      kind: 'release',
      obj: acq.obj,
      family: acq.family,
      mode: acq.mode,
      irq: acq.irq,
      scoped: true,
      primitive: acq.primitive,
      ...this.at(at, `end of ${acq.primitive} scope`),
    });
  }

  private ifStatement(n: SNode): void {
    const cond = field(n, 'condition');
    const cons = field(n, 'consequence');
    const alt = field(n, 'alternative');
    const thenB = this.b.newBlock();
    const elseB = alt ? this.b.newBlock() : null;
    const join = this.b.newBlock();
    if (cond) this.cond(cond, thenB, elseB ?? join, 'if');
    else this.b.terminate({ k: 'jump', to: thenB, why: 'fall', line: this.lineOfRow(n.row) });
    this.b.cur = thenB;
    if (cons) this.statement(cons);
    this.b.fallInto(join, null);
    if (alt && elseB !== null) {
      this.b.cur = elseB;
      for (const ch of alt.children) if (ch.named) this.statement(ch);
      this.b.fallInto(join, null);
    }
    this.b.cur = join;
  }

  private loop(_head: number, exit: number, cont: number, body: SNode | undefined): void {
    this.breaks.push({ block: exit, depth: this.scopes.length, kind: 'loop' });
    this.continues.push({ block: cont, depth: this.scopes.length, kind: 'loop' });
    if (body) this.statement(body);
    this.breaks.pop();
    this.continues.pop();
  }

  private whileStatement(n: SNode): void {
    const macro = this.u.prep.macroLoops.get(n.start);
    const cond = field(n, 'condition');
    const body = field(n, 'body');
    const condCall = cond ? firstNamed(cond) : undefined;
    if (macro && condCall?.type === 'call_expression') {
      if (macro.kind === 'iterator') return this.iteratorLoop(n, macro.name, condCall, body);
      return this.scopedGuard(n, macro.kind, macro.name, condCall, body);
    }
    const head = this.b.newBlock();
    const bodyB = this.b.newBlock();
    const exit = this.b.newBlock();
    this.b.fallInto(head, this.lineOfRow(n.row));
    this.b.note(n.row);
    if (!cond || isConstTrue(cond, this.u.src)) this.b.terminate({ k: 'jump', to: bodyB, why: 'fall', line: this.lineOfRow(n.row) });
    else this.cond(cond, bodyB, exit, 'loop');
    this.b.cur = bodyB;
    this.loop(head, exit, head, body);
    if (this.b.cur !== null) this.b.terminate({ k: 'jump', to: head, why: 'loop', line: this.lineOfRow(n.row) });
    this.b.cur = exit;
  }

  /** `list_for_each_entry(pos, head, member) stmt`: a loop on an opaque condition. */
  private iteratorLoop(n: SNode, name: string, call: SNode, body: SNode | undefined): void {
    const args = callArgs(call);
    const head = this.b.newBlock();
    const bodyB = this.b.newBlock();
    const exit = this.b.newBlock();
    this.b.fallInto(head, this.lineOfRow(n.row));
    this.b.note(n.row);
    const p = this.u.sem.primitive(name);
    const at = this.at(call);
    if (p?.op === 'list') {
      const obj = (i: number | 'return' | undefined): string | null => (typeof i === 'number' && args[i] ? dataObject(args[i], this.u.src) : null);
      this.emit({ kind: 'list', action: p.action, family: p.family, head: obj(p.head), node: obj(p.node), target: obj(p.target), primitive: name, ...at });
    } else if (p?.op === 'atomic' || p?.op === 'access') {
      this.call(call, { used: false });
    }
    const cursor = args[p?.op === 'iterate' ? p.cursor : 0];
    let cond: Expr = { k: 'unknown', text: this.text(call) };
    if (cursor?.type === 'identifier' && this.isLocal(this.raw(cursor))) {
      const cur = this.raw(cursor);
      if (p?.op === 'iterate' && p.pair) {
        // Each step drops the previous cursor's reference and takes one on the next; NULL ends it.
        const id = this.result();
        this.emit({ kind: 'ref', action: 'put', obj: cur, pair: p.pair, source: 'rule', step: true, primitive: name, ...at });
        this.emit({ kind: 'ref', action: 'get', obj: cur, pair: p.pair, source: 'rule', succeeds: 'nonnull', result: id, primitive: name, ...at });
        this.emit({ kind: 'assign', target: cur, value: { k: 'result', id }, ...at });
        cond = { k: 'var', name: cur };
      } else {
        this.emit({ kind: 'assign', target: cur, value: { k: 'unknown', text: `next ${name}` }, ...at });
      }
    }
    this.b.terminate({ k: 'branch', cond, t: bodyB, f: exit, why: 'iterator', line: at.line });
    this.b.cur = bodyB;
    this.loop(head, exit, head, body);
    if (this.b.cur !== null) this.b.terminate({ k: 'jump', to: head, why: 'loop', line: at.line });
    this.b.cur = exit;
  }

  /** `scoped_guard(class, args) stmt`: held for the statement; `break` leaves it (it is a loop in C). */
  private scopedGuard(n: SNode, kind: 'scoped_guard' | 'scoped_cond_guard', name: string, call: SNode, body: SNode | undefined): void {
    const args = callArgs(call);
    const cls = args[0] ? this.raw(args[0]).trim() : '';
    const fail = kind === 'scoped_cond_guard' ? this.condGuardFail(call) : null;
    const lockArgs = kind === 'scoped_cond_guard' ? args.slice(1).filter((a) => a.type !== 'ERROR' && !this.raw(a).trim().startsWith('return')) : args.slice(1);
    const exit = this.b.newBlock();
    const scope = this.pushScope(n);
    const acq = this.guardAcquire(`guard:${cls}`, `${name}(${cls})`, kind === 'scoped_cond_guard' ? lockArgs.slice(fail ? fail.skip : 0) : lockArgs, call);
    if (!acq) {
      this.diag(call, `${name}(${cls}): guard class not in rules/ (not lowered as a lock)`);
    } else {
      scope.cleanups.push({ pos: call.end, run: (at) => this.guardRelease(acq, at) });
      if (acq.try && acq.result) {
        const bodyB = this.b.newBlock();
        const failB = this.b.newBlock();
        const r: Expr = { k: 'result', id: acq.result };
        this.b.terminate({ k: 'branch', cond: acq.try === 'nonzero' ? r : { k: 'not', e: r }, t: bodyB, f: failB, why: 'if', line: this.lineOfRow(n.row) });
        this.b.cur = failB;
        // Not acquired: nothing to release on this side.
        this.scopes.pop();
        if (fail) this.condGuardFailure(fail.text, call);
        this.b.fallInto(exit, null);
        this.scopes.push(scope);
        this.b.cur = bodyB;
      }
    }
    this.breaks.push({ block: exit, depth: this.scopes.length - 1, kind: 'once' });
    this.continues.push({ block: exit, depth: this.scopes.length - 1, kind: 'once' });
    if (body) this.statement(body);
    this.breaks.pop();
    this.continues.pop();
    this.popScope(body ? lastChild(body) : call);
    this.b.fallInto(exit, null);
  }

  /** The failure statement of `scoped_cond_guard(class, <fail>, args)`, from the original text. */
  private condGuardFail(call: SNode): { text: string; skip: number } | null {
    const p = this.u.prep;
    const orig = p.original.slice(p.toOriginal(call.start), p.toOriginal(call.end));
    const open = orig.indexOf('(');
    const parts = splitTopLevel(orig.slice(open + 1, orig.lastIndexOf(')')));
    const fail = parts[1]?.trim();
    if (!fail) return null;
    // How many parsed argument nodes the failure text spans (tree-sitter splits `return -EINTR` oddly).
    return { text: fail, skip: 0 };
  }

  private condGuardFailure(text: string, call: SNode): void {
    const t = text.trim();
    let m: RegExpExecArray | null;
    if ((m = /^return\b\s*(.*)$/s.exec(t))) {
      this.leaveScopes(0, call);
      this.b.terminate({ k: 'return', value: m[1] ? exprFromText(m[1]) : null, line: this.lineOfRow(call.row) });
    } else if ((m = /^goto\s+([A-Za-z_]\w*)$/.exec(t))) {
      this.jumpToLabel(m[1]!, call);
    } else if (t === 'break' || t === 'continue') {
      const stack = t === 'break' ? this.breaks : this.continues.filter((c) => c.kind !== 'once');
      const tgt = stack[stack.length - 1];
      if (tgt) {
        this.leaveScopes(tgt.depth, call);
        this.b.terminate({ k: 'jump', to: tgt.block, why: t, line: this.lineOfRow(call.row) });
      }
    } else if (t) {
      this.emit({ kind: 'unknown', reason: `scoped_cond_guard failure action not lowered: ${t}`, ...this.at(call) });
    }
  }

  private doStatement(n: SNode): void {
    const cond = field(n, 'condition');
    const body = field(n, 'body');
    const exit = this.b.newBlock();
    if (cond && isConstFalse(cond, this.u.src)) {
      // do { ... } while (0): a block, not a loop; break and continue leave it.
      this.breaks.push({ block: exit, depth: this.scopes.length, kind: 'loop' });
      this.continues.push({ block: exit, depth: this.scopes.length, kind: 'loop' });
      if (body) this.statement(body);
      this.breaks.pop();
      this.continues.pop();
      this.b.fallInto(exit, null);
      return;
    }
    const bodyB = this.b.newBlock();
    const condB = this.b.newBlock();
    this.b.fallInto(bodyB, this.lineOfRow(n.row));
    this.loop(bodyB, exit, condB, body);
    this.b.fallInto(condB, null);
    if (!cond || isConstTrue(cond, this.u.src)) this.b.terminate({ k: 'jump', to: bodyB, why: 'loop', line: this.lineOfRow(cond?.row ?? n.row) });
    else this.cond(cond, bodyB, exit, 'loop');
    this.b.cur = exit;
  }

  private forStatement(n: SNode): void {
    const init = field(n, 'initializer');
    const cond = field(n, 'condition');
    const update = field(n, 'update');
    const body = field(n, 'body');
    this.pushScope(n);
    if (init) {
      if (init.type === 'declaration') this.declaration(init);
      else this.value(init, { used: false });
    }
    // Older grammars put extra initializer/update expressions in unnamed positions.
    const head = this.b.newBlock();
    const bodyB = this.b.newBlock();
    const step = this.b.newBlock();
    const exit = this.b.newBlock();
    this.b.fallInto(head, this.lineOfRow(n.row));
    this.b.note(n.row);
    if (!cond || isConstTrue(cond, this.u.src)) this.b.terminate({ k: 'jump', to: bodyB, why: 'fall', line: this.lineOfRow(n.row) });
    else this.cond(cond, bodyB, exit, 'loop');
    this.b.cur = bodyB;
    this.loop(head, exit, step, body);
    this.b.fallInto(step, null);
    if (update) this.value(update, { used: false });
    this.b.terminate({ k: 'jump', to: head, why: 'loop', line: this.lineOfRow(n.row) });
    this.b.cur = exit;
    this.scopes.pop();
  }

  private switchStatement(n: SNode): void {
    const cond = field(n, 'condition');
    const body = field(n, 'body');
    const on = cond ? this.value(unparen(cond), { used: true }) : ({ k: 'unknown', text: '?' } as Expr);
    const head = this.b.here();
    this.b.cur = null;
    const exit = this.b.newBlock();
    const ctx: SwitchCtx = { head, cases: [] };
    this.switches.push(ctx);
    this.breaks.push({ block: exit, depth: this.scopes.length, kind: 'switch' });
    if (body) this.statement(body);
    this.breaks.pop();
    this.switches.pop();
    this.b.fallInto(exit, null);
    if (!ctx.cases.some((c) => c.match === 'default')) ctx.cases.push({ match: 'default', to: exit });
    this.b.setTerm(head, { k: 'switch', on, cases: ctx.cases, line: this.lineOfRow(n.row) });
  }

  private caseStatement(n: SNode): void {
    const ctx = this.switches[this.switches.length - 1];
    const blk = this.b.newBlock();
    this.b.fallInto(blk, this.lineOfRow(n.row));
    const isDefault = n.children.some((c) => c.type === 'default');
    const value = field(n, 'value');
    if (ctx) {
      if (isDefault) ctx.cases.push({ match: 'default', to: blk });
      else {
        const range = n.children.find((c) => c.type === 'ERROR' && this.raw(c).trim().startsWith('...'));
        const match: Expr =
          range && value
            ? { k: 'unknown', text: `${collapse(this.raw(value))} ${collapse(this.raw(range))}` }
            : value
              ? this.constExpr(value)
              : { k: 'unknown', text: '?' };
        ctx.cases.push({ match: [match], to: blk });
      }
    } else {
      this.diag(n, 'case label outside a visible switch');
    }
    for (const ch of n.children) {
      if (!ch.named || ch.field === 'value' || (ch.type === 'ERROR' && this.raw(ch).trim().startsWith('...'))) continue;
      this.statement(ch);
    }
  }

  private breakStatement(n: SNode): void {
    const tgt = this.breaks[this.breaks.length - 1];
    if (!tgt) {
      this.diag(n, 'break outside a visible loop or switch');
      this.b.terminate({ k: 'unknown-exit', line: this.lineOfRow(n.row) });
      return;
    }
    this.leaveScopes(tgt.depth, n);
    this.b.terminate({ k: 'jump', to: tgt.block, why: 'break', line: this.lineOfRow(n.row) });
  }

  private continueStatement(n: SNode): void {
    const tgt = this.continues[this.continues.length - 1];
    if (!tgt) {
      this.diag(n, 'continue outside a visible loop');
      this.b.terminate({ k: 'unknown-exit', line: this.lineOfRow(n.row) });
      return;
    }
    this.leaveScopes(tgt.depth, n);
    this.b.terminate({ k: 'jump', to: tgt.block, why: 'continue', line: this.lineOfRow(n.row) });
  }

  private gotoStatement(n: SNode): void {
    const label = field(n, 'label');
    if (!label || n.children.some((c) => c.type === 'ERROR')) {
      this.diag(n, `computed goto not followed: ${this.text(n)}`);
      this.b.terminate({ k: 'unknown-exit', line: this.lineOfRow(n.row) });
      return;
    }
    this.jumpToLabel(this.raw(label), n);
  }

  private jumpToLabel(name: string, n: SNode): void {
    const pos = this.labelPos.get(name);
    if (pos === undefined) {
      // The label is in code we cannot see (hunk mode) or the text is damaged.
      this.diag(n, `goto ${name}: label not in the visible code`);
      this.b.terminate({ k: 'unknown-exit', line: this.lineOfRow(n.row) });
      return;
    }
    this.leaveScopes(0, n, pos);
    this.b.terminate({ k: 'jump', to: this.labelBlock(name), why: 'goto', label: name, line: this.lineOfRow(n.row) });
  }

  private returnStatement(n: SNode): void {
    const e = firstNamed(n);
    const value = e ? this.value(e, { used: true }) : null;
    this.leaveScopes(0, n);
    this.b.terminate({ k: 'return', value, line: this.lineOfRow(n.row) });
  }

  // ---- conditions ----------------------------------------------------------------------------------

  /** Lower a condition into branches: `t` when it holds, `f` otherwise. */
  cond(n0: SNode, t: number, f: number, why: Extract<Terminator, { k: 'branch' }>['why']): void {
    const n = unparen(n0);
    this.b.note(n.row);
    if (n.type === 'binary_expression') {
      const op = operatorOf(n);
      const a = field(n, 'left');
      const c = field(n, 'right');
      if ((op === '&&' || op === '||') && a && c) {
        const mid = this.b.newBlock();
        if (op === '&&') this.cond(a, mid, f, why);
        else this.cond(a, t, mid, why);
        this.b.cur = mid;
        this.cond(c, t, f, why);
        return;
      }
    }
    if (n.type === 'unary_expression' && operatorOf(n) === '!') {
      const arg = field(n, 'argument');
      if (arg && this.isControlFlowCond(arg)) {
        this.cond(arg, f, t, why);
        return;
      }
    }
    if (n.type === 'conditional_expression') {
      const c = field(n, 'condition');
      const x = field(n, 'consequence');
      const y = field(n, 'alternative');
      if (c && x && y) {
        const bx = this.b.newBlock();
        const by = this.b.newBlock();
        this.cond(c, bx, by, why);
        this.b.cur = bx;
        this.cond(x, t, f, why);
        this.b.cur = by;
        this.cond(y, t, f, why);
        return;
      }
    }
    if (n.type === 'comma_expression') {
      const l = field(n, 'left');
      const r = field(n, 'right');
      if (l) this.value(l, { used: false });
      if (r) return this.cond(r, t, f, why);
    }
    if (n.type === 'call_expression') {
      const pass = this.passthroughArg(n);
      if (pass) {
        const outer = this.warnTarget;
        if (this.warnText === null) this.warnTarget = t;
        try {
          return this.inWrapper(n, () => this.cond(pass, t, f, why));
        } finally {
          this.warnTarget = outer;
        }
      }
    }
    this.condDepth++;
    const e = this.value(n, { used: true });
    this.condDepth--;
    // `if (WARN_ON(x))`: the true side is where the kernel warns of a bug.
    const warns = this.warnText !== null && t === this.warnTarget;
    this.b.terminate({ k: 'branch', cond: e, t, f, why: e.k === 'opaque' ? 'gap' : why, line: this.lineOfRow(n.row), ...(warns ? { warns } : {}) });
  }

  /** Conditions that lower to more than one branch (so a `!` in front swaps the targets). */
  private isControlFlowCond(n0: SNode): boolean {
    const n = unparen(n0);
    if (n.type === 'binary_expression') {
      const op = operatorOf(n);
      return op === '&&' || op === '||';
    }
    if (n.type === 'conditional_expression') return true;
    if (n.type === 'unary_expression' && operatorOf(n) === '!') return this.isControlFlowCond(field(n, 'argument')!);
    if (n.type === 'call_expression') {
      const pass = this.passthroughArg(n);
      return !!pass && this.isControlFlowCond(pass);
    }
    return false;
  }

  /** likely(x), WARN_ON_ONCE(x) ...: the argument whose value the call is. */
  private passthroughArg(call: SNode): SNode | undefined {
    const fn = field(call, 'function');
    if (fn?.type !== 'identifier') return undefined;
    const p = this.u.sem.primitive(this.raw(fn));
    if (p?.op !== 'passthrough') return undefined;
    return callArgs(call)[p.arg];
  }

  // ---- values --------------------------------------------------------------------------------------

  /** The symbolic value of an expression; ops for what it does are emitted on the way. */
  value(n: SNode, ctx: ValueCtx): Expr {
    if (n.missing) return { k: 'unknown', text: `missing ${n.type}` };
    switch (n.type) {
      case 'identifier':
        return this.identifier(n, ctx);
      case 'number_literal':
        return numberExpr(this.raw(n));
      case 'true':
        return { k: 'bool', value: true };
      case 'false':
        return { k: 'bool', value: false };
      case 'null':
        return { k: 'null' };
      case 'string_literal':
      case 'concatenated_string':
        return { k: 'str' };
      case 'char_literal': {
        const s = this.raw(n);
        return s.length === 3 ? { k: 'int', value: s.charCodeAt(1) } : { k: 'unknown', text: s };
      }
      case 'parenthesized_expression': {
        const inner = firstNamed(n);
        if (!inner) return { k: 'unknown', text: this.text(n) };
        if (inner.type === 'compound_statement') return this.statementExpression(inner);
        return this.value(inner, ctx);
      }
      case 'cast_expression': {
        const v = field(n, 'value');
        const ty = field(n, 'type');
        const isVoid = !!ty && this.raw(ty).replace(/\s/g, '') === 'void';
        return v ? this.value(v, isVoid ? { ...ctx, used: false } : ctx) : { k: 'unknown', text: this.text(n) };
      }
      case 'field_expression':
      case 'subscript_expression':
        return this.readPath(n);
      case 'pointer_expression': {
        const op = operatorOf(n) || n.children[0]?.type;
        const arg = field(n, 'argument');
        if (!arg) return { k: 'unknown', text: this.text(n) };
        if (op === '*') return this.readPath(n);
        const inner = strip(arg);
        if (isPathNode(inner)) {
          this.addressOf(inner);
          return { k: 'path', path: normalize(n, this.u.src) };
        }
        // `&global` takes its address: nothing is read (`return &esp4_handlers;`).
        const v = this.value(arg, { used: true, arg: ctx.arg || inner.type === 'identifier' });
        return { k: 'addr', e: v };
      }
      case 'call_expression':
        return this.call(n, ctx);
      case 'binary_expression':
        return this.binary(n, ctx);
      case 'unary_expression':
        return this.unary(n);
      case 'update_expression':
        return this.update(n, ctx);
      case 'assignment_expression':
        return this.assignment(n);
      case 'conditional_expression':
        return this.ternary(n, ctx);
      case 'comma_expression': {
        const l = field(n, 'left');
        const r = field(n, 'right');
        if (l) this.value(l, { used: false });
        return r ? this.value(r, ctx) : { k: 'unknown', text: this.text(n) };
      }
      case 'sizeof_expression':
      case 'alignof_expression':
      case 'offsetof_expression':
        return { k: 'const', name: collapse(this.text(n)) };
      case 'compound_literal_expression': {
        const v = field(n, 'value');
        if (v) this.initializer(v);
        return { k: 'unknown', text: this.text(n) };
      }
      case 'initializer_list':
        this.initializer(n);
        return { k: 'unknown', text: '{...}' };
      case 'gnu_asm_expression':
        this.emit({ kind: 'barrier', barrier: 'asm', ...this.at(n) });
        return { k: 'unknown', text: 'asm' };
      case 'ERROR':
        // Reported by the enclosing statement; lower what is recognisable inside.
        for (const ch of named(n)) if (ch.type.endsWith('_expression')) this.value(ch, { used: true });
        return { k: 'unknown', text: this.text(n) };
      default:
        if (n.type === 'type_descriptor' || n.type === 'primitive_type') return { k: 'unknown', text: this.text(n) };
        for (const ch of named(n)) if (ch.type.endsWith('_expression')) this.value(ch, { used: true });
        return { k: 'unknown', text: this.text(n) };
    }
  }

  private identifier(n: SNode, ctx: ValueCtx): Expr {
    const name = this.raw(n);
    if (name === 'NULL') return { k: 'null' };
    if (name === 'true') return { k: 'bool', value: true };
    if (name === 'false') return { k: 'bool', value: false };
    if (this.isLocal(name)) return { k: 'var', name };
    if (/^[A-Z][A-Z0-9_]*$/.test(name)) return { k: 'const', name };
    if (/^E[A-Z0-9]+$/.test(name)) return { k: 'const', name };
    // A global (or, where the declarations are not all visible, possibly a local).
    if (!ctx.arg && this.facts.declsComplete && !name.startsWith('typeof_') && !this.u.calledInUnit.has(name)) {
      this.emit({ kind: 'access', mode: 'read', path: name, via: 'plain', inCondition: this.condDepth > 0, ...this.at(n) });
    }
    return { k: 'var', name };
  }

  private statementExpression(body: SNode): Expr {
    this.pushScope(body);
    const stmts = body.children.filter((c) => c.named && c.type !== 'comment');
    let v: Expr = { k: 'unknown', text: '({...})' };
    stmts.forEach((s, i) => {
      if (i === stmts.length - 1 && s.type === 'expression_statement' && firstNamed(s)) v = this.value(firstNamed(s)!, { used: true });
      else this.statement(s);
    });
    this.popScope(lastChild(body));
    return v;
  }

  /** Evaluate what taking the address of a path reads (its pointer bases), not the path itself. */
  private addressOf(n0: SNode): void {
    const n = strip(n0);
    if (n.type === 'field_expression') {
      const arg = field(n, 'argument');
      if (!arg) return;
      const op = n.children.find((c) => c.field === 'operator')?.type;
      if (op === '->') this.value(arg, { used: true });
      else this.addressOf(arg);
    } else if (n.type === 'subscript_expression') {
      const idx = field(n, 'index');
      const arg = field(n, 'argument');
      if (idx) this.value(idx, { used: true });
      if (arg) this.addressOf(arg);
    } else if (n.type === 'pointer_expression' && operatorOf(n) === '*') {
      const arg = field(n, 'argument');
      if (arg) this.value(arg, { used: true });
    } else if (n.type !== 'identifier') {
      this.value(n, { used: true });
    }
  }

  /** A read of a field/array/deref path: its bases first, then the read itself. */
  private readPath(n: SNode, via: 'plain' | 'once' | 'rcu' | 'acquire' | 'release' = 'plain'): Expr {
    this.addressOf(n);
    const path = dataObject(n, this.u.src);
    this.emit({ kind: 'access', mode: 'read', path, via, inCondition: this.condDepth > 0, ...this.at(n) });
    return { k: 'path', path };
  }

  private binary(n: SNode, ctx: ValueCtx): Expr {
    const op = operatorOf(n);
    const l = field(n, 'left');
    const r = field(n, 'right');
    if (!l || !r) return { k: 'unknown', text: this.text(n) };
    if (op === '&&' || op === '||') {
      if (!mayEmit(l) && !mayEmit(r)) return { k: 'logic', op, a: this.value(l, { used: true }), b: this.value(r, { used: true }) };
      return this.viaBranches(n, ctx);
    }
    if (op === '&' && this.condDepth > 0) {
      const test = this.flagTest(n, l, r);
      if (test) return test;
    }
    const a = this.value(l, { used: true });
    const b = this.value(r, { used: true });
    if (CMP.has(op)) return { k: 'cmp', op: op as '==', a, b };
    return { k: 'arith', op, a, b };
  }

  /** `x->flags & F` in a condition: a flag test whose result the branch reads. */
  private flagTest(n: SNode, l: SNode, r: SNode): Expr | null {
    const [word, bit] = isConstLike(r, this.u.src) ? [l, r] : isConstLike(l, this.u.src) ? [r, l] : [null, null];
    if (!word || !bit) return null;
    const w = strip(word);
    if (!isPathNode(w) && !(w.type === 'identifier' && !this.isLocal(this.raw(w)))) return null;
    this.addressOf(w);
    const id = this.result();
    this.emit({
      kind: 'flag',
      action: 'test',
      word: dataObject(w, this.u.src),
      bit: collapse(this.text(unparen(bit))),
      atomic: false,
      ordering: 'relaxed',
      result: id,
      primitive: '&',
      ...this.at(n),
    });
    return { k: 'result', id };
  }

  /** A value computed by control flow (`ok = a() && b()`): a temporary set on each side. */
  private viaBranches(n: SNode, _ctx: ValueCtx): Expr {
    const tmp = `$t${++this.temps}`;
    const tB = this.b.newBlock();
    const fB = this.b.newBlock();
    const join = this.b.newBlock();
    this.cond(n, tB, fB, 'logic');
    const at = this.at(n);
    this.b.cur = tB;
    this.emit({ kind: 'assign', target: tmp, value: { k: 'int', value: 1 }, ...at });
    this.b.fallInto(join, null);
    this.b.cur = fB;
    this.emit({ kind: 'assign', target: tmp, value: { k: 'int', value: 0 }, ...at });
    this.b.fallInto(join, null);
    return { k: 'var', name: tmp };
  }

  private ternary(n: SNode, ctx: ValueCtx): Expr {
    const c = field(n, 'condition');
    const x = field(n, 'consequence');
    const y = field(n, 'alternative');
    if (!c || !y) return { k: 'unknown', text: this.text(n) };
    if ((!x || !mayEmit(x)) && !mayEmit(y) && !isLogic(c)) {
      const ce = this.value(c, { used: true });
      const xe = x ? this.value(x, { used: true }) : ce; // GNU `a ?: b`
      return { k: 'cond', c: ce, t: xe, f: this.value(y, { used: true }) };
    }
    const tmp = `$t${++this.temps}`;
    const bx = this.b.newBlock();
    const by = this.b.newBlock();
    const join = this.b.newBlock();
    this.cond(c, bx, by, 'ternary');
    this.b.cur = bx;
    const xv = x ? this.value(x, { ...ctx, used: true }) : { k: 'unknown' as const, text: this.text(c) };
    this.emit({ kind: 'assign', target: tmp, value: xv, ...this.at(x ?? c) });
    this.b.fallInto(join, null);
    this.b.cur = by;
    const yv = this.value(y, { ...ctx, used: true });
    this.emit({ kind: 'assign', target: tmp, value: yv, ...this.at(y) });
    this.b.fallInto(join, null);
    return { k: 'var', name: tmp };
  }

  private unary(n: SNode): Expr {
    const op = operatorOf(n);
    const arg = field(n, 'argument');
    if (!arg) return { k: 'unknown', text: this.text(n) };
    if (op === '!') {
      if (mayEmit(arg) && isLogic(arg)) return this.viaBranches(n, { used: true });
      return { k: 'not', e: this.value(arg, { used: true }) };
    }
    if (op === '-') {
      const a = strip(arg);
      if (a.type === 'identifier' && /^E[A-Z0-9]+$/.test(this.raw(a))) return { k: 'errno', name: this.raw(a) };
      const v = this.value(arg, { used: true });
      if (v.k === 'int') return { k: 'int', value: -v.value };
      return { k: 'arith', op: '-', a: v, b: null };
    }
    if (op === '+') return this.value(arg, { used: true });
    return { k: 'arith', op, a: this.value(arg, { used: true }), b: null };
  }

  /** Where an assignment goes: a local variable, or a path (with its bases evaluated). */
  private target(n0: SNode): { name: string; isPath: boolean; global: boolean } {
    const n = strip(n0);
    if (n.missing) return { name: `<missing ${n.type}>`, isPath: false, global: false };
    if (n.type === 'identifier') {
      const name = this.raw(n);
      return { name, isPath: false, global: !this.isLocal(name) && this.facts.declsComplete };
    }
    this.addressOf(n);
    return { name: dataObject(n, this.u.src), isPath: true, global: false };
  }

  private write(t: { name: string; isPath: boolean; global: boolean }, value: Expr, n: SNode, via: 'plain' | 'once' | 'rcu' | 'release' = 'plain'): void {
    if (t.name.startsWith('<missing')) return;
    if (t.isPath || t.global) this.emit({ kind: 'access', mode: 'write', path: t.name, via, inCondition: false, ...this.at(n) });
    this.emit({ kind: 'assign', target: t.name, value, ...this.at(n) });
  }

  private readTarget(t: { name: string; isPath: boolean; global: boolean }, n: SNode): Expr {
    if (t.isPath || t.global) {
      this.emit({ kind: 'access', mode: 'read', path: t.name, via: 'plain', inCondition: this.condDepth > 0, ...this.at(n) });
      return { k: 'path', path: t.name };
    }
    return { k: 'var', name: t.name };
  }

  private update(n: SNode, ctx: ValueCtx): Expr {
    const arg = field(n, 'argument');
    const opNode = n.children.find((c) => c.field === 'operator');
    const op = opNode?.type ?? '++';
    if (!arg) return { k: 'unknown', text: this.text(n) };
    const t = this.target(arg);
    let cur = this.readTarget(t, n);
    const postfix = !!opNode && opNode.start >= arg.end;
    if (postfix && ctx.used) {
      // `x--` is the old value.
      const tmp = `$t${++this.temps}`;
      this.emit({ kind: 'assign', target: tmp, value: cur, ...this.at(n) });
      cur = { k: 'var', name: tmp };
      this.write(
        t,
        {
          k: 'arith',
          op: op === '--' ? '-' : '+',
          a: t.isPath || t.global ? { k: 'path', path: t.name } : { k: 'var', name: t.name },
          b: { k: 'int', value: 1 },
        },
        n,
      );
      return cur;
    }
    this.write(t, { k: 'arith', op: op === '--' ? '-' : '+', a: cur, b: { k: 'int', value: 1 } }, n);
    return t.isPath || t.global ? { k: 'path', path: t.name } : { k: 'var', name: t.name };
  }

  private assignment(n: SNode): Expr {
    const l = field(n, 'left');
    const r = field(n, 'right');
    const op = operatorOf(n);
    if (!l || !r) return { k: 'unknown', text: this.text(n) };
    const t = this.target(l);
    if (op === '=') {
      const v = this.value(r, { used: true, target: t.name });
      this.write(t, v, n);
      return t.isPath ? { k: 'path', path: t.name } : { k: 'var', name: t.name };
    }
    const v = this.value(r, { used: true });
    const cur = this.readTarget(t, n);
    if ((op === '|=' || op === '&=') && (t.isPath || t.global)) {
      const bits = op === '|=' ? orBits(r, this.u.src) : clearBits(r, this.u.src);
      if (bits) {
        for (const bit of bits) {
          this.emit({
            kind: 'flag',
            action: op === '|=' ? 'set' : 'clear',
            word: t.name,
            bit,
            atomic: false,
            ordering: 'relaxed',
            primitive: op === '|=' ? '|=' : '&= ~',
            ...this.at(n),
          });
        }
      }
    }
    this.write(t, { k: 'arith', op: op.slice(0, -1), a: cur, b: v }, n);
    return t.isPath ? { k: 'path', path: t.name } : { k: 'var', name: t.name };
  }

  private constExpr(n0: SNode): Expr {
    const n = unparen(n0);
    if (n.type === 'number_literal') return numberExpr(this.raw(n));
    if (n.type === 'identifier') return { k: 'const', name: this.raw(n) };
    if (n.type === 'char_literal') {
      const s = this.raw(n);
      return s.length === 3 ? { k: 'int', value: s.charCodeAt(1) } : { k: 'const', name: s };
    }
    if (n.type === 'unary_expression' && operatorOf(n) === '-') {
      const a = field(n, 'argument');
      if (a?.type === 'number_literal') {
        const v = numberExpr(this.raw(a));
        if (v.k === 'int') return { k: 'int', value: -v.value };
      }
      if (a?.type === 'identifier' && /^E[A-Z0-9]+$/.test(this.raw(a))) return { k: 'errno', name: this.raw(a) };
    }
    return { k: 'const', name: collapse(this.text(n)) };
  }

  // ---- calls --------------------------------------------------------------------------------------

  call(n: SNode, ctx: ValueCtx): Expr {
    const fn = field(n, 'function');
    const args = callArgs(n);
    if (!fn) return { k: 'unknown', text: this.text(n) };
    if (fn.type === 'call_expression') {
      const g = field(fn, 'function');
      if (g?.type === 'identifier' && this.raw(g) === 'guard') {
        this.guardStatement(n, fn);
        return { k: 'unknown', text: this.text(n) };
      }
    }
    if (fn.type !== 'identifier') {
      const f = strip(fn);
      // `(w ? up_write : up_read)(&b->lock)`: one of two named functions, chosen by a condition.
      if (f.type === 'conditional_expression') {
        const chosen = this.chosenCall(n, f, args, ctx);
        if (chosen) return chosen;
      }
      // Indirect: ops->map(...), (*fn)(...), cb(...) through a field.
      const target = f.type === 'pointer_expression' && operatorOf(f) === '*' ? (field(f, 'argument') ?? f) : f;
      if (isPathNode(strip(target))) this.readPath(strip(target));
      else this.value(target, { used: true });
      return this.plainCall(n, normalize(target, this.u.src), true, args, ctx);
    }
    const name = this.raw(fn);
    if (this.isLocal(name)) return this.plainCall(n, name, true, args, ctx); // a function pointer variable
    const kind = classifyCall(name, this.u.sem, this.u.calledInUnit, this.u.definedInUnit);
    return this.lowerKind(kind, n, args, ctx);
  }

  /** `(c ? f : g)(args)` with f and g named functions: lowered as `c ? f(args) : g(args)`. */
  private chosenCall(n: SNode, f: SNode, args: SNode[], ctx: ValueCtx): Expr | null {
    const c = field(f, 'condition');
    const x = field(f, 'consequence');
    const y = field(f, 'alternative');
    const xs = x ? strip(x) : null;
    const ys = y ? strip(y) : null;
    if (!c || xs?.type !== 'identifier' || ys?.type !== 'identifier') return null;
    const names = [this.raw(xs), this.raw(ys)];
    if (names.some((m) => this.isLocal(m))) return null;
    const tmp = `$t${++this.temps}`;
    const bx = this.b.newBlock();
    const by = this.b.newBlock();
    const join = this.b.newBlock();
    this.cond(c, bx, by, 'ternary');
    for (const [block, name] of [
      [bx, names[0]!],
      [by, names[1]!],
    ] as const) {
      this.b.cur = block;
      const v = this.lowerKind(classifyCall(name, this.u.sem, this.u.calledInUnit, this.u.definedInUnit), n, args, { ...ctx, used: true });
      this.emit({ kind: 'assign', target: tmp, value: v, ...this.at(n) });
      this.b.fallInto(join, null);
    }
    return { k: 'var', name: tmp };
  }

  private lowerKind(kind: CallKind, n: SNode, args: SNode[], ctx: ValueCtx): Expr {
    const src = this.u.src;
    switch (kind.k) {
      case 'builtin':
        return this.builtin(kind.name, n, args, ctx);
      case 'bug-on': {
        const c = args[kind.arg];
        if (!c) return { k: 'unknown', text: this.text(n) };
        const dead = this.b.newBlock();
        const cont = this.b.newBlock();
        this.cond(c, dead, cont, 'if');
        this.b.setTerm(dead, { k: 'noreturn', why: `${kind.name}()`, line: this.lineOfRow(n.row) });
        this.b.cur = cont;
        return { k: 'unknown', text: this.text(n) };
      }
      case 'compile-time':
        return { k: 'unknown', text: this.text(n) };
      case 'pure': {
        for (const a of args) this.value(a, { used: true, arg: true });
        return { k: 'unknown', text: this.text(n) };
      }
      case 'rule-pair':
      case 'name-pair': {
        const values = args.map((a) => this.value(a, { used: true, arg: true }));
        let obj: string;
        let member = false;
        if (kind.k === 'rule-pair' && kind.obj === 'return') obj = ctx.target ?? normalize(n, src);
        else {
          const i = kind.k === 'rule-pair' ? (kind.obj as number) : this.pairArgument(kind.name, args);
          obj = args[i] ? dataObject(args[i], src) : (ctx.target ?? '');
          member = !!args[i] && isMemberAddress(args[i]!, src);
        }
        if (!obj) return this.plainCall(n, kind.name, false, args, ctx, values);
        const id = ctx.used ? this.result() : undefined;
        this.emit({
          kind: 'ref',
          action: kind.action,
          obj,
          pair: kind.pair,
          source: kind.k === 'rule-pair' ? 'rule' : 'name',
          primitive: kind.name,
          ...(id ? { result: id } : {}),
          ...(member ? { member } : {}),
          ...this.at(n),
        });
        return id ? { k: 'result', id } : { k: 'unknown', text: this.text(n) };
      }
      case 'primitive':
        return this.primitive(kind.name, kind.p, n, args, ctx);
      case 'call':
        return this.plainCall(n, kind.name, false, args, ctx);
    }
  }

  private builtin(name: string, n: SNode, args: SNode[], ctx: ValueCtx): Expr {
    const a0 = args[0];
    switch (name) {
      case '__kreview_gap': {
        const id = a0 ? Number.parseInt(this.raw(a0), 10) : NaN;
        this.emit({ kind: 'gap', id: Number.isFinite(id) ? id : -1, ...this.at(n, '...') });
        return { k: 'unknown', text: '...' };
      }
      case '__kreview_opaque': {
        const id = a0 ? Number.parseInt(this.raw(a0), 10) : NaN;
        return { k: 'opaque', id: Number.isFinite(id) ? id : -1 };
      }
      case '__kreview_unknown_end':
        this.b.terminate({ k: 'unknown-exit', line: this.lineOfRow(n.row) });
        return { k: 'unknown', text: '...' };
      case 'IS_ERR':
      case 'IS_ERR_OR_NULL':
        return { k: 'is_err', e: a0 ? this.value(a0, { used: true }) : { k: 'unknown', text: '?' }, orNull: name === 'IS_ERR_OR_NULL' };
      case 'ERR_PTR':
        return { k: 'errptr', arg: a0 ? this.value(a0, { used: true }) : { k: 'unknown', text: '?' } };
      case 'PTR_ERR':
        // Only meaningful on an error pointer: a negative errno named by its source.
        if (a0) this.value(a0, { used: true });
        return { k: 'errno', name: `PTR_ERR(${a0 ? normalize(a0, this.u.src) : ''})` };
      case 'ERR_CAST':
        return a0 ? this.value(a0, ctx) : { k: 'unknown', text: this.text(n) };
      case 'no_free_ptr':
      case 'return_ptr': {
        // Ownership leaves the __free() variable: it is NULL afterwards, its cleanup does nothing.
        let v: Expr = a0 ? this.value(a0, { used: true }) : { k: 'unknown', text: '?' };
        if (a0 && strip(a0).type === 'identifier') {
          const tmp = `$t${++this.temps}`;
          this.emit({ kind: 'assign', target: tmp, value: v, ...this.at(n) });
          this.emit({ kind: 'assign', target: this.raw(strip(a0)), value: { k: 'null' }, ...this.at(n) });
          v = { k: 'var', name: tmp };
        }
        if (name === 'return_ptr') {
          this.leaveScopes(0, n);
          this.b.terminate({ k: 'return', value: v, line: this.lineOfRow(n.row) });
        }
        return v;
      }
    }
    return this.plainCall(n, name, false, args, ctx);
  }

  private lockObjectOf(p: Extract<Primitive, { op: 'acquire' | 'release' }>, args: SNode[], n: SNode): string {
    const src = this.u.src;
    if (p.object) return p.object;
    if (p.bit !== undefined && typeof p.lock === 'number') {
      const word = args[p.lock] ? dataObject(args[p.lock], src) : '?';
      const bit = args[p.bit] ? collapse(this.text(unparen(args[p.bit]!))) : '?';
      return `${word}:${bit}`;
    }
    if (typeof p.lock === 'number') return args[p.lock] ? memberLock(lockObject(args[p.lock], src), p.member) : '?';
    if (p.lock === 'return') return normalize(n, src);
    return '?';
  }

  /** The lock a last-reference drop returns holding (`kref_put_mutex()`): a conditional acquire on the call's value. */
  private lockedOnZero(l: AndLock, name: string, args: SNode[], at: ReturnType<FunctionLowerer['at']>): Expr {
    const a = args[l.lock];
    const flags = l.flags !== undefined && args[l.flags] ? normalize(args[l.flags]!, this.u.src) : undefined;
    const id = this.result();
    this.emit({
      kind: 'acquire',
      obj: a ? lockObject(a, this.u.src) : '?',
      family: l.family,
      mode: 'exclusive',
      irq: l.irq,
      ...(flags ? { flags } : {}),
      try: 'nonzero',
      result: id,
      primitive: name,
      ...at,
    });
    return { k: 'result', id };
  }

  private primitive(name: string, p: Primitive, n: SNode, args: SNode[], ctx: ValueCtx): Expr {
    const src = this.u.src;
    const at = this.at(n);
    const arg = (i: number | undefined): SNode | undefined => (i === undefined ? undefined : args[i]);
    const evalArgs = (skip?: Set<number>): void => {
      for (let i = 0; i < args.length; i++) if (!skip?.has(i)) this.value(args[i]!, { used: true, arg: true });
    };
    switch (p.op) {
      case 'acquire':
      case 'release': {
        evalArgs();
        const obj = this.lockObjectOf(p, args, n);
        const flags = p.flags !== undefined && args[p.flags] ? normalize(args[p.flags], src) : undefined;
        if (p.op === 'release') {
          this.emit({
            kind: 'release',
            obj,
            family: p.family,
            mode: p.mode,
            irq: p.irq,
            ...(flags ? { flags } : {}),
            ...(p.marker ? { marker: true } : {}),
            primitive: name,
            ...at,
          });
          return { k: 'unknown', text: this.text(n) };
        }
        const id = p.try || ctx.used ? this.result() : undefined;
        this.emit({
          kind: 'acquire',
          obj,
          family: p.family,
          mode: p.mode,
          irq: p.irq,
          ...(flags ? { flags } : {}),
          ...(p.try ? { try: p.try } : {}),
          ...(id ? { result: id } : {}),
          ...(p.marker ? { marker: true } : {}),
          primitive: name,
          ...at,
        });
        return id ? { k: 'result', id } : { k: 'unknown', text: this.text(n) };
      }
      case 'flag': {
        evalArgs();
        const w = arg(p.word);
        const b = arg(p.bit);
        const id = ctx.used || p.action.startsWith('test') ? this.result() : undefined;
        this.emit({
          kind: 'flag',
          action: p.action,
          word: w ? dataObject(w, src) : '?',
          bit: b ? collapse(this.text(unparen(b))) : '?',
          atomic: p.atomic,
          ordering: p.ordering,
          ...(id ? { result: id } : {}),
          primitive: name,
          ...at,
        });
        return id ? { k: 'result', id } : { k: 'unknown', text: this.text(n) };
      }
      case 'list': {
        evalArgs();
        const obj = (i: number | 'return' | undefined): string | null => {
          if (i === 'return') return ctx.target ?? null;
          const a = arg(i);
          return a ? dataObject(a, src) : null;
        };
        const id = ctx.used ? this.result() : undefined;
        this.emit({
          kind: 'list',
          action: p.action,
          family: p.family,
          head: obj(p.head),
          node: obj(p.node),
          target: obj(p.target),
          ...(id ? { result: id } : {}),
          primitive: name,
          ...at,
        });
        return id ? { k: 'result', id } : { k: 'unknown', text: this.text(n) };
      }
      case 'atomic': {
        evalArgs();
        const o = arg(p.obj);
        const id = ctx.used && !p.andLock ? this.result() : undefined;
        this.emit({
          kind: 'atomic',
          action: p.action,
          family: p.family,
          obj: o ? dataObject(o, src) : '?',
          ...(id ? { result: id } : {}),
          primitive: name,
          ...at,
        });
        if (p.andLock) return this.lockedOnZero(p.andLock, name, args, at);
        return id ? { k: 'result', id } : { k: 'unknown', text: this.text(n) };
      }
      case 'get':
      case 'put': {
        evalArgs();
        let obj: string;
        let member = false;
        if (p.obj === 'return') obj = ctx.target ?? normalize(n, src);
        else {
          const o = arg(p.obj);
          obj = o ? dataObject(o, src) : (ctx.target ?? '?');
          member = !!o && isMemberAddress(o, src);
        }
        const id = (ctx.used && !p.andLock) || (p.op === 'get' && p.succeeds) ? this.result() : undefined;
        this.emit({
          kind: 'ref',
          action: p.op,
          obj,
          pair: p.pair,
          source: 'primitive',
          ...(id ? { result: id } : {}),
          ...(member ? { member } : {}),
          ...(p.op === 'get' && p.succeeds ? { succeeds: p.succeeds } : {}),
          primitive: name,
          ...at,
        });
        if (p.andLock) return this.lockedOnZero(p.andLock, name, args, at);
        return id ? { k: 'result', id } : { k: 'unknown', text: this.text(n) };
      }
      case 'keep': {
        evalArgs();
        const o = arg(p.obj);
        const id = ctx.used ? this.result() : undefined;
        if (o)
          this.emit({
            kind: 'ref',
            action: 'keep',
            obj: dataObject(o, src),
            pair: '*',
            source: 'primitive',
            ...(id ? { result: id } : {}),
            primitive: name,
            ...at,
          });
        return id ? { k: 'result', id } : { k: 'unknown', text: this.text(n) };
      }
      case 'alloc': {
        evalArgs();
        const g = arg(p.gfp);
        const kept = p.keeps !== undefined ? arg(p.keeps) : undefined;
        if (kept) this.emit({ kind: 'ref', action: 'keep', obj: dataObject(kept, src), pair: '*', source: 'primitive', primitive: name, ...at });
        const id = ctx.used ? this.result() : undefined;
        this.emit({
          kind: 'alloc',
          obj: ctx.target ?? null,
          gfp: g ? collapse(this.text(g)) : null,
          ...(id ? { result: id } : {}),
          ...(p.sleepingNeverFails ? { sleepingNeverFails: true } : {}),
          ...(p.release ? { release: p.release } : {}),
          primitive: name,
          ...at,
        });
        return id ? { k: 'result', id } : { k: 'unknown', text: this.text(n) };
      }
      case 'free': {
        evalArgs();
        const o = arg(p.obj);
        this.emit({ kind: 'free', obj: o ? dataObject(o, src) : '?', primitive: name, ...at });
        return { k: 'unknown', text: this.text(n) };
      }
      case 'access': {
        const o = arg(p.obj);
        const skip = new Set([p.obj]);
        if (p.value !== undefined) skip.add(p.value);
        evalArgs(skip);
        if (!o) return { k: 'unknown', text: this.text(n) };
        const target = strip(o);
        const isAddr = target.type === 'pointer_expression' && operatorOf(target) === '&';
        const inner = isAddr ? strip(field(target, 'argument') ?? target) : target;
        if (isPathNode(inner)) this.addressOf(inner);
        const path = dataObject(inner, src);
        if (p.mode === 'read') {
          this.emit({ kind: 'access', mode: 'read', path, via: p.via, inCondition: this.condDepth > 0, ...(p.protected ? { protected: true } : {}), ...at });
          return isPathNode(inner) || !this.isLocal(path) ? { k: 'path', path } : { k: 'var', name: path };
        }
        const vNode = arg(p.value);
        const v = vNode ? this.value(vNode, { used: true, target: path }) : ({ k: 'unknown', text: '?' } as Expr);
        this.emit({ kind: 'access', mode: 'write', path, via: p.via, inCondition: false, ...at });
        this.emit({ kind: 'assign', target: path, value: v, ...at });
        return { k: 'unknown', text: this.text(n) };
      }
      case 'assert': {
        evalArgs();
        const l = arg(p.lock);
        this.emit({ kind: 'assert', what: p.what, obj: l ? lockObject(l, src) : null, primitive: name, ...at });
        return { k: 'unknown', text: this.text(n) };
      }
      case 'barrier':
        evalArgs();
        this.emit({ kind: 'barrier', barrier: name, ...at });
        return { k: 'unknown', text: this.text(n) };
      case 'noreturn':
        evalArgs();
        this.b.terminate({ k: 'noreturn', why: `${name}()`, line: at.line });
        return { k: 'unknown', text: this.text(n) };
      case 'passthrough': {
        const keep = arg(p.arg);
        return keep ? this.inWrapper(n, () => this.value(keep, ctx)) : { k: 'unknown', text: this.text(n) };
      }
      case 'pure': // classified before reaching here (calls.ts)
        if (!p.compileTime) evalArgs();
        return { k: 'unknown', text: this.text(n) };
      case 'iterate': // a loop macro met as an expression: only its arguments are evaluated
        evalArgs();
        return { k: 'unknown', text: this.text(n) };
    }
  }

  private plainCall(n: SNode, callee: string, indirect: boolean, args: SNode[], ctx: ValueCtx, values?: Expr[]): Expr {
    const src = this.u.src;
    const vals = values ?? args.map((a) => (isTypeArg(a) ? ({ k: 'unknown', text: this.text(a) } as Expr) : this.value(a, { used: true, arg: true })));
    const id = ctx.used ? this.result() : undefined;
    this.emit({
      kind: 'call',
      callee,
      indirect,
      args: vals,
      argText: args.map((a) => (this.u.prep.typeArgs.has(a.start) ? this.text(a) : normalize(a, src))),
      ...(id ? { result: id } : {}),
      ...this.at(n),
    });
    return id ? { k: 'result', id } : { k: 'unknown', text: this.text(n) };
  }
}

// ---- syntax helpers --------------------------------------------------------------------------------

/** `&p->field` / `&p.field`: the address of a member embedded in a structure. */
function isMemberAddress(n: SNode, src: string): boolean {
  const t = normalize(n, src);
  return t.startsWith('&') && /^&\(?[A-Za-z_]\w*(->|\.)/.test(t);
}

function lastChild(n: SNode): SNode {
  return n.children[n.children.length - 1] ?? n;
}

export function callArgs(call: SNode): SNode[] {
  const a = field(call, 'arguments');
  return a ? a.children.filter((c) => c.named && c.type !== 'comment') : [];
}

function unparen(n: SNode): SNode {
  let cur = n;
  while (cur.type === 'parenthesized_expression') {
    const inner = firstNamed(cur);
    if (!inner || inner.type === 'compound_statement') break;
    cur = inner;
  }
  return cur;
}

function isStatement(n: SNode): boolean {
  return n.type.endsWith('_statement') || n.type === 'declaration';
}

export function isPathNode(n: SNode): boolean {
  return n.type === 'field_expression' || n.type === 'subscript_expression' || (n.type === 'pointer_expression' && operatorOf(n) === '*');
}

function isTypeArg(n: SNode): boolean {
  return n.type === 'type_descriptor' || n.type === 'primitive_type' || n.type === 'sized_type_specifier';
}

function isLogic(n0: SNode): boolean {
  const n = unparen(n0);
  if (n.type === 'binary_expression') {
    const op = operatorOf(n);
    return op === '&&' || op === '||';
  }
  if (n.type === 'unary_expression' && operatorOf(n) === '!') return isLogic(field(n, 'argument') ?? n);
  return false;
}

/** Could lowering this expression emit an op (a call, a memory access, an assignment)? */
function mayEmit(n: SNode): boolean {
  switch (n.type) {
    case 'call_expression':
    case 'assignment_expression':
    case 'update_expression':
    case 'field_expression':
    case 'subscript_expression':
    case 'gnu_asm_expression':
      return true;
    case 'pointer_expression':
      if (operatorOf(n) === '*') return true;
      break;
    case 'sizeof_expression':
    case 'alignof_expression':
    case 'offsetof_expression':
      return false;
  }
  for (const ch of n.children) if (ch.named && mayEmit(ch)) return true;
  return false;
}

function isConstTrue(cond: SNode, src: string): boolean {
  const n = unparen(cond);
  const t = src.slice(n.start, n.end).trim();
  return t === 'true' || (n.type === 'number_literal' && Number.parseInt(t, 10) !== 0);
}

function isConstFalse(cond: SNode, src: string): boolean {
  const n = unparen(cond);
  const t = src.slice(n.start, n.end).trim();
  return t === 'false' || (n.type === 'number_literal' && /^0+[uUlL]*$/.test(t));
}

export function numberExpr(s: string): Expr {
  const t = s.replace(/[uUlL]+$/, '');
  let v: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(t)) v = Number.parseInt(t.slice(2), 16);
  else if (/^0[bB][01]+$/.test(t)) v = Number.parseInt(t.slice(2), 2);
  else if (/^0[0-7]+$/.test(t)) v = Number.parseInt(t, 8);
  else if (/^\d+$/.test(t)) v = Number.parseInt(t, 10);
  else return { k: 'const', name: s };
  return Number.isSafeInteger(v) ? { k: 'int', value: v } : { k: 'const', name: s };
}

/** Flag-like constants: MD_DIRTY, BIT(3), 1 << X, 0x10, F1 | F2. */
function isConstLike(n0: SNode, src: string): boolean {
  const n = unparen(n0);
  const t = src.slice(n.start, n.end);
  switch (n.type) {
    case 'identifier':
      return /^[A-Z][A-Z0-9_]*$/.test(t);
    case 'number_literal':
      return true;
    case 'call_expression':
      return /^(BIT|BIT_ULL|BIT_MASK|GENMASK|GENMASK_ULL)\s*\(/.test(t);
    case 'binary_expression': {
      const op = operatorOf(n);
      const l = field(n, 'left');
      const r = field(n, 'right');
      return (op === '|' || op === '<<') && !!l && !!r && isConstLike(l, src) && isConstLike(r, src);
    }
    default:
      return false;
  }
}

/** `F1 | F2` → ['F1', 'F2'] when every part is flag-like. */
function orBits(n0: SNode, src: string): string[] | null {
  const n = unparen(n0);
  if (!isConstLike(n, src)) return null;
  if (n.type === 'binary_expression' && operatorOf(n) === '|') {
    const l = orBits(field(n, 'left')!, src);
    const r = orBits(field(n, 'right')!, src);
    return l && r ? [...l, ...r] : null;
  }
  return [collapse(src.slice(n.start, n.end))];
}

/** `~F` / `~(F1 | F2)` → the bits cleared. */
function clearBits(n0: SNode, src: string): string[] | null {
  const n = unparen(n0);
  if (n.type !== 'unary_expression' || operatorOf(n) !== '~') return null;
  const a = field(n, 'argument');
  return a ? orBits(a, src) : null;
}

/** Label names → their position, for deciding which scopes a goto leaves (only subtrees holding one are walked). */
function collectLabels(body: SNode, src: string): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (n: SNode): void => {
    if (n.type === 'labeled_statement') {
      const l = field(n, 'label');
      if (l) out.set(src.slice(l.start, l.end), n.start);
    }
    for (const ch of n.children) if (ch.holds & HOLDS_LABEL) walk(ch);
  };
  if (body.holds & HOLDS_LABEL) walk(body);
  return out;
}

function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out;
}

/** A small value written as text (the failure action of scoped_cond_guard): -EINTR, 0, ERR_PTR(-E), x. */
export function exprFromText(s: string): Expr {
  const t = s.trim().replace(/;$/, '').trim();
  let m: RegExpExecArray | null;
  if ((m = /^-\s*(E[A-Z0-9]+)$/.exec(t))) return { k: 'errno', name: m[1]! };
  if (/^\d+$/.test(t) || /^0[xX][0-9a-fA-F]+$/.test(t)) return numberExpr(t);
  if (t === 'NULL') return { k: 'null' };
  if (t === 'true' || t === 'false') return { k: 'bool', value: t === 'true' };
  if ((m = /^ERR_PTR\((.*)\)$/.exec(t))) return { k: 'errptr', arg: exprFromText(m[1]!) };
  if (/^[A-Z][A-Z0-9_]*$/.test(t)) return { k: 'const', name: t };
  if (/^[A-Za-z_]\w*$/.test(t)) return { k: 'var', name: t };
  return { k: 'unknown', text: t };
}

/** The declared type text of a declaration (without storage class), from the original text. */
export function typeText(decl: SNode, src: string, prep: Prepared): string {
  const parts: string[] = [];
  for (const ch of decl.children) {
    if (ch.field === 'declarator') break;
    if (ch.type === 'storage_class_specifier' || ch.type === 'attribute_specifier' || ch.type === 'ms_declspec_modifier') continue;
    if (!ch.named && ch.type !== 'const') continue;
    const orig = prep.original.slice(prep.toOriginal(ch.start), prep.toOriginal(ch.end));
    parts.push(collapse(orig || src.slice(ch.start, ch.end)));
  }
  return parts.join(' ');
}

export { dropAddr };

/** `sk` with member `sk_lock.slock` is `&sk->sk_lock.slock`; `&s` is `&s.sk_lock.slock`. */
function memberLock(obj: string, member: string | undefined): string {
  if (!member) return obj;
  if (obj.startsWith('&')) return `${obj}.${member}`;
  return /^[A-Za-z_][\w>.\-[\]]*$/.test(obj) ? `&${obj}->${member}` : `&(${obj})->${member}`;
}

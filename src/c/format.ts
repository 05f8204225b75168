// The readable dump of a function's IR (what `kreview ir` prints): a header saying what is known
// about the function, then each block with its ops (one per line, with real line numbers) and its
// terminator. It is how users and rule writers see what kreview understood.

import type { Block, Expr, FunctionIR, Op, Terminator } from './ir.js';

const PREC: Record<string, number> = {
  '||': 1,
  '&&': 2,
  '|': 3,
  '^': 4,
  '&': 5,
  '==': 6,
  '!=': 6,
  '<': 7,
  '<=': 7,
  '>': 7,
  '>=': 7,
  '<<': 8,
  '>>': 8,
  '+': 9,
  '-': 9,
  '*': 10,
  '/': 10,
  '%': 10,
};

/** C-like text of a symbolic value. */
export function formatExpr(e: Expr, prec = 0): string {
  const paren = (s: string, p: number): string => (p < prec ? `(${s})` : s);
  switch (e.k) {
    case 'var':
      return e.name;
    case 'path':
      return e.path;
    case 'int':
      return String(e.value);
    case 'bool':
      return String(e.value);
    case 'null':
      return 'NULL';
    case 'errno':
      return e.name.startsWith('PTR_ERR(') ? e.name : `-${e.name}`;
    case 'errptr':
      return `ERR_PTR(${formatExpr(e.arg)})`;
    case 'const':
      return e.name;
    case 'str':
      return '"..."';
    case 'result':
      return e.id;
    case 'not':
      return `!${formatExpr(e.e, 11)}`;
    case 'logic':
      return paren(`${formatExpr(e.a, PREC[e.op]!)} ${e.op} ${formatExpr(e.b, PREC[e.op]! + 1)}`, PREC[e.op]!);
    case 'cmp':
      return paren(`${formatExpr(e.a, PREC[e.op]! + 1)} ${e.op} ${formatExpr(e.b, PREC[e.op]! + 1)}`, PREC[e.op]!);
    case 'is_err':
      return `${e.orNull ? 'IS_ERR_OR_NULL' : 'IS_ERR'}(${formatExpr(e.e)})`;
    case 'arith': {
      if (e.b === null) return `${e.op}${formatExpr(e.a, 11)}`;
      const p = PREC[e.op] ?? 9;
      return paren(`${formatExpr(e.a, p)} ${e.op} ${formatExpr(e.b, p + 1)}`, p);
    }
    case 'addr':
      return `&${formatExpr(e.e, 11)}`;
    case 'cond':
      return paren(`${formatExpr(e.c, 1)} ? ${formatExpr(e.t)} : ${formatExpr(e.f)}`, 0.5);
    case 'opaque':
      return `<hidden condition ${e.id}>`;
    case 'unknown':
      return `<${e.text}>`;
  }
}

const res = (r?: string): string => (r ? ` -> ${r}` : '');

/** One op as a line of text (without its line number). */
export function formatOp(op: Op): string {
  switch (op.kind) {
    case 'acquire': {
      const bits = [`acquire ${op.family} ${op.obj}`];
      if (op.mode !== 'exclusive') bits.push(op.mode);
      if (op.irq !== 'none') bits.push(`irq=${op.irq}`);
      if (op.flags) bits.push(`flags=${op.flags}`);
      if (op.try) bits.push(`try(success when ${op.try === 'errno' ? 'zero, else -errno' : op.try})`);
      if (op.scoped) bits.push('scoped');
      return `${bits.join(' ')}${res(op.result)}  [${op.primitive}]`;
    }
    case 'release': {
      const bits = [`release ${op.family} ${op.obj}`];
      if (op.mode !== 'exclusive') bits.push(op.mode);
      if (op.irq !== 'none') bits.push(`irq=${op.irq}`);
      if (op.flags) bits.push(`flags=${op.flags}`);
      if (op.scoped) bits.push('scoped');
      return `${bits.join(' ')}  [${op.primitive}]`;
    }
    case 'flag':
      return `flag ${op.action} ${op.word} ${op.bit}${op.atomic ? '' : ' non-atomic'}${op.ordering !== 'relaxed' ? ` ${op.ordering}` : ''}${res(op.result)}  [${op.primitive}]`;
    case 'list': {
      const parts = [`list ${op.action}`];
      if (op.node) parts.push(`node=${op.node}`);
      if (op.head) parts.push(`head=${op.head}`);
      if (op.target) parts.push(`to=${op.target}`);
      return `${parts.join(' ')}${res(op.result)}  [${op.primitive}]`;
    }
    case 'atomic':
      return `atomic ${op.action} ${op.obj}${res(op.result)}  [${op.primitive}]`;
    case 'ref':
      return `ref ${op.action} ${op.obj} (${op.pair}, ${op.source})${op.succeeds ? ` if ${op.succeeds}` : ''}${res(op.result)}  [${op.primitive}]`;
    case 'alloc':
      return `alloc ${op.obj ?? '(unassigned)'}${op.gfp ? ` gfp=${op.gfp}` : ''}${res(op.result)}  [${op.primitive}]`;
    case 'free':
      return `free ${op.obj}  [${op.primitive}]`;
    case 'call':
      return `call ${op.indirect ? '*' : ''}${op.callee}(${op.argText.join(', ')})${res(op.result)}`;
    case 'access':
      return `${op.mode} ${op.path}${op.via !== 'plain' ? ` via ${op.via}` : ''}${op.inCondition ? ' (condition)' : ''}`;
    case 'assign':
      return `assign ${op.target} = ${formatExpr(op.value)}`;
    case 'assert':
      return `assert ${op.what}${op.obj ? ` ${op.obj}` : ''}  [${op.primitive}]`;
    case 'barrier':
      return `barrier ${op.barrier}`;
    case 'gap':
      return `gap ${op.id}`;
    case 'unknown':
      return `unknown: ${op.reason}`;
  }
}

function formatTerm(t: Terminator): string {
  switch (t.k) {
    case 'jump':
      if (t.why === 'goto') return `-> goto ${t.label ?? ''} B${t.to}`.replace('  ', ' ');
      return t.why === 'fall' ? `-> B${t.to}` : `-> ${t.why} B${t.to}`;
    case 'branch':
      return `-> ${t.why === 'if' ? 'branch' : `branch(${t.why})`} ${formatExpr(t.cond)} ? ${t.gotoT ? `goto ${t.gotoT.label} ` : ''}B${t.t} : ${t.gotoF ? `goto ${t.gotoF.label} ` : ''}B${t.f}`;
    case 'switch':
      return `-> switch ${formatExpr(t.on)}: ${t.cases.map((c) => `${c.match === 'default' ? 'default' : c.match.map((m) => formatExpr(m)).join(', ')} => B${c.to}`).join('; ')}`;
    case 'return':
      return `-> return${t.value ? ` ${formatExpr(t.value)}` : ''}`;
    case 'unknown-exit':
      return '-> ... (continues beyond the visible code)';
    case 'noreturn':
      return `-> noreturn ${t.why}`;
  }
}

function lineCol(line: number | null): string {
  return (line === null ? '-' : String(line)).padStart(6);
}

function gapSpan(fn: FunctionIR, id: number): string {
  const g = fn.meta.gaps.find((x) => x.id === id);
  if (!g || g.fromLine === null) return '';
  return g.toLine !== null && g.toLine !== g.fromLine ? ` (lines ${g.fromLine}-${g.toLine})` : ` (line ${g.fromLine})`;
}

function formatBlock(fn: FunctionIR, b: Block): string[] {
  const tags: string[] = [];
  if (b.id === 0) tags.push('entry');
  if (b.loopHead) tags.push('loop head');
  const out = [`B${b.id}${b.label ? ` [label ${b.label}]` : ''}${tags.length ? ` (${tags.join(', ')})` : ''}`];
  for (const op of b.ops) {
    if (op.kind === 'gap') out.push(`  ${'----'.padStart(6)} gap ${op.id}${gapSpan(fn, op.id)}: code not shown`);
    else out.push(`  ${lineCol(op.line)} ${formatOp(op)}`);
  }
  out.push(`  ${lineCol(b.term.line)} ${formatTerm(b.term)}`);
  return out;
}

/** Readable text of one function's CFG (what `kreview ir` prints). */
export function formatFunctionIR(fn: FunctionIR): string {
  const m = fn.meta;
  const lines: string[] = [];
  const where = [fn.file ?? '<fragment>', fn.side, fn.origin].join(', ');
  const span = fn.startLine !== null ? ` lines ${fn.startLine}-${fn.endLine ?? '?'}` : '';
  lines.push(`function ${fn.name}  (${where})${span}`);
  const ret = fn.returnType || '?';
  const sig = `${fn.isStatic ? 'static ' : ''}${ret}${ret.endsWith('*') ? '' : ' '}${fn.name}(${fn.params.map((p) => (p.type.endsWith('*') ? `${p.type}${p.name}` : `${p.type} ${p.name}`)).join(', ')})`;
  lines.push(`  signature: ${sig}`);
  lines.push(
    `  completeness: ${m.completeness}${m.missing.length ? ` (missing: ${m.missing.join('; ')})` : ''}; entry ${m.entryKnown ? 'known' : 'NOT known'}, exit ${m.exitKnown ? 'known' : 'NOT known'}${m.touched ? '; touched by the patch' : ''}`,
  );
  if (m.preproc.length) lines.push(`  preprocessor: ${m.preproc.map((p) => `${p.line ?? '?'} ${p.directive} -> ${p.taken}`).join('; ')}`);
  if (fn.locals.length) lines.push(`  locals: ${fn.locals.map((l) => `${l.name}: ${l.type}`).join(', ')}`);
  const a = fn.annotations;
  const ann = [
    ...a.acquires.map((x) => `__acquires(${x})`),
    ...a.releases.map((x) => `__releases(${x})`),
    ...a.mustHold.map((x) => `__must_hold(${x})`),
    ...a.condAcquires.map((c) => `__cond_acquires(${c.when === 'zero' ? '0' : 'true'}, ${c.lock})`),
    ...a.mustNotHold.map((x) => `__must_not_hold(${x})`),
    ...a.context.map((c) => `context(${c.lock}, ${c.entry}, ${c.exit})`),
  ];
  if (ann.length) lines.push(`  annotations: ${ann.join(' ')}`);
  if (fn.diagnostics.length) {
    lines.push('  diagnostics:');
    for (const d of fn.diagnostics) lines.push(`    ${d}`);
  }
  for (const b of fn.blocks) lines.push(...formatBlock(fn, b));
  return `${lines.join('\n')}\n`;
}

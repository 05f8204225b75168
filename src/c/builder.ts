// Building a function's control-flow graph: blocks, the current insertion point, terminators,
// and the final clean-up (forwarding blocks folded, blocks renumbered, loop heads marked).

import type { Block, Op, Terminator } from './ir.js';

/** A terminator not yet decided (a block created for a label that was never placed). */
const OPEN: Terminator = { k: 'unknown-exit', line: null };

export class CfgBuilder {
  readonly blocks: Block[] = [];
  /** The block receiving ops, or null after a return/goto/break (unreachable code follows). */
  cur: number | null;
  private readonly open = new Set<number>();
  /** First source row seen in each block: blocks are numbered in source order at the end. */
  private readonly rows: (number | undefined)[] = [];

  constructor() {
    this.cur = this.newBlock();
  }

  newBlock(label?: string): number {
    const id = this.blocks.length;
    const b: Block = { id, ops: [], term: OPEN };
    if (label) b.label = label;
    this.blocks.push(b);
    this.open.add(id);
    return id;
  }

  /** The current block; code after a terminator starts an unreachable block (its ops are kept). */
  here(): number {
    if (this.cur === null) this.cur = this.newBlock();
    return this.cur;
  }

  emit(op: Op): void {
    const id = this.here();
    this.blocks[id]!.ops.push(op);
    this.rows[id] ??= op.row;
  }

  /** Code of `row` is being lowered into the current block. */
  note(row: number): void {
    if (this.cur !== null) this.rows[this.cur] ??= row;
  }

  isOpen(id: number): boolean {
    return this.open.has(id);
  }

  /** End the current block (if reachable code is being built) with `t`. */
  terminate(t: Terminator): void {
    if (this.cur === null) return;
    this.setTerm(this.cur, t);
    this.cur = null;
  }

  setTerm(id: number, t: Terminator): void {
    this.blocks[id]!.term = t;
    this.open.delete(id);
  }

  /** Fall from the current block into `to` and continue there. */
  fallInto(to: number, line: number | null): void {
    if (this.cur !== null) this.terminate({ k: 'jump', to, why: 'fall', line });
    this.cur = to;
  }

  /**
   * Fold empty forwarding blocks, drop unreachable empty ones, renumber, mark loop heads.
   * `closeOpen` decides the terminator of blocks still open (labels never placed).
   */
  finish(closeOpen: (id: number) => Terminator): Block[] {
    for (const id of this.open) this.blocks[id]!.term = closeOpen(id);
    this.open.clear();
    const blocks = this.blocks;
    const n = blocks.length;

    // Forwarding: an unlabelled block with no ops that only jumps on.
    const fwd = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const b = blocks[i]!;
      fwd[i] = i !== 0 && !b.label && b.ops.length === 0 && b.term.k === 'jump' ? b.term.to : i;
    }
    const resolve = (i: number): number => {
      let cur = i;
      for (let steps = 0; fwd[cur] !== cur && steps < n; steps++) cur = fwd[cur]!;
      return fwd[cur] === cur ? cur : i; // a cycle of empty blocks (for(;;);) stays as it is
    };
    // Keep what the entry reaches, and unreachable code that says something (ops or a label)
    // together with what it reaches, so every kept edge has a kept target. Edges are followed
    // through forwarding blocks (terminators are rewritten once, at the end).
    const reach = new Uint8Array(n);
    const stack = [0];
    for (let i = 0; i < n; i++) if (blocks[i]!.ops.length > 0 || blocks[i]!.label) stack.push(i);
    while (stack.length) {
      const i = stack.pop()!;
      if (reach[i]) continue;
      reach[i] = 1;
      for (const s of succ(blocks[i]!.term)) stack.push(resolve(s));
    }
    const keep = blocks.filter((_b, i) => i === 0 || (reach[i] && resolve(i) === i));
    // Source order (entry first): the dump reads like the function.
    const rowOf = (id: number): number => this.rows[id] ?? Number.MAX_SAFE_INTEGER;
    keep.sort((a, b) => (a.id === 0 ? -1 : b.id === 0 ? 1 : rowOf(a.id) - rowOf(b.id) || a.id - b.id));
    const newId = new Int32Array(n).fill(-1);
    keep.forEach((b, i) => {
      newId[b.id] = i;
    });
    /** The new id of the block an edge to `i` lands on. */
    const target = (i: number): number => {
      const r = resolve(i);
      return Math.max(newId[r]!, 0);
    };
    const out: Block[] = keep.map((b, i) => {
      const t = b.term;
      let term: Terminator;
      switch (t.k) {
        case 'jump':
          term = { ...t, to: target(t.to) };
          break;
        case 'branch': {
          term = { ...t, t: target(t.t), f: target(t.f) };
          const gt = gotoOf(blocks[t.t]!);
          const gf = gotoOf(blocks[t.f]!);
          if (gt) term.gotoT = gt;
          if (gf) term.gotoF = gf;
          break;
        }
        case 'switch':
          term = { ...t, cases: mergeCases(t.cases.map((c) => ({ ...c, to: target(c.to) }))) };
          break;
        default:
          term = t;
      }
      const nb: Block = { id: i, ops: b.ops, term };
      if (b.label) nb.label = b.label;
      return nb;
    });
    markLoopHeads(out);
    return out;
  }
}

/** A forwarding block that is a `goto label;`: what the branch into it folds away. */
function gotoOf(b: Block): { label: string; line: number | null } | undefined {
  const t = b.term;
  return !b.label && b.ops.length === 0 && t.k === 'jump' && t.why === 'goto' && t.label ? { label: t.label, line: t.line } : undefined;
}

export function succ(t: Terminator): number[] {
  switch (t.k) {
    case 'jump':
      return [t.to];
    case 'branch':
      return [t.t, t.f];
    case 'switch':
      return t.cases.map((c) => c.to);
    default:
      return [];
  }
}

/** Cases with one target become one case (`case A: case B:` fall-through of empty labels). */
function mergeCases(cases: Extract<Terminator, { k: 'switch' }>['cases']): Extract<Terminator, { k: 'switch' }>['cases'] {
  const out: typeof cases = [];
  for (const c of cases) {
    const same = c.match !== 'default' ? out.find((o) => o.to === c.to && o.match !== 'default') : undefined;
    if (same && same.match !== 'default' && c.match !== 'default') same.match = [...same.match, ...c.match];
    else out.push({ ...c });
  }
  return out;
}

/** A block is a loop head when an edge reaches it from a block below it on the DFS stack. */
function markLoopHeads(blocks: Block[]): void {
  if (!blocks.length) return;
  const state = new Uint8Array(blocks.length); // 0 new, 1 on stack, 2 done
  const stack: [number, number][] = [[0, 0]];
  state[0] = 1;
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const ss = succ(blocks[top[0]]!.term);
    if (top[1] < ss.length) {
      const s = ss[top[1]++]!;
      if (s >= blocks.length) continue;
      if (state[s] === 1) blocks[s]!.loopHead = true;
      else if (state[s] === 0) {
        state[s] = 1;
        stack.push([s, 0]);
      }
    } else {
      state[top[0]] = 2;
      stack.pop();
    }
  }
}

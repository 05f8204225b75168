// The flag domain: the bits this path set in shared words (busy bits, state flags) and has not
// cleared, and the ones it set and cleared again. Transfer for set/clear/test-and-set ops, flags a
// callee's summary clears, and bits handed to deferred work with the object they are in.

import type { Op } from '../../c/ir.js';
import { rootOf } from '../objects.js';
import { addTrace, sortedParts, type State } from '../state.js';
import { firesZero, type Summary } from '../summary.js';
import { bitKey } from '../values.js';
import type { CallOp, WalkContext } from './walk.js';

export interface SetFlag {
  key: string; // word:bit
  line: number | null;
  gapSince: boolean;
}

export interface FlagState {
  flags: Map<string, SetFlag>; // flags this function set (by us) and has not cleared
}

export type FlagEvent = { k: 'flag-set'; line: number | null; key: string } | { k: 'flag-cleared'; line: number | null; key: string }; // a flag this path had set, cleared again

/** Prefix of a flag key in State.flags for a flag this path set and then cleared again. */
export const CYCLED = '~';

export class Flags {
  constructor(private readonly cx: WalkContext) {}

  flagOp(s: State, op: Extract<Op, { kind: 'flag' }>): void {
    const key = `${op.word}:${op.bit}`;
    const text = op.text ?? op.primitive;
    switch (op.action) {
      case 'set':
        this.set(s, key, op.line, text);
        break;
      case 'test-set':
        // Set by us only where the old value was 0.
        this.cx.pend(s, op.result, { fires: firesZero, op, line: op.line });
        break;
      case 'clear':
      case 'test-clear':
        this.clear(s, key, op.line, text, `clears ${op.bit}`);
        break;
      case 'test':
        if (op.result && s.flags.has(key)) s.rfacts.set(op.result, { t: 'nonzero' });
        else if (op.result) testAgain(s, op.word, op.bit, op.result);
        break;
      default:
        break;
    }
    // What the bit is after the op, for the tests that follow.
    const after = op.action === 'set' || op.action === 'test-set' ? true : op.action === 'clear' || op.action === 'test-clear' ? false : undefined;
    const k = op.action === 'test' ? null : bitKey(op.word, op.bit);
    if (k && after !== undefined) s.facts.set(k, after ? { t: 'nonzero' } : { t: 'zero' });
    else if (k) s.facts.delete(k);
  }

  set(s: State, key: string, line: number | null, text: string): void {
    s.flags.set(key, { key, line, gapSince: false });
    s.flags.delete(`${CYCLED}${key}`);
    this.cx.emit({ k: 'flag-set', line, key }, `flag:${key}:${line}`);
    addTrace(s, line, text, `sets ${key.replace(':', ' bit ')}`);
  }

  /** A flag this path set, cleared again: remembered (as `~key`) so exits can tell "set, then cleared" from "never set". */
  clear(s: State, key: string, line: number | null, text: string, note: string): void {
    const f = s.flags.get(key);
    if (!f) return;
    s.flags.delete(key);
    s.flags.set(`${CYCLED}${key}`, { ...f, line });
    addTrace(s, line, text, note);
    this.cx.emit({ k: 'flag-cleared', line, key }, `fclr:${key}`);
  }

  /** Flags the callee clears (a completion helper clearing the caller's busy bit). */
  callee(s: State, op: CallOp, sum: Summary, text: string): void {
    for (const k of sum.flagClears) {
      const at = k.lastIndexOf(':');
      const word = this.cx.mapArgs(sum, op, k.slice(0, at));
      if (word) this.clear(s, `${word}:${k.slice(at + 1)}`, op.line, text, `clears ${k.slice(at + 1)} inside ${op.callee}()`);
    }
  }

  /** The busy bits set in objects queued to deferred work are that work's to clear. */
  defer(s: State, roots: Set<string>, line: number | null, text: string): void {
    for (const key of [...s.flags.keys()]) {
      const root = rootOf(key.slice(0, key.lastIndexOf(':')));
      if (!root || !roots.has(root)) continue;
      s.flags.delete(key);
      addTrace(s, line, text, `hands ${key.slice(key.lastIndexOf(':') + 1)} to the deferred work`);
    }
  }

  /** The object is freed: the bits set in it went with it, nobody can see them left set. */
  freed(s: State, obj: string): void {
    for (const key of [...s.flags.keys()]) {
      const word = key.slice(key.startsWith(CYCLED) ? 1 : 0, key.lastIndexOf(':'));
      if (rootOf(word) === obj) s.flags.delete(key);
    }
  }

  gap(s: FlagState): void {
    for (const [k, f] of s.flags) if (!f.gapSince) s.flags.set(k, { ...f, gapSince: true });
  }
}

/**
 * A test of a bit the path tested before, with nothing changing the word in between
 * (`if (!(s->state & REPLAY)) down_read(..); ...; if (!(s->state & REPLAY)) up_read(..)`): it
 * gives the same answer, so the second branch follows the first.
 */
function testAgain(s: State, word: string, bit: string, result: string): void {
  const k = bitKey(word, bit);
  if (!k) return;
  const f = s.facts.get(k);
  const known = f?.t === 'result' ? s.rfacts.get(f.id) : f;
  if (known) s.rfacts.set(result, known);
  else s.facts.set(k, { t: 'result', id: result });
}

export function flagKeyParts(s: FlagState, out: string[]): void {
  sortedParts(s.flags, (k, f) => `F${k}/${f.gapSince ? 'g' : ''}`, out);
}

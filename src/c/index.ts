// C front end entry point. (Placeholder signature: implemented by the front-end work.)
import type { Semantics } from '../semantics/index.js';
import type { CUnit } from '../source/types.js';
import type { FunctionIR } from './ir.js';

export type { FunctionIR } from './ir.js';

/** Parse a unit and lower every function definition in it to IR on a CFG. */
export async function lowerUnit(_unit: CUnit, _sem: Semantics): Promise<FunctionIR[]> {
  throw new Error('C front end not implemented yet');
}

/** Readable text of one function's CFG (what `kreview ir` prints). */
export function formatFunctionIR(_fn: FunctionIR): string {
  throw new Error('IR printing not implemented yet');
}

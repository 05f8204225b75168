// Source stage entry point. (Placeholder signature: implemented by the source work.)
import type { Patch, FilePatch } from '../patch/types.js';
import type { CUnit } from './types.js';

export type { CUnit, FunctionMeta } from './types.js';

export interface SourceOptions {
  tree?: string; // a kernel git checkout or bare git dir
}

/** The images of one file of one patch. */
export interface FileImages {
  patch: Patch;
  file: FilePatch;
  path: string | null;
  pre: CUnit | null; // null when the file is new (or nothing of it is visible)
  post: CUnit | null; // null when the file is deleted
  /** How the images were made, and anything that went wrong ("does not apply at hunk 2; hunk mode"). */
  notes: string[];
  /** Names of the functions the patch touches in this file (either side). */
  functions: string[];
}

/** Images for every C file of every patch; patches of one series are applied in the order given. */
export async function buildImages(_patches: Patch[], _opts: SourceOptions = {}): Promise<FileImages[]> {
  throw new Error('source images not implemented yet');
}

/** A whole C file as a unit (kreview check). */
export async function wholeFileUnit(_path: string, _text: string): Promise<CUnit> {
  throw new Error('whole-file units not implemented yet');
}

// The tree-sitter tree copied once into plain JS objects. Walking wasm nodes costs a boundary
// crossing per property; one cursor pass here makes every later look-up a plain field read.

import nodeTypes from 'tree-sitter-c/src/node-types.json' with { type: 'json' };
import { walkTreeOf, type Tree } from './parser.js';
import type { Walk } from './cursor.js';

export interface SNode {
  type: string; // tree-sitter node type ('if_statement', 'identifier', '(' ...)
  field: string | null; // field name in the parent ('condition', 'body' ...)
  named: boolean;
  missing: boolean; // inserted by the parser's error recovery
  start: number; // index in the parsed text
  end: number;
  row: number; // 0-based start row
  endRow: number;
  children: SNode[];
  /** HOLDS_* bits: what the node and the subtree copied below it contain. */
  holds: number;
}

/** Set on a subtree holding an ERROR node or a node the parser inserted (missing). */
export const HOLDS_ERROR = 1;
/** Set on a subtree holding a labeled statement. */
export const HOLDS_LABEL = 2;

/** Subtrees the front end never looks into (it slices their text), and named tokens. */
const LEAVES = new Set([
  'string_literal',
  'char_literal',
  'comment',
  'number_literal',
  'system_lib_string',
  'identifier',
  'field_identifier',
  'type_identifier',
  'statement_identifier',
  'primitive_type',
  'string_content',
  'escape_sequence',
  'true',
  'false',
  'null',
]);

/** Tokens not copied: they only delimit. (`}` is kept: the end of a scope is a place.) */
const DROPPED = new Set(['(', ')', ';', ',', '{', '[', ']', ':', '"', "'"]);

/**
 * Node types whose children never carry a field (`compound_statement`, `argument_list` ...), from
 * the grammar's own node-types.json: their children's field is not asked. ERROR is not listed.
 */
const FIELDLESS = new Set(
  (nodeTypes as { type: string; named: boolean; fields?: Record<string, unknown> }[])
    .filter((t) => t.named && Object.keys(t.fields ?? {}).length === 0)
    .map((t) => t.type),
);

/** Named tokens spelt as identifiers (keywords such as `int` or `NULL` are lexed as one). */
const WORDS = new Set(['identifier', 'field_identifier', 'type_identifier', 'statement_identifier', 'primitive_type', 'true', 'false', 'null']);

/** What the copy needs to know of a node type: asked of the grammar once per type id. */
interface TypeInfo {
  type: string;
  named: boolean;
  /** Its children are copied (a named node that is not a leaf). */
  descend: boolean;
  /** A delimiter, dropped unless it has a field or was inserted by the parser. */
  delimiter: boolean;
  /** Its children have no field. */
  fieldless: boolean;
  /** A preprocessor line: it may end past its last child (a newline token that is not a node). */
  endsPastChildren: boolean;
  /** A word token: it ends where the identifier characters do. */
  word: boolean;
  /** An anonymous token whose text is its type (not the `#if` family, which allows blanks). */
  literal: boolean;
  /** Bits it sets in `holds` by itself. */
  holds: number;
}

const typeInfos: (TypeInfo | undefined)[] = [];
const fieldNames: (string | null)[] = [];

function typeInfo(tree: Tree, c: Walk, tid: number): TypeInfo {
  let t = typeInfos[tid];
  if (t) return t;
  const type = tree.language.types[tid] ?? 'ERROR'; // as TreeCursor.nodeType says
  const named = c.nodeIsNamed();
  t = {
    type,
    named,
    descend: named && !LEAVES.has(type),
    delimiter: !named && DROPPED.has(type),
    fieldless: FIELDLESS.has(type),
    endsPastChildren: type.startsWith('preproc_'),
    word: named && WORDS.has(type),
    literal: !named && type.charCodeAt(0) !== 35,
    holds: type === 'ERROR' ? HOLDS_ERROR : type === 'labeled_statement' ? HOLDS_LABEL : 0,
  };
  typeInfos[tid] = t;
  return t;
}

/** Leaves share one empty child list (nothing adds to a copied node's children). */
const NO_CHILDREN = Object.freeze([]) as unknown as SNode[];

function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36;
}

/**
 * Where the token after `i` starts: past blanks and backslash-newlines (the grammar's extras,
 * comments aside, which are nodes), or -1 at a character only the parser can judge (non-ASCII,
 * other control characters).
 */
function nextTokenStart(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 32 || (c >= 9 && c <= 13)) i++;
    else if (c === 92 /* backslash */ && text.charCodeAt(i + 1) === 10) i += 2;
    else if (c === 92 && text.charCodeAt(i + 1) === 13 && text.charCodeAt(i + 2) === 10) i += 3;
    else return c < 32 || c >= 127 ? -1 : i;
  }
}

/**
 * Where a token of an error-free tree ends, read off the text when its kind fixes its spelling:
 * a literal token is its type (`->`, `if`), a word runs over ASCII word characters. -1 when the
 * text must be asked (anything else, non-ASCII).
 */
function tokenEnd(t: TypeInfo, text: string, start: number): number {
  if (t.literal) return text.startsWith(t.type, start) ? start + t.type.length : -1;
  if (!t.word || !isWordChar(text.charCodeAt(start))) return -1;
  let j = start + 1;
  while (j < text.length && isWordChar(text.charCodeAt(j))) j++;
  const next = text.charCodeAt(j);
  return next >= 128 || next === 92 /* \uXXXX in a name */ ? -1 : j;
}

/**
 * Copy a tree parsed from `text`; `shift` moves indices and rows (a piece of text parsed on its own).
 * Every cursor property is a call into wasm, so as little as possible is asked per node: the
 * type and field by id (names come from caches); positions only of leaves (a node spans exactly
 * its first to its last child, so inner nodes take theirs from their children), and in
 * error-free parts only where a token starts (its end follows from its spelling); "missing" only
 * in parts with errors, for zero-width nodes and for delimiters (copied only when the parser
 * inserted them); rows from the text; tokens are not descended.
 */
export function toSyntax(tree: Tree, text: string, shift: { index: number; row: number } = { index: 0, row: 0 }): SNode {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  let lastRow = 0;
  const rowOf = (index: number): number => {
    // Indices arrive nearly in order: walk from the last answer.
    let r = lastRow;
    while (r + 1 < starts.length && starts[r + 1]! <= index) r++;
    while (r > 0 && starts[r]! > index) r--;
    lastRow = r;
    return r;
  };
  // Error-free (no ERROR, no missing node): for the whole tree, else for each top-level item.
  const treeClean = !tree.rootNode.hasError;
  let clean = treeClean;
  const c = walkTreeOf(tree);
  /** Inner nodes being filled, outermost first (and their types); stack[open..] have not met their first token yet. */
  const stack: SNode[] = [];
  const kinds: TypeInfo[] = [];
  /** The children copied so far of every node on the stack: kids[kidsFrom[i]..nKids) are stack[i]'s (if it is the top). */
  const kids: SNode[] = [];
  const kidsFrom: number[] = [];
  let nKids = 0;
  let open = 0;
  /** End of the last node finished at the cursor's level; -1 for a dropped delimiter (not asked). */
  let lastEnd = -1;
  /** End of the last token met in an error-free part; -1 when not known. */
  let prevEnd = -1;
  let root: SNode | null = null;

  /** A leaf (a token, or a subtree not descended) into the node being filled. */
  const place = (t: TypeInfo, fieldName: string | null, start: number, end: number, missing: boolean): void => {
    const row = rowOf(start);
    const n: SNode = {
      type: t.type,
      field: fieldName,
      named: t.named,
      missing,
      start: start + shift.index,
      end: end + shift.index,
      row: row + shift.row,
      endRow: (end === start ? row : rowOf(end)) + shift.row,
      children: NO_CHILDREN,
      holds: missing ? HOLDS_ERROR | t.holds : t.holds,
    };
    const parent = stack[stack.length - 1];
    if (parent) {
      kids[nKids++] = n;
      parent.holds |= n.holds;
    } else root = n;
  };
  /** A token (or a subtree not descended) starts at `start`: so do the inner nodes just opened. */
  const firstToken = (start: number): void => {
    if (open === stack.length) return;
    const row = rowOf(start) + shift.row;
    for (let i = open; i < stack.length; i++) {
      stack[i]!.start = start + shift.index;
      stack[i]!.row = row;
    }
    open = stack.length;
  };

  for (;;) {
    const t = typeInfo(tree, c, c.nodeTypeId());
    const parent = stack[stack.length - 1];
    let fieldName: string | null = null;
    const fid = parent && !kinds[kinds.length - 1]!.fieldless ? c.currentFieldId() : 0;
    if (fid) {
      fieldName = fieldNames[fid] ?? null;
      if (fieldNames[fid] === undefined) {
        fieldName = tree.language.fields[fid] as string | null; // what TreeCursor.currentFieldName says
        fieldNames[fid] = fieldName;
      }
    }
    if (stack.length === 1 && !treeClean) clean = !c.hasError();
    // The root and preprocessor lines may end past their last child (the end of input is a child
    // of the root's own): their end is asked.
    const ownEnd = !parent || t.endsPastChildren ? c.endIndex() : -1;
    if (t.descend && c.gotoFirstChild()) {
      // Positions are filled in from the children (first token, last child).
      const n: SNode = {
        type: t.type,
        field: fieldName,
        named: true,
        missing: false,
        start: -1,
        end: ownEnd,
        row: -1,
        endRow: -1,
        children: NO_CHILDREN,
        holds: t.holds,
      };
      if (parent) kids[nKids++] = n;
      else root = n;
      stack.push(n);
      kinds.push(t);
      kidsFrom.push(nKids);
      continue;
    }
    const delimiter = t.delimiter && !fieldName;
    if (clean) {
      // No missing nodes here; the token is found in the text after the previous one.
      // (A node of a kind that has children but has none here says where it is itself.)
      let start = prevEnd >= 0 && !t.descend ? nextTokenStart(text, prevEnd) : -1;
      let end = start < 0 ? -1 : ownEnd >= 0 ? ownEnd : tokenEnd(t, text, start);
      if (start < 0 || (end < 0 && (t.literal || t.word))) {
        start = c.startIndex(); // not where the text says (or not known): asked
        end = ownEnd >= 0 ? ownEnd : tokenEnd(t, text, start);
      }
      if (end < 0) end = c.endIndex();
      firstToken(start);
      if (!delimiter) place(t, fieldName, start, end, false);
      lastEnd = prevEnd = end;
    } else if (delimiter && !c.nodeIsMissing()) {
      if (open < stack.length) firstToken(c.startIndex());
      lastEnd = prevEnd = -1; // the end is asked only if it ends what holds it
    } else {
      const start = c.startIndex();
      const end = ownEnd >= 0 ? ownEnd : c.endIndex();
      // Delimiters are copied only when the parser inserted them (missing, so zero-width).
      const missing = start === end && (delimiter || c.nodeIsMissing());
      firstToken(start);
      if (!delimiter || missing) place(t, fieldName, start, end, missing);
      lastEnd = end;
      prevEnd = -1;
    }
    // Next: the sibling, else close inner nodes (the cursor is still on their last child) until one has a sibling.
    let moved = c.gotoNextSibling();
    while (!moved) {
      const n = stack.pop();
      if (!n) break;
      kinds.pop();
      // Its children, in a list of their own size (a list grown by push keeps room for 17).
      const from = kidsFrom.pop()!;
      n.children = kids.slice(from, nKids);
      nKids = from;
      if (open > stack.length) open = stack.length;
      if (n.end >= 0) lastEnd = n.end;
      else if (lastEnd < 0) lastEnd = c.endIndex();
      n.end = lastEnd + shift.index;
      n.endRow = rowOf(lastEnd) + shift.row;
      c.gotoParent();
      if (n.start === n.end && !clean && c.nodeIsMissing()) {
        n.missing = true;
        n.holds |= HOLDS_ERROR;
      }
      const up = stack[stack.length - 1];
      if (up) up.holds |= n.holds;
      moved = stack.length > 0 && c.gotoNextSibling();
    }
    if (!moved) break;
  }
  c.delete();
  return root!;
}

/** The first named child (comments aside), without building the list `named` does. */
export function firstNamed(n: SNode): SNode | undefined {
  for (const ch of n.children) if (ch.named && ch.type !== 'comment') return ch;
  return undefined;
}

export function field(n: SNode, name: string): SNode | undefined {
  for (const ch of n.children) if (ch.field === name) return ch;
  return undefined;
}

export function fields(n: SNode, name: string): SNode[] {
  return n.children.filter((ch) => ch.field === name);
}

export function named(n: SNode): SNode[] {
  return n.children.filter((ch) => ch.named && ch.type !== 'comment');
}

/** The operator token of a binary/unary/assignment/update expression. */
export function operatorOf(n: SNode): string {
  const op = field(n, 'operator');
  return op ? op.type : '';
}

/** Does the subtree contain a parse error or a parser-inserted token? */
export function hasError(n: SNode): boolean {
  if (n.type === 'ERROR' || n.missing) return true;
  for (const ch of n.children) if (hasError(ch)) return true;
  return false;
}

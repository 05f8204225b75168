// Guards a struct's comments declare, in the shapes kernel code writes them:
//   unsigned long hits;	/* protected by ->lock */
//   /* Protected by @lock: */            (a group of members, up to a blank line)
//   spinlock_t lock;	/* protects hits, misses */
//   /** @hits: hit count, protected by @lock */   (kernel-doc before the struct)
// Comments go stale and hedge ("protected by ->lock or RCU", "writes protected by..."), so only a
// clause that names a lock member of the same struct and says nothing else counts; anything else
// is left to the lock-set inference.

import type { VarInfo } from './ir.js';

/** Member types that are locks a comment can name. */
const LOCK_TYPE = /^(?:(?:raw_)?spinlock_t|rwlock_t|seqlock_t|struct (?:mutex|rw_semaphore|semaphore|rt_mutex|ww_mutex))$/;

/** "protected by ->lock", "guarded by @lock", "serialized by dev->lock", then the end of the clause. */
const BY =
  /\b(?:protected|guarded|serialized|serialised|covered)\s+by\s+(?:the\s+)?([@&]?(?:[A-Za-z_]\w*(?:->|\.))*(?:->)?[A-Za-z_]\w*)(?:\s+(?:spin)?lock|\s+mutex|\s+semaphore)?\s*(?:$|[.;:)]|\*\/)/i;
/** "protects a, b and c" / "lock: protects a" */
const PROTECTS = /^(?:[A-Za-z_]\w*\s*:\s*)?protects\s+(.+)$/i;

/** The text of comments in a stretch of source, one string per comment, markers removed. */
export function commentsIn(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/\/\*([\s\S]*?)\*\/|\/\/([^\n]*)/g)) {
    const body = (m[1] ?? m[2] ?? '')
      .split('\n')
      .map((l) => l.replace(/^\s*\*+\s?/, '').trim())
      .join(' ')
      .trim();
    if (body) out.push(body);
  }
  return out;
}

/** The lock member a "protected by X" clause names, when it is one of `locks` and the clause says nothing more. */
function lockNamed(comment: string, locks: Set<string>): string | null {
  const m = BY.exec(comment);
  if (!m) return null;
  // A hedge anywhere in the comment (another lock, RCU, one direction only) leaves the guard unsaid.
  if (/\b(?:or|rcu|read|reads|write|writes|atomic|lockless|except|unless|when|while|during|until|some|partly|partially|not)\b/i.test(comment)) return null;
  const name = m[1]!.replace(/^[@&]/, '').split(/->|\./).pop()!;
  return locks.has(name) ? name : null;
}

/** Member names a "protects a, b and c" comment on a lock lists, when every one is a member. */
function protectedList(comment: string, members: Set<string>): string[] {
  const m = PROTECTS.exec(comment.trim());
  if (!m) return [];
  const names = m[1]!
    .replace(/\.$/, '')
    .split(/\s*(?:,|\band\b|&)\s*/)
    .map((s) => s.trim().replace(/^(?:->|@|\.)/, ''))
    .filter(Boolean);
  return names.length && names.every((n) => members.has(n)) ? names : [];
}

/** kernel-doc member descriptions: `@name: text` up to the next `@member:` line or a blank line. */
function docMembers(doc: string | null): [string, string][] {
  if (!doc) return [];
  const out: [string, string][] = [];
  let cur: [string, string] | null = null;
  for (const raw of doc.split('\n')) {
    const line = raw.replace(/^\s*\*+\s?/, '').trim();
    const m = /^@([A-Za-z_]\w*)\s*:\s*(.*)$/.exec(line);
    if (m) out.push((cur = [m[1]!, m[2]!]));
    else if (!line) cur = null;
    else if (cur) cur[1] += ` ${line}`;
  }
  return out;
}

export interface FieldText {
  field: VarInfo;
  /** Source between the previous member (or the struct's `{`) and this one. */
  before: string;
  /** The rest of the member's last line. */
  after: string;
}

/**
 * Set `guardedBy`/`guardComment` on the members the comments of one struct body guard. `doc` is
 * the struct's kernel-doc comment, if any. Members already annotated in code keep their annotation.
 */
export function applyGuardComments(fields: FieldText[], doc: string | null): void {
  const members = new Set(fields.map((f) => f.field.name));
  const locks = new Set(fields.filter((f) => LOCK_TYPE.test(f.field.type.replace(/\s+/g, ' ').trim())).map((f) => f.field.name));
  if (!locks.size) return;
  const guard = (f: VarInfo, lock: string, said: string): void => {
    if (f.guardedBy || f.rcu || locks.has(f.name) || f.name === lock) return;
    f.guardedBy = lock;
    f.guardComment = said;
  };
  const byName = new Map(fields.map((f) => [f.field.name, f.field]));
  // kernel-doc: "@hits: ... protected by @lock".
  for (const [name, text] of docMembers(doc)) {
    const f = byName.get(name);
    const lock = f ? lockNamed(text, locks) : null;
    if (f && lock) guard(f, lock, text);
  }
  let group: { lock: string; said: string } | null = null;
  for (const { field, before, after } of fields) {
    const lead = commentsIn(before);
    // A blank line or a comment that says something else ends a group comment's reach.
    if (/\n[ \t]*\n/.test(before) || lead.length) group = null;
    const leadLock = lead.length ? lockNamed(lead[lead.length - 1]!, locks) : null;
    if (leadLock) group = { lock: leadLock, said: lead[lead.length - 1]! };
    const trail = commentsIn(after);
    const trailLock = trail.length ? lockNamed(trail[0]!, locks) : null;
    if (trailLock) guard(field, trailLock, trail[0]!);
    else if (group) guard(field, group.lock, group.said);
    // On a lock: "protects a, b" (trailing, or the comment just above it).
    if (locks.has(field.name)) for (const c of [...trail, ...lead.slice(-1)]) for (const n of protectedList(c, members)) guard(byName.get(n)!, field.name, c);
  }
}

// What a rule is, and how a check reports through it (ESLint's `meta` + `context.report()`): the
// declaration owns the rule id, the default severity and the message templates; a check names a
// message and gives its data. The registry (registry.ts) lists every declaration.

import type { RawFinding } from './check.js';
import { judged, type Basis } from './confidence.js';
import type { Severity } from './types.js';

/** path: one function's paths (engine); race: lock state across functions; model: a subsystem model's interleavings. */
export type RuleKind = 'path' | 'race' | 'model';

/** A message template: `{{name}}` is replaced by the data of that name; a message may sit below the rule's severity. */
export type RuleMessage = string | { text: string; severity: Severity };

export interface RuleDeclaration {
  id: string;
  /** The level a finding of this rule has when the evidence is complete; findings may be lower, never higher. */
  severity: Severity;
  kind: RuleKind;
  /** One line: what is wrong. */
  summary: string;
  /** What the rule checks, how, and what lowers a finding to info. */
  description: string;
  /** A short buggy and fixed example, in kernel C. */
  help: { bad: string; good: string };
  /** CWE ids that fit (improper locking, deadlock, reference count, race condition). */
  cwe: number[];
  /** Areas, for filtering (SARIF properties.tags). */
  tags: string[];
  messages: Record<string, RuleMessage>;
}

const RANK: Record<Severity, number> = { info: 1, warning: 2, error: 3 };

export function severityRank(s: Severity): number {
  return RANK[s];
}

export function lowerOf(a: Severity, b: Severity): Severity {
  return RANK[a] <= RANK[b] ? a : b;
}

/** Declare a rule; `const` keeps the message templates literal so report() can type their data. */
export function defineRule<const D extends RuleDeclaration>(d: D): D {
  return d;
}

type Placeholders<S extends string> = S extends `${string}{{${infer P}}}${infer R}` ? P | Placeholders<R> : never;
type TemplateOf<M> = M extends string ? M : M extends { text: infer T extends string } ? T : never;
export type MessageData<M> = Record<Placeholders<TemplateOf<M>>, string | number | null>;

/** One message of the rule with its data (distributes over a union of message ids). */
export type MessageOf<D extends RuleDeclaration, K extends keyof D['messages'] & string> = K extends unknown
  ? { messageId: K; data: MessageData<D['messages'][K]> }
  : never;

/** What a check says of one finding: a message of the rule and the finding's own facts (rule id, severity and text come from the rule). */
export type ReportDescriptor<D extends RuleDeclaration, K extends keyof D['messages'] & string> = MessageOf<D, K> &
  Omit<RawFinding, 'rule' | 'messageId' | 'severity' | 'message'> & {
    /** Lower than the message's level when the evidence is weaker (info: unproven); never higher. */
    severity?: Severity;
    /** What the finding rests on that the code does not prove (confidence.ts decides what that allows). */
    basis?: Basis;
  };

export function templateOf(m: RuleMessage): string {
  return typeof m === 'string' ? m : m.text;
}

export function messageSeverity(rule: RuleDeclaration, messageId: string): Severity {
  const m = rule.messages[messageId];
  return m && typeof m !== 'string' ? m.severity : rule.severity;
}

/** `{{name}}` → data[name]; an unknown line is '?'. */
export function interpolate(template: string, data: Record<string, string | number | null>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, k: string) => {
    const v = data[k];
    return v === null || v === undefined ? '?' : String(v);
  });
}

/** A finding of `rule`: rule id and severity from the declaration, the message from its template. */
export function report<const D extends RuleDeclaration, K extends keyof D['messages'] & string>(rule: D, d: ReportDescriptor<D, K>): RawFinding {
  const { messageId, data, severity, basis, ...rest } = d as ReportDescriptor<RuleDeclaration, string> & { data: Record<string, string | number | null> };
  const top = messageSeverity(rule, messageId);
  const policy = judged(severity ? lowerOf(severity, top) : top, basis ?? {});
  return {
    ...rest,
    rule: rule.id,
    messageId,
    severity: policy.severity,
    message: interpolate(templateOf(rule.messages[messageId]!), data),
    facts: [...rest.facts, ...policy.facts],
  };
}

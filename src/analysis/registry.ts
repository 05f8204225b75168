// Every rule kreview can report, declared once (in its check's file) and listed here in report
// order. The CLI (`kreview rules`, --enable/--disable/--severity), the config file, the fixture
// harness, the README's rule table and SARIF's rule metadata all read this list.

import { engineChecks } from './checks/index.js';
import { deadlockRule, modelViolationRule } from './models.js';
import { raceChecks } from './races/index.js';
import { lowerOf, type RuleDeclaration } from './rule.js';
import type { Severity } from './types.js';

export const RULES: readonly RuleDeclaration[] = [...engineChecks.map((c) => c.meta), ...raceChecks.map((c) => c.meta), modelViolationRule, deadlockRule];

const byId = new Map(RULES.map((r) => [r.id, r]));
if (byId.size !== RULES.length) throw new Error('rule registry: duplicate rule id');

export function ruleById(id: string): RuleDeclaration | undefined {
  return byId.get(id);
}

/** A user's choices about rules (config file, then command line): off, or another top severity. */
export interface RuleSettings {
  disabled: Set<string>;
  severity: Map<string, Severity>;
}

export function defaultRuleSettings(): RuleSettings {
  return { disabled: new Set(), severity: new Map() };
}

export function ruleEnabled(settings: RuleSettings | undefined, id: string): boolean {
  return !settings?.disabled.has(id);
}

/**
 * A finding's severity under the user's settings: a finding at its rule's declared level takes the
 * level asked for; one the check lowered (a weaker message, info for what is unproven) is never
 * raised by it, only capped.
 */
export function effectiveSeverity(settings: RuleSettings | undefined, rule: string, reported: Severity): Severity {
  const wanted = settings?.severity.get(rule);
  const decl = byId.get(rule);
  if (!wanted || !decl) return reported;
  return reported === decl.severity ? wanted : lowerOf(reported, wanted);
}

/** The rules as a run used them: each with whether it ran and its top severity. */
export function ruleTable(settings: RuleSettings | undefined): { id: string; enabled: boolean; severity: Severity }[] {
  return RULES.map((r) => ({ id: r.id, enabled: ruleEnabled(settings, r.id), severity: settings?.severity.get(r.id) ?? r.severity }));
}

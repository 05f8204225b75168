// The user's configuration: `.kreview.yaml` at the top of the tree (or --config FILE), then the
// command line on top of it. Rules on/off and their severity, paths to ignore, extra semantics
// directories, a baseline, --fail-on and the reply-mail settings. A bad file is an error naming
// the file, the line and the key.

import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import picomatch from 'picomatch';
import { defaultRuleSettings, ruleById, type RuleSettings } from '../analysis/registry.js';
import type { Severity } from '../analysis/types.js';

export const CONFIG_NAME = '.kreview.yaml';

export class ConfigError extends Error {}

export const SEVERITIES = ['error', 'warning', 'info'] as const;
export const FAIL_ON = ['error', 'warning', 'info', 'never'] as const;
export type FailOn = (typeof FAIL_ON)[number];

export interface EmailSettings {
  /** The reports' From: (default `kreview <kreview@localhost>`). */
  from: string;
  /** Address the replies: To: the patch's author, Cc: its recipients. Off by default. */
  replyAll: boolean;
  /** Where a report's Message-ID is found again, for the Closes: trailer (`https://lore.kernel.org/r/`). */
  archive: string;
}

export interface Config {
  /** The file it came from; null when there was none. */
  path: string | null;
  rules: RuleSettings;
  /** Globs of paths (as the patch or the command line names them) not to review. */
  ignore: string[];
  /** Extra semantics directories (absolute), read after the bundled rules/. */
  semantics: string[];
  baseline: string | null;
  failOn: FailOn | null;
  email: EmailSettings;
}

export const DEFAULT_EMAIL: EmailSettings = { from: 'kreview <kreview@localhost>', replyAll: false, archive: 'https://lore.kernel.org/r/' };

export function emptyConfig(): Config {
  return { path: null, rules: defaultRuleSettings(), ignore: [], semantics: [], baseline: null, failOn: null, email: { ...DEFAULT_EMAIL } };
}

/** `.kreview.yaml` in `top` (the tree), else in the current directory or the first parent up to the repository's top. */
export function findConfig(top: string | undefined, cwd = process.cwd()): string | null {
  if (top) {
    const p = join(top, CONFIG_NAME);
    return existsSync(p) ? p : null;
  }
  for (let d = resolve(cwd); ; d = dirname(d)) {
    const p = join(d, CONFIG_NAME);
    if (existsSync(p)) return p;
    if (existsSync(join(d, '.git')) || dirname(d) === d) return null;
  }
}

export interface RuleFlags {
  enable?: string[];
  disable?: string[];
  severity?: string[];
}

/** The command line on top of the file: --enable/--disable ID,..., --severity ID=LEVEL (repeatable, comma lists). */
export function applyRuleFlags(cfg: Config, flags: RuleFlags): void {
  const ids = (list: string[] | undefined, flag: string): string[] => {
    const out = (list ?? [])
      .flatMap((x) => x.split(','))
      .map((x) => x.trim())
      .filter(Boolean);
    for (const id of out) if (!ruleById(id)) throw new ConfigError(`${flag} ${id}: no such rule (kreview rules lists them)`);
    return out;
  };
  for (const id of ids(flags.disable, '--disable')) cfg.rules.disabled.add(id);
  for (const id of ids(flags.enable, '--enable')) cfg.rules.disabled.delete(id);
  for (const item of (flags.severity ?? []).flatMap((x) => x.split(','))) {
    const m = /^\s*([\w-]+)\s*=\s*(\w+)\s*$/.exec(item);
    if (!m) throw new ConfigError(`--severity ${item}: expected ID=LEVEL (error, warning or info)`);
    if (!ruleById(m[1]!)) throw new ConfigError(`--severity ${m[1]}: no such rule (kreview rules lists them)`);
    if (!(SEVERITIES as readonly string[]).includes(m[2]!)) throw new ConfigError(`--severity ${item}: level must be error, warning or info`);
    cfg.rules.severity.set(m[1]!, m[2] as Severity);
  }
}

/**
 * A matcher for the ignore globs. A path matches when the glob matches it as given, relative to
 * the config file's directory, or as any trailing part (`drivers/staging/**` matches
 * `linux/drivers/staging/x.c` given on the command line).
 */
export function ignoreMatcher(cfg: Config): ((path: string) => boolean) | undefined {
  if (!cfg.ignore.length) return undefined;
  const isMatch = picomatch(cfg.ignore, { dot: true });
  const base = cfg.path ? dirname(resolve(cfg.path)) : process.cwd();
  return (p: string) => {
    const forms = new Set([p.split(sep).join('/')]);
    const rel = relative(base, resolve(p));
    if (!rel.startsWith('..')) forms.add(rel.split(sep).join('/'));
    for (const f of [...forms]) {
      const parts = f.split('/');
      for (let i = 1; i < parts.length; i++) forms.add(parts.slice(i).join('/'));
    }
    return [...forms].some((f) => isMatch(f));
  };
}

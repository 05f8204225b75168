// The nightly job's configuration (`kreview cron --config FILE`): when to run, where the database
// and the reports go, what to follow, and whether to send mail. Paths are relative to the file.

import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import cron from 'node-cron';
import { z } from 'zod';
import { ConfigError } from '../config/index.js';
import { readYamlConfig } from '../config/file.js';

const common = {
  name: z.string().regex(/^[\w.-]+$/, 'letters, digits, . _ - only'),
  /** A kernel tree (a local git clone) for pre-images; without one, the hunks alone. */
  tree: z.string().min(1).optional(),
  /** git fetch the tree before the run (default true when there is one). */
  'fetch-tree': z.boolean().optional(),
};

const source = z.union([
  z.object({ ...common, 'public-inbox': z.string().min(1), fetch: z.boolean().optional() }).strict(),
  z.object({ ...common, mbox: z.string().min(1) }).strict(),
  z.object({ ...common, maildir: z.string().min(1) }).strict(),
  z.object({ ...common, github: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'owner/name'), 'token-env': z.string().optional() }).strict(),
]);

const schema = z
  .object({
    schedule: z.string().default('0 4 * * *'),
    timezone: z.string().optional(),
    database: z.string().min(1).optional(),
    output: z.string().min(1).optional(),
    /** The analysis configuration (rules, ignore, baseline): a `.kreview.yaml`. */
    analysis: z.string().min(1).optional(),
    'batch-size': z.number().int().min(1).max(10_000).default(200),
    sources: z.array(source).min(1),
    mail: z
      .object({
        send: z.boolean().default(false),
        'dry-run': z.boolean().default(true),
        from: z.string().min(3).optional(),
        'reply-all': z.boolean().default(false),
        /** Fixed recipients of every reply (a review list): To: when reply-all is off, else Cc:. */
        to: z
          .array(z.string().regex(/^[^@\s<>]+@[^@\s<>]+$|<[^@\s<>]+@[^@\s<>]+>\s*$/, 'an address: name@example.org or "Name <name@example.org>"'))
          .optional(),
        archive: z.string().url().optional(),
        'per-minute': z.number().int().min(1).max(600).default(10),
        smtp: z
          .object({
            host: z.string().min(1),
            port: z.number().int().min(1).max(65535).default(587),
            secure: z.boolean().default(false),
            user: z.string().optional(),
            'password-env': z.string().optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
    'github-issue': z
      .object({
        repository: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'owner/name'),
        title: z.string().min(1).default('kreview nightly digest'),
        'token-env': z.string().default('GITHUB_TOKEN'),
      })
      .strict()
      .optional(),
  })
  .strict();

export type SourceConfig = { name: string; tree: string | null; fetchTree: boolean } & (
  | { kind: 'public-inbox'; path: string; fetch: boolean }
  | { kind: 'mbox'; path: string }
  | { kind: 'maildir'; path: string }
  | { kind: 'github'; repository: string; tokenEnv: string }
);

export interface MailConfig {
  send: boolean;
  dryRun: boolean;
  from: string | null;
  replyAll: boolean;
  /** Fixed recipients (a review list), added to every reply. */
  to: string[];
  archive: string | null;
  perMinute: number;
  smtp: { host: string; port: number; secure: boolean; user: string | null; passwordEnv: string | null } | null;
}

export interface NightConfig {
  path: string;
  schedule: string;
  timezone: string | null;
  database: string;
  output: string;
  analysis: string | null;
  batchSize: number;
  sources: SourceConfig[];
  mail: MailConfig;
  githubIssue: { repository: string; title: string; tokenEnv: string } | null;
}

/** Where state lives when the config does not say: the XDG state and data directories. */
export function defaultPaths(env = process.env): { database: string; output: string } {
  const home = homedir();
  const state = env.XDG_STATE_HOME || join(home, '.local', 'state');
  const data = env.XDG_DATA_HOME || join(home, '.local', 'share');
  return { database: join(state, 'kreview', 'kreview.sqlite'), output: join(data, 'kreview', 'reports') };
}

export function loadNightConfig(path: string): NightConfig {
  const { data: c, line } = readYamlConfig(path, schema);
  const at = (p: (string | number)[], what: string): ConfigError => new ConfigError(`${path}:${line(p) ?? '?'}: ${p.join('.')}: ${what}`);
  if (!cron.validate(c.schedule)) throw at(['schedule'], `'${c.schedule}' is not a cron expression (minute hour day month weekday, optionally seconds first)`);
  if (c.timezone) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: c.timezone });
    } catch {
      throw at(['timezone'], `'${c.timezone}' is not a time zone (Europe/Paris, UTC ...)`);
    }
  }
  const base = dirname(resolve(path));
  const rel = (p: string): string => resolve(base, p.replace(/^~(?=\/|$)/, homedir()));
  const names = new Set<string>();
  const sources: SourceConfig[] = c.sources.map((s, i) => {
    if (names.has(s.name)) throw at(['sources', i, 'name'], `'${s.name}' is used by another source`);
    names.add(s.name);
    const tree = s.tree ? rel(s.tree) : null;
    const head = { name: s.name, tree, fetchTree: s['fetch-tree'] ?? !!tree };
    if ('public-inbox' in s) return { ...head, kind: 'public-inbox', path: rel(s['public-inbox']), fetch: s.fetch ?? false };
    if ('mbox' in s) return { ...head, kind: 'mbox', path: rel(s.mbox) };
    if ('maildir' in s) return { ...head, kind: 'maildir', path: rel(s.maildir) };
    if (!tree) throw at(['sources', i], 'a github source needs a tree: a local clone of the repository its pull requests are fetched into');
    return { ...head, kind: 'github', repository: s.github, tokenEnv: s['token-env'] ?? 'GITHUB_TOKEN' };
  });
  const dflt = defaultPaths();
  const m = c.mail;
  if (m?.send && !m['dry-run'] && !m.smtp) throw at(['mail'], 'sending mail (send: true, dry-run: false) needs smtp: { host, port }');
  if (m?.send && !m['dry-run'] && !m['reply-all'] && !m.to?.length) {
    throw at(
      ['mail', 'send'],
      "sending mail (send: true, dry-run: false) needs recipients: reply-all: true (the patch's author and recipients) or to: [addresses] (a review list)",
    );
  }
  if (m?.smtp?.user && !m.smtp['password-env'])
    throw at(['mail', 'smtp', 'user'], 'an smtp user needs password-env: the name of the environment variable that holds the password');
  return {
    path,
    schedule: c.schedule,
    timezone: c.timezone ?? null,
    database: c.database ? rel(c.database) : dflt.database,
    output: c.output ? rel(c.output) : dflt.output,
    analysis: c.analysis ? rel(c.analysis) : null,
    batchSize: c['batch-size'],
    sources,
    mail: {
      send: m?.send ?? false,
      dryRun: m?.['dry-run'] ?? true,
      from: m?.from ?? null,
      replyAll: m?.['reply-all'] ?? false,
      to: m?.to ?? [],
      archive: m?.archive ?? null,
      perMinute: m?.['per-minute'] ?? 10,
      smtp: m?.smtp
        ? { host: m.smtp.host, port: m.smtp.port, secure: m.smtp.secure, user: m.smtp.user ?? null, passwordEnv: m.smtp['password-env'] ?? null }
        : null,
    },
    githubIssue: c['github-issue']
      ? { repository: c['github-issue'].repository, title: c['github-issue'].title, tokenEnv: c['github-issue']['token-env'] }
      : null,
  };
}

// The night's reply mails. For every finding this run reports as new in a series version, the reply
// to the patch that introduced it, built by src/report/email.ts from the version's analysis (threaded
// under the patch, the hunk quoted down to the flagged line), is written as an .eml file in the run's
// folder (mails/) and, unless dry-run, sent over SMTP, at most `per-minute` a minute. The mails table
// remembers each reply by its Message-ID (deterministic): one sent is never sent again, whichever run
// builds it again. A mail that fails is recorded with its error and said in the night's events; the
// others go on.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTransport } from 'nodemailer';
import addressparser from 'nodemailer/lib/addressparser/index.js';
import type { Finding } from '../analysis/types.js';
import { DEFAULT_EMAIL, type EmailSettings } from '../config/index.js';
import type { RunDocument } from '../report/document.js';
import { composeReply, replyFileName, replyMails, type ReplyMail } from '../report/email.js';
import type { MailConfig } from './config.js';
import type { NightDb } from './db.js';
import type { AfterRun } from './night.js';

/** The reply settings of the nightly configuration, with src/config's defaults. */
export function mailSettings(m: MailConfig): EmailSettings {
  return { from: m.from ?? DEFAULT_EMAIL.from, replyAll: m.replyAll, archive: m.archive ?? DEFAULT_EMAIL.archive };
}

/** The bare addresses of an address field (`Name <a@b>, c@d`), lower case. */
export function addresses(field: string): string[] {
  return addressparser(field, { flatten: true })
    .map((a) => a.address.trim().toLowerCase())
    .filter((a) => a.includes('@'));
}

export interface NightReply {
  doc: RunDocument;
  mail: ReplyMail;
}

/**
 * The replies run `runId` has to send: for each version with findings the run reports as new
 * (source 'version'), its latest analysis document (made by this run, else by the run that recorded
 * the findings: a run a crash had aborted), keeping only those findings, by fingerprint and patch.
 */
export function nightReplies(db: NightDb, runId: number, settings: EmailSettings): { replies: NightReply[]; missing: number[] } {
  const keep = new Map<number, { keys: Set<string>; runs: Set<number> }>();
  for (const r of db.reportedIn(runId)) {
    if (r.source !== 'version' || r.verdict !== 'new') continue;
    const f = JSON.parse(r.json) as Finding;
    let k = keep.get(r.version_id);
    if (!k) keep.set(r.version_id, (k = { keys: new Set(), runs: new Set() }));
    k.keys.add(`${r.fingerprint}\0${f.patch ?? ''}`);
    k.runs.add(r.run_id);
  }
  const analyses = new Map<number, ReturnType<NightDb['analysesOf']>>();
  const latest = (run: number, versionId: number): string | undefined => {
    let list = analyses.get(run);
    if (!list) analyses.set(run, (list = db.analysesOf(run)));
    return list.filter((a) => a.kind === 'version' && a.versionId === versionId).at(-1)?.doc;
  };
  const replies: NightReply[] = [];
  const missing: number[] = [];
  for (const [versionId, k] of keep) {
    const text = [runId, ...[...k.runs].sort((a, b) => b - a)].map((run) => latest(run, versionId)).find((d) => d !== undefined);
    if (!text) {
      missing.push(versionId);
      continue;
    }
    const doc = JSON.parse(text) as RunDocument;
    const only: RunDocument = { ...doc, findings: doc.findings.filter((f) => k.keys.has(`${f.fingerprint}\0${f.patch ?? ''}`)) };
    for (const mail of replyMails(only, settings)) replies.push({ doc: only, mail });
  }
  return { replies, missing };
}

/**
 * The reply's headers with the fixed recipients (a review list) added: To: when the reply has no
 * To: (reply-all off), else Cc:. The envelope: every address of To: and Cc:, once.
 */
export function withRecipients(m: ReplyMail, fixed: string[]): { headers: ReplyMail['headers']; envelope: string[] } {
  const to = [...m.headers.to];
  const cc = [...m.headers.cc];
  const seen = new Set([...to, ...cc].flatMap(addresses));
  const into = to.length ? cc : to;
  for (const a of fixed) {
    const addrs = addresses(a);
    if (!addrs.length || addrs.every((x) => seen.has(x))) continue;
    for (const x of addrs) seen.add(x);
    into.push(a);
  }
  return { headers: { ...m.headers, to, cc }, envelope: [...seen] };
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|::1|\[::1\])$/i;

interface Sender {
  send(from: string, to: string[], raw: Buffer): Promise<{ rejected: string[] }>;
  close(): void;
}

/** The SMTP transport of the configuration (throws when it cannot be made: no password in the environment). */
function smtpSender(m: MailConfig, env: NodeJS.ProcessEnv): Sender {
  const s = m.smtp;
  if (!s) throw new Error('the configuration has no smtp: section');
  let pass: string | undefined;
  if (s.user && s.passwordEnv) {
    pass = env[s.passwordEnv];
    if (!pass) throw new Error(`the environment variable ${s.passwordEnv} (mail.smtp.password-env) is not set`);
  }
  const transport = createTransport({
    host: s.host,
    port: s.port,
    secure: s.secure,
    ...(s.user ? { auth: { user: s.user, pass } } : {}),
    // A password never goes in clear to another machine: STARTTLS is then required.
    requireTLS: !s.secure && !!s.user && !LOOPBACK.test(s.host),
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 60_000,
  });
  return {
    async send(from, to, raw) {
      const info = await transport.sendMail({ envelope: { from, to }, raw });
      return { rejected: info.rejected ?? [] };
    },
    close: () => transport.close(),
  };
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').trim();

/** The night's replies (runNight's `after` hook, through afterNight): written, sent, recorded. */
export async function sendMails(ctx: AfterRun, opts: { env?: NodeJS.ProcessEnv } = {}): Promise<void> {
  const { db, runId, cfg, log } = ctx;
  const m = cfg.mail;
  if (!m.send) return;
  const run = db.run(runId);
  if (!run?.report_dir) throw new Error(`run ${runId} has no report folder`);
  const settings = mailSettings(m);
  const { replies, missing } = nightReplies(db, runId, settings);
  for (const v of missing) db.event(runId, 'mail', 'warning', `version #${v}: no analysis kept for the findings new in it; their reply was not written`);
  const dir = join(run.report_dir, 'mails');
  const from = addresses(settings.from)[0] ?? settings.from;
  const counts = { written: 0, sent: 0, failed: 0, already: 0 };
  let sender: Sender | null = null;
  let senderError: string | null = null;
  const gap = 60_000 / m.perMinute;
  let last = -Infinity;
  try {
    for (const [k, { doc, mail }] of replies.entries()) {
      if (db.mailState(mail.messageId) === 'sent') {
        counts.already++;
        continue;
      }
      const { headers, envelope } = withRecipients(mail, m.to);
      const raw = await composeReply({ ...mail, headers }, doc.tool.version);
      mkdirSync(dir, { recursive: true });
      const path = join(dir, replyFileName(k, headers.subject));
      writeFileSync(path, raw);
      const fields = { messageId: mail.messageId, inReplyTo: mail.patch.messageId, subject: headers.subject, path };
      if (m.dryRun) {
        db.recordMail(mail.messageId, mail.patch.messageId, runId, 'written', path);
        counts.written++;
        log('mail', { state: 'written', ...fields });
        continue;
      }
      try {
        if (!sender && !senderError) {
          try {
            sender = smtpSender(m, opts.env ?? process.env);
          } catch (e) {
            senderError = errorText(e);
          }
        }
        if (senderError) throw new Error(senderError);
        if (!envelope.length) throw new Error('no recipient: reply-all is off and mail.to is empty');
        const wait = last + gap - Date.now();
        if (wait > 0) await sleep(wait);
        last = Date.now();
        const { rejected } = await sender!.send(from, envelope, raw);
        db.recordMail(mail.messageId, mail.patch.messageId, runId, 'sent', path);
        counts.sent++;
        if (rejected.length) db.event(runId, 'mail', 'warning', `${headers.subject} <${mail.messageId}>: sent, but refused for ${rejected.join(', ')}`);
        log('mail', { state: 'sent', to: envelope, ...fields });
      } catch (e) {
        const text = errorText(e);
        db.recordMail(mail.messageId, mail.patch.messageId, runId, 'failed', path, text);
        db.event(runId, 'mail', 'error', `${headers.subject} <${mail.messageId}>: not sent: ${text}`);
        counts.failed++;
        log('mail-failed', { ...fields, error: text });
      }
    }
  } finally {
    (sender as Sender | null)?.close();
  }
  log('mails', { ...counts, dryRun: m.dryRun });
}

// What a night does once its reports are written (runNight's `after` hook, wired by the CLI): the
// reply mails, then the digest issue, told about the mails' failures. Neither stops the night: what
// goes wrong is in its events.

import { digestOf } from './digest.js';
import { updateIssue } from './issue.js';
import { sendMails } from './mail.js';
import type { AfterRun } from './night.js';

export async function afterNight(ctx: AfterRun): Promise<void> {
  try {
    await sendMails(ctx);
  } catch (e) {
    const text = e instanceof Error ? e.message : String(e);
    ctx.db.event(ctx.runId, 'mail', 'error', `the replies were not written: ${text}`);
    ctx.log('mail-error', { error: text });
  }
  // The digest again: it now has the mails' events.
  await updateIssue({ ...ctx, digest: digestOf(ctx.db, ctx.runId) });
}

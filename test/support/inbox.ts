// A public-inbox v2 archive as lore keeps it (git/0.git, one commit per message, each adding the
// raw message as the blob `m`), written with git plumbing, and a small kernel tree whose patch series
// are made with git format-patch (threaded, numbered, versioned, with a base-commit).

import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

const git = (dir: string, args: string[], input?: string): string =>
  execFileSync('git', args, {
    cwd: dir,
    input,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Ada Example',
      GIT_AUTHOR_EMAIL: 'ada@example.org',
      GIT_COMMITTER_NAME: 'Ada Example',
      GIT_COMMITTER_EMAIL: 'ada@example.org',
      GIT_AUTHOR_DATE: '2024-06-11T09:00:00Z',
      GIT_COMMITTER_DATE: '2024-06-11T09:00:00Z',
    },
  }).trim();

export class Inbox {
  readonly epoch: string;

  constructor(readonly dir: string) {
    this.epoch = join(dir, 'git', '0.git');
    mkdirSync(this.epoch, { recursive: true });
    git(this.epoch, ['init', '-q', '--bare', '-b', 'master']);
  }

  /** Append messages, one commit each, as public-inbox does. */
  add(...messages: string[]): void {
    for (const m of messages) {
      const blob = git(this.epoch, ['hash-object', '-w', '--stdin'], m);
      const tree = git(this.epoch, ['mktree'], `100644 blob ${blob}\tm\n`);
      let parent: string | null = null;
      try {
        parent = git(this.epoch, ['rev-parse', '--verify', '--quiet', 'refs/heads/master']);
      } catch {
        parent = null;
      }
      const subject = /^Subject: (.*)$/m.exec(m)?.[1] ?? 'message';
      const commit = git(this.epoch, ['commit-tree', tree, ...(parent ? ['-p', parent] : []), '-m', subject]);
      git(this.epoch, ['update-ref', 'refs/heads/master', commit]);
    }
  }

  commits(): number {
    try {
      return Number(git(this.epoch, ['rev-list', '--count', 'master']));
    } catch {
      return 0;
    }
  }
}

/** A kernel tree: one file, committed; series are branches made from edits of it. */
export class KernelTree {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    git(dir, ['init', '-q', '-b', 'master']);
  }

  commit(files: Record<string, string>, message: string): string {
    for (const [p, text] of Object.entries(files)) {
      mkdirSync(dirname(join(this.dir, p)), { recursive: true });
      writeFileSync(join(this.dir, p), text);
    }
    git(this.dir, ['add', ...Object.keys(files)]);
    git(this.dir, ['commit', '-q', '-m', message]);
    return git(this.dir, ['rev-parse', 'HEAD']);
  }

  /**
   * A series on `base`: one commit per patch, then git format-patch (cover letter, threaded,
   * numbered, `-v N`, base-commit). Returns the messages in order, the cover letter first.
   */
  series(base: string, version: number, title: string, patches: { message: string; files: Record<string, string> }[]): string[] {
    git(this.dir, ['checkout', '-q', '-B', `series-v${version}`, base]);
    for (const p of patches) this.commit(p.files, p.message);
    const out = join(this.dir, '.series');
    rmSync(out, { recursive: true, force: true });
    git(this.dir, ['format-patch', '-q', `-v${version}`, '--cover-letter', '--thread=shallow', `--base=${base}`, '-o', out, `${base}..HEAD`]);
    git(this.dir, ['checkout', '-q', 'master']);
    const names = readdirSync(out).sort();
    const msgs = names.map((n) => readFileSync(join(out, n), 'utf8'));
    rmSync(out, { recursive: true, force: true });
    // The cover letter's placeholders, filled as an author would.
    msgs[0] = msgs[0]!.replace('*** SUBJECT HERE ***', title).replace('*** BLURB HERE ***', `${title}.`);
    // git format-patch writes an mbox From line first; a public-inbox blob is the message alone. Its
    // Message-IDs come from the clock: two versions made in one second would share the cover's.
    return msgs.map((m) => m.replace(/^From [0-9a-f]{40} .*\n/, '').replaceAll('<cover.', `<cover-v${version}.`));
  }
}

/** A plain mail (no patch), or a reply that quotes part of a patch. */
export function mail(o: { from: string; subject: string; id: string; inReplyTo?: string; date?: string; body: string }): string {
  return [
    `From: ${o.from}`,
    'To: demo-devel@lists.example.org',
    `Subject: ${o.subject}`,
    `Date: ${o.date ?? 'Wed, 12 Jun 2024 10:00:00 +0000'}`,
    `Message-ID: <${o.id}>`,
    ...(o.inReplyTo ? [`In-Reply-To: <${o.inReplyTo}>`, `References: <${o.inReplyTo}>`] : []),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=UTF-8',
    '',
    o.body,
    '',
  ].join('\n');
}

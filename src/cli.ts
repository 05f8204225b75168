// kreview command line: scan, ir, check, explain.

import { Command, CommanderError } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { scanMessages } from './pipeline.js';
import { formatScanText } from './report/scan-text.js';
import { VERSION } from './version.js';

export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  stdin?: NodeJS.ReadableStream;
  isTTY?: boolean;
}

const defaultIo: Io = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  stdin: process.stdin,
  isTTY: !!process.stderr.isTTY,
};

class UsageError extends Error {}

function formatOption(v: string): 'text' | 'json' {
  if (v !== 'text' && v !== 'json') throw new UsageError(`unknown format '${v}' (text, json)`);
  return v;
}

/** Run the CLI; returns the exit code (0 done, 1 findings at or above --fail-on, 2 unusable arguments or input). */
export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  let code = 0;
  const program = new Command('kreview')
    .description('Review Linux kernel patches: lock, reference, flag and race bugs, introduced or fixed')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  program
    .command('scan')
    .description('read mail (mbox, Maildir, public-inbox git, archived text, .eml/.patch, - for stdin) and report')
    .argument('<inputs...>', 'files, directories or - for stdin')
    .option('-f, --format <format>', 'text or json', 'text')
    .action(async (inputs: string[], o: { format: string }) => {
      const format = formatOption(o.format);
      let bar: SingleBar | null = null;
      const res = await scanMessages(inputs, {
        stdin: io.stdin,
        onMessage: (n) => {
          if (!io.isTTY) return;
          if (n === 500 && !bar) {
            bar = new SingleBar({ format: 'reading {value} messages', stream: process.stderr }, Presets.shades_classic);
            bar.start(0, n);
          }
          if (bar && n % 100 === 0) bar.update(n);
        },
      });
      (bar as SingleBar | null)?.stop();
      io.stdout(format === 'json' ? JSON.stringify(res.doc, null, 1) + '\n' : formatScanText(res.doc));
      if (res.unreadable.length) code = 2;
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof UsageError) {
      io.stderr(`kreview: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  return code;
}

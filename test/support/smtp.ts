// A local SMTP server on 127.0.0.1 (the smtp-server package) for the nightly job's mail tests:
// authentication required (PLAIN/LOGIN, no TLS: the tests talk to loopback), every message received
// kept with its envelope, and recipients refused on demand (a 550 to RCPT TO).

import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface Received {
  from: string;
  to: string[];
  user: string | undefined;
  raw: Buffer;
  /** When it was received (Date.now()). */
  at: number;
}

export class FakeSmtp {
  received: Received[] = [];
  /** RCPT TO addresses to refuse. */
  refuse: RegExp | null = null;
  authFailures = 0;
  private server: SMTPServer;

  constructor(readonly users: Record<string, string>) {
    this.server = new SMTPServer({
      secure: false,
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      authOptional: false,
      authMethods: ['PLAIN', 'LOGIN'],
      logger: false,
      onAuth: (auth, _session, cb) => {
        if (auth.username && this.users[auth.username] === auth.password) return cb(null, { user: auth.username });
        this.authFailures++;
        cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
      },
      onRcptTo: (address, _session, cb) => {
        if (this.refuse?.test(address.address)) return cb(Object.assign(new Error(`<${address.address}>: mailbox unavailable`), { responseCode: 550 }));
        cb();
      },
      onData: (stream, session, cb) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const from = session.envelope.mailFrom;
          this.received.push({
            from: from ? from.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            user: typeof session.user === 'string' ? session.user : undefined,
            raw: Buffer.concat(chunks),
            at: Date.now(),
          });
          cb(null, 'queued');
        });
      },
    });
  }

  get port(): number {
    return (this.server.server.address() as AddressInfo).port;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

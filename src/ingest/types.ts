// Types of the ingest stage: where messages come from and what a message is.

/** How an input path was read. */
export type InputKind =
  | 'mbox' // mboxo or mboxrd file (possibly very large; streamed)
  | 'message' // one RFC 822 message (.eml, git format-patch output, .patch)
  | 'maildir' // a Maildir (cur/ new/ tmp/)
  | 'directory' // a directory of message files (recursed)
  | 'public-inbox' // a public-inbox v2 git archive (each commit adds blob `m`)
  | 'archive-text' // pipermail page or web archive copy saved as text
  | 'stdin'; // '-' (content sniffed like a file)

/** One command-line input and what became of it. Every input a run reads appears once. */
export interface InputSummary {
  path: string; // as given ('-' for stdin)
  kind: InputKind;
  /** For stdin: what its content was read as (mbox, message, archive-text). */
  format?: Exclude<InputKind, 'stdin'>;
  messages: number; // messages read from it (including ones with errors)
  errors: string[]; // input-level problems, each naming the input (and the message or entry)
  skipped: { item: string; reason: string }[]; // entries not read as messages (non-mail files, binary blobs...)
}

/** Where one message was found, precise enough to find it again. */
export interface MessageOrigin {
  input: string; // the input path
  index: number; // 1-based ordinal of the message within its input
  offset?: number; // byte offset of the message in an mbox
  file?: string; // file inside a maildir/directory
  commit?: string; // public-inbox commit id
}

/** A text attachment (patches are often sent as text/x-patch, .patch or .diff attachments). */
export interface Attachment {
  filename: string | null;
  contentType: string;
  text: string;
}

export interface Message {
  origin: MessageOrigin;
  messageId: string | null; // without angle brackets
  subject: string; // decoded, unfolded
  from: string; // "Name <addr>" (pipermail "name at domain" is turned back into name@domain)
  to: string[]; // "Name <addr>" each
  cc: string[];
  date: string | null; // ISO 8601 when parseable
  inReplyTo: string | null; // without angle brackets
  references: string[]; // without angle brackets, oldest first
  body: string; // decoded text/plain body ('\n' line ends); HTML-only mail is converted to text
  attachments: Attachment[]; // text attachments only
  /** Hints that the text may be damaged: 'format-flowed', 'html-converted', 'archive-text', 'quoted-printable-soft-breaks' ... */
  damage: string[];
  /** A malformed message: why. The message still appears in the output with status error. */
  error: string | null;
}

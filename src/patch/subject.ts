// Subject lines of patch mail: reply/forward prefixes in several languages, bracketed tags in any
// order and number (`[Devel] [PATCH vz9 v2 38/65]`, `[RFC PATCH net-next v3 0/7]`, `[PATCHv2 1/3]`,
// `[PATCH 1/2 RESEND]`), and the title that is left.

export interface SubjectInfo {
  reply: boolean;
  forward: boolean;
  /** A PATCH/PATCHSET/RFC tag was present. */
  patch: boolean;
  rfc: boolean;
  resend: boolean;
  version: number;
  number: number | null;
  total: number | null;
  /** Every tag that is not PATCH, a version or m/n: RFC, RESEND, list tags ([Devel]), trees (net-next, vz9). */
  tags: string[];
  title: string;
}

const REPLY = /^(?:re|aw|sv|vs|antw|odp|ynt|res|r|réf|ref|rif|atb|vá)(?:\[\d+\]|\(\d+\)|\^\d+)?\s*:\s*/i;
const FORWARD = /^(?:fwd?|tr|wg|enc|rv|doorst)\s*:\s*/i;

function tokenize(group: string): string[] {
  return group.replace(/,/g, ' ').split(/\s+/).filter(Boolean);
}

/** Parse a subject; never throws, any text gives a title. */
export function parseSubject(subject: string): SubjectInfo {
  const info: SubjectInfo = {
    reply: false,
    forward: false,
    patch: false,
    rfc: false,
    resend: false,
    version: 1,
    number: null,
    total: null,
    tags: [],
    title: '',
  };
  let s = subject.replace(/\s+/g, ' ').trim();
  for (let guard = 0; guard < 50; guard++) {
    let m: RegExpExecArray | null;
    if ((m = REPLY.exec(s))) {
      info.reply = true;
      s = s.slice(m[0].length).trim();
      continue;
    }
    if ((m = FORWARD.exec(s))) {
      info.forward = true;
      s = s.slice(m[0].length).trim();
      continue;
    }
    if (s.startsWith('[')) {
      const end = s.indexOf(']');
      if (end < 0) break;
      readGroup(s.slice(1, end), info);
      s = s.slice(end + 1).trim();
      continue;
    }
    break;
  }
  info.title = s.replace(/\s*\(fwd\)\s*$/i, '').trim();
  return info;
}

function readGroup(group: string, info: SubjectInfo): void {
  for (const tok of tokenize(group)) {
    let m: RegExpExecArray | null;
    if (/^(?:PATCH(?:ES|SET)?|PATCH:)$/i.test(tok)) info.patch = true;
    else if ((m = /^PATCH(?:SET)?[-_]?v(\d+)$/i.exec(tok))) {
      info.patch = true;
      info.version = Number(m[1]);
    } else if (/^RFC$/i.test(tok)) {
      info.rfc = true;
      info.patch = true;
      info.tags.push('RFC');
    } else if ((m = /^RFC[-_]?v(\d+)$/i.exec(tok))) {
      info.rfc = true;
      info.patch = true;
      info.version = Number(m[1]);
      info.tags.push('RFC');
    } else if (/^(?:RFC\/PATCH|PATCH\/RFC)$/i.test(tok)) {
      info.rfc = true;
      info.patch = true;
      info.tags.push('RFC');
    } else if (/^(?:RESEND|REPOST)$/i.test(tok)) {
      info.resend = true;
      info.tags.push(tok.toUpperCase());
    } else if ((m = /^v(\d+)$/i.exec(tok))) info.version = Number(m[1]);
    else if ((m = /^(\d+)\/(\d+)$/.exec(tok))) {
      info.number = Number(m[1]);
      info.total = Number(m[2]);
    } else info.tags.push(tok);
  }
}

/** The title as compared across versions: case, punctuation and spacing do not matter. */
export function normalTitle(title: string): string {
  return title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

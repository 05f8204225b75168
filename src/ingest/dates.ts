// Dates as mail and mail archives write them, to ISO 8601.
// RFC 2822 (`Tue, 21 Nov 2017 23:01:09 -0500`), ctime with zone (pipermail: `Wed Feb 12 12:33:31 MSK 2025`),
// hypermail (`Tue Nov 21 2017 - 23:01:09 EST`), Outlook (`Thursday, March 28, 2024 10:04 PM`), numeric
// (`29/03/2024 10:34`, `(09/22/16 15:42)`), ISO. With a known zone the result is UTC (`...Z`); without one it
// is a local time with no designator (`2024-03-29T10:34:00`), and a date alone is `YYYY-MM-DD`.

const MONTH_NAMES = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
/** Month words: full names, three-letter abbreviations and 'sept'. */
const MONTH_WORDS = new Map<string, number>([
  ...MONTH_NAMES.map((m, i) => [m, i + 1] as [string, number]),
  ...MONTH_NAMES.map((m, i) => [m.slice(0, 3), i + 1] as [string, number]),
  ['sept', 9],
]);

// Offsets in minutes. Ambiguous abbreviations take their most common meaning in kernel mail.
const ZONES: Record<string, number> = {
  ut: 0,
  utc: 0,
  gmt: 0,
  z: 0,
  wet: 0,
  west: 60,
  bst: 60,
  cet: 60,
  met: 60,
  mez: 60,
  cest: 120,
  mest: 120,
  mesz: 120,
  eet: 120,
  sast: 120,
  eest: 180,
  msk: 180,
  ist: 330,
  cst: -360,
  cdt: -300,
  est: -300,
  edt: -240,
  mst: -420,
  mdt: -360,
  pst: -480,
  pdt: -420,
  akst: -540,
  akdt: -480,
  hst: -600,
  hkt: 480,
  sgt: 480,
  awst: 480,
  jst: 540,
  kst: 540,
  acst: 570,
  aest: 600,
  aedt: 660,
  nzst: 720,
  nzdt: 780,
};

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

function valid(y: number, mo: number, d: number, h: number, mi: number, s: number): boolean {
  if (!(mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && s >= 0 && s <= 60)) return false;
  const dt = new Date(Date.UTC(y, mo - 1, d));
  return dt.getUTCMonth() === mo - 1;
}

function fullYear(y: number, digits: number): number {
  if (digits > 2) return y;
  return y < 70 ? 2000 + y : 1900 + y;
}

function zoneOffset(tok: string | undefined): number | null {
  if (!tok) return null;
  const t = tok.trim();
  const num = /^(?:GMT|UTC)?([+-])(\d{2}):?(\d{2})$/i.exec(t);
  if (num) {
    const m = Number(num[2]) * 60 + Number(num[3]);
    return num[1] === '-' ? -m : m;
  }
  const z = ZONES[t.toLowerCase()];
  return z === undefined ? null : z;
}

function emit(y: number, mo: number, d: number, time: { h: number; mi: number; s: number } | null, offset: number | null): string | null {
  const h = time?.h ?? 0;
  const mi = time?.mi ?? 0;
  const s = Math.min(time?.s ?? 0, 59);
  if (!valid(y, mo, d, h, mi, s)) return null;
  if (!time) return `${pad(y, 4)}-${pad(mo)}-${pad(d)}`;
  if (offset === null) return `${pad(y, 4)}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}:${pad(s)}`;
  const ms = Date.UTC(y, mo - 1, d, h, mi, s) - offset * 60_000;
  return new Date(ms).toISOString();
}

const TIME = /\b(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?(?:\s*([AaPp])\.?[Mm]\.?)?/;

/** Parse a date written in any of the shapes above; null when no date can be found. */
export function parseDate(input: string | null | undefined): string | null {
  if (!input) return null;
  const s = input.replace(/\s+/g, ' ').trim();
  if (!s) return null;

  // ISO 8601
  const iso = /\b(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*(Z|[+-]\d{2}:?\d{2}|UTC|GMT)?)?/.exec(s);
  if (iso) {
    const time = iso[4] !== undefined ? { h: Number(iso[4]), mi: Number(iso[5]), s: Number(iso[6] ?? 0) } : null;
    return emit(Number(iso[1]), Number(iso[2]), Number(iso[3]), time, time ? zoneOffset(iso[7]) : null);
  }

  // Time of day, and the zone that follows it (or precedes the year, as in ctime with zone).
  let time: { h: number; mi: number; s: number } | null = null;
  let offset: number | null = null;
  let rest = s;
  const tm = TIME.exec(s);
  if (tm) {
    let h = Number(tm[1]);
    const ampm = tm[4]?.toLowerCase();
    if (ampm === 'p' && h < 12) h += 12;
    if (ampm === 'a' && h === 12) h = 0;
    time = { h, mi: Number(tm[2]), s: Number(tm[3] ?? 0) };
    rest = s.slice(0, tm.index) + ' ' + s.slice(tm.index + tm[0].length);
    const after = s.slice(tm.index + tm[0].length);
    const z = /^\s*(?:\(?\s*)?([+-]\d{2}:?\d{2}|(?:GMT|UTC)[+-]\d{2}:?\d{2}|[A-Za-z]{1,5})\b/.exec(after);
    if (z) {
      const off = zoneOffset(z[1]);
      if (off !== null) offset = off;
    }
    if (offset === null) {
      const anyNum = /(?:^|\s)([+-]\d{4})\b/.exec(after);
      if (anyNum) offset = zoneOffset(anyNum[1]);
    }
  }

  // Numeric dates: dd/mm/yyyy, mm/dd/yy, dd.mm.yyyy
  const num = /\b(\d{1,2})[/.](\d{1,2})[/.](\d{2}|\d{4})\b/.exec(rest);
  if (num) {
    const a = Number(num[1]);
    const b = Number(num[2]);
    const y = fullYear(Number(num[3]), num[3]!.length);
    let d: number;
    let mo: number;
    if (a > 12 && b <= 12) [d, mo] = [a, b];
    else if (b > 12 && a <= 12) [mo, d] = [a, b];
    else if (a === b) [d, mo] = [a, b];
    else if (num[0].includes('.'))
      [d, mo] = [a, b]; // dd.mm.yyyy is the dotted convention
    else return null; // 03/04/2024: day and month cannot be told apart
    return emit(y, mo, d, time, offset);
  }

  // Month names: `21 Nov 2017`, `Nov 21 2017`, `March 28, 2024`, `Feb 12 ... 2025`
  const words = rest.split(/[\s,()-]+/).filter(Boolean);
  let mo = 0;
  let d = 0;
  let y = 0;
  let yDigits = 0;
  for (const w of words) {
    const lw = w.toLowerCase().replace(/\.$/, '');
    const month = MONTH_WORDS.get(lw);
    if (!mo && month) {
      mo = month;
      continue;
    }
    const n = /^(\d{1,4})(?:st|nd|rd|th)?$/.exec(lw);
    if (!n) continue;
    const v = Number(n[1]);
    if (n[1]!.length === 4) {
      if (!y) [y, yDigits] = [v, 4];
    } else if (!d && v >= 1 && v <= 31) d = v;
    else if (!y && d) [y, yDigits] = [v, n[1]!.length];
  }
  if (mo && d && y) return emit(fullYear(y, yDigits), mo, d, time, offset);
  return null;
}

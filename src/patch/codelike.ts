// Is a line of text C code or English prose? Used where a damaged diff leaves no prefix to tell:
// a context line that lost its leading space, the reviewer's words after an unquoted fragment, a
// changelog bullet (`- fix the unlock`) that is not a removed line.

/** Strings, character literals and comments blanked out, so that their contents do not count. */
export function codeOnly(t: string): string {
  if (!/["'/]/.test(t)) return t;
  return t
    .replace(/"(?:[^"\\]|\\.)*"?/g, '""')
    .replace(/'(?:[^'\\]|\\.){0,4}'/g, "''")
    .replace(/\/\*.*?(?:\*\/|$)/g, ' ')
    .replace(/\/\/.*$/, ' ');
}

/** '(' minus ')' outside strings and comments. */
export function parenBalance(t: string): number {
  let n = 0;
  for (const c of codeOnly(t)) {
    if (c === '(') n++;
    else if (c === ')') n--;
  }
  return n;
}

const KEYWORD_START = /^(?:return\b|if\s*\(|else\b|for\s*\(|while\s*\(|do\b|switch\s*\(|case\b|default\s*:|break\s*;|continue\s*;|goto\s+\w+\s*;|sizeof\b)/;
const DECL_START =
  /^(?:static|extern|const|volatile|unsigned|signed|struct|union|enum|typedef|inline|void|char|short|int|long|bool|u8|u16|u32|u64|s8|s16|s32|s64|__u\d+|__le\d+|__be\d+|size_t|ssize_t|loff_t|gfp_t|dma_addr_t|phys_addr_t|blk_qc_t|blk_status_t|irqreturn_t|atomic_t|atomic64_t|refcount_t|spinlock_t|DEFINE_\w+|LIST_HEAD|DECLARE_\w+|module_\w+|EXPORT_SYMBOL\w*|MODULE_\w+|__init|__exit|noinline|__always_inline)\b/;

/** A line whose start is the start of a statement, declaration, directive, comment or block. */
export function startsLikeCode(t: string): boolean {
  const s = t.trim();
  if (!s) return false;
  if (/^[{}#]/.test(s) || /^\/[*/]/.test(s) || /^\*(?:\/|\s|$)/.test(s)) return true;
  if (KEYWORD_START.test(s) || DECL_START.test(s)) return true;
  if (/^[A-Za-z_]\w*:\s*$/.test(s)) return true; // a label
  return false;
}

/** Ends the way a complete C line ends: `;`, `{`, `}`, `*\/`, a label's `:`, a macro's `\`. */
export function endsStatement(t: string): boolean {
  const s = codeOnly(t).trimEnd();
  return /[;{}\\]$/.test(s) || /\*\/\s*$/.test(t) || /^\s*[A-Za-z_]\w*:$/.test(s) || /^\s*#/.test(t);
}

/** Evidence of C strong enough to call a text code: statement ends, braces, operators, calls. */
export function codeScore(t: string): number {
  const s = t.trim();
  if (!s) return 0;
  const c = codeOnly(s);
  let score = 0;
  if (/[;{}]\s*$/.test(c)) score += 2;
  if (/^[{}]/.test(c)) score += 2;
  if (/^#\s*(?:include|define|if|ifdef|ifndef|else|elif|endif|undef|pragma)\b/.test(s)) score += 3;
  if (/^\/\*|\*\/$|^\*(?:\s|$)|^\/\//.test(s)) score += 2;
  if (/->|==|!=|<=|>=|&&|\|\||\+\+|--|<<|>>|\+=|-=|\|=|&=/.test(c)) score += 1;
  if (/\b[A-Za-z_]\w*\s*\([^()]*\)?/.test(c) && /[(),;]/.test(c) && !/\s[a-z]+\s[a-z]+\s[a-z]+\s/.test(c)) score += 1;
  if (/\b[a-z_]+_[a-z0-9_]+\b/.test(c)) score += 0.5; // snake_case identifiers
  if (KEYWORD_START.test(s) || DECL_START.test(s)) score += 1.5;
  if (/^[A-Za-z_]\w*:\s*$/.test(s)) score += 2;
  if (/[=&*]\s*[A-Za-z_(]/.test(c) && /;|,$/.test(c)) score += 1;
  if (/,\s*$/.test(c) && /[(_]/.test(c)) score += 0.5;
  return score;
}

/** Evidence of English: several plain words, a sentence's end, few code symbols. */
export function proseScore(t: string): number {
  const s = t.trim();
  if (!s) return 0;
  const words = s.split(/\s+/);
  const plain = words.filter((w) => /^[A-Za-z][a-z']*[,.?!:;]?$/.test(w)).length;
  let score = 0;
  if (plain >= 3) score += 1;
  if (plain >= 6) score += 1;
  if (plain / words.length >= 0.6 && words.length >= 3) score += 1;
  if (/[.?!]$/.test(s) && !/\.\.\.$/.test(s) && !/[;{}]$/.test(codeOnly(s))) score += 1.5;
  if (/^[A-Z][a-z]+\b/.test(s) && !DECL_START.test(s)) score += 0.5;
  if (/\b(?:the|is|are|was|we|you|it|this|that|not|be|to|of|and|but|why|what|can|should|would|could|I|I'm|don't)\b/.test(s)) score += 1;
  if (/^\s*(?:Thanks|Regards|Cheers|Best|Signed-off-by|Reviewed-by|Acked-by|Tested-by|Cc|Fixes|Link|Reported-by):?/i.test(s)) score += 2;
  return score;
}

/** The line reads as prose rather than code. */
export const looksLikeProse = (t: string): boolean => proseScore(t) >= 2 && proseScore(t) > codeScore(t);

/** The line reads as code rather than prose. */
export const looksLikeCode = (t: string): boolean => codeScore(t) >= 1.5 && codeScore(t) >= proseScore(t);

/** Inside a C block comment after this line? (state carried from the lines before) */
export function commentStateAfter(t: string, inside: boolean): boolean {
  if (!inside && !t.includes('/*')) return false;
  if (inside && !t.includes('*/')) return true;
  let s = t.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  let open = inside;
  for (;;) {
    if (open) {
      const e = s.indexOf('*/');
      if (e < 0) return true;
      s = s.slice(e + 2);
      open = false;
    } else {
      const b = s.indexOf('/*');
      if (b < 0) return false;
      const line = s.indexOf('//');
      if (line >= 0 && line < b) return false;
      s = s.slice(b + 2);
      open = true;
    }
  }
}

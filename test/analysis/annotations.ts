// Semgrep-style expectations inside C fixtures: `/* ruleid: double-lock */` on the line before a line
// that must be reported with that rule, `/* ok: lock-leak */` before one that must not (at warning or
// error), `/* info: unguarded-access */` before one that must be reported at info and no higher (the
// evidence is weak: said, not warned about).

export interface Expectation {
  kind: 'ruleid' | 'ok' | 'info';
  rule: string;
  line: number; // 1-based line the annotation points at
  annotationLine: number;
}

// The rule list may be followed by a reason in parentheses: `/* info: lock-leak (a helper returns it) */`.
const ANNOTATION = /(?:\/\*|\/\/)\s*(ruleid|ok|info)\s*:\s*([\w,\s-]+?)\s*(?:\(.*\))?\s*(?:\*\/|$)/;

function isCodeLine(l: string): boolean {
  const t = l.trim();
  return t !== '' && !t.startsWith('//') && !(t.startsWith('/*') && t.endsWith('*/')) && !t.startsWith('*');
}

export function parseExpectations(text: string): Expectation[] {
  const lines = text.split('\n');
  const out: Expectation[] = [];
  lines.forEach((l, i) => {
    const m = ANNOTATION.exec(l);
    if (!m) return;
    // An annotation alone on its line points at the next code line; after code, at its own line.
    const before = l.slice(0, m.index).trim();
    let target = i;
    if (!before) {
      target = i + 1;
      while (target < lines.length && !isCodeLine(lines[target]!)) target++;
    }
    for (const rule of m[2]!
      .split(',')
      .map((r) => r.trim())
      .filter(Boolean)) {
      out.push({ kind: m[1] as Expectation['kind'], rule, line: target + 1, annotationLine: i + 1 });
    }
  });
  return out;
}

// The ReDoS review of every regular-expression literal in src/: recheck's verdict per pattern,
// kept in redos-verdicts.json so the test suite re-checks only patterns that are new or changed.
// Regenerate with `npm run redos`.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { check } from 'recheck';
import { regexpLiterals, type Pattern } from './regexps.js';

export interface Verdict {
  status: 'safe' | 'vulnerable' | 'unknown';
  /** recheck's complexity: 'constant', 'linear', '2nd degree polynomial', 'exponential' ... */
  complexity: string;
  /** Why a worse-than-quadratic pattern is harmless where it is used: the code bounds its input. */
  bounded?: string;
}

export const VERDICTS = join(import.meta.dirname, 'redos-verdicts.json');
export const keyOf = (p: Pattern): string => `/${p.source}/${p.flags}`;

export function loadVerdicts(): Record<string, Verdict> {
  try {
    return JSON.parse(readFileSync(VERDICTS, 'utf8')) as Record<string, Verdict>;
  } catch {
    return {};
  }
}

export async function verdictOf(p: Pattern): Promise<Verdict> {
  const d = await check(p.source, p.flags, { timeout: 10_000 });
  const complexity = d.status === 'vulnerable' || d.status === 'safe' ? d.complexity.summary.replace(/ \(fuzz\)$/, '') : 'unknown';
  return { status: d.status, complexity };
}

/** Worse than quadratic: exponential, or a polynomial of degree 3 or more. */
export function superQuadratic(v: Verdict): boolean {
  if (v.status !== 'vulnerable') return false;
  const deg = /^(\d+)\w* degree polynomial/.exec(v.complexity);
  return !deg || Number(deg[1]) >= 3;
}

/** Recheck every pattern of src/ and write the verdicts, keeping the `bounded` reasons. */
export async function regenerate(root: string): Promise<Record<string, Verdict>> {
  const old = loadVerdicts();
  const out: Record<string, Verdict> = {};
  for (const p of regexpLiterals(root)) {
    const k = keyOf(p);
    if (out[k]) continue;
    const v = await verdictOf(p);
    out[k] = old[k]?.bounded ? { ...v, bounded: old[k].bounded } : v;
  }
  writeFileSync(VERDICTS, `${JSON.stringify(out, null, 1)}\n`);
  return out;
}

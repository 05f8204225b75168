// Analysis results kept by what they were computed from, so a run re-analyses only what changed:
// a key is the hash of the input's content, everything else the result depends on (the headers it
// reads, the rules, the rule settings, kreview's own code), and the place. A hit gives the result
// stored, byte for byte; an entry that does not read back exactly (cut short, edited, another
// key) is ignored and written again, never trusted.

import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RuleSettings } from '../analysis/registry.js';
import { BUNDLE } from '../paths.js';
import { VERSION } from '../version.js';

/** Where results are kept: a directory for the CLI (`--cache DIR`); the nightly job may keep them in its database. */
export interface ResultStore {
  get(kind: string, key: string): string | null;
  put(kind: string, key: string, value: string): void;
}

/** Counts of what a run found in its cache, for the notes. */
export interface CacheStats {
  hits: number;
  misses: number;
  /** Entries found damaged and made again. */
  damaged: number;
  /** Results that could not be stored (a full disk, a read-only directory): the run goes on without. */
  unwritable: number;
}

/** A content key: sha-256 of the parts, each length-prefixed so that no two lists of parts collide. */
export function contentKey(parts: (string | Buffer)[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(`${Buffer.byteLength(p)}:`).update(p);
  return h.digest('hex');
}

/** The user's rule settings (rules off, severities changed) as a key part. */
export function ruleSettingsKey(rules: RuleSettings | undefined): string {
  return rules ? JSON.stringify([[...rules.disabled].sort(), [...rules.severity].sort()]) : '';
}

let code: string | null = null;
/**
 * kreview's own code, as a key: its version and the hash of the modules it runs from (dist/ or
 * src/), so results made by one build are never taken for another's, also between releases.
 */
export function codeKey(): string {
  if (code) return code;
  // The Action's single bundle is all of its code; elsewhere, the tree this module was loaded from.
  if (BUNDLE) return (code = contentKey([VERSION, readFileSync(fileURLToPath(import.meta.url))]));
  const root = dirname(dirname(fileURLToPath(import.meta.url)));
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (['.js', '.ts', '.mjs'].includes(extname(e.name))) files.push(p);
    }
  };
  walk(root);
  code = contentKey([VERSION, ...files.flatMap((f) => [f.slice(root.length), readFileSync(f)])]);
  return code;
}

/**
 * A directory of entries, `<dir>/<kind>/<key[0..2]>/<key>.json`, each `{key, sum, value}` where
 * `sum` is the hash of `value`: written under a temporary name and renamed, read back only whole.
 */
export class DirStore implements ResultStore {
  readonly stats: CacheStats = { hits: 0, misses: 0, damaged: 0, unwritable: 0 };

  constructor(readonly dir: string) {}

  private path(kind: string, key: string): string {
    return join(this.dir, kind, key.slice(0, 2), `${key}.json`);
  }

  get(kind: string, key: string): string | null {
    const p = this.path(kind, key);
    let text: string;
    try {
      if (statSync(p).size > 256 * 2 ** 20) throw new Error('too large');
      text = readFileSync(p, 'utf8');
    } catch {
      this.stats.misses++;
      return null;
    }
    try {
      const e = JSON.parse(text) as { key?: unknown; sum?: unknown; value?: unknown };
      if (e.key === key && typeof e.value === 'string' && e.sum === contentKey([e.value])) {
        this.stats.hits++;
        return e.value;
      }
    } catch {
      // not JSON: damaged like any other mismatch
    }
    this.stats.damaged++;
    this.stats.misses++;
    return null;
  }

  put(kind: string, key: string, value: string): void {
    const p = this.path(kind, key);
    const tmp = `${p}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(tmp, JSON.stringify({ key, sum: contentKey([value]), value }));
      renameSync(tmp, p);
    } catch {
      this.stats.unwritable++;
      try {
        rmSync(tmp, { force: true });
      } catch {
        // there was no place to write it either
      }
    }
  }
}

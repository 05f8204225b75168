// Test helper: Patch objects from clean git diff text (what `git format-patch` writes) and from
// hand-written fragments. The real extractor lives in src/patch; the source stage's tests must
// not depend on it, so this is a deliberately small, strict parser for well-formed input.

import type { DiffLine, FilePatch, Hunk, Patch, PatchKind } from '../../src/patch/types.js';
import { emptyFile } from '../../src/patch/diff-headers.js';

export interface HelperOptions {
  id?: string;
  input?: string;
  kind?: PatchKind;
  damage?: string[];
  /** Apply to every line's text (e.g. strip indentation like a mailer). */
  mangle?: (text: string) => string;
  /** Inside a hunk, a line without a diff prefix is context (the mailer ate the leading space). */
  lenientContext?: boolean;
}

function emptyPatch(opts: HelperOptions, kind: PatchKind): Patch {
  return {
    id: opts.id ?? 'test#0.1',
    input: opts.input ?? 'test',
    messageIndex: 0,
    messageId: null,
    subject: '',
    kind,
    quoteDepth: 0,
    damage: opts.damage ?? [],
    baseCommit: null,
    files: [],
    comments: [],
    bodyLine: 1,
    from: 'body',
  };
}

/** Parse `git diff` / `git format-patch` output into a Patch (one per text). */
export function parseGitDiff(text: string, opts: HelperOptions = {}): Patch {
  const patch = emptyPatch(opts, opts.kind ?? 'diff');
  const lines = text.split('\n');
  const mangle = opts.mangle ?? ((t: string) => t);
  let file: FilePatch | null = null;
  let hunk: Hunk | null = null;
  let oldLeft = 0;
  let newLeft = 0;
  let oldNo = 0;
  let newNo = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const bodyLine = i + 1;
    if (hunk && (oldLeft > 0 || newLeft > 0)) {
      const c = raw[0] ?? ' ';
      const rest = raw.slice(1);
      let dl: DiffLine;
      if (c === ' ' || raw === '') {
        dl = { kind: 'context', text: mangle(rest), oldLine: oldNo++, newLine: newNo++, bodyLine };
        oldLeft--;
        newLeft--;
      } else if (c === '-') {
        dl = { kind: 'del', text: mangle(rest), oldLine: oldNo++, newLine: null, bodyLine };
        oldLeft--;
      } else if (c === '+') {
        dl = { kind: 'add', text: mangle(rest), oldLine: null, newLine: newNo++, bodyLine };
        newLeft--;
      } else if (c === '\\') {
        const prev = hunk.lines[hunk.lines.length - 1];
        if (prev) prev.noNewlineAtEnd = true;
        continue;
      } else if (opts.lenientContext) {
        dl = { kind: 'context', text: mangle(raw), oldLine: oldNo++, newLine: newNo++, bodyLine, repair: 'restored-context-prefix' };
        oldLeft--;
        newLeft--;
      } else {
        throw new Error(`patch-helper: unexpected hunk line ${bodyLine}: ${JSON.stringify(raw)}`);
      }
      hunk.lines.push(dl);
      if (oldLeft === 0 && newLeft === 0 && lines[i + 1]?.startsWith('\\')) {
        const prev = hunk.lines[hunk.lines.length - 1]!;
        prev.noNewlineAtEnd = true;
        i++;
      }
      continue;
    }
    hunk = null;
    let m: RegExpExecArray | null;
    if ((m = /^diff --git a\/(\S+) b\/(\S+)/.exec(raw))) {
      file = { ...emptyFile(), oldPath: m[1]!, newPath: m[2]!, path: m[2]! };
      patch.files.push(file);
    } else if (file && /^new file mode/.test(raw)) {
      file.status = 'added';
      file.oldPath = null;
    } else if (file && /^deleted file mode/.test(raw)) {
      file.status = 'deleted';
      file.newPath = null;
      file.path = file.oldPath;
    } else if (file && (m = /^index ([0-9a-f]+)\.\.([0-9a-f]+)/.exec(raw))) {
      file.oldBlob = /^0+$/.test(m[1]!) ? null : m[1]!;
      file.newBlob = /^0+$/.test(m[2]!) ? null : m[2]!;
    } else if (file && (m = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$/.exec(raw))) {
      const oldStart = Number(m[1]);
      const oldLines = m[2] === undefined ? 1 : Number(m[2]);
      const newStart = Number(m[3]);
      const newLines = m[4] === undefined ? 1 : Number(m[4]);
      hunk = {
        oldStart,
        newStart,
        oldLines,
        newLines,
        declared: { oldLines, newLines },
        section: m[5] ?? '',
        lines: [],
        bodyLine,
      };
      file.hunks.push(hunk);
      oldLeft = oldLines;
      newLeft = newLines;
      oldNo = oldLines === 0 ? oldStart + 1 : oldStart;
      newNo = newLines === 0 ? newStart + 1 : newStart;
    } else if ((m = /^base-commit: ([0-9a-f]{7,64})/.exec(raw))) {
      patch.baseCommit = m[1]!;
    }
  }
  return patch;
}

/**
 * A fragment: diff lines (' ', '+', '-' prefixed) without file or hunk headers, as quoted in a
 * reply. A line `[..]` separates pieces with hidden text between them (one hunk each).
 */
export function fragmentPatch(text: string, opts: HelperOptions = {}): Patch {
  const patch = emptyPatch(opts, opts.kind ?? 'fragment');
  const mangle = opts.mangle ?? ((t: string) => t);
  const file: FilePatch = { ...emptyFile(), status: 'unknown' };
  let hunk: Hunk | null = null;
  text.split('\n').forEach((raw, i) => {
    if (/^\s*\[\.\.+\]\s*$/.test(raw)) {
      hunk = null;
      return;
    }
    if (!hunk) {
      hunk = { oldStart: null, newStart: null, oldLines: 0, newLines: 0, declared: null, section: '', lines: [], bodyLine: i + 1 };
      file.hunks.push(hunk);
    }
    const c = raw[0] ?? ' ';
    const kind = c === '+' ? 'add' : c === '-' ? 'del' : 'context';
    const body = c === '+' || c === '-' || c === ' ' ? raw.slice(1) : raw;
    hunk.lines.push({ kind, text: mangle(body), oldLine: null, newLine: null, bodyLine: i + 1 });
    if (kind !== 'add') hunk.oldLines++;
    if (kind !== 'del') hunk.newLines++;
  });
  // trailing empty hunk lines from a final newline are not code
  for (const h of file.hunks)
    while (h.lines.length && h.lines[h.lines.length - 1]!.text === '' && h.lines[h.lines.length - 1]!.kind === 'context') h.lines.pop();
  patch.files.push(file);
  return patch;
}

/** Quoted code with line numbers (`2206 static void f(...)`): kind 'code', all context. */
export function codePatch(text: string, opts: HelperOptions = {}): Patch {
  const patch = emptyPatch(opts, 'code');
  const mangle = opts.mangle ?? ((t: string) => t);
  const lines: DiffLine[] = [];
  text.split('\n').forEach((raw, i) => {
    const m = /^(\d+) ?(.*)$/.exec(raw);
    if (!m) return;
    const n = Number(m[1]);
    lines.push({ kind: 'context', text: mangle(m[2]!), oldLine: n, newLine: n, bodyLine: i + 1 });
  });
  const start = lines[0]?.oldLine ?? null;
  patch.files.push({
    oldPath: null,
    newPath: null,
    path: null,
    status: 'unknown',
    oldBlob: null,
    newBlob: null,
    oldMode: null,
    newMode: null,
    binary: false,
    hunks: [{ oldStart: start, newStart: start, oldLines: lines.length, newLines: lines.length, declared: null, section: '', lines, bodyLine: 1 }],
  });
  return patch;
}

/** Strip indentation the way some mail archives do: at most one leading space survives. */
export function stripIndent(text: string): string {
  return text.replace(/^[ \t]+/, (ws) => (ws.length ? ' ' : '')).replace(/^ (?=\S)/, '');
}

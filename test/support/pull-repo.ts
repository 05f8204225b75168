// A pull request as GitHub Actions sees it, made with real git: a base branch and a PR branch in a
// bare "origin", and a shallow checkout of the PR head (actions/checkout's default depth of 1).
// Also: running the Action's bundle as the runner does (node, env, event payload, INPUT_*).

import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simpleGit } from 'simple-git';
import type { PullFile } from './github-server.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BUNDLE = join(ROOT, 'action', 'index.mjs');

export interface PullRepoSpec {
  base: Record<string, string>;
  commits: { message: string; files: Record<string, string> }[];
}

export interface PullRepoMade {
  work: string;
  origin: string;
  checkout: string;
  baseSha: string;
  headSha: string;
  commits: string[];
}

const AUTHOR = ['-c', 'user.name=Ada Example', '-c', 'user.email=ada@example.org'];

async function commitFiles(dir: string, files: Record<string, string>, message: string): Promise<string> {
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  const git = simpleGit(dir);
  await git.add(Object.keys(files));
  await git.raw([...AUTHOR, 'commit', '-q', '-m', message]);
  return (await git.revparse(['HEAD'])).trim();
}

/** Make the repositories under `dir`: work (all history), origin.git (bare) and checkout (shallow, the PR head). */
export async function makePullRepo(dir: string, spec: PullRepoSpec): Promise<PullRepoMade> {
  const work = join(dir, 'work');
  mkdirSync(work, { recursive: true });
  const git = simpleGit(work);
  await git.raw(['init', '-q', '-b', 'main']);
  const baseSha = await commitFiles(work, spec.base, 'base: the demo driver');
  await git.raw(['checkout', '-q', '-b', 'pr']);
  const commits: string[] = [];
  for (const c of spec.commits) commits.push(await commitFiles(work, c.files, c.message));
  const origin = join(dir, 'origin.git');
  await simpleGit(dir).raw(['clone', '-q', '--bare', work, origin]);
  // GitHub serves any commit by id; a local bare repository must be told to.
  await simpleGit(origin).raw(['config', 'uploadpack.allowAnySHA1InWant', 'true']);
  const checkout = join(dir, 'checkout');
  await simpleGit(dir).raw(['clone', '-q', '--depth=1', '--branch', 'pr', `file://${origin}`, checkout]);
  return { work, origin, checkout, baseSha, headSha: commits.at(-1) ?? baseSha, commits };
}

/** Another commit on the PR branch, pushed to origin and fetched into the checkout (a push to the PR). */
export async function pushCommit(r: PullRepoMade, message: string, files: Record<string, string>): Promise<string> {
  const sha = await commitFiles(r.work, files, message);
  await simpleGit(r.work).raw(['push', '-q', r.origin, 'pr']);
  await simpleGit(r.checkout).raw(['fetch', '-q', '--depth=1', 'origin', 'pr']);
  await simpleGit(r.checkout).raw(['checkout', '-q', '--detach', sha]);
  r.commits.push(sha);
  r.headSha = sha;
  return sha;
}

/** The pull request's files as GitHub lists them: each with its status and the patch (hunks only). */
export async function pullFiles(r: PullRepoMade): Promise<PullFile[]> {
  const git = simpleGit(r.work);
  const mb = (await git.raw(['merge-base', r.baseSha, r.headSha])).trim();
  const names = (await git.raw(['diff', '--name-status', '--no-renames', mb, r.headSha])).split('\n').filter(Boolean);
  const out: PullFile[] = [];
  for (const l of names) {
    const [st, filename] = l.split('\t') as [string, string];
    const diff = await git.raw(['diff', mb, r.headSha, '--', filename]);
    const at = diff.indexOf('\n@@');
    out.push({
      filename,
      status: st === 'A' ? 'added' : st === 'D' ? 'removed' : 'modified',
      patch: at >= 0 ? diff.slice(at + 1).replace(/\n$/, '') : undefined,
    });
  }
  return out;
}

export interface ActionRun {
  code: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
}

/** Run the bundle as a workflow step: GITHUB_* and INPUT_* in the environment, the event payload in a file. */
export async function runBundle(
  dir: string,
  o: { event: string; payload: unknown; workspace: string; api: string; inputs: Record<string, string> },
): Promise<ActionRun> {
  mkdirSync(dir, { recursive: true });
  const eventPath = join(dir, 'event.json');
  writeFileSync(eventPath, typeof o.payload === 'string' ? o.payload : JSON.stringify(o.payload));
  const output = join(dir, 'output.txt');
  const summary = join(dir, 'summary.md');
  writeFileSync(output, '');
  writeFileSync(summary, '');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? dir,
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: o.event,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_API_URL: o.api,
    GITHUB_WORKSPACE: o.workspace,
    GITHUB_OUTPUT: output,
    GITHUB_STEP_SUMMARY: summary,
    RUNNER_TEMP: join(dir, 'runner-temp'),
  };
  for (const [k, v] of Object.entries(o.inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
  mkdirSync(env.RUNNER_TEMP!, { recursive: true });
  const child = spawn(process.execPath, [BUNDLE], { cwd: o.workspace, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
  return { code, stdout, stderr, outputs: parseOutputs(readFileSync(output, 'utf8')), summary: existsSync(summary) ? readFileSync(summary, 'utf8') : '' };
}

/** GITHUB_OUTPUT's `name<<DELIMITER ... DELIMITER` blocks. */
function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([\w-]+)<<(.+)$/.exec(lines[i]!);
    if (!m) continue;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i]!);
    out[m[1]!] = value.join('\n');
  }
  return out;
}

// `--shard I/N` and `kreview merge` (#17): four shards of a check and of a scan, merged, give the
// unsharded run's document (but for `merge`, the merge's own record) and the same report in every
// format; a missing shard is named and the report marked incomplete (exit 2); a shard given twice is
// taken once; shards of different commands, versions, rules, splits or inputs are refused; bad
// --shard values are usage errors. The partition does not depend on where the tree is.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { runCli as run } from './support/cli.js';
import { validateRunDocument } from '../src/report/schema.js';
import type { RunDocument } from '../src/report/document.js';
import { messageKey, parseShard, pathKey, shardOf } from '../src/shard.js';
import { withoutShard } from '../src/report/merge.js';

const N = 4;
const CHECK = ['check', 'fixtures/c', '--format', 'json'];
const SCAN = [
  'scan',
  'fixtures/mail/example.mbox',
  'fixtures/mail/patch',
  'fixtures/mail/ingest/dir',
  'fixtures/mail/ingest/splitter.mbox',
  // two messages with neither Message-ID nor series: partitioned by their content
  'fixtures/mail/ingest/no-headers.mbox',
  '--format',
  'json',
];

const parse = (text: string): RunDocument => JSON.parse(text) as RunDocument;

/** The merged document without what a merge adds: `merge` (its command line and the shards'). */
function unmerged(d: RunDocument): RunDocument {
  const { merge: _merge, ...rest } = d;
  return rest as RunDocument;
}

describe('shard and merge', () => {
  let dir: string;
  const save = (name: string, text: string): string => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  /** Run `args` as shards 1..n; each document saved; their paths. */
  async function shards(name: string, args: string[], n = N): Promise<string[]> {
    const out: string[] = [];
    for (let i = 1; i <= n; i++) {
      const r = await run([...args, '--shard', `${i}/${n}`]);
      assert.ok(r.code === 0 || r.code === 1, `${name} shard ${i}/${n}: exit ${r.code}: ${r.err}`);
      out.push(save(`${name}-${i}.json`, r.out));
    }
    return out;
  }

  let checkFull: string;
  let checkShards: string[];
  let scanFull: string;
  let scanShards: string[];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kreview-shard-'));
    checkFull = save('check.json', (await run(CHECK)).out);
    checkShards = await shards('check', CHECK);
    scanFull = save('scan.json', (await run(SCAN)).out);
    scanShards = await shards('scan', SCAN);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const command of ['check', 'scan'] as const) {
    it(`${command}: the merge of ${N} shards is the unsharded run`, async () => {
      const full = parse(readFileSync(command === 'check' ? checkFull : scanFull, 'utf8'));
      const paths = command === 'check' ? checkShards : scanShards;
      const docs = paths.map((p) => parse(readFileSync(p, 'utf8')));
      for (const d of docs) assert.deepEqual(validateRunDocument(d), [], 'every shard matches the schema');
      // A real split: every shard holds something, and together exactly the whole.
      const items = (d: RunDocument): number => (command === 'check' ? d.files.length : d.messages.length);
      for (const d of docs) assert.ok(items(d) > 0, `shard ${d.shard?.index} holds nothing`);
      assert.equal(
        docs.reduce((n, d) => n + items(d), 0),
        items(full),
      );
      assert.ok(docs.every((d) => d.shard?.total === items(full) && d.shard.digest === docs[0]!.shard!.digest));
      // Messages of one series (all its versions and replies) are in one shard.
      const seriesShard = new Map<string, number>();
      for (const d of docs)
        for (const m of d.messages)
          if (m.series) {
            assert.equal(seriesShard.get(m.series.id) ?? d.shard!.index, d.shard!.index, `series ${m.series.id} split`);
            seriesShard.set(m.series.id, d.shard!.index);
          }

      const r = await run(['merge', ...paths, '--format', 'json']);
      assert.equal(r.code, 0, r.err);
      assert.equal(r.err, '');
      const merged = parse(r.out);
      assert.deepEqual(validateRunDocument(merged), []);
      assert.ok(full.findings.length > 0 && full.summary.findings === full.findings.length);
      // The one field that differs: `merge`. invocation.args is the shards' without --shard, so
      // here (the same arguments) the unsharded run's.
      assert.deepEqual(unmerged(merged), full);
      assert.equal(JSON.stringify(unmerged(merged), null, 1), JSON.stringify(full, null, 1), 'the same order too');
      assert.deepEqual(merged.merge, {
        args: ['merge', ...paths, '--format', 'json'],
        count: N,
        shards: docs.map((d) => ({ index: d.shard!.index, args: d.invocation.args })),
      });
      assert.equal(merged.shard, undefined);
    });
  }

  it("every format of the merge is the unsharded run's (the same emit path)", async () => {
    for (const [full, paths] of [
      [checkFull, () => checkShards],
      [scanFull, () => scanShards],
    ] as const) {
      for (const format of ['text', 'markdown', 'html', 'sarif']) {
        const want = await run(['report', full, '--format', format]);
        const got = await run(['merge', ...paths(), '--format', format]);
        assert.equal(got.code, 0, got.err);
        assert.equal(got.out, want.out, `${full}: --format ${format}`);
      }
    }
    // Email: one .eml per patch, the same files.
    const a = join(dir, 'mail-full');
    const b = join(dir, 'mail-merged');
    await run(['report', scanFull, '--format', 'email', '--out-dir', a]);
    const got = await run(['merge', ...scanShards, '--format', 'email', '--out-dir', b]);
    assert.equal(got.code, 0, got.err);
    const names = readdirSync(a).sort();
    assert.ok(names.length > 0);
    assert.deepEqual(readdirSync(b).sort(), names);
    for (const n of names) assert.equal(readFileSync(join(b, n), 'utf8'), readFileSync(join(a, n), 'utf8'), n);
  });

  it('a missing shard: named, the report written and marked incomplete, exit 2', async () => {
    const out = join(dir, 'missing.json');
    const given = checkShards.filter((_, k) => k !== 2);
    const r = await run(['merge', ...given, '--format', 'json', '--output', out]);
    assert.equal(r.code, 2);
    assert.match(r.err, /^kreview: shard 3\/4 missing: this report covers \d+ of the run's \d+ files\n$/);
    const d = parse(readFileSync(out, 'utf8'));
    assert.deepEqual(validateRunDocument(d), []);
    assert.deepEqual((d.incomplete as { shards: number[] }).shards, [3]);
    assert.ok(d.notes.at(-1)?.startsWith('shard 3/4 missing'));
    const third = parse(readFileSync(checkShards[2]!, 'utf8'));
    const full = parse(readFileSync(checkFull, 'utf8'));
    assert.equal(d.files.length, full.files.length - third.files.length);
    assert.ok(!d.files.some((f) => third.files.some((t) => t.path === f.path)));
    // Text says so too (the note every format prints).
    const text = await run(['merge', ...given]);
    assert.equal(text.code, 2);
    assert.match(text.out, /note: shard 3\/4 missing/);

    // A shard stopped by a signal (what it did, marked incomplete): merged, and named the same way.
    const cut = parse(readFileSync(checkShards[1]!, 'utf8'));
    cut.files.pop();
    cut.shard!.positions.pop();
    cut.incomplete = { signal: 'SIGTERM', reason: 'interrupted by SIGTERM' };
    const stopped = await run(['merge', checkShards[0]!, save('check-2-stopped.json', JSON.stringify(cut)), ...checkShards.slice(2), '--format', 'json']);
    assert.equal(stopped.code, 2);
    assert.match(stopped.err, /^kreview: shard 2\/4 interrupted \(.*check-2-stopped\.json\): this report covers \d+ of the run's \d+ files\n$/);
    const s = parse(stopped.out);
    assert.deepEqual((s.incomplete as { shards: number[] }).shards, [2]);
    assert.equal(s.files.length, full.files.length - 1);
  });

  it('a shard given twice is taken once; twice with different results is refused', async () => {
    const twice = await run(['merge', ...checkShards, checkShards[1]!, '--format', 'json']);
    assert.equal(twice.code, 0);
    assert.match(twice.err, /^kreview: shard 2\/4 given twice \(.*check-2\.json and .*check-2\.json\): taken once\n$/);
    const once = await run(['merge', ...checkShards, '--format', 'json']);
    assert.deepEqual(unmerged(parse(twice.out)), unmerged(parse(once.out)));

    const other = parse(readFileSync(checkShards[1]!, 'utf8'));
    other.findings.pop();
    const changed = save('check-2-changed.json', JSON.stringify(other));
    const r = await run(['merge', ...checkShards, changed]);
    assert.equal(r.code, 2);
    assert.equal(r.out, '', 'no report');
    assert.match(r.err, /^kreview: shard 2\/4 given twice with different results \(.*check-2\.json and .*check-2-changed\.json\)\n$/);
  });

  it('refuses shards of different commands, versions, rules, splits or inputs, and documents that are not shards', async () => {
    const refused = async (paths: string[], re: RegExp): Promise<void> => {
      const r = await run(['merge', ...paths]);
      assert.equal(r.code, 2, r.err);
      assert.equal(r.out, '');
      assert.match(r.err, re);
    };
    await refused([checkShards[0]!, scanShards[1]!], /scan-2\.json and .*check-1\.json: shards of different commands \(scan and check\)/);
    const newer = parse(readFileSync(checkShards[1]!, 'utf8'));
    newer.tool.version = '99.0.0';
    await refused(
      [checkShards[0]!, save('newer.json', JSON.stringify(newer))],
      /newer\.json and .*: shards made by different kreview versions \(99\.0\.0 and /,
    );
    const disabled = await run([...CHECK, '--shard', '2/4', '--disable', 'lock-leak']);
    await refused([checkShards[0]!, save('disabled.json', disabled.out)], /disabled\.json and .*: shards made with different rules \(lock-leak\)/);
    const half = await run([...CHECK, '--shard', '2/2']);
    await refused([checkShards[0]!, save('half.json', half.out)], /half\.json and .*: shards of different splits \(shard 2\/2 and shard 1\/4\)/);
    const fewer = await run(['check', 'fixtures/c/lock-leak', '--format', 'json', '--shard', '2/4']);
    await refused([checkShards[0]!, save('fewer.json', fewer.out)], /fewer\.json and .*check-1\.json: shards of different inputs/);
    await refused([checkFull, checkShards[0]!], /check\.json: not a shard: made without --shard I\/N/);
    await refused([join(dir, 'nothing.json')], /^kreview: .*nothing\.json: cannot read \(ENOENT\)\n$/);
    await refused([checkShards[0]!, save('cut.json', '{"schemaVersion": 1, "tool": {')], /^kreview: .*cut\.json: not JSON \(the file looks cut short\)/);
  });

  it('a bad --shard is a usage error (exit 2)', async () => {
    for (const bad of ['0/4', '5/4', '1/0', '2', 'a/b', '-1/4', '1/4/2', '']) {
      for (const command of ['check', 'scan']) {
        const r = await run([command, 'fixtures/c/lock-leak/trylock.c', '--shard', bad]);
        assert.equal(r.code, 2, `${command} --shard '${bad}'`);
        assert.match(r.err, /option '--shard <i\/n>' argument '.*' is invalid\. /);
        assert.equal(r.out, '');
      }
    }
    assert.deepEqual(parseShard('3/4'), { index: 3, count: 4 });
    assert.deepEqual(parseShard('1/1'), { index: 1, count: 1 });
  });

  it('the partition: stable, and the same wherever the tree is checked out', async () => {
    // Fixed values: a key goes to the same shard on every machine, in every process (sha-256, no seed).
    assert.equal(shardOf('drivers/net/foo.c', 4), 3);
    assert.deepEqual(
      ['a.c', 'b.c', 'c.c', 'd.c', 'e.c', 'f.c'].map((k) => shardOf(k, 3)),
      [2, 2, 2, 1, 1, 2],
    );
    assert.equal(pathKey('/src/linux', '/src/linux/drivers/net/foo.c'), 'drivers/net/foo.c');
    assert.equal(pathKey('linux/drivers/net/foo.c', 'linux/drivers/net/foo.c'), 'foo.c', 'a file named: its base name');
    assert.equal(messageKey({ series: null, messageId: 'x@y' }, null), 'message-id:x@y');
    assert.equal(messageKey({ series: null, messageId: null }, 'abc'), 'content:abc');
    assert.deepEqual(withoutShard(['check', 'd', '--shard', '1/2', '--shard=2/2', '-o', 'x']), ['check', 'd', '-o', 'x']);

    const a = join(dir, 'here', 'tree');
    const b = join(dir, 'there', 'deeper', 'tree');
    cpSync('fixtures/c/lock-leak', a, { recursive: true });
    cpSync('fixtures/c/lock-leak', b, { recursive: true });
    for (let i = 1; i <= 3; i++) {
      const x = parse((await run(['check', a, '--format', 'json', '--shard', `${i}/3`])).out);
      const y = parse((await run(['check', b, '--format', 'json', '--shard', `${i}/3`])).out);
      assert.deepEqual(x.shard, y.shard, `shard ${i}/3`);
      assert.deepEqual(
        x.files.map((f) => f.path.slice(a.length)),
        y.files.map((f) => f.path.slice(b.length)),
      );
    }
  });
});
